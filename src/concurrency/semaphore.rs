//! `DeferredSemaphore`: up to `n` holders at a time.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use super::waiters::{hand_off, run_holding, HasWaiters, Waiters};
use crate::deferred::output::CallbackOutput;
use crate::deferred::Deferred;

/// [`DeferredSemaphore::new`] was given no tokens (Twisted's `ValueError`): a semaphore
/// nobody could ever acquire.
///
/// ```
/// use deferreds::{DeferredSemaphore, InvalidTokensError};
///
/// let error = DeferredSemaphore::new(0).unwrap_err();
/// assert_eq!(error, InvalidTokensError);
/// assert_eq!(error.to_string(), "a DeferredSemaphore needs at least one token");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a DeferredSemaphore needs at least one token")]
pub struct InvalidTokensError;

/// [`DeferredSemaphore::release`] was called with every token already free: more releases
/// than acquires (Twisted asserts).
///
/// ```
/// use deferreds::{DeferredSemaphore, OverReleasedError};
///
/// let semaphore = DeferredSemaphore::new(2)?;
/// assert_eq!(semaphore.release(), Err(OverReleasedError { limit: 2 }));
/// assert_eq!(
///     OverReleasedError { limit: 2 }.to_string(),
///     "released a DeferredSemaphore more often than it was acquired (all 2 tokens are free)"
/// );
/// # Ok::<(), deferreds::InvalidTokensError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "released a DeferredSemaphore more often than it was acquired (all {limit} tokens are free)"
)]
pub struct OverReleasedError {
    /// The semaphore's number of tokens.
    pub limit: usize,
}

/// A semaphore for work done in callbacks: Twisted's `DeferredSemaphore`. Up to
/// [`limit`](Self::limit) holders at a time; the others wait in line, each with a Deferred
/// that fires when a token is theirs.
///
/// Use it to bound how much work runs at once (requests in flight, files open). Handles are
/// cheap to clone and all share one semaphore.
///
/// ```
/// use deferreds::{testing, Deferred, DeferredSemaphore};
///
/// let semaphore = DeferredSemaphore::new(2)?;
/// let (first, finish_first) = Deferred::new();
/// let (second, finish_second) = Deferred::<&str>::new();
/// let a = semaphore.run(move || first);
/// let b = semaphore.run(move || second);
/// let c = semaphore.run(|| Ok("third")); // both tokens taken: waits
/// assert_eq!(semaphore.tokens(), 0);
/// testing::assert_no_result(&c);
///
/// finish_first.callback("first"); // frees a token: the third runs now
/// assert_eq!(testing::success_result_of(c), "third");
/// assert_eq!(testing::success_result_of(a), "first");
/// finish_second.callback("second");
/// assert_eq!(testing::success_result_of(b), "second");
/// assert_eq!(semaphore.tokens(), 2);
/// # Ok::<(), deferreds::InvalidTokensError>(())
/// ```
#[derive(Clone)]
pub struct DeferredSemaphore {
    state: Rc<SemaphoreState>,
}

struct SemaphoreState {
    tokens: Cell<usize>,
    limit: usize,
    waiters: Waiters<DeferredSemaphore>,
}

impl HasWaiters<DeferredSemaphore> for SemaphoreState {
    fn waiters(&self) -> &Waiters<DeferredSemaphore> {
        &self.waiters
    }
}

impl DeferredSemaphore {
    /// A semaphore with `tokens` tokens, all free.
    ///
    /// # Errors
    ///
    /// [`InvalidTokensError`] if `tokens` is 0.
    ///
    /// ```
    /// let semaphore = deferreds::DeferredSemaphore::new(3)?;
    /// assert_eq!((semaphore.tokens(), semaphore.limit()), (3, 3));
    /// # Ok::<(), deferreds::InvalidTokensError>(())
    /// ```
    pub fn new(tokens: usize) -> Result<Self, InvalidTokensError> {
        if tokens == 0 {
            return Err(InvalidTokensError);
        }
        Ok(DeferredSemaphore {
            state: Rc::new(SemaphoreState {
                tokens: Cell::new(tokens),
                limit: tokens,
                waiters: Waiters::default(),
            }),
        })
    }

    /// How many tokens are free now.
    ///
    /// ```
    /// let semaphore = deferreds::DeferredSemaphore::new(3)?;
    /// let held = semaphore.acquire();
    /// assert_eq!(semaphore.tokens(), 2);
    /// # drop(held);
    /// # Ok::<(), deferreds::InvalidTokensError>(())
    /// ```
    pub fn tokens(&self) -> usize {
        self.state.tokens.get()
    }

    /// How many holders the semaphore allows at once: the tokens it was made with.
    ///
    /// ```
    /// assert_eq!(deferreds::DeferredSemaphore::new(4)?.limit(), 4);
    /// # Ok::<(), deferreds::InvalidTokensError>(())
    /// ```
    pub fn limit(&self) -> usize {
        self.state.limit
    }

    /// How many `acquire`s are waiting in line (one whose Deferred nobody holds any more no
    /// longer counts). It looks at each waiter.
    ///
    /// ```
    /// let semaphore = deferreds::DeferredSemaphore::new(1)?;
    /// let (first, second) = (semaphore.acquire(), semaphore.acquire());
    /// assert_eq!(semaphore.waiting(), 1);
    /// # drop((first, second));
    /// # Ok::<(), deferreds::InvalidTokensError>(())
    /// ```
    pub fn waiting(&self) -> usize {
        self.state.waiters.len()
    }

    /// A Deferred that fires with this semaphore once a token is the caller's: at once if one
    /// is free, otherwise after those already waiting. Cancelling it while it waits takes it
    /// out of the line (it fails with [`CancelledError`](crate::CancelledError)); cancelling
    /// it once it has fired does nothing, and the token is still the caller's to release.
    ///
    /// ```
    /// use deferreds::{testing, DeferredSemaphore};
    ///
    /// let semaphore = DeferredSemaphore::new(1)?;
    /// let held = semaphore.acquire();
    /// let next = semaphore.acquire();
    /// testing::assert_no_result(&next);
    /// semaphore.release()?;
    /// testing::success_result_of(next);
    /// # drop(held);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn acquire(&self) -> Deferred<DeferredSemaphore> {
        match self.state.tokens.get() {
            0 => self.state.waiters.join(&self.state),
            free => {
                self.state.tokens.set(free - 1);
                Deferred::succeed(self.clone())
            }
        }
    }

    /// Gives a token back: the first in line gets it (its Deferred fires now, so its
    /// callbacks run before this returns), or, with nobody waiting, it is free.
    ///
    /// # Errors
    ///
    /// [`OverReleasedError`] if every token is free already.
    ///
    /// ```
    /// let semaphore = deferreds::DeferredSemaphore::new(1)?;
    /// let held = semaphore.acquire();
    /// semaphore.release()?;
    /// assert_eq!(semaphore.tokens(), 1);
    /// # drop(held);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn release(&self) -> Result<(), OverReleasedError> {
        let limit = self.state.limit;
        if self.state.tokens.get() >= limit {
            return Err(OverReleasedError { limit });
        }
        self.hand_on();
        Ok(())
    }

    /// Gives a freed token to the first in line, or keeps it.
    fn hand_on(&self) {
        match self.state.waiters.pop() {
            Some(next) => {
                let semaphore = self.clone();
                hand_off(next, self.clone(), move |_| semaphore.hand_on());
            }
            None => self.state.tokens.set(self.state.tokens.get() + 1),
        }
    }

    /// Acquires a token, calls `f`, and releases the token when `f`'s outcome is known: its
    /// value, its failure or panic, or, if it returns a Deferred, that Deferred's result. The
    /// Deferred returned fires with that outcome (Twisted's `run`).
    ///
    /// ```
    /// use deferreds::{testing, DeferredSemaphore, Failure};
    ///
    /// let semaphore = DeferredSemaphore::new(1)?;
    /// let failed = semaphore.run(|| -> Result<u8, Failure> { Err(Failure::msg("boom")) });
    /// assert_eq!(testing::failure_result_of(failed).error_message(), "boom");
    /// assert_eq!(semaphore.tokens(), 1); // released all the same
    /// # Ok::<(), deferreds::InvalidTokensError>(())
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

impl fmt::Debug for DeferredSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeferredSemaphore")
            .field("tokens", &self.tokens())
            .field("limit", &self.limit())
            .field("waiting", &self.waiting())
            .finish()
    }
}
