//! `TokioClock`: the `Clock` contract on tokio's timers. Most tests run on a runtime with
//! paused time, where tokio jumps straight to the next timer, so they are exact and quick;
//! the last ones use `react` and the real clock.
#![cfg(feature = "tokio")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use deferreds::{
    add_timeout, defer_later, inline_callbacks, react, testing, AbandonedError, CancelledError,
    Clock, Deferred, DelayedCallError, Failure, TimeoutError, TokioClock,
};

/// Counts this thread's allocations, so a test can tell what an operation allocates (the
/// harness's other threads do not disturb the count).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: the allocator also runs while thread-locals are being torn down.
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made on this thread so far.
fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Counts its drops.
struct Counted(Rc<Cell<usize>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

type Log = Rc<RefCell<Vec<&'static str>>>;

/// Runs `main` on a current-thread runtime whose time is paused, inside a `LocalSet`.
fn paused<T: 'static>(main: impl FnOnce() -> Deferred<T>) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    tokio::task::LocalSet::new().block_on(&runtime, async move { main().await })
}

/// Schedules a call that logs `name`.
fn log_later(
    clock: &TokioClock,
    log: &Log,
    secs: u64,
    name: &'static str,
) -> deferreds::DelayedCall {
    let log = log.clone();
    clock.call_later(Duration::from_secs(secs), move || {
        log.borrow_mut().push(name)
    })
}

/// A Deferred that fires after `secs` on `clock`, for a test to wait on.
fn sleep(clock: &TokioClock, secs: u64) -> Deferred<()> {
    defer_later(clock, Duration::from_secs(secs), || Ok(()))
}

/// Calls run when due, earliest first, whatever order they were scheduled in.
#[test]
fn calls_run_in_time_order() {
    let log = Log::default();
    let seen = paused({
        let log = log.clone();
        move || {
            let clock = TokioClock::new();
            log_later(&clock, &log, 3, "three");
            log_later(&clock, &log, 1, "one");
            log_later(&clock, &log, 2, "two");
            sleep(&clock, 4).add_callback(move |()| Ok(log.borrow().clone()))
        }
    })
    .unwrap();
    assert_eq!(seen, ["one", "two", "three"]);
}

/// `seconds` counts from the clock's creation and moves with tokio's time.
#[test]
fn seconds_follow_the_runtime() {
    let (before, after) = paused(|| {
        let clock = TokioClock::new();
        let before = clock.seconds();
        let reader = clock.clone();
        defer_later(&clock, Duration::from_secs(90), move || {
            Ok((before, reader.seconds()))
        })
    })
    .unwrap();
    assert_eq!(before, Duration::ZERO);
    assert_eq!(after, Duration::from_secs(90));
}

/// A cancelled call never runs, and is no longer counted as pending.
#[test]
fn cancelled_calls_do_not_run() {
    let log = Log::default();
    let (pending_after_cancel, second_cancel) = paused({
        let log = log.clone();
        move || {
            let clock = TokioClock::new();
            let call = log_later(&clock, &log, 1, "cancelled");
            log_later(&clock, &log, 2, "kept");
            call.cancel().unwrap();
            let pending = clock.pending_calls();
            let again = call.cancel();
            sleep(&clock, 3).add_callback(move |()| Ok((pending, again)))
        }
    })
    .unwrap();
    assert_eq!(*log.borrow(), ["kept"]);
    assert_eq!(pending_after_cancel, 1);
    assert_eq!(second_cancel, Err(DelayedCallError::AlreadyCancelled));
}

/// `reset` moves a call to a new delay from now; `delay` pushes it back.
#[test]
fn reset_and_delay_move_calls() {
    let log = Log::default();
    paused({
        let log = log.clone();
        move || {
            let clock = TokioClock::new();
            let early = log_later(&clock, &log, 1, "was first, reset to 5s");
            let later = log_later(&clock, &log, 2, "was second, delayed to 4s");
            log_later(&clock, &log, 3, "at 3s");
            early.reset(Duration::from_secs(5)).unwrap();
            later.delay(Duration::from_secs(2)).unwrap();
            sleep(&clock, 6)
        }
    })
    .unwrap();
    assert_eq!(
        *log.borrow(),
        [
            "at 3s",
            "was second, delayed to 4s",
            "was first, reset to 5s"
        ]
    );
}

/// Moving a call earlier makes it run earlier.
#[test]
fn reset_can_move_a_call_earlier() {
    let log = Log::default();
    paused({
        let log = log.clone();
        move || {
            let clock = TokioClock::new();
            let call = log_later(&clock, &log, 60, "moved to 1s");
            log_later(&clock, &log, 2, "at 2s");
            call.reset(Duration::from_secs(1)).unwrap();
            sleep(&clock, 3)
        }
    })
    .unwrap();
    assert_eq!(*log.borrow(), ["moved to 1s", "at 2s"]);
}

/// A call that ran is done: it cannot be cancelled or moved, and is not pending.
#[test]
fn calls_that_ran_are_done() {
    let (call, pending) = paused(|| {
        let clock = TokioClock::new();
        let call = clock.call_later(Duration::from_secs(1), || ());
        let reader = clock.clone();
        sleep(&clock, 2).add_callback(move |()| Ok((call, reader.pending_calls())))
    })
    .unwrap();
    assert!(call.is_called() && !call.active());
    assert_eq!(pending, 0);
    assert_eq!(call.cancel(), Err(DelayedCallError::AlreadyCalled));
    assert_eq!(
        call.reset(Duration::ZERO),
        Err(DelayedCallError::AlreadyCalled)
    );
}

/// Calls due at the same moment run in the order they were scheduled.
#[test]
fn ties_run_in_scheduling_order() {
    let log = Log::default();
    paused({
        let log = log.clone();
        move || {
            let clock = TokioClock::new();
            for name in ["a", "b", "c", "d"] {
                log_later(&clock, &log, 1, name);
            }
            sleep(&clock, 2)
        }
    })
    .unwrap();
    assert_eq!(*log.borrow(), ["a", "b", "c", "d"]);
}

/// `defer_later` fires with the function's result when due; cancelling it first cancels
/// the timer.
#[test]
fn defer_later_fires_and_cancels() {
    let (value, cancelled, pending) = paused(|| {
        let clock = TokioClock::new();
        let value = defer_later(&clock, Duration::from_secs(5), || Ok("later"));
        let doomed = defer_later(&clock, Duration::from_secs(5), || Ok("never"));
        doomed.cancel();
        let pending = clock.pending_calls();
        value.add_callback(move |v| Ok((v, testing::failure_result_of(doomed), pending)))
    })
    .unwrap();
    assert_eq!(value, "later");
    assert!(cancelled.check::<CancelledError>());
    assert_eq!(pending, 1);
}

/// `add_timeout` on the tokio clock: a slow Deferred times out, a quick one does not, and
/// the quick one's timer is cancelled so nothing is left scheduled.
#[test]
fn add_timeout_on_tokio_time() {
    let (slow, quick, pending) = paused(|| {
        let clock = TokioClock::new();
        let slow = add_timeout(sleep(&clock, 10), Duration::from_secs(3), &clock);
        let quick = add_timeout(
            defer_later(&clock, Duration::from_secs(1), || Ok("quick")),
            Duration::from_secs(3),
            &clock,
        );
        let reader = clock.clone();
        sleep(&clock, 4).add_callback(move |()| {
            let slow = testing::failure_result_of(slow);
            let quick = testing::success_result_of(quick);
            Ok((slow, quick, reader.pending_calls()))
        })
    })
    .unwrap();
    assert!(slow.check::<TimeoutError>());
    assert_eq!(quick, "quick");
    assert_eq!(pending, 0);
}

/// An inline-callbacks body can sleep on the tokio clock in a loop.
#[test]
fn inline_callbacks_sleep_on_the_clock() {
    #[inline_callbacks]
    fn ticks(clock: TokioClock) -> Result<Vec<u64>, Failure> {
        let mut seen = Vec::new();
        for _ in 0..5 {
            yield_!(sleep(&clock, 2))?;
            seen.push(clock.seconds().as_secs());
        }
        Ok(seen)
    }
    assert_eq!(
        paused(|| ticks(TokioClock::new())).unwrap(),
        [2, 4, 6, 8, 10]
    );
}

/// A call may schedule another; a zero delay runs on the next turn of the loop.
#[test]
fn calls_schedule_calls() {
    let log = Log::default();
    paused({
        let log = log.clone();
        move || {
            let clock = TokioClock::new();
            let (inner_clock, inner_log) = (clock.clone(), log.clone());
            clock.call_later(Duration::from_secs(1), move || {
                inner_log.borrow_mut().push("outer");
                log_later(&inner_clock, &inner_log, 0, "inner");
            });
            sleep(&clock, 2)
        }
    })
    .unwrap();
    assert_eq!(*log.borrow(), ["outer", "inner"]);
}

/// 10,000 timers on the tokio clock all run, in order.
#[test]
fn ten_thousand_timers() {
    let fired = paused(|| {
        let clock = TokioClock::new();
        let order = Rc::new(RefCell::new(Vec::new()));
        for i in (0..10_000u64).rev() {
            let order = order.clone();
            clock.call_later(Duration::from_millis(i), move || order.borrow_mut().push(i));
        }
        sleep(&clock, 11).add_callback(move |()| Ok(order.take()))
    })
    .unwrap();
    assert_eq!(fired, (0..10_000).collect::<Vec<_>>());
}

/// On the real clock, under `react`: a timeout fires and cancels the slow operation.
#[test]
fn timeouts_fire_on_the_real_clock() {
    let failure = react(|| {
        let clock = TokioClock::new();
        let slow = defer_later(&clock, Duration::from_secs(30), || Ok(()));
        add_timeout(slow, Duration::from_millis(30), &clock)
    })
    .unwrap_err();
    assert!(failure.check::<TimeoutError>());
}

/// On the real clock, the earlier of two calls runs first and the clock has moved on by at
/// least the delay when a call runs.
#[test]
fn real_time_passes_before_a_call_runs() {
    let (first, seconds) = react(|| {
        let clock = TokioClock::new();
        let reader = clock.clone();
        let later = defer_later(&clock, Duration::from_millis(40), || Ok("later"));
        let sooner = defer_later(&clock, Duration::from_millis(10), move || {
            Ok(reader.seconds())
        });
        deferreds::race([later.add_callback(|_| Ok(Duration::MAX)), sooner])
    })
    .unwrap();
    assert_eq!(first, 1);
    assert!(seconds >= Duration::from_millis(10), "{seconds:?}");
}

/// Calls outlive the clock handle that scheduled them: a timeout set with a temporary clock
/// still fires, as a reactor's would.
#[test]
fn calls_outlive_the_clock_handle() {
    let failure = react(|| {
        let (never, resolver) = Deferred::<()>::new();
        add_timeout(never, Duration::from_millis(20), &TokioClock::new()).add_both(move |r| {
            drop(resolver);
            r
        })
    })
    .unwrap_err();
    assert!(failure.check::<TimeoutError>());
}

/// Moving a call moves its timer: 100,000 resets and delays of one call allocate nothing
/// per move (no task per move), and the call runs once, at its last time.
#[test]
fn moving_a_call_moves_its_timer() {
    let (allocated, ran_at) = paused(|| {
        let clock = TokioClock::new();
        let ran_at = Rc::new(Cell::new(None));
        let call = clock.call_later(Duration::from_secs(1), {
            let (clock, ran_at) = (clock.clone(), ran_at.clone());
            move || ran_at.set(Some(clock.seconds()))
        });
        let moves = sleep(&clock, 0).add_callback(move |()| {
            let before = allocations();
            for i in 0..50_000u64 {
                call.reset(Duration::from_millis(i % 1000 + 1)).unwrap();
                call.delay(Duration::from_millis(1)).unwrap();
            }
            Ok(allocations() - before)
        });
        let reader = ran_at.clone();
        moves.add_callback(move |allocated| {
            sleep(&clock, 5).add_callback(move |()| Ok((allocated, reader.get())))
        })
    })
    .unwrap();
    assert!(allocated < 8, "{allocated} allocations for 100,000 moves");
    // The last reset was to 1000 ms from the time of the moves (zero), then 1 ms later.
    assert_eq!(ran_at, Some(Duration::from_millis(1001)));
}

/// When the loop ends first, the calls still pending go with it, with everything they own,
/// even when they own their clock: clients sleeping on the clock they hold, and a call that
/// schedules itself again.
#[test]
fn pending_calls_go_with_the_loop() {
    #[inline_callbacks]
    fn client(clock: TokioClock, owned: Counted) -> Result<(), Failure> {
        let _owned = owned;
        loop {
            yield_!(sleep(&clock, 3600))?;
        }
    }
    // `_owned` is only carried along, to be dropped with the pending call.
    fn tick(clock: TokioClock, _owned: Counted) {
        let again = clock.clone();
        clock.call_later(Duration::from_millis(1), move || tick(again, _owned));
    }
    let dropped = Rc::new(Cell::new(0));
    let clients = Rc::new(RefCell::new(Vec::new()));
    let answer = react({
        let (dropped, clients) = (dropped.clone(), clients.clone());
        move || {
            let clock = TokioClock::new();
            for _ in 0..10 {
                let client = client(clock.clone(), Counted(dropped.clone()));
                clients.borrow_mut().push(client);
            }
            tick(clock.clone(), Counted(dropped.clone()));
            // Fires after the first ticks, long before the clients wake.
            sleep(&clock, 0).add_callback(|()| Ok(42))
        }
    });
    assert_eq!(answer.unwrap(), 42);
    assert_eq!(dropped.get(), 11);
    // Each client's sleep was abandoned with the loop, and the client failed with that.
    for client in clients.take() {
        assert!(testing::failure_result_of(client).check::<AbandonedError>());
    }
}
