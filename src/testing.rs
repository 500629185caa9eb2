//! Helpers for testing code that returns Deferreds, after Twisted's trial
//! (`successResultOf`, `failureResultOf`, `assertNoResult`).
//!
//! Each panics with a message that says what it found instead, so a failing test explains
//! itself.
//!
//! ```
//! use deferreds::{testing, Deferred};
//!
//! let (d, resolver) = Deferred::<u8>::new();
//! testing::assert_no_result(&d);
//! resolver.callback(4);
//! assert_eq!(testing::success_result_of(d), 4);
//! ```

use crate::deferred::Deferred;
use crate::failure::Failure;
use crate::unhandled::{self, UnhandledError};

/// The value `d` has now. Panics if it has no result yet, or a failure (which is shown).
///
/// ```
/// let d = deferreds::Deferred::succeed(1).add_callback(|n| Ok(n + 1));
/// assert_eq!(deferreds::testing::success_result_of(d), 2);
/// ```
#[track_caller]
pub fn success_result_of<T: 'static>(d: Deferred<T>) -> T {
    match d.take_result() {
        Ok(Ok(value)) => value,
        Ok(Err(failure)) => {
            panic!("success_result_of: expected a value, found a failure: {failure:?}")
        }
        Err(d) => panic!("success_result_of: expected a value, found no result yet: {d:?}"),
    }
}

/// The failure `d` has now. Panics if it has no result yet, or a value. Taking the failure
/// handles it, so it is not reported as unhandled.
///
/// ```
/// use deferreds::{Deferred, Failure};
/// let d: Deferred<u8> = Deferred::fail(Failure::msg("nope"));
/// assert_eq!(deferreds::testing::failure_result_of(d).error_message(), "nope");
/// ```
#[track_caller]
pub fn failure_result_of<T: 'static>(d: Deferred<T>) -> Failure {
    match d.take_result() {
        Ok(Err(failure)) => failure,
        Ok(Ok(_)) => panic!(
            "failure_result_of: expected a failure, found a value of type {}",
            std::any::type_name::<T>()
        ),
        Err(d) => panic!("failure_result_of: expected a failure, found no result yet: {d:?}"),
    }
}

/// Asserts that `d` has no result now: unfired, paused, or waiting on another Deferred.
///
/// ```
/// let (d, _resolver) = deferreds::Deferred::<u8>::new();
/// deferreds::testing::assert_no_result(&d);
/// ```
#[track_caller]
pub fn assert_no_result<T: 'static>(d: &Deferred<T>) {
    if d.has_result() {
        panic!("assert_no_result: expected no result, found one: {d:?}");
    }
}

/// Runs `body` and returns the unhandled-error reports it caused on this thread, instead of
/// sending them to the hook or standard error. Captures nest; other threads are unaffected.
///
/// ```
/// use deferreds::{testing, Deferred, Failure};
///
/// let reports = testing::capture_unhandled(|| {
///     let handled: Deferred<u8> = Deferred::fail(Failure::msg("handled"));
///     let _ = handled.add_errback(|_| Ok(0));
///     drop(Deferred::<u8>::fail(Failure::msg("dropped")));
/// });
/// assert_eq!(reports.len(), 1);
/// assert_eq!(reports[0].failure().error_message(), "dropped");
/// ```
pub fn capture_unhandled(body: impl FnOnce()) -> Vec<UnhandledError> {
    unhandled::capture(body)
}
