//! `Resolver<T>`: the half of a Deferred that fires it.

use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;

use crate::debug::trace_if_debugging;
use crate::engine::{Chain, Fires, Outcome};
use crate::failure::Failure;

/// Fires its [`Deferred`](crate::Deferred): the producer's half of [`Deferred::new`].
///
/// Firing consumes the resolver, so a Deferred cannot be fired twice (Twisted's runtime
/// `AlreadyCalledError` is a compile error here):
///
/// ```compile_fail
/// let (_d, resolver) = deferreds::Deferred::<u8>::new();
/// resolver.callback(1);
/// resolver.callback(2); // error: use of moved value
/// ```
///
/// Firing runs the Deferred's callbacks at once, on this thread. Firing a Deferred that was
/// cancelled meanwhile is ignored.
///
/// Dropping a resolver without firing it fails the Deferred with
/// [`AbandonedError`](crate::AbandonedError), so nobody waits forever for a result that
/// cannot come; if nobody holds the Deferred or any of its callbacks any more, nothing is
/// reported.
///
/// [`Deferred::new`]: crate::Deferred::new
///
/// ```
/// use deferreds::Deferred;
///
/// let (d, resolver) = Deferred::new();
/// let d = d.add_callback(|line: String| Ok(line.len()));
/// resolver.callback("open the pod bay doors".to_string());
/// assert_eq!(deferreds::testing::success_result_of(d), 22);
/// ```
pub struct Resolver<T: 'static> {
    /// Always `Some` until dropped; taken out in `drop` so the chain's reference count
    /// tells who else holds it.
    /// (Whether dropping it unfired abandons the Deferred, the chain says: a resolver is
    /// one word.)
    chain: Option<Rc<Chain>>,
    value: PhantomData<fn(T)>,
}

impl<T: 'static> Resolver<T> {
    pub(crate) fn new(chain: Rc<Chain>) -> Self {
        Resolver {
            chain: Some(chain),
            value: PhantomData,
        }
    }

    /// The chain, without the abandon-on-drop duty: whoever takes it fires it.
    pub(crate) fn into_chain(mut self) -> Rc<Chain> {
        self.chain
            .take()
            .expect("deferreds: a resolver holds its chain until dropped")
    }

    /// Fires the Deferred with a value: its callbacks run now.
    ///
    /// ```
    /// let (d, resolver) = deferreds::Deferred::new();
    /// resolver.callback(3);
    /// assert_eq!(deferreds::testing::success_result_of(d), 3);
    /// ```
    #[track_caller]
    pub fn callback(self, value: T) {
        self.resolve(Ok(value));
    }

    /// Fires the Deferred with a failure: its errbacks run now.
    ///
    /// ```
    /// let (d, resolver) = deferreds::Deferred::<u8>::new();
    /// resolver.errback(std::fmt::Error);
    /// assert!(deferreds::testing::failure_result_of(d).check::<std::fmt::Error>());
    /// ```
    #[track_caller]
    pub fn errback(self, failure: impl Into<Failure>) {
        self.resolve(Err(failure.into()));
    }

    /// Fires the Deferred with a value or a failure.
    ///
    /// ```
    /// use deferreds::Failure;
    /// let (d, resolver) = deferreds::Deferred::new();
    /// resolver.resolve(Ok::<_, Failure>("done"));
    /// assert_eq!(deferreds::testing::success_result_of(d), "done");
    /// ```
    #[track_caller]
    pub fn resolve(self, result: Result<T, Failure>) {
        // Fired, it has nothing left to do when dropped.
        self.into_chain()
            .fire(Outcome::from_result(result), trace_if_debugging());
    }

    /// Fires the Deferred with a value or a failure as the last act of a step: the run loop
    /// fires it right after the step returns (see [`Fires`]).
    pub(crate) fn resolve_into(self, result: Result<T, Failure>, fires: &mut Fires) {
        fires.push(self.into_chain(), Outcome::from_result(result));
    }

    /// Has the Deferred been fired already: cancelled, or fired by its canceller? A producer
    /// can check this to skip work nobody waits for.
    ///
    /// ```
    /// let (d, resolver) = deferreds::Deferred::<u8>::new();
    /// d.cancel();
    /// assert!(resolver.is_fired());
    /// ```
    pub fn is_fired(&self) -> bool {
        self.chain().is_called()
    }

    /// Is anyone left to see the result: the Deferred's handle, a controller, or callbacks?
    pub(crate) fn is_awaited(&self) -> bool {
        self.chain().is_observed()
    }

    fn chain(&self) -> &Rc<Chain> {
        self.chain
            .as_ref()
            .expect("deferreds: a resolver holds its chain until dropped")
    }
}

impl<T: 'static> Drop for Resolver<T> {
    fn drop(&mut self) {
        let Some(chain) = self.chain.take() else {
            return;
        };
        // A canceller's resolver finds its chain being cancelled, or fired by the cancel.
        if chain.is_abandoned_by_resolver_drop() && chain.is_observed() {
            crate::engine::reclaim::abandon(chain);
        }
    }
}

impl<T: 'static> fmt::Debug for Resolver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_fired() { "fired" } else { "unfired" };
        write!(f, "Resolver<{}> {{ {state} }}", std::any::type_name::<T>())
    }
}

#[cfg(test)]
mod tests {
    /// A resolver is what a producer keeps per pending Deferred: one pointer.
    #[test]
    fn a_resolver_is_one_word() {
        assert_eq!(
            std::mem::size_of::<super::Resolver<u64>>(),
            std::mem::size_of::<usize>()
        );
    }
}
