//! Helpers for testing code that returns Deferreds, after Twisted's trial
//! (`successResultOf`, `failureResultOf`, `assertNoResult`, and failing a test that leaves an
//! unhandled error behind).
//!
//! Each panics with a message that says what it found instead, so a failing test explains
//! itself.
//!
//! ```
//! use deferreds::{testing, Deferred};
//!
//! let (d, resolver) = Deferred::<u8>::new();
//! testing::assert_no_result(&d);
//! resolver.callback(4);
//! assert_eq!(testing::success_result_of(d), 4);
//! ```

use std::fmt;

use crate::deferred::Deferred;
use crate::failure::Failure;
use crate::unhandled::{self, Capture, UnhandledError};

/// The value `d` has now. Panics if it has no result yet, or a failure (which is shown).
///
/// ```
/// let d = deferreds::Deferred::succeed(1).add_callback(|n| Ok(n + 1));
/// assert_eq!(deferreds::testing::success_result_of(d), 2);
/// ```
#[track_caller]
pub fn success_result_of<T: 'static>(d: Deferred<T>) -> T {
    match d.take_result() {
        Ok(Ok(value)) => value,
        Ok(Err(failure)) => {
            panic!("success_result_of: expected a value, found a failure: {failure:?}")
        }
        Err(d) => panic!("success_result_of: expected a value, found no result yet: {d:?}"),
    }
}

/// The failure `d` has now. Panics if it has no result yet, or a value. Taking the failure
/// handles it, so it is not reported as unhandled.
///
/// ```
/// use deferreds::{Deferred, Failure};
/// let d: Deferred<u8> = Deferred::fail(Failure::msg("nope"));
/// assert_eq!(deferreds::testing::failure_result_of(d).error_message(), "nope");
/// ```
#[track_caller]
pub fn failure_result_of<T: 'static>(d: Deferred<T>) -> Failure {
    match d.take_result() {
        Ok(Err(failure)) => failure,
        Ok(Ok(_)) => panic!(
            "failure_result_of: expected a failure, found a value of type {}",
            std::any::type_name::<T>()
        ),
        Err(d) => panic!("failure_result_of: expected a failure, found no result yet: {d:?}"),
    }
}

/// Asserts that `d` has no result now: unfired, paused, or waiting on another Deferred.
///
/// ```
/// let (d, _resolver) = deferreds::Deferred::<u8>::new();
/// deferreds::testing::assert_no_result(&d);
/// ```
#[track_caller]
pub fn assert_no_result<T: 'static>(d: &Deferred<T>) {
    if d.has_result() {
        panic!("assert_no_result: expected no result, found one: {d:?}");
    }
}

/// Runs `body` and returns the unhandled-error reports it caused on this thread, instead of
/// sending them to the hook or standard error. Captures nest; other threads are unaffected.
///
/// ```
/// use deferreds::{testing, Deferred, Failure};
///
/// let reports = testing::capture_unhandled(|| {
///     let handled: Deferred<u8> = Deferred::fail(Failure::msg("handled"));
///     let _ = handled.add_errback(|_| Ok(0));
///     drop(Deferred::<u8>::fail(Failure::msg("dropped")));
/// });
/// assert_eq!(reports.len(), 1);
/// assert_eq!(reports[0].failure().error_message(), "dropped");
/// ```
pub fn capture_unhandled(body: impl FnOnce()) -> Vec<UnhandledError> {
    unhandled::capture(body)
}

/// Makes the enclosing test fail if any Deferred reports an unhandled failure on this thread
/// while the returned guard is alive, as trial fails a test that leaves an unhandled error
/// logged. Keep the guard in a variable (`let _guard = ...`; `let _ = ...` would drop it at
/// once): when it is dropped at the end of the test, or ended with
/// [`finish`](UnhandledErrorGuard::finish), it panics naming every failure reported.
///
/// The reports it collects go neither to the hook nor to standard error. Captures nest: a
/// [`capture_unhandled`] (or another guard) started inside this one takes the reports made
/// within it, and this guard sees only the rest.
///
/// ```
/// use deferreds::{testing, Deferred, Failure};
///
/// let guard = testing::fail_on_unhandled();
/// let d: Deferred<u8> = Deferred::fail(Failure::msg("handled"));
/// assert_eq!(testing::success_result_of(d.add_errback(|_| Ok(0))), 0);
/// guard.finish(); // nothing was left unhandled
/// ```
///
/// A failure left unhandled fails the test, with the failure in the message:
///
/// ```should_panic
/// use deferreds::{testing, Deferred, Failure};
///
/// let _guard = testing::fail_on_unhandled();
/// drop(Deferred::<u8>::fail(Failure::msg("connection lost")));
/// // panics when `_guard` is dropped: "... Failure message: connection lost ..."
/// ```
pub fn fail_on_unhandled() -> UnhandledErrorGuard {
    UnhandledErrorGuard {
        capture: Capture::start(),
    }
}

/// The guard of [`fail_on_unhandled`]: collects this thread's unhandled-failure reports, and
/// panics naming them when dropped or [`finish`](Self::finish)ed.
///
/// If the thread is already panicking when the guard is dropped (the test failed some other
/// way), it does not panic again, which would abort the test run: it writes the reports to
/// standard error instead.
///
/// The guard is `!Send`: it collects for the thread that made it.
///
/// ```compile_fail
/// let guard = deferreds::testing::fail_on_unhandled();
/// std::thread::spawn(move || drop(guard)); // error: the guard cannot be sent
/// ```
#[must_use = "the guard checks for unhandled failures while it is alive; bind it with `let _guard`"]
pub struct UnhandledErrorGuard {
    capture: Capture,
}

impl UnhandledErrorGuard {
    /// Ends the guard here, panicking (at the caller) naming each unhandled failure reported
    /// while it was alive.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, Failure};
    ///
    /// let guard = testing::fail_on_unhandled();
    /// let leaked = std::panic::catch_unwind(move || {
    ///     drop(Deferred::<u8>::fail(Failure::msg("disk full")));
    ///     guard.finish();
    /// });
    /// let message = leaked.unwrap_err().downcast::<String>().unwrap();
    /// assert!(message.starts_with("fail_on_unhandled: 1 unhandled failure was reported"));
    /// assert!(message.contains("Failure message: disk full"));
    /// ```
    #[track_caller]
    pub fn finish(mut self) {
        let reports = self.capture.end();
        if !reports.is_empty() {
            panic!("{}", Leaked(&reports));
        }
    }
}

impl Drop for UnhandledErrorGuard {
    fn drop(&mut self) {
        let reports = self.capture.end();
        if reports.is_empty() {
            return;
        }
        if std::thread::panicking() {
            unhandled::to_stderr(&format_args!(
                "{}(the thread is already panicking: fail_on_unhandled does not panic again)\n",
                Leaked(&reports)
            ));
        } else {
            panic!("{}", Leaked(&reports));
        }
    }
}

impl fmt::Debug for UnhandledErrorGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnhandledErrorGuard")
            .finish_non_exhaustive()
    }
}

/// The message naming the failures a guard found.
struct Leaked<'a>(&'a [UnhandledError]);

impl fmt::Display for Leaked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.len() {
            1 => write!(f, "fail_on_unhandled: 1 unhandled failure was reported")?,
            n => write!(f, "fail_on_unhandled: {n} unhandled failures were reported")?,
        }
        writeln!(
            f,
            " while the guard was alive (handle each with an errback):"
        )?;
        for report in self.0 {
            write!(f, "{report}")?;
        }
        Ok(())
    }
}
