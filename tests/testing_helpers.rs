//! The trial-style helpers in `deferreds::testing`: `success_result_of`, `failure_result_of`
//! and `assert_no_result` give the right results, and each panics with a message saying what
//! it found instead; `fail_on_unhandled` fails a test that leaves an unhandled failure behind,
//! and nests with `capture_unhandled`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use deferreds::testing::{
    assert_no_result, capture_unhandled, fail_on_unhandled, failure_result_of, success_result_of,
};
use deferreds::{Deferred, Failure, UnhandledError};

/// `success_result_of` gives the value a fired Deferred has after its callbacks.
#[test]
fn success_result_of_gives_the_value() {
    let (d, resolver) = Deferred::<u8>::new();
    let d = d.add_callback(|n| Ok(u32::from(n) * 100));
    resolver.callback(4);
    assert_eq!(success_result_of(d), 400);
    assert_eq!(success_result_of(Deferred::succeed("ready")), "ready");
}

/// `success_result_of` panics when there is no result yet, and says so.
#[test]
#[should_panic(expected = "success_result_of: expected a value, found no result yet")]
fn success_result_of_panics_without_a_result() {
    let (d, _resolver) = Deferred::<u8>::new();
    success_result_of(d);
}

/// `success_result_of` on a paused Deferred panics, showing that it is paused.
#[test]
#[should_panic(expected = "has a result, paused")]
fn success_result_of_panics_on_a_paused_deferred() {
    let mut d = Deferred::succeed(1u8);
    d.pause();
    success_result_of(d);
}

/// `success_result_of` on a Deferred waiting on another one panics, showing that it waits.
#[test]
#[should_panic(expected = "waiting on another Deferred")]
fn success_result_of_panics_on_a_waiting_deferred() {
    // Captured: dropping the pieces while unwinding may report the abandoned chain.
    let _ = capture_unhandled(|| {
        let (inner, _inner_resolver) = Deferred::<u8>::new();
        let (outer, outer_resolver) = Deferred::<()>::new();
        let d = outer.add_callback(move |()| inner);
        outer_resolver.callback(());
        success_result_of(d);
    });
}

/// `success_result_of` panics on a failure, and shows the failure.
#[test]
#[should_panic(expected = "expected a value, found a failure: Failure message: disk full")]
fn success_result_of_panics_on_a_failure() {
    let d: Deferred<u8> = Deferred::fail(Failure::msg("disk full"));
    success_result_of(d);
}

/// `failure_result_of` gives the failure, and takes it so nothing is reported as unhandled.
#[test]
fn failure_result_of_gives_the_failure_and_handles_it() {
    let failure = Failure::msg("broken");
    let sent = failure.clone();
    let reports = capture_unhandled(move || {
        let (d, resolver) = Deferred::<u8>::new();
        let d = d.add_callback(|n| Ok(n + 1));
        resolver.errback(sent);
        let got = failure_result_of(d);
        assert!(got.ptr_eq(&failure));
    });
    assert!(reports.is_empty(), "{reports:?}");
}

/// `failure_result_of` panics on a value, naming its type.
#[test]
#[should_panic(expected = "failure_result_of: expected a failure, found a value of type u8")]
fn failure_result_of_panics_on_a_value() {
    failure_result_of(Deferred::succeed(1u8));
}

/// `failure_result_of` panics when there is no result yet, and says so.
#[test]
#[should_panic(expected = "failure_result_of: expected a failure, found no result yet")]
fn failure_result_of_panics_without_a_result() {
    let (d, _resolver) = Deferred::<u8>::new();
    failure_result_of(d);
}

/// `assert_no_result` accepts an unfired, a paused and a waiting Deferred, and does not
/// consume anything: the result can be taken once it arrives.
#[test]
fn assert_no_result_accepts_deferreds_without_a_result() {
    let (d, resolver) = Deferred::<u8>::new();
    assert_no_result(&d);
    resolver.callback(2);
    assert_eq!(success_result_of(d), 2);

    let mut paused = Deferred::succeed(3u8);
    paused.pause();
    assert_no_result(&paused);
    paused.unpause();
    assert_eq!(success_result_of(paused), 3);

    let (inner, inner_resolver) = Deferred::<u8>::new();
    let (outer, outer_resolver) = Deferred::<()>::new();
    let waiting = outer.add_callback(move |()| inner);
    outer_resolver.callback(());
    assert_no_result(&waiting);
    inner_resolver.callback(4);
    assert_eq!(success_result_of(waiting), 4);
}

/// `assert_no_result` panics on a Deferred with a value, and says what it found.
#[test]
#[should_panic(
    expected = "assert_no_result: expected no result, found one: Deferred<u8> { has a result }"
)]
fn assert_no_result_panics_on_a_value() {
    assert_no_result(&Deferred::succeed(1u8));
}

/// `assert_no_result` panics on a failed Deferred, showing the failure.
#[test]
#[should_panic(expected = "expected no result, found one: Deferred<u8> { failed: gone }")]
fn assert_no_result_panics_on_a_failure() {
    // Captured: the failure is dropped, unhandled, while unwinding.
    let _ = capture_unhandled(|| {
        let d: Deferred<u8> = Deferred::fail(Failure::msg("gone"));
        assert_no_result(&d);
    });
}

/// `assert_no_result` leaves a failure in place: it must still be handled afterwards.
#[test]
fn assert_no_result_does_not_handle_a_failure() {
    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::<u8>::new();
        assert_no_result(&d);
        resolver.errback(Failure::msg("still there"));
        drop(d);
    });
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].failure().error_message(), "still there");
}

/// Drops a failed Deferred with nothing to handle it: an unhandled-failure report.
fn leak(message: &'static str) {
    drop(Deferred::<u8>::fail(Failure::msg(message)));
}

fn messages(reports: &[UnhandledError]) -> Vec<String> {
    reports
        .iter()
        .map(|report| report.failure().error_message())
        .collect()
}

/// The panic message of `body`, which must panic.
fn panic_message(body: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(body)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|message| message.to_string())
            .expect("a string payload"),
    }
}

/// A test that leaves a failure unhandled fails when its guard is dropped, naming it.
#[test]
#[should_panic(expected = "Failure message: nobody handled this")]
fn fail_on_unhandled_fails_a_test_that_leaks_a_failure() {
    let _guard = fail_on_unhandled();
    let (d, resolver) = Deferred::<u8>::new();
    let d = d.add_callback(|n| Ok(n + 1));
    resolver.errback(Failure::msg("nobody handled this"));
    drop(d);
}

/// A test that handles every failure passes, whether by an errback or `failure_result_of`.
#[test]
fn fail_on_unhandled_passes_a_test_that_handles_everything() {
    let _guard = fail_on_unhandled();
    let recovered = Deferred::<u8>::fail(Failure::msg("recovered")).add_errback(|_| Ok(1));
    assert_eq!(success_result_of(recovered), 1);
    let taken = Deferred::<u8>::fail(Failure::msg("taken"));
    assert_eq!(failure_result_of(taken).error_message(), "taken");
    drop(Deferred::succeed(2u8));
}

/// `finish` ends the guard where it is called, and its panic names every failure reported,
/// in order, with how many there were.
#[test]
fn finish_panics_naming_each_unhandled_failure() {
    let message = panic_message(|| {
        let guard = fail_on_unhandled();
        leak("first lost");
        leak("second lost");
        guard.finish();
    });
    assert!(
        message.starts_with(
            "fail_on_unhandled: 2 unhandled failures were reported while the guard was alive \
             (handle each with an errback):\nUnhandled error in Deferred:\n\
             Failure message: first lost\n"
        ),
        "{message}"
    );
    let second = message
        .find("Failure message: second lost")
        .expect(&message);
    assert!(second > message.find("first lost").unwrap(), "{message}");
    assert_eq!(message.matches("Unhandled error in Deferred:").count(), 2);
}

/// `finish` with nothing reported returns; the failures it collected went nowhere else.
#[test]
fn finish_returns_when_nothing_was_left_unhandled_and_keeps_reports_from_outside() {
    let outside = capture_unhandled(|| {
        let guard = fail_on_unhandled();
        let handled = Deferred::<u8>::fail(Failure::msg("handled")).add_errback(|_| Ok(0));
        assert_eq!(success_result_of(handled), 0);
        guard.finish();
        leak("after the guard");
    });
    assert_eq!(messages(&outside), ["after the guard"]);
}

/// A capture inside the guard takes the reports made within it: the guard passes.
#[test]
fn a_capture_inside_the_guard_keeps_its_reports() {
    let guard = fail_on_unhandled();
    let inner = capture_unhandled(|| leak("expected by the test"));
    assert_eq!(messages(&inner), ["expected by the test"]);
    guard.finish();
}

/// A guard inside a capture takes the reports made while it is alive, and fails on them; the
/// capture gets only the reports made outside the guard.
#[test]
fn a_guard_inside_a_capture_takes_its_reports() {
    let mut message = String::new();
    let outer = capture_unhandled(|| {
        leak("before the guard");
        message = panic_message(|| {
            let _guard = fail_on_unhandled();
            leak("inside the guard");
        });
        leak("after the guard");
    });
    assert!(
        message.contains("Failure message: inside the guard"),
        "{message}"
    );
    assert!(!message.contains("before the guard"), "{message}");
    assert_eq!(messages(&outer), ["before the guard", "after the guard"]);
}

/// Guards nest: each reports what was left unhandled while it was the innermost.
#[test]
fn guards_nest() {
    let mut inner_message = String::new();
    let outer_message = panic_message(|| {
        let outer = fail_on_unhandled();
        inner_message = panic_message(|| {
            let _inner = fail_on_unhandled();
            leak("in the inner guard");
        });
        leak("in the outer guard");
        outer.finish();
    });
    assert!(inner_message.starts_with("fail_on_unhandled: 1 unhandled failure was reported"));
    assert!(
        inner_message.contains("in the inner guard"),
        "{inner_message}"
    );
    assert!(
        !inner_message.contains("in the outer guard"),
        "{inner_message}"
    );
    assert!(
        outer_message.contains("in the outer guard"),
        "{outer_message}"
    );
    assert!(
        !outer_message.contains("in the inner guard"),
        "{outer_message}"
    );
}

/// Guards ended out of order each end on their own: the one still alive keeps collecting,
/// and once both are gone reports go to the enclosing capture again.
#[test]
fn guards_dropped_out_of_order_each_end_on_their_own() {
    let mut message = String::new();
    let outside = capture_unhandled(|| {
        message = panic_message(|| {
            let first = fail_on_unhandled();
            let second = fail_on_unhandled();
            leak("while both are alive");
            first.finish(); // the reports went to `second`, the innermost
            leak("after the first ended");
            second.finish();
        });
        leak("after both ended");
    });
    assert!(
        message.starts_with("fail_on_unhandled: 2 unhandled failures"),
        "{message}"
    );
    assert!(message.contains("while both are alive"), "{message}");
    assert!(message.contains("after the first ended"), "{message}");
    assert_eq!(messages(&outside), ["after both ended"]);
}

/// A guard dropped while its thread is already panicking does not panic again (which would
/// abort the test run): the test fails with its own panic.
#[test]
fn a_guard_dropped_while_panicking_keeps_the_original_panic() {
    let message = panic_message(|| {
        let _guard = fail_on_unhandled();
        leak("lost while failing");
        panic!("the test's own assertion");
    });
    assert_eq!(message, "the test's own assertion");
}
