//! `DelayedCall`: the handle of a scheduled call, and what a clock implements to keep them.

use std::cell::Cell;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::{Rc, Weak};
use std::time::Duration;

use crate::guard::dispose;

/// Why a [`DelayedCall`] cannot be cancelled, moved or run: it already ran, or it was
/// cancelled (Twisted's `AlreadyCalled` and `AlreadyCancelled`).
///
/// ```
/// use std::time::Duration;
/// use deferreds::{DelayedCallError, TestClock};
///
/// let clock = TestClock::new();
/// let call = clock.call_later(Duration::from_secs(1), || ());
/// call.cancel().unwrap();
/// assert_eq!(call.cancel(), Err(DelayedCallError::AlreadyCancelled));
/// assert_eq!(call.cancel().unwrap_err().to_string(), "the delayed call was already cancelled");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DelayedCallError {
    /// The call has run (or is running now).
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{DelayedCallError, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let call = clock.call_later(Duration::ZERO, || ());
    /// clock.advance(Duration::ZERO);
    /// assert_eq!(call.reset(Duration::from_secs(1)), Err(DelayedCallError::AlreadyCalled));
    /// ```
    #[error("the delayed call was already called")]
    AlreadyCalled,
    /// The call was cancelled.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{DelayedCallError, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let call = clock.call_later(Duration::from_secs(1), || ());
    /// call.cancel().unwrap();
    /// assert_eq!(call.delay(Duration::from_secs(1)), Err(DelayedCallError::AlreadyCancelled));
    /// ```
    #[error("the delayed call was already cancelled")]
    AlreadyCancelled,
}

/// The clock side of a [`DelayedCall`]: what a [`Clock`](crate::Clock) implementation gives
/// its calls so they can tell it the time, and that they were moved or are done.
///
/// Only clock implementations need this trait. A clock makes each call with
/// [`DelayedCall::new`], handing it a `Weak` reference to its queue, arranges to
/// [`run`](DelayedCall::run) it at [`time`](DelayedCall::time), and hears back through
/// [`moved`](Self::moved) and [`done`](Self::done). The call itself keeps its state (time,
/// called, cancelled) and its function, and drops the function as soon as it is cancelled.
///
/// A clock that runs every call at once, the next time it is asked to:
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use deferreds::{Clock, DelayedCall, TimerQueue};
///
/// #[derive(Default)]
/// struct Queue { calls: RefCell<Vec<DelayedCall>> }
///
/// impl TimerQueue for Queue {
///     fn seconds(&self) -> Duration { Duration::ZERO }
///     fn moved(&self, _call: &DelayedCall) {} // run_all looks at every call anyway
///     fn done(&self, call: &DelayedCall) {
///         self.calls.borrow_mut().retain(|other| other != call);
///     }
/// }
///
/// #[derive(Clone, Default)]
/// struct EagerClock(Rc<Queue>);
///
/// impl Clock for EagerClock {
///     fn seconds(&self) -> Duration { Duration::ZERO }
///     fn call_later_boxed(&self, delay: Duration, f: Box<dyn FnOnce()>) -> DelayedCall {
///         let queue: std::rc::Weak<dyn TimerQueue> = Rc::downgrade(&self.0) as _;
///         let call = DelayedCall::new(delay, f, queue);
///         self.0.calls.borrow_mut().push(call.clone());
///         call
///     }
/// }
///
/// impl EagerClock {
///     fn run_all(&self) {
///         // Never hold the borrow while a call runs: calls schedule and cancel calls.
///         loop {
///             let next = self.0.calls.borrow().first().cloned();
///             match next {
///                 Some(call) => call.run().unwrap(), // `done` removes it
///                 None => break,
///             }
///         }
///     }
/// }
///
/// let clock = EagerClock::default();
/// let d = deferreds::defer_later(&clock, Duration::from_secs(3600), || Ok("now"));
/// clock.run_all();
/// assert_eq!(deferreds::testing::success_result_of(d), "now");
/// ```
pub trait TimerQueue {
    /// The clock's current time, which [`DelayedCall::reset`] counts from.
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// use std::time::Duration;
    /// use deferreds::{DelayedCall, TimerQueue};
    ///
    /// struct StoppedAtTen;
    /// impl TimerQueue for StoppedAtTen {
    ///     fn seconds(&self) -> Duration { Duration::from_secs(10) }
    ///     fn moved(&self, _call: &DelayedCall) {}
    ///     fn done(&self, _call: &DelayedCall) {}
    /// }
    /// let queue = Rc::new(StoppedAtTen);
    /// let weak: Weak<dyn TimerQueue> = Rc::downgrade(&queue) as _;
    /// let call = DelayedCall::new(Duration::from_secs(12), Box::new(|| ()), weak);
    /// call.reset(Duration::from_secs(5)).unwrap();
    /// assert_eq!(call.time(), Duration::from_secs(15));
    /// ```
    fn seconds(&self) -> std::time::Duration;

    /// `call` has a new [`time`](DelayedCall::time), by [`reset`](DelayedCall::reset) or
    /// [`delay`](DelayedCall::delay): run it then instead. It is still active.
    ///
    /// ```
    /// use deferreds::{DelayedCall, TimerQueue};
    /// struct Log;
    /// impl TimerQueue for Log {
    ///     fn seconds(&self) -> std::time::Duration { std::time::Duration::ZERO }
    ///     fn moved(&self, call: &DelayedCall) { println!("now due at {:?}", call.time()) }
    ///     fn done(&self, _call: &DelayedCall) {}
    /// }
    /// let queue = std::rc::Rc::new(Log);
    /// let weak: std::rc::Weak<dyn TimerQueue> = std::rc::Rc::downgrade(&queue) as _;
    /// let call = DelayedCall::new(std::time::Duration::ZERO, Box::new(|| ()), weak);
    /// call.delay(std::time::Duration::from_secs(1)).unwrap(); // prints "now due at 1s"
    /// ```
    fn moved(&self, call: &DelayedCall);

    /// `call` will not need running any more: it was cancelled, or it is being
    /// [`run`](DelayedCall::run) (this is called just before its function). Look at
    /// [`is_cancelled`](DelayedCall::is_cancelled) to tell which.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use deferreds::{DelayedCall, TimerQueue};
    /// #[derive(Default)]
    /// struct Count { cancelled: Cell<u32> }
    /// impl TimerQueue for Count {
    ///     fn seconds(&self) -> std::time::Duration { std::time::Duration::ZERO }
    ///     fn moved(&self, _call: &DelayedCall) {}
    ///     fn done(&self, call: &DelayedCall) {
    ///         if call.is_cancelled() { self.cancelled.set(self.cancelled.get() + 1) }
    ///     }
    /// }
    /// let queue = std::rc::Rc::new(Count::default());
    /// let weak: std::rc::Weak<dyn TimerQueue> = std::rc::Rc::downgrade(&queue) as _;
    /// let call = DelayedCall::new(std::time::Duration::ZERO, Box::new(|| ()), weak);
    /// call.cancel().unwrap();
    /// assert_eq!(queue.cancelled.get(), 1);
    /// ```
    fn done(&self, call: &DelayedCall);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    Pending,
    Called,
    Cancelled,
}

pub(super) struct CallInner {
    time: Cell<Duration>,
    state: Cell<CallState>,
    func: Cell<Option<Box<dyn FnOnce()>>>,
    queue: Weak<dyn TimerQueue>,
    /// Where the test clock keeps this call in its running order (its own bookkeeping).
    place: Cell<Place>,
}

/// A call dropped unrun (its clock gone, or its last handle dropped) drops its function: a
/// `Drop` that panics is reported, not unwound through whoever dropped the call.
impl Drop for CallInner {
    fn drop(&mut self) {
        dispose(self.func.take());
    }
}

/// Where a [`TestClock`](crate::TestClock) keeps a call: its key in the clock's running
/// order as of the clock's last sort, and whether it was moved since (and awaits the next).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Place {
    /// The time the call had at the clock's last sort; its `rank` orders it among ties.
    pub(super) time: Duration,
    pub(super) rank: i64,
    pub(super) moved: bool,
}

/// A call scheduled by [`call_later`](crate::ClockExt::call_later): the handle that
/// [`cancel`](Self::cancel)s it, moves it ([`reset`](Self::reset), [`delay`](Self::delay)),
/// and tells whether it is still [`active`](Self::active). Twisted's `IDelayedCall`.
///
/// Handles are cheap to clone and all refer to the same call; two handles are equal when
/// they refer to the same call. A call runs at most once; cancelling it drops its function
/// at once. Cancelling or moving a call that has run (even from inside its own function)
/// gives [`DelayedCallError::AlreadyCalled`]; one that was cancelled,
/// [`DelayedCallError::AlreadyCancelled`].
///
/// ```
/// use std::time::Duration;
/// use deferreds::{DelayedCallError, TestClock};
///
/// let clock = TestClock::new();
/// let call = clock.call_later(Duration::from_secs(2), || println!("ding"));
/// assert!(call.active());
/// call.delay(Duration::from_secs(1)).unwrap(); // now due at 3s
/// clock.advance(Duration::from_secs(2));
/// assert!(call.active());
/// clock.advance(Duration::from_secs(1)); // prints "ding"
/// assert!(!call.active() && call.is_called());
/// assert_eq!(call.cancel(), Err(DelayedCallError::AlreadyCalled));
/// ```
#[derive(Clone)]
pub struct DelayedCall {
    pub(super) inner: Rc<CallInner>,
}

impl DelayedCall {
    /// A new, active call of `f` at `time` (on its clock's timeline), kept by `queue`: for
    /// [`Clock`](crate::Clock) implementations (code that schedules uses
    /// [`call_later`](crate::ClockExt::call_later)). The queue is not told of the new
    /// call; the clock that makes it schedules it. See [`TimerQueue`].
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// use std::time::Duration;
    /// use deferreds::{DelayedCall, TimerQueue};
    ///
    /// struct Never;
    /// impl TimerQueue for Never {
    ///     fn seconds(&self) -> Duration { Duration::ZERO }
    ///     fn moved(&self, _: &DelayedCall) {}
    ///     fn done(&self, _: &DelayedCall) {}
    /// }
    /// let queue = Rc::new(Never);
    /// let weak: Weak<dyn TimerQueue> = Rc::downgrade(&queue) as _;
    /// let call = DelayedCall::new(Duration::from_secs(5), Box::new(|| ()), weak);
    /// assert_eq!(call.time(), Duration::from_secs(5));
    /// assert!(call.active());
    /// ```
    pub fn new(time: Duration, f: Box<dyn FnOnce()>, queue: Weak<dyn TimerQueue>) -> Self {
        DelayedCall {
            inner: Rc::new(CallInner {
                time: Cell::new(time),
                state: Cell::new(CallState::Pending),
                func: Cell::new(Some(f)),
                queue,
                place: Cell::new(Place::default()),
            }),
        }
    }

    /// When the call is (or was) due, on its clock's timeline: Twisted's `getTime`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::TestClock;
    ///
    /// let clock = TestClock::new();
    /// clock.advance(Duration::from_secs(10));
    /// let call = clock.call_later(Duration::from_secs(5), || ());
    /// assert_eq!(call.time(), Duration::from_secs(15));
    /// ```
    pub fn time(&self) -> Duration {
        self.inner.time.get()
    }

    /// Is the call still waiting to run: neither run nor cancelled?
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::TestClock;
    ///
    /// let clock = TestClock::new();
    /// let call = clock.call_later(Duration::from_secs(1), || ());
    /// assert!(call.active());
    /// call.cancel().unwrap();
    /// assert!(!call.active());
    /// ```
    pub fn active(&self) -> bool {
        self.inner.state.get() == CallState::Pending
    }

    /// Has the call run, or is it running now? A call is marked called just before its
    /// function runs.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::TestClock;
    ///
    /// let clock = TestClock::new();
    /// let call = clock.call_later(Duration::from_secs(1), || ());
    /// clock.advance(Duration::from_secs(1));
    /// assert!(call.is_called());
    /// ```
    pub fn is_called(&self) -> bool {
        self.inner.state.get() == CallState::Called
    }

    /// Was the call cancelled?
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::TestClock;
    ///
    /// let clock = TestClock::new();
    /// let call = clock.call_later(Duration::from_secs(1), || ());
    /// call.cancel().unwrap();
    /// assert!(call.is_cancelled() && !call.is_called());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.inner.state.get() == CallState::Cancelled
    }

    fn check_active(&self) -> Result<(), DelayedCallError> {
        match self.inner.state.get() {
            CallState::Pending => Ok(()),
            CallState::Called => Err(DelayedCallError::AlreadyCalled),
            CallState::Cancelled => Err(DelayedCallError::AlreadyCancelled),
        }
    }

    /// Cancels the call: its function will not run, and is dropped now.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{DelayedCallError, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let call = clock.call_later(Duration::from_secs(1), || panic!("not run"));
    /// assert_eq!(call.cancel(), Ok(()));
    /// assert_eq!(clock.pending_calls(), 0);
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(call.cancel(), Err(DelayedCallError::AlreadyCancelled));
    /// ```
    pub fn cancel(&self) -> Result<(), DelayedCallError> {
        let func = self.cancel_keeping_function()?;
        // Dropped last, with no borrow held: it may own anything, Deferreds included.
        dispose(func);
        Ok(())
    }

    /// Cancels the call and hands back its function (unrun) for the caller to drop when it
    /// suits: a function that owns a `Resolver` must outlive the cancel of its Deferred.
    pub(super) fn cancel_keeping_function(
        &self,
    ) -> Result<Option<Box<dyn FnOnce()>>, DelayedCallError> {
        self.check_active()?;
        self.inner.state.set(CallState::Cancelled);
        let func = self.inner.func.take();
        if let Some(queue) = self.inner.queue.upgrade() {
            queue.done(self);
        }
        Ok(func)
    }

    /// Moves the call to `delay` from now (from its clock's
    /// [`seconds`](crate::Clock::seconds)). Where it runs among calls due at the same time
    /// is the clock's to say ([`TestClock`](crate::TestClock) keeps Twisted's order). A call
    /// whose clock is gone can never run, and resetting it leaves its time as it was.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::TestClock;
    ///
    /// let clock = TestClock::new();
    /// let call = clock.call_later(Duration::from_secs(10), || ());
    /// clock.advance(Duration::from_secs(4));
    /// call.reset(Duration::from_secs(1)).unwrap(); // due at 5s instead of 10s
    /// assert_eq!(call.time(), Duration::from_secs(5));
    /// clock.advance(Duration::from_secs(1));
    /// assert!(call.is_called());
    /// ```
    pub fn reset(&self, delay: Duration) -> Result<(), DelayedCallError> {
        self.check_active()?;
        if let Some(queue) = self.inner.queue.upgrade() {
            self.inner.time.set(queue.seconds().saturating_add(delay));
            queue.moved(self);
        }
        Ok(())
    }

    /// Moves the call `by` later than it was due. (Twisted's `delay` also takes negative
    /// amounts; to move a call earlier, [`reset`](Self::reset) it.)
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::TestClock;
    ///
    /// let clock = TestClock::new();
    /// let call = clock.call_later(Duration::from_secs(1), || ());
    /// call.delay(Duration::from_secs(2)).unwrap();
    /// assert_eq!(call.time(), Duration::from_secs(3));
    /// clock.advance(Duration::from_secs(2));
    /// assert!(call.active());
    /// ```
    pub fn delay(&self, by: Duration) -> Result<(), DelayedCallError> {
        self.check_active()?;
        self.inner.time.set(self.time().saturating_add(by));
        if let Some(queue) = self.inner.queue.upgrade() {
            queue.moved(self);
        }
        Ok(())
    }

    /// Runs the call now: marks it called, tells its queue it is [`done`](TimerQueue::done),
    /// then calls its function. For [`Clock`](crate::Clock) implementations, when the call is
    /// due; a panic in the function propagates to the caller.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{DelayedCallError, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let call = clock.call_later(Duration::from_secs(60), || println!("early"));
    /// call.run().unwrap(); // prints "early"
    /// assert_eq!(clock.pending_calls(), 0);
    /// assert_eq!(call.run(), Err(DelayedCallError::AlreadyCalled));
    /// ```
    pub fn run(&self) -> Result<(), DelayedCallError> {
        self.check_active()?;
        self.inner.state.set(CallState::Called);
        let func = self.inner.func.take();
        if let Some(queue) = self.inner.queue.upgrade() {
            queue.done(self);
        }
        if let Some(func) = func {
            func();
        }
        Ok(())
    }

    pub(super) fn place(&self) -> Place {
        self.inner.place.get()
    }

    pub(super) fn set_place(&self, place: Place) {
        self.inner.place.set(place);
    }

    /// A number that tells this call from every other one alive: for a clock to key its
    /// bookkeeping by call without holding the call (which would keep its function alive).
    /// Another call may get the same number once this one is gone.
    #[cfg(feature = "tokio")]
    pub(crate) fn id(&self) -> usize {
        Rc::as_ptr(&self.inner) as *const () as usize
    }

    pub(super) fn downgrade(&self) -> Weak<CallInner> {
        Rc::downgrade(&self.inner)
    }

    pub(super) fn upgrade(weak: &Weak<CallInner>) -> Option<DelayedCall> {
        weak.upgrade().map(|inner| DelayedCall { inner })
    }

    /// Cancels the call `weak` points to, if it is still there and active: for a timer held
    /// weakly (its clock owns the call, whose function owns the timer's holder).
    pub(super) fn cancel_weak(weak: &Weak<CallInner>) {
        if let Some(call) = DelayedCall::upgrade(weak) {
            let _ = call.cancel(); // run or cancelled already: nothing left to cancel
        }
    }
}

impl PartialEq for DelayedCall {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for DelayedCall {}

/// Hashes the call's identity, as equality compares it: a clock may key its tasks by call.
///
/// ```
/// use std::collections::HashSet;
/// use std::time::Duration;
/// use deferreds::TestClock;
///
/// let clock = TestClock::new();
/// let call = clock.call_later(Duration::from_secs(1), || ());
/// let set: HashSet<_> = [call.clone(), call].into_iter().collect();
/// assert_eq!(set.len(), 1);
/// ```
impl Hash for DelayedCall {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Rc::as_ptr(&self.inner).hash(state);
    }
}

/// Shows the time and the state, as Twisted's repr does.
///
/// ```
/// use std::time::Duration;
/// use deferreds::TestClock;
///
/// let clock = TestClock::new();
/// let call = clock.call_later(Duration::from_millis(1500), || ());
/// assert_eq!(format!("{call:?}"), "DelayedCall { time: 1.5s, active }");
/// ```
impl fmt::Debug for DelayedCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.inner.state.get() {
            CallState::Pending => "active",
            CallState::Called => "called",
            CallState::Cancelled => "cancelled",
        };
        write!(f, "DelayedCall {{ time: {:?}, {state} }}", self.time())
    }
}
