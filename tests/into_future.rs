//! `.await` on Deferreds (`IntoFuture`) and `ensure_deferred`, Twisted's `ensureDeferred`.

use std::cell::{Cell, RefCell};
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use deferreds::testing::{
    assert_no_result, capture_unhandled, failure_result_of, success_result_of,
};
use deferreds::{ensure_deferred, inline_callbacks, CancelledError, Deferred, Failure, PanicError};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Boom(&'static str);

/// test_ensureDeferredCoroutine: a future awaiting a Deferred fired later gives its value.
#[test]
fn test_ensure_deferred_coroutine() {
    let (d, resolver) = Deferred::<&str>::new();
    let result = ensure_deferred(async move {
        let value = d.await?;
        Ok::<_, Failure>(format!("{value}!"))
    });
    assert_no_result(&result);
    resolver.callback("bye");
    assert_eq!(success_result_of(result), "bye!");
}

/// A future that never waits gives an already-fired Deferred.
#[test]
fn a_future_that_never_waits_is_fired_at_once() {
    let result = ensure_deferred(async { Ok::<_, Failure>(7) });
    assert!(result.has_result());
    assert_eq!(success_result_of(result), 7);
}

/// TA test_reraise: awaiting a failed Deferred gives its failure inside the future, where it
/// can be handled.
#[test]
fn test_reraise() {
    let result = ensure_deferred(async {
        match Deferred::<u8>::fail(Boom("Boom")).await {
            Err(failure) if failure.check::<Boom>() => Ok::<_, Failure>(1),
            other => other,
        }
    });
    assert_eq!(success_result_of(result), 1);
}

/// An unhandled error in the future fails the Deferred with it.
#[test]
fn an_error_in_the_future_fails_the_deferred() {
    let result = ensure_deferred(async {
        Deferred::<u8>::fail(Boom("deep")).await?;
        Ok::<_, Failure>(0)
    });
    assert_eq!(failure_result_of(result).error_message(), "deep");
}

/// Errors other than Failure convert.
#[test]
fn the_future_may_return_any_error_type() {
    let result = ensure_deferred(async { "x".parse::<u8>() });
    assert!(failure_result_of(result).check::<std::num::ParseIntError>());
}

/// A panic while polling the future fails the Deferred with a PanicError.
#[test]
fn a_panic_in_the_future_becomes_a_failure() {
    let (d, resolver) = Deferred::<u8>::new();
    let result = ensure_deferred(async move {
        let value = d.await?;
        if value > 1 {
            panic!("too big: {value}");
        }
        Ok::<_, Failure>(value)
    });
    resolver.callback(5);
    let failure = failure_result_of(result);
    assert_eq!(
        failure
            .downcast_ref::<PanicError>()
            .map(PanicError::message),
        Some("too big: 5")
    );
}

/// TA test_chained: awaiting a Deferred that waits on another gives the inner's result.
#[test]
fn test_chained() {
    let (inner, fire_inner) = Deferred::<&str>::new();
    let (outer, fire_outer) = Deferred::<()>::new();
    let outer = outer.add_callback(move |()| inner);
    let result = ensure_deferred(async move { outer.await });
    fire_outer.callback(());
    assert_no_result(&result);
    fire_inner.callback("bye");
    assert_eq!(success_result_of(result), "bye");
}

/// TA test_twoDeep: nested futures resume in order as the Deferreds they await fire.
#[test]
fn test_two_deep() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let (first, fire_first) = Deferred::<&str>::new();
    let (second, fire_second) = Deferred::<()>::new();
    let inner_log = log.clone();
    let inner = async move {
        inner_log.borrow_mut().push(2);
        let value = first.await?;
        inner_log.borrow_mut().push(3);
        Ok::<_, Failure>(value)
    };
    let outer_log = log.clone();
    let result = ensure_deferred(async move {
        outer_log.borrow_mut().push(1);
        let value = ensure_deferred(inner).await?;
        outer_log.borrow_mut().push(4);
        second.await?;
        outer_log.borrow_mut().push(5);
        Ok::<_, Failure>(value)
    });
    assert_eq!(*log.borrow(), [1, 2]);
    fire_first.callback("Yay!");
    assert_eq!(*log.borrow(), [1, 2, 3, 4]);
    fire_second.callback(());
    assert_eq!(*log.borrow(), [1, 2, 3, 4, 5]);
    assert_eq!(success_result_of(result), "Yay!");
}

/// Cancelling the Deferred drops the future, which cancels the Deferred it awaits.
#[test]
fn cancelling_drops_the_future_and_cancels_what_it_awaits() {
    struct DropProbe(Rc<Cell<bool>>);
    impl Drop for DropProbe {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let dropped = Rc::new(Cell::new(false));
    let probe = DropProbe(dropped.clone());
    let (awaited, _resolver) = Deferred::<u8>::new();
    let mut awaited = awaited;
    let awaited_controller = awaited.controller();
    let awaited = awaited.add_errback(Err);
    let result = ensure_deferred(async move {
        let _probe = probe;
        awaited.await
    });
    assert!(!dropped.get());
    result.cancel();
    assert!(dropped.get());
    assert!(awaited_controller.is_called());
    assert!(failure_result_of(result).check::<CancelledError>());
}

/// A future can handle the CancelledError of an awaited Deferred cancelled elsewhere.
#[test]
fn the_future_may_handle_a_cancelled_awaited_deferred() {
    let (mut awaited, _resolver) = Deferred::<u8>::new();
    let controller = awaited.controller();
    let result = ensure_deferred(async move {
        match awaited.await {
            Err(failure) if failure.check::<CancelledError>() => Ok::<_, Failure>(99),
            other => other,
        }
    });
    controller.cancel();
    assert_eq!(success_result_of(result), 99);
}

/// Dropping a DeferredFuture before it is ready cancels its Deferred.
#[test]
fn dropping_a_pending_deferred_future_cancels_the_deferred() {
    let (mut d, resolver) = Deferred::<u8>::new();
    let controller = d.controller();
    let mut future = d.into_future();
    let mut context = Context::from_waker(Waker::noop());
    assert!(Pin::new(&mut future).poll(&mut context).is_pending());
    drop(future);
    assert!(controller.is_called());
    assert!(resolver.is_fired());
}

/// Polled by a plain executor loop: pending until the Deferred fires, then ready.
#[test]
fn a_deferred_future_works_under_any_executor() {
    let (d, resolver) = Deferred::<u8>::new();
    let mut future = d.into_future();
    let mut context = Context::from_waker(Waker::noop());
    assert!(Pin::new(&mut future).poll(&mut context).is_pending());
    assert!(Pin::new(&mut future).poll(&mut context).is_pending());
    resolver.callback(3);
    match Pin::new(&mut future).poll(&mut context) {
        Poll::Ready(Ok(3)) => {}
        other => panic!("expected Ready(Ok(3)), got {other:?}"),
    }
}

/// Awaiting the Deferred of an `#[inline_callbacks]` function, and yielding the Deferred of
/// a future from one.
#[test]
fn inline_callbacks_and_futures_interoperate() {
    #[inline_callbacks]
    fn doubled(d: Deferred<u32>) -> Result<u32, Failure> {
        Ok(yield_!(d)? * 2)
    }
    #[inline_callbacks]
    fn plus_one_of_future(d: Deferred<u32>) -> Result<u32, Failure> {
        let value = yield_!(ensure_deferred(async move { doubled(d).await }))?;
        Ok(value + 1)
    }
    let (d, resolver) = Deferred::new();
    let result = plus_one_of_future(d);
    resolver.callback(20);
    assert_eq!(success_result_of(result), 41);
}

/// A future that wakes itself while being polled is polled again, not recursively.
#[test]
fn a_wake_during_a_poll_polls_again_afterwards() {
    struct YieldOnce(bool);
    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
    let result = ensure_deferred(async {
        for _ in 0..1000 {
            YieldOnce(false).await;
        }
        Ok::<_, Failure>("done")
    });
    assert_eq!(success_result_of(result), "done");
}

/// A wake from another thread never polls the future there; a wake on its own thread does.
#[test]
fn a_wake_from_another_thread_does_not_poll_there() {
    struct Remote {
        waker: Arc<Mutex<Option<Waker>>>,
        ready: Rc<Cell<bool>>,
        polled_on: Rc<RefCell<Vec<std::thread::ThreadId>>>,
    }
    impl Future for Remote {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.polled_on
                .borrow_mut()
                .push(std::thread::current().id());
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.ready.get() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }
    let waker = Arc::new(Mutex::new(None));
    let ready = Rc::new(Cell::new(false));
    let polled_on = Rc::new(RefCell::new(Vec::new()));
    let remote = Remote {
        waker: waker.clone(),
        ready: ready.clone(),
        polled_on: polled_on.clone(),
    };
    let result = ensure_deferred(async move {
        remote.await;
        Ok::<_, Failure>(())
    });
    assert_eq!(polled_on.borrow().len(), 1);
    let remote_waker = waker.lock().unwrap().clone().unwrap();
    std::thread::spawn(move || remote_waker.wake())
        .join()
        .unwrap();
    assert_eq!(
        polled_on.borrow().len(),
        1,
        "not polled from the other thread"
    );
    assert_no_result(&result);
    ready.set(true);
    let local_waker = waker.lock().unwrap().clone().unwrap();
    local_waker.wake();
    assert_eq!(polled_on.borrow().len(), 2);
    assert!(polled_on
        .borrow()
        .iter()
        .all(|id| *id == std::thread::current().id()));
    success_result_of(result);
}

/// A future that parks its waker where the test can take it, and is ready once told.
struct Parked {
    waker: Arc<Mutex<Option<Waker>>>,
    ready: Rc<Cell<bool>>,
}

impl Future for Parked {
    type Output = Result<&'static str, Failure>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.ready.get() {
            Poll::Ready(Ok("polled"))
        } else {
            Poll::Pending
        }
    }
}

/// With no loop on its thread, a wake from another thread cannot reach the future: it is
/// reported, once per future, as a CrossThreadWakeError from the waking thread.
#[test]
fn a_wake_from_another_thread_with_no_loop_is_reported_once() {
    let waker = Arc::new(Mutex::new(None));
    let ready = Rc::new(Cell::new(false));
    let result = ensure_deferred(Parked {
        waker: waker.clone(),
        ready: ready.clone(),
    });
    let remote = waker.lock().unwrap().clone().unwrap();
    let reports = std::thread::spawn(move || {
        capture_unhandled(|| {
            remote.wake_by_ref();
            remote.wake();
        })
    })
    .join()
    .unwrap();
    assert_eq!(reports.len(), 1);
    assert!(reports[0]
        .failure()
        .check::<deferreds::CrossThreadWakeError>());
    assert_no_result(&result);
    drop(reports);
    ready.set(true);
    let local = waker.lock().unwrap().clone().unwrap();
    local.wake();
    assert_eq!(success_result_of(result), "polled");
}

/// A wake from another thread left before any loop ran here reaches the future once `react`
/// runs on this thread.
#[cfg(feature = "tokio")]
#[test]
fn a_wake_left_before_the_loop_started_is_delivered_by_it() {
    let waker = Arc::new(Mutex::new(None));
    let ready = Rc::new(Cell::new(false));
    let result = ensure_deferred(Parked {
        waker: waker.clone(),
        ready: ready.clone(),
    });
    ready.set(true);
    let remote = waker.lock().unwrap().clone().unwrap();
    std::thread::spawn(move || capture_unhandled(|| remote.wake()))
        .join()
        .unwrap();
    assert_no_result(&result);
    let delivered = deferreds::react(move || {
        // Bounded, so a lost wake fails the test instead of hanging it.
        let clock = deferreds::TokioClock::new();
        deferreds::add_timeout(result, std::time::Duration::from_secs(20), &clock)
    });
    assert_eq!(delivered.unwrap(), "polled");
}

/// A failure the future handles is not reported; one it returns is, if nobody handles it.
#[test]
fn awaiting_a_failure_handles_it() {
    let reports = capture_unhandled(|| {
        let handled = ensure_deferred(async {
            let _ = Deferred::<u8>::fail(Boom("seen")).await;
            Ok::<_, Failure>(())
        });
        success_result_of(handled);
        drop(ensure_deferred(async {
            Deferred::<u8>::fail(Boom("lost")).await
        }));
    });
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].failure().error_message(), "lost");
}

/// 100,000 awaits of fired Deferreds and of pending ones fired in turn, on the default stack.
#[test]
fn many_awaits_use_constant_stack() {
    let result = ensure_deferred(async {
        let mut total = 0u64;
        for i in 0..100_000u64 {
            total += Deferred::succeed(i).await?;
        }
        Ok::<_, Failure>(total)
    });
    assert_eq!(success_result_of(result), 4_999_950_000);

    let resolvers: Rc<RefCell<Vec<deferreds::Resolver<u64>>>> = Rc::default();
    let source = resolvers.clone();
    let result = ensure_deferred(async move {
        let mut total = 0u64;
        for _ in 0..100_000u64 {
            let (d, resolver) = Deferred::new();
            source.borrow_mut().push(resolver);
            total += d.await?;
        }
        Ok::<_, Failure>(total)
    });
    let mut fired = 0;
    loop {
        let next = resolvers.borrow_mut().pop();
        let Some(resolver) = next else { break };
        resolver.callback(1);
        fired += 1;
    }
    assert_eq!(fired, 100_000);
    assert_eq!(success_result_of(result), 100_000);
}

/// Under `react`, a wake from another thread reaches the loop thread, which polls the future
/// there.
#[cfg(feature = "tokio")]
mod under_the_loop {
    use std::future::{poll_fn, Future};
    use std::pin::Pin;
    use std::time::Duration;

    use deferreds::{add_timeout, ensure_deferred, react, Failure, TokioClock};

    /// Awaits `pending`, which another thread makes ready once `go` is sent: `go` is sent only
    /// after the future has been polled and found pending, so the wake surely comes from
    /// that other thread.
    async fn woken_from_afar<F: Future + Unpin>(
        mut pending: F,
        go: std::sync::mpsc::Sender<()>,
    ) -> F::Output {
        let mut go = Some(go);
        poll_fn(move |cx| {
            let poll = Pin::new(&mut pending).poll(cx);
            if poll.is_pending() {
                if let Some(go) = go.take() {
                    go.send(()).unwrap();
                }
            }
            poll
        })
        .await
    }

    /// Runs `future` under react with a bound, so a lost wake fails instead of hanging.
    fn on_the_loop<T: 'static>(
        future: impl Future<Output = Result<T, Failure>> + 'static,
    ) -> Result<(T, std::thread::ThreadId), Failure> {
        react(|| {
            let clock = TokioClock::new();
            let polled = ensure_deferred(async move {
                let value = future.await?;
                Ok::<_, Failure>((value, std::thread::current().id()))
            });
            add_timeout(polled, Duration::from_secs(20), &clock)
        })
    }

    /// A oneshot sent from a std thread.
    #[test]
    fn a_oneshot_sent_from_a_thread() {
        let outcome = on_the_loop(async {
            let (send, receive) = tokio::sync::oneshot::channel();
            let (go, wait) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                wait.recv().unwrap();
                send.send(21).unwrap();
            });
            Ok(woken_from_afar(receive, go).await.map_err(Failure::new)? * 2)
        });
        assert_eq!(outcome.unwrap(), (42, std::thread::current().id()));
    }

    /// A `spawn_blocking` handle.
    #[test]
    fn a_spawn_blocking_handle() {
        let outcome = on_the_loop(async {
            let (go, wait) = std::sync::mpsc::channel();
            let handle = tokio::task::spawn_blocking(move || {
                wait.recv().unwrap();
                "from the pool"
            });
            woken_from_afar(handle, go).await.map_err(Failure::new)
        });
        assert_eq!(
            outcome.unwrap(),
            ("from the pool", std::thread::current().id())
        );
    }
}

/// A future whose own `Drop` panics once it has finished: the library drops it, so the panic
/// is reported as unhandled and the Deferred still gets the future's output.
#[test]
fn a_finished_future_whose_drop_panics_still_fires_its_deferred() {
    struct PanicsOnDrop;
    impl Future for PanicsOnDrop {
        type Output = Result<u8, Failure>;
        fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
            Poll::Ready(Ok(5))
        }
    }
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("drop of a finished future");
        }
    }
    let mut result = None;
    let reports = capture_unhandled(|| result = Some(ensure_deferred(PanicsOnDrop)));
    assert_eq!(reports.len(), 1);
    let panic = reports[0].failure().downcast_ref::<PanicError>().unwrap();
    assert_eq!(panic.message(), "drop of a finished future");
    assert_eq!(success_result_of(result.unwrap()), 5);
}

/// Cancelling an `ensure_deferred` fails it with the library's `CancelledError`, which, like
/// every failure the library makes, carries no backtrace, whatever `RUST_BACKTRACE` asks.
#[test]
fn the_cancelled_error_of_a_cancelled_future_carries_no_backtrace() {
    let (awaited, _resolver) = Deferred::<u8>::new();
    let result = ensure_deferred(awaited.into_future());
    result.cancel();
    let failure = failure_result_of(result);
    assert!(failure.check::<CancelledError>());
    assert_eq!(
        failure.backtrace().status(),
        std::backtrace::BacktraceStatus::Disabled
    );
}
