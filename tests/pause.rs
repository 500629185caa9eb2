//! Pausing and unpausing Deferreds (Twisted's `pause`/`unpause`, `testPausedFailure`,
//! `testUnpauseBeforeCallback`, and the pause cases of the chaining tests).
//!
//! Two documented differences from Twisted are pinned here: extra `unpause` calls do nothing
//! (Twisted's counter goes negative and leaves the Deferred paused for good), and a pause from
//! inside a running callback stops the chain at once (Twisted's loop would still run the
//! callbacks already queued).

use deferreds::testing::{assert_no_result, failure_result_of, success_result_of};
use deferreds::{Deferred, Failure};

mod support;
use support::values::{log, Log};

/// A callback that records its value and passes it on.
fn recorder<T: Clone + 'static>(seen: &Log<T>) -> impl FnOnce(T) -> Result<T, Failure> {
    let seen = seen.clone();
    move |v| {
        seen.borrow_mut().push(v.clone());
        Ok(v)
    }
}

/// An errback added to a paused failed Deferred waits for `unpause`, then gets the failure.
#[test]
fn test_paused_failure() {
    let failure = Failure::msg("fail");
    let mut d: Deferred<u8> = Deferred::fail(failure.clone());
    d.pause();
    let seen: Log<Failure> = log();
    let s = seen.clone();
    let mut d = d.add_errback(move |f| {
        s.borrow_mut().push(f);
        Ok(0)
    });
    assert!(seen.borrow().is_empty());
    d.unpause();
    assert_eq!(seen.borrow().len(), 1);
    assert!(seen.borrow()[0].ptr_eq(&failure));
    assert_eq!(success_result_of(d), 0);
}

/// Pause, add a callback and unpause an unfired Deferred: nothing runs and nothing breaks;
/// the callback runs when it fires.
#[test]
fn test_unpause_before_callback() {
    let (mut d, resolver) = Deferred::<u8>::new();
    d.pause();
    let seen = log();
    let mut d = d.add_callback(recorder(&seen));
    d.unpause();
    assert!(seen.borrow().is_empty());
    assert!(!d.is_paused());
    assert_no_result(&d);
    resolver.callback(4);
    assert_eq!(*seen.borrow(), vec![4]);
    assert_eq!(success_result_of(d), 4);
}

/// Pauses count: two pauses need two unpauses before the callbacks run.
#[test]
fn pause_is_counted() {
    let (mut d, resolver) = Deferred::<u8>::new();
    d.pause();
    d.pause();
    let seen = log();
    let mut d = d.add_callback(recorder(&seen));
    resolver.callback(1);
    d.unpause();
    assert!(d.is_paused());
    assert!(seen.borrow().is_empty());
    assert_no_result(&d);
    d.unpause();
    assert!(!d.is_paused());
    assert_eq!(*seen.borrow(), vec![1]);
    assert_eq!(success_result_of(d), 1);
}

/// A result that arrives while paused is kept; callbacks added meanwhile queue up and run in
/// order on `unpause`.
#[test]
fn callbacks_queued_while_paused_run_in_order_on_unpause() {
    let (mut d, resolver) = Deferred::<u32>::new();
    d.pause();
    resolver.callback(1);
    assert!(d.is_called());
    assert_no_result(&d);
    let order: Log<(&str, u32)> = log();
    let (o1, o2) = (order.clone(), order.clone());
    let mut d = d
        .add_callback(move |n| {
            o1.borrow_mut().push(("first", n));
            Ok(n + 1)
        })
        .add_callback(move |n| {
            o2.borrow_mut().push(("second", n));
            Ok(n * 10)
        });
    assert!(order.borrow().is_empty());
    d.unpause();
    assert_eq!(*order.borrow(), vec![("first", 1), ("second", 2)]);
    assert_eq!(success_result_of(d), 20);
}

/// Extra `unpause` calls do nothing (documented difference: Twisted's counter would go
/// negative and leave the Deferred paused): it still fires normally, and one later pause
/// still needs exactly one unpause.
#[test]
fn extra_unpause_is_a_no_op() {
    let (mut d, resolver) = Deferred::<u8>::new();
    d.unpause();
    d.unpause();
    assert!(!d.is_paused());
    let seen = log();
    let mut d = d.add_callback(recorder(&seen));
    resolver.callback(3);
    assert_eq!(*seen.borrow(), vec![3]);
    d.pause();
    assert!(d.is_paused());
    d.unpause();
    assert!(!d.is_paused());
    assert_eq!(success_result_of(d), 3);
}

/// Unpausing a Deferred that already has its result and was never paused leaves the result.
#[test]
fn unpause_of_an_unpaused_fired_deferred_keeps_the_result() {
    let mut d = Deferred::succeed(8u8);
    d.unpause();
    assert!(d.has_result());
    assert_eq!(success_result_of(d), 8);
}

/// `pause` from inside a running callback stops the chain at once (documented difference:
/// Twisted's loop would still run the callbacks already queued); `unpause` runs the rest.
#[test]
fn pause_inside_a_running_callback_stops_the_chain_at_once() {
    let (mut d, resolver) = Deferred::<u8>::new();
    let controller = d.controller();
    let later = log();
    let mut d = d
        .add_callback(move |n| {
            controller.pause();
            Ok(n + 1)
        })
        .add_callback(recorder(&later))
        .add_callback(|n| Ok(n * 2));
    resolver.callback(1);
    assert!(
        later.borrow().is_empty(),
        "a queued callback ran after the pause"
    );
    assert!(d.is_paused());
    assert_no_result(&d);
    d.unpause();
    assert_eq!(*later.borrow(), vec![2]);
    assert_eq!(success_result_of(d), 4);
}

/// A callback that pauses and unpauses its own chain leaves it running normally.
#[test]
fn pause_and_unpause_inside_one_callback_keeps_the_chain_running() {
    let (mut d, resolver) = Deferred::<u8>::new();
    let controller = d.controller();
    let later = log();
    let d = d
        .add_callback(move |n| {
            controller.pause();
            controller.unpause();
            Ok(n + 1)
        })
        .add_callback(recorder(&later));
    resolver.callback(1);
    assert_eq!(*later.borrow(), vec![2]);
    assert_eq!(success_result_of(d), 2);
}

/// Pausing a Deferred that already has a result hides it until `unpause`; callbacks added
/// meanwhile wait.
#[test]
fn pausing_a_fired_deferred() {
    let mut d = Deferred::succeed(5u8);
    assert!(d.has_result());
    d.pause();
    assert!(d.is_paused());
    assert!(d.is_called());
    assert!(!d.has_result());
    let seen = log();
    let mut d = d.add_callback(recorder(&seen));
    assert!(seen.borrow().is_empty());
    d.unpause();
    assert_eq!(*seen.borrow(), vec![5]);
    assert_eq!(success_result_of(d), 5);
}

/// `Controller::pause`/`unpause` act on the Deferred from elsewhere, after its handle has
/// been re-typed by `add_callback`.
#[test]
fn controller_pause_and_unpause() {
    let (mut d, resolver) = Deferred::<u8>::new();
    let controller = d.controller();
    let seen: Log<String> = log();
    let d = d
        .add_callback(|n| Ok(format!("got {n}")))
        .add_callback(recorder(&seen));
    controller.pause();
    assert!(controller.is_paused());
    assert!(d.is_paused());
    resolver.callback(7);
    assert!(seen.borrow().is_empty());
    controller.unpause();
    assert!(!controller.is_paused());
    assert_eq!(*seen.borrow(), vec!["got 7".to_string()]);
    assert_eq!(success_result_of(d), "got 7");
}

/// A Controller keeps the chain alive: a paused Deferred whose handle was dropped still runs
/// its callbacks when the Controller unpauses it.
#[test]
fn controller_unpauses_after_the_handle_is_dropped() {
    let (mut d, resolver) = Deferred::<u8>::new();
    let controller = d.controller();
    controller.pause();
    let seen = log();
    drop(d.add_callback(recorder(&seen)));
    resolver.callback(2);
    assert!(seen.borrow().is_empty());
    controller.unpause();
    assert_eq!(*seen.borrow(), vec![2]);
}

/// A callback of another Deferred can unpause this one.
#[test]
fn unpause_from_inside_another_deferreds_callback() {
    let (mut d, resolver) = Deferred::<u8>::new();
    let controller = d.controller();
    d.pause();
    resolver.callback(6);
    let (trigger, fire_trigger) = Deferred::<()>::new();
    let trigger = trigger.add_callback(move |()| {
        controller.unpause();
        Ok(())
    });
    let d = d.add_callback(|n| Ok(n + 1));
    assert_no_result(&d);
    fire_trigger.callback(());
    success_result_of(trigger);
    assert_eq!(success_result_of(d), 7);
}

/// A paused inner Deferred returned by a callback holds the outer chain even after the inner
/// one fires; unpausing the inner one lets the outer continue with its value.
#[test]
fn test_callback_returns_deferred() {
    let (mut inner, inner_resolver) = Deferred::<u8>::new();
    let inner_controller = inner.controller();
    inner.pause();
    let (outer, outer_resolver) = Deferred::<u8>::new();
    let seen = log();
    let outer = outer
        .add_callback(move |_| inner)
        .add_callback(recorder(&seen));
    outer_resolver.callback(1);
    assert!(seen.borrow().is_empty());
    inner_resolver.callback(2);
    assert!(
        seen.borrow().is_empty(),
        "ran although the inner Deferred is paused"
    );
    assert_no_result(&outer);
    inner_controller.unpause();
    assert_eq!(*seen.borrow(), vec![2]);
    assert_eq!(success_result_of(outer), 2);
}

/// A callback returning a Deferred that already has a result but is paused: the outer chain
/// waits for the unpause.
#[test]
fn test_chained_paused_deferred_with_result() {
    let (mut paused, paused_resolver) = Deferred::<&str>::new();
    paused_resolver.callback("expected");
    paused.pause();
    let controller = paused.controller();
    let (chained, chained_resolver) = Deferred::<()>::new();
    let chained = chained.add_callback(move |()| paused);
    chained_resolver.callback(());
    let seen = log();
    let chained = chained.add_callback(recorder(&seen));
    assert!(seen.borrow().is_empty());
    controller.unpause();
    assert_eq!(*seen.borrow(), vec!["expected"]);
    assert_eq!(success_result_of(chained), "expected");
}

/// Pausing an outer Deferred that waits on an inner one does not stop the inner one from
/// finishing: its callbacks run and its result is handed over, to be used on unpause.
#[test]
fn test_paused_deferred_chained() {
    let (second, second_resolver) = Deferred::<u8>::new();
    let inner_seen = log();
    let second = second.add_callback(recorder(&inner_seen));
    let (first, first_resolver) = Deferred::<()>::new();
    let mut first = first.add_callback(move |()| second);
    first_resolver.callback(());
    first.pause();
    second_resolver.callback(3);
    assert_eq!(*inner_seen.borrow(), vec![3]);
    assert_no_result(&first);
    first.unpause();
    assert_eq!(success_result_of(first), 3);
}

/// A failure reaching a chain while it is paused waits too, and then takes the errback path.
#[test]
fn failure_while_paused_waits_for_unpause() {
    let (mut d, resolver) = Deferred::<u8>::new();
    d.pause();
    let seen: Log<String> = log();
    let s = seen.clone();
    let mut d = d.add_errback(move |f| {
        s.borrow_mut().push(f.error_message());
        Err(f)
    });
    resolver.errback(Failure::msg("late"));
    assert!(seen.borrow().is_empty());
    d.unpause();
    assert_eq!(*seen.borrow(), vec!["late".to_string()]);
    assert_eq!(failure_result_of(d).error_message(), "late");
}

/// The same when the outer Deferred already had its value when the callback was added: a
/// pause of the outer one still does not hold back the inner one's own callbacks.
#[test]
fn test_paused_deferred_chained_on_an_already_fired_deferred() {
    let (second, second_resolver) = Deferred::<u8>::new();
    let inner_seen = log();
    let second = second.add_callback(recorder(&inner_seen));
    let mut first = Deferred::succeed(()).add_callback(move |()| second);
    first.pause();
    second_resolver.callback(3);
    assert_eq!(*inner_seen.borrow(), vec![3]);
    assert_no_result(&first);
    first.unpause();
    assert_eq!(success_result_of(first), 3);
}

/// A Deferred waiting on one returned by its callback counts as called and waiting, whether
/// it was fired before or after the callback was added.
#[test]
fn waiting_deferred_is_called_even_when_fired_before_the_callback_was_added() {
    let (inner, inner_resolver) = Deferred::<u8>::new();
    let (outer, outer_resolver) = Deferred::<()>::new();
    let mut late = outer.add_callback(move |()| inner);
    outer_resolver.callback(());
    assert!(late.is_called());
    assert!(late.controller().is_waiting());

    let (inner2, inner2_resolver) = Deferred::<u8>::new();
    let mut early = Deferred::succeed(()).add_callback(move |()| inner2);
    assert!(early.is_called());
    assert!(early.controller().is_waiting());

    inner_resolver.callback(1);
    inner2_resolver.callback(2);
    assert_eq!(success_result_of(late), 1);
    assert_eq!(success_result_of(early), 2);
}
