//! A real event loop for Deferreds: tokio, behind the `tokio` feature.
//!
//! Deferreds are `!Send`, so they live on one thread: the loop thread, which runs a tokio
//! current-thread runtime and a [`LocalSet`](tokio::task::LocalSet). [`react`] (or a
//! [`Reactor`], for shutdown settings) sets that up and runs until a Deferred fires. Work
//! that must leave the thread comes back as a Deferred fired on it: [`spawn_deferred`] for
//! any future (including `Send` futures driven by other threads), [`defer_to_thread`] for
//! blocking code. [`TokioClock`] gives real time to everything written against
//! [`Clock`](crate::Clock): [`defer_later`](crate::defer_later),
//! [`add_timeout`](crate::add_timeout), your own code.

mod clock;
mod errors;
mod reactor;
mod remote;
mod task;

use std::future::Future;

use crate::deferred::Deferred;
use crate::failure::Failure;

pub use clock::TokioClock;
pub use errors::{LoopEndedError, LoopNotRunningError};
pub use reactor::Reactor;
pub use remote::{LoopHandle, RemoteResolver};

/// Runs `main` on a new event loop and returns the result of the Deferred it gives, once
/// that fires: Twisted's `task.react`, and `Reactor::new().run(main)` (see [`Reactor`] for
/// a bounded shutdown and before-shutdown triggers). The loop is a tokio current-thread
/// runtime with I/O and timers enabled, and a `LocalSet`, so `main` and everything it starts
/// may use [`spawn_deferred`], [`defer_to_thread`], a [`TokioClock`] and
/// `tokio::task::spawn_local`; [`ensure_deferred`](crate::ensure_deferred) futures woken
/// from other threads are polled on the loop. When `main`'s Deferred fires the loop stops:
/// tasks still pending are dropped (the Deferreds still waiting on them fail with an
/// [`AbandonedError`](crate::AbandonedError) saying the loop ended), and, as tokio does, blocking work already started on its thread
/// pool is waited for.
///
/// The result fits `main`'s return type: `fn main() -> Result<(), Failure>` exits with
/// status 1 and the failure printed if the Deferred failed.
///
/// ```
/// use deferreds::{defer_to_thread, react, Failure};
///
/// fn main() -> Result<(), Failure> {
///     let answer = react(|| defer_to_thread(|| Ok(6 * 7)))?;
///     assert_eq!(answer, 42);
///     Ok(())
/// }
/// ```
///
/// Panics if called on a thread that is already running a tokio runtime (as tokio does).
pub fn react<T: 'static>(main: impl FnOnce() -> Deferred<T>) -> Result<T, Failure> {
    Reactor::new().run(main)
}

/// Runs `future` on the tokio runtime (where it may be driven by any thread) and fires the
/// returned Deferred, on this thread, with its output: `Ok(value)`, or the failure it
/// returned, or a [`PanicError`](crate::PanicError) if it panicked.
///
/// The future's output is `Result<T, Failure>`, so `Ok(value)` needs no annotation, and `?`
/// still takes any error (`Failure: From<E>`); a future giving another error type is
/// passed as `async { Ok(future.await?) }`.
///
/// Works on the thread running [`react`], from the start of `main` until its
/// before-shutdown triggers are done. Anywhere else (before the loop starts, in a callback
/// run as it tears down, on another thread) the future is not started and the Deferred
/// fails with [`LoopNotRunningError`]; if the loop ends while the future is still pending,
/// the Deferred fails with an [`AbandonedError`](crate::AbandonedError) saying the loop
/// ended.
///
/// Cancelling the Deferred aborts the task: it fails with
/// [`CancelledError`](crate::CancelledError). A cancel that arrives after the task finished
/// but before its output reached the loop thread still wins: the Deferred fails with
/// `CancelledError` and the output is dropped, as in Twisted (unlike tokio's `JoinHandle`,
/// which would still give the output).
///
/// ```
/// use deferreds::{react, spawn_deferred};
///
/// let value = react(|| {
///     spawn_deferred(async {
///         tokio::task::yield_now().await;
///         Ok("from a task")
///     })
/// });
/// assert_eq!(value.unwrap(), "from a task");
/// ```
pub fn spawn_deferred<F, T>(future: F) -> Deferred<T>
where
    F: Future<Output = Result<T, Failure>> + Send + 'static,
    T: Send + 'static,
{
    task::deferred_from_task(|| tokio::task::spawn(future))
}

/// Runs blocking `work` on tokio's blocking thread pool and fires the returned Deferred, on
/// this thread, with its result (or a [`PanicError`](crate::PanicError) if it panicked):
/// Twisted's `deferToThread`. Works where [`spawn_deferred`] does, and fails the same way
/// elsewhere. `work` returns `Result<T, Failure>`: `Ok(value)` needs no annotation, and `?`
/// takes any error, as in the example. [`Reactor::thread_pool_size`] bounds how many jobs run at once.
///
/// Cancelling the Deferred fails it with [`CancelledError`](crate::CancelledError) at once.
/// A job still waiting for a thread is taken off the queue and never runs; a job already
/// running cannot be interrupted: it runs to completion and its result is dropped.
///
/// ```
/// use deferreds::{defer_to_thread, react};
///
/// let length = react(|| {
///     defer_to_thread(|| {
///         std::thread::sleep(std::time::Duration::from_millis(1)); // blocking is fine here
///         let text = String::from_utf8(b"computed elsewhere".to_vec())?; // any error
///         Ok(text.len())
///     })
/// });
/// assert_eq!(length.unwrap(), 18);
/// ```
pub fn defer_to_thread<F, T>(work: F) -> Deferred<T>
where
    F: FnOnce() -> Result<T, Failure> + Send + 'static,
    T: Send + 'static,
{
    task::deferred_from_task(|| tokio::task::spawn_blocking(work))
}
