//! The errors the library itself puts into Deferreds.

use std::any::Any;

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

/// The [`Resolver`](crate::Resolver) of a Deferred was dropped without firing it, so nothing
/// can ever fire it now. The Deferred fails with this error instead of waiting forever.
///
/// ```
/// use deferreds::{AbandonedError, Deferred};
///
/// let (d, resolver) = Deferred::<u8>::new();
/// drop(resolver);
/// assert!(deferreds::testing::failure_result_of(d).check::<AbandonedError>());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, thiserror::Error)]
#[error(
    "the Deferred can never fire: its Resolver was dropped without firing it \
     (fire it with callback or errback, or cancel the Deferred)"
)]
pub struct AbandonedError;

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

    /// A callback's panic, from the payload `catch_unwind` gave.
    pub(crate) fn from_payload(payload: Box<dyn Any + Send>) -> Self {
        PanicError::from_panic(PanicSource::Callback, payload)
    }

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
