//! Dropping a failure whose error holds other failures (its `source()`, say) without
//! recursion: each nested failure's error is dropped after the outer one, in one loop run
//! by the outermost drop on this thread, so a chain of a million failures needs no more
//! stack than one.

use std::cell::RefCell;
use std::error::Error;

type BoxedError = Box<dyn Error + Send + Sync + 'static>;

thread_local! {
    /// `Some` while this thread drops a failure's error: the errors of the failures dropped
    /// meanwhile, queued for the outermost drop to drop next instead of inside the current
    /// one.
    static QUEUED: RefCell<Option<Vec<BoxedError>>> = const { RefCell::new(None) };
}

/// Drops `error`, or queues it if a drop of another failure's error is running on this
/// thread. Once the thread's locals are gone (at thread exit), drops it in place.
pub(super) fn drop_error(error: BoxedError) {
    let first = QUEUED.try_with(move |queued| {
        let mut queued = queued.borrow_mut();
        match queued.as_mut() {
            Some(queue) => {
                queue.push(error);
                None
            }
            None => {
                *queued = Some(Vec::new());
                Some(error)
            }
        }
    });
    if let Ok(Some(first)) = first {
        drop_in_turn(first);
    }
}

/// The outermost drop: `first`, then whatever the drops queue, until nothing is left. The
/// queue is never borrowed while a user's `Drop` runs, so those may drop failures freely.
fn drop_in_turn(first: BoxedError) {
    let _looping = Looping;
    let mut next = Some(first);
    while let Some(error) = next {
        drop(error);
        next = QUEUED
            .try_with(|queued| queued.borrow_mut().as_mut().and_then(Vec::pop))
            .ok()
            .flatten();
    }
}

/// Ends the loop, also when a user's `Drop` panics in it: the errors still queued are then
/// dropped after the queue is closed, each as the outermost drop of its own nested ones.
struct Looping;

impl Drop for Looping {
    fn drop(&mut self) {
        let left = QUEUED
            .try_with(|queued| queued.borrow_mut().take())
            .ok()
            .flatten();
        drop(left);
    }
}
