//! `LoopingCall`: Twisted's `LoopTests` and `ReactorLoopTests` (test_task.py), ported with
//! exact times and counts on the `TestClock`, plus the loop's own rules: waiting for the
//! function's Deferred, stopping while it is busy, misuse as errors, cancelling, panics, and
//! a function that holds its own loop. The last test runs a loop on `TokioClock`.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use deferreds::testing::{assert_no_result, failure_result_of, success_result_of};
use deferreds::{
    AlreadyStartedError, CancelledError, Clock, Deferred, Failure, LoopingCall, NotRunningError,
    PanicError, Resolver, TestClock,
};

mod support;
use support::values::{log, Log};
use support::{millis, secs};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct TestException(&'static str);

/// A loop that records the clock's time (in ms) at each run and goes on.
fn timing_loop(clock: &TestClock) -> (LoopingCall, Log<u128>) {
    let times = log();
    let lc = LoopingCall::new(clock, {
        let (clock, times) = (clock.clone(), times.clone());
        move || {
            times.borrow_mut().push(clock.seconds().as_millis());
            Ok(())
        }
    });
    (lc, times)
}

/// A counting loop that records `(time in ms, count)` at each run and goes on.
fn counting_loop(clock: &TestClock) -> (LoopingCall, Log<(u128, u64)>) {
    let counts = log();
    let lc = LoopingCall::with_count(clock, {
        let (clock, counts) = (clock.clone(), counts.clone());
        move |count| {
            counts
                .borrow_mut()
                .push((clock.seconds().as_millis(), count));
            Ok(())
        }
    });
    (lc, counts)
}

/// A place for the loop's own handle, filled in once the loop is made, for a function that
/// stops its own loop.
#[derive(Clone, Default)]
struct Handle(Rc<OnceCell<LoopingCall>>);

impl Handle {
    fn set(&self, lc: &LoopingCall) {
        let _ = self.0.set(lc.clone());
    }

    fn stop(&self) -> Result<(), NotRunningError> {
        self.0.get().map_or(Err(NotRunningError), LoopingCall::stop)
    }

    fn running(&self) -> bool {
        self.0.get().is_some_and(LoopingCall::running)
    }
}

// ---- Twisted's LoopTests ----

/// testBasicFunction: an interval of 0.1s and steps of 0.05, 0.1 and 0.1 make three runs
/// (the first at once); stopping fires the Deferred and leaves nothing on the clock.
#[test]
fn basic_function() {
    let clock = TestClock::new();
    let (lc, times) = timing_loop(&clock);
    let stopped = lc.start(millis(100), true).unwrap();
    clock.pump(&[millis(50), millis(100), millis(100)]);
    assert_eq!(*times.borrow(), [0, 150, 250]);
    assert_no_result(&stopped);
    lc.stop().unwrap();
    success_result_of(stopped);
    assert_eq!(clock.pending_calls(), 0);
}

/// testDelayedStart: with `now == false` the first run is one interval in.
#[test]
fn delayed_start() {
    let clock = TestClock::new();
    let (lc, times) = timing_loop(&clock);
    let stopped = lc.start(millis(100), false).unwrap();
    assert!(times.borrow().is_empty());
    clock.pump(&[millis(50), millis(100), millis(100)]);
    assert_eq!(*times.borrow(), [150, 250]);
    lc.stop().unwrap();
    success_result_of(stopped);
    assert_eq!(clock.pending_calls(), 0);
}

/// testStopAtOnce and testStoppingBeforeDelayedStart: stopping before the first run
/// prevents every run, with an interval of zero or not.
#[test]
fn stopping_before_the_first_run_prevents_every_run() {
    for interval in [Duration::ZERO, secs(10)] {
        let clock = TestClock::new();
        let (lc, times) = timing_loop(&clock);
        let stopped = lc.start(interval, false).unwrap();
        lc.stop().unwrap();
        success_result_of(stopped);
        assert_eq!(clock.pending_calls(), 0);
        clock.pump(&[secs(10); 3]);
        assert!(times.borrow().is_empty());
    }
}

/// test_reset: a reset one second into a two-second interval moves the first run to 3s.
#[test]
fn reset_skips_the_next_run_and_counts_afresh() {
    let clock = TestClock::new();
    let (lc, times) = timing_loop(&clock);
    let _stopped = lc.start(secs(2), false).unwrap();
    clock.advance(secs(1));
    lc.reset().unwrap();
    clock.advance(secs(1));
    assert!(times.borrow().is_empty());
    clock.advance(secs(1));
    assert_eq!(*times.borrow(), [3000]);
    clock.advance(secs(2)); // the grid now counts from 1s
    assert_eq!(*times.borrow(), [3000, 5000]);
    lc.stop().unwrap();
}

/// test_callbackTimeSkips: a run that takes longer than the interval (the function moves
/// the clock itself) skips the runs that fell due meanwhile, including one due exactly now.
#[test]
fn callback_time_skips() {
    let clock = TestClock::new();
    let times = log();
    let duration = Rc::new(Cell::new(secs(2)));
    let lc = LoopingCall::new(&clock, {
        let (clock, times, duration) = (clock.clone(), times.clone(), duration.clone());
        move || {
            times.borrow_mut().push(clock.seconds().as_millis());
            clock.advance(duration.get());
            Ok(())
        }
    });
    let _stopped = lc.start(millis(500), true).unwrap();
    assert_eq!(*times.borrow(), [0]);
    assert_eq!(clock.seconds(), secs(2));

    clock.advance(Duration::ZERO); // 2s is the present, not the future: skipped
    assert_eq!(*times.borrow(), [0]);

    duration.set(secs(1));
    clock.advance(millis(500));
    assert_eq!(*times.borrow(), [0, 2500]);
    assert_eq!(clock.seconds(), millis(3500));

    clock.advance(Duration::ZERO);
    assert_eq!(*times.borrow(), [0, 2500]);

    duration.set(Duration::ZERO);
    clock.advance(millis(500));
    assert_eq!(*times.borrow(), [0, 2500, 4000]);
    assert_eq!(clock.seconds(), secs(4));
    lc.stop().unwrap();
}

/// test_reactorTimeSkips: a clock that is late runs the loop once, not once per interval.
#[test]
fn reactor_time_skips() {
    let clock = TestClock::new();
    let (lc, times) = timing_loop(&clock);
    let _stopped = lc.start(millis(500), true).unwrap();
    assert_eq!(*times.borrow(), [0]);
    clock.advance(secs(2));
    assert_eq!(*times.borrow(), [0, 2000]);
    clock.advance(secs(1));
    assert_eq!(*times.borrow(), [0, 2000, 3000]);
    clock.advance(Duration::ZERO);
    assert_eq!(*times.borrow(), [0, 2000, 3000]);
    lc.stop().unwrap();
}

/// test_reactorTimeCountSkips: with `with_count`, the late run is told how many intervals
/// have passed.
#[test]
fn reactor_time_count_skips() {
    let clock = TestClock::new();
    let (lc, counts) = counting_loop(&clock);
    let _stopped = lc.start(millis(500), true).unwrap();
    assert_eq!(*counts.borrow(), [(0, 1)]);
    clock.advance(millis(510));
    assert_eq!(*counts.borrow(), [(0, 1), (510, 1)]);
    clock.advance(millis(3 * 500 + 10));
    assert_eq!(*counts.borrow(), [(0, 1), (510, 1), (2020, 3)]);
    clock.advance(Duration::ZERO);
    assert_eq!(*counts.borrow(), [(0, 1), (510, 1), (2020, 3)]);
    lc.stop().unwrap();
}

/// test_countLengthyIntervalCounts: only whole intervals count: runs at 0.51s, 1.385s and
/// 1.51s (a 1.75-interval gap, then back on the grid) are each counted once.
#[test]
fn count_lengthy_interval_counts() {
    let clock = TestClock::new();
    let (lc, counts) = counting_loop(&clock);
    let _stopped = lc.start(millis(500), true).unwrap();
    clock.advance(millis(510));
    clock.advance(millis(875));
    clock.advance(millis(125));
    assert_eq!(*counts.borrow(), [(0, 1), (510, 1), (1385, 1), (1510, 1)]);
    lc.stop().unwrap();
}

/// test_withCountFloatingPointBoundary: ten steps of a tenth of a second count ten
/// intervals, never a zero. (Durations are exact, so no epsilon is needed to reach 1s.)
#[test]
fn with_count_counts_add_up_to_the_intervals_elapsed() {
    let clock = TestClock::new();
    let (lc, counts) = counting_loop(&clock);
    let _stopped = lc.start(millis(100), false).unwrap();
    clock.pump(&[millis(100); 10]);
    assert_eq!(clock.seconds(), secs(1));
    let counts: Vec<u64> = counts.borrow().iter().map(|&(_, count)| count).collect();
    assert_eq!(counts, [1; 10]);
    lc.stop().unwrap();
}

/// test_withCountIntervalZero: with an interval of zero the count is always 1. The test
/// clock runs zero-delay calls made during an advance in that same advance, as Twisted's
/// `Clock` does, so one advance runs the loop until it stops itself.
#[test]
fn with_count_interval_zero_counts_one() {
    let clock = TestClock::new();
    let counts = log();
    let handle = Handle::default();
    let lc = LoopingCall::with_count(&clock, {
        let (counts, handle) = (counts.clone(), handle.clone());
        move |count| {
            counts.borrow_mut().push(count);
            if counts.borrow().len() > 4 {
                handle.stop()?;
            }
            Ok(())
        }
    });
    handle.set(&lc);
    let stopped = lc.start(Duration::ZERO, false).unwrap();
    assert!(counts.borrow().is_empty());
    clock.advance(Duration::ZERO);
    success_result_of(stopped);
    assert_eq!(*counts.borrow(), [1; 5]);
    assert_eq!(clock.pending_calls(), 0);
}

/// test_withCountIntervalZeroDelay: a zero-interval loop waits for the Deferred its
/// function returned, however long, and then goes on counting 1.
#[test]
fn with_count_interval_zero_waits_for_the_function() {
    let clock = TestClock::new();
    let (slow, finish) = Deferred::<()>::new();
    let slow = Cell::new(Some(slow));
    let counts = log();
    let handle = Handle::default();
    let lc = LoopingCall::with_count(&clock, {
        let (clock, counts, handle) = (clock.clone(), counts.clone(), handle.clone());
        move |count| -> Deferred<()> {
            counts.borrow_mut().push((clock.seconds().as_secs(), count));
            let runs = counts.borrow().len();
            if runs > 4 {
                if let Err(error) = handle.stop() {
                    return Deferred::fail(error);
                }
            }
            match runs {
                2 => slow.take().unwrap_or_else(|| Deferred::succeed(())),
                _ => Deferred::succeed(()),
            }
        }
    });
    handle.set(&lc);
    let stopped = lc.start(Duration::ZERO, false).unwrap();
    clock.advance(Duration::ZERO);
    assert_eq!(*counts.borrow(), [(0, 1), (0, 1)]);
    clock.pump(&[secs(1); 2]);
    assert_eq!(*counts.borrow(), [(0, 1), (0, 1)]);
    finish.callback(());
    assert_eq!(clock.pending_calls(), 1); // the next run, due at once
    assert_no_result(&stopped);
    clock.advance(Duration::ZERO);
    assert_eq!(*counts.borrow(), [(0, 1), (0, 1), (2, 1), (2, 1), (2, 1)]);
    success_result_of(stopped);
}

/// test_withCountIntervalZeroDelayThenNonZeroInterval: the interval changed while the
/// function's Deferred is pending applies from the next run on, counted from the start, and
/// the count covers the time since the last run. (Twisted's test adds one to the count it
/// expects, for its ticket #5962: the same count, 8, follows here from the same rules.)
#[test]
fn with_count_interval_changed_while_waiting() {
    let clock = TestClock::new();
    let (slow, finish) = Deferred::<()>::new();
    let slow = Cell::new(Some(slow));
    let counts = log();
    let lc = LoopingCall::with_count(&clock, {
        let (clock, counts) = (clock.clone(), counts.clone());
        move |count| {
            counts.borrow_mut().push((clock.seconds().as_secs(), count));
            match counts.borrow().len() {
                2 => slow.take().unwrap_or_else(|| Deferred::succeed(())),
                _ => Deferred::succeed(()),
            }
        }
    });
    let _stopped = lc.start(Duration::ZERO, false).unwrap();
    clock.pump(&[secs(1); 7]);
    assert_eq!(*counts.borrow(), [(1, 1), (1, 1)]);

    lc.set_interval(secs(2)).unwrap();
    finish.callback(());
    assert_eq!(clock.delayed_calls()[0].time(), secs(8));

    clock.advance(secs(9));
    assert_eq!(*counts.borrow(), [(1, 1), (1, 1), (16, 8)]);
    clock.advance(secs(2));
    assert_eq!(*counts.borrow(), [(1, 1), (1, 1), (16, 8), (18, 1)]);
    clock.advance(secs(4));
    assert_eq!(
        *counts.borrow(),
        [(1, 1), (1, 1), (16, 8), (18, 1), (22, 2)]
    );
    lc.stop().unwrap();
}

// ---- Twisted's ReactorLoopTests, on the test clock ----

/// testFailure: a function that fails fails the loop's Deferred, at once when it is the
/// first run.
#[test]
fn failure_fails_the_loop() {
    let clock = TestClock::new();
    let lc = LoopingCall::new(&clock, || -> Result<(), Failure> {
        Err(TestException("bar").into())
    });
    let stopped = lc.start(millis(100), true).unwrap();
    let failure = failure_result_of(stopped);
    assert!(failure.check::<TestException>());
    assert!(!lc.running());
    assert_eq!(clock.pending_calls(), 0);
}

/// testFailAndStop: a function that stops its loop and then fails: the failure wins.
#[test]
fn fail_and_stop() {
    let clock = TestClock::new();
    let handle = Handle::default();
    let lc = LoopingCall::new(&clock, {
        let handle = handle.clone();
        move || -> Result<(), Failure> {
            handle.stop()?;
            Err(TestException("bar").into())
        }
    });
    handle.set(&lc);
    let stopped = lc.start(millis(100), true).unwrap();
    assert!(failure_result_of(stopped).check::<TestException>());
    assert_eq!(clock.pending_calls(), 0);
}

/// testEveryIteration: an interval of zero runs the function until it stops its loop.
#[test]
fn every_iteration() {
    let clock = TestClock::new();
    let runs = Rc::new(Cell::new(0));
    let handle = Handle::default();
    let lc = LoopingCall::new(&clock, {
        let (runs, handle) = (runs.clone(), handle.clone());
        move || {
            runs.set(runs.get() + 1);
            if runs.get() > 5 {
                handle.stop()?;
            }
            Ok(())
        }
    });
    handle.set(&lc);
    let stopped = lc.start(Duration::ZERO, true).unwrap();
    assert_eq!(runs.get(), 1);
    clock.advance(Duration::ZERO);
    success_result_of(stopped);
    assert_eq!(runs.get(), 6);
}

/// testStopAtOnceLater: a stop from another call on the clock, before the first run,
/// prevents every run.
#[test]
fn stop_at_once_later() {
    let clock = TestClock::new();
    let (lc, times) = timing_loop(&clock);
    let stopped = lc.start(secs(1), false).unwrap();
    let stopper = lc.clone();
    clock.call_later(Duration::ZERO, move || stopper.stop().unwrap());
    clock.advance(Duration::ZERO);
    success_result_of(stopped);
    clock.pump(&[secs(1); 3]);
    assert!(times.borrow().is_empty());
}

/// testWaitDeferred: the function is not run again before its Deferred fires (here a
/// second later, stopping the loop).
#[test]
fn wait_deferred() {
    let clock = TestClock::new();
    let runs = Rc::new(Cell::new(0));
    let handle = Handle::default();
    let lc = LoopingCall::new(&clock, {
        let (clock, runs, handle) = (clock.clone(), runs.clone(), handle.clone());
        move || {
            runs.set(runs.get() + 1);
            let handle = handle.clone();
            deferreds::defer_later(&clock, secs(1), move || Ok(handle.stop()?))
        }
    });
    handle.set(&lc);
    let stopped = lc.start(millis(200), true).unwrap();
    clock.pump(&[millis(200), millis(800)]);
    assert_eq!(runs.get(), 1);
    success_result_of(stopped);
    assert_eq!(clock.pending_calls(), 0);
}

/// testFailurePropagation: a failure of the function's Deferred fails the loop.
#[test]
fn failure_propagation() {
    let clock = TestClock::new();
    let lc = LoopingCall::new(&clock, {
        let clock = clock.clone();
        move || {
            deferreds::defer_later(&clock, millis(300), || -> Result<(), Failure> {
                Err(TestException("late").into())
            })
        }
    });
    let stopped = lc.start(secs(1), true).unwrap();
    assert_no_result(&stopped);
    clock.pump(&[millis(300)]);
    assert_eq!(failure_result_of(stopped).error_message(), "late");
    assert_eq!(clock.pending_calls(), 0);
}

/// test_deferredWithCount: a Deferred that takes longer than an interval holds the loop
/// back; the next run counts the intervals missed (about 0.6s and 0.8s) too.
#[test]
fn deferred_with_count() {
    let clock = TestClock::new();
    let (slow, finish) = Deferred::<()>::new();
    let slow = Cell::new(Some(slow));
    let counts = log();
    let lc = LoopingCall::with_count(&clock, {
        let counts = counts.clone();
        move |count| {
            counts.borrow_mut().push(count);
            slow.take().unwrap_or_else(|| Deferred::succeed(()))
        }
    });
    let _stopped = lc.start(millis(200), false).unwrap();
    assert!(counts.borrow().is_empty());
    clock.pump(&[millis(200), millis(400)]);
    assert_eq!(*counts.borrow(), [1]);
    finish.callback(());
    clock.pump(&[millis(200)]);
    assert_eq!(*counts.borrow(), [1, 3]);
    lc.stop().unwrap();
}

// ---- The loop's own rules ----

/// The next run after a slow Deferred is at the next multiple of the interval still to
/// come, counted from the start: fired at 2.5s with a 1s interval, the next run is at 3s.
#[test]
fn a_slow_deferred_delays_the_next_run_to_the_grid() {
    let clock = TestClock::new();
    let (slow, finish) = Deferred::<()>::new();
    let slow = Cell::new(Some(slow));
    let times = log();
    let lc = LoopingCall::new(&clock, {
        let (clock, times) = (clock.clone(), times.clone());
        move || {
            times.borrow_mut().push(clock.seconds().as_millis());
            slow.take().unwrap_or_else(|| Deferred::succeed(()))
        }
    });
    let _stopped = lc.start(secs(1), true).unwrap();
    clock.advance(millis(2500));
    assert_eq!(*times.borrow(), [0]);
    assert_eq!(clock.pending_calls(), 0);
    finish.callback(());
    assert_eq!(clock.delayed_calls()[0].time(), secs(3));
    clock.advance(millis(500));
    assert_eq!(*times.borrow(), [0, 3000]);
    lc.stop().unwrap();
}

/// Stopping while the function's Deferred has no result: the loop is no longer running,
/// and its Deferred fires when the function's does, with its outcome.
#[test]
fn stop_while_waiting_waits_for_the_function() {
    for fails in [false, true] {
        let clock = TestClock::new();
        let resolver: Rc<Cell<Option<Resolver<()>>>> = Rc::default();
        let lc = LoopingCall::new(&clock, {
            let resolver = resolver.clone();
            move || {
                let (d, fire) = Deferred::new();
                resolver.set(Some(fire));
                d
            }
        });
        let stopped = lc.start(secs(1), true).unwrap();
        lc.stop().unwrap();
        assert!(!lc.running());
        assert_eq!(lc.stop(), Err(NotRunningError));
        assert_eq!(lc.reset(), Err(NotRunningError));
        assert_no_result(&stopped);
        let fire = resolver.take().unwrap();
        if fails {
            fire.errback(TestException("after stop"));
            assert!(failure_result_of(stopped).check::<TestException>());
        } else {
            fire.callback(());
            success_result_of(stopped);
        }
        assert_eq!(clock.pending_calls(), 0);
    }
}

/// Misuse gives errors: stopping or resetting a loop that is not running, starting one
/// twice (or again after it stopped), changing the interval of one that is not running.
#[test]
fn misuse_gives_errors() {
    let clock = TestClock::new();
    let (lc, times) = timing_loop(&clock);
    assert_eq!(lc.stop(), Err(NotRunningError));
    assert_eq!(lc.reset(), Err(NotRunningError));
    assert_eq!(lc.set_interval(secs(1)), Err(NotRunningError));
    assert_eq!(lc.interval(), None);

    let stopped = lc.start(secs(1), true).unwrap();
    assert_eq!(lc.start(secs(5), true).unwrap_err(), AlreadyStartedError);
    assert_eq!(lc.interval(), Some(secs(1)));
    lc.stop().unwrap();
    success_result_of(stopped);

    assert_eq!(lc.stop(), Err(NotRunningError));
    assert_eq!(lc.reset(), Err(NotRunningError));
    assert_eq!(lc.start(secs(1), true).unwrap_err(), AlreadyStartedError);
    assert_eq!(*times.borrow(), [0]);
    assert_eq!(clock.pending_calls(), 0);
}

/// A failure on a later run ends the loop: no more runs, nothing left on the clock.
#[test]
fn a_later_failure_ends_the_loop() {
    let clock = TestClock::new();
    let times = log();
    let lc = LoopingCall::new(&clock, {
        let (clock, times) = (clock.clone(), times.clone());
        move || {
            times.borrow_mut().push(clock.seconds().as_secs());
            match times.borrow().len() {
                3 => Err(Failure::new(TestException("third"))),
                _ => Ok(()),
            }
        }
    });
    let stopped = lc.start(secs(1), true).unwrap();
    clock.pump(&[secs(1); 5]);
    assert_eq!(*times.borrow(), [0, 1, 2]);
    assert_eq!(failure_result_of(stopped).error_message(), "third");
    assert!(!lc.running());
    assert_eq!(clock.pending_calls(), 0);
}

/// The loop is running while its function runs, and not after the function stops it; a
/// stop from inside a run that returns at once fires the loop's Deferred at once.
#[test]
fn running_inside_the_function() {
    let clock = TestClock::new();
    let seen = log();
    let handle = Handle::default();
    let lc = LoopingCall::new(&clock, {
        let (seen, handle) = (seen.clone(), handle.clone());
        move || {
            seen.borrow_mut().push(handle.running());
            handle.stop()?;
            seen.borrow_mut().push(handle.running());
            Ok(())
        }
    });
    handle.set(&lc);
    let stopped = lc.start(secs(1), true).unwrap();
    assert_eq!(*seen.borrow(), [true, false]);
    success_result_of(stopped);
    assert_eq!(clock.pending_calls(), 0);
}

/// Counting with a first run at once, and after a reset (counted from the new start, with
/// intervals before it rounded toward zero as Twisted's are).
#[test]
fn with_count_at_once_and_after_reset() {
    let clock = TestClock::new();
    let (lc, counts) = counting_loop(&clock);
    let _stopped = lc.start(secs(1), true).unwrap();
    clock.advance(millis(3500));
    clock.advance(millis(500));
    assert_eq!(*counts.borrow(), [(0, 1), (3500, 3), (4000, 1)]);
    lc.stop().unwrap();

    let (lc, counts) = counting_loop(&clock); // from 4s
    let _stopped = lc.start(secs(2), true).unwrap();
    clock.advance(secs(1));
    lc.reset().unwrap(); // now counted from 5s; next run at 7s
    clock.advance(secs(3));
    clock.advance(secs(2));
    assert_eq!(*counts.borrow(), [(4000, 1), (8000, 1), (10000, 1)]);
    lc.stop().unwrap();
}

/// A panicking function fails the loop with a `PanicError`, and leaves it consistent.
#[test]
fn a_panic_fails_the_loop() {
    let clock = TestClock::new();
    let runs = Rc::new(Cell::new(0));
    let lc = LoopingCall::new(&clock, {
        let runs = runs.clone();
        move || {
            runs.set(runs.get() + 1);
            if runs.get() == 2 {
                panic!("second run");
            }
            Ok(())
        }
    });
    let stopped = lc.start(secs(1), true).unwrap();
    clock.pump(&[secs(1); 3]);
    let failure = failure_result_of(stopped);
    assert_eq!(
        failure.downcast_ref::<PanicError>().unwrap().message(),
        "second run"
    );
    assert_eq!(runs.get(), 2);
    assert!(!lc.running());
    assert_eq!(lc.stop(), Err(NotRunningError));
    assert_eq!(clock.pending_calls(), 0);
}

/// Cancelling the loop's Deferred stops the loop: between runs, the next run is cancelled;
/// while the function's Deferred is pending, that Deferred is cancelled too.
#[test]
fn cancelling_the_loop_stops_it() {
    let clock = TestClock::new();
    let (lc, times) = timing_loop(&clock);
    let stopped = lc.start(secs(1), true).unwrap();
    stopped.cancel();
    assert!(failure_result_of(stopped).check::<CancelledError>());
    assert!(!lc.running());
    assert_eq!(clock.pending_calls(), 0);
    clock.pump(&[secs(1); 3]);
    assert_eq!(*times.borrow(), [0]);

    let work_outcome = log();
    let resolvers = log();
    let lc = LoopingCall::new(&clock, {
        let (work_outcome, resolvers) = (work_outcome.clone(), resolvers.clone());
        move || {
            let (work, resolver) = Deferred::<()>::new();
            resolvers.borrow_mut().push(resolver);
            let work_outcome = work_outcome.clone();
            work.add_errback(move |failure: Failure| {
                work_outcome
                    .borrow_mut()
                    .push(failure.check::<CancelledError>());
                Err(failure)
            })
        }
    });
    let stopped = lc.start(secs(1), true).unwrap();
    stopped.cancel();
    assert_eq!(*work_outcome.borrow(), [true]);
    assert!(failure_result_of(stopped).check::<CancelledError>());
    assert_eq!(lc.stop(), Err(NotRunningError));
    assert_eq!(clock.pending_calls(), 0);
}

/// A function that cancels its own loop: the loop's Deferred fails, and the function is
/// not run again.
#[test]
fn the_function_may_cancel_its_own_loop() {
    let clock = TestClock::new();
    let loop_deferred: Rc<RefCell<Option<Deferred<()>>>> = Rc::default();
    let runs = Rc::new(Cell::new(0));
    let lc = LoopingCall::new(&clock, {
        let (loop_deferred, runs) = (loop_deferred.clone(), runs.clone());
        move || {
            runs.set(runs.get() + 1);
            if let Some(d) = &*loop_deferred.borrow() {
                d.cancel();
            }
            Ok(())
        }
    });
    let stopped = lc.start(secs(1), false).unwrap();
    *loop_deferred.borrow_mut() = Some(stopped);
    clock.pump(&[secs(1); 3]);
    assert_eq!(runs.get(), 1);
    let stopped = loop_deferred.borrow_mut().take().unwrap();
    assert!(failure_result_of(stopped).check::<CancelledError>());
    assert_eq!(clock.pending_calls(), 0);
}

/// Sets a flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// A function that holds its own loop is dropped when the loop stops (before the loop's
/// Deferred fires), so the loop and the function do not keep each other alive.
#[test]
fn a_function_holding_its_own_loop_is_released_on_stop() {
    let clock = TestClock::new();
    let dropped = Rc::new(Cell::new(false));
    let handle = Handle::default();
    let lc = LoopingCall::new(&clock, {
        let (handle, flag) = (handle.clone(), DropFlag(dropped.clone()));
        move || {
            let _ = &flag;
            if handle.running() {
                Ok(())
            } else {
                Err(Failure::msg("not running"))
            }
        }
    });
    handle.set(&lc);
    drop(handle);
    let stopped = lc.start(secs(1), true).unwrap();
    clock.pump(&[secs(1); 2]);
    assert!(!dropped.get());
    let dropped_when_fired = Rc::new(Cell::new(None));
    let fired = stopped.add_callback({
        let (dropped, dropped_when_fired) = (dropped.clone(), dropped_when_fired.clone());
        move |()| {
            dropped_when_fired.set(Some(dropped.get()));
            Ok(())
        }
    });
    lc.stop().unwrap();
    success_result_of(fired);
    assert_eq!(dropped_when_fired.get(), Some(true));
}

/// On the real clock, under `react`: a loop with a short interval runs until its function
/// stops it; a timeout guards against a loop that never ends.
#[cfg(feature = "tokio")]
#[test]
fn loops_on_the_real_clock() {
    use deferreds::{add_timeout, react, TokioClock};

    let runs = Rc::new(Cell::new(0));
    let outcome = react({
        let runs = runs.clone();
        move || {
            let clock = TokioClock::new();
            let handle = Handle::default();
            let lc = LoopingCall::new(&clock, {
                let handle = handle.clone();
                move || {
                    runs.set(runs.get() + 1);
                    if runs.get() == 3 {
                        handle.stop()?;
                    }
                    Ok(())
                }
            });
            handle.set(&lc);
            let stopped = lc.start(millis(5), true).unwrap();
            add_timeout(stopped, secs(10), &clock)
                .add_callback(move |()| Ok((lc.running(), clock.pending_calls())))
        }
    });
    assert_eq!(outcome.unwrap(), (false, 0));
    assert_eq!(runs.get(), 3);
}
