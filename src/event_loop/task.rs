//! Tasks whose output fires a Deferred on the loop thread.

use crate::deferred::Deferred;
use crate::errors::{CancelledError, PanicError, PanicSource};
use crate::failure::Failure;

use super::errors::LoopNotRunningError;
use super::reactor::loop_is_running;

/// A Deferred fired on this thread with the output of the task `start` starts; cancelling
/// it aborts the task. Where no loop runs, the task is not started and the Deferred fails
/// with [`LoopNotRunningError`].
pub(super) fn deferred_from_task<T: Send + 'static>(
    start: impl FnOnce() -> tokio::task::JoinHandle<Result<T, Failure>>,
) -> Deferred<T> {
    if !loop_is_running() {
        return Deferred::fail(LoopNotRunningError);
    }
    let task = start();
    let abort = task.abort_handle();
    let (deferred, resolver) = Deferred::with_stopper(move |_| abort.abort());
    tokio::task::spawn_local(async move {
        let result = match task.await {
            Ok(result) => result,
            Err(error) if error.is_panic() => {
                let panic = PanicError::from_panic(PanicSource::Task, error.into_panic());
                Err(Failure::of_library(panic))
            }
            Err(_) => Err(Failure::of_library(CancelledError)),
        };
        resolver.resolve(result);
    });
    deferred
}
