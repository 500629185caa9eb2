//! The tokio event loop: `react`, `spawn_deferred`, `defer_to_thread`.
#![cfg(feature = "tokio")]

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deferreds::{
    defer_to_thread, inline_callbacks, react, spawn_deferred, CancelledError, Deferred, Failure,
    PanicError,
};

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
            Ok::<_, Failure>(receive.await.map_err(Failure::new)? * 2)
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
    let failure = react(|| spawn_deferred(async { Err::<u8, _>(Oops("no route")) })).unwrap_err();
    assert!(failure.check::<Oops>());
}

/// A spawned future that panics fails its Deferred with PanicError.
#[test]
fn spawned_future_panics_become_failures() {
    let failure = react(|| {
        spawn_deferred(async {
            if true {
                panic!("task blew up");
            }
            Ok::<u8, Failure>(0)
        })
    })
    .unwrap_err();
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
            Ok::<_, Failure>(())
        });
        d.cancel();
        let cancelled = deferreds::testing::failure_result_of(d).check::<CancelledError>();
        // Timers fire in deadline order: had the task not been aborted, it would be done
        // before this one.
        spawn_deferred(async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, Failure>(())
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
        defer_to_thread(|| Ok::<_, Failure>(std::thread::current().id()))
            .add_callback(|worker| Ok((worker, std::thread::current().id())))
    })
    .unwrap();
    assert_ne!(worker, loop_thread);
    assert_eq!(fired_on, loop_thread);
}

/// defer_to_thread: an error or a panic in the work fails the Deferred.
#[test]
fn defer_to_thread_errors_and_panics_fail_the_deferred() {
    let failure = react(|| defer_to_thread(|| Err::<u8, _>(Oops("disk full")))).unwrap_err();
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
            Ok::<_, Failure>(1)
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
            Ok::<_, Failure>("some text".to_string())
        }))?;
        log.borrow_mut().push("fetched");
        let length = yield_!(defer_to_thread(move || Ok::<_, Failure>(text.len())))?;
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
                    Ok::<_, Failure>(i)
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
