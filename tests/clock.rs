//! The deterministic clock and `defer_later`: Twisted's `ClockTests` and `DeferLaterTests`
//! (catalogue T 197-203), ported, plus the clock's own rules (ordering, reset and delay,
//! re-entrancy, errors) and scale: a hundred thousand timers.
//!
//! Only the manual `TestClock` is used: nothing here reads the system's time.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use deferreds::testing::{
    assert_no_result, capture_unhandled, failure_result_of, success_result_of,
};
use deferreds::{
    defer_later, inline_callbacks, AbandonedError, CancelledError, Clock, Deferred, DelayedCall,
    DelayedCallError, Failure, PanicError, TestClock,
};

mod support;
use support::values::{log, Log};
use support::{millis, panic_messages, secs, PanicsOnDrop};

/// Schedules a call that records `(name, clock time in ms)` when it runs.
fn log_time(
    clock: &TestClock,
    delay: Duration,
    name: &'static str,
    log: &Log<(&'static str, u128)>,
) -> DelayedCall {
    // A weak handle: a call that owned the clock would keep it, and itself, alive.
    let (clock2, log) = (clock.weak(), log.clone());
    clock.call_later(delay, move || {
        log.borrow_mut().push((name, clock2.seconds().as_millis()))
    })
}

#[derive(Debug, PartialEq)]
struct TestException(&'static str);

impl fmt::Display for TestException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "test exception: {}", self.0)
    }
}

impl std::error::Error for TestException {}

/// A tiny deterministic generator (no dependency, no system time): xorshift64.
struct Shuffle(u64);

impl Shuffle {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

// --- Twisted's ClockTests -----------------------------------------------------------------

/// testSeconds: a new clock is at time zero.
#[test]
fn test_seconds() {
    assert_eq!(TestClock::new().seconds(), Duration::ZERO);
}

/// `call_later` takes a plain closure on every kind of clock handle: the clock itself, a
/// shared one, a trait object behind `&` or `Rc` or `Box`, and a generic `C: ?Sized`
/// (through `ClockExt`). The calls run in order of time, ties in scheduling order.
#[test]
fn call_later_takes_a_closure_through_every_kind_of_handle() {
    fn generic<C: Clock + ?Sized>(clock: &C, delay: Duration, log: &Log<&'static str>) {
        use deferreds::ClockExt;
        let log = log.clone();
        clock.call_later(delay, move || log.borrow_mut().push("generic"));
    }
    fn behind_dyn(clock: &dyn Clock, log: &Log<&'static str>) {
        let log = log.clone();
        clock.call_later(secs(2), move || log.borrow_mut().push("&dyn"));
    }

    let clock = TestClock::new();
    let ran = log();
    let pushing = |name: &'static str| {
        let ran = ran.clone();
        move || ran.borrow_mut().push(name)
    };
    clock.call_later(secs(3), pushing("TestClock"));
    Rc::new(clock.clone()).call_later(secs(2), pushing("Rc<TestClock>"));
    behind_dyn(&clock, &ran);
    let shared: Rc<dyn Clock> = Rc::new(clock.clone());
    shared.call_later(secs(1), pushing("Rc<dyn>"));
    let boxed: Box<dyn Clock> = Box::new(clock.clone());
    boxed.call_later(secs(1), pushing("Box<dyn>"));
    generic(&clock, secs(4), &ran);
    generic(&clock as &dyn Clock, secs(4), &ran);
    generic(&shared, secs(4), &ran);
    assert_eq!(clock.pending_calls(), 8);

    clock.advance(secs(4));
    assert_eq!(
        *ran.borrow(),
        [
            "Rc<dyn>",
            "Box<dyn>",
            "Rc<TestClock>",
            "&dyn",
            "TestClock",
            "generic",
            "generic",
            "generic"
        ]
    );
}

/// testCallLater: `call_later` gives an active call due at now + delay.
#[test]
fn test_call_later() {
    let clock = TestClock::new();
    let call = clock.call_later(secs(1), || ());
    assert_eq!(call.time(), secs(1));
    assert!(call.active());
}

/// testCallLaterCancelled: a cancelled call is no longer active, and does not run.
#[test]
fn test_call_later_cancelled() {
    let clock = TestClock::new();
    let ran = Rc::new(Cell::new(false));
    let call = clock.call_later(secs(1), {
        let ran = ran.clone();
        move || ran.set(true)
    });
    call.cancel().unwrap();
    assert!(!call.active());
    assert!(call.is_cancelled());
    clock.advance(secs(1));
    assert!(!ran.get());
}

/// test_callLaterOrdering: each call gets its own handle.
#[test]
fn test_call_later_ordering() {
    let clock = TestClock::new();
    let call1 = clock.call_later(secs(10), || ());
    let call2 = clock.call_later(secs(1), || ());
    assert_ne!(call1, call2);
    assert_eq!(call1, call1.clone());
}

/// T 197, testAdvance: a call runs when the clock reaches its time, not before, and is
/// inactive afterwards.
#[test]
fn test_advance() {
    let clock = TestClock::new();
    let events = log();
    let call = clock.call_later(secs(2), {
        let events = events.clone();
        move || events.borrow_mut().push(())
    });
    clock.advance(secs(1));
    assert!(events.borrow().is_empty());
    clock.advance(secs(1));
    assert_eq!(events.borrow().len(), 1);
    assert!(!call.active());
    assert!(call.is_called());
}

/// T 198, testAdvanceCancel: cancelling a call from inside its own function gives
/// AlreadyCalled (the call is marked called before it runs).
#[test]
fn test_advance_cancel() {
    let clock = TestClock::new();
    let handle: Rc<RefCell<Option<DelayedCall>>> = Rc::default();
    let seen = log();
    let call = clock.call_later(secs(1), {
        let (handle, seen) = (handle.clone(), seen.clone());
        move || {
            let call = handle.borrow().clone().unwrap();
            seen.borrow_mut().push(call.cancel());
        }
    });
    *handle.borrow_mut() = Some(call);
    clock.advance(secs(1));
    assert_eq!(*seen.borrow(), [Err(DelayedCallError::AlreadyCalled)]);
}

/// testCallLaterDelayed: `delay` moves a call later by the amount given.
#[test]
fn test_call_later_delayed() {
    let clock = TestClock::new();
    let events = log();
    let call = clock.call_later(secs(1), {
        let events = events.clone();
        move || events.borrow_mut().push((1, 2))
    });
    call.delay(secs(1)).unwrap();
    assert_eq!(call.time(), secs(2));
    clock.advance(millis(1500));
    assert!(events.borrow().is_empty());
    clock.advance(secs(1));
    assert_eq!(*events.borrow(), [(1, 2)]);
}

/// testCallLaterResetLater: `reset` counts from now, and can move a call later.
#[test]
fn test_call_later_reset_later() {
    let clock = TestClock::new();
    let events = log();
    let call = clock.call_later(secs(2), {
        let events = events.clone();
        move || events.borrow_mut().push((1, 2))
    });
    clock.advance(secs(1));
    call.reset(secs(3)).unwrap();
    assert_eq!(call.time(), secs(4));
    clock.advance(secs(2));
    assert!(events.borrow().is_empty());
    clock.advance(secs(1));
    assert_eq!(*events.borrow(), [(1, 2)]);
}

/// testCallLaterResetSooner: `reset` can move a call earlier.
#[test]
fn test_call_later_reset_sooner() {
    let clock = TestClock::new();
    let events = log();
    let call = clock.call_later(secs(4), {
        let events = events.clone();
        move || events.borrow_mut().push((1, 2))
    });
    call.reset(secs(3)).unwrap();
    assert_eq!(call.time(), secs(3));
    clock.advance(secs(3));
    assert_eq!(*events.borrow(), [(1, 2)]);
}

/// test_getDelayedCalls / test_getDelayedCallsEmpty: the active calls, in running order.
#[test]
fn test_get_delayed_calls() {
    let clock = TestClock::new();
    assert!(clock.delayed_calls().is_empty());
    let call2 = clock.call_later(secs(2), || ());
    let call = clock.call_later(secs(1), || ());
    assert_eq!(clock.delayed_calls(), [call, call2]);
}

/// T 199, test_callLaterKeepsCallsOrdered: a call reset to later runs after a call
/// scheduled afterwards for a time in between.
#[test]
fn test_call_later_keeps_calls_ordered() {
    let clock = TestClock::new();
    let result = log();
    let call_a = log_time(&clock, secs(1), "a", &result);
    call_a.reset(secs(3)).unwrap();
    log_time(&clock, secs(2), "b", &result);
    clock.pump(&[secs(1); 3]);
    assert_eq!(*result.borrow(), [("b", 2000), ("a", 3000)]);
}

/// T 199, test_callLaterResetKeepsCallsOrdered: a call reset past a later call runs after it.
#[test]
fn test_call_later_reset_keeps_calls_ordered() {
    let clock = TestClock::new();
    let result = log();
    let call_a = log_time(&clock, secs(1), "a", &result);
    log_time(&clock, secs(2), "b", &result);
    call_a.reset(secs(3)).unwrap();
    clock.pump(&[secs(1); 3]);
    assert_eq!(*result.borrow(), [("b", 2000), ("a", 3000)]);
}

/// T 199, test_callLaterResetInsideCallKeepsCallsOrdered: a reset made by a running call is
/// honoured too.
#[test]
fn test_call_later_reset_inside_call_keeps_calls_ordered() {
    let clock = TestClock::new();
    let result = log();
    let call_b = log_time(&clock, secs(2), "b", &result);
    clock.call_later(secs(1), move || call_b.reset(secs(3)).unwrap());
    log_time(&clock, secs(3), "c", &result);
    clock.pump(&[millis(500); 10]);
    assert_eq!(*result.borrow(), [("c", 3000), ("b", 4000)]);
}

// --- Twisted's DeferLaterTests ------------------------------------------------------------

/// T 200, deferLater test_callback: the function is called with its arguments once the
/// delay has passed, not before, and its return value is the result.
#[test]
fn defer_later_test_callback() {
    let clock = TestClock::new();
    let called_with = log();
    let callable = {
        let called_with = called_with.clone();
        move |foo: &'static str, bar: &'static str| {
            called_with.borrow_mut().push((foo, bar));
            Ok("callable result")
        }
    };
    let d = defer_later(&clock, secs(3), move || callable("foo", "bar"));
    clock.advance(secs(2));
    assert!(called_with.borrow().is_empty());
    assert_no_result(&d);
    clock.advance(secs(1));
    assert_eq!(*called_with.borrow(), [("foo", "bar")]);
    assert_eq!(success_result_of(d), "callable result");
}

/// T 201, deferLater test_errback: a function that fails fails the Deferred with its error.
#[test]
fn defer_later_test_errback() {
    let clock = TestClock::new();
    let d = defer_later(&clock, Duration::ZERO, || -> Result<(), Failure> {
        Err(TestException("raised").into())
    });
    clock.advance(Duration::ZERO);
    let failure = failure_result_of(d);
    assert_eq!(
        failure.downcast_ref::<TestException>(),
        Some(&TestException("raised"))
    );
}

/// T 202, deferLater test_cancel: cancelling before the time fails with CancelledError,
/// leaves no delayed call, and the function is never called.
#[test]
fn defer_later_test_cancel() {
    let clock = TestClock::new();
    let called = Rc::new(Cell::new(false));
    let reports = capture_unhandled(|| {
        let d = defer_later(&clock, secs(1), {
            let called = called.clone();
            move || {
                called.set(true);
                Ok(())
            }
        });
        d.cancel();
        // Exactly CancelledError: the timer's function, owning the resolver, was dropped
        // without counting as abandoning the Deferred.
        let failure = failure_result_of(d);
        assert!(failure.check::<CancelledError>(), "{failure:?}");
        assert_eq!(clock.pending_calls(), 0);
        assert!(clock.delayed_calls().is_empty());
        clock.advance(secs(1));
    });
    assert!(!called.get());
    assert!(reports.is_empty(), "{reports:?}");
}

/// T 203, deferLater test_noCallback: with nothing to call, the Deferred fires with `()`
/// after the delay.
#[test]
fn defer_later_test_no_callback() {
    let clock = TestClock::new();
    let d = defer_later(&clock, secs(2), || Ok(()));
    assert_no_result(&d);
    clock.advance(secs(2));
    success_result_of(d);
}

// --- The clock's rules --------------------------------------------------------------------

/// Calls due at the same time run in the order they were scheduled, earlier times first.
#[test]
fn ties_run_in_scheduling_order() {
    let clock = TestClock::new();
    let result = log();
    for (name, delay) in [("x", 2), ("a", 1), ("y", 2), ("b", 1), ("z", 2)] {
        log_time(&clock, secs(delay), name, &result);
    }
    clock.advance(secs(2));
    let names: Vec<_> = result.borrow().iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["a", "b", "x", "y", "z"]);
}

/// As in Twisted, the clock moves first: calls run with `seconds()` at the end of the
/// advance.
#[test]
fn calls_run_at_the_end_of_the_advance() {
    let clock = TestClock::new();
    let result = log();
    log_time(&clock, secs(1), "a", &result);
    log_time(&clock, secs(3), "b", &result);
    clock.advance(secs(5));
    assert_eq!(*result.borrow(), [("a", 5000), ("b", 5000)]);
}

// --- Order of ties, as Twisted's task.Clock runs them --------------------------------------
//
// Each expected order below is what Twisted's `task.Clock` gives for the same steps. Twisted
// sorts its list of calls by time, stably, when a call is scheduled and before each call an
// advance runs; `reset` and `delay` change a call's time, not its place in the list.

/// The names of the calls logged so far, in the order they ran.
fn names(result: &Log<(&'static str, u128)>) -> Vec<&'static str> {
    result.borrow().iter().map(|(name, _)| *name).collect()
}

/// A call reset to the time it already had keeps its place among its ties.
#[test]
fn reset_to_the_same_time_keeps_the_place() {
    let clock = TestClock::new();
    let result = log();
    let a = log_time(&clock, secs(2), "a", &result);
    log_time(&clock, secs(2), "b", &result);
    log_time(&clock, secs(2), "c", &result);
    a.reset(secs(2)).unwrap();
    log_time(&clock, secs(5), "z", &result); // a sort: changes nothing
    clock.advance(secs(2));
    assert_eq!(names(&result), ["a", "b", "c"]);
}

/// A call reset later into a tie, with no sort while its time differed, keeps its place
/// ahead of the calls it was ahead of; a call scheduled afterwards goes behind them all.
#[test]
fn reset_later_into_a_tie_keeps_the_place() {
    let clock = TestClock::new();
    let result = log();
    let a = log_time(&clock, secs(1), "a", &result);
    log_time(&clock, secs(2), "b", &result);
    log_time(&clock, secs(2), "c", &result);
    a.reset(secs(2)).unwrap();
    log_time(&clock, secs(2), "d", &result);
    clock.advance(secs(2));
    assert_eq!(names(&result), ["a", "b", "c", "d"]);
}

/// A call reset earlier into a tie goes behind a call scheduled after it but sorted ahead
/// of it (scheduling sorts, and it was due later then).
#[test]
fn reset_earlier_into_a_tie_goes_behind_calls_sorted_ahead() {
    let clock = TestClock::new();
    let result = log();
    log_time(&clock, secs(1), "b", &result);
    let a = log_time(&clock, secs(3), "a", &result);
    log_time(&clock, secs(1), "c", &result);
    a.reset(secs(1)).unwrap();
    assert_eq!(clock.delayed_calls()[2], a);
    clock.advance(secs(1));
    assert_eq!(names(&result), ["b", "c", "a"]);
}

/// `delay` into a tie keeps the call's place too, however many delays it takes.
#[test]
fn delay_into_a_tie_keeps_the_place() {
    let clock = TestClock::new();
    let result = log();
    let a = log_time(&clock, secs(1), "a", &result);
    log_time(&clock, secs(3), "b", &result);
    a.delay(secs(1)).unwrap();
    a.delay(secs(1)).unwrap();
    assert_eq!(a.time(), secs(3));
    clock.advance(secs(2));
    assert!(result.borrow().is_empty());
    clock.advance(secs(1));
    assert_eq!(*result.borrow(), [("a", 3000), ("b", 3000)]);
    assert_eq!(clock.delayed_calls(), []);
}

/// Moved away and back with no sort between: the call keeps its place.
#[test]
fn moved_away_and_back_keeps_the_place() {
    let clock = TestClock::new();
    let result = log();
    let a = log_time(&clock, secs(1), "a", &result);
    log_time(&clock, secs(2), "b", &result);
    a.reset(secs(3)).unwrap();
    a.reset(secs(2)).unwrap();
    clock.advance(secs(2));
    assert_eq!(names(&result), ["a", "b"]);
}

/// Moved away, sorted there (an advance sorts), then moved back: the call stays behind.
#[test]
fn moved_away_sorted_and_back_stays_behind() {
    let clock = TestClock::new();
    let result = log();
    let a = log_time(&clock, secs(1), "a", &result);
    log_time(&clock, secs(2), "b", &result);
    a.reset(secs(3)).unwrap();
    clock.advance(Duration::ZERO);
    a.reset(secs(2)).unwrap();
    clock.advance(secs(2));
    assert_eq!(names(&result), ["b", "a"]);
}

/// Listing the calls does not sort them: it changes nothing about later moves.
#[test]
fn delayed_calls_does_not_sort() {
    let clock = TestClock::new();
    let result = log();
    let a = log_time(&clock, secs(1), "a", &result);
    let b = log_time(&clock, secs(2), "b", &result);
    a.reset(secs(3)).unwrap();
    assert_eq!(clock.delayed_calls(), [b, a.clone()]);
    a.reset(secs(2)).unwrap();
    clock.advance(secs(2));
    assert_eq!(names(&result), ["a", "b"]);
}

/// Several calls moved into one tie at once, from earlier and later times, around one
/// that was there: they keep the order they had.
#[test]
fn many_calls_moved_into_one_tie_keep_their_order() {
    let clock = TestClock::new();
    let result = log();
    let w = log_time(&clock, secs(5), "w", &result);
    let x = log_time(&clock, secs(1), "x", &result);
    let y = log_time(&clock, secs(2), "y", &result);
    let z = log_time(&clock, secs(9), "z", &result);
    log_time(&clock, secs(3), "v", &result);
    for call in [&z, &x, &w, &y] {
        call.reset(secs(3)).unwrap();
    }
    clock.advance(secs(3));
    assert_eq!(names(&result), ["x", "y", "v", "w", "z"]);
}

/// A call reset by a running call, from a later time into a tie, goes behind the call
/// already due then (the advance sorts after each call), though it was scheduled first.
#[test]
fn reset_by_a_running_call_into_a_tie_goes_behind() {
    let clock = TestClock::new();
    let result = log();
    let c = log_time(&clock, secs(3), "c", &result);
    log_time(&clock, secs(2), "b", &result);
    clock.call_later(secs(1), move || c.reset(secs(1)).unwrap());
    clock.pump(&[secs(1); 3]);
    assert_eq!(*result.borrow(), [("b", 2000), ("c", 2000)]);
}

/// A call scheduled by a running call for the current time runs in the same advance, after
/// every call that was due by then, whatever their times.
#[test]
fn a_call_scheduled_while_running_goes_behind_the_calls_due() {
    let clock = TestClock::new();
    let result = log();
    let (inner_clock, inner_result) = (clock.weak(), result.clone());
    clock.call_later(secs(1), move || {
        inner_result.borrow_mut().push(("first", 0));
        log_time(&inner_clock, Duration::ZERO, "inner", &inner_result);
    });
    log_time(&clock, secs(5), "five", &result);
    log_time(&clock, secs(3), "three", &result);
    clock.advance(secs(5));
    assert_eq!(names(&result), ["first", "three", "five", "inner"]);
}

/// A call moved back and forth runs once, at its last time.
#[test]
fn a_moved_call_runs_once_at_its_last_time() {
    let clock = TestClock::new();
    let result = log();
    let a = log_time(&clock, secs(5), "a", &result);
    a.reset(secs(1)).unwrap();
    a.reset(secs(7)).unwrap();
    a.reset(secs(2)).unwrap();
    assert_eq!(clock.pending_calls(), 1);
    assert_eq!(clock.delayed_calls(), std::slice::from_ref(&a));
    clock.advance(secs(10));
    assert_eq!(*result.borrow(), [("a", 10000)]);
    assert_eq!(clock.pending_calls(), 0);
}

/// Cancelling, moving or running a call that ran or was cancelled gives the matching error.
#[test]
fn errors_after_the_call_ran_or_was_cancelled() {
    let clock = TestClock::new();
    let ran = clock.call_later(secs(1), || ());
    let cancelled = clock.call_later(secs(1), || ());
    assert_eq!(cancelled.cancel(), Ok(()));
    clock.advance(secs(1));
    for (call, error) in [
        (&ran, DelayedCallError::AlreadyCalled),
        (&cancelled, DelayedCallError::AlreadyCancelled),
    ] {
        assert_eq!(call.cancel(), Err(error));
        assert_eq!(call.reset(secs(1)), Err(error));
        assert_eq!(call.delay(secs(1)), Err(error));
        assert_eq!(call.run(), Err(error));
        assert!(!call.active());
    }
    assert_eq!(ran.time(), secs(1));
    assert_eq!(
        DelayedCallError::AlreadyCalled.to_string(),
        "the delayed call was already called"
    );
}

/// A call scheduled while the clock advances runs in the same advance if it is due by the
/// clock's new time, and waits otherwise.
#[test]
fn calls_scheduled_during_advance_run_if_already_due() {
    let clock = TestClock::new();
    let result = log();
    clock.call_later(secs(1), {
        let (clock, result) = (clock.clone(), result.clone());
        move || {
            log_time(&clock, Duration::ZERO, "now", &result);
            log_time(&clock, secs(1), "later", &result);
        }
    });
    clock.advance(secs(2));
    assert_eq!(*result.borrow(), [("now", 2000)]);
    assert_eq!(clock.pending_calls(), 1);
    clock.advance(secs(1));
    assert_eq!(*result.borrow(), [("now", 2000), ("later", 3000)]);
}

/// A zero delay still waits for the next advance, which may be by zero.
#[test]
fn zero_delay_runs_at_the_next_advance() {
    let clock = TestClock::new();
    let ran = Rc::new(Cell::new(false));
    clock.call_later(Duration::ZERO, {
        let ran = ran.clone();
        move || ran.set(true)
    });
    assert!(!ran.get());
    clock.advance(Duration::ZERO);
    assert!(ran.get());
}

/// A running call may cancel and move other due calls: the cancelled one does not run and
/// the moved one waits for its new time.
#[test]
fn a_running_call_cancels_and_moves_others() {
    let clock = TestClock::new();
    let result = log();
    let victim = log_time(&clock, secs(2), "victim", &result);
    let moved = log_time(&clock, secs(2), "moved", &result);
    clock.call_later(secs(1), {
        let result = result.clone();
        move || {
            victim.cancel().unwrap();
            moved.reset(secs(10)).unwrap();
            result.borrow_mut().push(("first", 0));
        }
    });
    clock.advance(secs(3));
    assert_eq!(*result.borrow(), [("first", 0)]);
    assert_eq!(clock.pending_calls(), 1);
    clock.advance(secs(10));
    assert_eq!(*result.borrow(), [("first", 0), ("moved", 13000)]);
}

/// A call may advance the clock itself; the outer advance carries on from the new time.
#[test]
fn a_call_may_advance_the_clock() {
    let clock = TestClock::new();
    let result = log();
    clock.call_later(secs(1), {
        let clock = clock.weak();
        move || clock.advance(secs(10))
    });
    log_time(&clock, secs(5), "inner", &result);
    log_time(&clock, secs(20), "outer", &result);
    clock.advance(secs(1));
    assert_eq!(*result.borrow(), [("inner", 11000)]);
    assert_eq!(clock.seconds(), secs(11));
    assert_eq!(clock.pending_calls(), 1);
}

/// A panic in a call leaves the advance; the clock stays usable and the other calls due
/// run at the next advance.
#[test]
fn a_panicking_call_leaves_the_clock_consistent() {
    let clock = TestClock::new();
    let result = log();
    let boom = clock.call_later(secs(1), || panic!("boom"));
    log_time(&clock, secs(1), "after", &result);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| clock.advance(secs(1))));
    assert!(outcome.is_err());
    assert!(boom.is_called());
    assert!(result.borrow().is_empty());
    assert_eq!(clock.pending_calls(), 1);
    clock.advance(Duration::ZERO);
    assert_eq!(*result.borrow(), [("after", 1000)]);
}

/// Cancelling a call drops its function at once.
#[test]
fn cancel_drops_the_function_at_once() {
    let clock = TestClock::new();
    let owned = Rc::new(());
    let call = clock.call_later(secs(1), {
        let owned = owned.clone();
        move || drop(owned)
    });
    assert_eq!(Rc::strong_count(&owned), 2);
    call.cancel().unwrap();
    assert_eq!(Rc::strong_count(&owned), 1);
}

/// `pending_calls` counts the calls neither run nor cancelled; `pump` advances step by step.
#[test]
fn pending_calls_and_pump() {
    let clock = TestClock::new();
    let result = log();
    for n in 1..=4 {
        log_time(&clock, secs(n), "tick", &result);
    }
    let cancelled = clock.call_later(secs(2), || ());
    assert_eq!(clock.pending_calls(), 5);
    cancelled.cancel().unwrap();
    assert_eq!(clock.pending_calls(), 4);
    clock.pump(&[secs(1), secs(2)]);
    assert_eq!(
        *result.borrow(),
        [("tick", 1000), ("tick", 3000), ("tick", 3000)]
    );
    assert_eq!(clock.pending_calls(), 1);
    assert_eq!(clock.seconds(), secs(3));
    assert_eq!(
        format!("{clock:?}"),
        "TestClock { seconds: 3s, pending_calls: 1 }"
    );
}

/// Time saturates instead of overflowing.
#[test]
fn far_future_times_saturate() {
    let clock = TestClock::new();
    clock.advance(secs(1));
    let call = clock.call_later(Duration::MAX, || ());
    assert_eq!(call.time(), Duration::MAX);
    call.delay(secs(1)).unwrap();
    assert_eq!(call.time(), Duration::MAX);
    clock.advance(Duration::MAX);
    assert_eq!(clock.seconds(), Duration::MAX);
    assert!(call.is_called());
}

/// Clones share time and calls; the trait is object-safe and `Rc<dyn Clock>` is a clock.
#[test]
fn clones_share_state_and_dyn_clock_works() {
    let clock = TestClock::new();
    let other = clock.clone();
    let shared: Rc<dyn Clock> = Rc::new(clock.clone());
    let by_ref: &dyn Clock = &clock;
    let d = defer_later(&shared, secs(1), || Ok(1));
    let e = defer_later(by_ref, secs(2), || Ok(2));
    other.advance(secs(2));
    assert_eq!(shared.seconds(), secs(2));
    assert_eq!(success_result_of(d) + success_result_of(e), 3);
}

/// Dropping the clock with a call pending drops the call's function, so a `defer_later`
/// Deferred fails with AbandonedError instead of waiting forever.
#[test]
fn dropping_the_clock_abandons_pending_defer_later() {
    let clock = TestClock::new();
    let d = defer_later(&clock, secs(1), || Ok(1));
    let call = clock.delayed_calls().pop().unwrap();
    drop(call);
    drop(clock);
    assert!(failure_result_of(d).check::<AbandonedError>());
}

/// With the clock and the Deferred dropped, `defer_later`'s function is freed (no cycle
/// between the timer and the chain). Nothing but an abandonment may be reported.
#[test]
fn dropping_everything_frees_defer_later_function() {
    let owned = Rc::new(());
    let reports = capture_unhandled(|| {
        let clock = TestClock::new();
        let d = defer_later(&clock, secs(1), {
            let owned = owned.clone();
            move || {
                drop(owned);
                Ok(())
            }
        });
        assert_eq!(Rc::strong_count(&owned), 2);
        drop(d);
        drop(clock);
    });
    assert_eq!(Rc::strong_count(&owned), 1);
    assert!(
        reports
            .iter()
            .all(|r| r.failure().check::<AbandonedError>()),
        "{reports:?}"
    );
}

/// A call whose clock is gone can still be cancelled; resetting it changes nothing.
#[test]
fn a_call_outlives_its_clock() {
    let clock = TestClock::new();
    let call = clock.call_later(secs(1), || ());
    drop(clock);
    assert_eq!(call.reset(secs(5)), Ok(()));
    assert_eq!(call.time(), secs(1));
    assert_eq!(call.cancel(), Ok(()));
}

// --- Who keeps the calls alive -------------------------------------------------------------

/// Counts its drops.
struct Counted(Rc<Cell<usize>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A call that schedules itself again through a weak handle goes with the clock: dropping
/// the last owning handle drops the pending call and what it owns, not before.
#[test]
fn pending_calls_go_with_the_last_owning_handle() {
    // `_owned` is only carried along, to be dropped with the pending call.
    fn tick(clock: TestClock, ticks: Rc<Cell<u32>>, _owned: Counted) {
        let again = clock.clone();
        clock.call_later(secs(1), move || {
            ticks.set(ticks.get() + 1);
            tick(again, ticks, _owned);
        });
    }
    let (ticks, dropped) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let clock = TestClock::new();
    let other = clock.clone();
    tick(clock.weak(), ticks.clone(), Counted(dropped.clone()));
    clock.pump(&[secs(1); 3]);
    assert_eq!((ticks.get(), dropped.get()), (3, 0));
    drop(clock);
    assert_eq!((other.pending_calls(), dropped.get()), (1, 0));
    drop(other);
    assert_eq!(dropped.get(), 1);
    assert_eq!(Rc::strong_count(&ticks), 1);
}

/// An inline-callbacks body sleeping on a weak handle is dropped with the clock: its
/// Deferred fails with AbandonedError, and what it held is freed.
#[test]
fn a_sleeping_body_goes_with_the_clock() {
    #[inline_callbacks]
    fn sleeper(clock: TestClock, owned: Counted) -> Result<(), Failure> {
        let _owned = owned;
        loop {
            yield_!(defer_later(&clock, secs(1), || Ok(())))?;
        }
    }
    let dropped = Rc::new(Cell::new(0));
    let clock = TestClock::new();
    let d = sleeper(clock.weak(), Counted(dropped.clone()));
    clock.pump(&[secs(1); 5]);
    assert_eq!((clock.pending_calls(), dropped.get()), (1, 0));
    drop(clock);
    assert_eq!(dropped.get(), 1);
    assert!(failure_result_of(d).check::<AbandonedError>());
}

/// A weak handle whose clock is gone still tells and moves its time, but has no calls and
/// runs none.
#[test]
fn a_weak_handle_outlives_its_clock() {
    let clock = TestClock::new();
    let weak = clock.weak();
    clock.advance(secs(2));
    drop(clock);
    assert_eq!(weak.seconds(), secs(2));
    let ran = Rc::new(Cell::new(false));
    let call = weak.call_later(secs(1), {
        let ran = ran.clone();
        move || ran.set(true)
    });
    assert_eq!(call.time(), secs(3));
    weak.advance(secs(5));
    assert_eq!(weak.seconds(), secs(7));
    assert!(!ran.get() && call.active());
    assert_eq!((weak.pending_calls(), weak.delayed_calls()), (0, vec![]));
    assert_eq!(call.cancel(), Ok(()));
}

// --- defer_later ------------------------------------------------------------------------

/// A panic in the function fails the Deferred with PanicError.
#[test]
fn defer_later_panic_becomes_failure() {
    let clock = TestClock::new();
    let d = defer_later(&clock, secs(1), || -> Result<u8, Failure> {
        panic!("in the timer")
    });
    clock.advance(secs(1));
    let failure = failure_result_of(d);
    assert_eq!(
        failure.downcast_ref::<PanicError>().unwrap().message(),
        "in the timer"
    );
}

/// A function returning a Deferred: the result waits for it, and cancelling now cancels it.
#[test]
fn defer_later_waits_on_a_returned_deferred_and_cancels_it() {
    let clock = TestClock::new();
    let (inner, _inner_resolver) = Deferred::<u8>::new();
    let d = defer_later(&clock, secs(1), move || inner);
    clock.advance(secs(1));
    assert!(d.is_waiting());
    d.cancel();
    assert!(failure_result_of(d).check::<CancelledError>());

    let (inner, inner_resolver) = Deferred::<u8>::new();
    let d = defer_later(&clock, secs(1), move || inner.add_callback(|n| Ok(n * 2)));
    clock.advance(secs(1));
    inner_resolver.callback(21);
    assert_eq!(success_result_of(d), 42);
}

/// Cancelling after the timer ran and the Deferred fired does nothing.
#[test]
fn defer_later_cancel_after_firing_does_nothing() {
    let clock = TestClock::new();
    let d = defer_later(&clock, secs(1), || Ok("done"));
    clock.advance(secs(1));
    d.cancel();
    assert_eq!(success_result_of(d), "done");
}

#[inline_callbacks]
fn sleepy_sum(clock: TestClock, steps: u64) -> Result<u64, Failure> {
    let mut total = 0;
    for step in 1..=steps {
        total += yield_!(defer_later(&clock, secs(step), move || Ok(step)))?;
    }
    Ok(total)
}

/// `yield_!(defer_later(..))` in an `#[inline_callbacks]` function sleeps on the clock.
#[test]
fn defer_later_through_inline_callbacks() {
    let clock = TestClock::new();
    let d = sleepy_sum(clock.clone(), 3);
    clock.advance(secs(1)); // step 1 done at 1s; step 2 due at 3s
    clock.advance(secs(1));
    assert_no_result(&d);
    clock.advance(secs(1)); // step 2 done at 3s; step 3 due at 6s
    assert_eq!(clock.pending_calls(), 1);
    clock.advance(secs(3));
    assert_eq!(success_result_of(d), 6);
    assert_eq!(clock.seconds(), secs(6));
}

#[inline_callbacks]
fn sleep_then_handle_cancel(
    clock: TestClock,
    log: Log<&'static str>,
) -> Result<&'static str, Failure> {
    match yield_!(defer_later(&clock, secs(10), || Ok("slept"))) {
        Ok(v) => Ok(v),
        Err(f) if f.check::<CancelledError>() => {
            log.borrow_mut().push("woken by cancel");
            Ok("interrupted")
        }
        Err(f) => Err(f),
    }
}

/// Cancelling an inline function asleep on `defer_later` cancels the timer; the body sees
/// CancelledError at its `yield_!`.
#[test]
fn defer_later_in_inline_callbacks_cancelled() {
    let clock = TestClock::new();
    let seen = log();
    let d = sleep_then_handle_cancel(clock.clone(), seen.clone());
    assert_eq!(clock.pending_calls(), 1);
    d.cancel();
    assert_eq!(clock.pending_calls(), 0);
    assert_eq!(*seen.borrow(), ["woken by cancel"]);
    assert_eq!(success_result_of(d), "interrupted");
}

// --- Scale --------------------------------------------------------------------------------

const MANY: usize = 100_000;

/// 100,000 calls due at the same moment all run, in scheduling order, without recursion.
#[test]
fn scale_100k_timers_at_the_same_time() {
    let clock = TestClock::new();
    let order = Rc::new(RefCell::new(Vec::with_capacity(MANY)));
    for i in 0..MANY {
        let order = order.clone();
        clock.call_later(secs(1), move || order.borrow_mut().push(i));
    }
    assert_eq!(clock.pending_calls(), MANY);
    clock.advance(secs(1));
    assert_eq!(*order.borrow(), (0..MANY).collect::<Vec<_>>());
    assert_eq!(clock.pending_calls(), 0);
}

/// 100,000 calls at scattered times run in time order (ties by scheduling order); half of
/// them cancelled, a quarter moved, and the rest keep their order.
#[test]
fn scale_100k_timers_scattered_cancelled_and_moved() {
    let clock = TestClock::new();
    let ran = Rc::new(RefCell::new(Vec::with_capacity(MANY)));
    let mut random = Shuffle(0x9e37_79b9_7f4a_7c15);
    let mut calls = Vec::with_capacity(MANY);
    for i in 0..MANY {
        let delay = millis(random.next() % 10_000);
        let ran = ran.clone();
        let call = clock.call_later(delay, move || ran.borrow_mut().push(i));
        calls.push(call);
    }
    for (i, call) in calls.iter().enumerate() {
        match i % 4 {
            0 | 1 => call.cancel().unwrap(),
            2 => call.delay(millis(500)).unwrap(),
            _ => {}
        }
    }
    assert_eq!(clock.pending_calls(), MANY / 2);
    // Expected order, Twisted's: a stable sort by the final times of the calls as they
    // stood, sorted by their first times (ties there in scheduling order).
    let mut expected: Vec<(Duration, Duration, usize)> = calls
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 4 >= 2)
        .map(|(i, call)| {
            let moved_by = if i % 4 == 2 {
                millis(500)
            } else {
                Duration::ZERO
            };
            (call.time(), call.time() - moved_by, i)
        })
        .collect();
    expected.sort();
    clock.pump(&[secs(1); 11]);
    let expected: Vec<usize> = expected.into_iter().map(|(_, _, i)| i).collect();
    assert_eq!(*ran.borrow(), expected);
    assert_eq!(clock.pending_calls(), 0);
}

/// 100,000 calls each scheduling the next one with no delay run in one advance, without
/// recursion.
#[test]
fn scale_100k_timers_scheduling_each_other() {
    fn next(clock: TestClock, left: Rc<Cell<usize>>) {
        if left.get() == 0 {
            return;
        }
        left.set(left.get() - 1);
        let again = clock.clone();
        clock.call_later(Duration::ZERO, move || next(again, left));
    }
    let clock = TestClock::new();
    let left = Rc::new(Cell::new(MANY));
    next(clock.clone(), left.clone());
    clock.advance(Duration::ZERO);
    assert_eq!(left.get(), 0);
    assert_eq!(clock.pending_calls(), 0);
}

/// Resetting one call 100,000 times keeps one pending call and runs it once.
#[test]
fn scale_100k_resets_of_one_call() {
    let clock = TestClock::new();
    let runs = Rc::new(Cell::new(0));
    let call = clock.call_later(secs(1), {
        let runs = runs.clone();
        move || runs.set(runs.get() + 1)
    });
    for i in 0..MANY as u64 {
        call.reset(millis(i % 1000 + 1)).unwrap();
    }
    assert_eq!(clock.pending_calls(), 1);
    assert_eq!(clock.delayed_calls(), std::slice::from_ref(&call));
    clock.advance(secs(2));
    assert_eq!(runs.get(), 1);
}

/// 100,000 `defer_later` Deferreds fire with their own values; cancelled ones leave no
/// timers and no unhandled errors.
#[test]
fn scale_100k_defer_later() {
    let clock = TestClock::new();
    let reports = capture_unhandled(|| {
        let ds: Vec<Deferred<usize>> = (0..MANY)
            .map(|i| defer_later(&clock, millis((i % 100) as u64), move || Ok(i)))
            .collect();
        let mut kept = Vec::with_capacity(MANY / 2);
        for (i, d) in ds.into_iter().enumerate() {
            if i % 2 == 0 {
                d.cancel();
                assert!(failure_result_of(d).check::<CancelledError>());
            } else {
                kept.push((i, d));
            }
        }
        assert_eq!(clock.pending_calls(), MANY / 2);
        clock.advance(millis(100));
        for (i, d) in kept {
            assert_eq!(success_result_of(d), i);
        }
    });
    assert!(reports.is_empty());
    assert_eq!(clock.pending_calls(), 0);
}

// --- A scheduled function whose `Drop` panics ----------------------------------------------

/// Cancelling a call drops its function unrun: a `Drop` that panics is reported, and the
/// cancel goes through.
#[test]
fn cancelling_a_call_whose_function_panics_on_drop_reports_it() {
    let clock = TestClock::new();
    let reports = capture_unhandled(|| {
        let guard = PanicsOnDrop::new("function dropped");
        let call = clock.call_later(secs(1), move || drop(guard));
        assert_eq!(call.cancel(), Ok(()));
        assert!(call.is_cancelled());
    });
    assert_eq!(panic_messages(&reports), ["function dropped"]);
    assert_eq!(clock.pending_calls(), 0);
}

/// Dropping the last owning handle drops the pending calls unrun: each `Drop` that panics is
/// reported, and the other calls are dropped all the same.
#[test]
fn a_clock_dropped_with_functions_that_panic_on_drop_reports_each() {
    let dropped = Rc::new(Cell::new(0));
    let reports = capture_unhandled(|| {
        let clock = TestClock::new();
        let (first, second) = (PanicsOnDrop::new("first"), PanicsOnDrop::new("second"));
        clock.call_later(secs(1), move || drop(first));
        let counted = Counted(dropped.clone());
        clock.call_later(secs(2), move || drop(counted));
        clock.call_later(secs(3), move || drop(second));
        drop(clock);
    });
    assert_eq!(panic_messages(&reports), ["first", "second"]);
    assert_eq!(dropped.get(), 1);
}
