//! What several test files share: a log of what ran, in order, plain error types, and short
//! ways to write clock times.
// Each test file is its own crate and uses only part of this.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// What the callbacks of a test did, in order.
pub type Log = Rc<RefCell<Vec<String>>>;

/// Records `entry` in `log`.
pub fn note(log: &Log, entry: impl Into<String>) {
    log.borrow_mut().push(entry.into());
}

/// `n` seconds.
pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// `n` milliseconds.
pub fn millis(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A log whose entries are values other than strings (times, counts, pairs), in order.
pub mod values {
    use std::cell::RefCell;
    use std::rc::Rc;

    /// What a test recorded, in order.
    pub type Log<T> = Rc<RefCell<Vec<T>>>;

    /// An empty log.
    pub fn log<T>() -> Log<T> {
        Rc::default()
    }
}

/// The messages of the reports' `PanicError`s, in the order they were made; every report must
/// be of a panic.
pub fn panic_messages(reports: &[deferreds::UnhandledError]) -> Vec<String> {
    reports
        .iter()
        .map(|report| {
            let panic = report.failure().downcast_ref::<deferreds::PanicError>();
            panic.expect("the report of a panic").message().to_owned()
        })
        .collect()
}

/// A value whose `Drop` panics with its message (one made `harmless` does not): the user
/// value the fault tests hand the library to drop.
#[derive(Debug)]
pub struct PanicsOnDrop(Option<&'static str>);

impl PanicsOnDrop {
    pub fn new(message: &'static str) -> Self {
        PanicsOnDrop(Some(message))
    }

    pub fn harmless() -> Self {
        PanicsOnDrop(None)
    }
}

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if let Some(message) = self.0 {
            panic!("{message}");
        }
    }
}

/// A plain error with a message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Oops(pub &'static str);

/// An error of its own type with a fixed message, like Twisted's test exceptions.
#[derive(Debug, thiserror::Error)]
#[error("generic error")]
pub struct GenericError;

/// Python's `ZeroDivisionError`, which Twisted's logging tests raise.
#[derive(Debug, thiserror::Error)]
#[error("division by zero")]
pub struct ZeroDivisionError;

/// The unhandled-error hook and the debugging switch are process-wide: a test that sets
/// either holds this, and finds and leaves both off.
pub mod process_wide {
    use std::sync::{Mutex, MutexGuard};

    use deferreds::{set_debugging, take_unhandled_error_hook};

    static LOCK: Mutex<()> = Mutex::new(());

    /// Holds the lock; on drop turns debugging off and removes any hook.
    pub struct Serial {
        _guard: MutexGuard<'static, ()>,
    }

    impl Drop for Serial {
        fn drop(&mut self) {
            set_debugging(false);
            take_unhandled_error_hook();
        }
    }

    /// Waits for the other tests that set the hook or the switch, then starts with both off.
    pub fn serial() -> Serial {
        let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        set_debugging(false);
        take_unhandled_error_hook();
        Serial { _guard: guard }
    }
}
