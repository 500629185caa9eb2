//! A failure as a standard boxed error, for code that returns `Box<dyn Error>`.
//!
//! `Failure` is not itself an `Error` (its blanket `From<E>` would overlap `From<T> for T`),
//! so the box holds this wrapper, which is.

use std::error::Error;
use std::fmt;

use super::Failure;

/// A failure in the clothes of an `Error`: the failure's message, then its error's sources.
///
/// Its `source()` is the wrapped error's `source()`, not the wrapped error itself, so a chain
/// printed one message per link shows the failure's message once: the wrapper already
/// speaks for the wrapped error.
pub(super) struct FailureError(pub(super) Failure);

impl fmt::Display for FailureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0.error(), f)
    }
}

impl fmt::Debug for FailureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Error for FailureError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.error().source()
    }
}
