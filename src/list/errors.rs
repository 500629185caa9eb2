//! The errors the combinators fail with: [`FirstError`] and [`FailureGroup`].

use std::cell::Cell;
use std::fmt;

use crate::failure::Failure;

/// The first failure among the inputs of [`gather_results`](crate::gather_results) or
/// [`DeferredList::fire_on_one_errback`](crate::DeferredList::fire_on_one_errback): which input failed (its position) and how.
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
#[error("FirstError[#{index}, {}]", Nested(.failure))]
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
        write!(
            f,
            "FirstError[#{}, {:?}]",
            self.index,
            Nested(&self.failure)
        )
    }
}

/// Every input of a [`race`](crate::race) (or of [`DeferredList::fire_on_one_callback`](crate::DeferredList::fire_on_one_callback)) failed: all the
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
            .entries(self.failures.iter().map(Nested))
            .finish()
    }
}

/// The message of a [`FailureGroup`]: the count and the first few failures.
pub(super) fn describe_group(failures: &[Failure]) -> String {
    const SHOWN: usize = 3;
    let mut text = format!("all {} Deferreds failed", failures.len());
    for (i, failure) in failures.iter().take(SHOWN).enumerate() {
        text.push_str(if i == 0 { ": " } else { "; " });
        text.push_str(&Nested(failure).to_string());
    }
    if failures.len() > SHOWN {
        text.push_str(&format!("; and {} more", failures.len() - SHOWN));
    }
    text
}

/// How many combinator errors deep a failure is shown; deeper ones show as `…`, so that a
/// failure out of combinators nested a million deep displays in constant stack.
const SHOWN_NESTING: u32 = 16;

thread_local! {
    /// How many combinator errors deep the failure being written is.
    static NESTING: Cell<u32> = const { Cell::new(0) };
}

/// A failure inside a combinator's error, written (its message with `Display`, its error's
/// `Debug` with `Debug`) down to [`SHOWN_NESTING`] levels.
struct Nested<'a>(&'a Failure);

impl Nested<'_> {
    fn write(
        &self,
        f: &mut fmt::Formatter<'_>,
        inner: impl FnOnce(&mut fmt::Formatter<'_>) -> fmt::Result,
    ) -> fmt::Result {
        let depth = NESTING.get();
        if depth >= SHOWN_NESTING {
            return f.write_str("…");
        }
        // Restored even if a user error's `Display` panics.
        crate::guard::with_cell_set(&NESTING, depth + 1, || inner(f))
    }
}

impl fmt::Display for Nested<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, |f| write!(f, "{}", self.0))
    }
}

impl fmt::Debug for Nested<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, |f| write!(f, "{:?}", self.0.error()))
    }
}
