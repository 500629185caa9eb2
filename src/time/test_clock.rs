//! `TestClock`: time that moves only when a test says so.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::call::{DelayedCall, Place, TimerQueue};
use super::Clock;

/// A manual [`Clock`] for tests: time stands still until [`advance`](Self::advance) moves it,
/// running every call that comes due. Twisted's `task.Clock`.
///
/// Clones share the same time and calls, so a test keeps one clone and hands others to the
/// code under test. Nothing here reads the system's time.
///
/// - [`advance`](Self::advance) runs the calls due, earliest first. As in Twisted, the
///   clock moves to its new time first: calls run with [`seconds`](Clock::seconds) at the
///   end of the advance, and a call scheduled meanwhile that is due by then runs in the same
///   advance.
/// - Calls due at the same time run in Twisted's order. Twisted keeps its calls in a list
///   that it sorts by time, with a stable sort, whenever a call is scheduled and before each
///   call an advance runs; [`reset`](DelayedCall::reset) and [`delay`](DelayedCall::delay)
///   change a call's time but not its place in the list. So ties run in the order they were
///   scheduled, and a moved call keeps its place among them, even when it is reset to the
///   time it already had, unless a sort happened while its time differed from theirs: a call
///   moved later (or earlier) than others and sorted there goes behind (or ahead of) them,
///   and stays so if it is moved back into a tie. [`delayed_calls`](Self::delayed_calls)
///   gives the order the calls will run in.
/// - A call is marked called before its function runs, so cancelling it from inside gives
///   [`AlreadyCalled`](crate::DelayedCallError::AlreadyCalled).
/// - Functions run with no borrow of the clock held: they may schedule, cancel and move
///   calls, or advance the clock again. A panic in one propagates out of `advance`, and
///   leaves the clock consistent (that call has run; the others are still due).
/// - The calls are kept in an ordered map, so a hundred thousand timers are cheap, moving a
///   call costs nothing until the next sort, and running them takes no stack.
///
/// # Who keeps the calls alive
///
/// The pending calls, and everything their functions own, live as long as an *owning*
/// handle: the one [`new`](Self::new) gives, and its clones. When the last owning handle
/// is dropped, the pending calls are dropped unrun (a [`defer_later`](crate::defer_later)
/// Deferred then fails with [`AbandonedError`](crate::AbandonedError)). A call that needs
/// its own clock (to read the time, to schedule again, to sleep in an
/// [`#[inline_callbacks]`](crate::inline_callbacks) body it resumes) should capture a
/// [`weak`](Self::weak) handle, which works exactly like the owning one while the clock
/// lives but does not keep it alive.
///
/// A reference cycle, and so a leak, forms only when a pending call owns an owning handle
/// (or something that holds one: an `Rc<dyn Clock>` of it, a struct or a generator that keeps
/// one): the calls then keep the clock alive, and the clock keeps the calls. The cycle
/// lasts until that call runs or is cancelled; a call that schedules itself again with that
/// handle keeps it for ever.
///
/// ```
/// use std::time::Duration;
/// use deferreds::{defer_later, testing, Clock, TestClock};
///
/// let clock = TestClock::new();
/// let d = defer_later(&clock, Duration::from_secs(3), || Ok("rang"));
/// clock.pump(&[Duration::from_secs(1); 2]);
/// testing::assert_no_result(&d);
/// assert_eq!(clock.pending_calls(), 1);
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(testing::success_result_of(d), "rang");
/// assert_eq!(clock.seconds(), Duration::from_secs(3));
/// ```
#[derive(Clone)]
pub struct TestClock {
    /// The time, which every handle can read, even once the calls are gone.
    now: Rc<Cell<Duration>>,
    calls: Calls,
}

#[derive(Clone)]
enum Calls {
    /// An owning handle: keeps the calls alive.
    Owning(Rc<ClockState>),
    /// A weak handle: reaches the calls while an owning handle keeps them.
    Weak(Weak<ClockState>),
}

struct ClockState {
    now: Rc<Cell<Duration>>,
    /// The active calls in running order as of the last sort: by time, then rank. A call
    /// moved since is still at its old key, and listed in `moved`.
    order: RefCell<BTreeMap<(Duration, i64), DelayedCall>>,
    /// Calls moved since the last sort, for the next one to place (some may have run or
    /// been cancelled since).
    moved: RefCell<Vec<DelayedCall>>,
}

/// A call's key in the running order.
fn key(place: Place) -> (Duration, i64) {
    (place.time, place.rank)
}

impl ClockState {
    fn new(now: Rc<Cell<Duration>>) -> Self {
        ClockState {
            now,
            order: RefCell::default(),
            moved: RefCell::default(),
        }
    }

    /// Twisted's sort of its list of calls: by time, stable. The calls that kept their
    /// time are in order already; each moved one goes where a stable sort puts it, among
    /// the calls due at its new time, by where it stood before (its old key).
    fn sort(&self) {
        let mut moved = self.moved.take();
        if moved.is_empty() {
            return;
        }
        moved.retain(DelayedCall::active);
        moved.sort_by_key(|call| key(call.place()));
        let mut order = self.order.borrow_mut();
        for call in &moved {
            order.remove(&key(call.place()));
        }
        let place = |order: &mut BTreeMap<_, _>, call: &DelayedCall, rank: i64| {
            let time = call.time();
            call.set_place(Place {
                time,
                rank,
                moved: false,
            });
            order.insert((time, rank), call.clone());
        };
        // Back at their time: their old key is still free, and still right.
        for call in moved.iter().filter(|call| call.place().time == call.time()) {
            place(&mut order, call, call.place().rank);
        }
        // From an earlier time: ahead of every call that was at the new time already, the
        // latest of them placed first so that each one goes in front of those after it.
        for call in moved.iter().rev().filter(|c| c.place().time < c.time()) {
            let rank = first_rank(&order, call.time()).map_or(0, |rank| rank.saturating_sub(1));
            place(&mut order, call, rank);
        }
        // From a later time: behind them, in their old order.
        for call in moved.iter().filter(|call| call.place().time > call.time()) {
            let rank = next_rank(&order, call.time());
            place(&mut order, call, rank);
        }
        drop(order);
        // Keep the list's room for the next moves (nothing ran meanwhile to add any).
        moved.clear();
        *self.moved.borrow_mut() = moved;
    }

    /// Schedules a new call: behind every call due at its time.
    fn schedule(&self, call: &DelayedCall) {
        self.sort();
        let mut order = self.order.borrow_mut();
        let (time, rank) = (call.time(), next_rank(&order, call.time()));
        call.set_place(Place {
            time,
            rank,
            moved: false,
        });
        order.insert((time, rank), call.clone());
    }

    /// The first call in running order if it is due by `now`, taken out of the order.
    fn pop_due(&self, now: Duration) -> Option<DelayedCall> {
        self.sort();
        let mut order = self.order.borrow_mut();
        let entry = order.first_entry()?;
        match entry.key().0 <= now {
            true => Some(entry.remove()),
            false => None,
        }
    }
}

/// The rank of the first call due at `time`, if any.
fn first_rank(order: &BTreeMap<(Duration, i64), DelayedCall>, time: Duration) -> Option<i64> {
    let mut at_time = order.range((time, i64::MIN)..=(time, i64::MAX));
    at_time.next().map(|(&(_, rank), _)| rank)
}

/// The rank that goes behind every call due at `time`.
fn next_rank(order: &BTreeMap<(Duration, i64), DelayedCall>, time: Duration) -> i64 {
    let mut at_time = order.range((time, i64::MIN)..=(time, i64::MAX));
    at_time
        .next_back()
        .map_or(0, |(&(_, rank), _)| rank.saturating_add(1))
}

impl TimerQueue for ClockState {
    fn seconds(&self) -> Duration {
        self.now.get()
    }

    fn moved(&self, call: &DelayedCall) {
        let place = call.place();
        if !place.moved {
            call.set_place(Place {
                moved: true,
                ..place
            });
            self.moved.borrow_mut().push(call.clone());
        }
    }

    fn done(&self, call: &DelayedCall) {
        let removed = {
            let mut order = self.order.borrow_mut();
            let key = key(call.place());
            match order.get(&key) == Some(call) {
                true => order.remove(&key),
                false => None, // taken out already, to be run
            }
        };
        // Outside the borrow, though it is not the call's last handle: the caller has one.
        drop(removed);
    }
}

impl Default for TestClock {
    fn default() -> Self {
        let now = Rc::new(Cell::new(Duration::ZERO));
        TestClock {
            calls: Calls::Owning(Rc::new(ClockState::new(now.clone()))),
            now,
        }
    }
}

impl TestClock {
    /// A clock at time zero, with no calls.
    ///
    /// ```
    /// use deferreds::{Clock, TestClock};
    /// let clock = TestClock::new();
    /// assert_eq!(clock.seconds(), std::time::Duration::ZERO);
    /// assert_eq!(clock.pending_calls(), 0);
    /// ```
    pub fn new() -> Self {
        TestClock::default()
    }

    /// Moves the clock `by` forward and runs every call due by then, earliest first (ties
    /// in scheduling order), including calls scheduled meanwhile that are due already.
    /// `advance(Duration::ZERO)` runs the calls due now, such as those scheduled with no
    /// delay.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use deferreds::TestClock;
    ///
    /// let clock = TestClock::new();
    /// let log = Rc::new(RefCell::new(Vec::new()));
    /// let (inner_clock, inner_log) = (clock.clone(), log.clone());
    /// clock.call_later(Duration::from_secs(1), move || {
    ///     inner_log.borrow_mut().push("first");
    ///     let log = inner_log.clone();
    ///     // Due at once (the clock is at 5s already): runs in this same advance.
    ///     inner_clock.call_later(Duration::ZERO, move || log.borrow_mut().push("then"));
    /// });
    /// clock.advance(Duration::from_secs(5));
    /// assert_eq!(*log.borrow(), ["first", "then"]);
    /// ```
    pub fn advance(&self, by: Duration) {
        self.now.set(self.now.get().saturating_add(by));
        // Held for the whole advance: a call may drop the last owning handle.
        let Some(state) = self.state() else { return };
        // Read the time afresh each turn: a call may advance the clock itself.
        while let Some(call) = state.pop_due(self.now.get()) {
            let _ = call.run();
        }
    }

    /// Advances the clock by each of `timings` in turn, running the calls due after each
    /// step: Twisted's `Clock.pump`.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use deferreds::{Clock, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let seen = Rc::new(RefCell::new(Vec::new()));
    /// for secs in [1, 3] {
    ///     let (clock2, seen) = (clock.clone(), seen.clone());
    ///     clock.call_later(Duration::from_secs(secs), move || {
    ///         seen.borrow_mut().push(clock2.seconds().as_secs());
    ///     });
    /// }
    /// clock.pump(&[Duration::from_secs(1); 4]);
    /// assert_eq!(*seen.borrow(), [1, 3]); // each ran at the end of its own step
    /// assert_eq!(clock.seconds(), Duration::from_secs(4));
    /// ```
    pub fn pump(&self, timings: &[Duration]) {
        for &step in timings {
            self.advance(step);
        }
    }

    /// How many calls are scheduled and still active (neither run nor cancelled).
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::TestClock;
    ///
    /// let clock = TestClock::new();
    /// let a = clock.call_later(Duration::from_secs(1), || ());
    /// clock.call_later(Duration::from_secs(2), || ());
    /// assert_eq!(clock.pending_calls(), 2);
    /// a.cancel().unwrap();
    /// assert_eq!(clock.pending_calls(), 1);
    /// clock.advance(Duration::from_secs(2));
    /// assert_eq!(clock.pending_calls(), 0);
    /// ```
    pub fn pending_calls(&self) -> usize {
        self.state().map_or(0, |state| state.order.borrow().len())
    }

    /// The active calls, in the order they will run: Twisted's `getDelayedCalls` (which
    /// gives them in that order once its list is sorted).
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::TestClock;
    ///
    /// let clock = TestClock::new();
    /// let late = clock.call_later(Duration::from_secs(9), || ());
    /// let soon = clock.call_later(Duration::from_secs(1), || ());
    /// assert_eq!(clock.delayed_calls(), [soon.clone(), late]);
    /// soon.cancel().unwrap();
    /// assert_eq!(clock.delayed_calls().len(), 1);
    /// ```
    pub fn delayed_calls(&self) -> Vec<DelayedCall> {
        let Some(state) = self.state() else {
            return Vec::new();
        };
        let mut calls: Vec<DelayedCall> = state.order.borrow().values().cloned().collect();
        // What the next sort will make of it, without sorting (a sort here would change
        // where later moves put these calls, as an extra sort would in Twisted).
        calls.sort_by_key(|call| (call.time(), key(call.place())));
        calls
    }

    /// A handle to this clock that does not keep its calls alive: the one for a call (or
    /// anything a call owns) to capture. While an owning handle lives it works exactly like
    /// one; once the last is gone the pending calls are dropped, and a weak handle still
    /// tells and moves the time, but its calls never run and it has none pending.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use deferreds::TestClock;
    ///
    /// /// Ticks every second, for as long as the clock lives.
    /// fn tick(clock: TestClock, ticks: Rc<Cell<u32>>) {
    ///     let again = clock.clone();
    ///     clock.call_later(Duration::from_secs(1), move || {
    ///         ticks.set(ticks.get() + 1);
    ///         tick(again, ticks);
    ///     });
    /// }
    ///
    /// let clock = TestClock::new();
    /// let ticks = Rc::new(Cell::new(0));
    /// tick(clock.weak(), ticks.clone());
    /// clock.pump(&[Duration::from_secs(1); 3]);
    /// assert_eq!(ticks.get(), 3);
    /// drop(clock); // the pending tick goes, and with it its share of `ticks`
    /// assert_eq!(Rc::strong_count(&ticks), 1);
    /// ```
    pub fn weak(&self) -> TestClock {
        let state = match &self.calls {
            Calls::Owning(state) => Rc::downgrade(state),
            Calls::Weak(state) => state.clone(),
        };
        TestClock {
            now: self.now.clone(),
            calls: Calls::Weak(state),
        }
    }

    /// Schedules `f` at `seconds() + delay` (saturating at `Duration::MAX`), and gives the
    /// handle to cancel or move it: [`ClockExt::call_later`](crate::ClockExt::call_later),
    /// without the import. On a [`weak`](TestClock::weak) handle whose clock is gone, the
    /// call never runs.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::TestClock;
    /// let clock = TestClock::new();
    /// let call = clock.call_later(Duration::from_secs(2), || ());
    /// assert_eq!(call.time(), Duration::from_secs(2));
    /// ```
    pub fn call_later(&self, delay: Duration, f: impl FnOnce() + 'static) -> DelayedCall {
        self.call_later_boxed(delay, Box::new(f))
    }

    /// The calls, while an owning handle keeps them.
    fn state(&self) -> Option<Rc<ClockState>> {
        match &self.calls {
            Calls::Owning(state) => Some(state.clone()),
            Calls::Weak(state) => state.upgrade(),
        }
    }
}

impl Clock for TestClock {
    /// The clock's time: zero when made, moved only by [`advance`](TestClock::advance) and
    /// [`pump`](TestClock::pump).
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{Clock, TestClock};
    /// let clock = TestClock::new();
    /// clock.pump(&[Duration::from_millis(250); 4]);
    /// assert_eq!(clock.seconds(), Duration::from_secs(1));
    /// ```
    fn seconds(&self) -> Duration {
        self.now.get()
    }

    /// Schedules `f` at `seconds() + delay` (saturating at `Duration::MAX`). On a
    /// [`weak`](TestClock::weak) handle whose clock is gone, the call never runs.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{Clock, TestClock};
    /// let clock = TestClock::new();
    /// let call = clock.call_later_boxed(Duration::from_secs(2), Box::new(|| ()));
    /// assert_eq!(call.time(), Duration::from_secs(2));
    /// ```
    fn call_later_boxed(&self, delay: Duration, f: Box<dyn FnOnce()>) -> DelayedCall {
        let time = self.seconds().saturating_add(delay);
        let Some(state) = self.state() else {
            return DelayedCall::new(time, f, Weak::<ClockState>::new());
        };
        let queue: Weak<ClockState> = Rc::downgrade(&state);
        let call = DelayedCall::new(time, f, queue);
        state.schedule(&call);
        call
    }
}

/// Shows the time and the number of active calls.
///
/// ```
/// use std::time::Duration;
/// use deferreds::TestClock;
/// let clock = TestClock::new();
/// clock.call_later(Duration::from_secs(1), || ());
/// assert_eq!(format!("{clock:?}"), "TestClock { seconds: 0ns, pending_calls: 1 }");
/// ```
impl fmt::Debug for TestClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClock")
            .field("seconds", &self.seconds())
            .field("pending_calls", &self.pending_calls())
            .finish()
    }
}
