//! The typed layer: `Deferred<T>`, the placeholder for a result that is not there yet, with
//! the [`Resolver`] that fires it, the [`Controller`] that pauses and cancels it, and the
//! callbacks it runs. Everything typed lives here; the engine below keeps chains of erased
//! steps and knows nothing of `T`.

pub(crate) mod callbacks;
pub(crate) mod controller;
pub(crate) mod output;
pub(crate) mod resolver;
mod state;

use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use std::time::Duration;

use crate::debug::trace_if_debugging;
use crate::engine::{Canceller, Chain, OnCancel, Outcome};
use crate::failure::Failure;
use crate::time::Clock;
use callbacks::{queue_same_typed, OnBoth, OnEither, OnFailure, OnValue, Queued, Sides};
use controller::Controller;
use output::{CallbackOutput, Produce, Produced};
use resolver::Resolver;
use state::{Handle, State};

/// A placeholder for a result of type `T` that may not be there yet, with a chain of callbacks
/// and errbacks that will process it: Twisted's `Deferred`.
///
/// A `Deferred` encodes an order of execution separately from the order of lines. Create one
/// with [`Deferred::new`], which also gives the [`Resolver`] that fires it, or an already-fired
/// one with [`Deferred::succeed`] / [`Deferred::fail`]. Then add steps:
///
/// - [`add_callback`](Self::add_callback) runs on a value, [`add_errback`](Self::add_errback)
///   on a [`Failure`], [`add_callbacks`](Self::add_callbacks) one or the other, and
///   [`add_both`](Self::add_both) either way (try / except / else / finally).
/// - Each step's output replaces the result: `Ok(v)` continues on the callback side, `Err(f)`
///   (or a panic) on the errback side, and a returned `Deferred` pauses this chain until that
///   one fires, then continues with its result.
///
/// # When callbacks run
///
/// At once, on the thread that fires the Deferred: inside [`Resolver::callback`], or inside
/// `add_callback` if the Deferred already has a result. There is no scheduler. A callback
/// added while the chain is running (from one of its own callbacks) runs after the callbacks
/// already queued, never in the middle. Deeply nested chains are walked without recursion.
///
/// # Cancelling, pausing, dropping
///
/// - [`cancel`](Self::cancel) asks the producer to stop: an unfired Deferred calls its
///   canceller (see [`with_canceller`](Self::with_canceller)) and fails with
///   [`CancelledError`](crate::CancelledError) unless the canceller fired it; a Deferred
///   waiting on another cancels that one; a Deferred with a result is left alone.
/// - [`pause`](Self::pause) stops the callbacks from running until a matching
///   [`unpause`](Self::unpause); a pause from inside a running callback stops the chain at
///   once (Twisted's loop would finish the callbacks already queued).
/// - Dropping the `Deferred` does not stop anything: its callbacks still run when it fires. If
///   the last handle to a chain whose result is a failure goes away, the failure is reported
///   as an [`UnhandledError`](crate::UnhandledError).
///
/// # A Deferred left unread is a warning
///
/// `Deferred` is `#[must_use]`, like a future, though for another reason: dropping it
/// cancels nothing (its callbacks still run, and a failure nobody handles is reported), but
/// its *value* is lost, and a function that forgot to return its chain (Twisted's most
/// common bug, "forgot to return d") compiles silently otherwise. To start work and not wait
/// for it on purpose, say so with `drop(d)` (OCaml Async's `don't_wait_for`).
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// let (d, _resolver) = deferreds::Deferred::<u8>::new();
/// d.add_callback(|n| Ok(n + 1)); // error: unused `Deferred` that must be used
/// ```
///
/// A `Deferred` is `!Send`: all its callbacks run on the thread that owns it.
///
/// ```
/// use deferreds::{Deferred, Failure};
///
/// let (d, resolver) = Deferred::<&str>::new();
/// let d = d
///     .add_callback(|name| Ok(format!("Hello, {name}")))
///     .add_errback(|failure: Failure| Ok(format!("no greeting: {failure}")));
/// resolver.callback("Dave");
/// assert_eq!(deferreds::testing::success_result_of(d), "Hello, Dave");
/// ```
#[must_use = "a Deferred left unread loses its result (its callbacks still run): return it, add callbacks, or drop(it) to say so"]
pub struct Deferred<T: 'static> {
    state: Handle<T>,
    /// Callbacks are not thread-safe: keep the handle on its thread even when `T: Send`.
    local: PhantomData<Rc<()>>,
}

impl<T: 'static> Deferred<T> {
    /// A new, unfired Deferred and the [`Resolver`] that fires it.
    ///
    /// ```
    /// use deferreds::Deferred;
    ///
    /// let (d, resolver) = Deferred::new();
    /// let d = d.add_callback(|n: u32| Ok(n * 2));
    /// resolver.callback(21);
    /// assert_eq!(deferreds::testing::success_result_of(d), 42);
    /// ```
    #[track_caller]
    pub fn new() -> (Self, Resolver<T>) {
        let chain = Chain::new(None, trace_if_debugging());
        (Deferred::from_chain(chain.clone()), Resolver::new(chain))
    }

    /// A new, unfired Deferred whose [`cancel`](Self::cancel) first calls `canceller`.
    ///
    /// The canceller gets a [`Resolver`] and may fire the Deferred itself (with a value, or a
    /// failure of its own). If it does not, the Deferred fails with
    /// [`CancelledError`](crate::CancelledError). After a cancel, firing the original resolver
    /// is ignored. The canceller is dropped once the Deferred fires.
    ///
    /// ```
    /// use deferreds::{Deferred, Failure};
    ///
    /// let (d, _resolver) = Deferred::<u8>::with_canceller(|resolver| {
    ///     resolver.errback(Failure::msg("request aborted"));
    /// });
    /// d.cancel();
    /// let failure = deferreds::testing::failure_result_of(d);
    /// assert_eq!(failure.error_message(), "request aborted");
    /// ```
    #[track_caller]
    pub fn with_canceller(canceller: impl FnOnce(Resolver<T>) + 'static) -> (Self, Resolver<T>) {
        Deferred::cancelled_by(OnCancel::Canceller(Self::canceller(canceller)))
    }

    /// `canceller`, given the chain being cancelled.
    fn canceller(canceller: impl FnOnce(Resolver<T>) + 'static) -> Canceller {
        Box::new(move |chain: &Rc<Chain>| canceller(Resolver::new(chain.clone())))
    }

    #[track_caller]
    fn cancelled_by(on_cancel: OnCancel) -> (Self, Resolver<T>) {
        let chain = Chain::new(Some(on_cancel), trace_if_debugging());
        (Deferred::from_chain(chain.clone()), Resolver::new(chain))
    }

    /// Like [`with_canceller`](Self::with_canceller), for a producer the library runs: the
    /// canceller only stops it, so a resolver dropped unfired (the producer gone) abandons
    /// the Deferred even though it has a canceller.
    #[track_caller]
    pub(crate) fn with_stopper(stop: impl FnOnce(Resolver<T>) + 'static) -> (Self, Resolver<T>) {
        Deferred::cancelled_by(OnCancel::Stopper(Self::canceller(stop)))
    }

    /// A Deferred for a producer the library runs (a combinator) whose cancel, each time
    /// the Deferred is cancelled before it fires, only calls `forward`: the producer passes
    /// the cancel on and fires the Deferred when it can (Twisted's `DeferredList.cancel`,
    /// which cancels the inputs and lets the list fire from their results). A resolver
    /// dropped unfired abandons it.
    #[track_caller]
    pub(crate) fn with_cancel_forwarder(forward: impl Fn() + 'static) -> (Self, Resolver<T>) {
        Deferred::cancelled_by(OnCancel::Forward(Rc::new(forward)))
    }

    /// Calls `hook` once when, unfired, nobody but its resolver is left to see this
    /// Deferred: its handle dropped with no callbacks added and no controller left.
    pub(crate) fn on_unobserved(&mut self, hook: impl FnOnce() + 'static) {
        self.chain().on_unobserved(Box::new(hook));
    }

    /// A Deferred that already has `value`: callbacks added to it run at once.
    ///
    /// ```
    /// use deferreds::Deferred;
    /// let d = Deferred::succeed(1).add_callback(|n| Ok(n + 1));
    /// assert_eq!(deferreds::testing::success_result_of(d), 2);
    /// ```
    #[track_caller]
    pub fn succeed(value: T) -> Self {
        Deferred::from_result(Ok(value))
    }

    /// A Deferred that has already failed: errbacks added to it run at once.
    ///
    /// ```
    /// use deferreds::{Deferred, Failure};
    /// let d: Deferred<u8> = Deferred::fail(Failure::msg("no"));
    /// let d = d.add_errback(|_| Ok(0));
    /// assert_eq!(deferreds::testing::success_result_of(d), 0);
    /// ```
    #[track_caller]
    pub fn fail(failure: impl Into<Failure>) -> Self {
        Deferred::from_result(Err(failure.into()))
    }

    /// A Deferred that already has `result`.
    ///
    /// ```
    /// use deferreds::{Deferred, Failure};
    /// let d = Deferred::from_result(Ok::<_, Failure>(3));
    /// assert_eq!(deferreds::testing::success_result_of(d), 3);
    /// ```
    #[track_caller]
    pub fn from_result(result: Result<T, Failure>) -> Self {
        match trace_if_debugging() {
            None => Deferred::ready(result),
            Some(created) => {
                Deferred::from_chain(Chain::fired(Outcome::from_result(result), Some(created)))
            }
        }
    }

    #[inline]
    pub(crate) fn ready(result: Result<T, Failure>) -> Self {
        Deferred {
            state: Handle::new(State::Ready(result)),
            local: PhantomData,
        }
    }

    #[inline]
    pub(crate) fn from_chain(chain: Rc<Chain>) -> Self {
        Deferred {
            state: Handle::new(State::Chain(chain)),
            local: PhantomData,
        }
    }

    /// The state, with the handle's duty on drop: the caller does what it calls for.
    #[inline(always)]
    fn into_state(self) -> State<T> {
        self.state.claim()
    }

    #[inline(always)]
    pub(crate) fn into_produced(self) -> Produced<T> {
        match self.into_state() {
            State::Ready(result) => Produced::Ready(result),
            State::Chain(chain) => Produced::Chain(chain),
        }
    }

    /// The Deferred a step leaves: its output, or a chain waiting on the Deferred it
    /// returned (a distinct Deferred, as a chain that waits always is).
    #[inline(always)]
    pub(crate) fn from_produced(produced: Produced<T>) -> Self {
        match produced {
            Produced::Ready(result) => Deferred::ready(result),
            Produced::Chain(inner) => Deferred::adopt(inner),
        }
    }

    /// A returned Deferred's result if it has one now, or a chain waiting on it.
    #[inline(never)]
    fn adopt(inner: Rc<Chain>) -> Self {
        match inner.take_result() {
            Some(outcome) => Deferred::ready(outcome.into_result()),
            None => Deferred::from_chain(Chain::waiting(None, inner, None)),
        }
    }

    /// Adds one step: run at once on an inline result, or queued on the chain.
    #[inline(always)]
    fn add_step<S: Sides<T>>(self, sides: S) -> Deferred<S::Value> {
        match self.into_state() {
            State::Ready(result) => Deferred::run_now(result, sides),
            State::Chain(chain) => Deferred::queue(chain, sides),
        }
    }

    /// Runs one step at once on an inline result.
    #[inline(always)]
    fn run_now<S: Sides<T>>(result: Result<T, Failure>, sides: S) -> Deferred<S::Value> {
        Deferred::from_produced(sides.run(result))
    }

    #[inline]
    fn queue<S: Sides<T>>(chain: Rc<Chain>, sides: S) -> Deferred<S::Value> {
        chain.push(Queued::<T, S>::step(sides));
        Deferred::from_chain(chain)
    }

    /// Asks the shared chain `question`; a result inline in the handle answers `inline`.
    fn ask_chain(&self, question: impl FnOnce(&Chain) -> bool, inline: bool) -> bool {
        match self.state.get() {
            State::Chain(chain) => question(chain),
            State::Ready(_) => inline,
        }
    }

    /// The shared chain, made from the inline result if there was none yet.
    fn chain(&mut self) -> Rc<Chain> {
        self.state
            .share(|result| Chain::fired(Outcome::from_result(result), None))
    }

    /// Adds a callback, run with the value when there is one; a failure passes it by.
    ///
    /// The callback returns `Result<U, Failure>` (an `Err`, a `?` or a panic sends the chain
    /// to the errback side) or a `Deferred<U>` (the chain waits for it). The result is this
    /// same chain, now carrying `U`.
    ///
    /// ```
    /// use deferreds::Deferred;
    ///
    /// let d = Deferred::succeed("12")
    ///     .add_callback(|s| Ok(s.parse::<u32>()?))
    ///     .add_callback(|n| Ok(n + 30));
    /// assert_eq!(deferreds::testing::success_result_of(d), 42);
    /// ```
    #[inline]
    pub fn add_callback<F, R>(self, callback: F) -> Deferred<R::Value>
    where
        F: FnOnce(T) -> R + 'static,
        R: CallbackOutput,
    {
        match self.into_state() {
            // Behind other queued steps, a same-typed callback joins a segment of them.
            State::Chain(chain) => match queue_same_typed::<T, F, R>(&chain, callback) {
                Ok(()) => Deferred::from_chain(chain),
                Err(callback) => Deferred::queue(chain, OnValue(callback)),
            },
            State::Ready(result) => Deferred::run_now(result, OnValue(callback)),
        }
    }

    /// Adds an errback, run with the [`Failure`] when there is one; a value passes it by.
    ///
    /// Return `Ok(value)` to recover (the chain goes back to the callback side), `Err` (or
    /// `failure.trap::<E>()?`) to keep failing, or a `Deferred<T>` to wait for.
    ///
    /// ```
    /// use deferreds::{Deferred, Failure};
    ///
    /// let d: Deferred<Vec<&str>> = Deferred::fail(Failure::msg("connection refused"));
    /// let d = d.add_errback(|failure| {
    ///     eprintln!("request failed: {failure}");
    ///     Ok(vec![])
    /// });
    /// assert!(deferreds::testing::success_result_of(d).is_empty());
    /// ```
    #[inline]
    pub fn add_errback<G, R>(self, errback: G) -> Deferred<T>
    where
        G: FnOnce(Failure) -> R + 'static,
        R: CallbackOutput<Value = T>,
    {
        self.add_step(OnFailure(errback))
    }

    /// Adds a callback and an errback as one step: exactly one of them runs, so the errback
    /// does not see a failure of this callback (try / except / else).
    ///
    /// ```
    /// use deferreds::{Deferred, Failure};
    ///
    /// let d = Deferred::succeed(2).add_callbacks(
    ///     |n| -> Result<i32, Failure> { Err(Failure::msg(format!("{n} is not enough"))) },
    ///     |_failure| Ok(0), // not called: it only sees failures from before this step
    /// );
    /// let failure = deferreds::testing::failure_result_of(d);
    /// assert_eq!(failure.error_message(), "2 is not enough");
    /// ```
    #[inline]
    pub fn add_callbacks<F, G, R1, R2>(self, callback: F, errback: G) -> Deferred<R1::Value>
    where
        F: FnOnce(T) -> R1 + 'static,
        G: FnOnce(Failure) -> R2 + 'static,
        R1: CallbackOutput,
        R2: CallbackOutput<Value = R1::Value>,
    {
        self.add_step(OnEither(callback, errback))
    }

    /// Adds one function for both sides: it gets `Ok(value)` or `Err(failure)` (finally).
    ///
    /// ```
    /// use deferreds::Deferred;
    ///
    /// let d = Deferred::succeed(5).add_both(|result| {
    ///     println!("done either way: {}", result.is_ok());
    ///     result
    /// });
    /// assert_eq!(deferreds::testing::success_result_of(d), 5);
    /// ```
    #[inline]
    pub fn add_both<F, R>(self, both: F) -> Deferred<R::Value>
    where
        F: FnOnce(Result<T, Failure>) -> R + 'static,
        R: CallbackOutput,
    {
        self.add_step(OnBoth(both))
    }

    /// Fires another Deferred (through its `resolver`) with this chain's result, when there is
    /// one. The result moves on, so this chain carries `()` afterwards (Twisted leaves `None`).
    /// Long series of `chain_deferred` links run without recursion.
    ///
    /// ```
    /// use deferreds::Deferred;
    ///
    /// let (source, fire_source) = Deferred::<u8>::new();
    /// let (target, fire_target) = Deferred::<u8>::new();
    /// let source = source.chain_deferred(fire_target);
    /// fire_source.callback(7);
    /// assert_eq!(deferreds::testing::success_result_of(target), 7);
    /// deferreds::testing::success_result_of(source); // ()
    /// ```
    pub fn chain_deferred(self, resolver: Resolver<T>) -> Deferred<()> {
        let target = resolver.into_chain();
        match self.into_state() {
            State::Ready(result) => {
                target.fire(Outcome::from_result(result), None);
                Deferred::ready(Ok(()))
            }
            State::Chain(chain) => {
                chain.push_link(target);
                Deferred::from_chain(chain)
            }
        }
    }

    /// Cancels this Deferred if it has no result after `timeout` on `clock`, and then fails
    /// it with a [`TimeoutError`](crate::TimeoutError): Twisted's `d.addTimeout(timeout,
    /// clock)`, as a method that chains. The same as [`add_timeout`](crate::add_timeout),
    /// which says exactly what is cancelled and when.
    ///
    /// ```
    /// use std::time::Duration;
    /// use deferreds::{testing, Deferred, Failure, TestClock, TimeoutError};
    ///
    /// let clock = TestClock::new();
    /// let (request, _resolver) = Deferred::<&str>::new();
    /// let answer = request
    ///     .add_timeout(Duration::from_secs(3), &clock)
    ///     .add_errback(|failure: Failure| {
    ///         failure.trap::<TimeoutError>()?;
    ///         Ok("no answer in time")
    ///     });
    /// clock.advance(Duration::from_secs(3));
    /// assert_eq!(testing::success_result_of(answer), "no answer in time");
    /// ```
    pub fn add_timeout<C: Clock + ?Sized>(self, timeout: Duration, clock: &C) -> Deferred<T> {
        crate::time::add_timeout(self, timeout, clock)
    }

    /// Stops callbacks from running until as many [`unpause`](Self::unpause) calls. A result
    /// that arrives meanwhile is kept.
    ///
    /// ```
    /// use deferreds::{testing, Deferred};
    ///
    /// let mut d = Deferred::succeed(1);
    /// d.pause();
    /// let mut d = d.add_callback(|n| Ok(n + 1)); // queued, not run
    /// testing::assert_no_result(&d);
    /// d.unpause();
    /// assert_eq!(testing::success_result_of(d), 2);
    /// ```
    pub fn pause(&mut self) {
        self.chain().pause();
    }

    /// Undoes one [`pause`](Self::pause); the last one runs the queued callbacks if the
    /// Deferred has a result. More unpauses than pauses do nothing.
    ///
    /// ```
    /// use deferreds::Deferred;
    /// let (mut d, resolver) = Deferred::<u8>::new();
    /// d.pause();
    /// resolver.callback(1);
    /// assert!(d.is_paused());
    /// d.unpause();
    /// assert!(!d.is_paused());
    /// ```
    pub fn unpause(&mut self) {
        if let State::Chain(chain) = self.state.get() {
            chain.unpause();
        }
    }

    /// Cancels the operation this Deferred stands for; see the type's docs and
    /// [`with_canceller`](Self::with_canceller). Does nothing once the Deferred has a result.
    ///
    /// ```
    /// use deferreds::{CancelledError, Deferred};
    ///
    /// let (d, resolver) = Deferred::<u8>::new();
    /// d.cancel();
    /// resolver.callback(1); // ignored: the Deferred was cancelled
    /// assert!(deferreds::testing::failure_result_of(d).check::<CancelledError>());
    /// ```
    pub fn cancel(&self) {
        if let State::Chain(chain) = self.state.get() {
            chain.cancel();
        }
    }

    /// A [`Controller`] for this Deferred: a clonable handle that can pause, unpause and
    /// cancel it from elsewhere, including from inside its own callbacks.
    ///
    /// ```
    /// use deferreds::{testing, Deferred};
    ///
    /// let (mut d, resolver) = Deferred::<u8>::new();
    /// let controller = d.controller();
    /// let d = d.add_callback(move |n| {
    ///     controller.pause(); // stops the chain right after this callback
    ///     Ok(n)
    /// });
    /// let d = d.add_callback(|n| Ok(n + 1));
    /// resolver.callback(1);
    /// testing::assert_no_result(&d);
    /// ```
    pub fn controller(&mut self) -> Controller {
        Controller::new(self.chain())
    }

    /// Has this Deferred been fired (Twisted's `called`)? True while it waits on a Deferred
    /// returned by a callback, too.
    ///
    /// ```
    /// use deferreds::Deferred;
    /// let (d, resolver) = Deferred::<u8>::new();
    /// assert!(!d.is_called());
    /// resolver.callback(1);
    /// assert!(d.is_called());
    /// ```
    pub fn is_called(&self) -> bool {
        self.ask_chain(Chain::is_called, true)
    }

    /// Does this Deferred have a result now: fired, not paused, not waiting on another one?
    ///
    /// ```
    /// use deferreds::Deferred;
    /// let (mut d, resolver) = Deferred::<u8>::new();
    /// resolver.callback(1);
    /// assert!(d.has_result());
    /// d.pause();
    /// assert!(!d.has_result());
    /// ```
    pub fn has_result(&self) -> bool {
        self.ask_chain(Chain::has_result, true)
    }

    /// Is this Deferred waiting on another one, returned by one of its callbacks?
    ///
    /// ```
    /// use deferreds::Deferred;
    /// let (inner, fire_inner) = Deferred::<u8>::new();
    /// let d = Deferred::succeed(()).add_callback(move |()| inner);
    /// assert!(d.is_waiting() && d.is_called() && !d.has_result());
    /// fire_inner.callback(1);
    /// assert!(!d.is_waiting() && d.has_result());
    /// ```
    pub fn is_waiting(&self) -> bool {
        self.ask_chain(Chain::is_waiting, false)
    }

    /// Is this Deferred paused by [`pause`](Self::pause)?
    ///
    /// ```
    /// use deferreds::Deferred;
    /// let mut d = Deferred::succeed(());
    /// d.pause();
    /// assert!(d.is_paused());
    /// ```
    pub fn is_paused(&self) -> bool {
        self.ask_chain(Chain::is_paused, false)
    }

    /// The result, if the Deferred has one now (fired, not paused, not waiting); otherwise
    /// the Deferred back, unchanged. Taking a failure this way handles it.
    ///
    /// ```
    /// use deferreds::Deferred;
    ///
    /// let (d, resolver) = Deferred::<u8>::new();
    /// let d = d.take_result().unwrap_err(); // no result yet: the Deferred comes back
    /// resolver.callback(5);
    /// assert_eq!(d.take_result().ok().unwrap().unwrap(), 5);
    /// ```
    #[allow(clippy::result_large_err)]
    #[inline]
    pub fn take_result(self) -> Result<Result<T, Failure>, Self> {
        match self.into_state() {
            State::Ready(result) => Ok(result),
            State::Chain(chain) => match chain.take_result() {
                Some(outcome) => Ok(outcome.into_result()),
                None => Err(Deferred::from_chain(chain)),
            },
        }
    }
}

/// Shows the state, not the value (`T` need not be `Debug`): pending, has a result, failed
/// (with the failure), waiting on another Deferred, paused; with debugging on, also where it
/// was created and fired.
impl<T: 'static> fmt::Debug for Deferred<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let type_name = std::any::type_name::<T>();
        match self.state.get() {
            State::Ready(Ok(_)) => write!(f, "Deferred<{type_name}> {{ has a result }}"),
            State::Ready(Err(failure)) => {
                write!(f, "Deferred<{type_name}> {{ failed: {failure} }}")
            }
            State::Chain(chain) => {
                let debug = chain
                    .debug_info()
                    .map(|d| d.locations())
                    .unwrap_or_default();
                write!(f, "Deferred<{type_name}> {{ {}{debug} }}", chain.describe())
            }
        }
    }
}

impl<U: 'static> CallbackOutput for Deferred<U> {
    type Value = U;
}

impl<U: 'static> Produce<U> for Deferred<U> {
    #[inline]
    fn produce(self) -> Produced<U> {
        self.into_produced()
    }
}
