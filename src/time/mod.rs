//! Deterministic time: a [`Clock`] to schedule calls on, the manual [`TestClock`] that tests
//! move by hand (Twisted's `task.Clock`), and the two Deferred helpers built on any clock,
//! [`defer_later`] and [`add_timeout`].
//!
//! ```
//! use std::time::Duration;
//! use deferreds::{add_timeout, defer_later, testing, Clock, TestClock, TimeoutError};
//!
//! let clock = TestClock::new();
//! let slow = defer_later(&clock, Duration::from_secs(10), || Ok("finally"));
//! let slow = add_timeout(slow, Duration::from_secs(3), &clock);
//!
//! clock.advance(Duration::from_secs(2));
//! testing::assert_no_result(&slow);
//! clock.advance(Duration::from_secs(1)); // the timeout cancels the slow operation
//! assert!(testing::failure_result_of(slow).check::<TimeoutError>());
//! assert_eq!(clock.pending_calls(), 0); // and its timer went with it
//! assert_eq!(clock.seconds(), Duration::from_secs(3));
//! ```
//!
//! # Times are `Duration`s since the clock's origin
//!
//! Twisted measures time in `float` seconds. Here [`Clock::seconds`] is a
//! [`std::time::Duration`] since the clock's origin (zero for a new [`TestClock`]; `TokioClock`
//! counts from the moment it was made), and delays are `Duration`s too:
//!
//! - They are exact. A `Duration` counts whole nanoseconds, so advancing by 100 ms ten times
//!   reaches exactly one second, and two calls scheduled for the same moment really tie and
//!   run in the order they were scheduled. With floats, `0.1 + 0.2 != 0.3` decides which
//!   call runs first, and `NaN` has no place in a queue ordered by time.
//! - They are what the rest of Rust speaks: `std::thread::sleep`, `tokio::time::sleep` and
//!   `Instant` arithmetic all take or give `Duration`s, so a clock on a real runtime needs no
//!   conversion. [`Duration::from_secs_f64`](std::time::Duration::from_secs_f64) and
//!   [`as_secs_f64`](std::time::Duration::as_secs_f64) convert from and to Twisted's floats.
//! - They cannot be negative, as a delay cannot: Twisted checks for negative delays at run
//!   time, the type checks here. Moving a call earlier is done with
//!   [`reset`](DelayedCall::reset) rather than a negative [`delay`](DelayedCall::delay).
//!
//! # One thread, shared by `Rc`
//!
//! Like Deferreds, clocks are single-threaded: scheduled functions are
//! `FnOnce() + 'static` (not `Send`), and run on the thread that owns the clock. [`Clock`] is
//! object-safe, so code may take `&dyn Clock` or `Rc<dyn Clock>` and be handed the test clock
//! in tests and a runtime-backed one in production; the helpers take any `&C` where
//! `C: Clock + ?Sized`.
//!
//! A clock is made of two halves: the [`Clock`] trait that code schedules with, and the
//! [`TimerQueue`] trait through which a [`DelayedCall`] tells its clock that it was moved or
//! is done. [`TestClock`] implements both with an ordered map; `TokioClock` (feature
//! `tokio`) by spawning a local task per call that sleeps until [`DelayedCall::time`] and
//! then [`run`](DelayedCall::run)s the call, moving its one timer when
//! [`TimerQueue::moved`] reports a move, and ending when [`TimerQueue::done`] reports a
//! cancellation.
//!
//! # What keeps a call alive
//!
//! A pending call owns its function, and so whatever the function captured. Who owns the
//! pending calls decides whether a call that captures its own clock (to schedule again, or
//! an [`#[inline_callbacks]`](crate::inline_callbacks) body sleeping on it) is a reference
//! cycle: a `TokioClock`'s calls belong to the loop's tasks, and go when the loop ends; a
//! [`TestClock`]'s belong to its owning handles, and a call should capture a
//! [`weak`](TestClock::weak) one. Each clock's docs say exactly when a cycle can still form.

mod call;
mod later;
mod looping;
mod test_clock;

use std::rc::Rc;
use std::time::Duration;

pub use call::{DelayedCall, DelayedCallError, TimerQueue};
pub use later::{add_timeout, add_timeout_with, defer_later};
pub use looping::{AlreadyStartedError, LoopingCall, NotRunningError};
pub use test_clock::TestClock;

/// A source of time that runs functions later: Twisted's `IReactorTime`.
///
/// [`seconds`](Self::seconds) tells the time; `call_later(delay, move || ..)` schedules a
/// function and gives the [`DelayedCall`] that can cancel or move it. [`TestClock`] is the
/// manual implementation for tests. The trait is object-safe: take `&dyn Clock` (or a generic
/// `&C`) to let callers choose the clock.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use deferreds::{Clock, TestClock};
///
/// /// Code that needs time takes a clock instead of reading the system's.
/// fn remind(clock: &dyn Clock, after: Duration, reminded: Rc<Cell<bool>>) {
///     clock.call_later(after, move || reminded.set(true));
/// }
///
/// let clock = TestClock::new();
/// let reminded = Rc::new(Cell::new(false));
/// remind(&clock, Duration::from_secs(60), reminded.clone());
/// clock.advance(Duration::from_secs(59));
/// assert!(!reminded.get());
/// clock.advance(Duration::from_secs(1));
/// assert!(reminded.get());
/// ```
///
/// # Where `call_later` comes from
///
/// A method generic over the function cannot be called through `dyn Clock`, so the trait
/// itself schedules boxed functions ([`call_later_boxed`](Self::call_later_boxed), the one
/// method an implementor writes besides [`seconds`](Self::seconds)), and `call_later` boxes
/// the function for the caller. It is an inherent method of [`TestClock`], `TokioClock` and
/// `dyn Clock` (so `&dyn Clock`, `Rc<dyn Clock>` and `Box<dyn Clock>` have it with only
/// `Clock` imported), and [`ClockExt::call_later`] for every clock, which generic code
/// (`C: Clock + ?Sized`) and other implementations use by importing [`ClockExt`].
///
/// # Implementing a clock
///
/// Keep the scheduled [`DelayedCall`]s in order of [`time`](DelayedCall::time) (calls due
/// at the same time in the order they were scheduled), run each with
/// [`DelayedCall::run`] when due, and implement [`TimerQueue`] so that the calls tell the
/// clock when they move or are done. [`TimerQueue`]'s docs show a complete clock.
pub trait Clock {
    /// The current time, as a `Duration` since the clock's origin.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{Clock, TestClock};
    ///
    /// let clock = TestClock::new();
    /// assert_eq!(clock.seconds(), Duration::ZERO);
    /// clock.advance(Duration::from_millis(1500));
    /// assert_eq!(clock.seconds().as_secs_f64(), 1.5);
    /// ```
    fn seconds(&self) -> Duration;

    /// Schedules `f` to run `delay` from now, and gives the handle to cancel or move it:
    /// what `call_later` does, for a function already boxed. This is the method a clock
    /// implements; callers write `clock.call_later(delay, move || ..)`.
    ///
    /// Calls due at the same time run in the order they were scheduled. The function runs
    /// once at most, on the clock's thread.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use deferreds::{Clock, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let log = Rc::new(RefCell::new(Vec::new()));
    /// for (name, secs) in [("b", 2), ("a", 1), ("c", 2)] {
    ///     let log = log.clone();
    ///     clock.call_later_boxed(Duration::from_secs(secs), Box::new(move || log.borrow_mut().push(name)));
    /// }
    /// clock.advance(Duration::from_secs(2));
    /// assert_eq!(*log.borrow(), ["a", "b", "c"]);
    /// ```
    fn call_later_boxed(&self, delay: Duration, f: Box<dyn FnOnce()>) -> DelayedCall;
}

/// `call_later` for every [`Clock`], the sized and the unsized alike: import it where the
/// clock is a type parameter or a clock of your own. ([`TestClock`], `TokioClock` and
/// `dyn Clock` have `call_later` as an inherent method, which needs no import.)
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use deferreds::{Clock, ClockExt, TestClock};
///
/// /// Logs `name` after `delay`, on whatever clock it is given.
/// fn log_later<C: Clock + ?Sized>(clock: &C, delay: Duration, log: &Rc<RefCell<Vec<&'static str>>>, name: &'static str) {
///     let log = log.clone();
///     clock.call_later(delay, move || log.borrow_mut().push(name));
/// }
///
/// let clock = TestClock::new();
/// let log = Rc::new(RefCell::new(Vec::new()));
/// log_later(&clock, Duration::from_secs(2), &log, "b");
/// log_later(&clock as &dyn Clock, Duration::from_secs(1), &log, "a");
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(*log.borrow(), ["a", "b"]);
/// ```
pub trait ClockExt: Clock {
    /// Schedules `f` to run `delay` from now, and gives the handle to cancel or move it.
    ///
    /// Calls due at the same time run in the order they were scheduled. The function runs
    /// once at most, on the clock's thread.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use deferreds::{Clock, ClockExt, TestClock};
    ///
    /// fn schedule<C: Clock + ?Sized>(clock: &C, log: &Rc<RefCell<Vec<&'static str>>>) {
    ///     for (name, secs) in [("b", 2), ("a", 1), ("c", 2)] {
    ///         let log = log.clone();
    ///         clock.call_later(Duration::from_secs(secs), move || log.borrow_mut().push(name));
    ///     }
    /// }
    ///
    /// let clock = TestClock::new();
    /// let log = Rc::new(RefCell::new(Vec::new()));
    /// schedule(&clock, &log);
    /// clock.advance(Duration::from_secs(2));
    /// assert_eq!(*log.borrow(), ["a", "b", "c"]);
    /// ```
    fn call_later(&self, delay: Duration, f: impl FnOnce() + 'static) -> DelayedCall {
        self.call_later_boxed(delay, Box::new(f))
    }
}

impl<C: Clock + ?Sized> ClockExt for C {}

impl dyn Clock + '_ {
    /// [`ClockExt::call_later`], for a clock behind `&dyn Clock`, `Rc<dyn Clock>` or
    /// `Box<dyn Clock>` without importing [`ClockExt`].
    ///
    /// ```
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use deferreds::{Clock, TestClock};
    ///
    /// let test_clock = TestClock::new();
    /// let clock: Rc<dyn Clock> = Rc::new(test_clock.clone());
    /// let call = clock.call_later(Duration::from_secs(1), || ());
    /// assert_eq!(call.time(), Duration::from_secs(1));
    /// assert_eq!(test_clock.pending_calls(), 1);
    /// ```
    pub fn call_later(&self, delay: Duration, f: impl FnOnce() + 'static) -> DelayedCall {
        ClockExt::call_later(self, delay, f)
    }
}

/// A shared clock is a clock: `Rc<TestClock>` or `Rc<dyn Clock>` can be passed wherever a
/// clock is taken.
///
/// ```
/// use std::rc::Rc;
/// use std::time::Duration;
/// use deferreds::{defer_later, testing, Clock, TestClock};
///
/// let test_clock = TestClock::new();
/// let clock: Rc<dyn Clock> = Rc::new(test_clock.clone());
/// let d = defer_later(&clock, Duration::from_secs(1), || Ok(1));
/// test_clock.advance(Duration::from_secs(1));
/// assert_eq!(testing::success_result_of(d), 1);
/// assert_eq!(clock.seconds(), Duration::from_secs(1));
/// ```
impl<C: Clock + ?Sized> Clock for Rc<C> {
    fn seconds(&self) -> Duration {
        (**self).seconds()
    }

    fn call_later_boxed(&self, delay: Duration, f: Box<dyn FnOnce()>) -> DelayedCall {
        (**self).call_later_boxed(delay, f)
    }
}
