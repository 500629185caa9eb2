//! Firing from other threads: `Deferred::new_remote`, `RemoteResolver`, `LoopHandle`.
#![cfg(feature = "tokio")]

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;

use deferreds::testing::{capture_unhandled, failure_result_of};
use deferreds::{
    gather_results, react, AbandonedError, Deferred, LoopEndedError, LoopHandle,
    LoopNotRunningError, RemoteResolver,
};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Oops(&'static str);

/// A remote fired from a std::thread fires its Deferred, whose callbacks run on the loop
/// thread.
#[test]
fn a_remote_fired_from_a_thread_fires_on_the_loop() {
    let loop_thread = std::thread::current().id();
    let (value, seen_on) = react(|| {
        let (d, remote) = Deferred::<u32>::new_remote();
        std::thread::spawn(move || remote.callback(41));
        d.add_callback(|value| Ok((value + 1, std::thread::current().id())))
    })
    .unwrap();
    assert_eq!(value, 42);
    assert_eq!(seen_on, loop_thread);
}

/// errback and resolve from another thread carry the failure across.
#[test]
fn a_remote_errback_fails_the_deferred() {
    let failure = react(|| {
        let (d, remote) = Deferred::<u32>::new_remote();
        std::thread::spawn(move || remote.errback(Oops("far away")));
        d
    })
    .unwrap_err();
    assert!(failure.check::<Oops>());
    let resolved = react(|| {
        let (d, remote) = Deferred::<&str>::new_remote();
        std::thread::spawn(move || remote.resolve(Ok("resolved")));
        d
    });
    assert_eq!(resolved.unwrap(), "resolved");
}

/// Many threads each firing many remotes: every Deferred gets its own value.
#[test]
fn remotes_fired_from_many_threads() {
    let values = react(|| {
        let (deferreds, remotes): (Vec<_>, Vec<_>) =
            (0..400u32).map(|_| Deferred::new_remote()).unzip();
        let mut remotes = remotes.into_iter().enumerate().collect::<Vec<_>>();
        for _ in 0..8 {
            let batch: Vec<(usize, RemoteResolver<u32>)> = remotes.drain(..50).collect();
            std::thread::spawn(move || {
                for (n, remote) in batch {
                    remote.callback(n as u32 * 10);
                }
            });
        }
        gather_results(deferreds)
    })
    .unwrap();
    assert_eq!(values, (0..400u32).map(|n| n * 10).collect::<Vec<_>>());
}

/// Firing on the loop thread itself does not run the callbacks inside the call: they run on
/// a later turn of the loop, as with Twisted's callFromThread.
#[test]
fn a_remote_fired_on_the_loop_thread_fires_on_a_later_turn() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let record = log.clone();
    react(move || {
        let (d, remote) = Deferred::<()>::new_remote();
        let in_callback = record.clone();
        let d = d.add_callback(move |()| {
            in_callback.borrow_mut().push("fired");
            Ok(())
        });
        remote.callback(());
        record.borrow_mut().push("callback returned");
        d
    })
    .unwrap();
    assert_eq!(*log.borrow(), ["callback returned", "fired"]);
}

/// A remote dropped unfired (on another thread) abandons its Deferred, on the loop thread.
#[test]
fn a_remote_dropped_unfired_abandons_the_deferred() {
    let loop_thread = std::thread::current().id();
    let (abandoned, seen_on) = react(|| {
        let (d, remote) = Deferred::<u32>::new_remote();
        std::thread::spawn(move || drop(remote));
        d.add_both(|result| Ok((result.unwrap_err(), std::thread::current().id())))
    })
    .unwrap();
    assert!(abandoned.check::<AbandonedError>());
    assert_eq!(seen_on, loop_thread);
}

/// The loop ends while a Deferred waits for its remote: it fails, abandoned, as the
/// loop stops, and a later fire from another thread is dropped.
#[test]
fn a_remote_fired_after_the_loop_ended_is_dropped() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let record = seen.clone();
    let (send_remote, receive_remote) = mpsc::channel();
    let reports = capture_unhandled(|| {
        react(move || {
            let (d, remote) = Deferred::<u32>::new_remote();
            drop(d.add_both(move |result| {
                record.borrow_mut().push(result.map_err(|f| {
                    f.downcast_ref::<AbandonedError>()
                        .map(AbandonedError::reason)
                        == Some(deferreds::Abandonment::LoopEnded)
                }));
                Ok(())
            }));
            send_remote.send(remote).unwrap();
            Deferred::succeed(()) // main is done at once: the loop ends
        })
        .unwrap();
    });
    assert!(reports.is_empty());
    assert_eq!(*seen.borrow(), [Err(true)]);
    let remote = receive_remote.recv().unwrap();
    std::thread::spawn(move || remote.callback(7))
        .join()
        .unwrap();
    assert_eq!(*seen.borrow(), [Err(true)], "the late fire changes nothing");
}

/// Outside a loop, new_remote gives a Deferred failed with LoopNotRunningError, and firing
/// its remote does nothing.
#[test]
fn new_remote_outside_a_loop_fails_at_once() {
    let (d, remote) = Deferred::<u8>::new_remote();
    assert!(failure_result_of(d).check::<LoopNotRunningError>());
    std::thread::spawn(move || remote.callback(1))
        .join()
        .unwrap();
}

/// A remote made in one loop and fired while a later loop runs on the same thread does not
/// reach the later loop.
#[test]
fn a_remote_of_an_ended_loop_does_not_reach_the_next_loop() {
    let (send_remote, receive_remote) = mpsc::channel();
    react(move || {
        let (d, remote) = Deferred::<u8>::new_remote();
        drop(d);
        send_remote.send(remote).unwrap();
        Deferred::succeed(())
    })
    .unwrap();
    let stale = receive_remote.recv().unwrap();
    let handle_result = react(move || {
        let handle = LoopHandle::current().unwrap();
        let (d, remote) = Deferred::<u8>::new_remote();
        std::thread::spawn(move || {
            stale.callback(1);
            remote.callback(2);
            drop(handle);
        });
        d
    });
    assert_eq!(handle_result.unwrap(), 2);
}

/// call_from_thread runs a Send closure on the loop thread, in the order the calls were made.
#[test]
fn call_from_thread_runs_closures_on_the_loop_in_order() {
    let loop_thread = std::thread::current().id();
    let (threads, order) = react(|| {
        let handle = LoopHandle::current().unwrap();
        let (d, remote) = Deferred::new_remote();
        std::thread::spawn(move || {
            let (send, receive) = mpsc::channel();
            for n in 0..5 {
                let send = send.clone();
                handle
                    .call_from_thread(move || send.send((std::thread::current().id(), n)).unwrap())
                    .unwrap();
            }
            handle
                .call_from_thread(move || {
                    let seen: Vec<_> = receive.try_iter().collect();
                    remote.callback(seen);
                })
                .unwrap();
        });
        d
    })
    .map(|seen: Vec<(std::thread::ThreadId, i32)>| seen.into_iter().unzip::<_, _, Vec<_>, Vec<_>>())
    .unwrap();
    assert!(threads.iter().all(|thread| *thread == loop_thread));
    assert_eq!(order, [0, 1, 2, 3, 4]);
}

/// After the loop ended, call_from_thread says so and drops the closure.
#[test]
fn call_from_thread_after_the_loop_ended_is_refused() {
    let handle = react(|| Deferred::succeed(LoopHandle::current().unwrap())).unwrap();
    let refused = std::thread::spawn(move || handle.call_from_thread(|| unreachable!()))
        .join()
        .unwrap();
    assert_eq!(refused, Err(LoopEndedError));
}

/// Outside a loop there is no handle to take.
#[test]
fn loop_handle_outside_a_loop_is_an_error() {
    assert_eq!(LoopHandle::current().unwrap_err(), LoopNotRunningError);
}

/// A closure that panics on the loop is reported as unhandled; the loop goes on.
#[test]
fn a_panicking_call_from_thread_is_reported() {
    let reports = capture_unhandled(|| {
        let value = react(|| {
            let handle = LoopHandle::current().unwrap();
            let (d, remote) = Deferred::new_remote();
            std::thread::spawn(move || {
                handle.call_from_thread(|| panic!("bad closure")).unwrap();
                handle
                    .call_from_thread(move || remote.callback("still running"))
                    .unwrap();
            });
            d
        });
        assert_eq!(value.unwrap(), "still running");
    });
    assert_eq!(reports.len(), 1);
    assert!(reports[0].failure().error_message().contains("bad closure"));
}

/// The remote and the handle go to other threads; the handle may be shared.
#[test]
fn remotes_and_handles_cross_threads() {
    fn send<S: Send>() {}
    fn share<S: Send + Sync>() {}
    send::<RemoteResolver<String>>();
    share::<LoopHandle>();
}
