//! Twisted's `Deferred`, in Rust: an explicit, inspectable order of execution for
//! asynchronous work.
//!
//! A [`Deferred<T>`](Deferred) is a placeholder for a result that is not there yet. Instead of
//! acting on the result, you tell the Deferred what to do with it once it arrives, by adding
//! *callbacks* (for a value) and *errbacks* (for a [`Failure`]). The order you add them in is
//! the order they run in; each one's output is the next one's input; and a failure travels
//! down the chain like an exception, skipping callbacks until an errback handles it.
//!
//! ```
//! use deferreds::{Deferred, Failure};
//!
//! // Somebody will open the pod bay doors eventually; `resolver` is how they say so.
//! let (doors_open, resolver) = Deferred::<&str>::new();
//!
//! // Meanwhile, we encode the plan: launch once the doors are open, report any error.
//! let launched = doors_open
//!     .add_callback(|bay| Ok(format!("pod launched from {bay}")))
//!     .add_errback(|failure: Failure| Ok(format!("launch aborted: {failure}")));
//!
//! resolver.callback("bay 3"); // the callbacks run now, in order
//! assert_eq!(deferreds::testing::success_result_of(launched), "pod launched from bay 3");
//! ```
//!
//! # The model
//!
//! - [`Deferred::new`] gives the Deferred and its [`Resolver`]; firing consumes the resolver,
//!   so a Deferred cannot be fired twice. [`succeed`] and [`fail`] make already-fired ones.
//! - [`add_callback`](Deferred::add_callback), [`add_errback`](Deferred::add_errback),
//!   [`add_callbacks`](Deferred::add_callbacks) and [`add_both`](Deferred::add_both) are
//!   try, except, else and finally. A callback returns `Ok(v)` to go on, `Err(f)` (or `?`, or
//!   a panic) to fail, or another `Deferred` to wait for.
//! - [`Failure`] wraps any error; [`Failure::check`] and [`Failure::trap`] select by type.
//! - [`cancel`](Deferred::cancel), [`pause`](Deferred::pause) and a [`Controller`] for doing
//!   either from elsewhere; a dropped [`Resolver`] fails its Deferred with
//!   [`AbandonedError`] rather than leaving it waiting forever.
//! - A failure that nothing handles is reported when its chain is dropped
//!   ([`UnhandledError`], [`set_unhandled_error_hook`]); [`set_debugging`] adds where each
//!   Deferred was created and fired.
//!
//! Like Twisted's, a Deferred knows nothing of threads or event loops: callbacks run when the
//! Deferred is fired, on the thread that fires it, and `Deferred` is `!Send`. [`Failure`] is
//! `Send + Sync`, so errors may cross threads.
//!
//! # Differences from Twisted
//!
//! - The chain is typed: `add_callback` turns a `Deferred<T>` into a `Deferred<U>`, and each
//!   Deferred has one handle. A [`Controller`] stands in for Twisted's second references.
//! - Firing twice is a compile error. After a cancel, firing the resolver is ignored.
//! - `pause()` from inside a running callback stops the chain at once; extra `unpause()`
//!   calls do nothing.
//! - [`chain_deferred`](Deferred::chain_deferred) never recurses, however long the series.
//! - A Deferred that can never fire (its resolver dropped, or a paused Deferred that nobody
//!   can unpause any more) fails with [`AbandonedError`] instead of hanging silently.
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod chain;
mod controller;
mod debug;
mod deferred;
mod errors;
mod failure;
mod inline;
mod maybe;
mod output;
mod reclaim;
mod resolver;
mod step;
pub mod testing;
mod unhandled;

pub use controller::Controller;
pub use debug::{is_debugging, set_debugging};
pub use deferred::Deferred;
pub use deferreds_macros::inline_callbacks;
pub use errors::{AbandonedError, CancelledError, PanicError, TimeoutError};
pub use failure::{AsyncFrame, Failure};
pub use maybe::{fail, maybe_deferred, succeed};
pub use output::CallbackOutput;
pub use resolver::Resolver;
pub use unhandled::{set_unhandled_error_hook, take_unhandled_error_hook, UnhandledError};

/// What `#[inline_callbacks]` expands to uses these; they are not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::inline::{
        inline_callbacks, take_now, wait, InlineResult, Site, Yieldable, Yielder,
    };
}

/// Waits for a Deferred inside an [`#[inline_callbacks]`](inline_callbacks) function.
///
/// Only the attribute gives `yield_!` a meaning: inside such a function it is redefined to
/// wait on its Deferred and evaluate to the `Result`. Anywhere else, this definition stops
/// the build with an explanation.
///
/// ```compile_fail
/// use deferreds::{yield_, Deferred};
/// fn not_inline() {
///     let _ = yield_!(Deferred::succeed(1)); // error: only in an #[inline_callbacks] fn
/// }
/// ```
#[macro_export]
macro_rules! yield_ {
    ($($anything:tt)*) => {
        ::core::compile_error!(
            "yield_!() only works directly in the body of an #[inline_callbacks] function, \
             where it waits for a Deferred; here there is no generator to suspend"
        )
    };
}
