//! Reporting failures that nothing handled.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::{Arc, RwLock};

use crate::debug::DebugInfo;
use crate::errors::PanicSource;
use crate::failure::Failure;
use crate::guard::guarded_as;

/// A hook installed with [`set_unhandled_error_hook`]: called with each unhandled failure,
/// from whichever thread dropped the chain.
///
/// ```
/// use std::sync::Arc;
/// use deferreds::{UnhandledError, UnhandledErrorHook};
///
/// let hook: UnhandledErrorHook = Arc::new(|report: &UnhandledError| {
///     eprintln!("lost: {}", report.failure());
/// });
/// # drop(hook);
/// ```
pub type UnhandledErrorHook = Arc<dyn Fn(&UnhandledError) + Send + Sync>;

static HOOK: RwLock<Option<UnhandledErrorHook>> = RwLock::new(None);

thread_local! {
    /// The captures open on this thread, innermost last: a report goes to the innermost.
    static CAPTURES: RefCell<Vec<OpenCapture>> = const { RefCell::new(Vec::new()) };
    static NEXT_CAPTURE_ID: Cell<u64> = const { Cell::new(0) };
}

struct OpenCapture {
    id: u64,
    reports: Vec<UnhandledError>,
}

/// A failure that reached the end of a chain with nothing to handle it: the last handle to
/// the chain was dropped while its result was a [`Failure`].
///
/// It goes to the hook set with [`set_unhandled_error_hook`], or by default to standard error
/// as `Unhandled error in Deferred:` followed by the failure (and, with
/// [`set_debugging`](crate::set_debugging) on, where the Deferred was created and fired).
/// While [`testing::capture_unhandled`](crate::testing::capture_unhandled) runs, it goes to
/// the capture instead, whatever else is set.
///
/// With the `tracing` feature on and no hook set, the default is a `tracing` event instead
/// of standard error, if the current subscriber records it. The report still goes to
/// standard error, so that it is never lost, if no subscriber is set or its filter turns the
/// event away, and if the subscriber panics (the panic does not unwind into the chain being
/// dropped). The event has level `ERROR`, target `deferreds::unhandled`, the message
/// `Unhandled error in Deferred`, and these fields:
///
/// | field | what it holds |
/// |---|---|
/// | `error.type` | [`Failure::type_name`] |
/// | `error.message` | [`Failure::error_message`] |
/// | `error.backtrace` | [`Failure::backtrace`], if one was captured |
/// | `location` | [`Failure::location`]: where the failure was made |
/// | `async_frames` | [`Failure::async_frames`], innermost first, comma-separated (empty if none) |
/// | `created`, `created.backtrace` | where the Deferred was created, if debugging was on then |
/// | `fired`, `fired.backtrace` | where it was fired, if debugging was on then |
///
/// ```
/// use deferreds::{testing, Deferred, Failure};
///
/// let reports = testing::capture_unhandled(|| {
///     drop(Deferred::<u8>::fail(Failure::msg("nobody listened")));
/// });
/// assert_eq!(reports.len(), 1);
/// assert_eq!(reports[0].failure().error_message(), "nobody listened");
/// assert!(reports[0].to_string().starts_with("Unhandled error in Deferred:"));
/// ```
#[derive(Clone)]
pub struct UnhandledError {
    failure: Failure,
    debug: Option<DebugInfo>,
}

impl UnhandledError {
    /// The failure nothing handled.
    ///
    /// ```
    /// # use deferreds::{testing, Deferred, Failure};
    /// let reports = testing::capture_unhandled(|| drop(Deferred::<()>::fail(Failure::msg("x"))));
    /// assert_eq!(reports[0].failure().error_message(), "x");
    /// ```
    pub fn failure(&self) -> &Failure {
        &self.failure
    }

    /// Where the Deferred was created and fired, if debugging was on then; empty otherwise.
    ///
    /// ```
    /// # use deferreds::{testing, Deferred, Failure};
    /// let reports = testing::capture_unhandled(|| drop(Deferred::<()>::fail(Failure::msg("x"))));
    /// assert_eq!(reports[0].debug_locations(), "");
    /// ```
    pub fn debug_locations(&self) -> String {
        self.debug
            .as_ref()
            .map(DebugInfo::locations)
            .unwrap_or_default()
    }
}

impl fmt::Display for UnhandledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Unhandled error in Deferred:")?;
        writeln!(f, "{:?}", self.failure)?;
        if let Some(debug) = &self.debug {
            writeln!(f, "(debug:")?;
            write!(f, "{debug}")?;
            writeln!(f, ")")?;
        }
        Ok(())
    }
}

impl fmt::Debug for UnhandledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnhandledError")
            .field("failure", &self.failure)
            .field("debug", &self.debug_locations())
            .finish()
    }
}

/// Sends every unhandled-error report of the process to `hook` instead of standard error
/// (or, with the `tracing` feature, a `tracing` event; see [`UnhandledError`]). Returns the
/// previous hook, if one was set.
///
/// ```
/// use deferreds::{set_unhandled_error_hook, take_unhandled_error_hook, Deferred, Failure};
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// static SEEN: AtomicUsize = AtomicUsize::new(0);
/// set_unhandled_error_hook(|_report| {
///     SEEN.fetch_add(1, Ordering::SeqCst);
/// });
/// drop(Deferred::<u8>::fail(Failure::msg("lost")));
/// take_unhandled_error_hook();
/// assert!(SEEN.load(Ordering::SeqCst) >= 1);
/// ```
pub fn set_unhandled_error_hook(
    hook: impl Fn(&UnhandledError) + Send + Sync + 'static,
) -> Option<UnhandledErrorHook> {
    let mut slot = HOOK
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    slot.replace(Arc::new(hook))
}

/// Removes the hook set with [`set_unhandled_error_hook`], so reports go where they go by
/// default again (see [`UnhandledError`]), and returns it.
///
/// ```
/// assert!(deferreds::take_unhandled_error_hook().is_none());
/// ```
pub fn take_unhandled_error_hook() -> Option<UnhandledErrorHook> {
    let mut slot = HOOK
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    slot.take()
}

pub(crate) fn report(failure: Failure, debug: Option<DebugInfo>) {
    let Some(report) = to_capture(UnhandledError { failure, debug }) else {
        return;
    };
    let hook = HOOK
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    match hook {
        Some(hook) => {
            // A hook that panics must not unwind into the chain that was being dropped (nor
            // abort the process, if that happens while another panic unwinds): the report
            // then goes to standard error, with the hook's panic.
            if let Err(panicked) = guarded_as(PanicSource::Hook, || hook(&report)) {
                to_stderr_after(&report, &panicked);
            }
        }
        None => by_default(&report),
    }
}

/// Gives `report` to the innermost capture open on this thread, or back if none is open.
/// At thread exit the captures may be gone already: the report then goes on to the hook.
fn to_capture(report: UnhandledError) -> Option<UnhandledError> {
    let mut report = Some(report);
    let _ = CAPTURES.try_with(|captures| {
        if let Ok(mut captures) = captures.try_borrow_mut() {
            if let Some(innermost) = captures.last_mut() {
                innermost.reports.extend(report.take());
            }
        }
    });
    report
}

/// Where a report goes when no hook is set: a `tracing` event if the feature is on and a
/// subscriber records it, standard error otherwise.
fn by_default(report: &UnhandledError) {
    #[cfg(feature = "tracing")]
    {
        use crate::tracing_support::report_unhandled;
        // The subscriber is user code too: guarded as the hook is.
        let sent = guarded_as(PanicSource::Subscriber, || {
            report_unhandled(&report.failure, report.debug.as_ref())
        });
        match sent {
            Ok(true) => return,
            Ok(false) => {}
            Err(panicked) => {
                to_stderr_after(report, &panicked);
                return;
            }
        }
    }
    to_stderr(report);
}

/// The report, and the panic of whatever should have taken it instead.
fn to_stderr_after(report: &UnhandledError, panicked: &Failure) {
    to_stderr(&format_args!("{report}({panicked})\n"));
}

/// The last resort: standard error, ignoring a failure to write (`eprint!` would panic).
pub(crate) fn to_stderr(text: &dyn fmt::Display) {
    use std::io::Write;
    let _ = write!(std::io::stderr(), "{text}");
}

/// Runs `body` with this thread's unhandled-error reports collected instead of sent to the
/// hook; see [`testing::capture_unhandled`](crate::testing::capture_unhandled).
pub(crate) fn capture(body: impl FnOnce()) -> Vec<UnhandledError> {
    let mut capture = Capture::start();
    body();
    capture.end()
}

/// Collects this thread's unhandled-error reports instead of sending them to the hook, from
/// [`start`](Self::start) until [`end`](Self::end). Captures nest: a report goes to the
/// innermost one open, and each ends on its own, whatever the order (a guard can be dropped
/// out of order). Dropped before `end` (say, while a panic unwinds), it ends and discards
/// what it collected. It is `!Send`: it belongs to the thread it collects for.
pub(crate) struct Capture {
    id: u64,
    thread_bound: PhantomData<Rc<()>>,
}

impl Capture {
    pub(crate) fn start() -> Self {
        let id = NEXT_CAPTURE_ID.with(|next| next.replace(next.get() + 1));
        CAPTURES.with(|captures| {
            captures.borrow_mut().push(OpenCapture {
                id,
                reports: Vec::new(),
            })
        });
        Capture {
            id,
            thread_bound: PhantomData,
        }
    }

    /// Ends the capture and gives what it collected; after that, nothing more.
    pub(crate) fn end(&mut self) -> Vec<UnhandledError> {
        let ended = CAPTURES.try_with(|captures| {
            let mut captures = captures.borrow_mut();
            let position = captures.iter().position(|open| open.id == self.id)?;
            Some(captures.remove(position))
        });
        // Returned out of the borrow: dropping a report's failure may report again.
        ended
            .ok()
            .flatten()
            .map(|open| open.reports)
            .unwrap_or_default()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        drop(self.end());
    }
}

impl fmt::Debug for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capture").field("id", &self.id).finish()
    }
}
