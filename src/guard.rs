//! Running and dropping user code so that a panic cannot leave a chain half-updated.
//!
//! User code runs inside the library in two ways: it is *called* (callbacks, errbacks,
//! cancellers, the unhandled-error hook) and it is *dropped* (the closures and values a chain
//! owns: a callback skipped by a failure, a canceller no longer needed, a result nobody
//! reads). Every call goes through [`guarded`], which turns a panic into a [`PanicError`]
//! failure; every drop the library makes of a user value goes through [`dispose`], which
//! reports a panicking `Drop` as an unhandled failure and carries on. Either way the state
//! the library was updating is finished as if nothing had panicked.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::errors::{PanicError, PanicSource};
use crate::failure::Failure;

/// Calls user code, turning a panic into a failure so the chain goes on down the errback side.
#[inline(always)]
pub(crate) fn guarded<R>(user_code: impl FnOnce() -> R) -> Result<R, Failure> {
    guarded_as(PanicSource::Callback, user_code)
}

/// Like [`guarded`], naming what panicked in the failure's message.
#[inline(always)]
pub(crate) fn guarded_as<R>(
    source: PanicSource,
    user_code: impl FnOnce() -> R,
) -> Result<R, Failure> {
    catch_unwind(AssertUnwindSafe(user_code))
        .map_err(|payload| Failure::of_library(PanicError::from_panic(source, payload)))
}

/// Drops a user value (a closure or a result the library owns). A `Drop` that panics is
/// reported as an unhandled [`PanicError`] instead of unwinding through the library.
#[inline(always)]
pub(crate) fn dispose<V>(value: V) {
    if std::mem::needs_drop::<V>() {
        dispose_slow(value);
    }
}

/// [`dispose`] for a value that may not be there: nothing to guard when it is not (the
/// guard costs a panic handler's setup, noticeable on the engine's paths).
#[inline(always)]
pub(crate) fn dispose_if_any<V>(value: Option<V>) {
    if let Some(value) = value {
        dispose(value);
    }
}

#[inline(never)]
fn dispose_slow<V>(value: V) {
    if let Err(failure) = guarded_as(PanicSource::Drop, move || drop(value)) {
        crate::unhandled::report(failure, None);
    }
}

/// Runs `f` with the thread-local `cell` set to `value`, and sets it back to what it was
/// afterwards, even if `f` panics (a counter of nesting, a cause in effect). While the
/// thread exits and the thread-local is gone, `f` just runs.
pub(crate) fn with_cell_set<V: Copy + 'static, R>(
    cell: &'static std::thread::LocalKey<std::cell::Cell<V>>,
    value: V,
    f: impl FnOnce() -> R,
) -> R {
    /// Puts the value before back when dropped.
    struct Restore<V: Copy + 'static> {
        cell: &'static std::thread::LocalKey<std::cell::Cell<V>>,
        before: V,
    }
    impl<V: Copy + 'static> Drop for Restore<V> {
        fn drop(&mut self) {
            let _ = self.cell.try_with(|cell| cell.set(self.before));
        }
    }
    let _restore = cell
        .try_with(|current| current.replace(value))
        .map(|before| Restore { cell, before });
    f()
}
