//! Misuse of `#[inline_callbacks]` and `yield_!`, and firing a Deferred twice, fail to
//! compile, with messages that say what to do. The expected messages are checked in beside
//! each case in `tests/ui/`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    // Misuse of the event loop's API, where the loop is built in.
    #[cfg(feature = "tokio")]
    cases.compile_fail("tests/ui/tokio/*.rs");
}
