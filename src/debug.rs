//! The debugging switch: where Deferreds were created and fired.

use std::backtrace::Backtrace;
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

static DEBUGGING: AtomicBool = AtomicBool::new(false);

/// Turns debugging on or off for the whole process (Twisted's `setDebugging`).
///
/// While it is on, every Deferred records where it was created and where it was fired (the
/// caller's location and a full backtrace), and unhandled-error reports and `Debug` output
/// include both. It costs a backtrace capture per Deferred, so keep it for diagnosis. It may
/// be switched at any time: a Deferred records what it can while the switch is on.
///
/// ```
/// use deferreds::{set_debugging, Deferred};
///
/// set_debugging(true);
/// let (d, _resolver) = Deferred::<u8>::new();
/// assert!(format!("{d:?}").contains("created at"));
/// set_debugging(false);
/// ```
pub fn set_debugging(on: bool) {
    DEBUGGING.store(on, Ordering::Relaxed);
}

/// Is debugging on? (Twisted's `getDebugging`.)
///
/// ```
/// assert!(!deferreds::is_debugging());
/// ```
pub fn is_debugging() -> bool {
    DEBUGGING.load(Ordering::Relaxed)
}

/// One recorded place: the caller's location and the backtrace at that moment.
#[derive(Clone)]
pub(crate) struct Trace {
    location: &'static Location<'static>,
    backtrace: Arc<Backtrace>,
}

#[cfg(feature = "tracing")]
impl Trace {
    /// The caller's location.
    pub(crate) fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// The backtrace at that moment.
    pub(crate) fn backtrace(&self) -> &Backtrace {
        &self.backtrace
    }
}

/// A trace of the caller, if debugging is on.
#[track_caller]
pub(crate) fn trace_if_debugging() -> Option<Trace> {
    // Read here, not in a closure: only this function carries the caller's location.
    let location = Location::caller();
    is_debugging().then(|| Trace {
        location,
        backtrace: Arc::new(Backtrace::force_capture()),
    })
}

/// Where a Deferred was created and fired, as far as debugging was on to see it.
#[derive(Clone, Default)]
pub(crate) struct DebugInfo {
    pub(crate) created: Option<Trace>,
    pub(crate) fired: Option<Trace>,
}

impl DebugInfo {
    pub(crate) fn created_at(trace: Trace) -> Self {
        DebugInfo {
            created: Some(trace),
            fired: None,
        }
    }

    /// One line per recorded place, for `Debug` output.
    pub(crate) fn locations(&self) -> String {
        let mut text = String::new();
        if let Some(created) = &self.created {
            text += &format!(", created at {}", created.location);
        }
        if let Some(fired) = &self.fired {
            text += &format!(", fired at {}", fired.location);
        }
        text
    }
}

/// The full record with backtraces, for unhandled-error reports.
impl fmt::Display for DebugInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (what, trace) in [("created", &self.created), ("fired", &self.fired)] {
            if let Some(trace) = trace {
                writeln!(f, " {what} at {}:", trace.location)?;
                for line in trace.backtrace.to_string().lines() {
                    writeln!(f, "   {line}")?;
                }
            }
        }
        Ok(())
    }
}
