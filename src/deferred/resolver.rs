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
    chain: Option<Rc<Chain>>,
    on_drop: OnDrop,
    value: PhantomData<fn(T)>,
}

/// What dropping an unfired resolver does to its Deferred.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnDrop {
    /// Abandons it, unless it has a canceller: cancelling can still fire it.
    AbandonUnlessCancellable,
    /// Abandons it: the library's own producer, whose canceller only stops it.
    Abandon,
    /// Nothing: a canceller's resolver (the cancel decides), or one whose chain was taken.
    Nothing,
}

impl<T: 'static> Resolver<T> {
    pub(crate) fn new(chain: Rc<Chain>) -> Self {
        Resolver {
            chain: Some(chain),
            on_drop: OnDrop::AbandonUnlessCancellable,
            value: PhantomData,
        }
    }

    pub(crate) fn for_canceller(chain: Rc<Chain>) -> Self {
        Resolver {
            chain: Some(chain),
            on_drop: OnDrop::Nothing,
            value: PhantomData,
        }
    }

    /// This resolver, abandoning its Deferred when dropped unfired even though the Deferred
    /// has a canceller: for producers the library runs, whose canceller only stops them.
    pub(crate) fn abandoning_on_drop(mut self) -> Self {
        self.on_drop = OnDrop::Abandon;
        self
    }

    /// The chain, without the abandon-on-drop duty: whoever takes it fires it.
    pub(crate) fn into_chain(mut self) -> Rc<Chain> {
        self.on_drop = OnDrop::Nothing;
        self.chain().clone()
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
        self.chain()
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
        let abandons = match self.on_drop {
            // A Deferred with a canceller is not abandoned: a cancel can still fire it
            // (Twisted's timeout example, where nothing but the canceller fires it).
            OnDrop::AbandonUnlessCancellable => !chain.has_canceller(),
            OnDrop::Abandon => true,
            OnDrop::Nothing => false,
        };
        if abandons && chain.is_unfired() && chain.is_observed() {
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
