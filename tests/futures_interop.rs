//! The `futures` traits: a Deferred in `futures::select!`, a DeferredQueue as a Stream.
#![cfg(feature = "futures")]

use std::future::IntoFuture;
use std::task::{Context, Poll, Waker};

use deferreds::testing::{assert_no_result, success_result_of};
use deferreds::{ensure_deferred, Deferred, DeferredQueue, Failure, QueueUnderflow};
use futures::future::FusedFuture;
use futures::stream::{FusedStream, StreamExt};

/// `select!` takes the Deferred that fires first; the other stays unfinished.
#[test]
fn select_takes_the_deferred_that_fires_first() {
    let (slow, _fire_slow) = Deferred::<&str>::new();
    let (fast, fire_fast) = Deferred::<&str>::new();
    let winner = ensure_deferred(async move {
        let mut slow = slow.into_future();
        let mut fast = fast.into_future();
        let winner = futures::select! {
            value = slow => value?,
            value = fast => value?,
        };
        assert!(fast.is_terminated());
        assert!(!slow.is_terminated());
        Ok::<_, Failure>(winner)
    });
    assert_no_result(&winner);
    fire_fast.callback("fast");
    assert_eq!(success_result_of(winner), "fast");
}

/// A DeferredFuture is terminated once it has given its output, and not before.
#[test]
fn a_deferred_future_is_terminated_once_it_gave_its_output() {
    let (d, resolver) = Deferred::<u8>::new();
    let mut future = d.into_future();
    let mut context = Context::from_waker(Waker::noop());
    assert!(!future.is_terminated());
    assert!(std::pin::Pin::new(&mut future)
        .poll(&mut context)
        .is_pending());
    assert!(!future.is_terminated());
    resolver.callback(3);
    assert!(!future.is_terminated(), "fired, but not yet polled");
    let output = std::pin::Pin::new(&mut future).poll(&mut context);
    assert!(matches!(output, Poll::Ready(Ok(3))));
    assert!(future.is_terminated());

    let mut fired = Deferred::succeed(4).into_future();
    assert!(matches!(
        std::pin::Pin::new(&mut fired).poll(&mut context),
        Poll::Ready(Ok(4))
    ));
    assert!(fired.is_terminated());
}

use std::future::Future;

/// The stream gives the queue's values in order: those kept, then those put later.
#[test]
fn a_queue_stream_gives_the_values_in_order() {
    let queue = DeferredQueue::new();
    queue.put(1).unwrap();
    queue.put(2).unwrap();
    let mut stream = queue.stream();
    let firsts = ensure_deferred(async move {
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(stream.next().await.unwrap()?);
        }
        Ok::<_, Failure>(seen)
    });
    assert_no_result(&firsts);
    queue.put(3).unwrap();
    assert_no_result(&firsts);
    queue.put(4).unwrap();
    assert_eq!(success_result_of(firsts), [1, 2, 3, 4]);
    assert!(queue.is_empty());
}

/// A stream waiting for a value counts as one waiting get; dropping it cancels the get, so
/// the next value stays in the queue.
#[test]
fn dropping_a_waiting_stream_cancels_its_get() {
    let queue = DeferredQueue::new();
    let mut stream = queue.stream();
    let mut context = Context::from_waker(Waker::noop());
    assert!(stream.poll_next_unpin(&mut context).is_pending());
    assert_eq!(queue.waiting(), 1);
    drop(stream);
    assert_eq!(queue.waiting(), 0);
    queue.put("kept").unwrap();
    assert_eq!(queue.len(), 1);
}

/// A value handed to a stream's get that the stream never gave out goes back to the front of
/// the queue when the stream is dropped: no value is lost, and the order is kept.
#[test]
fn a_value_handed_to_a_dropped_stream_goes_back_to_the_front() {
    let queue = DeferredQueue::new();
    let mut stream = queue.stream();
    let mut context = Context::from_waker(Waker::noop());
    assert!(stream.poll_next_unpin(&mut context).is_pending());
    queue.put(1).unwrap(); // handed to the stream's get
    queue.put(2).unwrap(); // kept
    assert_eq!(queue.len(), 1);
    drop(stream);
    assert_eq!(queue.len(), 2);
    assert_eq!(success_result_of(queue.get().unwrap()), 1);
    assert_eq!(success_result_of(queue.get().unwrap()), 2);
}

/// ... or straight to the next get waiting in line.
#[test]
fn a_value_handed_to_a_dropped_stream_goes_to_the_next_get() {
    let queue = DeferredQueue::new();
    let mut stream = queue.stream();
    let mut context = Context::from_waker(Waker::noop());
    assert!(stream.poll_next_unpin(&mut context).is_pending());
    let next = queue.get().unwrap();
    queue.put("first").unwrap();
    drop(stream);
    assert_eq!(success_result_of(next), "first");
}

/// With the queue's line of gets full, the stream gives QueueUnderflow, and goes on giving
/// values once there is room.
#[test]
fn a_stream_on_a_full_backlog_gives_underflow() {
    let queue = DeferredQueue::with_limits(None, Some(1));
    let blocking = queue.get().unwrap();
    let mut stream = queue.stream();
    let mut context = Context::from_waker(Waker::noop());
    assert!(matches!(
        stream.poll_next_unpin(&mut context),
        Poll::Ready(Some(Err(QueueUnderflow)))
    ));
    queue.put(1).unwrap(); // to the get that was waiting first
    assert_eq!(success_result_of(blocking), 1);
    queue.put(2).unwrap();
    assert!(matches!(
        stream.poll_next_unpin(&mut context),
        Poll::Ready(Some(Ok(2)))
    ));
}

/// The stream never ends (a queue has no end), so it fits `select!` beside a Deferred.
#[test]
fn a_queue_stream_in_select() {
    let queue = DeferredQueue::new();
    let (stop, fire_stop) = Deferred::<()>::new();
    let mut stream = queue.stream();
    assert!(!stream.is_terminated());
    let collected = ensure_deferred(async move {
        let mut stop = stop.into_future();
        let mut seen = Vec::new();
        loop {
            futures::select! {
                value = stream.select_next_some() => seen.push(value?),
                stopped = stop => { stopped?; break; }
            }
        }
        Ok::<_, Failure>(seen)
    });
    queue.put('a').unwrap();
    queue.put('b').unwrap();
    fire_stop.callback(());
    assert_eq!(success_result_of(collected), ['a', 'b']);
    assert_eq!(queue.waiting(), 0, "the dropped stream's get was cancelled");
}
