//! Waiting on many Deferreds at once: Twisted's [`DeferredList`], [`gather_results`] and
//! [`race`]; and [`FanOut`], one result for many independent waiters.
//!
//! Every combinator takes its inputs by value and watches each one with a single step at the
//! end of its chain, so callbacks added to an input beforehand see (and may change) the result
//! first, as in Twisted. Inputs that already have a result are read on the spot. No combinator
//! recurses per input, so a million inputs need no more stack than one.

use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::rc::{Rc, Weak};

use crate::chain::{take_value, Callback, Chain, Next, Outcome, Step};
use crate::debug::trace_if_debugging;
use crate::deferred::Deferred;
use crate::errors::{AbandonedError, CancelledError};
use crate::failure::Failure;
use crate::output::Produced;
use crate::resolver::Resolver;
use crate::step::guarded;

// ---------------------------------------------------------------------------------------------
// Errors

/// The first failure among the inputs of [`gather_results`] or
/// [`DeferredList::fire_on_one_errback`]: which input failed (its position) and how.
///
/// It displays like Twisted's `str(FirstError)`, `FirstError[#<index>, <failure>]`, and its
/// `Debug` like Twisted's `repr`, with the wrapped error's `Debug`. Two are equal when they
/// have the same index and the same failure (the same underlying error, as
/// [`Failure::ptr_eq`] says).
///
/// ```
/// use deferreds::{testing, Deferred, DeferredList, Failure, FirstError};
///
/// let (slow, _fire_slow) = Deferred::<u32>::new();
/// let broken: Deferred<u32> = Deferred::fail(Failure::msg("disk full"));
/// let all = DeferredList::new(vec![slow, broken]).consume_errors(true).fire_on_one_errback();
///
/// let failure = testing::failure_result_of(all);
/// let first = failure.downcast_ref::<FirstError>().unwrap();
/// assert_eq!(first.index, 1);
/// assert_eq!(first.failure.error_message(), "disk full");
/// assert_eq!(first.to_string(), "FirstError[#1, disk full]");
/// ```
#[derive(Clone, thiserror::Error)]
#[error("FirstError[#{index}, {failure}]")]
pub struct FirstError {
    /// The position of the failed Deferred among the inputs, counting from 0.
    pub index: usize,
    /// The failure it fired with.
    pub failure: Failure,
}

impl FirstError {
    /// The failure of input `index` (Twisted's `FirstError(failure, index)`).
    ///
    /// ```
    /// use deferreds::{Failure, FirstError};
    /// let first = FirstError::new(5, Failure::msg("lost"));
    /// assert_eq!(first.to_string(), "FirstError[#5, lost]");
    /// ```
    pub fn new(index: usize, failure: Failure) -> Self {
        FirstError { index, failure }
    }
}

/// Same index, and the same failure ([`Failure::ptr_eq`]).
impl PartialEq for FirstError {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index && self.failure.ptr_eq(&other.failure)
    }
}

impl Eq for FirstError {}

/// `FirstError[#3, <the error's Debug>]`, like Twisted's `repr`.
impl fmt::Debug for FirstError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FirstError[#{}, {:?}]", self.index, self.failure.error())
    }
}

/// Every input of a [`race`] (or of [`DeferredList::fire_on_one_callback`]) failed: all the
/// failures, in input order (Twisted's `FailureGroup`).
///
/// ```
/// use deferreds::{race, testing, Deferred, Failure, FailureGroup};
///
/// let first: Deferred<u8> = Deferred::fail(Failure::msg("mirror 1 is down"));
/// let second: Deferred<u8> = Deferred::fail(Failure::msg("mirror 2 is down"));
/// let failure = testing::failure_result_of(race(vec![first, second]));
/// let group = failure.downcast_ref::<FailureGroup>().unwrap();
/// let messages: Vec<String> = group.failures.iter().map(|f| f.error_message()).collect();
/// assert_eq!(messages, ["mirror 1 is down", "mirror 2 is down"]);
/// assert_eq!(group.to_string(), "all 2 Deferreds failed: mirror 1 is down; mirror 2 is down");
/// ```
#[derive(Clone, thiserror::Error)]
#[error("{}", describe_group(failures))]
pub struct FailureGroup {
    /// The failures, in the order of the inputs that failed with them.
    pub failures: Vec<Failure>,
}

impl FailureGroup {
    /// A group of these failures.
    ///
    /// ```
    /// use deferreds::{Failure, FailureGroup};
    /// let group = FailureGroup::new(vec![Failure::msg("a")]);
    /// assert_eq!(group.to_string(), "all 1 Deferreds failed: a");
    /// ```
    pub fn new(failures: Vec<Failure>) -> Self {
        FailureGroup { failures }
    }
}

/// The same failures ([`Failure::ptr_eq`]), in the same order.
impl PartialEq for FailureGroup {
    fn eq(&self, other: &Self) -> bool {
        self.failures.len() == other.failures.len()
            && (self.failures.iter())
                .zip(&other.failures)
                .all(|(a, b)| a.ptr_eq(b))
    }
}

impl Eq for FailureGroup {}

/// `FailureGroup[<each error's Debug>, ...]`.
impl fmt::Debug for FailureGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FailureGroup")?;
        f.debug_list()
            .entries(self.failures.iter().map(Failure::error))
            .finish()
    }
}

/// The message of a [`FailureGroup`]: the count and the first few failures.
fn describe_group(failures: &[Failure]) -> String {
    const SHOWN: usize = 3;
    let mut text = format!("all {} Deferreds failed", failures.len());
    for (i, failure) in failures.iter().take(SHOWN).enumerate() {
        text.push_str(if i == 0 { ": " } else { "; " });
        text.push_str(&failure.to_string());
    }
    if failures.len() > SHOWN {
        text.push_str(&format!("; and {} more", failures.len() - SHOWN));
    }
    text
}

// ---------------------------------------------------------------------------------------------
// DeferredList, gather_results, race

/// Waits on a list of Deferreds: Twisted's `DeferredList`, with its modes as methods that
/// return differently typed Deferreds.
///
/// Build it from the inputs with [`new`](Self::new), choose whether it
/// [consumes the inputs' errors](Self::consume_errors), then choose a mode:
///
/// | Twisted | `deferreds` | fires with |
/// |---|---|---|
/// | `DeferredList(ds)` | [`.all()`](Self::all) | `Vec<Result<T, Failure>>`, in input order, once every input has fired |
/// | `fireOnOneCallback=True` | [`.fire_on_one_callback()`](Self::fire_on_one_callback) | `(index, value)` of the first success, or fails with a [`FailureGroup`] if none succeeds |
/// | `fireOnOneErrback=True` | [`.fire_on_one_errback()`](Self::fire_on_one_errback) | `Vec<T>`, or fails with [`FirstError`] at the first failure |
/// | both | [`.fire_on_one_result()`](Self::fire_on_one_result) | `(index, value)`, or [`FirstError`], whichever comes first |
///
/// Each input is watched from the end of its chain: callbacks added to it beforehand run
/// first, and what they leave is what the list sees. Inputs that already have a result are
/// taken at once, so the list may have fired by the time the mode method returns.
///
/// # Errors of the inputs
///
/// The list records each input's failure either way. Without `consume_errors`, the failure
/// also stays in the input's own chain, which nothing else can reach any more (the list took
/// the input), so it is reported as an [`UnhandledError`](crate::UnhandledError), as Twisted
/// logs it. With `consume_errors(true)`, the input's chain ends handled and only the list has
/// the failure. An input abandoned after the list has fired (its [`Resolver`] dropped unfired)
/// is not reported either way: nobody waits for it any more.
///
/// # Cancelling
///
/// Cancelling the list's Deferred before it fires cancels every input that has not fired
/// yet, in input order. Their results, whatever their cancellers made them, arrive as usual:
/// inputs whose cancellers fire them with a value contribute that value, and the list fires
/// from them if it can; otherwise it fails with [`CancelledError`]. A canceller that panics
/// is reported as an unhandled [`PanicError`](crate::PanicError) and the other inputs are
/// still cancelled (Twisted logs the exception). Once the list has fired, cancelling it does
/// nothing, and it never cancels inputs by itself.
///
/// ```
/// use deferreds::{testing, Deferred, DeferredList, Failure};
///
/// let (fetch_a, fire_a) = Deferred::<&str>::new();
/// let (fetch_b, fire_b) = Deferred::<&str>::new();
/// let both = DeferredList::new(vec![fetch_a, fetch_b]).consume_errors(true).all();
///
/// fire_b.errback(Failure::msg("timed out"));
/// testing::assert_no_result(&both);
/// fire_a.callback("page a");
///
/// let results = testing::success_result_of(both);
/// assert_eq!(results[0].as_ref().ok(), Some(&"page a"));
/// assert_eq!(results[1].as_ref().unwrap_err().error_message(), "timed out");
/// ```
#[must_use = "a DeferredList does nothing until one of its modes is chosen"]
pub struct DeferredList<T: 'static> {
    inputs: Vec<Deferred<T>>,
    consume_errors: bool,
}

impl<T: 'static> DeferredList<T> {
    /// A list over these Deferreds, which it takes over; errors are not consumed.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, DeferredList};
    /// let list = DeferredList::new((1..=3).map(Deferred::succeed)).all();
    /// let values: Vec<i32> = testing::success_result_of(list).into_iter().flatten().collect();
    /// assert_eq!(values, [1, 2, 3]);
    /// ```
    pub fn new(deferreds: impl IntoIterator<Item = Deferred<T>>) -> Self {
        DeferredList {
            inputs: deferreds.into_iter().collect(),
            consume_errors: false,
        }
    }

    /// Whether an input's failure ends handled in the input's own chain once the list has
    /// recorded it (Twisted's `consumeErrors`). Without it, each failure is also reported as
    /// unhandled when the input's chain goes away.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, DeferredList, Failure};
    ///
    /// let reports = testing::capture_unhandled(|| {
    ///     let failed: Deferred<()> = Deferred::fail(Failure::msg("boom"));
    ///     let list = DeferredList::new(vec![failed]).consume_errors(true).all();
    ///     assert!(testing::success_result_of(list)[0].is_err());
    /// });
    /// assert!(reports.is_empty());
    /// ```
    pub fn consume_errors(mut self, consume: bool) -> Self {
        self.consume_errors = consume;
        self
    }

    /// Fires once every input has fired, with each input's result in input order (Twisted's
    /// default mode, `(success, result)` tuples becoming `Result`s). It never fails. With no
    /// inputs, it fires with an empty `Vec` at once.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, DeferredList, Failure};
    ///
    /// let (d1, r1) = Deferred::<u8>::new();
    /// let (d2, r2) = Deferred::<u8>::new();
    /// let list = DeferredList::new(vec![d1, d2]).consume_errors(true).all();
    /// r2.callback(2);
    /// testing::assert_no_result(&list);
    /// r1.errback(Failure::msg("one"));
    /// let results = testing::success_result_of(list);
    /// assert!(results[0].is_err() && results[1].as_ref().ok() == Some(&2));
    ///
    /// let empty = DeferredList::<u8>::new(vec![]).all();
    /// assert!(testing::success_result_of(empty).is_empty());
    /// ```
    #[track_caller]
    pub fn all(self) -> Deferred<Vec<Result<T, Failure>>> {
        let collector = AllResults {
            results: slots(self.inputs.len()),
        };
        combine(self.inputs, collector, self.consume_errors, Mode::List)
    }

    /// Fires with `(index, value)` of the first input to succeed (Twisted's
    /// `fireOnOneCallback`, whose tuple is `(value, index)`: this is [`race`]'s order). The
    /// other inputs are left alone. If every input fails, fails with a [`FailureGroup`] of
    /// their failures in input order (where Twisted fires with the list of failures). With no
    /// inputs it never fires, as in Twisted: only cancelling it ends it.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, DeferredList};
    ///
    /// let (primary, _fire_primary) = Deferred::<&str>::new();
    /// let (replica, fire_replica) = Deferred::<&str>::new();
    /// let first = DeferredList::new(vec![primary, replica]).fire_on_one_callback();
    /// fire_replica.callback("row 7");
    /// assert_eq!(testing::success_result_of(first), (1, "row 7"));
    /// ```
    #[track_caller]
    pub fn fire_on_one_callback(self) -> Deferred<(usize, T)> {
        let collector = FirstSuccess::new(self.inputs.len());
        combine(self.inputs, collector, self.consume_errors, Mode::List)
    }

    /// Fails with [`FirstError`] (the failed input's index and failure) as soon as an input
    /// fails; fires with every value, in input order, if none does (Twisted's
    /// `fireOnOneErrback`; as every result is then a success, the values come bare). This is
    /// what [`gather_results`] does; here it can also consume the inputs' errors. With no
    /// inputs, it fires with an empty `Vec` at once.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, DeferredList, Failure, FirstError};
    ///
    /// let (d1, r1) = Deferred::<u8>::new();
    /// let (d2, r2) = Deferred::<u8>::new();
    /// let gathered = DeferredList::new(vec![d1, d2]).consume_errors(true).fire_on_one_errback();
    /// r1.callback(1);
    /// r2.errback(Failure::msg("bad sector"));
    /// let failure = testing::failure_result_of(gathered);
    /// assert_eq!(failure.to_string(), "FirstError[#1, bad sector]");
    /// assert_eq!(failure.downcast_ref::<FirstError>().unwrap().index, 1);
    /// ```
    #[track_caller]
    pub fn fire_on_one_errback(self) -> Deferred<Vec<T>> {
        let collector = Values {
            values: slots(self.inputs.len()),
        };
        combine(self.inputs, collector, self.consume_errors, Mode::List)
    }

    /// Fires with the first input's result, whichever way it goes: `(index, value)` for a
    /// success, a [`FirstError`] for a failure (Twisted's `fireOnOneCallback` and
    /// `fireOnOneErrback` together). With no inputs it never fires.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, DeferredList, Failure, FirstError};
    ///
    /// let (d1, _r1) = Deferred::<u8>::new();
    /// let (d2, r2) = Deferred::<u8>::new();
    /// let first = DeferredList::new(vec![d1, d2]).consume_errors(true).fire_on_one_result();
    /// r2.errback(Failure::msg("refused"));
    /// let failure = testing::failure_result_of(first);
    /// assert_eq!(failure.downcast_ref::<FirstError>().unwrap().index, 1);
    /// ```
    #[track_caller]
    pub fn fire_on_one_result(self) -> Deferred<(usize, T)> {
        combine(self.inputs, FirstResult, self.consume_errors, Mode::List)
    }
}

/// Shows the number of inputs and the options.
impl<T: 'static> fmt::Debug for DeferredList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeferredList")
            .field("inputs", &self.inputs.len())
            .field("consume_errors", &self.consume_errors)
            .finish()
    }
}

/// Waits for every Deferred and fires with their values in input order, or fails with a
/// [`FirstError`] (the index and the failure) as soon as one fails: Twisted's
/// `gatherResults`.
///
/// The same as `DeferredList::new(deferreds).fire_on_one_errback()`. The inputs' errors are
/// not consumed, as in Twisted: each failed input's failure also stays in its own chain and
/// is reported as unhandled, the first one included. To consume them, use
/// `DeferredList::new(deferreds).consume_errors(true).fire_on_one_errback()`
/// (Twisted's `gatherResults(ds, consumeErrors=True)`).
///
/// Cancelling the result cancels every input that has not fired (see [`DeferredList`]); the
/// first input to fail from that (with [`CancelledError`], say) gives the [`FirstError`].
/// With no inputs, it fires with an empty `Vec` at once.
///
/// ```
/// use deferreds::{gather_results, testing, Deferred, Failure, FirstError};
///
/// let (price, fire_price) = Deferred::<u32>::new();
/// let (stock, fire_stock) = Deferred::<u32>::new();
/// let both = gather_results(vec![price, stock]);
/// fire_stock.callback(3);
/// fire_price.callback(1999);
/// assert_eq!(testing::success_result_of(both), [1999, 3]);
///
/// // A failure fails the gathering, and is also reported from its own input.
/// let reports = testing::capture_unhandled(|| {
///     let broken: Deferred<u32> = Deferred::fail(Failure::msg("no such item"));
///     let gathered = gather_results(vec![Deferred::succeed(1), broken]);
///     let failure = testing::failure_result_of(gathered);
///     assert_eq!(failure.downcast_ref::<FirstError>().unwrap().index, 1);
/// });
/// assert_eq!(reports.len(), 1);
/// ```
#[track_caller]
pub fn gather_results<T: 'static>(
    deferreds: impl IntoIterator<Item = Deferred<T>>,
) -> Deferred<Vec<T>> {
    DeferredList::new(deferreds).fire_on_one_errback()
}

/// Fires with `(index, value)` of the first Deferred to succeed, and cancels all the others:
/// Twisted's `race`.
///
/// - The winner is not cancelled; every other input that has no result yet is cancelled
///   once, in input order, before the race's own callbacks run.
/// - If every input fails, the race fails with a [`FailureGroup`] of their failures, in input
///   order.
/// - The inputs' failures (their [`CancelledError`]s included) are consumed: the race reports
///   them only through the [`FailureGroup`]. A success that comes after the winner (from a
///   canceller that fires with a value) is dropped.
/// - Cancelling the race cancels every input; it then fails with the [`FailureGroup`] of
///   their failures (not a [`CancelledError`] of its own), unless a canceller fires its input
///   with a value, which then wins.
/// - With no inputs, it never fires: only cancelling it ends it.
///
/// ```
/// use deferreds::{race, testing, Deferred};
/// use std::{cell::Cell, rc::Rc};
///
/// let cancelled = Rc::new(Cell::new(false));
/// let flag = cancelled.clone();
/// let (mirror_a, _fire_a) = Deferred::<&str>::with_canceller(move |_| flag.set(true));
/// let (mirror_b, fire_b) = Deferred::new();
/// let fastest = race(vec![mirror_a, mirror_b]);
/// fire_b.callback("bytes from b");
/// assert_eq!(testing::success_result_of(fastest), (1, "bytes from b"));
/// assert!(cancelled.get()); // the loser was cancelled
/// ```
#[track_caller]
pub fn race<T: 'static>(deferreds: impl IntoIterator<Item = Deferred<T>>) -> Deferred<(usize, T)> {
    let inputs: Vec<Deferred<T>> = deferreds.into_iter().collect();
    let collector = FirstSuccess::new(inputs.len());
    combine(inputs, collector, true, Mode::Race)
}

// ---------------------------------------------------------------------------------------------
// Watching a Deferred from the end of its chain

/// Takes the result of a watched Deferred.
trait Sink<T>: 'static {
    /// Gets the result. Returns a failure to leave in the watched Deferred's own chain (it is
    /// reported as unhandled when that chain goes), or `None` to end that chain handled.
    fn take(self, result: Result<T, Failure>) -> Option<Failure>;
}

/// The step at the end of a watched chain that hands its result to a sink.
struct Watch<T, S> {
    sink: S,
    value: PhantomData<fn(T)>,
}

impl<T: 'static, S: Sink<T>> Callback for Watch<T, S> {
    fn call(self: Box<Self>, input: Outcome, _chain: &Chain) -> Next {
        let (result, emptied) = match input {
            Outcome::Value(mut boxed) => (Ok(take_value::<T>(&mut boxed)), Some(boxed)),
            Outcome::Failure(failure) => (Err(failure), None),
        };
        let sink = self.sink;
        Next::Done(match guarded(|| sink.take(result)) {
            Ok(None) => match emptied {
                // The watched Deferred's handle was consumed and this step is the last, so
                // nothing reads the chain's result again: the emptied box stands in for one,
                // which saves an allocation per input.
                Some(boxed) => Outcome::Value(boxed),
                None => Outcome::value(()),
            },
            Ok(Some(failure)) | Err(failure) => Outcome::Failure(failure),
        })
    }
}

/// Hands `d`'s result to `sink`: at once if it has one, otherwise when it comes. Returns the
/// chain to cancel while the result has not come.
fn watch<T: 'static, S: Sink<T>>(d: Deferred<T>, sink: S) -> Option<Rc<Chain>> {
    match d.into_produced() {
        Produced::Ready(result) => {
            if let Some(failure) = sink.take(result) {
                // What the input's own handle would have done when dropped.
                crate::unhandled::report(failure, None);
            }
            None
        }
        Produced::Chain(chain) => {
            chain.push(Step::Call(Box::new(Watch {
                sink,
                value: PhantomData,
            })));
            (!chain.has_result()).then_some(chain)
        }
    }
}

/// Cancels a chain; a canceller that panics is reported as unhandled rather than stopping
/// the caller's loop (Twisted logs the exception).
fn cancel_reporting_panics(chain: &Rc<Chain>) {
    if let Err(failure) = guarded(|| chain.cancel()) {
        crate::unhandled::report(failure, None);
    }
}

/// A Deferred that nothing fires: there is no resolver to fire it, nor to abandon it.
/// Cancelling it fails it with `CancelledError`.
#[track_caller]
fn never<T: 'static>() -> Deferred<T> {
    Deferred::from_chain(Chain::new(None, trace_if_debugging()))
}

/// `n` empty slots.
fn slots<S>(n: usize) -> Vec<Option<S>> {
    std::iter::repeat_with(|| None).take(n).collect()
}

// ---------------------------------------------------------------------------------------------
// The machinery shared by the combinators

/// How a combinator turns its inputs' results into its own.
trait Collector<T>: Sized + 'static {
    type Output: 'static;

    /// Does the combinator fire at once when it has no inputs? (Otherwise it never fires.)
    const FIRES_WHEN_EMPTY: bool;

    /// Records input `index`'s result; `Some` fires the combined Deferred with it now.
    fn record(
        &mut self,
        index: usize,
        result: Result<T, Failure>,
    ) -> Option<Result<Self::Output, Failure>>;

    /// Every input has a result and none fired the combined Deferred early.
    fn finish(self) -> Result<Self::Output, Failure>;
}

fn recorded<S>(slot: Option<S>) -> S {
    slot.expect("deferreds: every input has reported before the list finishes")
}

/// [`DeferredList::all`]: every result.
struct AllResults<T> {
    results: Vec<Option<Result<T, Failure>>>,
}

impl<T: 'static> Collector<T> for AllResults<T> {
    type Output = Vec<Result<T, Failure>>;
    const FIRES_WHEN_EMPTY: bool = true;

    fn record(
        &mut self,
        index: usize,
        result: Result<T, Failure>,
    ) -> Option<Result<Self::Output, Failure>> {
        self.results[index] = Some(result);
        None
    }

    fn finish(self) -> Result<Self::Output, Failure> {
        Ok(self.results.into_iter().map(recorded).collect())
    }
}

/// [`gather_results`] and [`DeferredList::fire_on_one_errback`]: every value, or the first
/// failure.
struct Values<T> {
    values: Vec<Option<T>>,
}

impl<T: 'static> Collector<T> for Values<T> {
    type Output = Vec<T>;
    const FIRES_WHEN_EMPTY: bool = true;

    fn record(
        &mut self,
        index: usize,
        result: Result<T, Failure>,
    ) -> Option<Result<Self::Output, Failure>> {
        match result {
            Ok(value) => {
                self.values[index] = Some(value);
                None
            }
            Err(failure) => Some(Err(Failure::of_library(FirstError::new(index, failure)))),
        }
    }

    fn finish(self) -> Result<Self::Output, Failure> {
        Ok(self.values.into_iter().map(recorded).collect())
    }
}

/// [`race`] and [`DeferredList::fire_on_one_callback`]: the first value, or every failure.
struct FirstSuccess<T> {
    inputs: usize,
    /// Allocated at the first failure.
    failures: Vec<Option<Failure>>,
    value: PhantomData<fn(T)>,
}

impl<T> FirstSuccess<T> {
    fn new(inputs: usize) -> Self {
        FirstSuccess {
            inputs,
            failures: Vec::new(),
            value: PhantomData,
        }
    }
}

impl<T: 'static> Collector<T> for FirstSuccess<T> {
    type Output = (usize, T);
    const FIRES_WHEN_EMPTY: bool = false;

    fn record(
        &mut self,
        index: usize,
        result: Result<T, Failure>,
    ) -> Option<Result<Self::Output, Failure>> {
        match result {
            Ok(value) => Some(Ok((index, value))),
            Err(failure) => {
                if self.failures.is_empty() {
                    self.failures = slots(self.inputs);
                }
                self.failures[index] = Some(failure);
                None
            }
        }
    }

    fn finish(self) -> Result<Self::Output, Failure> {
        let failures = self.failures.into_iter().map(recorded).collect();
        Err(Failure::of_library(FailureGroup::new(failures)))
    }
}

/// [`DeferredList::fire_on_one_result`]: the first result.
struct FirstResult;

impl<T: 'static> Collector<T> for FirstResult {
    type Output = (usize, T);
    const FIRES_WHEN_EMPTY: bool = false;

    fn record(
        &mut self,
        index: usize,
        result: Result<T, Failure>,
    ) -> Option<Result<Self::Output, Failure>> {
        Some(match result {
            Ok(value) => Ok((index, value)),
            Err(failure) => Err(Failure::of_library(FirstError::new(index, failure))),
        })
    }

    fn finish(self) -> Result<Self::Output, Failure> {
        unreachable!("deferreds: the first input to report fires the list")
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A `DeferredList` mode or `gather_results`: firing leaves the other inputs alone.
    List,
    /// `race`: the first success cancels the other inputs.
    Race,
}

/// The state of one combinator, shared by the steps watching its inputs.
struct Combined<T: 'static, C: Collector<T>> {
    /// `None` once the combined Deferred has fired or been cancelled: later results are not
    /// needed. Moved out while it records, never borrowed across user code.
    collector: Cell<Option<C>>,
    /// Inputs that have not reported yet.
    remaining: Cell<usize>,
    resolver: Cell<Option<Resolver<C::Output>>>,
    /// The inputs still without a result, by index, for cancelling them.
    pending: RefCell<Vec<Option<Rc<Chain>>>>,
    decided: Cell<bool>,
    cancelling: Cell<bool>,
    consume_errors: bool,
    mode: Mode,
    value: PhantomData<fn(T)>,
}

/// Builds a combinator: watches every input, in order, and returns the combined Deferred.
#[track_caller]
fn combine<T: 'static, C: Collector<T>>(
    inputs: Vec<Deferred<T>>,
    collector: C,
    consume_errors: bool,
    mode: Mode,
) -> Deferred<C::Output> {
    let count = inputs.len();
    if count == 0 {
        return match C::FIRES_WHEN_EMPTY {
            true => Deferred::from_result(collector.finish()),
            false => never(),
        };
    }
    let shared = Rc::new(Combined {
        collector: Cell::new(Some(collector)),
        remaining: Cell::new(count),
        resolver: Cell::new(None),
        pending: RefCell::new(slots(count)),
        decided: Cell::new(false),
        cancelling: Cell::new(false),
        consume_errors,
        mode,
        value: PhantomData,
    });
    let canceller = Rc::downgrade(&shared);
    let (combined, resolver) = Deferred::with_canceller(move |_| {
        if let Some(shared) = canceller.upgrade() {
            shared.cancel();
        }
    });
    shared.resolver.set(Some(resolver));
    for (index, input) in inputs.into_iter().enumerate() {
        if mode == Mode::Race && shared.decided.get() {
            // Already won: a later input is a loser from the start.
            if let Err(failure) = guarded(|| input.cancel()) {
                crate::unhandled::report(failure, None);
            }
        }
        let entry = Entry {
            shared: shared.clone(),
            index,
        };
        if let Some(chain) = watch(input, entry) {
            if let Some(slot) = shared.pending.borrow_mut().get_mut(index) {
                *slot = Some(chain);
            }
        }
    }
    combined
}

impl<T: 'static, C: Collector<T>> Combined<T, C> {
    /// Input `index` has a result. Returns the failure to leave in its chain.
    fn record(&self, index: usize, result: Result<T, Failure>) -> Option<Failure> {
        let (result, kept) = match result {
            Err(failure) if !self.consume_errors => (Err(failure.clone()), Some(failure)),
            result => (result, None),
        };
        let Some(mut collector) = self.collector.take() else {
            // Decided already: the result is not needed. An input abandoned now (its resolver
            // dropped unfired) has nobody waiting for it any more, so, as for any Deferred
            // nobody waits for, its abandonment is not reported.
            return kept.filter(|failure| !failure.check::<AbandonedError>());
        };
        let reported = self
            .pending
            .borrow_mut()
            .get_mut(index)
            .and_then(Option::take);
        drop(reported);
        let remaining = self.remaining.get() - 1;
        self.remaining.set(remaining);
        let outcome = match collector.record(index, result) {
            Some(outcome) => {
                drop(collector);
                outcome
            }
            None if remaining == 0 => collector.finish(),
            None => {
                self.collector.set(Some(collector));
                return kept;
            }
        };
        self.decide(index, outcome);
        kept
    }

    /// Fires the combined Deferred; a race first cancels the losers.
    fn decide(&self, index: usize, outcome: Result<C::Output, Failure>) {
        self.decided.set(true);
        if self.mode == Mode::Race && outcome.is_ok() {
            self.cancel_pending(Some(index));
        } else if !self.cancelling.get() {
            // Cancelling a fired list does nothing: the inputs need not be kept.
            drop(self.pending.take());
        }
        if let Some(resolver) = self.resolver.take() {
            resolver.resolve(outcome);
        }
    }

    /// The combined Deferred's canceller: cancels every input still pending.
    fn cancel(&self) {
        self.cancelling.set(true);
        self.cancel_pending(None);
        self.cancelling.set(false);
        // If the inputs' results did not fire the combined Deferred, it fails with
        // `CancelledError` right after this; whatever comes later is not needed.
        self.decided.set(true);
        drop(self.collector.take());
    }

    /// Cancels, in input order, every input still pending except `spare`, each once. Their
    /// results arrive (and may decide) during the loop.
    fn cancel_pending(&self, spare: Option<usize>) {
        let mut index = 0;
        loop {
            let next = match self.pending.borrow_mut().get_mut(index) {
                None => break,
                Some(_) if Some(index) == spare => None,
                Some(slot) => slot.take(),
            };
            index += 1;
            if let Some(chain) = next {
                cancel_reporting_panics(&chain);
            }
        }
        drop(self.pending.take());
    }
}

/// Watches one input of a combinator.
struct Entry<T: 'static, C: Collector<T>> {
    shared: Rc<Combined<T, C>>,
    index: usize,
}

impl<T: 'static, C: Collector<T>> Sink<T> for Entry<T, C> {
    fn take(self, result: Result<T, Failure>) -> Option<Failure> {
        self.shared.record(self.index, result)
    }
}

// ---------------------------------------------------------------------------------------------
// FanOut

/// One Deferred's result for any number of independent waiters: each
/// [`waiter`](Self::waiter) is a new Deferred, with a chain of its own, that fires with a
/// clone of the result.
///
/// A Deferred's chain is a single line: its callbacks take the result in turn, and what one
/// does to it, the next one sees. A `FanOut` takes over a source Deferred and gives each
/// waiter its own copy, so nothing one waiter's callbacks do (change the value, fail,
/// recover) reaches another. Twisted has no such helper; its users write their own.
///
/// - Waiters may be taken before or after the source fires. Those taken before fire when it
///   does, in the order they were taken; those taken after have the result at once.
/// - Each waiter gets a clone of the value, so `T: Clone` (a value that shares state, like an
///   `Rc<RefCell<_>>`, shares it as its `Clone` does). A failure is given to each waiter as a
///   clone of the [`Failure`], which shares the one underlying error, and also its
///   [`async_frames`](Failure::async_frames) trail: a frame one waiter's
///   `#[inline_callbacks]` function adds shows in the other waiters' copies too.
/// - The fan-out handles the source's failure on its waiters' behalf: a waiter that gets it
///   reports it as unhandled if its own chain does not handle it. If no waiter gets it at
///   all, it is reported when the last `FanOut` handle goes.
///
/// # Cancelling
///
/// - Cancelling a waiter fails that waiter alone, with [`CancelledError`]; the source and the
///   other waiters carry on.
/// - Once every waiter taken has been cancelled and no `FanOut` handle is left to take
///   another, nobody can see the source's result any more, and the source is cancelled (its
///   result is then dropped quietly). Dropping waiters or handles alone never cancels the
///   source, just as dropping a Deferred does not cancel it.
/// - [`FanOut::cancel`] cancels the source: every waiter still waiting gets what that gives
///   (a [`CancelledError`], or what the source's canceller fired it with).
///
/// ```
/// use deferreds::{testing, Deferred, FanOut};
///
/// let (hosts, fire_hosts) = Deferred::<Vec<&str>>::new();
/// let hosts = FanOut::new(hosts);
///
/// let server = hosts.waiter().add_callback(|mut hosts| {
///     hosts.push("localhost"); // changes this waiter's copy only
///     Ok(hosts.len())
/// });
/// let logger = hosts.waiter().add_callback(|hosts| Ok(hosts.join(",")));
///
/// fire_hosts.callback(vec!["a", "b"]);
/// assert_eq!(testing::success_result_of(server), 3);
/// assert_eq!(testing::success_result_of(logger), "a,b");
/// assert_eq!(testing::success_result_of(hosts.waiter()), ["a", "b"]); // later waiters too
/// ```
pub struct FanOut<T: 'static> {
    shared: Rc<FanShared<T>>,
}

struct FanShared<T: 'static> {
    /// The source's result, kept for waiters taken later (if any handle was left to take
    /// one when it came).
    result: OnceCell<Result<T, Failure>>,
    /// Waiters taken before the source fired, in order; `None` once cancelled.
    waiters: RefCell<Vec<Option<Resolver<T>>>>,
    /// Waiters taken before the source fired and not cancelled.
    live: Cell<usize>,
    any_cancelled: Cell<bool>,
    /// `FanOut` handles alive.
    handles: Cell<usize>,
    /// The source, while it has no result, for cancelling it.
    source: RefCell<Option<Rc<Chain>>>,
    /// A failure result has been given to a waiter.
    seen: Cell<bool>,
    /// The fan-out cancelled the source because nobody waited any more.
    quiet: Cell<bool>,
}

impl<T: Clone + 'static> FanOut<T> {
    /// Takes over `source`; its result goes to the waiters.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, FanOut};
    /// let fan = FanOut::new(Deferred::succeed(7));
    /// assert_eq!(testing::success_result_of(fan.waiter()), 7);
    /// assert_eq!(testing::success_result_of(fan.waiter()), 7);
    /// ```
    pub fn new(source: Deferred<T>) -> Self {
        let shared = Rc::new(FanShared {
            result: OnceCell::new(),
            waiters: RefCell::new(Vec::new()),
            live: Cell::new(0),
            any_cancelled: Cell::new(false),
            handles: Cell::new(1),
            source: RefCell::new(None),
            seen: Cell::new(false),
            quiet: Cell::new(false),
        });
        let pending = watch(
            source,
            FanSource {
                shared: shared.clone(),
            },
        );
        *shared.source.borrow_mut() = pending;
        FanOut { shared }
    }

    /// A new Deferred that fires with a clone of the source's result: when the source fires,
    /// or at once if it has.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, Failure, FanOut};
    ///
    /// let (source, fire) = Deferred::<u8>::new();
    /// let fan = FanOut::new(source);
    /// let early = fan.waiter();
    /// testing::assert_no_result(&early);
    /// fire.errback(Failure::msg("unreachable host"));
    /// assert_eq!(testing::failure_result_of(early).error_message(), "unreachable host");
    /// assert_eq!(testing::failure_result_of(fan.waiter()).error_message(), "unreachable host");
    /// ```
    #[track_caller]
    pub fn waiter(&self) -> Deferred<T> {
        let shared = &self.shared;
        if let Some(result) = shared.result.get() {
            if result.is_err() {
                shared.seen.set(true);
            }
            return Deferred::from_result(forked(result));
        }
        let index = shared.waiters.borrow().len();
        let canceller = Rc::downgrade(shared);
        let (waiter, resolver) =
            Deferred::with_canceller(move |own| cancel_waiter(&canceller, index, own));
        shared.waiters.borrow_mut().push(Some(resolver));
        shared.live.set(shared.live.get() + 1);
        waiter
    }

    /// Cancels the source, if it has no result yet (see [`Deferred::cancel`]): the waiters
    /// get whatever that gives it.
    ///
    /// ```
    /// use deferreds::{testing, CancelledError, Deferred, FanOut};
    ///
    /// let (source, _fire) = Deferred::<u8>::new();
    /// let fan = FanOut::new(source);
    /// let waiter = fan.waiter();
    /// fan.cancel();
    /// assert!(testing::failure_result_of(waiter).check::<CancelledError>());
    /// ```
    pub fn cancel(&self) {
        let source = self.shared.source.borrow().clone();
        if let Some(source) = source {
            source.cancel();
        }
    }

    /// Has the source fired with its result (so new waiters have it at once)?
    ///
    /// ```
    /// use deferreds::{Deferred, FanOut};
    /// let (source, fire) = Deferred::<u8>::new();
    /// let fan = FanOut::new(source);
    /// assert!(!fan.has_result());
    /// fire.callback(1);
    /// assert!(fan.has_result());
    /// ```
    pub fn has_result(&self) -> bool {
        self.shared.result.get().is_some()
    }
}

impl<T: Clone + 'static> Deferred<T> {
    /// Hands this Deferred's result to any number of independent waiters: the same as
    /// [`FanOut::new`].
    ///
    /// ```
    /// use deferreds::{testing, Deferred};
    ///
    /// let (d, resolver) = Deferred::<String>::new();
    /// let fan = d.fan_out();
    /// let shout = fan.waiter().add_callback(|s| Ok(s.to_uppercase()));
    /// let count = fan.waiter().add_callback(|s| Ok(s.len()));
    /// resolver.callback("hello".to_string());
    /// assert_eq!(testing::success_result_of(shout), "HELLO");
    /// assert_eq!(testing::success_result_of(count), 5);
    /// ```
    pub fn fan_out(self) -> FanOut<T> {
        FanOut::new(self)
    }
}

/// The same as [`FanOut::new`].
///
/// ```
/// use deferreds::{testing, Deferred, FanOut};
/// let fan: FanOut<u8> = Deferred::succeed(1).into();
/// assert_eq!(testing::success_result_of(fan.waiter()), 1);
/// ```
impl<T: Clone + 'static> From<Deferred<T>> for FanOut<T> {
    fn from(source: Deferred<T>) -> Self {
        FanOut::new(source)
    }
}

/// Another handle to the same fan-out: waiters taken from either get the same result.
impl<T: 'static> Clone for FanOut<T> {
    fn clone(&self) -> Self {
        self.shared.handles.set(self.shared.handles.get() + 1);
        FanOut {
            shared: self.shared.clone(),
        }
    }
}

/// The last handle going away cancels the source if every waiter taken was cancelled.
impl<T: 'static> Drop for FanOut<T> {
    fn drop(&mut self) {
        let shared = &self.shared;
        shared.handles.set(shared.handles.get() - 1);
        if shared.handles.get() == 0 {
            shared.cancel_source_if_unwanted();
        }
    }
}

/// Shows whether the source has fired and how many waiters wait for it.
impl<T: 'static> fmt::Debug for FanOut<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.shared.result.get() {
            Some(Ok(_)) => "has a result",
            Some(Err(_)) => "failed",
            None => "pending",
        };
        write!(
            f,
            "FanOut<{}> {{ {state}, {} waiting }}",
            std::any::type_name::<T>(),
            self.shared.live.get()
        )
    }
}

impl<T: 'static> FanShared<T> {
    fn cancel_source_if_unwanted(&self) {
        if self.handles.get() > 0 || self.live.get() > 0 || !self.any_cancelled.get() {
            return;
        }
        let source = self.source.borrow_mut().take();
        if let Some(source) = source {
            self.quiet.set(true);
            cancel_reporting_panics(&source);
        }
    }
}

impl<T: Clone + 'static> FanShared<T> {
    /// The source's result has come: hand it to the waiters.
    fn deliver(&self, result: Result<T, Failure>) -> Option<Failure> {
        drop(self.source.borrow_mut().take());
        let waiters: Vec<Resolver<T>> = self.waiters.take().into_iter().flatten().collect();
        self.live.set(0);
        if result.is_err() && !waiters.is_empty() {
            self.seen.set(true);
        }
        if self.handles.get() > 0 {
            // More waiters may come: keep the result, and give everyone a clone.
            let result = self.result.get_or_init(|| result);
            for waiter in waiters {
                waiter.resolve(forked(result));
            }
            return None;
        }
        // Nobody can take a waiter any more: the last one gets the result itself.
        let mut waiters = waiters.into_iter();
        let Some(last) = waiters.next_back() else {
            return match result {
                Err(failure) if !self.quiet.get() => Some(failure), // nobody will see it
                _ => None,
            };
        };
        for waiter in waiters {
            waiter.resolve(forked(&result));
        }
        last.resolve(result);
        None
    }
}

/// A copy of the result for one waiter: a clone of the value, or a fork of the failure, so
/// the async frames one waiter's functions add do not show up in another's.
fn forked<T: Clone>(result: &Result<T, Failure>) -> Result<T, Failure> {
    match result {
        Ok(value) => Ok(value.clone()),
        Err(failure) => Err(failure.fork()),
    }
}

/// A failure nobody was given is reported when the fan-out goes.
impl<T: 'static> Drop for FanShared<T> {
    fn drop(&mut self) {
        if let Some(Err(failure)) = self.result.take() {
            if !self.seen.get() {
                crate::unhandled::report(failure, None);
            }
        }
    }
}

/// A waiter's canceller: it fails alone, and the source is cancelled if nobody waits any more.
fn cancel_waiter<T: 'static>(shared: &Weak<FanShared<T>>, index: usize, own: Resolver<T>) {
    own.errback(Failure::of_library(CancelledError));
    let Some(shared) = shared.upgrade() else {
        return;
    };
    // The waiter fired above, so dropping its first resolver does not abandon it.
    let stored = shared
        .waiters
        .borrow_mut()
        .get_mut(index)
        .and_then(Option::take);
    if let Some(stored) = stored {
        drop(stored);
        shared.live.set(shared.live.get() - 1);
        shared.any_cancelled.set(true);
        shared.cancel_source_if_unwanted();
    }
}

/// Watches a fan-out's source.
struct FanSource<T: 'static> {
    shared: Rc<FanShared<T>>,
}

impl<T: Clone + 'static> Sink<T> for FanSource<T> {
    fn take(self, result: Result<T, Failure>) -> Option<Failure> {
        self.shared.deliver(result)
    }
}
