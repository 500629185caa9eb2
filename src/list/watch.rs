//! Watching a Deferred from the end of its chain, the way every combinator takes its inputs.

use std::marker::PhantomData;
use std::rc::Rc;

use crate::debug::trace_if_debugging;
use crate::deferred::output::Produced;
use crate::deferred::Deferred;
use crate::engine::{callback_step, Callback, Chain, Fires, Next, Outcome};
use crate::errors::Abandonment;
use crate::failure::Failure;
use crate::guard::guarded;

/// Takes the result of a watched Deferred.
pub(super) trait Sink<T>: 'static {
    /// Gets the result. Returns a failure to leave in the watched Deferred's own chain (it is
    /// reported as unhandled when that chain goes), or `None` to end that chain handled.
    /// Deferreds the sink fires as its last act go into `fires`, for the run loop to fire
    /// without recursing (combinators nest a million deep).
    ///
    /// `index` is the number the sink was watched with (which input it watches), kept in
    /// the watched chain rather than in the sink so that a sink of one pointer makes a step
    /// of one word, inside the chain.
    fn take(self, index: u32, result: Result<T, Failure>, fires: &mut Fires) -> Option<Failure>;
}

/// The step at the end of a watched chain that hands its result to a sink.
pub(super) struct Watch<T, S> {
    sink: S,
    value: PhantomData<fn(T)>,
}

impl<T: 'static, S: Sink<T>> Callback for Watch<T, S> {
    fn call(self, input: Outcome, chain: &Chain) -> Next {
        let sink = self.sink;
        let index = chain.note();
        let mut fires = Fires::default();
        let taken = guarded(|| sink.take(index, input.into_result::<T>(), &mut fires));
        let own = match taken {
            // The watched Deferred's handle was consumed and this step is the last, so
            // nothing reads the chain's result again: `()` stands in for one.
            Ok(None) => Outcome::value(()),
            Ok(Some(failure)) | Err(failure) => Outcome::Failure(failure),
        };
        Next::Fire(own, fires)
    }
}

/// Hands `d`'s result, and `index`, to `sink`: at once if it has one, otherwise when it
/// comes. Returns the chain to cancel while the result has not come.
pub(super) fn watch<T: 'static, S: Sink<T>>(
    d: Deferred<T>,
    sink: S,
    index: u32,
) -> Option<Rc<Chain>> {
    match d.into_produced() {
        Produced::Ready(result) => {
            let mut fires = Fires::default();
            let kept = sink.take(index, result, &mut fires);
            drop(fires); // not in a step: they fire now
            if let Some(failure) = kept {
                // What the input's own handle would have done when dropped.
                crate::unhandled::report(failure, None);
            }
            None
        }
        Produced::Chain(chain) => {
            // The watch is the chain's last step (its handle was consumed): the chain's
            // note is free for the index.
            chain.set_note(index);
            chain.push(callback_step(Watch {
                sink,
                value: PhantomData,
            }));
            (!chain.has_result()).then_some(chain)
        }
    }
}

/// A Deferred that nothing fires, for a combinator of no inputs: there is no resolver to
/// fire it. Whoever waits on it fails with `AbandonedError` saying so when it goes;
/// cancelling it fails it with `CancelledError`.
#[track_caller]
pub(super) fn never<T: 'static>() -> Deferred<T> {
    Deferred::from_chain(Chain::unfireable(
        Abandonment::NoInputs,
        trace_if_debugging(),
    ))
}

/// `n` empty slots.
pub(super) fn slots<S>(n: usize) -> Vec<Option<S>> {
    std::iter::repeat_with(|| None).take(n).collect()
}
