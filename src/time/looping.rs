//! `LoopingCall`: a function run again and again on a clock, one interval apart.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::call::{CallInner, DelayedCall};
use super::Clock;
use crate::deferred::controller::Controller;
use crate::deferred::output::CallbackOutput;
use crate::deferred::resolver::Resolver;
use crate::deferred::Deferred;
use crate::errors::CancelledError;
use crate::failure::Failure;
use crate::guard::dispose;
use crate::maybe::maybe_deferred;

/// [`LoopingCall::start`] was called on a loop that was started before. A `LoopingCall`
/// runs one loop; make a new one to loop again.
///
/// ```
/// use std::time::Duration;
/// use deferreds::{AlreadyStartedError, LoopingCall, TestClock};
///
/// let clock = TestClock::new();
/// let heartbeat = LoopingCall::new(&clock, || Ok(()));
/// let _stopped = heartbeat.start(Duration::from_secs(1), true).unwrap();
/// assert_eq!(heartbeat.start(Duration::from_secs(1), true).unwrap_err(), AlreadyStartedError);
/// # heartbeat.stop().unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, thiserror::Error)]
#[error("the LoopingCall was already started: it runs one loop, make a new one to loop again")]
pub struct AlreadyStartedError;

/// [`LoopingCall::stop`], [`reset`](LoopingCall::reset) or
/// [`set_interval`](LoopingCall::set_interval) was called on a loop that is not running: not
/// started yet, stopped already, or failed.
///
/// ```
/// use deferreds::{LoopingCall, NotRunningError, TestClock};
///
/// let heartbeat = LoopingCall::new(&TestClock::new(), || Ok(()));
/// assert_eq!(heartbeat.stop(), Err(NotRunningError));
/// assert_eq!(NotRunningError.to_string(), "the LoopingCall is not running");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, thiserror::Error)]
#[error("the LoopingCall is not running")]
pub struct NotRunningError;

/// Calls a function every `interval` on a [`Clock`], until stopped or until the function
/// fails: Twisted's `task.LoopingCall`.
///
/// [`start`](Self::start) runs the function at once (or, with `now == false`, one interval
/// later), then at each multiple of the interval after the start. It gives a Deferred that
/// fires with `()` when [`stop`](Self::stop) ends the loop, and fails with the function's
/// failure if the function fails (Twisted's fires with the `LoopingCall` itself; here the
/// caller has the handle already).
///
/// - The function returns what a callback returns: `Ok(_)` (any value, ignored), `Err(_)`
///   (or uses `?`, or panics: a [`PanicError`](crate::PanicError)), or a `Deferred` to wait
///   for. While that Deferred has no result the function is not called again; once it
///   fires, the next run is at the next multiple of the interval that is still to come.
/// - Runs that fall due while the function is busy, or while the clock is late, are
///   skipped, never made up in a burst. [`with_count`](Self::with_count) tells the function
///   how many intervals have passed since its last run, skipped ones included.
/// - An interval of zero runs the function again as soon as the clock runs due calls (on a
///   [`TestClock`](crate::TestClock), within the same `advance`, until the loop stops).
/// - Handles are cheap to clone and share the loop, so the function may stop its own loop
///   (see the example). Stopping or failing ends the loop for good and drops the function,
///   so a function that holds its own `LoopingCall` does not keep itself alive. Misuse
///   (starting twice, stopping a loop that is not running) gives an error, never a panic.
/// - Cancelling the Deferred from `start` stops the loop too: the next run is cancelled,
///   or the Deferred the function returned is, and the loop's Deferred fails with
///   [`CancelledError`].
/// - A running loop is kept by its clock: dropping every handle does not stop it. Until it
///   is stopped, the loop and the clock keep each other alive.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use deferreds::{testing, Clock, LoopingCall, TestClock};
///
/// let clock = TestClock::new();
/// let ticks = Rc::new(RefCell::new(Vec::new()));
/// let tick = LoopingCall::new(&clock, {
///     let (clock, ticks) = (clock.clone(), ticks.clone());
///     move || {
///         ticks.borrow_mut().push(clock.seconds().as_secs());
///         Ok(())
///     }
/// });
/// let stopped = tick.start(Duration::from_secs(10), true).unwrap();
/// clock.pump(&[Duration::from_secs(5); 5]);
/// assert_eq!(*ticks.borrow(), [0, 10, 20]);
///
/// tick.stop().unwrap();
/// testing::success_result_of(stopped);
/// assert_eq!(clock.pending_calls(), 0);
/// ```
///
/// A function that stops its own loop holds a handle to it, put in place once it is made:
///
/// ```
/// use std::cell::{Cell, OnceCell};
/// use std::rc::Rc;
/// use std::time::Duration;
/// use deferreds::{testing, LoopingCall, TestClock};
///
/// let clock = TestClock::new();
/// let handle: Rc<OnceCell<LoopingCall>> = Rc::default();
/// let runs = Rc::new(Cell::new(0));
/// let countdown = LoopingCall::new(&clock, {
///     let (handle, runs) = (handle.clone(), runs.clone());
///     move || {
///         runs.set(runs.get() + 1);
///         if runs.get() == 3 {
///             handle.get().map(LoopingCall::stop);
///         }
///         Ok(())
///     }
/// });
/// let _ = handle.set(countdown.clone());
/// let done = countdown.start(Duration::from_secs(1), true).unwrap();
/// clock.pump(&[Duration::from_secs(1); 5]);
/// testing::success_result_of(done);
/// assert_eq!(runs.get(), 3);
/// ```
#[derive(Clone)]
pub struct LoopingCall {
    shared: Rc<Shared>,
}

/// The function, type-erased: called with the count of intervals, it gives its outcome.
type Body = Box<dyn FnMut(u64) -> Deferred<()>>;

struct Shared {
    clock: Box<dyn Clock>,
    /// Taken out while it runs (it never runs twice at once), and dropped when the loop ends.
    body: Cell<Option<Body>>,
    /// Made by `with_count`: work out the count, and skip a run that has nothing to count.
    counts: bool,
    /// Only ever borrowed briefly, never while user code runs.
    phase: RefCell<Phase>,
    /// Fires the Deferred `start` gave; present from `start` until the loop ends.
    resolver: Cell<Option<Resolver<()>>>,
    interval: Cell<Option<Duration>>,
    /// When the loop started (or was last reset): runs fall on multiples of the interval
    /// after it.
    started_at: Cell<Duration>,
    /// Did `start` run the function at once? Counts one interval more for the first run.
    ran_at_start: Cell<bool>,
    /// When the counting function last ran.
    last_counted: Cell<Option<Duration>>,
}

/// Where the loop is; `running()` is `Scheduled`, or `Running` and not `stopping`.
enum Phase {
    /// Made, not started yet.
    Unstarted,
    /// The next run is on the clock. Weak: the clock owns the call, whose function owns this.
    Scheduled(Weak<CallInner>),
    /// The function is running, or the Deferred it returned (`awaiting`) has no result yet.
    /// `stopping`: `stop` was called meanwhile; the loop ends when the function is done.
    Running {
        awaiting: Option<Controller>,
        stopping: bool,
    },
    /// Stopped, failed or cancelled: the loop's Deferred has fired and the function is gone.
    Finished,
}

impl LoopingCall {
    /// A loop of `f` on `clock`, not started yet. `f` returns `Ok(_)` to go on (the value is
    /// ignored), `Err(_)` to end the loop with that failure, or a `Deferred` to wait for
    /// before the next run.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{defer_later, testing, LoopingCall, TestClock};
    ///
    /// let clock = TestClock::new();
    /// // Each run takes 3s, longer than the 2s interval: the run due at 2s is skipped.
    /// let slow = LoopingCall::new(&clock, {
    ///     let clock = clock.clone();
    ///     move || defer_later(&clock, Duration::from_secs(3), || Ok(()))
    /// });
    /// let stopped = slow.start(Duration::from_secs(2), true).unwrap();
    /// clock.advance(Duration::from_secs(3)); // the first run is done; next at 4s
    /// assert_eq!(clock.delayed_calls()[0].time(), Duration::from_secs(4));
    /// slow.stop().unwrap();
    /// testing::success_result_of(stopped);
    /// ```
    pub fn new<C, F, R>(clock: &C, mut f: F) -> Self
    where
        C: Clock + Clone + 'static,
        F: FnMut() -> R + 'static,
        R: CallbackOutput,
    {
        LoopingCall::with_body(clock, false, Box::new(move |_| outcome(&mut f)))
    }

    /// A loop of `f` that is told, at each run, how many intervals have passed since its
    /// last run: 1 when it runs on time, more when runs were skipped because the clock was
    /// late or the Deferred `f` returned took longer than an interval. Twisted's
    /// `LoopingCall.withCount`. The counts add up to the number of intervals elapsed; with an
    /// interval of zero the count is always 1.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use deferreds::{Clock, LoopingCall, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let frames = Rc::new(RefCell::new(Vec::new()));
    /// let animate = LoopingCall::with_count(&clock, {
    ///     let (clock, frames) = (clock.clone(), frames.clone());
    ///     move |count| {
    ///         frames.borrow_mut().push((clock.seconds().as_secs(), count));
    ///         Ok(())
    ///     }
    /// });
    /// let _stopped = animate.start(Duration::from_secs(1), false).unwrap();
    /// clock.advance(Duration::from_millis(3500)); // late: three frames are due at once
    /// clock.advance(Duration::from_millis(500));
    /// assert_eq!(*frames.borrow(), [(3, 3), (4, 1)]);
    /// # animate.stop().unwrap();
    /// ```
    pub fn with_count<C, F, R>(clock: &C, mut f: F) -> Self
    where
        C: Clock + Clone + 'static,
        F: FnMut(u64) -> R + 'static,
        R: CallbackOutput,
    {
        LoopingCall::with_body(clock, true, Box::new(move |count| outcome(|| f(count))))
    }

    fn with_body<C: Clock + Clone + 'static>(clock: &C, counts: bool, body: Body) -> Self {
        LoopingCall {
            shared: Rc::new(Shared {
                clock: Box::new(clock.clone()),
                body: Cell::new(Some(body)),
                counts,
                phase: RefCell::new(Phase::Unstarted),
                resolver: Cell::new(None),
                interval: Cell::new(None),
                started_at: Cell::new(Duration::ZERO),
                ran_at_start: Cell::new(false),
                last_counted: Cell::new(None),
            }),
        }
    }

    /// Starts the loop: runs the function now if `now`, else one `interval` from now, and
    /// then at each multiple of `interval` after this moment. An interval of zero runs it as
    /// often as the clock runs due calls.
    ///
    /// The Deferred fires with `()` once [`stop`](Self::stop) has ended the loop (after the
    /// Deferred the function returned, if it is waiting on one), and fails with the failure
    /// of the function or of its Deferred; it may have failed already, if the first run
    /// failed. Cancelling it stops the loop (see the type's docs).
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{testing, Failure, LoopingCall, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let failing = LoopingCall::new(&clock, || -> Result<(), Failure> {
    ///     Err(Failure::msg("disk full"))
    /// });
    /// let ended = failing.start(Duration::from_secs(1), true).unwrap();
    /// assert_eq!(testing::failure_result_of(ended).error_message(), "disk full");
    /// assert!(!failing.running());
    /// ```
    pub fn start(
        &self,
        interval: Duration,
        now: bool,
    ) -> Result<Deferred<()>, AlreadyStartedError> {
        let shared = &self.shared;
        if !matches!(*shared.phase.borrow(), Phase::Unstarted) {
            return Err(AlreadyStartedError);
        }
        // Weak: the loop keeps the resolver, whose chain keeps this canceller.
        let weak = Rc::downgrade(shared);
        let (stopped, resolver) = Deferred::with_stopper(move |cancelled| {
            if let Some(shared) = weak.upgrade() {
                shared.cancel(cancelled);
            }
        });
        shared.resolver.set(Some(resolver));
        shared.interval.set(Some(interval));
        let started_at = shared.clock.seconds();
        shared.started_at.set(started_at);
        shared.ran_at_start.set(now);
        if now {
            shared.run_now();
        } else {
            shared.schedule_from(started_at);
        }
        Ok(stopped)
    }

    /// Stops the loop. If the next run is on the clock, it is cancelled and the loop's
    /// Deferred fires now; if the function is running, or its Deferred has no result yet,
    /// the loop's Deferred fires when it has (or fails, if it fails). Twisted's
    /// `LoopingCall.stop`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{testing, Deferred, LoopingCall, NotRunningError, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let (busy, finish) = Deferred::<()>::new();
    /// let busy = std::cell::Cell::new(Some(busy));
    /// let work = LoopingCall::new(&clock, move || busy.take().unwrap_or(Deferred::succeed(())));
    /// let stopped = work.start(Duration::from_secs(1), true).unwrap();
    /// work.stop().unwrap(); // the first run is still busy
    /// assert_eq!(work.stop(), Err(NotRunningError));
    /// testing::assert_no_result(&stopped);
    /// finish.callback(());
    /// testing::success_result_of(stopped);
    /// ```
    pub fn stop(&self) -> Result<(), NotRunningError> {
        let shared = &self.shared;
        let call = match &mut *shared.phase.borrow_mut() {
            Phase::Running { stopping, .. } if !*stopping => {
                *stopping = true;
                return Ok(());
            }
            Phase::Scheduled(call) => call.clone(),
            _ => return Err(NotRunningError),
        };
        DelayedCall::cancel_weak(&call);
        shared.finish(Ok(()));
        Ok(())
    }

    /// Skips the next run and counts the intervals afresh from now: the next run is one
    /// interval from now. While the function (or its Deferred) is busy there is no next run
    /// on the clock, and this does nothing. Twisted's `LoopingCall.reset`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{LoopingCall, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let poll = LoopingCall::new(&clock, || Ok(()));
    /// let _stopped = poll.start(Duration::from_secs(2), false).unwrap();
    /// clock.advance(Duration::from_secs(1));
    /// poll.reset().unwrap(); // due at 3s instead of 2s
    /// assert_eq!(clock.delayed_calls()[0].time(), Duration::from_secs(3));
    /// # poll.stop().unwrap();
    /// ```
    pub fn reset(&self) -> Result<(), NotRunningError> {
        let shared = &self.shared;
        let call = match &*shared.phase.borrow() {
            Phase::Scheduled(call) => call.clone(),
            Phase::Running {
                stopping: false, ..
            } => return Ok(()),
            _ => return Err(NotRunningError),
        };
        DelayedCall::cancel_weak(&call);
        let now = shared.clock.seconds();
        shared.started_at.set(now);
        shared.schedule_from(now);
        Ok(())
    }

    /// Is the loop running: started, and neither stopped nor failed? True while the
    /// function runs; false as soon as [`stop`](Self::stop) is called, even if the loop
    /// still waits for the function's Deferred, and by the time the loop's Deferred fires.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{LoopingCall, TestClock};
    ///
    /// let idle = LoopingCall::new(&TestClock::new(), || Ok(()));
    /// assert!(!idle.running());
    /// let _stopped = idle.start(Duration::from_secs(1), true).unwrap();
    /// assert!(idle.running());
    /// idle.stop().unwrap();
    /// assert!(!idle.running());
    /// ```
    pub fn running(&self) -> bool {
        matches!(
            *self.shared.phase.borrow(),
            Phase::Scheduled(_)
                | Phase::Running {
                    stopping: false,
                    ..
                }
        )
    }

    /// The interval between runs: `None` until the loop is started.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{LoopingCall, TestClock};
    ///
    /// let poll = LoopingCall::new(&TestClock::new(), || Ok(()));
    /// assert_eq!(poll.interval(), None);
    /// let _stopped = poll.start(Duration::from_millis(250), true).unwrap();
    /// assert_eq!(poll.interval(), Some(Duration::from_millis(250)));
    /// # poll.stop().unwrap();
    /// ```
    pub fn interval(&self) -> Option<Duration> {
        self.shared.interval.get()
    }

    /// Changes the interval of the running loop. The run already on the clock keeps its
    /// time; the ones after it, and the counts of [`with_count`](Self::with_count), follow
    /// the new interval, still counted from the start. Twisted's assignment to
    /// `LoopingCall.interval`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{LoopingCall, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let poll = LoopingCall::new(&clock, || Ok(()));
    /// let _stopped = poll.start(Duration::from_secs(1), true).unwrap();
    /// poll.set_interval(Duration::from_secs(5)).unwrap();
    /// clock.advance(Duration::from_secs(1)); // the run due at 1s; the next one at 5s
    /// assert_eq!(clock.delayed_calls()[0].time(), Duration::from_secs(5));
    /// # poll.stop().unwrap();
    /// ```
    pub fn set_interval(&self, interval: Duration) -> Result<(), NotRunningError> {
        if !self.running() {
            return Err(NotRunningError);
        }
        self.shared.interval.set(Some(interval));
        Ok(())
    }
}

/// The function's outcome as a Deferred of `()`, a panic included.
fn outcome<R: CallbackOutput>(f: impl FnOnce() -> R) -> Deferred<()> {
    maybe_deferred(f).add_callback(|_| Ok(()))
}

/// Nanoseconds, signed: times before the start count negative intervals. A `Duration`'s
/// nanoseconds (under 2^94) always fit.
fn nanos(time: Duration) -> i128 {
    time.as_nanos() as i128
}

/// The `Duration` of `nanos` nanoseconds, for `0 <= nanos` below some `Duration`'s.
fn duration_of(nanos: i128) -> Duration {
    const PER_SECOND: i128 = 1_000_000_000;
    let secs = u64::try_from(nanos / PER_SECOND).unwrap_or(u64::MAX);
    let subsec = u32::try_from(nanos % PER_SECOND).unwrap_or(0);
    Duration::new(secs, subsec)
}

impl Shared {
    /// One run of the function.
    fn run_now(self: &Rc<Self>) {
        drop(self.phase.replace(Phase::Running {
            awaiting: None,
            stopping: false,
        }));
        let output = match self.count() {
            Some(count) => self.call_body(count),
            None => Deferred::succeed(()),
        };
        match output.take_result() {
            Ok(result) => self.ran(result),
            Err(mut pending) => {
                let controller = pending.controller();
                let awaited = match &mut *self.phase.borrow_mut() {
                    Phase::Running { awaiting, .. } => {
                        *awaiting = Some(controller);
                        true
                    }
                    _ => false,
                };
                if !awaited {
                    // The function cancelled its own loop: its work goes too.
                    pending.cancel();
                }
                let shared = self.clone();
                // The outcome is the loop's: a failure goes on to the loop's Deferred.
                drop(pending.add_both(move |result| {
                    shared.ran(result);
                    Ok(())
                }));
            }
        }
    }

    fn call_body(&self, count: u64) -> Deferred<()> {
        // Each run puts the function back before the next one can start.
        let Some(mut body) = self.body.take() else {
            return Deferred::succeed(());
        };
        let output = body(count);
        let finished = matches!(*self.phase.borrow(), Phase::Finished);
        if finished {
            // The function ended its loop by cancelling it: it is not needed any more.
            dispose(body);
        } else {
            self.body.set(Some(body));
        }
        output
    }

    /// The function (or its Deferred) is done with `result`: go on, or end the loop.
    fn ran(self: &Rc<Self>, result: Result<(), Failure>) {
        let (awaited, stopping) = match &mut *self.phase.borrow_mut() {
            Phase::Running { awaiting, stopping } => (awaiting.take(), *stopping),
            // Cancelled meanwhile: the loop's Deferred has failed already.
            _ => return,
        };
        drop(awaited);
        match result {
            Err(failure) => self.finish(Err(failure)),
            Ok(()) if stopping => self.finish(Ok(())),
            Ok(()) => self.schedule_from(self.clock.seconds()),
        }
    }

    /// Ends the loop: drops the function, then fires the loop's Deferred.
    fn finish(&self, result: Result<(), Failure>) {
        drop(self.phase.replace(Phase::Finished));
        let resolver = self.resolver.take();
        dispose(self.body.take());
        if let Some(resolver) = resolver {
            resolver.resolve(result);
        }
    }

    /// The loop's Deferred is being cancelled: end the loop and cancel what it waits for.
    fn cancel(&self, cancelled: Resolver<()>) {
        let phase = self.phase.replace(Phase::Finished);
        let ours = self.resolver.take();
        match phase {
            Phase::Scheduled(call) => DelayedCall::cancel_weak(&call),
            // Its outcome is ignored now that the loop is finished.
            Phase::Running {
                awaiting: Some(work),
                ..
            } => work.cancel(),
            _ => {}
        }
        dispose(self.body.take());
        // Fail the Deferred before dropping its resolver, which would count as abandoning it.
        cancelled.errback(Failure::of_library(CancelledError));
        drop(ours);
    }

    /// Puts the next run on the clock: at the next multiple of the interval after the start
    /// that is still to come, as seen from `when`.
    fn schedule_from(self: &Rc<Self>, when: Duration) {
        let interval = self.interval.get().unwrap_or_default();
        let delay = if interval.is_zero() {
            Duration::ZERO
        } else {
            let into_interval = nanos(when.saturating_sub(self.started_at.get())) % nanos(interval);
            interval.saturating_sub(duration_of(into_interval))
        };
        let shared = self.clone();
        let call = self.clock.call_later(delay, move || shared.run_now());
        drop(self.phase.replace(Phase::Scheduled(call.downgrade())));
    }

    /// The count to call the function with, or `None` to skip this run (a counting
    /// function with no whole interval since its last run).
    fn count(&self) -> Option<u64> {
        if !self.counts {
            return Some(1);
        }
        let now = self.clock.seconds();
        let interval = nanos(self.interval.get().unwrap_or_default());
        if interval == 0 {
            self.last_counted.set(Some(now));
            return Some(1);
        }
        let start = nanos(self.started_at.get());
        let last = match self.last_counted.get() {
            Some(last) => nanos(last),
            // The first run counts from the start, or from one interval before a run at once.
            None if self.ran_at_start.get() => start - interval,
            None => start,
        };
        // Whole intervals since the start, rounded toward zero as Twisted's are.
        let intervals_at = |time: i128| (time - start) / interval;
        let count = intervals_at(nanos(now)) - intervals_at(last);
        if count <= 0 {
            return None;
        }
        self.last_counted.set(Some(now));
        Some(u64::try_from(count).unwrap_or(u64::MAX))
    }
}

/// Shows whether the loop runs and its interval.
///
/// ```
/// use std::time::Duration;
/// use deferreds::{LoopingCall, TestClock};
///
/// let poll = LoopingCall::new(&TestClock::new(), || Ok(()));
/// let _stopped = poll.start(Duration::from_secs(1), true).unwrap();
/// assert_eq!(format!("{poll:?}"), "LoopingCall { running: true, interval: Some(1s) }");
/// # poll.stop().unwrap();
/// ```
impl fmt::Debug for LoopingCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopingCall")
            .field("running", &self.running())
            .field("interval", &self.interval())
            .finish()
    }
}
