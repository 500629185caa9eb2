//! Scoped holds, Twisted's `async with lock:` / `async with semaphore:`:
//! `DeferredLock::acquire_guard` gives a `LockGuard`, `DeferredSemaphore::acquire_guard` a
//! `SemaphorePermit`, each releasing when dropped, however the scope holding it ends.

use deferreds::testing::{
    assert_no_result, capture_unhandled, failure_result_of, success_result_of,
};
use deferreds::{
    ensure_deferred, inline_callbacks, CancelledError, Deferred, DeferredLock, DeferredSemaphore,
    Failure,
};

mod support;
use support::{note, Log};

/// Logs `<name> has the lock` when `lock` is handed to a new waiter, which then releases it.
fn next_in_line(lock: &DeferredLock, log: &Log, name: &'static str) -> Deferred<()> {
    let log = log.clone();
    lock.acquire().add_callback(move |lock| {
        note(&log, format!("{name} has the lock"));
        lock.release()?;
        Ok(())
    })
}

/// Holds the lock from its first `yield_!` to the end of the body, whatever ends it.
#[inline_callbacks]
fn hold_lock_while(
    lock: DeferredLock,
    work: Deferred<&'static str>,
    log: Log,
) -> Result<&'static str, Failure> {
    let _guard = yield_!(lock.acquire_guard())?;
    note(&log, "body has the lock");
    let done = match yield_!(work) {
        Ok(done) => done,
        Err(failure) => {
            note(&log, format!("body ends: {failure}"));
            return Err(failure);
        }
    };
    if done == "panic" {
        panic!("the body panicked");
    }
    note(&log, "body ends");
    Ok(done)
}

/// The outer Deferred of `body`, logging when its callbacks run.
fn logged<T: 'static>(body: Deferred<T>, log: &Log) -> Deferred<T> {
    let log = log.clone();
    body.add_both(move |result| {
        note(&log, "outer fires");
        result
    })
}

/// A `hold_lock_while(work)` body, `logged`, and a waiter next in line for the lock after it.
fn body_then_next(
    lock: &DeferredLock,
    log: &Log,
    work: Deferred<&'static str>,
) -> (Deferred<&'static str>, Deferred<()>) {
    let body = logged(hold_lock_while(lock.clone(), work, log.clone()), log);
    (body, next_in_line(lock, log, "next"))
}

/// Success: the guard releases when the body returns, before the outer Deferred fires, and
/// the next in line gets the lock then.
#[test]
fn a_guard_releases_when_the_body_returns() {
    let (log, lock) = (Log::default(), DeferredLock::new());
    let (work, finish) = Deferred::new();
    let (body, next) = body_then_next(&lock, &log, work);
    assert_no_result(&next);
    finish.callback("done");
    assert_eq!(success_result_of(body), "done");
    success_result_of(next);
    assert_eq!(
        *log.borrow(),
        [
            "body has the lock",
            "body ends",
            "next has the lock",
            "outer fires"
        ]
    );
    assert!(!lock.is_locked());
}

/// Failure: a body that returns an `Err` at a later `yield_!` releases the lock.
#[test]
fn a_guard_releases_when_the_body_fails() {
    let (log, lock) = (Log::default(), DeferredLock::new());
    let (work, finish) = Deferred::new();
    let (body, next) = body_then_next(&lock, &log, work);
    finish.errback(Failure::msg("disk full"));
    assert_eq!(failure_result_of(body).error_message(), "disk full");
    success_result_of(next);
    assert_eq!(
        *log.borrow(),
        [
            "body has the lock",
            "body ends: disk full",
            "next has the lock",
            "outer fires"
        ]
    );
    assert!(!lock.is_locked());
}

/// A body that panics while holding the guard releases the lock as it unwinds.
#[test]
fn a_guard_releases_when_the_body_panics() {
    let (log, lock) = (Log::default(), DeferredLock::new());
    let (work, finish) = Deferred::new();
    let (body, next) = body_then_next(&lock, &log, work);
    finish.callback("panic");
    let failure = failure_result_of(body);
    assert!(failure.check::<deferreds::PanicError>(), "{failure}");
    success_result_of(next);
    assert_eq!(
        *log.borrow(),
        ["body has the lock", "next has the lock", "outer fires"]
    );
    assert!(!lock.is_locked());
}

/// Cancellation: cancelling the outer Deferred while the body waits holding the guard ends
/// the body at its `yield_!`, which releases the lock: the next waiter gets it.
#[test]
fn a_guard_releases_when_the_body_is_cancelled() {
    let (log, lock) = (Log::default(), DeferredLock::new());
    let (work, _never) = Deferred::new();
    let (body, next) = body_then_next(&lock, &log, work);
    assert_no_result(&next);
    body.cancel();
    assert!(failure_result_of(body).check::<CancelledError>());
    success_result_of(next);
    assert_eq!(
        *log.borrow(),
        [
            "body has the lock",
            format!("body ends: {CancelledError}").as_str(),
            "next has the lock",
            "outer fires"
        ]
    );
    assert!(!lock.is_locked());
}

/// A body cancelled while it waits for the lock never holds it; the holder keeps it.
#[test]
fn a_body_cancelled_while_waiting_for_the_lock_takes_nothing() {
    let (log, lock) = (Log::default(), DeferredLock::new());
    let holder = success_result_of(lock.acquire_guard());
    let body = hold_lock_while(lock.clone(), Deferred::succeed("done"), log.clone());
    assert_eq!(lock.waiting(), 1);
    body.cancel();
    assert!(failure_result_of(body).check::<CancelledError>());
    assert_eq!(lock.waiting(), 0);
    assert!(lock.is_locked());
    drop(holder);
    assert!(!lock.is_locked());
    assert!(log.borrow().is_empty());
}

/// In async code: `acquire_guard().await?` holds the lock until the future ends, or is
/// dropped by a cancel.
#[test]
fn a_guard_in_an_async_block_releases_on_completion_and_on_cancel() {
    let (log, lock) = (Log::default(), DeferredLock::new());
    let body = |work: Deferred<&'static str>| {
        let (lock, log) = (lock.clone(), log.clone());
        ensure_deferred(async move {
            let _guard = lock.acquire_guard().await?;
            note(&log, "future has the lock");
            work.await
        })
    };
    let (work, finish) = Deferred::new();
    let first = body(work);
    let (work, _never) = Deferred::new();
    let second = body(work);
    let third = next_in_line(&lock, &log, "third");
    finish.callback("first done");
    assert_eq!(success_result_of(first), "first done");
    assert_no_result(&third);
    second.cancel();
    assert!(failure_result_of(second).check::<CancelledError>());
    success_result_of(third);
    assert_eq!(
        *log.borrow(),
        [
            "future has the lock",
            "future has the lock",
            "third has the lock"
        ]
    );
    assert!(!lock.is_locked());
}

/// Drop order: guards go in the reverse order of their bindings, at the end of the body,
/// before the outer Deferred fires.
#[test]
fn guards_release_in_reverse_order_of_binding() {
    #[inline_callbacks]
    fn both(lock: DeferredLock, slots: DeferredSemaphore, log: Log) -> Result<(), Failure> {
        let _guard = yield_!(lock.acquire_guard())?;
        let _permit = yield_!(slots.acquire_guard())?;
        note(&log, "body has both");
        Ok(())
    }

    let log = Log::default();
    let lock = DeferredLock::new();
    let slots = DeferredSemaphore::new(1).unwrap();
    let hold_slot = success_result_of(slots.acquire());
    let body = logged(both(lock.clone(), slots.clone(), log.clone()), &log);
    let next_lock = next_in_line(&lock, &log, "next");
    let record = log.clone();
    let next_slot = slots.acquire().add_callback(move |slots| {
        note(&record, "next has the token");
        slots.release()?;
        Ok(())
    });
    assert_no_result(&body); // waits for the token
    hold_slot.release().unwrap();
    success_result_of(body);
    success_result_of(next_lock);
    success_result_of(next_slot);
    assert_eq!(
        *log.borrow(),
        [
            "body has both",
            "next has the token",
            "next has the lock",
            "outer fires"
        ]
    );
    assert_eq!((lock.is_locked(), slots.tokens()), (false, 1));
}

/// A guard whose hold was already ended by a `release()` by hand does nothing when dropped:
/// the lock is someone else's by then, and stays theirs.
#[test]
fn a_guard_released_by_hand_does_not_release_the_next_hold() {
    let lock = DeferredLock::new();
    let guard = success_result_of(lock.acquire_guard());
    lock.release().unwrap();
    let next = success_result_of(lock.acquire_guard());
    drop(guard);
    assert!(lock.is_locked(), "the second hold is untouched");
    drop(next);
    assert!(!lock.is_locked());

    let guard = success_result_of(lock.acquire_guard());
    lock.release().unwrap();
    drop(guard); // free already: nothing to release, no error
    assert!(!lock.is_locked());
}

/// A permit whose token was given back by hand does nothing when every token is free.
#[test]
fn a_permit_given_back_by_hand_does_nothing_when_all_tokens_are_free() {
    let reports = capture_unhandled(|| {
        let slots = DeferredSemaphore::new(2).unwrap();
        let permit = success_result_of(slots.acquire_guard());
        assert_eq!(slots.tokens(), 1);
        slots.release().unwrap();
        drop(permit);
        assert_eq!(slots.tokens(), 2);
    });
    assert!(reports.is_empty());
}

/// A semaphore's permits: up to `limit` at once, the others wait, and each drop hands its
/// token to the next in line.
#[test]
fn permits_bound_the_holders_and_hand_on_when_dropped() {
    let slots = DeferredSemaphore::new(2).unwrap();
    let a = success_result_of(slots.acquire_guard());
    let b = success_result_of(slots.acquire_guard());
    let c = slots.acquire_guard();
    assert_no_result(&c);
    assert_eq!((slots.tokens(), slots.waiting()), (0, 1));
    drop(a);
    let c = success_result_of(c);
    assert_eq!(slots.tokens(), 0);
    drop((b, c));
    assert_eq!(slots.tokens(), 2);
}

/// A waiting `acquire_guard` that is cancelled or dropped is passed over: the lock goes to
/// the next in line (a dropped one may take it and release it at once).
#[test]
fn cancelled_or_dropped_guard_waiters_pass_the_lock_on() {
    let (log, lock) = (Log::default(), DeferredLock::new());
    let holder = success_result_of(lock.acquire_guard());
    let cancelled = lock.acquire_guard();
    let dropped = lock.acquire_guard();
    let next = next_in_line(&lock, &log, "next");
    cancelled.cancel();
    assert!(failure_result_of(cancelled).check::<CancelledError>());
    drop(dropped);
    drop(holder);
    success_result_of(next);
    assert_eq!(*log.borrow(), ["next has the lock"]);
    assert!(!lock.is_locked());
}

/// `run` still works beside guards: it waits behind a guard, and a guard waits behind it.
#[test]
fn run_and_guards_share_the_line() {
    let lock = DeferredLock::new();
    let guard = success_result_of(lock.acquire_guard());
    let (slow, finish) = Deferred::new();
    let ran = lock.run(move || slow);
    let after = lock.acquire_guard();
    assert_no_result(&ran);
    drop(guard);
    assert_no_result(&ran);
    assert_no_result(&after);
    finish.callback("ran");
    assert_eq!(success_result_of(ran), "ran");
    let after = success_result_of(after);
    assert!(lock.is_locked());
    drop(after);
    assert!(!lock.is_locked());

    let slots = DeferredSemaphore::new(1).unwrap();
    let permit = success_result_of(slots.acquire_guard());
    let ran = slots.run(|| Ok(1));
    assert_no_result(&ran);
    drop(permit);
    assert_eq!(success_result_of(ran), 1);
    assert_eq!(slots.tokens(), 1);
}

/// Guards hold the lock alive: a guard kept after every other handle is gone still releases.
#[test]
fn a_guard_outliving_the_other_handles_still_releases() {
    let lock = DeferredLock::new();
    let guard = success_result_of(lock.acquire_guard());
    let waiting = lock.acquire();
    drop(lock);
    drop(guard);
    let lock = success_result_of(waiting);
    assert!(lock.is_locked());
    lock.release().unwrap();
}
