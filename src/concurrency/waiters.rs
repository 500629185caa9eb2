//! What the primitives share: a first-come-first-served line of waiting Deferreds, and
//! hand-offs that nest only so deep.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::rc::{Rc, Weak};

use crate::deferred::output::CallbackOutput;
use crate::deferred::resolver::Resolver;
use crate::deferred::Deferred;
use crate::failure::Failure;
use crate::maybe::maybe_deferred;

/// A line of waiting Deferreds, oldest first. Each has a number, so that its canceller can
/// find it and take it out of the line.
///
/// A waiter whose Deferred nobody holds any more (no handle, controller or callbacks) is
/// taken out of the line when found: by [`pop`](Self::pop)'s callers, by
/// [`len`](Self::len), and by [`join`](Self::join) whenever the line has doubled since it was
/// last swept. So however many waiters are dropped unfired, the line keeps at most twice the
/// waiters still held (or a few), and sweeping costs O(1) per join on average.
pub(super) struct Waiters<V: 'static> {
    next: Cell<u64>,
    line: RefCell<BTreeMap<u64, Resolver<V>>>,
    /// The length at which `join` next sweeps the line.
    sweep_at: Cell<usize>,
}

/// The shortest line `join` sweeps: below this, dropped waiters cost little to keep.
const SWEEP_FLOOR: usize = 16;

impl<V: 'static> Default for Waiters<V> {
    fn default() -> Self {
        Waiters {
            next: Cell::new(0),
            line: RefCell::default(),
            sweep_at: Cell::new(SWEEP_FLOOR),
        }
    }
}

/// Something that keeps a line of waiters: what a waiter's canceller reaches through a `Weak`.
pub(super) trait HasWaiters<V: 'static>: 'static {
    fn waiters(&self) -> &Waiters<V>;
}

impl<V: 'static> Waiters<V> {
    /// A new Deferred at the back of the line of `owner`; cancelling it takes it out.
    #[track_caller]
    pub(super) fn join<O: HasWaiters<V>>(&self, owner: &Rc<O>) -> Deferred<V> {
        if self.line.borrow().len() >= self.sweep_at.get() {
            self.sweep();
        }
        let number = self.next.get();
        self.next.set(number + 1);
        let owner: Weak<O> = Rc::downgrade(owner);
        let leave = move || {
            if let Some(owner) = owner.upgrade() {
                // Dropped outside the borrow: dropping a resolver may run code.
                let removed = owner.waiters().line.borrow_mut().remove(&number);
                drop(removed);
            }
        };
        let (mut waiter, resolver) = Deferred::with_stopper({
            let leave = leave.clone();
            move |_| leave()
        });
        // A waiter whose Deferred is dropped unread leaves the line at once.
        waiter.on_unobserved(leave);
        self.line.borrow_mut().insert(number, resolver);
        waiter
    }

    /// Takes the first in line out.
    pub(super) fn pop(&self) -> Option<Resolver<V>> {
        self.line
            .borrow_mut()
            .pop_first()
            .map(|(_, resolver)| resolver)
    }

    /// How many are waiting: those nobody holds any more are taken out of the line first.
    /// It looks at every waiter, so the primitives only ask when they must.
    pub(super) fn len(&self) -> usize {
        self.sweep()
    }

    /// Takes the waiters nobody holds any more out of the line; returns how many are left.
    fn sweep(&self) -> usize {
        let gone: Vec<Resolver<V>> = {
            let mut line = self.line.borrow_mut();
            let numbers: Vec<u64> = line
                .iter()
                .filter(|(_, waiter)| !waiter.is_awaited())
                .map(|(number, _)| *number)
                .collect();
            numbers
                .iter()
                .filter_map(|number| line.remove(number))
                .collect()
        };
        drop(gone); // outside the borrow
        let left = self.line.borrow().len();
        self.sweep_at.set(SWEEP_FLOOR.max(2 * left));
        left
    }
}

/// Twisted's `run`: once `acquired` fires with the primitive, calls `f`, and releases when
/// `f`'s outcome is known (its value, failure or panic, or the result of the Deferred it
/// returns). The outcome passes on, unless releasing fails: then that failure, as Twisted's
/// `run` gives the release's assertion error.
#[track_caller]
pub(super) fn run_holding<P, E, F, R>(
    acquired: Deferred<P>,
    release: fn(&P) -> Result<(), E>,
    f: F,
) -> Deferred<R::Value>
where
    P: 'static,
    E: std::error::Error + Send + Sync + 'static,
    F: FnOnce() -> R + 'static,
    R: CallbackOutput,
{
    acquired.add_callback(move |held| {
        maybe_deferred(f).add_both(move |outcome| {
            release(&held).map_err(Failure::new)?;
            outcome
        })
    })
}

/// How many hand-offs may be running inside one another before the next one waits.
const NESTED_HAND_OFFS: u32 = 32;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static LATER: RefCell<VecDeque<Box<dyn FnOnce()>>> = RefCell::default();
}

/// Fires `waiter` with `value`, now if few hand-offs are running, otherwise as soon as the
/// innermost of them that may go on returns. If the waiter was cancelled meanwhile, or
/// nobody is left to see it fire (its Deferred dropped), the value goes to `give_back`
/// instead (the primitive hands it to the next in line, or keeps it).
pub(super) fn hand_off<V: 'static>(
    waiter: Resolver<V>,
    value: V,
    give_back: impl FnOnce(V) + 'static,
) {
    let fire = move || match !waiter.is_fired() && waiter.is_awaited() {
        true => waiter.callback(value),
        false => give_back(value),
    };
    let depth = DEPTH.with(Cell::get);
    if depth >= NESTED_HAND_OFFS {
        LATER.with(|later| later.borrow_mut().push_back(Box::new(fire)));
        return;
    }
    // Counts this hand-off as running (the count comes back even if a hand-off panics).
    crate::guard::with_cell_set(&DEPTH, depth + 1, || {
        fire();
        // Only the hand-off just below the limit finds any: it runs them, one at a time.
        while let Some(next) = LATER.with(|later| later.borrow_mut().pop_front()) {
            next();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Owner(Waiters<u8>);

    impl HasWaiters<u8> for Owner {
        fn waiters(&self) -> &Waiters<u8> {
            &self.0
        }
    }

    /// Waiters whose Deferreds are dropped at once do not pile up in the line, though nothing
    /// ever pops or counts it: it stays within a small constant, however many join.
    #[test]
    fn dropped_waiters_do_not_pile_up() {
        let owner = Rc::new(Owner(Waiters::default()));
        for _ in 0..100_000 {
            drop(owner.0.join(&owner));
            assert!(owner.0.line.borrow().len() <= SWEEP_FLOOR);
        }
    }

    /// A waiter whose Deferred is dropped unread leaves the line at once, before anything
    /// else happens to the line; one with a controller or callbacks left stays until they go.
    #[test]
    fn a_dropped_waiter_leaves_the_line_at_once() {
        let owner = Rc::new(Owner(Waiters::default()));
        drop(owner.0.join(&owner));
        assert_eq!(owner.0.line.borrow().len(), 0);

        let mut watched = owner.0.join(&owner);
        let controller = watched.controller();
        drop(watched);
        assert_eq!(owner.0.line.borrow().len(), 1); // the controller may still cancel it
        drop(controller);
        assert_eq!(owner.0.len(), 0); // found by the next look at the line

        let with_callback = owner.0.join(&owner).add_callback(|n| Ok(n + 1));
        assert_eq!(owner.0.line.borrow().len(), 1);
        owner.0.pop().unwrap().callback(1);
        assert_eq!(crate::testing::success_result_of(with_callback), 2);
    }

    /// Waiters still held are kept, in order, while the dropped ones between them go.
    #[test]
    fn held_waiters_stay_in_line_among_dropped_ones() {
        let owner = Rc::new(Owner(Waiters::default()));
        let mut held = Vec::new();
        for n in 0..10_000 {
            let waiter = owner.0.join(&owner);
            if n % 100 == 0 {
                held.push(waiter);
            }
        }
        assert!(owner.0.line.borrow().len() <= 2 * held.len() + SWEEP_FLOOR);
        assert_eq!(owner.0.len(), held.len());
        for (value, _) in held.iter().enumerate() {
            owner.0.pop().unwrap().callback(value as u8);
        }
        let values: Vec<u8> = held
            .into_iter()
            .map(crate::testing::success_result_of)
            .collect();
        assert!(values.iter().copied().eq(0..100));
    }
}
