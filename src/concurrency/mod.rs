//! Sharing a resource between callbacks: Twisted's [`DeferredLock`], [`DeferredSemaphore`] and
//! [`DeferredQueue`].
//!
//! Deferreds run on one thread, so these primitives guard no memory: they order *work*. A
//! [`DeferredLock`] lets one chain of work at a time hold it (a connection used for one
//! request after another, say); a [`DeferredSemaphore`] lets up to `n` (no more than `n`
//! requests in flight); a [`DeferredQueue`] hands values from producers to consumers, each
//! `get` a Deferred that fires with the next value.
//!
//! Waiting is a Deferred: `acquire()` and `get()` fire at once when they can, and otherwise
//! when their turn comes, first come first served. Cancelling a waiting `acquire()` or `get()`
//! takes it out of the line (it fails with [`CancelledError`](crate::CancelledError)), so a
//! later release or put goes to the next one. So does dropping it: a waiter whose Deferred
//! nobody holds any more (no handle, controller or callbacks) is passed over, and no value
//! or lock is handed to it to be lost. Nor is it kept: the line is swept of such waiters as
//! it grows, so a million `get()`s dropped at once leave a few at most behind, with or without
//! a `put()`.
//!
//! ```
//! use deferreds::{inline_callbacks, testing, DeferredSemaphore, Failure};
//!
//! /// At most two uploads at once, however many are asked for.
//! #[inline_callbacks]
//! fn upload(slots: DeferredSemaphore, name: &'static str) -> Result<&'static str, Failure> {
//!     yield_!(slots.acquire())?;
//!     // ... the upload itself would yield here ...
//!     slots.release()?;
//!     Ok(name)
//! }
//!
//! let slots = DeferredSemaphore::new(2)?;
//! let done = deferreds::gather_results(["a", "b", "c"].map(|name| upload(slots.clone(), name)));
//! assert_eq!(testing::success_result_of(done), ["a", "b", "c"]);
//! # Ok::<(), deferreds::InvalidTokensError>(())
//! ```
//!
//! # Hand-offs run in the releasing call, as in Twisted, but never deeply
//!
//! `release()` and `put()` fire the next waiter's Deferred before they return, so its
//! callbacks run inside the call, as Twisted's do. A waiter whose callbacks release again
//! hands on from inside that, and so on: in Twisted, a long line of `run()` calls whose work
//! finishes at once recurses once per waiter, until Python's recursion limit. Here hand-offs
//! nest a few dozen deep at most; beyond that, the next hand-off waits until the ones in
//! progress return, then runs from there, in order. A million waiters need no more stack than
//! a few.

mod guards;
mod lock;
mod queue;
mod semaphore;
#[cfg(feature = "futures")]
mod stream;
mod waiters;

pub use guards::{LockGuard, SemaphorePermit};
pub use lock::{DeferredLock, NotLockedError};
pub use queue::{DeferredQueue, QueueOverflow, QueueUnderflow};
pub use semaphore::{DeferredSemaphore, InvalidTokensError, OverReleasedError};
#[cfg(feature = "futures")]
pub use stream::QueueStream;
