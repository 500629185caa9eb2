//! How a cancelled [`DeferredList`](crate::DeferredList) keeps waiting for its inputs.
//!
//! A Deferred whose canceller does not fire it fails with `CancelledError`. Twisted's
//! `DeferredList.cancel` only cancels the inputs, though: the list fires once each has a
//! result, and an input whose cancel gives none yet (it is paused, or its canceller panicked)
//! keeps it waiting. So a list's chain begins with a [`Relay`] step, and a cancel that
//! leaves the list undecided fires the chain with a [`Rekindle`] holding a fresh, pending
//! chain: the relay makes the list wait on that one instead, and the list fires it in its
//! turn. Nothing behind the relay ever sees a `Rekindle`.

use std::rc::Rc;

use crate::chain::{Callback, Chain, Next, Outcome, Step};
use crate::deferred::Deferred;
use crate::output::Produced;
use crate::resolver::Resolver;

/// The first step of a list's chain: passes the list's result on, and on a [`Rekindle`] waits
/// for the chain it holds, to run again with that one's result. It has no fields, so boxing
/// it allocates nothing.
struct Relay;

/// What a cancel that left the list undecided fires the list's chain with: the chain the list
/// fires from now on.
struct Rekindle(Rc<Chain>);

impl Callback for Relay {
    fn call(self: Box<Self>, input: Outcome, _chain: &Chain) -> Next {
        let Outcome::Value(mut boxed) = input else {
            return Next::Done(input);
        };
        let Some(rekindle) = boxed.downcast_mut::<Option<Rekindle>>() else {
            return Next::Done(Outcome::Value(boxed));
        };
        let Rekindle(next) = rekindle
            .take()
            .expect("deferreds: a list's chain is rekindled once per cancel");
        // The list may have fired `next` while its own chain was paused.
        match next.take_result() {
            Some(outcome) => Next::Done(outcome),
            None => Next::Wait(next, Some(self)),
        }
    }
}

/// Puts the relay at the front of `list`'s chain, before any callback is added to it.
pub(super) fn relayed<T: 'static>(list: Deferred<T>) -> Deferred<T> {
    match list.into_produced() {
        Produced::Chain(chain) => {
            chain.push(Step::Call(Box::new(Relay)));
            Deferred::from_chain(chain)
        }
        Produced::Ready(result) => Deferred::ready(result),
    }
}

/// Fires the chain being cancelled (through its canceller's resolver) so that the list waits
/// on `next` instead, whose resolver the list now keeps.
pub(super) fn keep_waiting<T: 'static>(cancelled: Resolver<T>, next: Deferred<T>) {
    match next.into_produced() {
        Produced::Chain(next) => {
            (cancelled.into_chain()).fire(Outcome::value(Rekindle(next)), None);
        }
        Produced::Ready(result) => cancelled.resolve(result),
    }
}
