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

/// The event loop ended while a Deferred of [`spawn_deferred`](crate::spawn_deferred) or
/// [`defer_to_thread`](crate::defer_to_thread) still waited for its work, so its result can
/// never arrive. Someone still waiting on the Deferred (a callback, an `#[inline_callbacks]`
/// function) sees this failure as the loop stops; a Deferred nobody waits on any more just
/// goes, unreported.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use deferreds::{react, spawn_deferred, Deferred, Failure, LoopEndedError};
///
/// let seen = Rc::new(RefCell::new(None));
/// let record = seen.clone();
/// react(move || {
///     let forever = spawn_deferred(std::future::pending::<Result<(), Failure>>());
///     drop(forever.add_errback(move |failure| {
///         *record.borrow_mut() = Some(failure.check::<LoopEndedError>());
///         Ok(())
///     }));
///     Deferred::succeed(()) // main is done at once: the loop ends
/// })
/// .unwrap();
/// assert_eq!(*seen.borrow(), Some(true));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, thiserror::Error)]
#[error(
    "the event loop ended before this work finished: react's main Deferred fired \
     (and its before-shutdown triggers ran) while the work was still pending, so its \
     result can never arrive"
)]
pub struct LoopEndedError;
