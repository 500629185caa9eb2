//! What the engine runs: a step ([`Step`]: a type-erased [`Callback`], or a link handing the
//! result to another chain), what a callback produces ([`Next`]), and the Deferreds a step
//! fires as its last act ([`Fires`]).

use std::any::Any;
use std::rc::Rc;

use super::chain::Chain;
use super::outcome::Outcome;
use super::packed::{Call, CallOnce, Inline, Signature};
use super::steps::Links;

/// What one step of a chain produced.
pub(crate) enum Next {
    /// A result to hand to the next step.
    Done(Outcome),
    /// A Deferred without a result yet: the chain waits for it, and then, if given, calls
    /// this same callback again with its result (how a coroutine driver waits).
    Wait(Rc<Chain>, Option<Continuation>),
    /// A result, with the part of the step that did not run because the chain was paused.
    Interrupted(Outcome, Continuation),
    /// A result, and Deferreds the step fired as its last act: the run loop fires them
    /// before the chain goes on.
    Fire(Outcome, Fires),
}

/// Deferreds a step fires as its last act (a combinator whose last input came fires its own
/// Deferred). The run loop fires them in order right after the step returns, before its
/// chain goes on, exactly as if the step had fired them itself, but with its explicit stack
/// instead of recursion: combinators nested a million deep need no more stack than one.
/// Outside a step, dropping it fires them at once.
#[derive(Default)]
pub(crate) struct Fires {
    /// The first one, kept inline: most steps fire one Deferred.
    first: Option<(Rc<Chain>, Outcome)>,
    rest: Vec<(Rc<Chain>, Outcome)>,
}

impl Fires {
    /// Fires `chain` with `outcome` after the step (ignored, as a resolver's fire is, if the
    /// chain has fired already by then).
    pub(crate) fn push(&mut self, chain: Rc<Chain>, outcome: Outcome) {
        match self.first {
            None => self.first = Some((chain, outcome)),
            Some(_) => self.rest.push((chain, outcome)),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// The Deferreds to fire, last first: the order they go on the run loop's stack.
    pub(super) fn into_stack_order(mut self) -> impl Iterator<Item = (Rc<Chain>, Outcome)> {
        let first = self.first.take();
        let rest = std::mem::take(&mut self.rest);
        rest.into_iter().rev().chain(first)
    }
}

impl Drop for Fires {
    #[inline]
    fn drop(&mut self) {
        if self.first.is_some() {
            self.fire_now();
        }
    }
}

impl Fires {
    #[inline(never)]
    fn fire_now(&mut self) {
        for (chain, outcome) in self.first.take().into_iter().chain(self.rest.drain(..)) {
            chain.fire(outcome, None);
        }
    }
}

/// A callback/errback pair, of a type the engine does not know.
pub(crate) trait Callback: Any {
    /// Runs the step on the chain's result. `chain` is the chain it runs on, for steps that
    /// run several callbacks and must stop when one of them pauses it.
    fn call(self, input: Outcome, chain: &Chain) -> Next;
}

/// What a step's callback takes and gives.
pub(crate) struct Stepping;

impl Signature for Stepping {
    type Input = Outcome;
    type Context = Chain;
    type Output = Next;
}

impl<C: Callback> CallOnce<Stepping> for C {
    #[inline(always)]
    fn call_once(self, input: Outcome, chain: &Chain) -> Next {
        self.call(input, chain)
    }
}

/// A callback with its type erased, in two words (its captures inline if they fit in one).
pub(crate) type Continuation = Call<Stepping>;

/// A step: a callback, or a link handing the result on to another chain (an outer chain
/// waiting on this one, or the target of `chain_deferred`). Two words, as is an
/// `Option<Step>`.
pub(crate) type Step = Inline<Stepping, Rc<Chain>>;

/// A step that calls `callback`.
#[inline]
pub(crate) fn callback_step(callback: impl Callback) -> Step {
    Step::call(Continuation::new(callback))
}

impl Links<Rc<Chain>> for Step {
    #[inline]
    fn link(target: Rc<Chain>) -> Self {
        Step::pointer(target)
    }

    #[inline]
    fn into_link(self) -> Result<Rc<Chain>, Self> {
        self.into_pointer().map_err(Step::call)
    }
}
