//! What a `Deferred` handle holds, and its duty when dropped unread.

use std::rc::Rc;

use crate::engine::Chain;
use crate::failure::Failure;

/// A `Deferred`'s state.
pub(super) enum State<T> {
    /// Fired, unshared and unpaused: the result sits in the handle and callbacks run inline.
    Ready(Result<T, Failure>),
    /// Shared with its resolver, a controller or chains linked to it.
    Chain(Rc<Chain>),
}

/// The state, with the handle's duty when it is dropped without being consumed: report an
/// inline failure nobody read (as a chain reports its own), or tell the chain its handle
/// went (a producer may then let go of a waiter nobody waits on). Consuming the handle
/// [`claim`](Self::claim)s the state, duty and all, so a method that consumes a `Deferred`
/// gets its state whole, and no state stands for "consumed".
pub(super) struct Handle<T>(Option<State<T>>);

impl<T> Handle<T> {
    #[inline(always)]
    pub(super) fn new(state: State<T>) -> Self {
        Handle(Some(state))
    }

    /// The state, and with it the duty: the caller now does what the state calls for.
    #[inline(always)]
    pub(super) fn claim(self) -> State<T> {
        // Taken in place, from a guard that is not dropped: moving the guard itself, and
        // dropping it emptied, kept a handle in memory instead of registers on the inline
        // paths (a callback added to a fired Deferred in a loop was ten times slower).
        let mut guard = std::mem::ManuallyDrop::new(self);
        guard.0.take().expect(Self::HELD)
    }

    #[inline(always)]
    pub(super) fn get(&self) -> &State<T> {
        self.0.as_ref().expect(Self::HELD)
    }

    /// The shared chain, made by `share` from the inline result if there is no chain yet.
    pub(super) fn share(
        &mut self,
        share: impl FnOnce(Result<T, Failure>) -> Rc<Chain>,
    ) -> Rc<Chain> {
        let chain = match self.0.take().expect(Self::HELD) {
            State::Ready(result) => share(result),
            State::Chain(chain) => chain,
        };
        self.0 = Some(State::Chain(chain.clone()));
        chain
    }

    /// Only `claim` empties the guard, and it consumes the guard.
    const HELD: &'static str = "deferreds: a Deferred's state is held until it is claimed";
}

impl<T> Drop for Handle<T> {
    #[inline(always)]
    fn drop(&mut self) {
        match self.0.take() {
            Some(State::Ready(Err(failure))) => crate::unhandled::report(failure, None),
            Some(State::Chain(chain)) => chain.handle_dropped(),
            Some(State::Ready(Ok(_))) | None => {}
        }
    }
}
