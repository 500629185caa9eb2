//! Cancellation of plain Deferreds: Twisted's `DeferredCancellerTests`, ported.
//!
//! Not ported: every check that a second `callback`/`errback` raises `AlreadyCalledError`
//! (the second half of `test_raisesAfterCancelAndCallback`, `test_raisesAfterCancelAndErrback`
//! and `test_simpleCanceller`, and the whole `AlreadyCalledTests` class). Firing consumes the
//! `Resolver`, so firing a Deferred twice does not compile. What remains is the runtime rule:
//! the first firing after a cancel is ignored.
//!
//! Twisted tests keep a second reference to the Deferred to cancel it from elsewhere; here
//! that is a `Controller`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use deferreds::testing::{assert_no_result, failure_result_of, success_result_of};
use deferreds::{CancelledError, Controller, Deferred, Failure, Resolver};

mod support;
use support::values::{log, Log};
use support::GenericError;

fn counter() -> Rc<Cell<u32>> {
    Rc::new(Cell::new(0))
}

/// Adds a recording callback/errback pair; the errback passes the failure on.
fn record<T: Clone + 'static>(
    d: Deferred<T>,
    values: &Log<T>,
    failures: &Log<Failure>,
) -> Deferred<T> {
    let (values, failures) = (values.clone(), failures.clone());
    d.add_callbacks(
        move |v: T| {
            values.borrow_mut().push(v.clone());
            Ok(v)
        },
        move |f: Failure| {
            failures.borrow_mut().push(f.clone());
            Err(f)
        },
    )
}

/// A canceller that only counts its calls.
fn counting_canceller<T: 'static>(count: &Rc<Cell<u32>>) -> impl FnOnce(Resolver<T>) + 'static {
    let count = count.clone();
    move |_resolver| count.set(count.get() + 1)
}

/// Without a canceller, `cancel` fails the Deferred with `CancelledError`: the errback runs,
/// the callback does not.
#[test]
fn test_no_canceller() {
    let (d, _resolver) = Deferred::<u8>::new();
    let (values, failures) = (log(), log());
    let d = record(d, &values, &failures);
    d.cancel();
    assert!(values.borrow().is_empty());
    assert_eq!(failures.borrow().len(), 1);
    assert!(failures.borrow()[0].check::<CancelledError>());
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// After a cancel without canceller, firing the resolver with a value is ignored.
#[test]
fn test_raises_after_cancel_and_callback() {
    let (d, resolver) = Deferred::<&str>::new();
    let (values, failures) = (log(), log());
    let d = record(d, &values, &failures);
    d.cancel();
    resolver.callback("too late");
    assert!(values.borrow().is_empty());
    assert_eq!(failures.borrow().len(), 1);
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// After a cancel without canceller, firing the resolver with a failure is ignored.
#[test]
fn test_raises_after_cancel_and_errback() {
    let (d, resolver) = Deferred::<&str>::new();
    let (values, failures) = (log(), log());
    let d = record(d, &values, &failures);
    d.cancel();
    resolver.errback(GenericError);
    assert_eq!(failures.borrow().len(), 1);
    let failure = failure_result_of(d);
    assert!(failure.check::<CancelledError>());
    assert!(!failure.check::<GenericError>());
}

/// Cancel, an ignored callback, then cancel again: the errback ran once and the failure is
/// still the very same `CancelledError`.
#[test]
fn test_no_canceller_multiple_cancels_after_cancel_and_callback() {
    let (d, resolver) = Deferred::<u8>::new();
    let (values, failures) = (log(), log());
    let d = record(d, &values, &failures);
    d.cancel();
    let first = failures.borrow()[0].clone();
    resolver.callback(1);
    d.cancel();
    assert_eq!(failures.borrow().len(), 1);
    assert!(values.borrow().is_empty());
    assert!(failure_result_of(d).ptr_eq(&first));
}

/// Cancel, an ignored errback, then cancel again: still the same `CancelledError`.
#[test]
fn test_no_canceller_multiple_cancels_after_cancel_and_errback() {
    let (d, resolver) = Deferred::<u8>::new();
    let (values, failures) = (log(), log());
    let d = record(d, &values, &failures);
    d.cancel();
    let first = failures.borrow()[0].clone();
    assert!(first.check::<CancelledError>());
    resolver.errback(GenericError);
    d.cancel();
    assert_eq!(failures.borrow().len(), 1);
    assert!(failure_result_of(d).ptr_eq(&first));
}

/// Cancelling twice without a canceller gives one `CancelledError`; the second cancel does
/// nothing.
#[test]
fn test_no_canceller_multiple_cancel() {
    let (d, _resolver) = Deferred::<u8>::new();
    let (values, failures) = (log(), log());
    let d = record(d, &values, &failures);
    d.cancel();
    d.cancel();
    assert_eq!(failures.borrow().len(), 1);
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// A canceller that does not fire the Deferred is called once, however many cancels follow,
/// and the Deferred fails with `CancelledError`.
#[test]
fn test_canceller_multiple_cancel() {
    let calls = counter();
    let (d, _resolver) = Deferred::<u8>::with_canceller(counting_canceller(&calls));
    let (values, failures) = (log(), log());
    let d = record(d, &values, &failures);
    d.cancel();
    d.cancel();
    assert_eq!(calls.get(), 1);
    assert_eq!(failures.borrow().len(), 1);
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// A simple canceller is called once and the Deferred fails with `CancelledError`; the
/// original resolver fired afterwards is ignored.
#[test]
fn test_simple_canceller() {
    let calls = counter();
    let (d, resolver) = Deferred::<u8>::with_canceller(counting_canceller(&calls));
    let (values, failures) = (log(), log());
    let d = record(d, &values, &failures);
    d.cancel();
    assert_eq!(calls.get(), 1);
    resolver.callback(5);
    assert!(values.borrow().is_empty());
    assert_eq!(failures.borrow().len(), 1);
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// The canceller gets a resolver for this very Deferred: still unfired while the canceller
/// runs, and firing it fires the cancelled Deferred.
#[test]
fn test_canceller_arg() {
    let fired_before = Rc::new(Cell::new(None));
    let seen = fired_before.clone();
    let marker = Failure::new(GenericError);
    let sent = marker.clone();
    let (d, _resolver) = Deferred::<u8>::with_canceller(move |resolver| {
        seen.set(Some(resolver.is_fired()));
        resolver.errback(sent);
    });
    d.cancel();
    assert_eq!(fired_before.get(), Some(false));
    assert!(failure_result_of(d).ptr_eq(&marker));
}

/// Cancelling a Deferred that already has a value neither calls the canceller nor changes
/// the result.
#[test]
fn test_cancel_after_callback() {
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let (d, resolver) = Deferred::<&str>::with_canceller(move |resolver| {
        c.set(c.get() + 1);
        resolver.errback(GenericError);
    });
    let (values, failures) = (log(), log());
    let d = record(d, &values, &failures);
    resolver.callback("biff!");
    d.cancel();
    assert_eq!(calls.get(), 0);
    assert_eq!(*values.borrow(), vec!["biff!"]);
    assert!(failures.borrow().is_empty());
    assert_eq!(success_result_of(d), "biff!");
}

/// Cancelling a Deferred that already failed neither calls the canceller nor replaces its
/// failure with `CancelledError`.
#[test]
fn test_cancel_after_errback() {
    let calls = counter();
    let (d, resolver) = Deferred::<&str>::with_canceller(counting_canceller(&calls));
    let (values, failures) = (log(), log());
    let d = record(d, &values, &failures);
    resolver.errback(GenericError);
    d.cancel();
    assert_eq!(calls.get(), 0);
    assert_eq!(failures.borrow().len(), 1);
    let failure = failure_result_of(d);
    assert!(failure.check::<GenericError>());
    assert!(!failure.check::<CancelledError>());
}

/// A canceller that fails the Deferred with its own error: the errback sees that error, not
/// `CancelledError`.
#[test]
fn test_canceller_that_errbacks() {
    let (d, _resolver) = Deferred::<u8>::with_canceller(|resolver| resolver.errback(GenericError));
    let (values, failures) = (log(), log());
    let d = record(d, &values, &failures);
    d.cancel();
    assert!(values.borrow().is_empty());
    assert_eq!(failures.borrow().len(), 1);
    assert!(failures.borrow()[0].check::<GenericError>());
    assert!(!failure_result_of(d).check::<CancelledError>());
}

/// A canceller that fires the Deferred with a value: the callback sees it, the errback does
/// not run.
#[test]
fn test_canceller_that_callbacks() {
    let (d, _resolver) = Deferred::<&str>::with_canceller(|resolver| resolver.callback("hello!"));
    let (values, failures) = (log(), log());
    let d = record(d, &values, &failures);
    d.cancel();
    assert_eq!(*values.borrow(), vec!["hello!"]);
    assert!(failures.borrow().is_empty());
    assert_eq!(success_result_of(d), "hello!");
}

/// Cancelling a Deferred that waits on one returned by its callback cancels the inner one
/// (its canceller runs once, the outer's never) and the `CancelledError` flows back out.
#[test]
fn test_cancel_nested_deferred() {
    let inner_calls = counter();
    let outer_calls = counter();
    let (inner, _inner_resolver) = Deferred::<u8>::with_canceller(counting_canceller(&inner_calls));
    let (outer, outer_resolver) = Deferred::<()>::with_canceller(counting_canceller(&outer_calls));
    outer_resolver.callback(());
    let outer = outer.add_callback(move |()| inner);
    assert_no_result(&outer);
    outer.cancel();
    let (values, failures) = (log(), log());
    let outer = record(outer, &values, &failures);
    assert_eq!(inner_calls.get(), 1);
    assert_eq!(outer_calls.get(), 0);
    assert!(values.borrow().is_empty());
    assert_eq!(failures.borrow().len(), 1);
    assert!(failures.borrow()[0].check::<CancelledError>());
    assert!(failure_result_of(outer).check::<CancelledError>());
}

/// The inner Deferred's own errbacks see the `CancelledError` before the outer chain does.
#[test]
fn cancel_nested_deferred_runs_inner_callbacks_first() {
    let order: Log<&str> = log();
    let (inner, _inner_resolver) = Deferred::<u8>::new();
    let o = order.clone();
    let inner = inner.add_errback(move |f| {
        o.borrow_mut().push("inner errback");
        Err(f)
    });
    let (mut outer, outer_resolver) = Deferred::<()>::new();
    let controller = outer.controller();
    let o = order.clone();
    let outer = outer.add_callback(move |()| inner).add_errback(move |f| {
        o.borrow_mut().push("outer errback");
        f.trap::<CancelledError>()?;
        Ok(7)
    });
    outer_resolver.callback(());
    controller.cancel();
    assert_eq!(*order.borrow(), vec!["inner errback", "outer errback"]);
    assert_eq!(success_result_of(outer), 7);
}

/// Cancel reaches the innermost of several nested Deferreds, and its `CancelledError`
/// travels back through every level.
#[test]
fn cancel_reaches_the_innermost_of_nested_deferreds() {
    let innermost_calls = counter();
    let (innermost, _r3) = Deferred::<u8>::with_canceller(counting_canceller(&innermost_calls));
    let (middle, r2) = Deferred::<()>::new();
    let middle = middle.add_callback(move |()| innermost);
    let (outer, r1) = Deferred::<()>::new();
    let outer = outer.add_callback(move |()| middle);
    r1.callback(());
    r2.callback(());
    assert_no_result(&outer);
    outer.cancel();
    assert_eq!(innermost_calls.get(), 1);
    assert!(failure_result_of(outer).check::<CancelledError>());
}

/// When the inner Deferred's canceller fires it with a value, the outer chain carries on
/// with that value.
#[test]
fn cancel_nested_deferred_whose_canceller_succeeds() {
    let (inner, _inner_resolver) = Deferred::<u8>::with_canceller(|resolver| resolver.callback(41));
    let (outer, outer_resolver) = Deferred::<()>::new();
    let outer = outer
        .add_callback(move |()| inner)
        .add_callback(|n| Ok(n + 1));
    outer_resolver.callback(());
    outer.cancel();
    assert_eq!(success_result_of(outer), 42);
}

/// Shared state for the "canceller is freed" tests: a probe whose `Weak` shows whether the
/// canceller still exists, and a Controller that the canceller holds, so the canceller and
/// the Deferred reference each other.
struct CycleProbe {
    weak: std::rc::Weak<()>,
}

fn deferred_with_cyclic_canceller<T: 'static>() -> (Deferred<T>, Resolver<T>, CycleProbe) {
    let probe = Rc::new(());
    let weak = Rc::downgrade(&probe);
    let slot: Rc<RefCell<Option<Controller>>> = Rc::new(RefCell::new(None));
    let held = slot.clone();
    let (mut d, resolver) = Deferred::<T>::with_canceller(move |_resolver| drop((probe, held)));
    *slot.borrow_mut() = Some(d.controller());
    (d, resolver, CycleProbe { weak })
}

/// Firing with a value drops the canceller, freeing what it holds (even a reference back to
/// the Deferred itself).
#[test]
fn test_canceller_circular_reference_callback() {
    let (d, resolver, probe) = deferred_with_cyclic_canceller::<u8>();
    assert!(probe.weak.upgrade().is_some());
    resolver.callback(1);
    assert!(
        probe.weak.upgrade().is_none(),
        "canceller kept after firing"
    );
    assert_eq!(success_result_of(d), 1);
}

/// Firing with a failure (then handling it) drops the canceller.
#[test]
fn test_canceller_circular_reference_errback() {
    let (d, resolver, probe) = deferred_with_cyclic_canceller::<u8>();
    resolver.errback(GenericError);
    assert!(
        probe.weak.upgrade().is_none(),
        "canceller kept after firing"
    );
    assert!(failure_result_of(d).check::<GenericError>());
}

/// Firing drops the canceller even when a callback then makes the Deferred wait on another
/// one that has not fired.
#[test]
fn test_canceller_circular_reference_non_final() {
    let (d, resolver, probe) = deferred_with_cyclic_canceller::<u8>();
    let (inner, inner_resolver) = Deferred::<u8>::new();
    let d = d.add_callback(move |_| inner);
    resolver.callback(1);
    assert_no_result(&d);
    assert!(
        probe.weak.upgrade().is_none(),
        "canceller kept while waiting"
    );
    inner_resolver.callback(2);
    assert_eq!(success_result_of(d), 2);
}

/// Cancelling consumes the canceller: it is freed once it has run.
#[test]
fn canceller_freed_after_cancel() {
    let (d, _resolver, probe) = deferred_with_cyclic_canceller::<u8>();
    d.cancel();
    assert!(probe.weak.upgrade().is_none());
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// Dropping an unfired Deferred and its resolver frees the canceller.
#[test]
fn canceller_freed_when_both_halves_are_dropped() {
    let probe = Rc::new(());
    let weak = Rc::downgrade(&probe);
    let (d, resolver) = Deferred::<u8>::with_canceller(move |_| drop(probe));
    drop(d);
    drop(resolver);
    assert!(weak.upgrade().is_none());
}

/// A callback of one Deferred can cancel another, pending one through its Controller.
#[test]
fn cancel_from_inside_a_callback_via_controller() {
    let (mut target, _target_resolver) = Deferred::<u8>::new();
    let controller = target.controller();
    let (trigger, fire_trigger) = Deferred::<()>::new();
    let trigger = trigger.add_callback(move |()| {
        controller.cancel();
        Ok(())
    });
    assert_no_result(&target);
    fire_trigger.callback(());
    success_result_of(trigger);
    assert!(failure_result_of(target).check::<CancelledError>());
}

/// A callback that cancels its own (already fired) Deferred changes nothing: later callbacks
/// get its value.
#[test]
fn cancel_own_deferred_from_inside_its_callback_is_a_no_op() {
    let calls = counter();
    let (mut d, resolver) = Deferred::<u8>::with_canceller(counting_canceller(&calls));
    let controller = d.controller();
    let d = d
        .add_callback(move |n| {
            controller.cancel();
            Ok(n + 1)
        })
        .add_callback(|n| Ok(n * 10));
    resolver.callback(1);
    assert_eq!(calls.get(), 0);
    assert_eq!(success_result_of(d), 20);
}

/// A canceller that fires the Deferred, whose callback cancels it again: the canceller runs
/// once and the value stands.
#[test]
fn cancel_again_from_a_callback_run_by_the_canceller() {
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let (mut d, _resolver) = Deferred::<u8>::with_canceller(move |resolver| {
        c.set(c.get() + 1);
        resolver.callback(3);
    });
    let controller = d.controller();
    let d = d.add_callback(move |n| {
        controller.cancel();
        Ok(n)
    });
    d.cancel();
    assert_eq!(calls.get(), 1);
    assert_eq!(success_result_of(d), 3);
}

/// `Controller::cancel` does what `Deferred::cancel` does, and leaves the Deferred called.
#[test]
fn controller_cancel_fails_with_cancelled_error() {
    let calls = counter();
    let (mut d, resolver) = Deferred::<u8>::with_canceller(counting_canceller(&calls));
    let controller = d.controller();
    assert!(!controller.is_called());
    controller.cancel();
    assert!(controller.is_called());
    assert!(resolver.is_fired());
    assert_eq!(calls.get(), 1);
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// Cancelling an already-successful or already-failed Deferred (made with `succeed`/`fail`)
/// leaves its result alone.
#[test]
fn cancel_of_an_already_fired_deferred_does_nothing() {
    let d = Deferred::succeed(9u8);
    d.cancel();
    assert_eq!(success_result_of(d), 9);

    let failure = Failure::new(GenericError);
    let d: Deferred<u8> = Deferred::fail(failure.clone());
    d.cancel();
    assert!(failure_result_of(d).ptr_eq(&failure));
}

/// A `CancelledError` is an ordinary failure: an errback can trap it and recover.
#[test]
fn cancelled_error_can_be_trapped_and_recovered() {
    let (d, _resolver) = Deferred::<u8>::new();
    let d = d.add_errback(|f| {
        f.trap::<CancelledError>()?;
        Ok(0)
    });
    d.cancel();
    assert_eq!(success_result_of(d), 0);
}

/// Cancelling a paused, unfired Deferred fires it, but its callbacks wait for the unpause.
#[test]
fn cancel_of_a_paused_deferred_waits_for_unpause() {
    let (mut d, _resolver) = Deferred::<u8>::new();
    d.pause();
    let failures = log();
    let f2 = failures.clone();
    let mut d = d.add_errback(move |f| {
        f2.borrow_mut().push(f.clone());
        Err(f)
    });
    d.cancel();
    assert!(d.is_called());
    assert!(failures.borrow().is_empty());
    assert_no_result(&d);
    d.unpause();
    assert_eq!(failures.borrow().len(), 1);
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// `Resolver::is_fired`: false while pending, true once the Deferred was cancelled (so the
/// producer can skip work nobody waits for).
#[test]
fn resolver_is_fired_after_cancel() {
    let (d, resolver) = Deferred::<u8>::new();
    assert!(!resolver.is_fired());
    d.cancel();
    assert!(resolver.is_fired());
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// `Resolver::is_fired` is true when the canceller fired the Deferred itself.
#[test]
fn resolver_is_fired_after_canceller_fired_it() {
    let (d, resolver) = Deferred::<u8>::with_canceller(|r| r.callback(1));
    assert!(!resolver.is_fired());
    d.cancel();
    assert!(resolver.is_fired());
    resolver.callback(2); // ignored
    assert_eq!(success_result_of(d), 1);
}

/// A canceller that keeps its resolver to fire later: the Deferred fails with
/// `CancelledError` when the canceller returns, and the late firing is ignored.
#[test]
fn canceller_that_fires_later_is_too_late() {
    let kept: Rc<RefCell<Option<Resolver<u8>>>> = Rc::new(RefCell::new(None));
    let k = kept.clone();
    let (d, _resolver) = Deferred::<u8>::with_canceller(move |resolver| {
        *k.borrow_mut() = Some(resolver);
    });
    d.cancel();
    let late = kept.borrow_mut().take().unwrap();
    assert!(late.is_fired());
    late.callback(1);
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// A canceller that cancels its own Deferred again (through a Controller) does not run
/// twice; the Deferred fails once, with `CancelledError`, and the canceller's own later
/// firing is ignored.
#[test]
fn canceller_that_cancels_again() {
    let calls = counter();
    let slot: Rc<RefCell<Option<Controller>>> = Rc::new(RefCell::new(None));
    let (c, s) = (calls.clone(), slot.clone());
    let (mut d, _resolver) = Deferred::<u8>::with_canceller(move |resolver| {
        c.set(c.get() + 1);
        if let Some(controller) = s.borrow_mut().take() {
            controller.cancel();
        }
        resolver.callback(9);
    });
    *slot.borrow_mut() = Some(d.controller());
    let failures = log();
    let d = record(d, &log(), &failures);
    d.cancel();
    assert_eq!(calls.get(), 1);
    assert_eq!(failures.borrow().len(), 1);
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// A canceller that drops the producer's resolver (cancelling a timer, leaving a wait list)
/// leaves the outcome to the cancel: `CancelledError`, not `AbandonedError`.
#[test]
fn a_resolver_dropped_by_the_canceller_does_not_abandon() {
    let slot: Rc<RefCell<Option<Resolver<u8>>>> = Rc::default();
    let (d, resolver) = Deferred::<u8>::with_canceller({
        let slot = slot.clone();
        move |_| drop(slot.borrow_mut().take())
    });
    *slot.borrow_mut() = Some(resolver);
    d.cancel();
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// A Deferred cancelled while its errback waits on another Deferred takes only that one's
/// result: a late fire through `chain_deferred` (from a pending or an already-fired source)
/// is ignored, as in Twisted, where the cancel suppresses the next fire.
#[test]
fn a_late_chain_deferred_fire_after_a_cancel_is_ignored() {
    for source_fired_already in [false, true] {
        let (d1, fire_d1) = Deferred::<u8>::new();
        let (d2, fire_d2) = Deferred::<u8>::new();
        let d2 = d2.add_errback(move |_| d1);
        d2.cancel();
        assert!(d2.is_waiting());
        let d0 = match source_fired_already {
            true => Deferred::<u8>::fail(Failure::msg("late")).chain_deferred(fire_d2),
            false => {
                let (d0, fire_d0) = Deferred::<u8>::new();
                let d0 = d0.chain_deferred(fire_d2);
                fire_d0.errback(Failure::msg("late"));
                d0
            }
        };
        assert!(d2.is_waiting());
        assert_no_result(&d2);
        fire_d1.callback(5);
        assert_eq!(success_result_of(d2), 5);
        success_result_of(d0);
    }
}

/// A Deferred with a canceller is not abandoned when its resolver is dropped: cancelling
/// can still fire it, as in Twisted's timeout example (`Deferred(lambda d:
/// d.callback("ok"))` under `addTimeout` gives "ok" at the timeout).
#[test]
fn a_dropped_resolver_does_not_abandon_a_deferred_with_a_canceller() {
    let clock = deferreds::TestClock::new();
    let (d, _) = Deferred::<&str>::with_canceller(|resolver| resolver.callback("ok"));
    let d = deferreds::add_timeout(d, std::time::Duration::from_secs(3), &clock);
    assert_no_result(&d);
    clock.advance(std::time::Duration::from_secs(3));
    assert_eq!(success_result_of(d), "ok");

    // Without a canceller that fires it, the cancel gives `CancelledError`.
    let (d, resolver) = Deferred::<u8>::with_canceller(|_| {});
    drop(resolver);
    assert_no_result(&d);
    d.cancel();
    assert!(failure_result_of(d).check::<CancelledError>());
}
