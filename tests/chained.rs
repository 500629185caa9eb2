//! Callbacks that return Deferreds, and `chain_deferred`: Twisted's chaining tests
//! (catalogue B; B.21, B.23 and B.24 are in `tests/pause.rs`).

use std::cell::RefCell;
use std::rc::Rc;

use deferreds::testing::{assert_no_result, failure_result_of, success_result_of};
use deferreds::{gather_results, Deferred, Failure, Resolver};

mod support;
use support::{note, Log, Oops};

/// A callback that records what it got and passes it on.
fn record<T: std::fmt::Debug + 'static>(
    log: &Log,
    label: &'static str,
) -> impl FnOnce(T) -> Result<T, Failure> {
    let log = log.clone();
    move |value| {
        note(&log, format!("{label} {value:?}"));
        Ok(value)
    }
}

/// Catalogue B.22: an errback that returns a Deferred makes the chain wait for it, then go
/// on with its value.
#[test]
fn an_errback_returning_a_deferred_is_waited_for() {
    let log = Log::default();
    let (d, fire) = Deferred::<&str>::new();
    let (d2, fire2) = Deferred::new();
    let d = d.add_errback(move |_| d2).add_callback(record(&log, "got"));
    fire.errback(Oops("value error"));
    assert_no_result(&d);
    assert!(log.borrow().is_empty());
    fire2.callback("result");
    assert_eq!(*log.borrow(), ["got \"result\""]);
    success_result_of(d);
}

/// B.25 and B.33: `succeed("outer")` whose callback returns `succeed("inner")` with two
/// callbacks of its own, the first waiting on an unfired Deferred (fired by the resolver
/// returned), the second doubling what that gives.
fn outer_with_inner_callbacks(log: &Log) -> (Deferred<String>, Resolver<String>) {
    let (inner, fire_inner) = Deferred::<String>::new();
    let inner = Rc::new(RefCell::new(Some(inner)));
    let log = log.clone();
    let outer = Deferred::succeed("outer".to_string()).add_callback(move |value| {
        note(&log, format!("start-of-cb {value}"));
        let second = log.clone();
        Deferred::succeed("inner".to_string())
            .add_callback(move |value| {
                note(&log, format!("firstCallback {value}"));
                inner.borrow_mut().take().unwrap()
            })
            .add_callback(move |value| {
                note(&second, format!("secondCallback {value}"));
                Ok(value.repeat(2))
            })
    });
    (outer, fire_inner)
}

/// Catalogue B.25: the inner Deferred's own callbacks run, and the outer goes on with what
/// they leave, even when one of them waits on yet another Deferred.
#[test]
fn inner_callbacks_are_preserved() {
    let log = Log::default();
    let (outer, fire_inner) = outer_with_inner_callbacks(&log);
    fire_inner.callback("orange".into());
    assert_eq!(success_result_of(outer), "orangeorange");
    assert_eq!(
        *log.borrow(),
        [
            "start-of-cb outer",
            "firstCallback inner",
            "secondCallback orange"
        ]
    );
}

/// B.26 and B.27: a callback returning a fired Deferred whose first callback waits on a
/// gather of `a`, and whose second records what that gives.
fn gathering(
    log: &Log,
    a: Deferred<&'static str>,
) -> impl FnOnce(&str) -> Deferred<Vec<&'static str>> {
    let log = log.clone();
    move |value| {
        note(&log, format!("cb {value}"));
        let (d, fire) = Deferred::<()>::new();
        let first = log.clone();
        let d = d
            .add_callback(move |()| {
                note(&first, "firstCallback");
                gather_results([a])
            })
            .add_callback(record(&log, "secondCallback"));
        fire.callback(());
        d
    }
}

/// Catalogue B.26: a callback of the returned Deferred waits on a gather; the outer goes
/// on when the gather's input fires.
#[test]
fn continue_callback_not_first() {
    let log = Log::default();
    let (a, fire_a) = Deferred::<&str>::new();
    let outer = Deferred::succeed("outer").add_callback(gathering(&log, a));
    assert_eq!(*log.borrow(), ["cb outer", "firstCallback"]);
    fire_a.callback("withers");
    assert_eq!(
        *log.borrow(),
        ["cb outer", "firstCallback", "secondCallback [\"withers\"]"]
    );
    assert_eq!(success_result_of(outer), ["withers"]);
}

/// Catalogue B.27: the same on a pending outer with a later callback: the order holds.
#[test]
fn callback_order_is_preserved() {
    let log = Log::default();
    let (a, fire_a) = Deferred::<&str>::new();
    let (outer, fire_outer) = Deferred::<&str>::new();
    let outer = outer
        .add_callback(gathering(&log, a))
        .add_callback(record(&log, "final"));
    fire_outer.callback("outer");
    fire_a.callback("withers");
    assert_eq!(
        *log.borrow(),
        [
            "cb outer",
            "firstCallback",
            "secondCallback [\"withers\"]",
            "final [\"withers\"]"
        ]
    );
    success_result_of(outer);
}

/// Catalogue B.28: returning an already-fired Deferred hands its result over; the inner is
/// left with `()` (Twisted leaves `None`), visible here through `chain_deferred`.
#[test]
fn synchronous_implicit_chain() {
    let first = Deferred::succeed("X");
    let (second, fire_second) = Deferred::<()>::new();
    let second = second.add_callback(move |()| first);
    fire_second.callback(());
    assert_eq!(success_result_of(second), "X");
}

/// Catalogue B.29: the same when the returned Deferred fires later.
#[test]
fn asynchronous_implicit_chain() {
    let log = Log::default();
    let (first, fire_first) = Deferred::<&str>::new();
    let (second, fire_second) = Deferred::<()>::new();
    let second = second
        .add_callback(move |()| first)
        .add_callback(record(&log, "second"));
    fire_second.callback(());
    assert_no_result(&second);
    fire_first.callback("X");
    assert_eq!(*log.borrow(), ["second \"X\""]);
    success_result_of(second);
}

/// Catalogue B.30: a failed Deferred returned by a callback moves its failure to the outer,
/// and it is not reported as unhandled in the inner.
#[test]
fn synchronous_implicit_error_chain() {
    let reports = deferreds::testing::capture_unhandled(|| {
        let first = Deferred::<()>::fail(Oops("runtime"));
        let second = Deferred::succeed(()).add_callback(move |()| first);
        assert_eq!(failure_result_of(second).error_message(), "runtime");
    });
    assert!(reports.is_empty());
}

/// Catalogue B.31: the inner fails later: the outer's errback gets it, then its callback
/// runs once with the errback's value.
#[test]
fn asynchronous_implicit_error_chain() {
    let log = Log::default();
    let (first, fire_first) = Deferred::<&str>::new();
    let (second, fire_second) = Deferred::<()>::new();
    let second = second
        .add_callback(move |()| first)
        .add_errback({
            let log = log.clone();
            move |failure| {
                note(&log, format!("eb {failure}"));
                Ok("recovered")
            }
        })
        .add_callback(record(&log, "cb"));
    fire_second.callback(());
    fire_first.errback(Oops("runtime"));
    assert_eq!(*log.borrow(), ["eb runtime", "cb \"recovered\""]);
    success_result_of(second);
}

/// Catalogue B.32: two levels of implicit chaining, the innermost fired last.
#[test]
fn double_asynchronous_implicit_chaining() {
    let (first, fire_first) = Deferred::<&str>::new();
    let (second, fire_second) = Deferred::<()>::new();
    let second = second.add_callback(move |()| first);
    let (third, fire_third) = Deferred::<()>::new();
    let third = third.add_callback(move |()| second);
    fire_second.callback(());
    fire_third.callback(());
    assert_no_result(&third);
    fire_first.callback("X");
    assert_eq!(success_result_of(third), "X");
}

/// Catalogue B.33: like B.25, with the innermost Deferred fired after everything is built.
#[test]
fn nested_asynchronous_chained_deferreds() {
    let log = Log::default();
    let (outer, fire_inner) = outer_with_inner_callbacks(&log);
    assert_eq!(*log.borrow(), ["start-of-cb outer", "firstCallback inner"]);
    assert_no_result(&outer);
    fire_inner.callback("orange".into());
    assert_eq!(log.borrow().last().unwrap(), "secondCallback orange");
    assert_eq!(success_result_of(outer), "orangeorange");
}

/// Catalogue B.34: the returned Deferred has callbacks of its own, which run first.
#[test]
fn nested_chained_deferreds_with_extra_callbacks() {
    let (inner, fire_inner) = Deferred::<&str>::new();
    let outer = Deferred::succeed(())
        .add_callback(move |()| inner.add_callback(|r| Ok(vec![r])))
        .add_callback(|list| Ok([list.clone(), list].concat()));
    fire_inner.callback("withers");
    assert_eq!(success_result_of(outer), ["withers", "withers"]);
}

/// Catalogue B.35: three Deferreds chained by callbacks, fired out of order.
#[test]
fn chains_fired_out_of_order() {
    let (first, fire_first) = Deferred::<()>::new();
    let (second, fire_second) = Deferred::<()>::new();
    let (third, fire_third) = Deferred::<u8>::new();
    let second = second.add_callback(move |()| third);
    let first = first.add_callback(move |()| second);
    fire_first.callback(());
    fire_second.callback(());
    assert_no_result(&first);
    fire_third.callback(3);
    assert_eq!(success_result_of(first), 3);
}

/// Catalogue B.36–38: a Deferred waiting on one its callback returned says so; once that one
/// fires, it no longer waits.
#[test]
fn waiting_is_visible_and_cleared() {
    let (b, fire_b) = Deferred::<u8>::new();
    let a = Deferred::succeed(()).add_callback(move |()| b);
    assert!(a.is_waiting());
    assert!(format!("{a:?}").contains("waiting on another Deferred"));
    fire_b.callback(1);
    assert!(!a.is_waiting());
    assert_eq!(success_result_of(a), 1);
}

/// `chain_deferred` fires the other Deferred with this one's result, value or failure, and
/// this one carries `()` afterwards.
#[test]
fn chain_deferred_hands_the_result_on() {
    let (source, fire_source) = Deferred::<u8>::new();
    let (target, fire_target) = Deferred::<u8>::new();
    let source = source.chain_deferred(fire_target);
    assert_no_result(&target);
    fire_source.callback(9);
    assert_eq!(success_result_of(target), 9);
    success_result_of(source);

    let (target, fire_target) = Deferred::<u8>::new();
    let source = Deferred::fail(Oops("bad")).chain_deferred(fire_target);
    assert_eq!(failure_result_of(target).error_message(), "bad");
    success_result_of(source);
}

/// Catalogue B.39–40: a callback cannot return the Deferred it is attached to: the
/// callback takes the value, not the handle, and the handle was consumed by `add_callback`.
/// The nearest thing, returning a Deferred that waits on this one, is a cycle nothing can
/// fire; it fails with `AbandonedError` rather than hanging.
#[test]
fn a_cycle_of_waits_is_abandoned_not_hung() {
    let (d, fire) = Deferred::<u8>::new();
    let slot: Rc<RefCell<Option<Deferred<u8>>>> = Rc::default();
    let d = d.add_callback({
        let slot = slot.clone();
        move |_| slot.borrow_mut().take().unwrap()
    });
    let (loop_back, resolver_for_loop) = Deferred::<u8>::new();
    *slot.borrow_mut() = Some(loop_back);
    fire.callback(1);
    assert_no_result(&d);
    drop(resolver_for_loop);
    assert!(failure_result_of(d).check::<deferreds::AbandonedError>());
}

/// Catalogue B.41: a chain of 10,000 Deferreds each returned by the previous one's
/// callback, the last fired last, delivers without recursion.
#[test]
fn bounded_stack_depth() {
    let (last, fire_last) = Deferred::<u32>::new();
    let mut next = last;
    for _ in 0..10_000 {
        let (d, fire) = Deferred::<()>::new();
        let inner = next;
        next = d.add_callback(move |()| inner);
        fire.callback(());
    }
    let top = next.add_callback(|v| Ok(v + 1));
    assert_no_result(&top);
    fire_last.callback(41);
    assert_eq!(success_result_of(top), 42);
}

/// Catalogue B.42–44: `Debug` says what state a Deferred is in.
#[test]
fn debug_shows_the_state() {
    let (pending, fire) = Deferred::<u8>::new();
    let pending = pending.add_callback(Ok);
    assert_eq!(format!("{pending:?}"), "Deferred<u8> { pending }");
    fire.callback(1);
    assert_eq!(format!("{pending:?}"), "Deferred<u8> { has a result }");
    let (inner, _keep) = Deferred::<u8>::new();
    let waiting = Deferred::succeed(()).add_callback(move |()| inner);
    assert_eq!(
        format!("{waiting:?}"),
        "Deferred<u8> { waiting on another Deferred }"
    );
    let failed = Deferred::<u8>::fail(Oops("bad"));
    assert_eq!(format!("{failed:?}"), "Deferred<u8> { failed: bad }");
    drop(failure_result_of(failed));
}

/// Cancelling an outer Deferred while it waits on an inner one cancels the inner.
#[test]
fn cancelling_the_outer_cancels_the_inner() {
    let cancelled = Rc::new(RefCell::new(false));
    let (inner, _keep) = Deferred::<u8>::with_canceller({
        let cancelled = cancelled.clone();
        move |_| *cancelled.borrow_mut() = true
    });
    let outer = Deferred::succeed(()).add_callback(move |()| inner);
    outer.cancel();
    assert!(*cancelled.borrow());
    assert!(failure_result_of(outer).check::<deferreds::CancelledError>());
}
