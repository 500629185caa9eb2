//! The tokio event loop: `react`, `spawn_deferred`, `defer_to_thread`.
#![cfg(feature = "tokio")]

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deferreds::testing::{capture_unhandled, failure_result_of};
use deferreds::{
    add_timeout, defer_later, defer_to_thread, inline_callbacks, react, spawn_deferred,
    CancelledError, Deferred, Failure, LoopNotRunningError, PanicError, Reactor, TokioClock,
};

type Log = Rc<RefCell<Vec<String>>>;

fn push(log: &Log, entry: impl Into<String>) {
    log.borrow_mut().push(entry.into());
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Oops(&'static str);

/// react returns the value of the Deferred main gives, once it fires.
#[test]
fn react_returns_the_result() {
    assert_eq!(react(|| Deferred::succeed(5)).unwrap(), 5);
}

/// react returns the failure of the Deferred main gives.
#[test]
fn react_returns_the_failure() {
    let failure = react(|| Deferred::<()>::fail(Oops("main failed"))).unwrap_err();
    assert_eq!(failure.error_message(), "main failed");
}

/// A spawned future's output fires its Deferred, and callbacks run on the loop thread.
#[test]
fn spawned_futures_fire_on_the_loop_thread() {
    let loop_thread = std::thread::current().id();
    let (thread_seen, result) = react(|| {
        spawn_deferred(async {
            // Hop through another thread to show the output still lands on the loop.
            let (send, receive) = tokio::sync::oneshot::channel();
            std::thread::spawn(move || send.send(21).unwrap());
            Ok(receive.await.map_err(Failure::new)? * 2)
        })
        .add_callback(|value| Ok((std::thread::current().id(), value)))
    })
    .unwrap();
    assert_eq!(thread_seen, loop_thread);
    assert_eq!(result, 42);
}

/// A spawned future's error fails its Deferred.
#[test]
fn spawned_future_errors_fail_the_deferred() {
    let failure =
        react(|| spawn_deferred(async { Err::<u8, _>(Oops("no route").into()) })).unwrap_err();
    assert!(failure.check::<Oops>());
}

/// The failure of a spawned future that panics with `message`.
fn spawned_panic(message: &'static str) -> Failure {
    react(move || {
        spawn_deferred(async move {
            if true {
                panic!("{message}");
            }
            Ok(0u8)
        })
    })
    .unwrap_err()
}

/// A spawned future that panics fails its Deferred with PanicError.
#[test]
fn spawned_future_panics_become_failures() {
    let failure = spawned_panic("task blew up");
    assert_eq!(
        failure
            .downcast_ref::<PanicError>()
            .map(PanicError::message),
        Some("task blew up")
    );
}

/// Cancelling a spawned future's Deferred aborts the task: it never finishes, although the
/// loop runs on past the moment it would have.
#[test]
fn cancelling_a_spawned_future_aborts_it() {
    let finished = Arc::new(AtomicBool::new(false));
    let flag = finished.clone();
    let cancelled = react(move || {
        let d = spawn_deferred(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        d.cancel();
        let cancelled = deferreds::testing::failure_result_of(d).check::<CancelledError>();
        // Timers fire in deadline order: had the task not been aborted, it would be done
        // before this one.
        spawn_deferred(async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(())
        })
        .add_callback(move |()| Ok(cancelled))
    })
    .unwrap();
    assert!(cancelled);
    assert!(!finished.load(Ordering::SeqCst));
}

/// defer_to_thread runs blocking work on another thread and fires back on the loop.
#[test]
fn defer_to_thread_runs_elsewhere_and_fires_here() {
    let loop_thread = std::thread::current().id();
    let (worker, fired_on) = react(move || {
        defer_to_thread(|| Ok(std::thread::current().id()))
            .add_callback(|worker| Ok((worker, std::thread::current().id())))
    })
    .unwrap();
    assert_ne!(worker, loop_thread);
    assert_eq!(fired_on, loop_thread);
}

/// defer_to_thread: an error or a panic in the work fails the Deferred.
#[test]
fn defer_to_thread_errors_and_panics_fail_the_deferred() {
    let failure = react(|| defer_to_thread(|| Err::<u8, _>(Oops("disk full").into()))).unwrap_err();
    assert!(failure.check::<Oops>());
    let failure =
        react(|| defer_to_thread(|| -> Result<u8, Failure> { panic!("worker panicked") }))
            .unwrap_err();
    assert_eq!(
        failure
            .downcast_ref::<PanicError>()
            .map(PanicError::message),
        Some("worker panicked")
    );
}

/// Cancelling defer_to_thread fails the Deferred at once; the work's late result is dropped.
#[test]
fn cancelling_defer_to_thread_fails_at_once() {
    let failure = react(|| {
        let d = defer_to_thread(|| {
            std::thread::sleep(Duration::from_millis(20));
            Ok(1)
        });
        d.cancel();
        d
    })
    .unwrap_err();
    assert!(failure.check::<CancelledError>());
}

/// An #[inline_callbacks] function waits on spawned work and threads.
#[test]
fn inline_callbacks_wait_on_real_work() {
    #[inline_callbacks]
    fn pipeline(log: Rc<RefCell<Vec<&'static str>>>) -> Result<usize, Failure> {
        log.borrow_mut().push("start");
        let text = yield_!(spawn_deferred(async {
            tokio::task::yield_now().await;
            Ok("some text".to_string())
        }))?;
        log.borrow_mut().push("fetched");
        let length = yield_!(defer_to_thread(move || Ok(text.len())))?;
        log.borrow_mut().push("measured");
        Ok(length)
    }
    let log = Rc::new(RefCell::new(Vec::new()));
    let seen = log.clone();
    assert_eq!(react(move || pipeline(seen)).unwrap(), 9);
    assert_eq!(*log.borrow(), ["start", "fetched", "measured"]);
}

/// Many concurrent spawned futures all fire, each with its own result.
#[test]
fn a_thousand_spawned_futures() {
    #[inline_callbacks]
    fn sum_all(count: u64) -> Result<u64, Failure> {
        let pending: Vec<Deferred<u64>> = (0..count)
            .map(|i| {
                spawn_deferred(async move {
                    tokio::task::yield_now().await;
                    Ok(i)
                })
            })
            .collect();
        let mut total = 0;
        for d in pending {
            total += yield_!(d)?;
        }
        Ok(total)
    }
    assert_eq!(react(|| sum_all(1000)).unwrap(), 499_500);
}

/// Outside a loop, spawn_deferred and defer_to_thread fail their Deferred; they never panic.
#[test]
fn starting_work_where_no_loop_runs_fails_the_deferred() {
    let spawned = spawn_deferred(async { Ok(1) });
    let threaded = defer_to_thread(|| Ok(2));
    for failure in [failure_result_of(spawned), failure_result_of(threaded)] {
        assert!(failure.check::<LoopNotRunningError>(), "{failure}");
        assert_eq!(
            failure.error_message(),
            "no event loop is running on this thread: spawn_deferred and defer_to_thread \
             work inside react (in its main, or in a before-shutdown trigger)"
        );
    }
}

/// When main fires while a task is pending, the task's Deferred fails with AbandonedError,
/// saying the loop ended;
/// a callback that retries on that failure gets LoopNotRunningError from spawn_deferred and
/// defer_to_thread: no panic, and every failure says what happened.
#[test]
fn retrying_while_the_loop_ends_fails_clearly() {
    let log = Log::default();
    let seen = log.clone();
    let reports = capture_unhandled(|| {
        let value = react(move || {
            let stuck = spawn_deferred(std::future::pending::<Result<(), Failure>>());
            let _retry = stuck.add_errback(move |failure| {
                push(&seen, format!("task: {}", failure.type_name()));
                push(&seen, failure.error_message());
                let again = spawn_deferred(async { Ok(()) });
                push(
                    &seen,
                    format!("retry: {}", failure_result_of(again).type_name()),
                );
                let threaded = defer_to_thread(|| Ok(()));
                push(
                    &seen,
                    format!("thread: {}", failure_result_of(threaded).type_name()),
                );
                Ok(())
            });
            Deferred::succeed(7)
        });
        assert_eq!(value.unwrap(), 7);
    });
    assert!(reports.is_empty(), "{:?}", reports.len());
    assert_eq!(
        *log.borrow(),
        [
            format!(
                "task: {}",
                std::any::type_name::<deferreds::AbandonedError>()
            ),
            deferreds::AbandonedError::new(deferreds::Abandonment::LoopEnded).to_string(),
            format!("retry: {}", std::any::type_name::<LoopNotRunningError>()),
            format!("thread: {}", std::any::type_name::<LoopNotRunningError>()),
        ]
    );
}

/// A defer_to_thread job that never ends does not keep the loop from returning once the
/// shutdown timeout has passed.
#[test]
fn a_shutdown_timeout_bounds_the_wait_for_a_job_that_never_ends() {
    let (release, stuck) = std::sync::mpsc::channel::<()>();
    let outcome = Reactor::new()
        .shutdown_timeout(Duration::from_millis(20))
        .run(move || {
            drop(defer_to_thread(move || {
                let _ = stuck.recv(); // blocks until the test is over
                Ok(())
            }));
            Deferred::succeed("returned")
        });
    assert_eq!(outcome.unwrap(), "returned");
    drop(release);
}

/// Before-shutdown triggers run after main's Deferred fired, all called in the order they
/// were added and then waited for together, with the loop's timers and threads still
/// working; main's result comes back after they are done. Twisted's
/// `addSystemEventTrigger("before", "shutdown", f)`.
#[test]
fn before_shutdown_triggers_are_waited_for() {
    let log = Log::default();
    let (first, second, main_log) = (log.clone(), log.clone(), log.clone());
    // The first trigger waits for the second to open the gate: it finishes only if both
    // were called before the loop waited on either (bounded, so it fails instead of hanging).
    let (gate, open_gate) = Deferred::<()>::new();
    let result = Reactor::new()
        .before_shutdown(move || {
            push(&first, "first trigger called");
            let clock = TokioClock::new();
            add_timeout(gate, Duration::from_secs(20), &clock)
                .add_callback(|()| defer_to_thread(|| Ok(())))
                .add_callback(move |()| {
                    push(&first, "first trigger's thread done");
                    Ok(())
                })
        })
        .before_shutdown(move || {
            push(&second, "second trigger called");
            let clock = TokioClock::new();
            defer_later(&clock, Duration::from_millis(1), move || {
                push(&second, "second trigger's timer fired");
                open_gate.callback(());
                Ok(())
            })
        })
        .run(move || {
            push(&main_log, "main");
            spawn_deferred(async { Ok(5) }).add_callback(move |value| {
                push(&main_log, "main fired");
                Ok(value)
            })
        });
    push(&log, "run returned");
    assert_eq!(result.unwrap(), 5);
    assert_eq!(
        *log.borrow(),
        [
            "main",
            "main fired",
            "first trigger called",
            "second trigger called",
            "second trigger's timer fired",
            "first trigger's thread done",
            "run returned",
        ]
    );
}

/// A trigger that fails or panics is reported as an unhandled error; the others still run,
/// and main's result is what run returns.
#[test]
fn a_failing_trigger_is_reported_and_shutdown_goes_on() {
    let ran = Rc::new(Cell::new(false));
    let later = ran.clone();
    let reports = capture_unhandled(|| {
        let result = Reactor::new()
            .before_shutdown(|| Deferred::fail(Failure::msg("could not flush")))
            .before_shutdown(|| -> Deferred<()> { panic!("trigger blew up") })
            .before_shutdown(move || {
                later.set(true);
                Deferred::succeed(())
            })
            .run(|| Deferred::succeed("main's value"));
        assert_eq!(result.unwrap(), "main's value");
    });
    assert!(ran.get());
    let messages: Vec<String> = reports
        .iter()
        .map(|report| report.failure().error_message())
        .collect();
    assert_eq!(
        messages,
        ["a callback panicked: trigger blew up", "could not flush"]
    );
}

/// A cancelled defer_to_thread job that has not started never runs; one already running
/// runs to completion, its result dropped. One pool thread makes the order certain.
#[test]
fn cancelled_jobs_that_have_not_started_never_run() {
    let log: Arc<std::sync::Mutex<Vec<&'static str>>> = Arc::default();
    let (release, blocked) = std::sync::mpsc::channel::<()>();
    let (started, has_started) = std::sync::mpsc::channel::<()>();
    let (first_log, queued_log, last_log) = (log.clone(), log.clone(), log.clone());
    let outcome = Reactor::new().thread_pool_size(1).run(move || {
        let running = defer_to_thread(move || {
            started.send(()).unwrap();
            let _ = blocked.recv();
            first_log.lock().unwrap().push("running job finished");
            Ok(())
        });
        let queued = defer_to_thread(move || {
            queued_log.lock().unwrap().push("queued job ran");
            Ok(())
        });
        // Blocks the loop thread until the pool's one thread is busy with the first job.
        has_started.recv().unwrap();
        running.cancel();
        queued.cancel();
        let cancelled = [failure_result_of(running), failure_result_of(queued)]
            .iter()
            .all(|failure| failure.check::<CancelledError>());
        release.send(()).unwrap();
        // Queued behind both: by the time it runs, the others have had their turn.
        defer_to_thread(move || {
            last_log.lock().unwrap().push("last job ran");
            Ok(cancelled)
        })
    });
    assert!(outcome.unwrap());
    assert_eq!(
        *log.lock().unwrap(),
        ["running job finished", "last job ran"]
    );
}

/// `Ok(..)` in spawn_deferred's future and defer_to_thread's closure needs no annotation,
/// and `?` still takes any error.
#[test]
fn ok_infers_without_annotations() {
    let spawned = react(|| spawn_deferred(async { Ok(1) }));
    assert_eq!(spawned.unwrap(), 1);
    let threaded = react(|| defer_to_thread(|| Ok(2)));
    assert_eq!(threaded.unwrap(), 2);
    let parsed = react(|| defer_to_thread(|| Ok("x".parse::<u8>()?)));
    assert!(parsed.unwrap_err().check::<std::num::ParseIntError>());
}

/// A task's panic is made into a failure by the library, so, like every failure the library
/// makes, it carries no backtrace, whatever `RUST_BACKTRACE` asks.
#[test]
fn a_spawned_futures_panic_carries_no_backtrace() {
    let failure = spawned_panic("no trace");
    assert!(failure.check::<PanicError>());
    assert_eq!(
        failure.backtrace().status(),
        std::backtrace::BacktraceStatus::Disabled
    );
}
