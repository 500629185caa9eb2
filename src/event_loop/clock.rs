//! `TokioClock`: real time for Deferreds, from the runtime the loop thread runs.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::time::{Clock, DelayedCall, TimerQueue};

/// A [`Clock`] on the tokio runtime: each call sleeps in a local task on the loop thread and
/// runs there when due, so [`defer_later`](crate::defer_later),
/// [`add_timeout`](crate::add_timeout) and anything else written against [`Clock`] work in
/// real time. Twisted's reactor, as `IReactorTime`.
///
/// Time is tokio's ([`tokio::time::Instant`]), counted from the moment the clock was made, so
/// a runtime started with paused time (tokio's `test-util`) runs it deterministically.
/// Handles are cheap to clone and share one clock; scheduled calls belong to the loop, and
/// run even if every handle is gone by then (cancelling one then only drops its function).
///
/// ```
/// use std::time::Duration;
/// use deferreds::{add_timeout, defer_later, react, Failure, TimeoutError, TokioClock};
///
/// let outcome = react(|| {
///     let clock = TokioClock::new();
///     let slow = defer_later(&clock, Duration::from_secs(60), || Ok("too late"));
///     add_timeout(slow, Duration::from_millis(20), &clock).add_errback(|failure: Failure| {
///         failure.trap::<TimeoutError>()?;
///         Ok("timed out")
///     })
/// });
/// assert_eq!(outcome.unwrap(), "timed out");
/// ```
///
/// Scheduling a call needs a [`LocalSet`](tokio::task::LocalSet) on this thread (one runs
/// inside [`react`](crate::react)): like `tokio::task::spawn_local`, [`call_later`]
/// panics outside one.
///
/// [`call_later`]: Clock::call_later
#[derive(Clone, Default)]
pub struct TokioClock {
    timers: Rc<Timers>,
}

/// The tasks sleeping until their call is due, by call: a moved call gets a new task, a
/// cancelled one has its task aborted.
struct Timers {
    origin: Instant,
    sleeping: RefCell<HashMap<DelayedCall, AbortHandle>>,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            origin: Instant::now(),
            sleeping: RefCell::default(),
        }
    }
}

impl TokioClock {
    /// A clock whose time starts at zero now.
    ///
    /// ```
    /// use deferreds::{Clock, TokioClock};
    ///
    /// let clock = TokioClock::new();
    /// assert!(clock.seconds() < std::time::Duration::from_secs(1));
    /// assert_eq!(clock.pending_calls(), 0);
    /// ```
    pub fn new() -> Self {
        TokioClock::default()
    }

    /// How many calls are scheduled and have neither run nor been cancelled.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{react, Clock, Deferred, TokioClock};
    ///
    /// react(|| {
    ///     let clock = TokioClock::new();
    ///     let call = clock.call_later(Duration::from_secs(5), Box::new(|| ()));
    ///     assert_eq!(clock.pending_calls(), 1);
    ///     call.cancel().unwrap();
    ///     assert_eq!(clock.pending_calls(), 0);
    ///     Deferred::succeed(())
    /// })
    /// .unwrap();
    /// ```
    pub fn pending_calls(&self) -> usize {
        self.timers.sleeping.borrow().len()
    }
}

impl Clock for TokioClock {
    fn seconds(&self) -> Duration {
        self.timers.seconds()
    }

    fn call_later(&self, delay: Duration, f: Box<dyn FnOnce()>) -> DelayedCall {
        let queue: Weak<dyn TimerQueue> = Rc::downgrade(&self.timers) as _;
        let call = DelayedCall::new(self.timers.seconds().saturating_add(delay), f, queue);
        self.timers.sleep_until_due(&call);
        call
    }
}

impl Timers {
    fn seconds(&self) -> Duration {
        Instant::now().saturating_duration_since(self.origin)
    }

    /// Starts the task that runs `call` at its time, in place of any earlier one.
    fn sleep_until_due(&self, call: &DelayedCall) {
        // A time too far off for `Instant` to hold is as good as never.
        let due = self
            .origin
            .checked_add(call.time())
            .unwrap_or_else(far_future);
        let task = tokio::task::spawn_local({
            let call = call.clone();
            async move {
                tokio::time::sleep_until(due).await;
                let _ = call.run();
            }
        });
        let earlier = self
            .sleeping
            .borrow_mut()
            .insert(call.clone(), task.abort_handle());
        if let Some(earlier) = earlier {
            earlier.abort();
        }
    }
}

/// About thirty years from now: what tokio itself uses for "never".
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86400 * 365 * 30)
}

impl TimerQueue for Timers {
    fn seconds(&self) -> Duration {
        Timers::seconds(self)
    }

    fn moved(&self, call: &DelayedCall) {
        self.sleep_until_due(call);
    }

    fn done(&self, call: &DelayedCall) {
        let task = self.sleeping.borrow_mut().remove(call);
        // A call being run is done from inside its own task, which must finish.
        if let (Some(task), true) = (task, call.is_cancelled()) {
            task.abort();
        }
    }
}

impl fmt::Debug for TokioClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioClock")
            .field("seconds", &self.seconds())
            .field("pending_calls", &self.pending_calls())
            .finish()
    }
}
