//! [`gather_results`] and its builder with options, [`Gather`].

use std::fmt;

use super::combine::{combine, Mode, Values};
use super::watch::slots;
use crate::deferred::Deferred;

/// Waits for every Deferred and fires with their values in input order, or fails with a
/// [`FirstError`](crate::FirstError) (the index and the failure) as soon as one fails:
/// Twisted's `gatherResults`.
///
/// The same as `Gather::new(deferreds).run()` (and as
/// `DeferredList::new(deferreds).fire_on_one_errback()`). The inputs' errors are not consumed,
/// as in Twisted: each failed input's failure also stays in its own chain and is reported as
/// unhandled, the first one included; the inputs still waiting when one fails are left alone.
/// [`Gather`] has the options: [`consume_errors`](Gather::consume_errors) (Twisted's
/// `gatherResults(ds, consumeErrors=True)`) and
/// [`cancel_on_failure`](Gather::cancel_on_failure).
///
/// Cancelling the result cancels every input that has not fired (see
/// [`DeferredList`](crate::DeferredList)); the first input to fail from that (with
/// [`CancelledError`](crate::CancelledError), say) gives the [`FirstError`](crate::FirstError).
/// If none fails, it waits for the inputs still without a result, as Twisted's does.
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
///
/// # Panics
///
/// With more than `u32::MAX` (4,294,967,295) inputs: each input's chain keeps its index in
/// 32 bits.
#[track_caller]
pub fn gather_results<T: 'static>(
    deferreds: impl IntoIterator<Item = Deferred<T>>,
) -> Deferred<Vec<T>> {
    Gather::new(deferreds).run()
}

/// [`gather_results`] with options: whether the inputs' errors are consumed, and whether the
/// first failure cancels the other inputs. Build it with [`new`](Self::new), set the options,
/// then [`run`](Self::run) it for the gathering Deferred.
///
/// | Twisted | `deferreds` |
/// |---|---|
/// | `gatherResults(ds)` | `Gather::new(ds).run()`, or [`gather_results(ds)`](gather_results) |
/// | `gatherResults(ds, consumeErrors=True)` | `Gather::new(ds).consume_errors(true).run()` |
/// | (asked for in Twisted's issue 9329) | `Gather::new(ds).cancel_on_failure(true).run()` |
///
/// Everything else is as [`gather_results`] says: values in input order, the
/// [`FirstError`](crate::FirstError) of the first failure, cancelling the gathering cancels
/// its inputs.
///
/// ```
/// use deferreds::{testing, Deferred, Failure, Gather};
/// use std::{cell::Cell, rc::Rc};
///
/// let cancelled = Rc::new(Cell::new(false));
/// let flag = cancelled.clone();
/// let (slow, _fire_slow) = Deferred::<&str>::with_canceller(move |_| flag.set(true));
/// let (broken, fire_broken) = Deferred::<&str>::new();
///
/// let reports = testing::capture_unhandled(|| {
///     let pages = Gather::new(vec![slow, broken])
///         .consume_errors(true)
///         .cancel_on_failure(true)
///         .run();
///     fire_broken.errback(Failure::msg("404"));
///     let failure = testing::failure_result_of(pages);
///     assert_eq!(failure.to_string(), "FirstError[#1, 404]");
/// });
/// assert!(cancelled.get()); // no point fetching the rest
/// assert!(reports.is_empty()); // consumed: neither the 404 nor the cancellation is reported
/// ```
///
/// # Panics
///
/// Run with more than `u32::MAX` (4,294,967,295) inputs: each input's chain keeps its index in
/// 32 bits.
#[must_use = "a Gather does nothing until it is run"]
pub struct Gather<T: 'static> {
    inputs: Vec<Deferred<T>>,
    consume_errors: bool,
    cancel_on_failure: bool,
}

impl<T: 'static> Gather<T> {
    /// A gathering of these Deferreds, which it takes over; by default errors are not
    /// consumed and nothing is cancelled, as with [`gather_results`].
    ///
    /// ```
    /// use deferreds::{testing, Deferred, Gather};
    /// let gathered = Gather::new((1..=3).map(Deferred::succeed)).run();
    /// assert_eq!(testing::success_result_of(gathered), [1, 2, 3]);
    /// ```
    pub fn new(deferreds: impl IntoIterator<Item = Deferred<T>>) -> Self {
        Gather {
            inputs: deferreds.into_iter().collect(),
            consume_errors: false,
            cancel_on_failure: false,
        }
    }

    /// Whether an input's failure ends handled in the input's own chain once the gathering
    /// has seen it (Twisted's `consumeErrors`): the first failure, which the
    /// [`FirstError`](crate::FirstError) carries, and every later one, the cancellations
    /// [`cancel_on_failure`](Self::cancel_on_failure) makes included. Without it, each is
    /// also reported as unhandled when the input's chain goes away, as Twisted logs it.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, Failure, Gather};
    ///
    /// let reports = testing::capture_unhandled(|| {
    ///     let failed: Deferred<u8> = Deferred::fail(Failure::msg("boom"));
    ///     let gathered = Gather::new(vec![failed]).consume_errors(true).run();
    ///     assert_eq!(testing::failure_result_of(gathered).to_string(), "FirstError[#0, boom]");
    /// });
    /// assert!(reports.is_empty());
    /// ```
    pub fn consume_errors(mut self, consume: bool) -> Self {
        self.consume_errors = consume;
        self
    }

    /// Whether the first failure cancels the other inputs: every input still without a
    /// result is cancelled, in input order, before the gathering's own callbacks run (an
    /// input that has failed already when the gathering is built cancels those after it
    /// from the start). The gathering fails with the [`FirstError`](crate::FirstError) of
    /// that first failure; what the cancelled inputs fire with afterwards (their
    /// [`CancelledError`](crate::CancelledError)s, or what their cancellers give) does not
    /// change it. A canceller that panics is reported as an unhandled
    /// [`PanicError`](crate::PanicError), and the other inputs are cancelled all the same.
    ///
    /// The cancelled inputs' failures follow [`consume_errors`](Self::consume_errors), like
    /// every other input's: consumed, nothing is reported; not consumed, each cancelled
    /// input's `CancelledError` is reported as unhandled, as when the gathering is cancelled
    /// by hand. So the two options usually go together.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, Failure, Gather};
    ///
    /// let (upload, _fire_upload) = Deferred::<()>::new();
    /// let (checksum, fire_checksum) = Deferred::<()>::new();
    /// let uploads = Gather::new(vec![upload, checksum])
    ///     .consume_errors(true)
    ///     .cancel_on_failure(true)
    ///     .run();
    /// fire_checksum.errback(Failure::msg("mismatch"));
    /// // The upload was cancelled; the gathering has the checksum's failure.
    /// assert_eq!(testing::failure_result_of(uploads).to_string(), "FirstError[#1, mismatch]");
    /// ```
    pub fn cancel_on_failure(mut self, cancel: bool) -> Self {
        self.cancel_on_failure = cancel;
        self
    }

    /// Starts gathering: the Deferred that fires with every value, in input order, or fails
    /// with the [`FirstError`](crate::FirstError) of the first failure. Inputs that already
    /// have a result are taken at once, so it may have fired by the time this returns.
    ///
    /// ```
    /// use deferreds::{testing, Deferred, Gather};
    ///
    /// let (d, fire) = Deferred::<u8>::new();
    /// let gathered = Gather::new(vec![Deferred::succeed(1), d]).run();
    /// testing::assert_no_result(&gathered);
    /// fire.callback(2);
    /// assert_eq!(testing::success_result_of(gathered), [1, 2]);
    /// ```
    #[track_caller]
    pub fn run(self) -> Deferred<Vec<T>> {
        let collector = Values {
            values: slots(self.inputs.len()),
        };
        let mode = match self.cancel_on_failure {
            true => Mode::ListCancellingOnFailure,
            false => Mode::List,
        };
        combine(self.inputs, collector, self.consume_errors, mode)
    }
}

/// Shows the number of inputs and the options.
impl<T: 'static> fmt::Debug for Gather<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("inputs", &self.inputs.len())
            .field("consume_errors", &self.consume_errors)
            .field("cancel_on_failure", &self.cancel_on_failure)
            .finish()
    }
}
