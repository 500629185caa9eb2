//! A failure's traceback, Twisted's `getTraceback`: what went wrong, why, and the way it
//! came, in the user's terms.

use std::fmt;

use super::Failure;

/// A failure's traceback, from [`Failure::traceback`]: printing it allocates only to list the
/// `#[inline_callbacks]` functions it travelled out of (one list) and a captured backtrace.
///
/// The layout, one item per line, is stable:
///
/// ```text
/// ConnectionError: connection refused     short type name: message
///   caused by: timed out                  each source, outermost first
///   raised at src/client.rs:12:5          where the failure was made
///   in fetch (src/client.rs:30)           each #[inline_callbacks] function left, innermost first
///   backtrace:                            only if one was captured, and only your frames:
///      3: client::fetch::{{closure}}      std's lines, without std, core, alloc, this
///              at ./src/client.rs:12:5    library, genawaiter, or the runtime's start
/// ```
///
/// ```
/// use deferreds::{testing, Deferred};
///
/// let (d, _resolver) = Deferred::<u8>::new();
/// d.cancel();
/// let failure = testing::failure_result_of(d);
/// let traceback = failure.traceback().to_string();
/// assert!(traceback.starts_with("CancelledError: the Deferred was cancelled\n  raised at "));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Traceback<'a> {
    failure: &'a Failure,
}

impl<'a> Traceback<'a> {
    pub(super) fn new(failure: &'a Failure) -> Self {
        Traceback { failure }
    }
}

impl fmt::Display for Traceback<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failure = self.failure;
        write!(f, "{}: {}", failure.short_type_name(), failure.error())?;
        for cause in failure.sources() {
            write!(f, "\n  caused by: {cause}")?;
        }
        write!(f, "\n  raised at {}", failure.location())?;
        for frame in failure.async_frames() {
            write!(f, "\n  in {frame}")?;
        }
        if let Some(backtrace) = failure.captured_backtrace() {
            let text = backtrace.to_string();
            let mut frames = user_frames(&text).peekable();
            if frames.peek().is_some() {
                f.write_str("\n  backtrace:")?;
                for line in frames {
                    write!(f, "\n{line}")?;
                }
            }
        }
        Ok(())
    }
}

/// Where the runtime hands over to the program (`main`, a test, a spawned thread): this
/// frame and all below it are the runtime's.
const RUNTIME_START: &str = "__rust_begin_short_backtrace";

/// Symbols of code that is not the user's: the standard library, this library and the
/// generators it runs `#[inline_callbacks]` bodies in, and the compiler's unwinding shims.
const LIBRARY_PREFIXES: [&str; 6] = [
    "std::",
    "core::",
    "alloc::",
    "deferreds::",
    "genawaiter::",
    "__rust",
];

/// The lines of `backtrace` (as `std::backtrace::Backtrace` prints it) about the user's own
/// code: each frame's symbol line and its `at` lines, with the library's frames and the
/// runtime's start left out.
pub(super) fn user_frames(backtrace: &str) -> impl Iterator<Item = &str> {
    let mut in_user_frame = false;
    backtrace
        .lines()
        .take_while(|line| !line.contains(RUNTIME_START))
        .filter(move |line| {
            let line = line.trim_start();
            // An `at` line belongs to the symbol above it: kept or dropped with it.
            if !line.starts_with("at ") {
                in_user_frame = !is_library_symbol(symbol(line));
            }
            in_user_frame
        })
}

/// A symbol line without its frame number (inlined symbols after a frame's first have none).
fn symbol(line: &str) -> &str {
    match line.split_once(": ") {
        Some((number, symbol)) if number.bytes().all(|b| b.is_ascii_digit()) => symbol,
        _ => line,
    }
}

/// Is `symbol` the library's? A trait method, `<Type as Trait>::method`, is its type's, or
/// its trait's when the type is a built-in one (a function pointer, a tuple, `str`).
fn is_library_symbol(symbol: &str) -> bool {
    let self_type = ["mut ", "const ", "dyn "].iter().fold(
        symbol.trim_start_matches(['<', '&', '*']),
        |path, qualifier| path.strip_prefix(qualifier).unwrap_or(path),
    );
    let owner = match symbol.split_once(" as ") {
        Some((_, trait_path)) if !is_path(self_type) => trait_path,
        _ => self_type,
    };
    LIBRARY_PREFIXES
        .iter()
        .any(|prefix| owner.starts_with(prefix))
}

/// Does `name` start with a path (`app::Client`), rather than a built-in type?
fn is_path(name: &str) -> bool {
    let end = name
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(name.len());
    name[..end].contains("::")
}

#[cfg(test)]
mod tests {
    use super::user_frames;

    /// A backtrace as std prints one for a failure raised in an `#[inline_callbacks]`
    /// function called from `main`.
    const CAPTURED: &str = "   0: deferreds::failure::Failure::from_parts
             at ./src/failure.rs:229:48
   1: deferreds::failure::Failure::msg
             at ./src/failure.rs:212:9
   2: app::inner::{{closure}}::{{closure}}
             at ./src/main.rs:6:9
   3: genawaiter::core::advance
             at /cargo/genawaiter-0.99.1/src/core.rs:34:18
   4: deferreds::inline::Driver<R,F>::resume::{{closure}}
             at ./src/inline.rs:165:42
   5: <core::panic::unwind_safe::AssertUnwindSafe<F> as core::ops::function::FnOnce<()>>::call_once
             at /rustc/library/core/src/panic/unwind_safe.rs:274:9
   6: __rust_try
   7: std::panicking::catch_unwind
             at /rustc/library/std/src/panicking.rs:544:19
   8: <&mut deferreds::inline::Driver<R,F> as core::ops::function::FnMut<()>>::call_mut
             at ./src/inline.rs:170:5
   9: <app::Client as alloc::borrow::ToOwned>::to_owned
             at ./src/main.rs:40:5
      app::inlined_helper
             at ./src/main.rs:44:5
  10: app::inner
             at ./src/main.rs:2:1
  11: <unknown>
  12: app::main
             at ./src/main.rs:16:47
  13: <fn() -> core::result::Result<(), alloc::string::String> as core::ops::function::FnOnce<()>>::call_once
             at /rustc/library/core/src/ops/function.rs:250:5
      <str as core::fmt::Display>::fmt
             at /rustc/library/core/src/fmt/mod.rs:2:1
      <(app::A, app::B) as deferreds::failure::error_types::sealed::Sealed>::position_of
             at ./src/failure/error_types.rs:35:1
      __rustc::rust_begin_unwind
             at /rustc/library/std/src/panicking.rs:689:5
      core::ops::function::FnOnce::call_once
             at /rustc/library/core/src/ops/function.rs:250:5
  14: std::sys::backtrace::__rust_begin_short_backtrace
             at /rustc/library/std/src/sys/backtrace.rs:166:18
  15: app::after_the_start
             at ./src/main.rs:99:1
  16: main
  17: _start
";

    #[test]
    fn keeps_the_users_frames_only() {
        let kept: Vec<&str> = user_frames(CAPTURED).collect();
        assert_eq!(
            kept,
            [
                "   2: app::inner::{{closure}}::{{closure}}",
                "             at ./src/main.rs:6:9",
                "   9: <app::Client as alloc::borrow::ToOwned>::to_owned",
                "             at ./src/main.rs:40:5",
                "      app::inlined_helper",
                "             at ./src/main.rs:44:5",
                "  10: app::inner",
                "             at ./src/main.rs:2:1",
                "  11: <unknown>",
                "  12: app::main",
                "             at ./src/main.rs:16:47",
            ]
        );
    }

    #[test]
    fn a_library_symbol_inlined_into_a_user_frame_is_dropped() {
        let text = "   3: app::run\n             at ./src/main.rs:3:1\n      std::hint::black_box\n             at /rustc/library/core/src/hint.rs:1:1\n";
        let kept: Vec<&str> = user_frames(text).collect();
        assert_eq!(
            kept,
            ["   3: app::run", "             at ./src/main.rs:3:1"]
        );
    }

    #[test]
    fn nothing_is_kept_of_a_library_only_backtrace() {
        let text = "   0: deferreds::guard::guarded\n             at ./src/guard.rs:19:5\n   1: std::sys::backtrace::__rust_begin_short_backtrace\n";
        assert_eq!(user_frames(text).count(), 0);
    }
}
