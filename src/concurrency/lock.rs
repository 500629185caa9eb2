//! `DeferredLock`: one holder at a time.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use super::waiters::{hand_off, run_holding, HasWaiters, Waiters};
use crate::deferred::output::CallbackOutput;
use crate::deferred::Deferred;

/// [`DeferredLock::release`] was called on a lock that nobody holds (Twisted asserts).
///
/// ```
/// use deferreds::{DeferredLock, NotLockedError};
///
/// let lock = DeferredLock::new();
/// assert_eq!(lock.release(), Err(NotLockedError));
/// assert_eq!(NotLockedError.to_string(), "tried to release an unlocked DeferredLock");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("tried to release an unlocked DeferredLock")]
pub struct NotLockedError;

/// A lock for work done in callbacks: Twisted's `DeferredLock`. One holder at a time; the
/// others wait in line, each with a Deferred that fires when the lock is theirs.
///
/// [`acquire`](Self::acquire) gives a Deferred that fires with the lock (a handle to it) as
/// soon as it is free; [`release`](Self::release) hands it to the next in line.
/// [`run`](Self::run) does both around a function, whatever it returns. Handles are cheap to
/// clone and all share one lock.
///
/// ```
/// use deferreds::{testing, DeferredLock};
///
/// let lock = DeferredLock::new();
/// let first = lock.acquire(); // free: fires at once
/// let second = lock.acquire(); // waits
/// assert!(lock.is_locked());
/// testing::assert_no_result(&second);
///
/// testing::success_result_of(first).release()?; // hands the lock on
/// let holder = testing::success_result_of(second);
/// holder.release()?;
/// assert!(!lock.is_locked());
/// # Ok::<(), deferreds::NotLockedError>(())
/// ```
#[derive(Clone, Default)]
pub struct DeferredLock {
    state: Rc<LockState>,
}

#[derive(Default)]
struct LockState {
    locked: Cell<bool>,
    /// How many times the lock was released: each hold of it has its own count, so that a
    /// [`LockGuard`](crate::LockGuard) releases only its own hold.
    releases: Cell<u64>,
    waiters: Waiters<DeferredLock>,
}

impl HasWaiters<DeferredLock> for LockState {
    fn waiters(&self) -> &Waiters<DeferredLock> {
        &self.waiters
    }
}

impl DeferredLock {
    /// A new, unlocked lock.
    ///
    /// ```
    /// assert!(!deferreds::DeferredLock::new().is_locked());
    /// ```
    pub fn new() -> Self {
        DeferredLock::default()
    }

    /// Is somebody holding the lock (or about to, the lock having been handed to them)?
    ///
    /// ```
    /// let lock = deferreds::DeferredLock::new();
    /// let held = lock.acquire();
    /// assert!(lock.is_locked());
    /// # drop(held);
    /// ```
    pub fn is_locked(&self) -> bool {
        self.state.locked.get()
    }

    /// How many `acquire`s are waiting in line (one whose Deferred nobody holds any more no
    /// longer counts). It looks at each waiter.
    ///
    /// ```
    /// let lock = deferreds::DeferredLock::new();
    /// let (first, second) = (lock.acquire(), lock.acquire());
    /// assert_eq!(lock.waiting(), 1);
    /// # drop((first, second));
    /// ```
    pub fn waiting(&self) -> usize {
        self.state.waiters.len()
    }

    /// A Deferred that fires with this lock once it is the caller's: at once if the lock is
    /// free, otherwise after those already waiting. Cancelling it while it waits takes it out
    /// of the line (it fails with [`CancelledError`](crate::CancelledError)); cancelling it
    /// once it has fired does nothing, and the lock is still the caller's to release.
    ///
    /// ```
    /// use deferreds::{testing, CancelledError, DeferredLock};
    ///
    /// let lock = DeferredLock::new();
    /// let held = lock.acquire();
    /// let impatient = lock.acquire();
    /// impatient.cancel();
    /// assert!(testing::failure_result_of(impatient).check::<CancelledError>());
    /// assert_eq!(lock.waiting(), 0);
    /// # drop(held);
    /// ```
    #[track_caller]
    pub fn acquire(&self) -> Deferred<DeferredLock> {
        if self.state.locked.replace(true) {
            return self.state.waiters.join(&self.state);
        }
        Deferred::succeed(self.clone())
    }

    /// Lets go of the lock: the first in line gets it (its Deferred fires now, so its
    /// callbacks run before this returns), or, with nobody waiting, the lock is free.
    ///
    /// # Errors
    ///
    /// [`NotLockedError`] if nobody holds the lock.
    ///
    /// ```
    /// let lock = deferreds::DeferredLock::new();
    /// let held = lock.acquire();
    /// lock.release()?;
    /// assert!(!lock.is_locked());
    /// # drop(held);
    /// # Ok::<(), deferreds::NotLockedError>(())
    /// ```
    pub fn release(&self) -> Result<(), NotLockedError> {
        if !self.state.locked.get() {
            return Err(NotLockedError);
        }
        self.state.releases.set(self.state.releases.get() + 1);
        self.hand_on();
        Ok(())
    }

    /// Which hold of the lock is current: it changes with every release.
    pub(super) fn hold(&self) -> u64 {
        self.state.releases.get()
    }

    /// Releases the lock if `hold` is still the current hold (nobody released it since).
    pub(super) fn release_hold(&self, hold: u64) {
        if self.hold() == hold {
            // An error says the lock is free already: nothing to release.
            let _ = self.release();
        }
    }

    /// Gives the lock to the first in line, or unlocks it.
    fn hand_on(&self) {
        match self.state.waiters.pop() {
            Some(next) => {
                let lock = self.clone();
                hand_off(next, self.clone(), move |_| lock.hand_on());
            }
            None => self.state.locked.set(false),
        }
    }

    /// Acquires the lock, calls `f`, and releases the lock when `f`'s outcome is known: its
    /// value, its failure or panic, or, if it returns a Deferred, that Deferred's result. The
    /// Deferred returned fires with that outcome (Twisted's `run`).
    ///
    /// ```
    /// use deferreds::{testing, Deferred, DeferredLock};
    ///
    /// let lock = DeferredLock::new();
    /// let (slow, finish) = Deferred::new();
    /// let first = lock.run(move || slow); // holds the lock until `slow` fires
    /// let second = lock.run(|| Ok("second ran"));
    /// testing::assert_no_result(&second);
    ///
    /// finish.callback("first ran");
    /// assert_eq!(testing::success_result_of(first), "first ran");
    /// assert_eq!(testing::success_result_of(second), "second ran");
    /// assert!(!lock.is_locked());
    /// ```
    #[track_caller]
    pub fn run<F, R>(&self, f: F) -> Deferred<R::Value>
    where
        F: FnOnce() -> R + 'static,
        R: CallbackOutput,
    {
        run_holding(self.acquire(), Self::release, f)
    }
}

impl fmt::Debug for DeferredLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeferredLock")
            .field("locked", &self.is_locked())
            .field("waiting", &self.waiting())
            .finish()
    }
}
