//! `DeferredLock`, `DeferredSemaphore` and `DeferredQueue`: Twisted's `OtherPrimitivesTests`
//! (catalogue L) and what the Rust API adds (errors instead of assertions, cancellation
//! taking waiters out of line, hand-offs that do not nest deeply).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use deferreds::testing::{assert_no_result, failure_result_of, success_result_of};
use deferreds::{
    inline_callbacks, CancelledError, Deferred, DeferredLock, DeferredQueue, DeferredSemaphore,
    Failure, InvalidTokensError, NotLockedError, OverReleasedError, QueueOverflow, QueueUnderflow,
};

mod support;
use support::{note, Log, Oops};

// ---------------------------------------------------------------------------------------------
// DeferredLock

/// Catalogue L.117: acquire fires at once and locks; a second waits; release hands the lock
/// to it (still locked); a last release unlocks.
#[test]
fn lock_acquire_waits_and_release_hands_on() {
    let lock = DeferredLock::new();
    let first = lock.acquire();
    assert!(lock.is_locked());
    success_result_of(first);

    let second = lock.acquire();
    assert_no_result(&second);
    lock.release().unwrap();
    assert!(lock.is_locked(), "handed to the second acquirer");
    success_result_of(second);

    lock.release().unwrap();
    assert!(!lock.is_locked());
}

/// Catalogue L.117: `run` calls the function at once when the lock is free and holds the
/// lock until the Deferred it returned fires; a queued acquire fires only then, and `run`'s
/// result is that Deferred's.
#[test]
fn lock_run_holds_the_lock_until_the_returned_deferred_fires() {
    let lock = DeferredLock::new();
    let ran = Rc::new(Cell::new(false));
    let (control, fire_control) = Deferred::<&str>::new();
    let result = lock.run({
        let ran = ran.clone();
        move || {
            ran.set(true);
            control
        }
    });
    assert!(ran.get(), "the function runs at once");
    assert!(lock.is_locked());

    let queued = lock.acquire();
    assert_no_result(&queued);
    fire_control.callback("B");
    assert_eq!(success_result_of(result), "B");
    success_result_of(queued);
    assert!(lock.is_locked(), "now held by the queued acquirer");
    lock.release().unwrap();
    assert!(!lock.is_locked());
}

/// Catalogue L.117: a queued acquire with a both-callback, cancelled, gives the callback
/// `CancelledError`; releasing then unlocks, as nobody waits.
#[test]
fn lock_cancelled_waiter_sees_cancelled_error() {
    let lock = DeferredLock::new();
    let held = lock.acquire();
    let seen = Rc::new(RefCell::new(None));
    let waiter = lock.acquire().add_both({
        let seen = seen.clone();
        move |result| {
            *seen.borrow_mut() = Some(result.err().map(|f| f.check::<CancelledError>()));
            Ok(())
        }
    });
    waiter.cancel();
    assert_eq!(*seen.borrow(), Some(Some(true)));
    success_result_of(waiter);
    lock.release().unwrap();
    assert!(!lock.is_locked());
    drop(held);
}

/// Catalogue L.118: cancelling an acquire that already fired does nothing.
#[test]
fn lock_cancel_after_acquired_does_nothing() {
    let lock = DeferredLock::new();
    let acquired = lock.acquire();
    acquired.cancel();
    let holder = success_result_of(acquired);
    assert!(holder.is_locked());
    holder.release().unwrap();
}

/// Catalogue L.119: with the lock held, a second acquire cancelled fails with
/// `CancelledError` and leaves the line.
#[test]
fn lock_cancel_before_acquired_fails_with_cancelled_error() {
    let lock = DeferredLock::new();
    let held = lock.acquire();
    let waiting = lock.acquire();
    assert_eq!(lock.waiting(), 1);
    waiting.cancel();
    assert!(failure_result_of(waiting).check::<CancelledError>());
    assert_eq!(lock.waiting(), 0);
    drop(held);
}

/// A cancelled waiter is skipped: the release goes to the one behind it.
#[test]
fn lock_release_skips_cancelled_waiters() {
    let lock = DeferredLock::new();
    let held = lock.acquire();
    let log = Log::default();
    let waiters: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|name| {
            let log = log.clone();
            lock.acquire().add_callback(move |lock| {
                note(&log, name);
                Ok(lock)
            })
        })
        .collect();
    waiters[1].cancel();
    lock.release().unwrap();
    assert_eq!(*log.borrow(), ["a"]);
    lock.release().unwrap();
    assert_eq!(*log.borrow(), ["a", "c"]);
    lock.release().unwrap();
    assert!(!lock.is_locked());
    drop((held, waiters));
}

/// Releasing a free lock is an error, not a panic, and changes nothing.
#[test]
fn lock_release_when_unlocked_is_an_error() {
    let lock = DeferredLock::new();
    assert_eq!(lock.release(), Err(NotLockedError));
    assert!(!lock.is_locked());
    let held = lock.acquire();
    lock.release().unwrap();
    assert_eq!(lock.release(), Err(NotLockedError));
    drop(held);
}

/// `run` releases the lock when the function fails, returns an error or panics, and the
/// Deferred carries that failure.
#[test]
fn lock_run_releases_on_failure_and_panic() {
    let lock = DeferredLock::new();
    let failed = lock.run(|| -> Result<(), Failure> { Err(Oops("bad").into()) });
    assert_eq!(failure_result_of(failed).error_message(), "bad");
    assert!(!lock.is_locked());

    let panicked = lock.run(|| -> Result<(), Failure> { panic!("kaboom") });
    let failure = failure_result_of(panicked);
    assert!(failure.check::<deferreds::PanicError>());
    assert!(failure.error_message().contains("kaboom"));
    assert!(!lock.is_locked());

    let (inner, fail_inner) = Deferred::<u8>::new();
    let later = lock.run(move || inner);
    fail_inner.errback(Oops("later"));
    assert_eq!(failure_result_of(later).error_message(), "later");
    assert!(!lock.is_locked());
}

/// If the function released the lock itself, `run`'s own release fails, and the Deferred
/// fails with that error (Twisted's `run` gives the assertion error).
#[test]
fn lock_run_reports_a_double_release() {
    let lock = DeferredLock::new();
    let inner = lock.clone();
    let d = lock.run(move || {
        inner.release().unwrap();
        Ok(5)
    });
    assert!(failure_result_of(d).check::<NotLockedError>());
}

/// Cancelling `run` while it waits for the lock means the function never runs.
#[test]
fn lock_run_cancelled_while_waiting_never_runs() {
    let lock = DeferredLock::new();
    let held = lock.acquire();
    let ran = Rc::new(Cell::new(false));
    let d = lock.run({
        let ran = ran.clone();
        move || {
            ran.set(true);
            Ok(())
        }
    });
    d.cancel();
    assert!(failure_result_of(d).check::<CancelledError>());
    lock.release().unwrap();
    assert!(!ran.get());
    assert!(!lock.is_locked());
    drop(held);
}

/// Cancelling `run` while the function's Deferred is pending cancels that Deferred and
/// releases the lock.
#[test]
fn lock_run_cancelled_while_running_cancels_the_work_and_releases() {
    let lock = DeferredLock::new();
    let (work, _keep) = Deferred::<u8>::new();
    let d = lock.run(move || work);
    let next = lock.acquire();
    d.cancel();
    assert!(failure_result_of(d).check::<CancelledError>());
    success_result_of(next).release().unwrap();
    assert!(!lock.is_locked());
}

/// Waiters are served first come, first served, and each gets the lock before the next.
#[test]
fn lock_serves_waiters_in_order() {
    let lock = DeferredLock::new();
    let log = Log::default();
    let runs: Vec<_> = (0..5)
        .map(|i| {
            let log = log.clone();
            let (work, finish) = Deferred::<()>::new();
            let run = lock.run(move || {
                note(&log, format!("start {i}"));
                work
            });
            (run, finish)
        })
        .collect();
    let mut done = Vec::new();
    for (i, (run, finish)) in runs.into_iter().enumerate() {
        assert_eq!(log.borrow().last().unwrap(), &format!("start {i}"));
        finish.callback(());
        done.push(run);
    }
    assert_eq!(log.borrow().len(), 5);
    done.into_iter().for_each(success_result_of);
    assert!(!lock.is_locked());
}

/// A release from inside a waiter's callback hands the lock on at once, inside that call,
/// as Twisted does: the next waiter runs before the code after the release.
#[test]
fn lock_release_inside_a_callback_hands_on_at_once() {
    let lock = DeferredLock::new();
    let held = lock.acquire();
    let log = Log::default();
    let first = lock.acquire().add_callback({
        let log = log.clone();
        move |lock| {
            note(&log, "first has it");
            lock.release().unwrap();
            note(&log, "first released");
            Ok(())
        }
    });
    let second = lock.acquire().add_callback({
        let log = log.clone();
        move |lock| {
            note(&log, "second has it");
            Ok(lock)
        }
    });
    lock.release().unwrap();
    assert_eq!(
        *log.borrow(),
        ["first has it", "second has it", "first released"]
    );
    success_result_of(first);
    success_result_of(second).release().unwrap();
    drop(held);
}

/// Catalogue L.127: an inline-callbacks body holds the lock between acquire and release; an
/// acquire made inside waits until the release.
#[test]
fn lock_in_inline_callbacks() {
    #[inline_callbacks]
    fn critical(lock: DeferredLock, log: Log) -> Result<(), Failure> {
        yield_!(lock.acquire())?;
        assert!(lock.is_locked());
        let inside = lock.acquire();
        note(&log, format!("inside: fired {}", inside.has_result()));
        lock.release()?;
        note(
            &log,
            format!("after release: fired {}", inside.has_result()),
        );
        yield_!(inside)?;
        lock.release()?;
        Ok(())
    }
    let lock = DeferredLock::new();
    let log = Log::default();
    success_result_of(critical(lock.clone(), log.clone()));
    assert_eq!(
        *log.borrow(),
        ["inside: fired false", "after release: fired true"]
    );
    assert!(!lock.is_locked());
}

/// Catalogue L.129: an error inside the critical section propagates, and `run` releases the
/// lock.
#[test]
fn lock_error_in_inline_critical_section_releases() {
    #[inline_callbacks]
    fn failing(lock: DeferredLock) -> Result<u8, Failure> {
        let (step, fire) = Deferred::<u8>::new();
        fire.errback(Oops("inside the lock"));
        let value = yield_!(lock.run(move || step))?;
        Ok(value)
    }
    let lock = DeferredLock::new();
    let failure = failure_result_of(failing(lock.clone()));
    assert_eq!(failure.error_message(), "inside the lock");
    assert!(!lock.is_locked());
}

// ---------------------------------------------------------------------------------------------
// DeferredSemaphore

/// Catalogue L.120: N acquires fire at once (counting down the tokens); the next waits; a
/// cancelled waiter goes the errback way; one release fires the next queued acquire; further
/// releases fire nothing more.
#[test]
fn semaphore_counts_tokens() {
    const N: usize = 13;
    let semaphore = DeferredSemaphore::new(N).unwrap();
    let count = Rc::new(Cell::new(0));
    let acquired: Vec<_> = (0..N)
        .map(|i| {
            let counter = count.clone();
            let d = semaphore.acquire().add_callback(move |s| {
                counter.set(counter.get() + 1);
                Ok(s)
            });
            assert_eq!(count.get(), i + 1);
            d
        })
        .collect();
    assert_eq!(semaphore.tokens(), 0);

    let took_errback = Rc::new(Cell::new(false));
    let cancelled = semaphore.acquire().add_callbacks(
        |_| -> Result<(), Failure> { panic!("a cancelled acquire must not succeed") },
        {
            let took_errback = took_errback.clone();
            move |failure| {
                took_errback.set(failure.check::<CancelledError>());
                Ok(())
            }
        },
    );
    cancelled.cancel();
    assert!(took_errback.get());

    let queued = semaphore.acquire().add_callback({
        let count = count.clone();
        move |s| {
            count.set(count.get() + 1);
            Ok(s)
        }
    });
    semaphore.release().unwrap();
    assert_eq!(count.get(), N + 1);
    for _ in 0..N {
        semaphore.release().unwrap();
        assert_eq!(count.get(), N + 1);
    }
    assert_eq!(semaphore.tokens(), N);
    drop((acquired, queued));
}

/// Catalogue L.120: `run` waits for the function's Deferred before releasing.
#[test]
fn semaphore_run_waits_for_the_returned_deferred() {
    let semaphore = DeferredSemaphore::new(1).unwrap();
    let (control, fire) = Deferred::<()>::new();
    let d = semaphore.run(move || control);
    assert_eq!(semaphore.tokens(), 0);
    assert_no_result(&d);
    fire.callback(());
    success_result_of(d);
    assert_eq!(semaphore.tokens(), 1);
}

/// Catalogue L.121: no tokens is an error (Twisted's `ValueError` for 0 and -1; a `usize`
/// cannot be negative).
#[test]
fn semaphore_needs_a_token() {
    assert_eq!(DeferredSemaphore::new(0).unwrap_err(), InvalidTokensError);
    assert!(DeferredSemaphore::new(1).is_ok());
}

/// Catalogue L.122: cancelling a fired acquire does nothing.
#[test]
fn semaphore_cancel_after_acquired_does_nothing() {
    let semaphore = DeferredSemaphore::new(1).unwrap();
    let d = semaphore.acquire();
    d.cancel();
    success_result_of(d);
    assert_eq!(semaphore.tokens(), 0);
}

/// Catalogue L.123: with the token held, a second acquire cancelled fails with
/// `CancelledError`.
#[test]
fn semaphore_cancel_before_acquired_fails() {
    let semaphore = DeferredSemaphore::new(1).unwrap();
    let held = semaphore.acquire();
    let waiting = semaphore.acquire();
    waiting.cancel();
    assert!(failure_result_of(waiting).check::<CancelledError>());
    assert_eq!(semaphore.waiting(), 0);
    semaphore.release().unwrap();
    assert_eq!(semaphore.tokens(), 1);
    drop(held);
}

/// Releasing more often than acquiring is an error and changes nothing.
#[test]
fn semaphore_over_release_is_an_error() {
    let semaphore = DeferredSemaphore::new(2).unwrap();
    assert_eq!(semaphore.release(), Err(OverReleasedError { limit: 2 }));
    let held = semaphore.acquire();
    semaphore.release().unwrap();
    assert_eq!(semaphore.release(), Err(OverReleasedError { limit: 2 }));
    assert_eq!(semaphore.tokens(), 2);
    drop(held);
}

/// Catalogue L.128: nested holders in an inline-callbacks body: tokens count down, a third
/// acquire beyond the limit waits, and leaving the inner hold hands the token on.
#[test]
fn semaphore_in_inline_callbacks() {
    #[inline_callbacks]
    fn nested(semaphore: DeferredSemaphore, log: Log) -> Result<(), Failure> {
        yield_!(semaphore.acquire())?;
        note(&log, format!("outer: {}", semaphore.tokens()));
        yield_!(semaphore.acquire())?;
        note(&log, format!("inner: {}", semaphore.tokens()));
        let d1 = semaphore.acquire();
        let d2 = semaphore.acquire();
        note(
            &log,
            format!(
                "extra: {} {} {}",
                semaphore.tokens(),
                d1.has_result(),
                d2.has_result()
            ),
        );
        semaphore.release()?; // leaving the inner hold
        note(&log, format!("d2 after inner release: {}", d2.has_result()));
        semaphore.release()?; // leaving the outer hold
        yield_!(d1)?;
        yield_!(d2)?;
        semaphore.release()?;
        semaphore.release()?;
        Ok(())
    }
    let semaphore = DeferredSemaphore::new(3).unwrap();
    let log = Log::default();
    success_result_of(nested(semaphore.clone(), log.clone()));
    assert_eq!(
        *log.borrow(),
        [
            "outer: 2",
            "inner: 1",
            "extra: 0 true false",
            "d2 after inner release: true"
        ]
    );
    assert_eq!(semaphore.tokens(), 3);
}

/// A semaphore bounds how much work runs at once: with 2 tokens and 5 runs, never more than
/// 2 are in progress, and all finish.
#[test]
fn semaphore_bounds_concurrency() {
    let semaphore = DeferredSemaphore::new(2).unwrap();
    let running = Rc::new(Cell::new(0));
    let most = Rc::new(Cell::new(0));
    let mut finishers = Vec::new();
    let runs: Vec<_> = (0..5)
        .map(|i| {
            let (work, finish) = Deferred::<u32>::new();
            finishers.push(finish);
            let (running, most) = (running.clone(), most.clone());
            semaphore.run(move || {
                running.set(running.get() + 1);
                most.set(most.get().max(running.get()));
                work.add_both(move |r| {
                    running.set(running.get() - 1);
                    r.map(|_| i)
                })
            })
        })
        .collect();
    for finish in finishers {
        finish.callback(0);
    }
    let done: Vec<u32> = runs.into_iter().map(success_result_of).collect();
    assert_eq!(done, [0, 1, 2, 3, 4]);
    assert_eq!(most.get(), 2);
    assert_eq!(semaphore.tokens(), 2);
}

// ---------------------------------------------------------------------------------------------
// DeferredQueue

/// Catalogue L.124: size 2, backlog 2: two gets wait, a third underflows; puts 0 and 1 go
/// to the waiting gets in order; puts 2 and 3 are kept; a fifth put overflows; gets then
/// return 2 and 3 at once.
#[test]
fn queue_limits_and_order() {
    let queue = DeferredQueue::with_limits(Some(2), Some(2));
    let first = queue.get().unwrap();
    let second = queue.get().unwrap();
    assert_eq!(queue.get().unwrap_err(), QueueUnderflow);
    for i in 0..4 {
        queue.put(i).unwrap();
    }
    assert_eq!(success_result_of(first), 0);
    assert_eq!(success_result_of(second), 1);
    assert_eq!(queue.len(), 2);
    let overflow: QueueOverflow<i32> = queue.put(4).unwrap_err();
    assert_eq!(overflow.into_inner(), 4);
    assert_eq!(success_result_of(queue.get().unwrap()), 2);
    assert_eq!(success_result_of(queue.get().unwrap()), 3);
    assert!(queue.is_empty());
}

/// Catalogue L.124: unbounded: two gets, then two puts, give `[0, 1]`.
#[test]
fn queue_unbounded_gets_then_puts() {
    let queue = DeferredQueue::new();
    let gets = [queue.get().unwrap(), queue.get().unwrap()];
    queue.put(0).unwrap();
    queue.put(1).unwrap();
    assert_eq!(gets.map(success_result_of), [0, 1]);
}

/// Catalogue L.124: size 0 overflows at the first put; backlog 0 underflows at the first get.
#[test]
fn queue_zero_limits() {
    let no_room = DeferredQueue::with_limits(Some(0), None);
    assert_eq!(no_room.put("x").unwrap_err().into_inner(), "x");
    let no_waiting = DeferredQueue::<u8>::with_limits(None, Some(0));
    assert_eq!(no_waiting.get().unwrap_err(), QueueUnderflow);
}

/// Catalogue L.125: a get, a put that fires it, then a cancel: no errback.
#[test]
fn queue_cancel_after_get_fired_does_nothing() {
    let queue = DeferredQueue::new();
    let d = queue.get().unwrap();
    queue.put("value").unwrap();
    d.cancel();
    assert_eq!(success_result_of(d), "value");
}

/// Catalogue L.126: a waiting get cancelled fails with `CancelledError` and leaves the line,
/// so a later put and get work.
#[test]
fn queue_cancelled_get_leaves_the_line() {
    let queue = DeferredQueue::new();
    let d = queue.get().unwrap();
    d.cancel();
    assert!(failure_result_of(d).check::<CancelledError>());
    assert_eq!(queue.waiting(), 0);
    queue.put(()).unwrap();
    success_result_of(queue.get().unwrap());
}

/// A put skips cancelled gets and goes to the next one in line.
#[test]
fn queue_put_skips_cancelled_gets() {
    let queue = DeferredQueue::new();
    let gets: Vec<_> = (0..3).map(|_| queue.get().unwrap()).collect();
    gets[0].cancel();
    queue.put("first put").unwrap();
    let mut gets = gets.into_iter();
    assert!(failure_result_of(gets.next().unwrap()).check::<CancelledError>());
    assert_eq!(success_result_of(gets.next().unwrap()), "first put");
    let last = gets.next().unwrap();
    assert_no_result(&last);
    queue.put("second put").unwrap();
    assert_eq!(success_result_of(last), "second put");
}

/// A consumer written with inline callbacks takes values as producers put them.
#[test]
fn queue_consumer_in_inline_callbacks() {
    #[inline_callbacks]
    fn consume(queue: DeferredQueue<Option<u32>>) -> Result<u32, Failure> {
        let mut total = 0;
        while let Some(value) = yield_!(queue.get()?)? {
            total += value;
        }
        Ok(total)
    }
    let queue = DeferredQueue::new();
    let total = consume(queue.clone());
    for value in 1..=4 {
        assert_no_result(&total);
        queue.put(Some(value)).unwrap();
    }
    queue.put(None).unwrap();
    assert_eq!(success_result_of(total), 10);
}

/// A full queue's overflow carries the value back, and `?` turns it into a Failure inside
/// an inline-callbacks body.
#[test]
fn queue_overflow_is_a_failure_with_question_mark() {
    #[inline_callbacks]
    fn fill(queue: DeferredQueue<u8>) -> Result<(), Failure> {
        queue.put(1)?;
        queue.put(2)?;
        Ok(())
    }
    let queue = DeferredQueue::with_limits(Some(1), None);
    let failure = failure_result_of(fill(queue.clone()));
    assert_eq!(
        failure.downcast_ref::<QueueOverflow<u8>>().map(|o| o.0),
        Some(2)
    );
    assert_eq!(queue.len(), 1);
}

/// Debug output shows the state of each primitive.
#[test]
fn debug_output() {
    let lock = DeferredLock::new();
    let held = lock.acquire();
    assert_eq!(
        format!("{lock:?}"),
        "DeferredLock { locked: true, waiting: 0 }"
    );
    let semaphore = DeferredSemaphore::new(2).unwrap();
    assert_eq!(
        format!("{semaphore:?}"),
        "DeferredSemaphore { tokens: 2, limit: 2, waiting: 0 }"
    );
    let queue = DeferredQueue::<u8>::with_limits(Some(3), None);
    assert_eq!(
        format!("{queue:?}"),
        "DeferredQueue { len: 0, waiting: 0, size: Some(3), backlog: None }"
    );
    drop(held);
}

/// A waiting acquire whose Deferred was dropped is passed over: the lock goes to the next,
/// or is freed, instead of to nobody.
#[test]
fn lock_passes_over_dropped_waiters() {
    let lock = DeferredLock::new();
    let held = lock.acquire();
    drop(lock.acquire());
    let kept = lock.acquire();
    drop(lock.acquire());
    lock.release().unwrap();
    success_result_of(kept).release().unwrap();
    assert!(
        !lock.is_locked(),
        "the last waiter was dropped: the lock is free"
    );
    drop(held);
}

/// The same for a semaphore's tokens.
#[test]
fn semaphore_passes_over_dropped_waiters() {
    let semaphore = DeferredSemaphore::new(1).unwrap();
    let held = semaphore.acquire();
    drop(semaphore.acquire());
    semaphore.release().unwrap();
    assert_eq!(semaphore.tokens(), 1);
    drop(held);
}

/// A value put while the only waiting get was dropped is kept for the next get, not lost.
#[test]
fn queue_keeps_values_meant_for_dropped_gets() {
    let queue = DeferredQueue::new();
    drop(queue.get().unwrap());
    let kept = queue.get().unwrap();
    queue.put("first").unwrap();
    queue.put("second").unwrap();
    assert_eq!(success_result_of(kept), "first");
    assert_eq!(queue.len(), 1);
    assert_eq!(success_result_of(queue.get().unwrap()), "second");
}

/// A waiter held only through a controller, or through callbacks added to it, is still
/// served.
#[test]
fn waiters_kept_by_callbacks_are_served() {
    let queue = DeferredQueue::new();
    let log = Log::default();
    drop(queue.get().unwrap().add_callback({
        let log = log.clone();
        move |value: u8| {
            note(&log, format!("got {value}"));
            Ok(())
        }
    }));
    queue.put(7).unwrap();
    assert_eq!(*log.borrow(), ["got 7"]);
}

/// Dropped waiters do not count: not in `waiting()`, and not against a queue's backlog.
#[test]
fn dropped_waiters_do_not_count() {
    let queue = DeferredQueue::<u8>::with_limits(None, Some(1));
    drop(queue.get().unwrap());
    assert_eq!(queue.waiting(), 0);
    let kept = queue
        .get()
        .expect("the dropped get left room in the backlog");
    assert_eq!(queue.get().unwrap_err(), QueueUnderflow);
    queue.put(3).unwrap();
    assert_eq!(success_result_of(kept), 3);

    let lock = DeferredLock::new();
    let held = lock.acquire();
    drop(lock.acquire());
    assert_eq!(lock.waiting(), 0);
    drop(held);
}

// ---------------------------------------------------------------------------------------------
// DeferredQueue::pending

/// Twisted's `pending`: the values kept, oldest first; a copy, so changing it changes
/// nothing, and values handed straight to a waiting `get` are never in it.
#[test]
fn queue_pending_lists_the_kept_values_in_order() {
    let queue = DeferredQueue::new();
    assert!(queue.pending().is_empty());
    let waiting = queue.get().unwrap();
    queue.put("to the waiting get").unwrap();
    assert!(queue.pending().is_empty());
    assert_eq!(success_result_of(waiting), "to the waiting get");

    queue.put("a").unwrap();
    queue.put("b").unwrap();
    queue.put("c").unwrap();
    let mut copy = queue.pending();
    assert_eq!(copy, ["a", "b", "c"]);
    copy.clear();
    assert_eq!(queue.pending(), ["a", "b", "c"]);

    assert_eq!(success_result_of(queue.get().unwrap()), "a");
    queue.put("d").unwrap();
    assert_eq!(queue.pending(), ["b", "c", "d"]);
}

/// A value whose `Clone` uses the queue it is in.
struct Reentrant {
    name: &'static str,
    queue: Rc<RefCell<Option<DeferredQueue<Reentrant>>>>,
    on_clone: fn(&Reentrant, &DeferredQueue<Reentrant>),
    log: Log,
}

impl Clone for Reentrant {
    fn clone(&self) -> Self {
        let queue = self.queue.borrow_mut().take(); // reenters once
        if let Some(queue) = queue {
            (self.on_clone)(self, &queue);
        }
        Reentrant {
            name: self.name,
            queue: Rc::new(RefCell::new(None)), // copies do not reenter
            on_clone: self.on_clone,
            log: self.log.clone(),
        }
    }
}

fn reentrant_queue(
    names: &[&'static str],
    on_clone: fn(&Reentrant, &DeferredQueue<Reentrant>),
) -> (DeferredQueue<Reentrant>, Log) {
    let queue = DeferredQueue::new();
    let log = Log::default();
    for &name in names {
        let slot = Rc::new(RefCell::new(None));
        if name == "reenters" {
            *slot.borrow_mut() = Some(queue.clone());
        }
        let value = Reentrant {
            name,
            queue: slot,
            on_clone,
            log: log.clone(),
        };
        assert!(queue.put(value).is_ok());
    }
    (queue, log)
}

fn names(queue: &DeferredQueue<Reentrant>) -> Vec<&'static str> {
    queue.pending().iter().map(|v| v.name).collect()
}

/// A `Clone` that puts to the queue does not find it borrowed: the value it puts goes after
/// the values being copied, and is not in the copy.
#[test]
fn queue_pending_survives_a_clone_that_puts() {
    let (queue, _log) = reentrant_queue(&["a", "reenters", "c"], |value, queue| {
        let put = Reentrant {
            name: "put while cloning",
            queue: Rc::new(RefCell::new(None)),
            on_clone: value.on_clone,
            log: value.log.clone(),
        };
        assert!(queue.put(put).is_ok());
    });
    let copy: Vec<&str> = queue.pending().iter().map(|v| v.name).collect();
    assert_eq!(copy, ["a", "reenters", "c"]);
    assert_eq!(names(&queue), ["a", "reenters", "c", "put while cloning"]);
}

/// A `Clone` that gets from the queue gets its oldest value, as it would have had it not
/// been copying.
#[test]
fn queue_pending_survives_a_clone_that_gets() {
    let (queue, log) = reentrant_queue(&["a", "reenters", "c"], |value, queue| {
        let log = value.log.clone();
        let got = queue.get().unwrap();
        note(&log, "got a Deferred");
        let _ = got.add_callback(move |v: Reentrant| {
            note(&log, format!("got {}", v.name));
            Ok(())
        });
    });
    let copy: Vec<&str> = queue.pending().iter().map(|v| v.name).collect();
    assert_eq!(copy, ["a", "reenters", "c"]);
    assert_eq!(*log.borrow(), ["got a Deferred", "got a"]);
    assert_eq!(queue.waiting(), 0);
    let left: Vec<&str> = {
        let (a, b) = (queue.get().unwrap(), queue.get().unwrap());
        vec![success_result_of(a).name, success_result_of(b).name]
    };
    assert_eq!(left, ["reenters", "c"]);
}

/// A `Clone` that panics leaves the queue as it was.
#[test]
fn queue_pending_survives_a_panicking_clone() {
    let (queue, _log) = reentrant_queue(&["a", "reenters", "c"], |_, _| panic!("no copies"));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| queue.pending()));
    assert!(outcome.is_err());
    let taken: Vec<&str> = (0..3)
        .map(|_| success_result_of(queue.get().unwrap()).name)
        .collect();
    assert_eq!(taken, ["a", "reenters", "c"]);
    assert!(queue.is_empty());
}

/// A queue's stream is `Unpin` whatever its values are, so `StreamExt::next` takes it as it
/// is, unpinned.
#[cfg(feature = "futures")]
#[test]
fn a_queue_stream_is_unpin_for_any_value() {
    fn assert_unpin<S: Unpin>() {}
    assert_unpin::<deferreds::QueueStream<std::marker::PhantomPinned>>();
}
