//! Dropping chains without recursion.
//!
//! A callback may own a Deferred whose callbacks own another, and so on; dropping the first
//! would recurse once per level. Instead, steps dropped while another chain's steps are being
//! dropped are queued and freed by the outermost drop, in a loop. Each user value is dropped
//! under a guard ([`dispose`]), so a panicking `Drop` neither stops the loop nor leaves steps
//! queued behind it.
//!
//! This runs from `Drop`, also while the thread exits and its thread-locals may be gone:
//! then the steps are freed in place (recursively: no other drop can be in progress).

use std::cell::Cell;
use std::rc::Rc;

use super::chain::{Chain, ChainSteps};
use super::steps::{Links, Steps};
use crate::errors::{AbandonedError, Abandonment};
use crate::guard::dispose;

/// Steps to free, the chain they belonged to (compared by address only, to tell a chain
/// waiting on it that it is gone), and why a chain linked to it is abandoned.
type Batch = (ChainSteps, *const Chain, Abandonment);

thread_local! {
    static RECLAIMING: Cell<bool> = const { Cell::new(false) };
    static QUEUE: Cell<Vec<Batch>> = const { Cell::new(Vec::new()) };
}

/// Resets the flag even if a drop panics, so later drops are not queued forever.
struct Reclaiming;

impl Drop for Reclaiming {
    fn drop(&mut self) {
        RECLAIMING.set(false);
    }
}

/// Fails a chain that can never be fired now, with `AbandonedError`; queued like a drop when
/// it happens while chains are being dropped.
pub(crate) fn abandon(chain: Rc<Chain>) {
    let sender = Rc::as_ptr(&chain);
    let reason = AbandonedError::now().reason();
    if RECLAIMING.get() {
        drop_steps(Steps::of(Links::link(chain)), sender, Some(reason));
    } else {
        chain.abandon(sender, reason);
    }
}

/// Frees the steps of `owner`, a chain being dropped; a chain linked to it is abandoned
/// because `owner` was `unfireable`, or for the reason of the abandonments happening now.
pub(super) fn drop_steps(steps: ChainSteps, owner: *const Chain, unfireable: Option<Abandonment>) {
    if steps.is_empty() {
        // The common case: nothing but a spill's emptied queue (if any) to free.
        return drop(steps);
    }
    let reason = unfireable.unwrap_or_else(|| AbandonedError::now().reason());
    if RECLAIMING.replace(true) {
        match QUEUE.try_with(Cell::take) {
            Ok(mut pending) => {
                pending.push((steps, owner, reason));
                QUEUE.set(pending);
            }
            // The thread is exiting and the queue is gone: free these in place.
            Err(_) => free((steps, owner, reason)),
        }
        return;
    }
    let _reset = Reclaiming;
    let mut batch = (steps, owner, reason);
    loop {
        free(batch);
        let next = QUEUE.try_with(|queue| {
            let mut pending = queue.take();
            let next = pending.pop();
            queue.set(pending);
            next
        });
        match next {
            Ok(Some(next)) => batch = next,
            Ok(None) | Err(_) => return,
        }
    }
}

/// Frees one chain's steps: a chain linked to it is abandoned, a callback dropped.
fn free((mut steps, owner, reason): Batch) {
    while let Some(step) = steps.pop_front() {
        match step.into_pointer() {
            // The chain waiting on this one can never get a result from it now.
            Ok(target) => target.abandon(owner, reason),
            Err(callback) => dispose(callback),
        }
    }
}
