//! `TokioClock`: real time for Deferreds, from the runtime the loop thread runs.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::future::{poll_fn, Future};
use std::rc::{Rc, Weak};
use std::task::{Poll, Waker};
use std::time::Duration;

use tokio::time::Instant;

use crate::time::{Clock, DelayedCall, TimerQueue};

/// A [`Clock`] on the tokio runtime: each call sleeps in a local task on the loop thread and
/// runs there when due, so [`defer_later`](crate::defer_later),
/// [`add_timeout`](crate::add_timeout) and anything else written against [`Clock`] work in
/// real time. Twisted's reactor, as `IReactorTime`.
///
/// Time is tokio's ([`tokio::time::Instant`]), counted from the moment the clock was made, so
/// a runtime started with paused time (tokio's `test-util`) runs it deterministically.
/// Handles are cheap to clone and share one clock. [`reset`](DelayedCall::reset) and
/// [`delay`](DelayedCall::delay) move the call's sleeping timer; cancelling wakes its task
/// to end.
///
/// # The loop owns the calls
///
/// A scheduled call, and everything its function owns, belongs to its task, which belongs
/// to the loop (the [`LocalSet`](tokio::task::LocalSet)); the clock itself keeps none of
/// them. So a call runs even if every handle is gone by then (cancelling it then only
/// drops its function), and a call may own its clock (to schedule again, or as part of an
/// [`#[inline_callbacks]`](crate::inline_callbacks) body sleeping on it) without keeping
/// itself alive: when the loop ends (when [`react`](crate::react) returns), its pending
/// calls are dropped unrun, with what they own (a [`defer_later`](crate::defer_later)
/// Deferred then fails with [`AbandonedError`](crate::AbandonedError)). No reference cycle
/// forms through the clock; one through the loop remains possible only if a call owns the
/// `LocalSet` itself, as with any task.
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
/// [`call_later`]: TokioClock::call_later
#[derive(Clone, Default)]
pub struct TokioClock {
    timers: Rc<Timers>,
}

/// The clock's side: its origin, and the active calls by [`DelayedCall::id`], with the
/// waker of the task sleeping for each (once it has slept), to wake it when its call moves
/// or is cancelled. Never the calls themselves: their tasks own them.
struct Timers {
    origin: Instant,
    sleeping: RefCell<HashMap<usize, Option<Waker>>>,
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

    /// How many calls are scheduled and have neither run nor been cancelled (nor been
    /// dropped with the loop that was to run them).
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{react, Deferred, TokioClock};
    ///
    /// react(|| {
    ///     let clock = TokioClock::new();
    ///     let call = clock.call_later(Duration::from_secs(5), || ());
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

    /// Schedules `f` to run `delay` from now on the loop thread, and gives the handle to
    /// cancel or move it: [`ClockExt::call_later`](crate::ClockExt::call_later), without the
    /// import. Panics outside a [`LocalSet`](tokio::task::LocalSet), as `spawn_local` does.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{react, Deferred, TokioClock};
    ///
    /// let woke = react(|| {
    ///     let clock = TokioClock::new();
    ///     let (d, resolver) = Deferred::new();
    ///     clock.call_later(Duration::from_millis(5), move || resolver.callback("woke"));
    ///     d
    /// });
    /// assert_eq!(woke.unwrap(), "woke");
    /// ```
    pub fn call_later(&self, delay: Duration, f: impl FnOnce() + 'static) -> DelayedCall {
        self.call_later_boxed(delay, Box::new(f))
    }
}

impl Clock for TokioClock {
    fn seconds(&self) -> Duration {
        self.timers.seconds()
    }

    fn call_later_boxed(&self, delay: Duration, f: Box<dyn FnOnce()>) -> DelayedCall {
        let queue: Weak<dyn TimerQueue> = Rc::downgrade(&self.timers) as _;
        let call = DelayedCall::new(self.timers.seconds().saturating_add(delay), f, queue);
        tokio::task::spawn_local(sleep_then_run(Sleeper {
            timers: Rc::downgrade(&self.timers),
            origin: self.timers.origin,
            call: call.clone(),
        }));
        self.timers.sleeping.borrow_mut().insert(call.id(), None);
        call
    }
}

impl Timers {
    fn seconds(&self) -> Duration {
        Instant::now().saturating_duration_since(self.origin)
    }
}

/// What a call's task owns: the call, and the way back to its clock.
struct Sleeper {
    timers: Weak<Timers>,
    origin: Instant,
    call: DelayedCall,
}

impl Sleeper {
    /// When the call is due now (it may have moved since the last look). A time too far off
    /// for `Instant` to hold is as good as never.
    fn due(&self) -> Instant {
        self.origin
            .checked_add(self.call.time())
            .unwrap_or_else(far_future)
    }

    /// Tells the clock which task to wake when the call moves or is cancelled.
    fn register(&self, waker: &Waker) {
        let Some(timers) = self.timers.upgrade() else {
            return;
        };
        let mut sleeping = timers.sleeping.borrow_mut();
        if let Some(slot) = sleeping.get_mut(&self.call.id()) {
            if !slot.as_ref().is_some_and(|known| known.will_wake(waker)) {
                *slot = Some(waker.clone());
            }
        }
    }
}

/// A task dropped unrun (the loop ended) takes its call off the clock's books, before the
/// call goes (after, another call could get its id).
impl Drop for Sleeper {
    fn drop(&mut self) {
        if let Some(timers) = self.timers.upgrade() {
            let waker = timers.sleeping.borrow_mut().remove(&self.call.id());
            drop((timers, waker));
        }
    }
}

/// A call's task: sleeps until the call is due, following it when it moves, then runs it;
/// ends early if it is cancelled. One timer for the call's whole life, reset in place.
async fn sleep_then_run(sleeper: Sleeper) {
    let mut sleep = std::pin::pin!(tokio::time::sleep_until(sleeper.due()));
    let due = poll_fn(|cx| {
        if !sleeper.call.active() {
            return Poll::Ready(false);
        }
        let due = sleeper.due();
        if sleep.deadline() != due {
            sleep.as_mut().reset(due);
        }
        sleeper.register(cx.waker());
        sleep.as_mut().poll(cx).map(|()| true)
    })
    .await;
    if due {
        let _ = sleeper.call.run();
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
        // A task that has not slept yet reads the new time when it first does. (Waking only
        // queues the task: nothing runs under the borrow.)
        if let Some(Some(waker)) = self.sleeping.borrow().get(&call.id()) {
            waker.wake_by_ref();
        }
    }

    fn done(&self, call: &DelayedCall) {
        let waker = self.sleeping.borrow_mut().remove(&call.id()).flatten();
        // A call being run is done from inside its own task, which is finishing; a cancelled
        // one's task is woken to end, dropping its share of the call.
        if let (Some(waker), true) = (waker, call.is_cancelled()) {
            waker.wake();
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
