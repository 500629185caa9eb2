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
