//! The machinery shared by the combinators: how each turns its inputs' results into its own.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::rc::Rc;

use super::errors::{FailureGroup, FirstError};
use super::watch::{never, slots, watch, Sink};
use crate::deferred::resolver::Resolver;
use crate::deferred::Deferred;
use crate::engine::{Chain, Fires};
use crate::errors::AbandonedError;
use crate::failure::Failure;
use crate::guard::dispose;

/// How a combinator turns its inputs' results into its own.
pub(super) trait Collector<T>: Sized + 'static {
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

pub(super) fn recorded<S>(slot: Option<S>) -> S {
    slot.expect("deferreds: every input has reported before the list finishes")
}

/// [`DeferredList::all`](crate::DeferredList::all): every result.
pub(super) struct AllResults<T> {
    pub(super) results: Vec<Option<Result<T, Failure>>>,
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

/// [`gather_results`](crate::gather_results) and [`DeferredList::fire_on_one_errback`](crate::DeferredList::fire_on_one_errback): every value, or the first
/// failure.
pub(super) struct Values<T> {
    pub(super) values: Vec<Option<T>>,
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

/// [`race`](crate::race) and [`DeferredList::fire_on_one_callback`](crate::DeferredList::fire_on_one_callback): the first value, or every failure.
pub(super) struct FirstSuccess<T> {
    inputs: usize,
    /// Allocated at the first failure.
    failures: Vec<Option<Failure>>,
    value: PhantomData<fn(T)>,
}

impl<T> FirstSuccess<T> {
    pub(super) fn new(inputs: usize) -> Self {
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

/// [`DeferredList::fire_on_one_result`](crate::DeferredList::fire_on_one_result): the first result.
pub(super) struct FirstResult;

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
pub(super) enum Mode {
    /// A `DeferredList` mode or `gather_results`: firing leaves the other inputs alone.
    List,
    /// `Gather::cancel_on_failure`: a list whose firing with a failure cancels the other
    /// inputs.
    ListCancellingOnFailure,
    /// `race`: the first success cancels the other inputs.
    Race,
}

impl Mode {
    /// Does firing with this outcome cancel the inputs still without a result?
    fn cancels_the_rest<V>(self, outcome: &Result<V, Failure>) -> bool {
        match self {
            Mode::List => false,
            Mode::ListCancellingOnFailure => outcome.is_err(),
            Mode::Race => outcome.is_ok(),
        }
    }
}

/// The state of one combinator, shared by the steps watching its inputs.
pub(super) struct Combined<T: 'static, C: Collector<T>> {
    /// `None` once the combined Deferred has fired or been cancelled: later results are not
    /// needed. Moved out while it records, never borrowed across user code.
    collector: Cell<Option<C>>,
    /// Inputs that have not reported yet.
    remaining: Cell<usize>,
    resolver: Cell<Option<Resolver<C::Output>>>,
    /// The inputs still without a result, by index, for cancelling them.
    pending: RefCell<Vec<Option<Rc<Chain>>>>,
    decided: Cell<bool>,
    /// Fired in a way that cancels the other inputs: those not watched yet are cancelled
    /// from the start.
    rest_cancelled: Cell<bool>,
    cancelling: Cell<bool>,
    consume_errors: bool,
    mode: Mode,
    value: PhantomData<fn(T)>,
}

/// Builds a combinator: watches every input, in order, and returns the combined Deferred.
#[track_caller]
pub(super) fn combine<T: 'static, C: Collector<T>>(
    inputs: Vec<Deferred<T>>,
    collector: C,
    consume_errors: bool,
    mode: Mode,
) -> Deferred<C::Output> {
    let count = inputs.len();
    // An input's chain keeps its index in 32 bits: four billion inputs are hundreds of
    // gigabytes of Deferreds.
    assert!(
        u32::try_from(count).is_ok(),
        "deferreds: a combinator takes at most 4,294,967,295 inputs"
    );
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
        rest_cancelled: Cell::new(false),
        cancelling: Cell::new(false),
        consume_errors,
        mode,
        value: PhantomData,
    });
    let (combined, resolver) = Combined::unfired(&shared);
    shared.resolver.set(Some(resolver));
    for (index, input) in inputs.into_iter().enumerate() {
        if shared.rest_cancelled.get() {
            // Already decided in a way that cancels the rest: a later input is one of them
            // from the start.
            input.cancel(); // a canceller that panics is reported by the cancel
        }
        let entry = Entry {
            shared: shared.clone(),
        };
        if let Some(chain) = watch(input, entry, index as u32) {
            if let Some(slot) = shared.pending.borrow_mut().get_mut(index) {
                *slot = Some(chain);
            }
        }
    }
    combined
}

impl<T: 'static, C: Collector<T>> Combined<T, C> {
    /// The pending Deferred the combinator fires, whose cancel cancels the inputs. A list's
    /// cancel does only that (Twisted's `DeferredList.cancel`): the list fires when every
    /// input has a result, however long those whose cancel gave none yet take. A race
    /// fails with `CancelledError` right after, as Twisted's does.
    #[track_caller]
    fn unfired(shared: &Rc<Self>) -> (Deferred<C::Output>, Resolver<C::Output>) {
        let mode = shared.mode;
        let shared = Rc::downgrade(shared);
        let cancel = move || {
            if let Some(shared) = shared.upgrade() {
                shared.cancel();
            }
        };
        match mode {
            Mode::Race => Deferred::with_stopper(move |_| cancel()),
            Mode::List | Mode::ListCancellingOnFailure => Deferred::with_cancel_forwarder(cancel),
        }
    }

    /// Input `index` has a result. Returns the failure to leave in its chain.
    fn record(
        &self,
        index: usize,
        result: Result<T, Failure>,
        fires: &mut Fires,
    ) -> Option<Failure> {
        let (result, kept) = match result {
            Err(failure) if !self.consume_errors => (Err(failure.clone()), Some(failure)),
            result => (result, None),
        };
        let Some(mut collector) = self.collector.take() else {
            // Decided already: the result is not needed. An input abandoned now (its resolver
            // dropped unfired) has nobody waiting for it any more, so, as for any Deferred
            // nobody waits for, its abandonment is not reported.
            dispose(result);
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
                // The results it holds are not needed; a `Drop` that panics must not keep
                // the combined Deferred from firing.
                dispose(collector);
                outcome
            }
            None if remaining == 0 => collector.finish(),
            None => {
                self.collector.set(Some(collector));
                return kept;
            }
        };
        self.decide(index, outcome, fires);
        kept
    }

    /// Fires the combined Deferred; a race that is won, or a list cancelling on failure that
    /// has failed, first cancels the other inputs.
    fn decide(&self, index: usize, outcome: Result<C::Output, Failure>, fires: &mut Fires) {
        self.decided.set(true);
        if self.mode.cancels_the_rest(&outcome) {
            self.rest_cancelled.set(true);
            self.cancel_pending(Some(index));
        } else if !self.cancelling.get() {
            // Cancelling a fired list does nothing: the inputs need not be kept.
            drop(self.pending.take());
        }
        if let Some(resolver) = self.resolver.take() {
            resolver.resolve_into(outcome, fires);
        }
    }

    /// The combined Deferred's cancel: cancels every input still without a result. A race
    /// needs none of them afterwards: it fails with `CancelledError` right after this.
    fn cancel(&self) {
        self.cancelling.set(true);
        self.cancel_pending(None);
        self.cancelling.set(false);
        if self.mode == Mode::Race && !self.decided.get() {
            self.decided.set(true);
            drop(self.collector.take());
            drop(self.pending.take());
        }
    }

    /// Cancels, in input order, every input still without a result except `spare`. Their
    /// results arrive (and may decide) during the loop. Once decided, the inputs are no
    /// longer kept; until then, those still without a result stay, for a later cancel.
    fn cancel_pending(&self, spare: Option<usize>) {
        let mut index = 0;
        loop {
            let next = match self.pending.borrow().get(index) {
                None => break,
                Some(_) if Some(index) == spare => None,
                Some(slot) => slot.clone(),
            };
            index += 1;
            if let Some(chain) = next {
                chain.cancel(); // a canceller that panics is reported by the cancel
            }
        }
        if self.decided.get() {
            drop(self.pending.take());
        }
    }
}

/// Watches one input of a combinator (which one, its chain keeps: the entry is one pointer,
/// and its step sits inside the input's chain).
pub(super) struct Entry<T: 'static, C: Collector<T>> {
    shared: Rc<Combined<T, C>>,
}

impl<T: 'static, C: Collector<T>> Sink<T> for Entry<T, C> {
    fn take(self, index: u32, result: Result<T, Failure>, fires: &mut Fires) -> Option<Failure> {
        self.shared.record(index as usize, result, fires)
    }
}
