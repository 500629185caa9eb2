//! The errors the event loop puts into Deferreds.

/// [`spawn_deferred`](crate::spawn_deferred) or [`defer_to_thread`](crate::defer_to_thread)
/// was called on a thread where no event loop runs: before [`react`](crate::react) started,
/// after it ended (in a callback run while the loop tears down, say), or on another thread.
/// The work is not started; its Deferred fails with this error instead.
///
/// ```
/// use deferreds::{spawn_deferred, testing, LoopNotRunningError};
///
/// let d = spawn_deferred(async { Ok(1) }); // no react here
/// assert!(testing::failure_result_of(d).check::<LoopNotRunningError>());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, thiserror::Error)]
#[error(
    "no event loop is running on this thread: spawn_deferred and defer_to_thread work \
     inside react (in its main, or in a before-shutdown trigger)"
)]
pub struct LoopNotRunningError;

/// [`LoopHandle::call_from_thread`](crate::LoopHandle::call_from_thread) was refused: the
/// event loop the handle belongs to has ended, so the closure cannot run there. (A Deferred
/// still waiting on the loop when it ends fails with an
/// [`AbandonedError`](crate::AbandonedError) whose reason is
/// [`LoopEnded`](crate::Abandonment::LoopEnded).)
///
/// ```
/// use deferreds::{react, Deferred, LoopEndedError, LoopHandle};
///
/// let handle = react(|| Deferred::succeed(LoopHandle::current().unwrap())).unwrap();
/// assert_eq!(handle.call_from_thread(|| ()), Err(LoopEndedError));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, thiserror::Error)]
#[error(
    "the event loop has ended: a closure sent to it with call_from_thread cannot run \
     (react's main Deferred fired and its before-shutdown triggers ran)"
)]
pub struct LoopEndedError;
