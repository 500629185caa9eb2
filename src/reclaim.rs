//! Dropping chains without recursion.
//!
//! A callback may own a Deferred whose callbacks own another, and so on; dropping the first
//! would recurse once per level. Instead, steps dropped while another chain's steps are being
//! dropped are queued and freed by the outermost drop, in a loop.

use std::cell::Cell;

use crate::chain::Step;
use crate::steps::Steps;

thread_local! {
    static RECLAIMING: Cell<bool> = const { Cell::new(false) };
    static QUEUE: Cell<Vec<Steps>> = const { Cell::new(Vec::new()) };
}

/// Resets the flag even if a drop panics, so later drops are not queued forever.
struct Reclaiming;

impl Drop for Reclaiming {
    fn drop(&mut self) {
        RECLAIMING.with(|flag| flag.set(false));
    }
}

/// Fails a chain that can never be fired now, with `AbandonedError`; queued like a drop when
/// it happens while chains are being dropped.
pub(crate) fn abandon(chain: std::rc::Rc<crate::chain::Chain>) {
    if RECLAIMING.with(Cell::get) {
        drop_steps(Steps::One(Step::Link(chain)));
    } else {
        chain.abandon();
    }
}

pub(crate) fn drop_steps(steps: Steps) {
    let steps = match steps {
        // The common case, and known empty here: no drop code runs for it.
        Steps::Empty => return,
        steps if steps.is_empty() => return drop(steps),
        steps => steps,
    };
    if RECLAIMING.with(|flag| flag.replace(true)) {
        QUEUE.with(|queue| {
            let mut pending = queue.take();
            pending.push(steps);
            queue.set(pending);
        });
        return;
    }
    let _reset = Reclaiming;
    let mut batch = steps;
    loop {
        while let Some(step) = batch.pop_front() {
            match step {
                // The chain waiting on this one can never get a result from it now.
                Step::Link(target) => target.abandon(),
                Step::Call(callback) => drop(callback),
            }
        }
        let next = QUEUE.with(|queue| {
            let mut pending = queue.take();
            let next = pending.pop();
            queue.set(pending);
            next
        });
        match next {
            Some(next) => batch = next,
            None => return,
        }
    }
}
