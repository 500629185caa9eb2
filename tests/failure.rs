//! `Failure`: Twisted's `Failure` tests that apply to Rust (`test_failAndTrap`,
//! `test_trapRaisesWrappedException`, `test_failureValueFromFailure`, `test_ExplictPass`,
//! `test_repr`), the rest of the `Failure` API, and the library's error types.
//!
//! Not ported: `test_ConstructionFails` (Rust has no "current exception" to capture) and
//! `test_throwExceptionIntoGenerator` (covered with `#[inline_callbacks]`). Rust has no
//! subclassing, so `check`/`trap` match one concrete type, and `check_any`/`trap_any` one of
//! several.

use std::backtrace::{Backtrace, BacktraceStatus};
use std::error::Error;
use std::fmt;
use std::num::ParseIntError;
use std::time::Duration;

use deferreds::testing::{failure_result_of, success_result_of};
use deferreds::{
    inline_callbacks, AbandonedError, CancelledError, Deferred, Failure, PanicError, TimeoutError,
};

#[derive(Debug, PartialEq)]
struct GenericError(&'static str);

impl fmt::Display for GenericError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "generic: {}", self.0)
    }
}

impl Error for GenericError {}

#[derive(Debug)]
struct OtherError;

impl fmt::Display for OtherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("other")
    }
}

impl Error for OtherError {}

/// An error with a chain of two sources.
#[derive(Debug)]
struct Outer {
    source: Middle,
}

#[derive(Debug)]
struct Middle {
    source: GenericError,
}

impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("request failed")
    }
}

impl Error for Outer {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

impl fmt::Display for Middle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection lost")
    }
}

impl Error for Middle {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

fn layered() -> Failure {
    Failure::new(Outer {
        source: Middle {
            source: GenericError("reset by peer"),
        },
    })
}

fn parse(s: &str) -> Result<i64, Failure> {
    Ok(s.parse::<i64>()?)
}

/// `?` turns any `Error + Send + Sync + 'static` into a `Failure` that keeps the error.
#[test]
fn question_mark_converts_errors() {
    let failure = parse("four").unwrap_err();
    assert!(failure.check::<ParseIntError>());
    assert_eq!(failure.error_message(), "invalid digit found in string");
    assert_eq!(parse("4").unwrap(), 4);
}

/// A `Failure` made by `?` records the line of the `?`.
#[test]
fn location_points_at_the_question_mark() {
    let line = line!() + 1;
    let failure = (|| -> Result<i64, Failure> { Ok("x".parse::<i64>()?) })().unwrap_err();
    assert_eq!(failure.location().file(), file!());
    assert_eq!(failure.location().line(), line);
}

/// A `?` inside a callback records the callback's line, and the chain carries the error.
#[test]
fn question_mark_in_a_callback() {
    let line = line!() + 1;
    let d = Deferred::succeed("x").add_callback(|s| Ok(s.parse::<i64>()?));
    let failure = failure_result_of(d);
    assert!(failure.check::<ParseIntError>());
    assert_eq!(failure.location().line(), line);
    assert_eq!(failure.location().file(), file!());
}

/// The constructors record their own call site.
#[test]
fn location_points_at_the_constructor() {
    let new = (Failure::new(OtherError), line!());
    let msg = (Failure::msg("m"), line!());
    let from = (Failure::from(OtherError), line!());
    let boxed = (Failure::from_boxed("b".into()), line!());
    for (failure, line) in [new, msg, from, boxed] {
        assert_eq!(failure.location().file(), file!());
        assert_eq!(failure.location().line(), line);
    }
}

/// Firing with an error records where it was fired.
#[test]
fn location_of_errback_and_fail() {
    let (d, resolver) = Deferred::<u8>::new();
    let line = line!() + 1;
    resolver.errback(OtherError);
    let failure = failure_result_of(d);
    assert_eq!(
        (failure.location().file(), failure.location().line()),
        (file!(), line)
    );

    let line = line!() + 1;
    let d: Deferred<u8> = Deferred::fail(OtherError);
    let failure = failure_result_of(d);
    assert_eq!(
        (failure.location().file(), failure.location().line()),
        (file!(), line)
    );
}

/// `Failure::new` wraps a typed error: `check`, `type_name` and `error_message` see it.
#[test]
fn failure_new() {
    let failure = Failure::new(GenericError("boom"));
    assert!(failure.check::<GenericError>());
    assert!(!failure.check::<OtherError>());
    assert_eq!(failure.type_name(), std::any::type_name::<GenericError>());
    assert_eq!(failure.error_message(), "generic: boom");
}

/// `Failure::msg` carries only a message, from anything `Display`.
#[test]
fn failure_msg() {
    let failure = Failure::msg("the pod bay doors are stuck");
    assert_eq!(failure.error_message(), "the pod bay doors are stuck");
    assert_eq!(failure.type_name(), "message");
    assert!(!failure.check::<GenericError>());
    let formatted = Failure::msg(format!("{} pods left", 3));
    assert_eq!(formatted.to_string(), "3 pods left");
}

/// `Failure::from_boxed` wraps a boxed error; the concrete type behind the box is still
/// visible to `check` and `downcast_ref`.
#[test]
fn failure_from_boxed() {
    let boxed: Box<dyn Error + Send + Sync> = "bad input".into();
    assert_eq!(Failure::from_boxed(boxed).error_message(), "bad input");

    let boxed: Box<dyn Error + Send + Sync> = Box::new(GenericError("boxed"));
    let failure = Failure::from_boxed(boxed);
    assert!(failure.check::<GenericError>());
    assert_eq!(
        failure.downcast_ref::<GenericError>(),
        Some(&GenericError("boxed"))
    );
    assert_eq!(failure.type_name(), "Box<dyn Error>");
}

/// `trap` of the failure's own type returns its error, and the failure keeps its type.
#[test]
fn test_fail_and_trap() {
    let failure = Failure::new(GenericError("trap me"));
    let trapped = failure.trap::<GenericError>().unwrap();
    assert_eq!(trapped, &GenericError("trap me"));
    assert!(failure.check::<GenericError>());
    assert_eq!(failure.type_name(), std::any::type_name::<GenericError>());
}

/// `trap` of another type gives back the very same failure as `Err`.
#[test]
fn test_trap_raises_wrapped_exception() {
    let failure = Failure::new(GenericError("not that"));
    let err = failure.trap::<OtherError>().unwrap_err();
    assert!(err.ptr_eq(&failure));
    assert!(err.check::<GenericError>());
}

/// Making a `Failure` from a `Failure` gives the same failure, not a wrapper.
#[test]
#[allow(clippy::useless_conversion)] // the conversion itself is what is tested
fn test_failure_value_from_failure() {
    let failure = Failure::new(GenericError("inner"));
    let again = Failure::from(failure.clone());
    assert!(again.ptr_eq(&failure));
    let into: Failure = failure.clone().into();
    assert!(into.ptr_eq(&failure));
    assert!(std::ptr::eq(
        again.downcast_ref::<GenericError>().unwrap(),
        failure.downcast_ref::<GenericError>().unwrap()
    ));
}

/// A successful `trap` leaves the failure's error in place, unchanged.
#[test]
fn test_explict_pass() {
    let failure = Failure::new(GenericError("stay"));
    let before: *const GenericError = failure.downcast_ref::<GenericError>().unwrap();
    failure.trap::<GenericError>().unwrap();
    let after: *const GenericError = failure.downcast_ref::<GenericError>().unwrap();
    assert_eq!(before, after);
    assert_eq!(failure.error_message(), "generic: stay");
}

/// `f.trap::<E>()?` in an errback passes any other failure on unchanged.
#[test]
fn trap_in_an_errback_passes_other_failures_on() {
    let failure = Failure::new(GenericError("passing"));
    let d: Deferred<u8> = Deferred::fail(failure.clone());
    let d = d.add_errback(|f| {
        f.trap::<OtherError>()?;
        Ok(0)
    });
    assert!(failure_result_of(d).ptr_eq(&failure));

    let d: Deferred<u8> = Deferred::fail(OtherError);
    let d = d.add_errback(|f| {
        f.trap::<OtherError>()?;
        Ok(1)
    });
    assert_eq!(success_result_of(d), 1);
}

/// `downcast_ref` gives the typed error, or `None` for another type.
#[test]
fn downcast_ref_returns_the_typed_error() {
    let failure = Failure::new(TimeoutError::new(Duration::from_secs(3)));
    let timeout = failure.downcast_ref::<TimeoutError>().unwrap();
    assert_eq!(timeout.timeout(), Duration::from_secs(3));
    assert!(failure.downcast_ref::<CancelledError>().is_none());
}

/// `error()` and `AsRef<dyn Error>` give the wrapped error, sources included.
#[test]
fn error_and_as_ref_reach_the_wrapped_error() {
    let failure = layered();
    assert_eq!(failure.error().to_string(), "request failed");
    assert_eq!(
        failure.error().source().unwrap().to_string(),
        "connection lost"
    );
    let as_dyn: &dyn Error = failure.as_ref();
    assert_eq!(as_dyn.to_string(), "request failed");
    let as_send: &(dyn Error + Send + Sync) = failure.as_ref();
    assert!(as_send.is::<Outer>());
}

/// `{}` shows the error's message only; `{:#}` adds its sources.
#[test]
fn display_plain_and_alternate() {
    let failure = layered();
    assert_eq!(failure.to_string(), "request failed");
    assert_eq!(
        format!("{failure:#}"),
        "request failed: connection lost: generic: reset by peer"
    );
    assert_eq!(format!("{:#}", Failure::msg("alone")), "alone");
}

/// `Debug` shows the type, the message, each source and where the failure was made.
#[test]
fn debug_shows_type_message_sources_and_location() {
    let failure = layered();
    let text = format!("{failure:?}");
    let head = format!(
        "Failure {}: request failed\n  caused by: connection lost\n  caused by: generic: reset by peer\n  at {}:",
        std::any::type_name::<Outer>(),
        file!()
    );
    assert!(text.starts_with(&head), "{text}");
    let at = format!("at {}:{}:", file!(), failure.location().line());
    assert!(text.contains(&at), "{text}");
}

/// Twisted's `repr` shows the type and message; so does `Debug`.
#[test]
fn test_repr() {
    let failure = parse("1/0").unwrap_err();
    let text = format!("{failure:?}");
    assert!(
        text.starts_with("Failure core::num::error::ParseIntError: invalid digit found in string"),
        "{text}"
    );
}

/// The backtrace follows `std::backtrace` rules, `Debug` shows it exactly when it was
/// captured, and clones share it.
#[test]
fn backtrace_follows_std_rules() {
    let failure = Failure::msg("where?");
    assert_eq!(failure.backtrace().status(), Backtrace::capture().status());
    let captured = failure.backtrace().status() == BacktraceStatus::Captured;
    assert_eq!(
        format!("{failure:?}").contains("\n\nBacktrace:\n"),
        captured
    );
    assert!(std::ptr::eq(
        failure.backtrace(),
        failure.clone().backtrace()
    ));
}

/// Clones share one failure; separately made failures are distinct even when equal.
#[test]
fn clone_shares_the_failure() {
    let failure = Failure::new(GenericError("shared"));
    let clone = failure.clone();
    assert!(clone.ptr_eq(&failure));
    assert!(std::ptr::eq(
        clone.error() as *const _ as *const u8,
        failure.error() as *const _ as *const u8
    ));
    assert!(!Failure::new(GenericError("shared")).ptr_eq(&failure));
}

/// An error that holds the failure before it, as its source.
#[derive(Debug, thiserror::Error)]
#[error("wrapped")]
struct Wrapped(#[source] WrappedFailure);

/// A `Failure` as an error's source (a `Failure` is not itself an `Error`).
#[derive(Debug)]
struct WrappedFailure(Failure);

impl fmt::Display for WrappedFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Error for WrappedFailure {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.error().source()
    }
}

/// Dropping a failure whose error wraps a million failures, each through the one before,
/// does not overflow even a small stack.
#[test]
fn dropping_a_million_nested_failures_does_not_overflow() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let mut failure = Failure::msg("root cause");
            for _ in 0..1_000_000 {
                failure = Failure::new(Wrapped(WrappedFailure(failure)));
            }
            drop(failure);
        })
        .unwrap()
        .join()
        .unwrap();
}

/// An error whose `Drop` panics, holding a failure of its own.
#[derive(Debug, thiserror::Error)]
#[error("bomb")]
struct Bomb(WrappedFailure);

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("bomb went off");
    }
}

/// An error holding a count of who holds it.
#[derive(Debug, thiserror::Error)]
#[error("counted")]
struct Counted(std::sync::Arc<()>);

/// A panicking `Drop` of an error inside nested failures leaves nothing behind: the failure
/// it held is still dropped, and failures dropped afterwards on the thread are dropped too.
#[test]
fn a_panicking_error_drop_leaves_failures_droppable() {
    let count = std::sync::Arc::new(());
    let held = Failure::new(Counted(count.clone()));
    let bomb = Failure::new(Bomb(WrappedFailure(held)));
    let failure = Failure::new(Wrapped(WrappedFailure(bomb)));
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(failure)));
    assert!(dropped.is_err());
    assert_eq!(std::sync::Arc::strong_count(&count), 1);

    let later = Failure::new(Wrapped(WrappedFailure(Failure::new(Counted(
        count.clone(),
    )))));
    drop(later);
    assert_eq!(std::sync::Arc::strong_count(&count), 1);
}

thread_local! {
    static KEPT: std::cell::RefCell<Option<Failure>> = const { std::cell::RefCell::new(None) };
}

/// A failure dropped as its thread exits, after the library's own thread-locals are gone,
/// is dropped in place without a panic.
#[test]
fn a_failure_dropped_at_thread_exit() {
    let count = std::sync::Arc::new(());
    let held = count.clone();
    std::thread::spawn(move || {
        // Registered first, so destroyed last: after those the drop below sets up.
        KEPT.with(|kept| {
            *kept.borrow_mut() = Some(Failure::new(Wrapped(WrappedFailure(Failure::new(
                Counted(held),
            )))))
        });
        drop(Failure::msg("sets up the library's thread-locals"));
    })
    .join()
    .unwrap();
    assert_eq!(std::sync::Arc::strong_count(&count), 1);
}

/// A `Failure` can cross threads (Deferreds cannot).
#[test]
fn failure_crosses_threads() {
    let failure = std::thread::spawn(|| Failure::new(GenericError("from a worker")))
        .join()
        .unwrap();
    assert_eq!(
        failure.downcast_ref::<GenericError>(),
        Some(&GenericError("from a worker"))
    );
    let clone = failure.clone();
    let message = std::thread::spawn(move || clone.error_message())
        .join()
        .unwrap();
    assert_eq!(message, "generic: from a worker");
}

/// A callback panicking with a formatted message (a `String` payload) becomes a
/// `PanicError` carrying that message.
#[test]
fn panic_error_carries_a_string_payload() {
    let d = Deferred::succeed(7)
        .add_callback(|n| -> Result<u8, Failure> { panic!("no more pods after {n}") });
    let failure = failure_result_of(d);
    let panic = failure.downcast_ref::<PanicError>().unwrap();
    assert_eq!(panic.message(), "no more pods after 7");
    assert_eq!(
        failure.error_message(),
        "a callback panicked: no more pods after 7"
    );
}

/// A callback panicking with a literal (a `&str` payload) becomes a `PanicError` with it.
#[test]
fn panic_error_carries_a_str_payload() {
    let d = Deferred::succeed(())
        .add_callback(|()| -> Result<u8, Failure> { std::panic::panic_any("static message") });
    let failure = failure_result_of(d);
    assert_eq!(
        failure.downcast_ref::<PanicError>().unwrap().message(),
        "static message"
    );

    let d = Deferred::succeed(()).add_callback(|()| -> Result<u8, Failure> { panic!("literal") });
    assert_eq!(
        failure_result_of(d)
            .downcast_ref::<PanicError>()
            .unwrap()
            .message(),
        "literal"
    );
}

/// A panic whose payload is not a string still becomes a `PanicError`, saying so.
#[test]
fn panic_error_with_a_non_string_payload() {
    let d = Deferred::succeed(())
        .add_callback(|()| -> Result<u8, Failure> { std::panic::panic_any(42u32) });
    let failure = failure_result_of(d);
    assert!(failure.check::<PanicError>());
    assert!(failure.error_message().starts_with("a callback panicked: "));
}

/// A panicking errback becomes a `PanicError` too, and the chain continues on the errback
/// side.
#[test]
fn panicking_errback_becomes_a_failure() {
    let d: Deferred<u8> = Deferred::fail(OtherError);
    let d = d
        .add_errback(|_| -> Result<u8, Failure> { panic!("errback broke") })
        .add_errback(|f| {
            assert_eq!(
                f.downcast_ref::<PanicError>().unwrap().message(),
                "errback broke"
            );
            Ok(5)
        });
    assert_eq!(success_result_of(d), 5);
}

/// The library's error types say what happened.
#[test]
fn error_type_messages() {
    assert_eq!(CancelledError.to_string(), "the Deferred was cancelled");
    assert_eq!(
        TimeoutError::new(Duration::from_secs(5)).to_string(),
        "the Deferred timed out after 5s"
    );
    assert_eq!(
        TimeoutError::new(Duration::from_millis(1500)).to_string(),
        "the Deferred timed out after 1.5s"
    );
    let abandoned = AbandonedError::default().to_string();
    assert!(
        abandoned.starts_with("the Deferred can never fire"),
        "{abandoned}"
    );
    assert!(abandoned.contains("Resolver was dropped"), "{abandoned}");
    assert_eq!(PanicError::new("x").to_string(), "a callback panicked: x");
    assert_eq!(PanicError::new("x").message(), "x");
}

/// The library's errors wrap into failures that `check` recognises and that show their
/// message.
#[test]
fn library_errors_as_failures() {
    let cancelled = Failure::new(CancelledError);
    assert!(cancelled.check::<CancelledError>());
    assert_eq!(cancelled.error_message(), "the Deferred was cancelled");
    assert_eq!(
        cancelled.type_name(),
        std::any::type_name::<CancelledError>()
    );
    let abandoned: Failure = AbandonedError::default().into();
    assert!(abandoned.check::<AbandonedError>());
    assert!(!abandoned.check::<CancelledError>());
}

/// `check` of several types names the first that matches, as Twisted's
/// `f.check(SpamError, EggError)` does; none matching is `None`.
#[test]
fn check_any_names_the_first_matching_type() {
    let failure = Failure::new(OtherError);
    assert_eq!(failure.check_any::<(OtherError,)>(), Some(0));
    assert_eq!(failure.check_any::<(GenericError, OtherError)>(), Some(1));
    assert_eq!(failure.check_any::<(OtherError, GenericError)>(), Some(0));
    assert_eq!(failure.check_any::<(OtherError, OtherError)>(), Some(0));
    assert_eq!(failure.check_any::<(GenericError, ParseIntError)>(), None);
    assert_eq!(Failure::msg("text").check_any::<(OtherError,)>(), None);
}

/// Up to eight types at once, each in its place.
#[test]
fn check_any_of_eight_types() {
    type Eight = (
        fmt::Error,
        ParseIntError,
        std::num::ParseFloatError,
        std::num::TryFromIntError,
        std::str::Utf8Error,
        std::str::ParseBoolError,
        std::char::ParseCharError,
        GenericError,
    );
    assert_eq!(Failure::new(fmt::Error).check_any::<Eight>(), Some(0));
    assert_eq!(parse("x").unwrap_err().check_any::<Eight>(), Some(1));
    let bool_error = "maybe".parse::<bool>().unwrap_err();
    assert_eq!(Failure::new(bool_error).check_any::<Eight>(), Some(5));
    assert_eq!(
        Failure::new(GenericError("g")).check_any::<Eight>(),
        Some(7)
    );
    assert_eq!(Failure::new(OtherError).check_any::<Eight>(), None);
}

/// Twisted's `test_failAndTrap` with several types: `trap` gives which one matched and the
/// failure keeps its type.
#[test]
fn test_fail_and_trap_several() {
    let failure = Failure::new(GenericError("trap me"));
    assert_eq!(failure.trap_any::<(OtherError, GenericError)>().unwrap(), 1);
    assert!(failure.check::<GenericError>());
}

/// `trap` of several types, none of them the failure's, gives back the very same failure.
#[test]
fn trap_any_of_other_types_gives_back_the_failure() {
    let failure = Failure::new(GenericError("not those"));
    let err = failure
        .trap_any::<(OtherError, ParseIntError)>()
        .unwrap_err();
    assert!(err.ptr_eq(&failure));
}

/// In an errback, `match f.trap_any::<(A, B)>()? { .. }` handles each trapped type and
/// passes any other failure on unchanged.
#[test]
fn trap_any_in_an_errback() {
    fn recover(d: Deferred<&'static str>) -> Deferred<&'static str> {
        d.add_errback(|f| match f.trap_any::<(ParseIntError, OtherError)>()? {
            0 => Ok("bad number"),
            _ => Ok("other"),
        })
    }
    assert_eq!(
        success_result_of(recover(Deferred::fail(parse("x").unwrap_err()))),
        "bad number"
    );
    assert_eq!(
        success_result_of(recover(Deferred::fail(OtherError))),
        "other"
    );
    let unrelated = Failure::new(GenericError("unrelated"));
    let passed_on = failure_result_of(recover(Deferred::fail(unrelated.clone())));
    assert!(passed_on.ptr_eq(&unrelated));
}

/// A generic error type, to name in `short_type_name`.
#[derive(Debug)]
struct Wrapper<E>(E);

impl<E: fmt::Display> fmt::Display for Wrapper<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wrapped: {}", self.0)
    }
}

impl<E: Error> Error for Wrapper<E> {}

/// The short type name is the type's own name without its path or generic arguments
/// (Twisted's `f.type.__name__`); message and boxed failures keep their labels.
#[test]
fn short_type_name_drops_path_and_generics() {
    assert_eq!(
        Failure::new(CancelledError).short_type_name(),
        "CancelledError"
    );
    assert_eq!(parse("x").unwrap_err().short_type_name(), "ParseIntError");
    assert_eq!(
        Failure::new(Wrapper(GenericError("g"))).short_type_name(),
        "Wrapper"
    );
    assert_eq!(
        Failure::new(Box::new(GenericError("boxed"))).short_type_name(),
        "Box"
    );
    assert_eq!(Failure::msg("text").short_type_name(), "message");
    let boxed: Box<dyn Error + Send + Sync> = "bad input".into();
    assert_eq!(
        Failure::from_boxed(boxed).short_type_name(),
        "Box<dyn Error>"
    );
}

/// A failure the library makes carries no backtrace, whatever the environment asks: its
/// traceback is the short type name and message, then where it was raised, exactly.
#[test]
fn traceback_of_a_failure_without_backtrace() {
    let (d, _resolver) = Deferred::<u8>::new();
    d.cancel();
    let failure = failure_result_of(d);
    assert_eq!(failure.backtrace().status(), BacktraceStatus::Disabled);
    assert_eq!(
        failure.traceback().to_string(),
        format!(
            "CancelledError: the Deferred was cancelled\n  raised at {}",
            failure.location()
        )
    );
}

#[inline_callbacks]
fn fetch_layered() -> Result<u8, Failure> {
    Err(layered())
}

#[inline_callbacks]
fn outer_fetch() -> Result<u8, Failure> {
    yield_!(fetch_layered())
}

/// The traceback lists the sources, where the failure was raised and the
/// `#[inline_callbacks]` functions it left, innermost first; the backtrace follows only if one
/// was captured, trimmed to this crate's frames.
#[test]
fn traceback_layout() {
    let failure = failure_result_of(outer_fetch());
    let frames = failure.async_frames();
    let expected = format!(
        "Outer: request failed\n  caused by: connection lost\n  caused by: generic: reset by peer\n  raised at {}\n  in fetch_layered ({file}:{})\n  in outer_fetch ({file}:{})",
        failure.location(),
        frames[0].line(),
        frames[1].line(),
        file = file!(),
    );
    let text = failure.traceback().to_string();
    if failure.backtrace().status() != BacktraceStatus::Captured {
        assert_eq!(text, expected);
        return;
    }
    let backtrace = text
        .strip_prefix(&format!("{expected}\n  backtrace:\n"))
        .unwrap_or_else(|| panic!("{text}"));
    let symbols: Vec<&str> = backtrace
        .lines()
        .map(str::trim_start)
        .filter(|line| !line.starts_with("at "))
        .collect();
    assert!(
        symbols.iter().any(|s| s.contains("failure::layered")),
        "{text}"
    );
    for library in [
        "std::",
        "core::",
        "alloc::",
        "deferreds::",
        "genawaiter::",
        "test::",
    ] {
        assert!(
            !symbols.iter().any(|s| s.contains(library)),
            "{library} in {text}"
        );
    }
}

/// The messages of an error and of its sources, outermost first.
fn messages(error: &(dyn Error + 'static)) -> Vec<String> {
    let mut messages = Vec::new();
    let mut next = Some(error);
    while let Some(error) = next {
        messages.push(error.to_string());
        next = error.source();
    }
    messages
}

/// `?` turns a failure into a `Box<dyn Error>`: its message, its sources and its `Debug`
/// survive.
#[test]
fn question_mark_into_box_dyn_error() {
    fn run(failure: Failure) -> Result<(), Box<dyn Error>> {
        Err(failure)?;
        Ok(())
    }
    let failure = layered();
    let boxed = run(failure.clone()).unwrap_err();
    assert_eq!(boxed.to_string(), "request failed");
    assert_eq!(
        messages(&*boxed),
        [
            "request failed",
            "connection lost",
            "generic: reset by peer"
        ]
    );
    assert_eq!(format!("{boxed:?}"), format!("{failure:?}"));
}

/// The `Send + Sync` box too, which can cross threads.
#[test]
fn question_mark_into_box_dyn_error_send_sync() {
    fn run(failure: Failure) -> Result<(), Box<dyn Error + Send + Sync>> {
        Err(failure)?;
        Ok(())
    }
    let boxed = run(layered()).unwrap_err();
    let chain = std::thread::spawn(move || messages(&*boxed))
        .join()
        .unwrap();
    assert_eq!(
        chain,
        [
            "request failed",
            "connection lost",
            "generic: reset by peer"
        ]
    );
}

/// `into_error` is the same conversion without naming the box type.
#[test]
fn into_error_keeps_message_and_sources() {
    let boxed = Failure::new(GenericError("boxed")).into_error();
    assert_eq!(boxed.to_string(), "generic: boxed");
    assert!(boxed.source().is_none());
    let layered = layered().into_error();
    assert_eq!(layered.source().unwrap().to_string(), "connection lost");
}
