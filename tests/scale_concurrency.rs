//! The concurrency primitives at scale: a million waiters, and hand-offs from inside
//! hand-offs, on the 2 MiB stack of a test thread.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use deferreds::testing::{failure_result_of, success_result_of};
use deferreds::{
    CancelledError, Controller, Deferred, DeferredLock, DeferredQueue, DeferredSemaphore,
};

const MILLION: u64 = 1_000_000;

/// Counts, per thread, the bytes allocated and not yet freed, so that a test can tell what a
/// loop left behind on the heap (other tests' threads do not disturb it).
struct Counting;

thread_local! {
    static HELD: Cell<i64> = const { Cell::new(0) };
}

fn held_change(bytes: i64) {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = HELD.try_with(|held| held.set(held.get() + bytes));
}

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        held_change(layout.size() as i64);
        std::alloc::System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        held_change(-(layout.size() as i64));
        std::alloc::System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The heap bytes `body` left held on this thread.
fn bytes_left_by(body: impl FnOnce()) -> i64 {
    let before = HELD.with(Cell::get);
    body();
    HELD.with(Cell::get) - before
}

/// Bytes a line of waiters may keep for waiters nobody holds: a few dozen at most.
const DROPPED_WAITERS_BUDGET: i64 = 32 * 1024;

/// A million gets whose Deferreds are dropped at once, with no put: the queue does not keep
/// them (each kept one would hold a chain of a few hundred bytes).
#[test]
fn a_million_dropped_gets_leave_the_queue_empty_handed() {
    let queue = DeferredQueue::<u64>::new();
    let left = bytes_left_by(|| {
        for _ in 0..MILLION {
            drop(queue.get().unwrap());
        }
    });
    assert!(left < DROPPED_WAITERS_BUDGET, "{left} bytes left");
    assert_eq!(queue.waiting(), 0);
    queue.put(7).unwrap();
    assert_eq!(success_result_of(queue.get().unwrap()), 7);
}

/// Likewise a million acquires of a held lock, and of a semaphore with no token free.
#[test]
fn a_million_dropped_acquires_leave_nothing_behind() {
    let lock = DeferredLock::new();
    let held = lock.acquire();
    let left = bytes_left_by(|| {
        for _ in 0..MILLION {
            drop(lock.acquire());
        }
    });
    assert!(left < DROPPED_WAITERS_BUDGET, "lock: {left} bytes left");
    lock.release().unwrap();
    assert!(!lock.is_locked());
    drop(held);

    let semaphore = DeferredSemaphore::new(1).unwrap();
    let token = semaphore.acquire();
    let left = bytes_left_by(|| {
        for _ in 0..MILLION {
            drop(semaphore.acquire());
        }
    });
    assert!(
        left < DROPPED_WAITERS_BUDGET,
        "semaphore: {left} bytes left"
    );
    semaphore.release().unwrap();
    assert_eq!(semaphore.tokens(), 1);
    drop(token);
}

/// A million gets waiting, then a million puts: each get has its value, in order.
#[test]
fn a_million_waiting_gets_served_by_puts() {
    let queue = DeferredQueue::new();
    let total = Rc::new(Cell::new(0u64));
    let in_order = Rc::new(Cell::new(true));
    let next = Rc::new(Cell::new(0u64));
    let gets: Vec<Deferred<()>> = (0..MILLION)
        .map(|_| {
            let (total, in_order, next) = (total.clone(), in_order.clone(), next.clone());
            queue.get().unwrap().add_callback(move |value: u64| {
                in_order.set(in_order.get() && value == next.get());
                next.set(value + 1);
                total.set(total.get() + value);
                Ok(())
            })
        })
        .collect();
    for value in 0..MILLION {
        queue.put(value).unwrap();
    }
    assert!(in_order.get());
    assert_eq!(total.get(), MILLION * (MILLION - 1) / 2);
    assert_eq!(queue.waiting(), 0);
    drop(gets);
}

/// A million puts kept, then a million gets, each ready at once.
#[test]
fn a_million_puts_then_gets() {
    let queue = DeferredQueue::new();
    for value in 0..MILLION {
        queue.put(value).unwrap();
    }
    assert_eq!(queue.len(), MILLION as usize);
    let total: u64 = (0..MILLION)
        .map(|_| success_result_of(queue.get().unwrap()))
        .sum();
    assert_eq!(total, MILLION * (MILLION - 1) / 2);
    assert!(queue.is_empty());
}

/// A million `run`s of work that finishes at once, queued on a held lock: each release
/// happens inside the previous holder's callbacks. Twisted recurses once per waiter here;
/// this must neither overflow the stack nor change the order.
#[test]
fn a_million_queued_runs_on_a_lock() {
    let lock = DeferredLock::new();
    let held = lock.acquire();
    let order = Rc::new(RefCell::new(Vec::with_capacity(MILLION as usize)));
    let runs: Vec<Deferred<()>> = (0..MILLION)
        .map(|i| {
            let order = order.clone();
            lock.run(move || {
                order.borrow_mut().push(i);
                Ok(())
            })
        })
        .collect();
    assert_eq!(lock.waiting(), MILLION as usize);
    success_result_of(held).release().unwrap();
    assert!(order.borrow().iter().copied().eq(0..MILLION));
    assert!(!lock.is_locked());
    runs.into_iter().for_each(success_result_of);
}

/// The same through a semaphore of 3 tokens.
#[test]
fn a_million_queued_runs_on_a_semaphore() {
    let semaphore = DeferredSemaphore::new(3).unwrap();
    let held: Vec<_> = (0..3).map(|_| semaphore.acquire()).collect();
    let done = Rc::new(Cell::new(0u64));
    let runs: Vec<Deferred<()>> = (0..MILLION)
        .map(|_| {
            let done = done.clone();
            semaphore.run(move || {
                done.set(done.get() + 1);
                Ok(())
            })
        })
        .collect();
    for holder in held {
        success_result_of(holder).release().unwrap();
    }
    assert_eq!(done.get(), MILLION);
    assert_eq!(semaphore.tokens(), 3);
    runs.into_iter().for_each(success_result_of);
}

/// A million waiting gets, each of whose callbacks puts the value for the next: every put
/// happens inside the previous get's callbacks.
#[test]
fn a_million_gets_each_feeding_the_next() {
    let queue = DeferredQueue::new();
    let last = Rc::new(Cell::new(None));
    let gets: Vec<Deferred<()>> = (0..MILLION)
        .map(|_| {
            let (producer, last) = (queue.clone(), last.clone());
            queue.get().unwrap().add_callback(move |value: u64| {
                last.set(Some(value));
                producer.put(value + 1).unwrap();
                Ok(())
            })
        })
        .collect();
    queue.put(0).unwrap();
    assert_eq!(last.get(), Some(MILLION - 1));
    assert_eq!(queue.len(), 1);
    gets.into_iter().for_each(success_result_of);
}

/// Deep inside nested hand-offs (where the next one waits its turn), a waiter cancelled
/// after the lock was handed to it but before its Deferred fired does not keep the lock:
/// it fails with `CancelledError`, and the lock goes to the one after it.
#[test]
fn a_waiter_cancelled_while_its_hand_off_waits_passes_the_lock_on() {
    const WAITERS: usize = 60;
    let lock = DeferredLock::new();
    let held = lock.acquire();
    let order = Rc::new(RefCell::new(Vec::new()));
    let controllers = Rc::new(RefCell::new(Vec::<Controller>::new()));
    let mut waiters = Vec::new();
    for i in 0..WAITERS {
        let (order, others) = (order.clone(), controllers.clone());
        let mut waiter = lock.acquire().add_callback(move |lock: DeferredLock| {
            order.borrow_mut().push(i);
            lock.release().unwrap();
            if i == 45 {
                // Released to 46, whose hand-off waits for this callback to return.
                others.borrow()[46].cancel();
            }
            Ok(())
        });
        controllers.borrow_mut().push(waiter.controller());
        waiters.push(waiter);
    }
    success_result_of(held).release().unwrap();
    let expected: Vec<usize> = (0..WAITERS).filter(|&i| i != 46).collect();
    assert_eq!(*order.borrow(), expected);
    assert!(!lock.is_locked());
    for (i, waiter) in waiters.into_iter().enumerate() {
        match i {
            46 => assert!(failure_result_of(waiter).check::<CancelledError>()),
            _ => success_result_of(waiter),
        }
    }
}

/// The same for a queue: the value meant for a get cancelled while its hand-off waited goes
/// to the next get, and no value is lost.
#[test]
fn a_get_cancelled_while_its_hand_off_waits_passes_the_value_on() {
    const GETS: usize = 60;
    let queue = DeferredQueue::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let controllers = Rc::new(RefCell::new(Vec::<Controller>::new()));
    let mut gets = Vec::new();
    for i in 0..GETS {
        let (seen, others, producer) = (seen.clone(), controllers.clone(), queue.clone());
        let mut get = queue.get().unwrap().add_callback(move |value: usize| {
            seen.borrow_mut().push((i, value));
            producer.put(value + 1).unwrap();
            if i == 45 {
                others.borrow()[46].cancel();
            }
            Ok(())
        });
        controllers.borrow_mut().push(get.controller());
        gets.push(get);
    }
    queue.put(0).unwrap();
    let seen = seen.borrow();
    assert_eq!(seen.len(), GETS - 1);
    assert_eq!(seen[45], (45, 45));
    assert_eq!(seen[46], (47, 46), "46's value went to the next get");
    assert_eq!(queue.len(), 1, "the last put is kept");
    drop(gets);
}
