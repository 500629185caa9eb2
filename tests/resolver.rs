//! The split `Resolver`: firing a Deferred, and what dropping it unfired does.
//!
//! Firing consumes the resolver, so Twisted's `AlreadyCalledError` cannot happen (a second
//! `callback` does not compile). A resolver dropped unfired fails its Deferred with
//! `AbandonedError` where someone can observe it, instead of leaving it waiting forever.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use deferreds::testing::{
    assert_no_result, capture_unhandled, failure_result_of, success_result_of,
};
use deferreds::{AbandonedError, CancelledError, Deferred, Failure};

mod support;
use support::GenericError;

/// `callback` fires the Deferred with a value, running its callbacks before it returns.
#[test]
fn callback_runs_the_callbacks_at_once() {
    let (d, resolver) = Deferred::<&str>::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let d = d.add_callback(move |v| {
        s.borrow_mut().push(v);
        Ok(v.len())
    });
    assert!(seen.borrow().is_empty());
    resolver.callback("hello");
    assert_eq!(*seen.borrow(), vec!["hello"]);
    assert_eq!(success_result_of(d), 5);
}

/// `errback` takes any error (`Into<Failure>`) and sends the chain down the errback side.
#[test]
fn errback_with_an_error_value() {
    let (d, resolver) = Deferred::<u8>::new();
    let called = Rc::new(Cell::new(false));
    let c = called.clone();
    let d = d.add_callback(move |v| {
        c.set(true);
        Ok(v)
    });
    resolver.errback(GenericError);
    assert!(!called.get());
    assert!(failure_result_of(d).check::<GenericError>());
}

/// `errback` with a `Failure` delivers that very failure.
#[test]
fn errback_with_a_failure_keeps_it() {
    let (d, resolver) = Deferred::<u8>::new();
    let failure = Failure::msg("exact");
    resolver.errback(failure.clone());
    assert!(failure_result_of(d).ptr_eq(&failure));
}

/// `resolve(Ok(..))` is `callback`, `resolve(Err(..))` is `errback`.
#[test]
fn resolve_with_a_result() {
    let (ok, ok_resolver) = Deferred::<u8>::new();
    ok_resolver.resolve(Ok(3));
    assert_eq!(success_result_of(ok), 3);

    let failure = Failure::new(GenericError);
    let (err, err_resolver) = Deferred::<u8>::new();
    err_resolver.resolve(Err(failure.clone()));
    assert!(failure_result_of(err).ptr_eq(&failure));
}

/// A resolver can be moved elsewhere and fired from inside another Deferred's callback.
#[test]
fn resolver_fired_from_another_deferreds_callback() {
    let (target, target_resolver) = Deferred::<u8>::new();
    let (source, source_resolver) = Deferred::<u8>::new();
    let source = source.add_callback(move |n| {
        target_resolver.callback(n * 2);
        Ok(())
    });
    assert_no_result(&target);
    source_resolver.callback(21);
    success_result_of(source);
    assert_eq!(success_result_of(target), 42);
}

/// A resolver dropped unfired while the Deferred is held fails it with `AbandonedError`.
#[test]
fn dropping_an_unfired_resolver_fails_the_deferred() {
    let (d, resolver) = Deferred::<u8>::new();
    drop(resolver);
    assert!(d.is_called());
    let failure = failure_result_of(d);
    assert!(failure.check::<AbandonedError>());
    assert!(failure.error_message().contains("Resolver was dropped"));
}

/// A resolver dropped unfired when only callbacks remain (the handle is gone) runs them
/// with `AbandonedError`.
#[test]
fn dropping_an_unfired_resolver_runs_the_remaining_errbacks() {
    let (d, resolver) = Deferred::<u8>::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    drop(d.add_errback(move |f| {
        s.borrow_mut().push(f.check::<AbandonedError>());
        Ok(0)
    }));
    assert!(seen.borrow().is_empty());
    drop(resolver);
    assert_eq!(*seen.borrow(), vec![true]);
}

/// Dropping the Deferred and then its unfired resolver, with nothing added, reports nothing.
#[test]
fn dropping_both_halves_of_an_unused_deferred_reports_nothing() {
    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::<u8>::new();
        drop(d);
        drop(resolver);
    });
    assert!(reports.is_empty(), "{reports:?}");
}

/// The two halves of an unused Deferred going out of scope together report nothing.
/// (At the end of the scope the resolver is dropped first, while the handle still exists.)
#[test]
fn dropping_both_halves_at_scope_end_reports_nothing() {
    let reports = capture_unhandled(|| {
        let (_d, _resolver) = Deferred::<u8>::new();
    });
    assert!(reports.is_empty(), "{reports:?}");
}

/// A Deferred returned from a callback, paused, whose Controller is then dropped can never
/// deliver its result: the outer Deferred fails with `AbandonedError`.
#[test]
fn paused_inner_deferred_without_controller_abandons_the_outer() {
    let mut inner = Deferred::succeed(5u8);
    let controller = inner.controller();
    controller.pause();
    let (outer, outer_resolver) = Deferred::<()>::new();
    let outer = outer.add_callback(move |()| inner);
    outer_resolver.callback(());
    assert_no_result(&outer);
    drop(controller);
    assert!(failure_result_of(outer).check::<AbandonedError>());
}

/// The same with an unfired inner Deferred: once its resolver fires it, nobody can unpause
/// it any more, so the outer fails with `AbandonedError`.
#[test]
fn paused_inner_deferred_fired_after_its_controller_is_dropped_abandons_the_outer() {
    let (mut inner, inner_resolver) = Deferred::<u8>::new();
    let controller = inner.controller();
    controller.pause();
    let (outer, outer_resolver) = Deferred::<()>::new();
    let outer = outer.add_callback(move |()| inner);
    outer_resolver.callback(());
    drop(controller);
    assert_no_result(&outer);
    inner_resolver.callback(1);
    assert!(failure_result_of(outer).check::<AbandonedError>());
}

/// A paused Deferred returned from a callback with no Controller at all can never resume:
/// the outer fails with `AbandonedError` at once.
#[test]
fn paused_inner_deferred_with_no_controller_abandons_the_outer_at_once() {
    let mut inner = Deferred::succeed(5u8);
    inner.pause();
    let (outer, outer_resolver) = Deferred::<()>::new();
    let outer = outer.add_callback(move |()| inner);
    outer_resolver.callback(());
    assert!(failure_result_of(outer).check::<AbandonedError>());
}

/// An outer Deferred waiting on an inner one whose resolver is dropped fails with
/// `AbandonedError`.
#[test]
fn abandoned_inner_deferred_fails_the_outer() {
    let (inner, inner_resolver) = Deferred::<u8>::new();
    let (outer, outer_resolver) = Deferred::<()>::new();
    let outer = outer.add_callback(move |()| inner);
    outer_resolver.callback(());
    assert_no_result(&outer);
    drop(inner_resolver);
    assert!(failure_result_of(outer).check::<AbandonedError>());
}

/// `chain_deferred` from a Deferred whose resolver is dropped passes the `AbandonedError` on.
#[test]
fn abandoned_source_of_chain_deferred_fails_the_target() {
    let (source, source_resolver) = Deferred::<u8>::new();
    let (target, target_resolver) = Deferred::<u8>::new();
    drop(source.chain_deferred(target_resolver));
    assert_no_result(&target);
    drop(source_resolver);
    assert!(failure_result_of(target).check::<AbandonedError>());
}

/// A resolver fired after a cancel is ignored, with a value or a failure, and the ignored
/// failure is not reported as unhandled.
#[test]
fn resolver_fired_after_cancel_is_ignored() {
    let (d, resolver) = Deferred::<u8>::new();
    d.cancel();
    resolver.callback(1);
    assert!(failure_result_of(d).check::<CancelledError>());

    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::<u8>::new();
        d.cancel();
        resolver.errback(GenericError);
        assert!(failure_result_of(d).check::<CancelledError>());
    });
    assert!(reports.is_empty(), "{reports:?}");
}

/// Dropping the resolver of a cancelled Deferred does not replace its `CancelledError`.
#[test]
fn resolver_dropped_after_cancel_keeps_cancelled_error() {
    let (d, resolver) = Deferred::<u8>::new();
    d.cancel();
    drop(resolver);
    let failure = failure_result_of(d);
    assert!(failure.check::<CancelledError>());
    assert!(!failure.check::<AbandonedError>());
}

/// The resolver handed to a canceller and dropped unfired gives `CancelledError`, not
/// `AbandonedError`.
#[test]
fn canceller_resolver_dropped_unfired_gives_cancelled_error() {
    let (d, _resolver) = Deferred::<u8>::with_canceller(drop);
    d.cancel();
    let failure = failure_result_of(d);
    assert!(failure.check::<CancelledError>());
    assert!(!failure.check::<AbandonedError>());
}

/// `is_fired` is false until the Deferred is fired (here: cancelled).
#[test]
fn resolver_is_fired() {
    let (d, resolver) = Deferred::<u8>::new();
    assert!(!resolver.is_fired());
    d.cancel();
    assert!(resolver.is_fired());
    drop(failure_result_of(d));
}

/// `Debug` for a resolver names its type and whether it has fired.
#[test]
fn resolver_debug_shows_state() {
    let (d, resolver) = Deferred::<u8>::new();
    assert_eq!(format!("{resolver:?}"), "Resolver<u8> { unfired }");
    d.cancel();
    assert_eq!(format!("{resolver:?}"), "Resolver<u8> { fired }");
    drop(failure_result_of(d));
}

/// An outer Deferred waiting on an inner one, dropped, and then the inner one's resolver
/// dropped unfired: nothing can observe either any more, so nothing is reported.
#[test]
fn dropping_a_waiting_outer_and_then_the_inner_resolver_reports_nothing() {
    let reports = capture_unhandled(|| {
        let (inner, inner_resolver) = Deferred::<u8>::new();
        let (outer, outer_resolver) = Deferred::<()>::new();
        let outer = outer.add_callback(move |()| inner);
        outer_resolver.callback(());
        drop(outer);
        drop(inner_resolver);
    });
    assert!(reports.is_empty(), "{reports:?}");
}
