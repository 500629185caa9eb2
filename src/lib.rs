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
//! With [`#[inline_callbacks]`](inline_callbacks), the same kind of code reads like
//! synchronous code: `yield_!` waits for a Deferred, and `?` or `match` handle its failure.
//!
//! ```
//! use deferreds::{inline_callbacks, Deferred, Failure};
//!
//! #[inline_callbacks]
//! fn launch(doors_open: Deferred<&'static str>) -> Result<String, Failure> {
//!     match yield_!(doors_open) {
//!         Ok(bay) => Ok(format!("pod launched from {bay}")),
//!         Err(failure) => Ok(format!("launch aborted: {failure}")),
//!     }
//! }
//!
//! let (doors_open, resolver) = Deferred::new();
//! let launched = launch(doors_open); // runs up to the yield_!, then returns a Deferred
//! resolver.callback("bay 3");
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
//! - [`Failure`] wraps any error; [`Failure::check`] and [`Failure::trap`] select by type
//!   (and [`check_any`](Failure::check_any), [`trap_any`](Failure::trap_any) by several);
//!   [`Failure::traceback`] is Twisted's `getTraceback`.
//! - [`cancel`](Deferred::cancel), [`pause`](Deferred::pause) and a [`Controller`] for doing
//!   either from elsewhere; a dropped [`Resolver`] fails its Deferred with
//!   [`AbandonedError`] rather than leaving it waiting forever.
//! - A failure that nothing handles is reported when its chain is dropped
//!   ([`UnhandledError`], [`set_unhandled_error_hook`]); [`set_debugging`] adds where each
//!   Deferred was created and fired.
//!
//! - Many at once: [`DeferredList`], [`gather_results`], [`race`], and [`FanOut`] for one
//!   result with many independent waiters. Taking turns: [`DeferredLock`],
//!   [`DeferredSemaphore`], [`DeferredQueue`].
//! - Time through a [`Clock`]: [`TestClock`] moves only when told (deterministic tests),
//!   and [`defer_later`] and [`add_timeout`] work on any clock. With the `tokio` feature,
//!   `TokioClock` is real time, and `react`, `spawn_deferred` and `defer_to_thread` connect
//!   Deferreds to tokio's event loop, tasks and blocking pool.
//! - Async Rust: a Deferred is `IntoFuture` (`d.await` gives `Result<T, Failure>`), and
//!   [`ensure_deferred`] turns a future into a Deferred.
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
// `unsafe` is forbidden in every module but the engine, which allows it in one module of
// its own (`engine::packed`, whose docs say why); tests/architecture.rs checks that.
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
// On docs.rs (built with every feature and `--cfg docsrs`), each item a feature brings is
// marked with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[forbid(unsafe_code)]
mod concurrency;
#[forbid(unsafe_code)]
mod debug;
#[forbid(unsafe_code)]
mod deferred;
mod engine;
#[forbid(unsafe_code)]
mod errors;
#[cfg(feature = "tokio")]
#[forbid(unsafe_code)]
mod event_loop;
#[forbid(unsafe_code)]
mod failure;
#[forbid(unsafe_code)]
mod future;
#[forbid(unsafe_code)]
mod guard;
#[forbid(unsafe_code)]
mod inline;
#[forbid(unsafe_code)]
mod list;
#[forbid(unsafe_code)]
mod maybe;
#[forbid(unsafe_code)]
mod resolver_slot;
#[forbid(unsafe_code)]
pub mod testing;
#[forbid(unsafe_code)]
mod time;
#[forbid(unsafe_code)]
mod tracing_support;
#[forbid(unsafe_code)]
mod unhandled;

#[cfg(feature = "futures")]
pub use concurrency::QueueStream;
pub use concurrency::{
    DeferredLock, DeferredQueue, DeferredSemaphore, InvalidTokensError, LockGuard, NotLockedError,
    OverReleasedError, QueueOverflow, QueueUnderflow, SemaphorePermit,
};
pub use debug::{is_debugging, set_debugging};
pub use deferred::controller::Controller;
pub use deferred::Deferred;
pub use errors::{
    AbandonedError, Abandonment, CancelledError, PanicError, SelfWaitError, TimeoutError,
};
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use event_loop::{
    defer_to_thread, react, spawn_deferred, LoopEndedError, LoopHandle, LoopNotRunningError,
    Reactor, RemoteResolver, TokioClock,
};
pub use failure::{AsyncFrame, ErrorTypes, Failure, Traceback};
pub use future::{ensure_deferred, CrossThreadWakeError, DeferredFuture};

pub use deferred::output::CallbackOutput;
pub use deferred::resolver::Resolver;
/// Write asynchronous code as if it were synchronous: Twisted's `@inlineCallbacks`.
///
/// The attribute turns `fn name(args) -> Result<T, E>` (with `E: Into<Failure>`) into
/// `fn name(args) -> Deferred<T>`. The body runs as a generator: `yield_!(d)` waits for the
/// `Deferred<U>` `d` and evaluates to its `Result<U, Failure>`, so `?`, `match` and `if let`
/// handle errors the way try/except does. Other code runs while the body waits.
///
/// | Twisted | `deferreds` |
/// |---|---|
/// | `@inlineCallbacks` | `#[inline_callbacks]` |
/// | `x = yield d` | `let x = yield_!(d)?;` |
/// | `try: x = yield d` / `except E: ...` | `match yield_!(d) { Ok(x) => .., Err(f) if f.check::<E>() => .., Err(f) => return Err(f) }` |
/// | `returnValue(v)` / `return v` | `return Ok(v)` (or the tail `Ok(v)`) |
/// | raising an exception | `return Err(..)`, `?`, or a panic: the outer Deferred fails |
///
/// ```
/// use deferreds::{inline_callbacks, testing, Deferred, Failure};
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("connection refused")]
/// struct ConnectionError;
///
/// fn make_request(path: &str) -> Deferred<String> {
///     if path == "/users" {
///         Deferred::succeed(r#"["alice","bob"]"#.to_string())
///     } else {
///         Deferred::fail(ConnectionError)
///     }
/// }
///
/// #[inline_callbacks]
/// fn get_users(path: String) -> Result<Vec<String>, Failure> {
///     let body = match yield_!(make_request(&path)) {
///         Ok(body) => body,
///         Err(f) if f.check::<ConnectionError>() => {
///             eprintln!("request failed due to a connection error");
///             return Ok(vec![]);
///         }
///         Err(f) => return Err(f),
///     };
///     let names = body.trim_matches(|c| c == '[' || c == ']');
///     Ok(names.split(',').map(|name| name.trim_matches('"').to_string()).collect())
/// }
///
/// assert_eq!(testing::success_result_of(get_users("/users".into())), ["alice", "bob"]);
/// assert!(testing::success_result_of(get_users("/down".into())).is_empty());
/// ```
///
/// # How it runs
///
/// Calling the function runs the body at once, up to the first `yield_!` of a Deferred
/// that has no result yet, and returns the outer Deferred (already fired if the body never
/// had to wait). A Deferred that already has a result is taken on the spot without
/// suspending, so a loop over a million fired Deferreds uses constant stack. When an awaited
/// Deferred fires, the body resumes inside that firing, on the same thread.
///
/// Cancelling the outer Deferred cancels the Deferred the body is waiting on; the body sees
/// the [`CancelledError`] from `yield_!` and may handle it: if it then returns `Ok(v)`, the
/// outer Deferred fires with `v`, as in Twisted. If the awaited Deferred can never fire (its
/// resolver dropped, say), the body sees [`AbandonedError`] instead of waiting forever.
/// A failure leaving the function records it in the failure's
/// [`async_frames`](Failure::async_frames): the logical call path across functions.
///
/// Every parameter lives until the body ends, as in an `async fn`, even one the body never
/// names (`_permit: Guard`, `_`): parameters drop when the body returns, fails, is
/// cancelled or is abandoned, after the body's own locals, the last parameter first. The
/// outer Deferred's `is_called()` is false until then, as Twisted's `called`. With the
/// `tracing` feature, the body runs inside the span that was current at the call, each time
/// it resumes, whoever fires the Deferred it waits on.
///
/// # Rules the compiler enforces, with messages that say what to do
///
/// - The return type is `Result<T, E>` or an alias like `io::Result<T>`; the function is not
///   `async`, and its body does not use `.await` (yield a Deferred instead).
/// - Arguments are owned: the generator outlives the call, so no references or `&self`
///   (take `self: Rc<Self>`); type parameters and `impl Trait` arguments are made `'static`.
/// - `yield_!` is used directly in the body, not in closures, async blocks or nested
///   functions inside it, and takes a `Deferred`.
///
/// ```compile_fail
/// #[deferreds::inline_callbacks]
/// fn greet(name: &str) -> Result<String, deferreds::Failure> { // error: borrowed argument
///     Ok(format!("hello {name}"))
/// }
/// ```
///
/// Methods work with `self` by value or `self: Rc<Self>`, and so do generic functions:
///
/// ```
/// use deferreds::{inline_callbacks, testing, Deferred, Failure};
/// use std::rc::Rc;
///
/// struct Counter { step: u32 }
///
/// impl Counter {
///     #[inline_callbacks]
///     fn add(self: Rc<Self>, d: Deferred<u32>) -> Result<u32, Failure> {
///         Ok(yield_!(d)? + self.step)
///     }
/// }
///
/// #[inline_callbacks]
/// fn first<T: Clone>(items: Vec<Deferred<T>>) -> Result<Option<T>, Failure> {
///     for d in items {
///         return Ok(Some(yield_!(d)?));
///     }
///     Ok(None)
/// }
///
/// let counter = Rc::new(Counter { step: 2 });
/// assert_eq!(testing::success_result_of(counter.add(Deferred::succeed(40))), 42);
/// assert_eq!(testing::success_result_of(first(vec![Deferred::succeed('a')])), Some('a'));
/// ```
pub use deferreds_macros::inline_callbacks;
pub use list::*;
pub use maybe::{fail, maybe_deferred, succeed};
pub use resolver_slot::{AlreadyArmedError, AlreadyCalledError, ResolverSlot};
pub use time::*;
pub use unhandled::{
    set_unhandled_error_hook, take_unhandled_error_hook, UnhandledError, UnhandledErrorHook,
};

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

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
