//! `TestClock`: time that moves only when a test says so.

use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::call::{DelayedCall, TimerQueue};
use super::Clock;

/// A manual [`Clock`] for tests: time stands still until [`advance`](Self::advance) moves it,
/// running every call that comes due. Twisted's `task.Clock`.
///
/// Clones share the same time and calls, so a test keeps one clone and hands others to the
/// code under test. Nothing here reads the system's time.
///
/// - [`advance`](Self::advance) runs the calls due, earliest first; calls due at the same
///   time run in the order they were scheduled (or last [`reset`](DelayedCall::reset)). As
///   in Twisted, the clock moves to its new time first: calls run with
///   [`seconds`](Clock::seconds) at the end of the advance, and a call scheduled meanwhile
///   that is due by then runs in the same advance.
/// - A call is marked called before its function runs, so cancelling it from inside gives
///   [`AlreadyCalled`](crate::DelayedCallError::AlreadyCalled).
/// - Functions run with no borrow of the clock held: they may schedule, cancel and move
///   calls, or advance the clock again. A panic in one propagates out of `advance`, and
///   leaves the clock consistent (that call has run; the others are still due).
/// - The calls are kept in a binary heap, cancelled and moved ones removed lazily, so a
///   hundred thousand timers are cheap, and running them takes no stack.
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
#[derive(Clone, Default)]
pub struct TestClock {
    state: Rc<ClockState>,
}

#[derive(Default)]
struct ClockState {
    now: Cell<Duration>,
    next_ticket: Cell<u64>,
    /// Active calls: scheduled, neither run nor cancelled.
    pending: Cell<usize>,
    /// Entries for calls, earliest first; some are stale (cancelled, run, or moved since).
    heap: RefCell<BinaryHeap<Entry>>,
}

struct Entry {
    time: Duration,
    ticket: u64,
    call: DelayedCall,
}

impl Entry {
    /// Is this the call's live entry: still active, and not moved since?
    fn is_live(&self) -> bool {
        self.call.active() && self.call.ticket() == self.ticket
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Reversed, so that the max-heap gives the earliest (time, ticket) first.
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.ticket).cmp(&(self.time, self.ticket))
    }
}

/// Below this size the heap is never compacted.
const COMPACT_MIN: usize = 64;

impl ClockState {
    /// Queues `call` at its time, behind the calls already queued for that time.
    fn schedule(&self, call: &DelayedCall) {
        let ticket = self.next_ticket.get();
        self.next_ticket.set(ticket + 1);
        call.set_ticket(ticket);
        let entry = Entry {
            time: call.time(),
            ticket,
            call: call.clone(),
        };
        self.heap.borrow_mut().push(entry);
        self.compact_if_sparse();
    }

    /// Drops the stale entries once they outnumber the live ones, so that resetting or
    /// cancelling calls over and over does not grow the heap without bound.
    fn compact_if_sparse(&self) {
        let stale = {
            let mut heap = self.heap.borrow_mut();
            if heap.len() < COMPACT_MIN || heap.len() <= 2 * self.pending.get() {
                return;
            }
            let (live, stale): (Vec<Entry>, Vec<Entry>) = std::mem::take(&mut *heap)
                .into_iter()
                .partition(Entry::is_live);
            *heap = BinaryHeap::from(live);
            stale
        };
        // Outside the borrow: dropping a call may drop what it owned.
        drop(stale);
    }

    /// The next entry due by `now`, taken off the heap.
    fn pop_due(&self, now: Duration) -> Option<Entry> {
        let mut heap = self.heap.borrow_mut();
        match heap.peek() {
            Some(entry) if entry.time <= now => heap.pop(),
            _ => None,
        }
    }
}

impl TimerQueue for ClockState {
    fn seconds(&self) -> Duration {
        self.now.get()
    }

    fn moved(&self, call: &DelayedCall) {
        self.schedule(call);
    }

    fn done(&self, _call: &DelayedCall) {
        self.pending.set(self.pending.get() - 1);
        self.compact_if_sparse();
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
    /// use deferreds::{Clock, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let log = Rc::new(RefCell::new(Vec::new()));
    /// let (inner_clock, inner_log) = (clock.clone(), log.clone());
    /// clock.call_later(Duration::from_secs(1), Box::new(move || {
    ///     inner_log.borrow_mut().push("first");
    ///     let log = inner_log.clone();
    ///     // Due at once (the clock is at 5s already): runs in this same advance.
    ///     inner_clock.call_later(Duration::ZERO, Box::new(move || log.borrow_mut().push("then")));
    /// }));
    /// clock.advance(Duration::from_secs(5));
    /// assert_eq!(*log.borrow(), ["first", "then"]);
    /// ```
    pub fn advance(&self, by: Duration) {
        let state = &self.state;
        state.now.set(state.now.get().saturating_add(by));
        // Read the time afresh each turn: a call may advance the clock itself.
        while let Some(entry) = state.pop_due(state.now.get()) {
            if entry.is_live() {
                let _ = entry.call.run();
            }
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
    ///     clock.call_later(Duration::from_secs(secs), Box::new(move || {
    ///         seen.borrow_mut().push(clock2.seconds().as_secs());
    ///     }));
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
    /// use deferreds::{Clock, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let a = clock.call_later(Duration::from_secs(1), Box::new(|| ()));
    /// clock.call_later(Duration::from_secs(2), Box::new(|| ()));
    /// assert_eq!(clock.pending_calls(), 2);
    /// a.cancel().unwrap();
    /// assert_eq!(clock.pending_calls(), 1);
    /// clock.advance(Duration::from_secs(2));
    /// assert_eq!(clock.pending_calls(), 0);
    /// ```
    pub fn pending_calls(&self) -> usize {
        self.state.pending.get()
    }

    /// The active calls, in the order they will run: Twisted's `getDelayedCalls`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{Clock, TestClock};
    ///
    /// let clock = TestClock::new();
    /// let late = clock.call_later(Duration::from_secs(9), Box::new(|| ()));
    /// let soon = clock.call_later(Duration::from_secs(1), Box::new(|| ()));
    /// assert_eq!(clock.delayed_calls(), [soon.clone(), late]);
    /// soon.cancel().unwrap();
    /// assert_eq!(clock.delayed_calls().len(), 1);
    /// ```
    pub fn delayed_calls(&self) -> Vec<DelayedCall> {
        let heap = self.state.heap.borrow();
        let mut live: Vec<&Entry> = heap.iter().filter(|entry| entry.is_live()).collect();
        live.sort_unstable_by(|a, b| b.cmp(a));
        live.into_iter().map(|entry| entry.call.clone()).collect()
    }

    fn queue(&self) -> Weak<dyn TimerQueue> {
        let queue: Weak<ClockState> = Rc::downgrade(&self.state);
        queue
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
        self.state.now.get()
    }

    /// Schedules `f` at `seconds() + delay` (saturating at `Duration::MAX`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{Clock, TestClock};
    /// let clock = TestClock::new();
    /// let call = clock.call_later(Duration::from_secs(2), Box::new(|| ()));
    /// assert_eq!(call.time(), Duration::from_secs(2));
    /// ```
    fn call_later(&self, delay: Duration, f: Box<dyn FnOnce()>) -> DelayedCall {
        let time = self.seconds().saturating_add(delay);
        let call = DelayedCall::new(time, f, self.queue());
        self.state.pending.set(self.state.pending.get() + 1);
        self.state.schedule(&call);
        call
    }
}

/// Shows the time and the number of active calls.
///
/// ```
/// use std::time::Duration;
/// use deferreds::{Clock, TestClock};
/// let clock = TestClock::new();
/// clock.call_later(Duration::from_secs(1), Box::new(|| ()));
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
