//! The errors the library itself puts into Deferreds.

use std::any::Any;
use std::cell::Cell;

/// A Deferred was cancelled and its canceller (if any) did not fire it.
///
/// ```
/// use deferreds::{CancelledError, Deferred};
///
/// let (d, _resolver) = Deferred::<u8>::new();
/// d.cancel();
/// assert!(deferreds::testing::failure_result_of(d).check::<CancelledError>());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, thiserror::Error)]
#[error("the Deferred was cancelled")]
pub struct CancelledError;

/// An operation did not finish in the time it was given.
///
/// ```
/// use deferreds::TimeoutError;
/// let e = TimeoutError::new(std::time::Duration::from_secs(5));
/// assert_eq!(e.to_string(), "the Deferred timed out after 5s");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the Deferred timed out after {timeout:?}")]
pub struct TimeoutError {
    timeout: std::time::Duration,
}

impl TimeoutError {
    /// A timeout after `timeout`.
    ///
    /// ```
    /// # use deferreds::TimeoutError;
    /// let e = TimeoutError::new(std::time::Duration::from_millis(10));
    /// assert_eq!(e.timeout().as_millis(), 10);
    /// ```
    pub fn new(timeout: std::time::Duration) -> Self {
        TimeoutError { timeout }
    }

    /// How long the operation was given.
    ///
    /// ```
    /// # use deferreds::TimeoutError;
    /// assert_eq!(TimeoutError::new(std::time::Duration::ZERO).timeout().as_secs(), 0);
    /// ```
    pub fn timeout(&self) -> std::time::Duration {
        self.timeout
    }
}

/// Nothing can ever fire the Deferred now, so it fails with this error instead of waiting
/// forever: its [`Resolver`](crate::Resolver) was dropped without firing it, or the event
/// loop it waited on ended, or it combines no Deferreds at all. [`reason`](Self::reason)
/// says which, and so does the message.
///
/// ```
/// use deferreds::{AbandonedError, Abandonment, Deferred};
///
/// let (d, resolver) = Deferred::<u8>::new();
/// drop(resolver);
/// let failure = deferreds::testing::failure_result_of(d);
/// let abandoned = failure.downcast_ref::<AbandonedError>().unwrap();
/// assert_eq!(abandoned.reason(), Abandonment::ResolverDropped);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, thiserror::Error)]
#[error("the Deferred can never fire: {}", .reason.explanation())]
pub struct AbandonedError {
    reason: Abandonment,
}

/// Why nothing can fire a Deferred any more: the reason of an [`AbandonedError`].
///
/// ```
/// use deferreds::{AbandonedError, Abandonment};
/// let error = AbandonedError::new(Abandonment::LoopEnded);
/// assert!(error.to_string().contains("the event loop ended"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Abandonment {
    /// Its `Resolver` was dropped without firing it (or that of a Deferred it waits on, or
    /// it is paused and nobody is left to unpause it).
    #[default]
    ResolverDropped,
    /// The event loop ended (`react`'s main Deferred fired) while it waited for work on
    /// the loop: a task, a timer, a thread's result.
    LoopEnded,
    /// It combines no Deferreds (a `race` of none, a first-success list of none), so no
    /// input will ever decide it.
    NoInputs,
}

impl Abandonment {
    fn explanation(self) -> &'static str {
        match self {
            Abandonment::ResolverDropped => {
                "its Resolver was dropped without firing it \
                 (fire it with callback or errback, or cancel the Deferred)"
            }
            Abandonment::LoopEnded => {
                "the event loop ended while it waited for work on the loop \
                 (react's main Deferred fired first: have main wait for the work, \
                 or wait for it in a before-shutdown trigger)"
            }
            Abandonment::NoInputs => {
                "it combines no Deferreds (a race or first-success list of none), \
                 so nothing will ever decide it"
            }
        }
    }
}

impl AbandonedError {
    /// An abandonment for this reason.
    ///
    /// ```
    /// use deferreds::{AbandonedError, Abandonment};
    /// assert_eq!(AbandonedError::new(Abandonment::NoInputs).reason(), Abandonment::NoInputs);
    /// ```
    pub fn new(reason: Abandonment) -> Self {
        AbandonedError { reason }
    }

    /// Why nothing can fire the Deferred.
    ///
    /// ```
    /// use deferreds::{AbandonedError, Abandonment};
    /// assert_eq!(AbandonedError::default().reason(), Abandonment::ResolverDropped);
    /// ```
    pub fn reason(&self) -> Abandonment {
        self.reason
    }

    /// The abandonment of a Deferred happening now: for the reason set by
    /// [`abandoning_because`] around the code running, or a dropped resolver.
    pub(crate) fn now() -> Self {
        AbandonedError::new(CAUSE.try_with(Cell::get).unwrap_or_default())
    }
}

thread_local! {
    /// Why Deferreds abandoned on this thread now are abandoned, if not for a dropped
    /// resolver: set while the event loop drops its tasks, say.
    static CAUSE: Cell<Abandonment> = const { Cell::new(Abandonment::ResolverDropped) };
}

/// Runs `f`; Deferreds abandoned meanwhile on this thread fail for `reason` (the event loop
/// drops its tasks inside this, so their resolvers abandon with `LoopEnded`).
#[cfg(feature = "tokio")]
pub(crate) fn abandoning_because<R>(reason: Abandonment, f: impl FnOnce() -> R) -> R {
    crate::guard::with_cell_set(&CAUSE, reason, f)
}

/// A callback returned the very Deferred it was added to, so the chain would wait on itself
/// for ever. The chain fails with this error instead (Twisted warns and then hangs), and an
/// `#[inline_callbacks]` body that yields its own Deferred gets it from `yield_!`.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use deferreds::{Deferred, SelfWaitError};
///
/// let own: Rc<RefCell<Option<Deferred<u8>>>> = Rc::default();
/// let (d, resolver) = Deferred::<u8>::new();
/// let handle = own.clone();
/// // The callback hands back its own chain, taken from where the caller kept it.
/// let d = d.add_callback(move |_| handle.borrow_mut().take().unwrap());
/// *own.borrow_mut() = Some(d);
/// let reports = deferreds::testing::capture_unhandled(|| resolver.callback(1));
/// assert!(reports[0].failure().check::<SelfWaitError>());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, thiserror::Error)]
#[error(
    "a callback returned the Deferred it was added to, which would wait on itself for ever \
     (return another Deferred, or the value itself)"
)]
pub struct SelfWaitError;

/// User code panicked inside the library: a callback (the panic became this failure and the
/// chain went on down the errback side), a canceller (the cancelled Deferred fails with it),
/// or the `Drop` of a value the library was dropping (reported as unhandled).
///
/// ```
/// use deferreds::{Deferred, PanicError};
///
/// let d = Deferred::succeed(1).add_callback(|_| -> Result<u8, _> { panic!("no more pods") });
/// let failure = deferreds::testing::failure_result_of(d);
/// assert_eq!(failure.downcast_ref::<PanicError>().unwrap().message(), "no more pods");
/// assert_eq!(failure.error_message(), "a callback panicked: no more pods");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin} panicked: {message}")]
pub struct PanicError {
    message: String,
    origin: PanicSource,
}

/// What panicked, for [`PanicError`]'s message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PanicSource {
    Callback,
    Canceller,
    Drop,
    Hook,
    #[cfg(feature = "tokio")]
    Task,
    #[cfg(feature = "tracing")]
    Subscriber,
}

impl std::fmt::Display for PanicSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PanicSource::Callback => "a callback",
            PanicSource::Canceller => "a canceller",
            PanicSource::Drop => "the Drop of a value a Deferred owned",
            PanicSource::Hook => "the unhandled-error hook",
            #[cfg(feature = "tokio")]
            PanicSource::Task => "a spawned task or thread job",
            #[cfg(feature = "tracing")]
            PanicSource::Subscriber => "the tracing subscriber",
        })
    }
}

impl PanicError {
    /// A callback's panic error with this message.
    ///
    /// ```
    /// # use deferreds::PanicError;
    /// assert_eq!(PanicError::new("x").to_string(), "a callback panicked: x");
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        PanicError {
            message: message.into(),
            origin: PanicSource::Callback,
        }
    }

    /// The panic's message (its payload, when that was a string).
    ///
    /// ```
    /// # use deferreds::PanicError;
    /// assert_eq!(PanicError::new("x").message(), "x");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The panic of `origin`, from its payload.
    pub(crate) fn from_panic(origin: PanicSource, payload: Box<dyn Any + Send>) -> Self {
        let message = match payload.downcast::<String>() {
            Ok(text) => *text,
            Err(payload) => match payload.downcast::<&'static str>() {
                Ok(text) => (*text).to_owned(),
                Err(_) => "a panic with a payload that is not a string".to_owned(),
            },
        };
        PanicError { message, origin }
    }
}
