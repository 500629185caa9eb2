//! The trial-style helpers in `deferreds::testing`: `success_result_of`, `failure_result_of`
//! and `assert_no_result` give the right results, and each panics with a message saying what
//! it found instead.

use deferreds::testing::{
    assert_no_result, capture_unhandled, failure_result_of, success_result_of,
};
use deferreds::{Deferred, Failure};

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
