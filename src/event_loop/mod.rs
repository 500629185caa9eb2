//! A real event loop for Deferreds: tokio, behind the `tokio` feature.
//!
//! Deferreds are `!Send`, so they live on one thread: the loop thread, which runs a tokio
//! current-thread runtime and a [`LocalSet`](tokio::task::LocalSet). [`react`] sets that up
//! and runs until a Deferred fires. Work that must leave the thread comes back as a
//! Deferred fired on it: [`spawn_deferred`] for any future (including `Send` futures driven
//! by other threads), [`defer_to_thread`] for blocking code. [`TokioClock`] gives real time
//! to everything written against [`Clock`](crate::Clock): [`defer_later`](crate::defer_later),
//! [`add_timeout`](crate::add_timeout), your own code.

mod clock;

use std::future::Future;

use crate::deferred::Deferred;
use crate::errors::{CancelledError, PanicError};
use crate::failure::Failure;

pub use clock::TokioClock;

/// Runs `main` on a new event loop and returns the result of the Deferred it gives, once
/// that fires: Twisted's `task.react`. The loop is a tokio current-thread runtime with I/O
/// and timers enabled, and a `LocalSet`, so `main` and everything it starts may use
/// [`spawn_deferred`], [`defer_to_thread`], a [`TokioClock`] and `tokio::task::spawn_local`.
/// When `main`'s Deferred fires the loop stops: tasks still pending are dropped, and, as
/// tokio does, blocking work already started on its thread pool is waited for.
///
/// The result fits `main`'s return type: `fn main() -> Result<(), Failure>` exits with
/// status 1 and the failure printed if the Deferred failed.
///
/// ```
/// use deferreds::{defer_to_thread, react, Failure};
///
/// fn main() -> Result<(), Failure> {
///     let answer = react(|| defer_to_thread(|| Ok::<_, Failure>(6 * 7)))?;
///     assert_eq!(answer, 42);
///     Ok(())
/// }
/// ```
///
/// Panics if called on a thread that is already running a tokio runtime (as tokio does).
pub fn react<T: 'static>(main: impl FnOnce() -> Deferred<T>) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Failure::new)?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move { main().await })
}

/// Runs `future` on the tokio runtime (where it may be driven by any thread) and fires the
/// returned Deferred, on this thread, with its output: `Ok(value)`, or the failure it
/// returned, or a [`PanicError`] if it panicked.
///
/// Cancelling the Deferred aborts the task (it fails with [`CancelledError`]). Must be
/// called from the loop thread, inside the `LocalSet` that [`react`] runs (or one of your
/// own).
///
/// ```
/// use deferreds::{react, spawn_deferred, Failure};
///
/// let value = react(|| {
///     spawn_deferred(async {
///         tokio::task::yield_now().await;
///         Ok::<_, Failure>("from a task")
///     })
/// });
/// assert_eq!(value.unwrap(), "from a task");
/// ```
pub fn spawn_deferred<F, T, E>(future: F) -> Deferred<T>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Into<Failure> + Send + 'static,
{
    deferred_from_task(tokio::task::spawn(async move {
        future.await.map_err(Into::into)
    }))
}

/// Runs blocking `work` on tokio's blocking thread pool and fires the returned Deferred, on
/// this thread, with its result (or a [`PanicError`] if it panicked): Twisted's
/// `deferToThread`. Must be called from the loop thread, as [`spawn_deferred`].
///
/// Cancelling the Deferred fails it with [`CancelledError`] at once; the work itself cannot
/// be interrupted and runs to completion, its result dropped.
///
/// ```
/// use deferreds::{defer_to_thread, react, Failure};
///
/// let length = react(|| {
///     defer_to_thread(|| {
///         std::thread::sleep(std::time::Duration::from_millis(1)); // blocking is fine here
///         Ok::<_, Failure>("computed elsewhere".len())
///     })
/// });
/// assert_eq!(length.unwrap(), 18);
/// ```
pub fn defer_to_thread<F, T, E>(work: F) -> Deferred<T>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<Failure> + Send + 'static,
{
    deferred_from_task(tokio::task::spawn_blocking(move || {
        work().map_err(Into::into)
    }))
}

/// A Deferred fired on this thread with a task's output; cancelling it aborts the task.
fn deferred_from_task<T: Send + 'static>(
    task: tokio::task::JoinHandle<Result<T, Failure>>,
) -> Deferred<T> {
    let abort = task.abort_handle();
    let (deferred, resolver) = Deferred::with_stopper(move |_| abort.abort());
    tokio::task::spawn_local(async move {
        let result = match task.await {
            Ok(result) => result,
            Err(error) if error.is_panic() => {
                Err(Failure::new(PanicError::from_payload(error.into_panic())))
            }
            Err(_) => Err(Failure::new(CancelledError)),
        };
        resolver.resolve(result);
    });
    deferred
}
