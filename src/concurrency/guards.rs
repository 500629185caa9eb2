//! Scoped holds: [`LockGuard`] and [`SemaphorePermit`], which release when dropped (Twisted's
//! `async with lock:`).

use std::fmt;

use super::lock::DeferredLock;
use super::semaphore::DeferredSemaphore;
use crate::deferred::Deferred;

/// A hold on a [`DeferredLock`] that releases it when dropped: what
/// [`DeferredLock::acquire_guard`] fires with (Twisted's `async with lock:`, whose
/// `__aexit__` releases).
///
/// Dropping it releases the lock exactly once, at the end of the scope it lives in, however
/// that scope ends: normally, with an `Err` through `?`, with a panic, or, in an
/// [`#[inline_callbacks]`](crate::inline_callbacks) body or an
/// [`ensure_deferred`](crate::ensure_deferred) future, when the outer Deferred is cancelled.
/// The next in line gets the lock then, its callbacks running before the drop returns, as
/// with [`release`](DeferredLock::release). Dropping never panics.
///
/// A guard releases only its own hold. If the lock was released by other means while the
/// guard held it ([`DeferredLock::release`] called by hand), the hold is over and the lock
/// may be someone else's by now: dropping the guard then does nothing.
///
/// ```
/// use deferreds::{inline_callbacks, testing, Deferred, DeferredLock, Failure};
///
/// #[inline_callbacks]
/// fn write_record(lock: DeferredLock, disk: Deferred<()>) -> Result<&'static str, Failure> {
///     let _guard = yield_!(lock.acquire_guard())?;
///     yield_!(disk)?; // a failure here returns, and the guard releases the lock
///     Ok("written")
/// } // the guard releases the lock here
///
/// let lock = DeferredLock::new();
/// let (disk, disk_done) = Deferred::new();
/// let first = write_record(lock.clone(), disk);
/// let second = write_record(lock.clone(), Deferred::succeed(()));
/// testing::assert_no_result(&second); // waits for the lock
///
/// disk_done.errback(Failure::msg("disk full"));
/// assert_eq!(testing::failure_result_of(first).error_message(), "disk full");
/// assert_eq!(testing::success_result_of(second), "written");
/// assert!(!lock.is_locked());
/// ```
#[must_use = "dropping the guard releases the lock at once"]
pub struct LockGuard {
    lock: DeferredLock,
    /// Which hold of the lock this is (see [`DeferredLock::hold`]).
    hold: u64,
}

impl LockGuard {
    pub(super) fn new(lock: DeferredLock) -> Self {
        let hold = lock.hold();
        LockGuard { lock, hold }
    }
}

/// Releases the lock, if this guard's hold is still the current one.
impl Drop for LockGuard {
    fn drop(&mut self) {
        self.lock.release_hold(self.hold);
    }
}

/// Shows the lock.
impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard")
            .field("lock", &self.lock)
            .finish()
    }
}

/// A token of a [`DeferredSemaphore`] that is given back when dropped: what
/// [`DeferredSemaphore::acquire_guard`] fires with (Twisted's `async with semaphore:`).
///
/// Dropping it gives the token back exactly once, at the end of the scope it lives in,
/// however that scope ends (as for a [`LockGuard`]); the next in line gets it then, its
/// callbacks running before the drop returns. Dropping never panics.
///
/// The tokens of a semaphore are all alike, so a permit cannot tell whether its token was
/// given back by other means ([`DeferredSemaphore::release`] called by hand): dropping it
/// gives a token back all the same, as a second `release` would, unless every token is free
/// already, when it does nothing. Give tokens back either by hand or by permits, not both.
///
/// ```
/// use deferreds::{ensure_deferred, testing, Deferred, DeferredSemaphore};
///
/// let downloads = DeferredSemaphore::new(1)?;
/// let (body, body_arrives) = Deferred::<&str>::new();
/// let slots = downloads.clone();
/// let first = ensure_deferred(async move {
///     let _permit = slots.acquire_guard().await?;
///     body.await // the permit is given back when the future ends, or is dropped
/// });
/// assert_eq!(downloads.tokens(), 0);
///
/// first.cancel(); // drops the future, and with it the permit
/// assert!(testing::failure_result_of(first).check::<deferreds::CancelledError>());
/// assert_eq!(downloads.tokens(), 1);
/// # drop(body_arrives);
/// # Ok::<(), deferreds::InvalidTokensError>(())
/// ```
#[must_use = "dropping the permit gives its token back at once"]
pub struct SemaphorePermit {
    semaphore: DeferredSemaphore,
}

impl SemaphorePermit {
    pub(super) fn new(semaphore: DeferredSemaphore) -> Self {
        SemaphorePermit { semaphore }
    }
}

/// Gives the token back, unless every token is free already.
impl Drop for SemaphorePermit {
    fn drop(&mut self) {
        // Every token free: given back by other means already, nothing to give.
        let _ = self.semaphore.release();
    }
}

/// Shows the semaphore.
impl fmt::Debug for SemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("semaphore", &self.semaphore)
            .finish()
    }
}

impl DeferredLock {
    /// A Deferred that fires with a [`LockGuard`] once the lock is the caller's, as
    /// [`acquire`](Self::acquire) does; dropping the guard releases the lock (Twisted's
    /// `async with lock:`). Cancelling it while it waits takes it out of the line, as for
    /// `acquire`.
    ///
    /// In an [`#[inline_callbacks]`](crate::inline_callbacks) body, bind the guard to a
    /// name (`let _guard = ...`, not `let _ = ...`, which drops it at once): it lives to the
    /// end of the body, and is dropped however the body ends, a failure, a panic or a
    /// cancellation at a later `yield_!` included. The same goes for
    /// `lock.acquire_guard().await?` in an [`ensure_deferred`](crate::ensure_deferred) future.
    ///
    /// ```
    /// use deferreds::{inline_callbacks, testing, CancelledError, Deferred, DeferredLock, Failure};
    ///
    /// #[inline_callbacks]
    /// fn hold_while(lock: DeferredLock, work: Deferred<()>) -> Result<(), Failure> {
    ///     let _guard = yield_!(lock.acquire_guard())?;
    ///     yield_!(work)
    /// }
    ///
    /// let lock = DeferredLock::new();
    /// let (work, _never_done) = Deferred::new();
    /// let holding = hold_while(lock.clone(), work);
    /// let next = lock.acquire();
    /// testing::assert_no_result(&next);
    ///
    /// holding.cancel(); // the body ends at its `yield_!`, dropping the guard
    /// assert!(testing::failure_result_of(holding).check::<CancelledError>());
    /// testing::success_result_of(next).release()?; // the lock went to the next in line
    /// # Ok::<(), deferreds::NotLockedError>(())
    /// ```
    #[track_caller]
    pub fn acquire_guard(&self) -> Deferred<LockGuard> {
        self.acquire().add_callback(|lock| Ok(LockGuard::new(lock)))
    }
}

impl DeferredSemaphore {
    /// A Deferred that fires with a [`SemaphorePermit`] once a token is the caller's, as
    /// [`acquire`](Self::acquire) does; dropping the permit gives the token back (Twisted's
    /// `async with semaphore:`). Cancelling it while it waits takes it out of the line, as
    /// for `acquire`. Bind the permit to a name (`let _permit = ...`) so it lives to the end
    /// of the scope, as for [`DeferredLock::acquire_guard`].
    ///
    /// ```
    /// use deferreds::{inline_callbacks, testing, DeferredSemaphore, Failure};
    ///
    /// #[inline_callbacks]
    /// fn upload(slots: DeferredSemaphore, name: &'static str) -> Result<&'static str, Failure> {
    ///     let _permit = yield_!(slots.acquire_guard())?;
    ///     // ... the upload itself would yield here ...
    ///     Ok(name)
    /// }
    ///
    /// let slots = DeferredSemaphore::new(2)?;
    /// let done = deferreds::gather_results(["a", "b", "c"].map(|n| upload(slots.clone(), n)));
    /// assert_eq!(testing::success_result_of(done), ["a", "b", "c"]);
    /// assert_eq!(slots.tokens(), 2);
    /// # Ok::<(), deferreds::InvalidTokensError>(())
    /// ```
    #[track_caller]
    pub fn acquire_guard(&self) -> Deferred<SemaphorePermit> {
        self.acquire()
            .add_callback(|semaphore| Ok(SemaphorePermit::new(semaphore)))
    }
}
