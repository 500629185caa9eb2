//! [`DeferredList`] and its shorthand [`race`].

use std::fmt;

use super::combine::{combine, AllResults, FirstResult, FirstSuccess, Mode};
use super::gather::Gather;
use super::watch::slots;
use crate::deferred::Deferred;
use crate::failure::Failure;

/// Waits on a list of Deferreds: Twisted's `DeferredList`, with its modes as methods that
/// return differently typed Deferreds.
///
/// Build it from the inputs with [`new`](Self::new), choose whether it
/// [consumes the inputs' errors](Self::consume_errors), then choose a mode:
///
/// | Twisted | `deferreds` | fires with |
/// |---|---|---|
/// | `DeferredList(ds)` | [`.all()`](Self::all) | `Vec<Result<T, Failure>>`, in input order, once every input has fired |
/// | `fireOnOneCallback=True` | [`.fire_on_one_callback()`](Self::fire_on_one_callback) | `(index, value)` of the first success, or fails with a [`FailureGroup`](crate::FailureGroup) if none succeeds |
/// | `fireOnOneErrback=True` | [`.fire_on_one_errback()`](Self::fire_on_one_errback) | `Vec<T>`, or fails with [`FirstError`](crate::FirstError) at the first failure |
/// | both | [`.fire_on_one_result()`](Self::fire_on_one_result) | `(index, value)`, or [`FirstError`](crate::FirstError), whichever comes first |
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
/// the failure. An input abandoned after the list has fired (its [`Resolver`](crate::Resolver) dropped unfired)
/// is not reported either way: nobody waits for it any more.
///
/// # Cancelling
///
/// Cancelling the list's Deferred before it fires does what Twisted's `DeferredList.cancel`
/// does: it cancels every input that has no result yet, in input order, and nothing else.
/// The list still fires the way its mode says, from the results the inputs have: usually
/// their [`CancelledError`](crate::CancelledError)s, or the values their cancellers fire them
/// with. An input whose cancel leaves it without a result for now keeps the list waiting,
/// and its later result takes its place like any other: one that is paused (its
/// `CancelledError` comes when it is unpaused), or one whose canceller panicked (reported as
/// an unhandled [`PanicError`](crate::PanicError), as Twisted logs it; the other inputs are
/// still cancelled). Cancelling again cancels the inputs still without a result again.
///
/// Once the list has fired, cancelling it goes on to the Deferred its callbacks wait on, if
/// any, as for every Deferred (Twisted's `DeferredList.cancel` does nothing then). The list
/// never cancels inputs by itself.
///
/// ```
/// use deferreds::{testing, CancelledError, Deferred, DeferredList};
///
/// let (mut paused, _fire_paused) = Deferred::<u8>::new();
/// let controller = paused.controller();
/// paused.pause();
/// let (other, _fire_other) = Deferred::<u8>::new();
/// let list = DeferredList::new(vec![paused, other]).consume_errors(true).all();
///
/// list.cancel();
/// testing::assert_no_result(&list); // the paused input has not delivered its result
/// controller.unpause();
/// let results = testing::success_result_of(list);
/// assert!(results.iter().all(|r| r.as_ref().unwrap_err().check::<CancelledError>()));
/// ```
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
///
/// # Panics
///
/// Run in any mode with more than `u32::MAX` (4,294,967,295) inputs: each input's chain keeps its index in
/// 32 bits.
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
    /// other inputs are left alone. If every input fails, fails with a [`FailureGroup`](crate::FailureGroup) of
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

    /// Fails with [`FirstError`](crate::FirstError) (the failed input's index and failure) as soon as an input
    /// fails; fires with every value, in input order, if none does (Twisted's
    /// `fireOnOneErrback`; as every result is then a success, the values come bare). This is
    /// what [`gather_results`](crate::gather_results) does; [`Gather`](crate::Gather) does it
    /// with options (consuming errors, cancelling the other inputs at the first failure). With
    /// no inputs, it fires with an empty `Vec` at once.
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
        Gather::new(self.inputs)
            .consume_errors(self.consume_errors)
            .run()
    }

    /// Fires with the first input's result, whichever way it goes: `(index, value)` for a
    /// success, a [`FirstError`](crate::FirstError) for a failure (Twisted's `fireOnOneCallback` and
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

/// Fires with `(index, value)` of the first Deferred to succeed, and cancels all the others:
/// Twisted's `race`.
///
/// - The winner is not cancelled; every other input that has no result yet is cancelled
///   once, in input order, before the race's own callbacks run.
/// - If every input fails, the race fails with a [`FailureGroup`](crate::FailureGroup) of their failures, in input
///   order.
/// - The inputs' failures (their [`CancelledError`](crate::CancelledError)s included) are consumed: the race reports
///   them only through the [`FailureGroup`](crate::FailureGroup). A success that comes after the winner (from a
///   canceller that fires with a value) is dropped.
/// - Cancelling the race cancels every input; it then fails with the [`FailureGroup`](crate::FailureGroup) of
///   their failures (not a [`CancelledError`](crate::CancelledError) of its own), unless a canceller fires its input
///   with a value, which then wins. Unlike a [`DeferredList`], it does not wait for an input
///   the cancel left without a result (paused, or whose canceller panicked, which is
///   reported): it fails with its own [`CancelledError`](crate::CancelledError) at once, as Twisted's `race` does.
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
///
/// # Panics
///
/// With more than `u32::MAX` (4,294,967,295) inputs: each input's chain keeps its index in
/// 32 bits.
#[track_caller]
pub fn race<T: 'static>(deferreds: impl IntoIterator<Item = Deferred<T>>) -> Deferred<(usize, T)> {
    let inputs: Vec<Deferred<T>> = deferreds.into_iter().collect();
    let collector = FirstSuccess::new(inputs.len());
    combine(inputs, collector, true, Mode::Race)
}
