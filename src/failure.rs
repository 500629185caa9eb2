//! `Failure`: an error travelling down a callback chain.

mod boxed;
mod error_types;
mod nested_drop;
mod traceback;
mod trail;

use std::backtrace::{Backtrace, BacktraceStatus};
use std::error::Error;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

pub use error_types::ErrorTypes;
pub use traceback::Traceback;
use trail::Trail;

/// Display adapter for anything printable, so [`Failure::msg`] can wrap it as an error.
struct Message<M>(M);

impl<M: fmt::Display> fmt::Display for Message<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<M: fmt::Display> fmt::Debug for Message<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0.to_string())
    }
}

impl<M: fmt::Display> Error for Message<M> {}

/// The error half of a Deferred's result: Twisted's `Failure`, in Rust terms.
///
/// A `Failure` wraps any `std::error::Error + Send + Sync + 'static`. Because of the blanket
/// `From<E>` impl, `?` turns any such error into a `Failure`, so a callback or errback "raises"
/// by returning `Err` or using `?`. A `Failure` is cheap to clone (one reference count) and is
/// `Send + Sync`, so it can cross threads even though Deferreds cannot.
///
/// It records where it was made (the `?` or constructor call site) and, following the rules of
/// [`std::backtrace::Backtrace::capture`], a backtrace when `RUST_BACKTRACE` or
/// `RUST_LIB_BACKTRACE` ask for one.
///
/// Like `anyhow::Error`, `Failure` does not itself implement `std::error::Error` (that would
/// overlap `From<T> for T`); use [`Failure::error`] or `AsRef<dyn Error>` to reach the error,
/// and `?` (or [`Failure::into_error`]) where a `Box<dyn Error>` is wanted.
/// [`Failure::traceback`] shows all it knows of where it came from.
///
/// ```
/// use deferreds::Failure;
/// use std::num::ParseIntError;
///
/// fn parse(s: &str) -> Result<i64, Failure> {
///     Ok(s.parse::<i64>()?)
/// }
///
/// let failure = parse("four").unwrap_err();
/// assert!(failure.check::<ParseIntError>());
/// assert_eq!(failure.error_message(), "invalid digit found in string");
/// assert_eq!(failure.type_name(), "core::num::error::ParseIntError");
/// ```
#[derive(Clone)]
pub struct Failure {
    /// Shared by clones until one of them records a frame of its own (`push_frame`).
    inner: Arc<Inner>,
}

/// One failure on one journey: clones share the failure, and each its own journey.
#[derive(Clone)]
pub(crate) struct Inner {
    failure: Arc<Core>,
    trail: Trail,
}

/// The failure itself, whatever journeys its clones make.
struct Core {
    error: Box<dyn Error + Send + Sync + 'static>,
    type_name: &'static str,
    location: &'static Location<'static>,
    backtrace: Backtrace,
}

impl Drop for Core {
    /// The error may hold other failures, each holding more: drop them in a loop, not
    /// nested one inside the other. `fmt::Error` is zero-sized, so its box allocates nothing.
    fn drop(&mut self) {
        nested_drop::drop_error(std::mem::replace(&mut self.error, Box::new(fmt::Error)));
    }
}

/// One step of a failure's logical call path: an `#[inline_callbacks]` function it travelled
/// out of, and the `yield_!` that function was waiting at (or its own line, if it failed
/// before waiting on anything).
///
/// ```
/// use deferreds::{inline_callbacks, testing, Deferred, Failure};
///
/// #[inline_callbacks]
/// fn inner() -> Result<u8, Failure> {
///     let _: () = yield_!(Deferred::<()>::fail(Failure::msg("disk on fire")))?;
///     Ok(1)
/// }
///
/// #[inline_callbacks]
/// fn outer() -> Result<u8, Failure> {
///     yield_!(inner())
/// }
///
/// let failure = testing::failure_result_of(outer());
/// let path: Vec<&str> = failure.async_frames().iter().map(|f| f.function()).collect();
/// assert_eq!(path, ["inner", "outer"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsyncFrame {
    function: &'static str,
    file: &'static str,
    line: u32,
}

impl AsyncFrame {
    pub(crate) fn new(function: &'static str, file: &'static str, line: u32) -> Self {
        AsyncFrame {
            function,
            file,
            line,
        }
    }

    /// The function's name.
    ///
    /// ```
    /// use deferreds::{inline_callbacks, testing, Failure};
    ///
    /// #[inline_callbacks]
    /// fn lookup() -> Result<u8, Failure> {
    ///     Err(Failure::msg("no such host"))
    /// }
    ///
    /// let frames = testing::failure_result_of(lookup()).async_frames();
    /// assert_eq!(frames[0].function(), "lookup");
    /// ```
    pub fn function(&self) -> &'static str {
        self.function
    }

    /// The source file of the `yield_!` the function was waiting at.
    ///
    /// ```
    /// use deferreds::{inline_callbacks, testing, Failure};
    ///
    /// #[inline_callbacks]
    /// fn lookup() -> Result<u8, Failure> {
    ///     Err(Failure::msg("no such host"))
    /// }
    ///
    /// let frames = testing::failure_result_of(lookup()).async_frames();
    /// assert!(frames[0].file().ends_with(".rs"));
    /// ```
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The line of the `yield_!` the function was waiting at (the function's own line if it
    /// failed before waiting on anything).
    ///
    /// ```
    /// use deferreds::{inline_callbacks, testing, Deferred, Failure};
    ///
    /// #[inline_callbacks]
    /// fn fetch(d: Deferred<u8>) -> Result<u8, Failure> {
    ///     let value = yield_!(d)?; // the frame points here
    ///     Ok(value)
    /// }
    ///
    /// let failure = testing::failure_result_of(fetch(Deferred::fail(Failure::msg("gone"))));
    /// let frame = failure.async_frames()[0];
    /// println!("waiting at line {}", frame.line()); // the `yield_!` line
    /// assert_eq!(frame.function(), "fetch");
    /// ```
    pub fn line(&self) -> u32 {
        self.line
    }
}

impl fmt::Display for AsyncFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}:{})", self.function, self.file, self.line)
    }
}

impl Failure {
    /// Wraps an error.
    ///
    /// ```
    /// use deferreds::Failure;
    /// let f = Failure::new(std::fmt::Error);
    /// assert!(f.check::<std::fmt::Error>());
    /// ```
    #[track_caller]
    pub fn new<E: Error + Send + Sync + 'static>(error: E) -> Self {
        Self::from_parts(Box::new(error), std::any::type_name::<E>())
    }

    /// A failure carrying only a message, for errors that need no type of their own.
    ///
    /// ```
    /// use deferreds::Failure;
    /// let f = Failure::msg("the pod bay doors are stuck");
    /// assert_eq!(f.error_message(), "the pod bay doors are stuck");
    /// ```
    #[track_caller]
    pub fn msg<M: fmt::Display + Send + Sync + 'static>(message: M) -> Self {
        Self::from_parts(Box::new(Message(message)), "message")
    }

    /// Wraps an already boxed error (`Box<dyn Error>` is not itself an `Error`).
    ///
    /// ```
    /// use deferreds::Failure;
    /// let boxed: Box<dyn std::error::Error + Send + Sync> = "bad input".into();
    /// assert_eq!(Failure::from_boxed(boxed).error_message(), "bad input");
    /// ```
    #[track_caller]
    pub fn from_boxed(error: Box<dyn Error + Send + Sync + 'static>) -> Self {
        Self::from_parts(error, "Box<dyn Error>")
    }

    #[track_caller]
    fn from_parts(error: Box<dyn Error + Send + Sync + 'static>, type_name: &'static str) -> Self {
        Self::with_backtrace(error, type_name, Backtrace::capture())
    }

    /// A failure the library itself makes (cancelled, abandoned, panicked): where it was made
    /// is library code, so no backtrace is captured for it, whatever the environment asks.
    #[track_caller]
    pub(crate) fn of_library<E: Error + Send + Sync + 'static>(error: E) -> Self {
        let type_name = std::any::type_name::<E>();
        Self::with_backtrace(Box::new(error), type_name, Backtrace::disabled())
    }

    /// The failure as the one shared pointer it is: the engine keeps it in one word.
    pub(crate) fn into_shared(self) -> Arc<Inner> {
        self.inner
    }

    /// The failure [`into_shared`](Self::into_shared) gave.
    pub(crate) fn from_shared(inner: Arc<Inner>) -> Self {
        Failure { inner }
    }

    #[track_caller]
    fn with_backtrace(
        error: Box<dyn Error + Send + Sync + 'static>,
        type_name: &'static str,
        backtrace: Backtrace,
    ) -> Self {
        let failure = Arc::new(Core {
            error,
            type_name,
            location: Location::caller(),
            backtrace,
        });
        Failure {
            inner: Arc::new(Inner {
                failure,
                trail: Trail::default(),
            }),
        }
    }

    fn core(&self) -> &Core {
        &self.inner.failure
    }

    /// The error's sources, outermost first (the error itself not included).
    fn sources(&self) -> impl Iterator<Item = &(dyn Error + 'static)> {
        std::iter::successors(self.core().error.source(), |&cause| cause.source())
    }

    /// The backtrace, if one was captured: an empty one tells nothing worth showing.
    pub(crate) fn captured_backtrace(&self) -> Option<&Backtrace> {
        let backtrace = &self.core().backtrace;
        (backtrace.status() == BacktraceStatus::Captured).then_some(backtrace)
    }

    /// Is the wrapped error an `E`? Twisted's `Failure.check`.
    ///
    /// ```
    /// use deferreds::{CancelledError, Failure};
    /// let f = Failure::new(CancelledError);
    /// assert!(f.check::<CancelledError>());
    /// assert!(!f.check::<std::fmt::Error>());
    /// ```
    pub fn check<E: Error + 'static>(&self) -> bool {
        self.core().error.is::<E>()
    }

    /// In an errback: the error if it is an `E`, else this same failure back as `Err`, so
    /// `f.trap::<E>()?` lets every other failure continue down the error path. Twisted's
    /// `Failure.trap`.
    ///
    /// ```
    /// use deferreds::{Deferred, Failure};
    /// use std::num::ParseIntError;
    ///
    /// let d: Deferred<i64> = Deferred::fail(Failure::new(std::fmt::Error));
    /// let d = d.add_errback(|f| {
    ///     f.trap::<ParseIntError>()?; // not a ParseIntError: re-fails with `f`
    ///     Ok(0)
    /// });
    /// assert!(deferreds::testing::failure_result_of(d).check::<std::fmt::Error>());
    /// ```
    #[allow(clippy::result_large_err)]
    pub fn trap<E: Error + 'static>(&self) -> Result<&E, Failure> {
        self.downcast_ref::<E>().ok_or_else(|| self.clone())
    }

    /// Is the wrapped error one of the types in the tuple `T`? The place in `T` of the first
    /// that it is, or `None`. Twisted's `Failure.check` with several types, which gives the
    /// type that matched.
    ///
    /// ```
    /// use deferreds::{CancelledError, Failure, TimeoutError};
    ///
    /// let f = Failure::new(CancelledError);
    /// assert_eq!(f.check_any::<(TimeoutError, CancelledError)>(), Some(1));
    /// assert_eq!(f.check_any::<(TimeoutError, std::fmt::Error)>(), None);
    /// ```
    pub fn check_any<T: ErrorTypes>(&self) -> Option<usize> {
        T::position_of(self.error())
    }

    /// In an errback: the place in the tuple `T` of the first type the error is, else this
    /// same failure back as `Err`, so `f.trap_any::<(A, B)>()?` lets every other failure
    /// continue down the error path. Twisted's `f.trap(SpamError, EggError)`, which gives the
    /// type that matched; [`downcast_ref`](Failure::downcast_ref) gives the error itself.
    ///
    /// ```
    /// use deferreds::{testing, CancelledError, Deferred, Failure, TimeoutError};
    ///
    /// fn recover(d: Deferred<&'static str>) -> Deferred<&'static str> {
    ///     d.add_errback(|f| match f.trap_any::<(TimeoutError, CancelledError)>()? {
    ///         0 => Ok("too slow"),
    ///         _ => Ok("called off"),
    ///     })
    /// }
    ///
    /// let (d, _resolver) = Deferred::new();
    /// d.cancel();
    /// assert_eq!(testing::success_result_of(recover(d)), "called off");
    /// let other = recover(Deferred::fail(Failure::msg("disk full"))); // re-fails
    /// assert_eq!(testing::failure_result_of(other).error_message(), "disk full");
    /// ```
    pub fn trap_any<T: ErrorTypes>(&self) -> Result<usize, Failure> {
        self.check_any::<T>().ok_or_else(|| self.clone())
    }

    /// The wrapped error as an `E`, if it is one.
    ///
    /// ```
    /// use deferreds::{Failure, PanicError};
    /// let f = Failure::new(PanicError::new("boom"));
    /// assert_eq!(f.downcast_ref::<PanicError>().unwrap().message(), "boom");
    /// ```
    pub fn downcast_ref<E: Error + 'static>(&self) -> Option<&E> {
        self.core().error.downcast_ref::<E>()
    }

    /// The wrapped error, for interop with code that takes `&dyn Error`.
    ///
    /// ```
    /// use deferreds::Failure;
    /// let f = Failure::msg("gone");
    /// assert_eq!(f.error().to_string(), "gone");
    /// ```
    pub fn error(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.core().error
    }

    /// The error's message (its `Display`). Twisted's `getErrorMessage`.
    ///
    /// ```
    /// use deferreds::Failure;
    /// assert_eq!(Failure::msg("oops").error_message(), "oops");
    /// ```
    pub fn error_message(&self) -> String {
        self.core().error.to_string()
    }

    /// The name of the wrapped error's type, as `std::any::type_name` gives it (`"message"`
    /// for [`Failure::msg`]). Twisted's `Failure.type`.
    ///
    /// ```
    /// use deferreds::Failure;
    /// assert_eq!(Failure::new(std::fmt::Error).type_name(), "core::fmt::Error");
    /// ```
    pub fn type_name(&self) -> &'static str {
        self.core().type_name
    }

    /// The wrapped error type's own name, without its path or generic arguments. Twisted's
    /// `f.type.__name__`. Failures without an error type of their own keep their
    /// [`type_name`](Failure::type_name): `"message"` for [`Failure::msg`] and
    /// `"Box<dyn Error>"` for [`Failure::from_boxed`].
    ///
    /// ```
    /// use deferreds::{CancelledError, Failure};
    /// assert_eq!(Failure::new(CancelledError).type_name(), "deferreds::errors::CancelledError");
    /// assert_eq!(Failure::new(CancelledError).short_type_name(), "CancelledError");
    /// assert_eq!(Failure::msg("gone").short_type_name(), "message");
    /// ```
    pub fn short_type_name(&self) -> &'static str {
        let type_name = self.core().type_name;
        // `split` yields at least one piece: the type's path before its generic arguments.
        let path = type_name.split('<').next().unwrap_or(type_name);
        match path.rsplit_once("::") {
            Some((_, name)) => name,
            None => type_name,
        }
    }

    /// Where the failure was made: the `?`, `Failure::new` or library call that wrapped it.
    ///
    /// ```
    /// use deferreds::Failure;
    /// let f = Failure::msg("here");
    /// assert_eq!(f.location().line(), line!() - 1);
    /// ```
    pub fn location(&self) -> &'static Location<'static> {
        self.core().location
    }

    /// The backtrace captured when the failure was made. Whether one is captured follows
    /// [`Backtrace::capture`]: set `RUST_BACKTRACE=1` (or `RUST_LIB_BACKTRACE=1`) to get one.
    /// Failures the library makes itself ([`CancelledError`](crate::CancelledError),
    /// [`AbandonedError`](crate::AbandonedError), [`PanicError`](crate::PanicError)) carry
    /// none: it would only show library internals, at a cost per failure. This is the raw
    /// backtrace, library frames and all; Twisted's `getTraceback` is
    /// [`traceback`](Failure::traceback).
    ///
    /// ```
    /// use deferreds::Failure;
    /// let f = Failure::msg("where?");
    /// println!("{}", f.backtrace());
    /// ```
    pub fn backtrace(&self) -> &Backtrace {
        &self.core().backtrace
    }

    /// The failure's traceback, Twisted's `getTraceback`: the short type name and message,
    /// each source, where the failure was raised, the `#[inline_callbacks]` functions it
    /// travelled out of, and, only if one was captured, the backtrace trimmed to your own
    /// frames. See [`Traceback`] for the layout.
    ///
    /// ```
    /// use deferreds::{inline_callbacks, testing, Failure};
    ///
    /// #[inline_callbacks]
    /// fn fetch() -> Result<u8, Failure> {
    ///     Err(Failure::new(std::fmt::Error))
    /// }
    ///
    /// let failure = testing::failure_result_of(fetch());
    /// println!("{}", failure.traceback());
    /// let traceback = failure.traceback().to_string();
    /// let mut lines = traceback.lines();
    /// assert_eq!(lines.next(), Some("Error: an error occurred when formatting an argument"));
    /// assert!(lines.next().unwrap().starts_with("  raised at "));
    /// assert!(lines.next().unwrap().starts_with("  in fetch ("));
    /// ```
    pub fn traceback(&self) -> Traceback<'_> {
        Traceback::new(self)
    }

    /// The logical call path the failure travelled: each `#[inline_callbacks]` function it
    /// left, innermost first (Twisted users call this an async traceback). Recording a frame
    /// costs no OS backtrace capture. A clone starts with the path so far and then records
    /// its own: a failure kept and returned again (a cached error) gains nothing from the
    /// journeys of its clones.
    ///
    /// ```
    /// use deferreds::{inline_callbacks, testing, Failure};
    ///
    /// #[inline_callbacks]
    /// fn inner() -> Result<(), Failure> {
    ///     Err(Failure::msg("disk full"))
    /// }
    ///
    /// #[inline_callbacks]
    /// fn outer() -> Result<(), Failure> {
    ///     yield_!(inner())
    /// }
    ///
    /// let failure = testing::failure_result_of(outer());
    /// let path: Vec<_> = failure.async_frames().iter().map(|frame| frame.function()).collect();
    /// assert_eq!(path, ["inner", "outer"]);
    /// assert!(Failure::msg("plain").async_frames().is_empty());
    /// ```
    pub fn async_frames(&self) -> Vec<AsyncFrame> {
        self.inner.trail.frames()
    }

    /// The failure as a standard boxed error, for code that deals in `Box<dyn Error>`: the
    /// same as `Box::<dyn Error + Send + Sync>::from(failure)`, without naming the box.
    ///
    /// The box's `Display` is the failure's message, its `Debug` the failure's `Debug`
    /// (type, sources, where it was raised, async frames, backtrace), and its `source()` the
    /// error's own `source()`: walking the chain gives the failure's message, then each
    /// source's, once each. The box holds the failure, not its error, so
    /// `downcast_ref` on the box does not reach the error's type: match on the `Failure`
    /// ([`check`](Failure::check), [`downcast_ref`](Failure::downcast_ref)) before
    /// converting it.
    ///
    /// ```
    /// use deferreds::Failure;
    /// use std::io;
    ///
    /// let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "connection refused");
    /// let error = Failure::new(refused).into_error();
    /// assert_eq!(error.to_string(), "connection refused");
    /// assert!(error.source().is_none());
    /// ```
    pub fn into_error(self) -> Box<dyn Error + Send + Sync + 'static> {
        Box::new(boxed::FailureError(self))
    }

    /// Records a frame on this clone's journey only: a trail shared with other clones is
    /// left to them (copy on write: one small allocation, the earlier frames stay shared).
    pub(crate) fn push_frame(&mut self, frame: AsyncFrame) {
        Arc::make_mut(&mut self.inner).trail.push(frame);
    }

    /// Do both handles share the same underlying failure? (Twisted tests use `is` for this.)
    ///
    /// ```
    /// use deferreds::Failure;
    /// let f = Failure::msg("x");
    /// assert!(f.ptr_eq(&f.clone()));
    /// assert!(!f.ptr_eq(&Failure::msg("x")));
    /// ```
    pub fn ptr_eq(&self, other: &Failure) -> bool {
        Arc::ptr_eq(&self.inner.failure, &other.inner.failure)
    }
}

impl<E: Error + Send + Sync + 'static> From<E> for Failure {
    #[track_caller]
    fn from(error: E) -> Self {
        Failure::new(error)
    }
}

/// `?` on a failure in a function returning `Box<dyn Error + Send + Sync>`, a box that can
/// cross threads; see [`Failure::into_error`] for what the box shows.
///
/// ```
/// use deferreds::Failure;
/// use std::error::Error;
///
/// fn parse_port(text: &str) -> Result<u16, Failure> {
///     Ok(text.parse::<u16>()?)
/// }
///
/// fn port(text: &str) -> Result<u16, Box<dyn Error + Send + Sync>> {
///     Ok(parse_port(text)?)
/// }
///
/// let error = port("http").unwrap_err();
/// let message = std::thread::spawn(move || error.to_string()).join().unwrap();
/// assert_eq!(message, "invalid digit found in string");
/// ```
impl From<Failure> for Box<dyn Error + Send + Sync + 'static> {
    fn from(failure: Failure) -> Self {
        failure.into_error()
    }
}

/// `?` on a failure in a function returning `Box<dyn Error>`, such as `main`; see
/// [`Failure::into_error`] for what the box shows.
///
/// ```
/// use deferreds::Failure;
/// use std::error::Error;
///
/// fn parse_port(text: &str) -> Result<u16, Failure> {
///     Ok(text.parse::<u16>()?)
/// }
///
/// fn main() -> Result<(), Box<dyn Error>> {
///     let port = parse_port("8080")?;
///     assert_eq!(port, 8080);
///     let error = (|| -> Result<u16, Box<dyn Error>> { Ok(parse_port("http")?) })();
///     assert_eq!(error.unwrap_err().to_string(), "invalid digit found in string");
///     Ok(())
/// }
/// ```
impl From<Failure> for Box<dyn Error + 'static> {
    fn from(failure: Failure) -> Self {
        failure.into_error()
    }
}

impl AsRef<dyn Error + Send + Sync> for Failure {
    fn as_ref(&self) -> &(dyn Error + Send + Sync + 'static) {
        self.error()
    }
}

impl AsRef<dyn Error> for Failure {
    fn as_ref(&self) -> &(dyn Error + 'static) {
        self.error()
    }
}

/// The error's message; the alternate form (`{:#}`) adds its sources, and the
/// `#[inline_callbacks]` functions the failure travelled out of, one per line.
///
/// ```
/// use deferreds::{inline_callbacks, testing, Failure};
///
/// #[inline_callbacks]
/// fn fetch() -> Result<u8, Failure> {
///     Err(Failure::msg("no route to host"))
/// }
///
/// let failure = testing::failure_result_of(fetch());
/// assert_eq!(failure.to_string(), "no route to host");
/// let detailed = format!("{failure:#}");
/// assert!(detailed.starts_with("no route to host\n  in fetch ("), "{detailed}");
/// ```
impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.core().error)?;
        if f.alternate() {
            for cause in self.sources() {
                write!(f, ": {cause}")?;
            }
            for frame in self.inner.trail.frames() {
                write!(f, "\n  in {frame}")?;
            }
        }
        Ok(())
    }
}

/// Shows the type, message, sources, where the failure was made and the backtrace if one
/// was captured.
///
/// ```
/// use deferreds::Failure;
///
/// let failure = Failure::msg("disk full");
/// let shown = format!("{failure:?}");
/// assert!(shown.starts_with("Failure message: disk full\n  at "));
/// assert!(shown.contains(file!()));
/// ```
impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let core = self.core();
        write!(f, "Failure {}: {}", core.type_name, core.error)?;
        for cause in self.sources() {
            write!(f, "\n  caused by: {cause}")?;
        }
        write!(f, "\n  at {}", core.location)?;
        for frame in self.inner.trail.frames() {
            write!(f, "\n  in {frame}")?;
        }
        if let Some(backtrace) = self.captured_backtrace() {
            write!(f, "\n\nBacktrace:\n{backtrace}")?;
        }
        Ok(())
    }
}
