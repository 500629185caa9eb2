//! Tasks whose output fires a Deferred on the loop thread.

use crate::deferred::Deferred;
use crate::errors::{CancelledError, PanicError};
use crate::failure::Failure;
use crate::resolver::Resolver;

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
    let delivery = Delivery::new(resolver);
    tokio::task::spawn_local(async move {
        let result = match task.await {
            Ok(result) => result,
            Err(error) if error.is_panic() => {
                Err(Failure::new(PanicError::from_payload(error.into_panic())))
            }
            Err(_) => Err(Failure::new(CancelledError)),
        };
        delivery.deliver(result);
    });
    deferred
}

/// Carries a task's result to its Deferred. Dropped undelivered (the loop ended and dropped
/// its tasks), its resolver abandons the Deferred, if anyone still waits on it: the loop
/// drops its tasks inside its `LoopEnded` teardown, so the failure says the loop ended.
pub(super) struct Delivery<T: 'static>(Option<Resolver<T>>);

impl<T: 'static> Delivery<T> {
    pub(super) fn new(resolver: Resolver<T>) -> Self {
        Delivery(Some(resolver))
    }

    pub(super) fn deliver(mut self, result: Result<T, Failure>) {
        if let Some(resolver) = self.0.take() {
            resolver.resolve(result);
        }
    }

    /// Gives up: nothing will deliver a result, so the resolver is dropped unfired, which
    /// abandons the Deferred.
    pub(super) fn abandon(mut self) {
        drop(self.0.take());
    }
}
