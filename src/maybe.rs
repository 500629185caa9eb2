//! `maybe_deferred` and the free constructors.

use crate::deferred::output::{CallbackOutput, Produce, Produced};
use crate::deferred::Deferred;
use crate::failure::Failure;
use crate::guard::guarded;

/// Calls `f` now and gives its outcome as a Deferred, whether `f` returned a result, a
/// Deferred, or panicked (Twisted's `maybeDeferred`): code that may or may not be
/// asynchronous gets one interface.
///
/// ```
/// use deferreds::{maybe_deferred, testing, Deferred, Failure};
///
/// let sync = maybe_deferred(|| Ok(5));
/// let failed = maybe_deferred(|| -> Result<u8, Failure> { Err(Failure::msg("no")) });
/// let already_async = maybe_deferred(|| Deferred::succeed(7));
/// assert_eq!(testing::success_result_of(sync), 5);
/// assert_eq!(testing::failure_result_of(failed).error_message(), "no");
/// assert_eq!(testing::success_result_of(already_async), 7);
/// ```
#[track_caller]
pub fn maybe_deferred<F, R>(f: F) -> Deferred<R::Value>
where
    F: FnOnce() -> R,
    R: CallbackOutput,
{
    match guarded(f).map(Produce::produce) {
        Ok(Produced::Ready(result)) => Deferred::from_result(result),
        Ok(Produced::Chain(chain)) => Deferred::from_chain(chain),
        Err(failure) => Deferred::from_result(Err(failure)),
    }
}

/// A Deferred that already has `value`; the same as [`Deferred::succeed`].
///
/// ```
/// let d = deferreds::succeed("ready");
/// assert_eq!(deferreds::testing::success_result_of(d), "ready");
/// ```
#[track_caller]
pub fn succeed<T: 'static>(value: T) -> Deferred<T> {
    Deferred::from_result(Ok(value))
}

/// A Deferred that has already failed; the same as [`Deferred::fail`].
///
/// ```
/// let d: deferreds::Deferred<()> = deferreds::fail(deferreds::Failure::msg("broken"));
/// assert_eq!(deferreds::testing::failure_result_of(d).error_message(), "broken");
/// ```
#[track_caller]
pub fn fail<T: 'static>(failure: impl Into<Failure>) -> Deferred<T> {
    Deferred::from_result(Err(failure.into()))
}
