//! Callbacks that reach back into chains while they run: adding callbacks to their own
//! chain, firing other Deferreds, cancelling or pausing their own chain (catalogue A.15–17
//! and more). None may panic with a `RefCell` borrow error, and the order of callbacks must
//! be Twisted's.

use std::cell::RefCell;
use std::rc::Rc;

use deferreds::testing::{assert_no_result, failure_result_of, success_result_of};
use deferreds::{CancelledError, Controller, Deferred, Failure, Resolver};

mod support;
use support::{note, Log};

/// Catalogue A.15–16, as far as they apply: a callback cannot add to its own chain (the
/// handle was consumed by `add_callback`, and a `Controller` cannot add callbacks), so what
/// it adds goes on a Deferred of its own. Added to a fired one, it runs at once; returned,
/// that Deferred's result carries on down the chain, in order.
#[test]
fn callbacks_added_inside_a_callback() {
    let log = Log::default();
    let (d, fire) = Deferred::<u8>::new();
    let d = d
        .add_callback({
            let log = log.clone();
            move |v| {
                note(&log, "1");
                let later = log.clone();
                let added = Deferred::succeed(v).add_callback(move |v| {
                    note(&later, "3");
                    Ok(v)
                });
                note(&log, format!("still {}", log.borrow().len()));
                added
            }
        })
        .add_callback({
            let log = log.clone();
            move |v| {
                note(&log, "2");
                Ok(v)
            }
        });
    fire.callback(1);
    assert_eq!(*log.borrow(), ["1", "3", "still 2", "2"]);
    success_result_of(d);
}

/// Catalogue A.17: a callback added from inside a callback that fails: the chain's failure
/// is that error.
#[test]
fn a_reentrantly_added_callback_that_fails() {
    let (d, fire) = Deferred::<u8>::new();
    let d = d.add_callback(|v| {
        Deferred::succeed(v).add_callback(|_| -> Result<u8, Failure> {
            Err(Failure::msg("callback raised exception"))
        })
    });
    fire.callback(1);
    assert_eq!(
        failure_result_of(d).error_message(),
        "callback raised exception"
    );
}

/// Through a `Controller`, a callback pauses its own chain: the rest waits until unpaused,
/// and nothing is reordered.
#[test]
fn a_callback_pauses_its_own_chain() {
    let log = Log::default();
    let controller: Rc<RefCell<Option<Controller>>> = Rc::default();
    let (d, fire) = Deferred::<u8>::new();
    let mut d = d
        .add_callback({
            let (log, controller) = (log.clone(), controller.clone());
            move |v| {
                note(&log, "first");
                controller.borrow().as_ref().unwrap().pause();
                Ok(v)
            }
        })
        .add_callback({
            let log = log.clone();
            move |v| {
                note(&log, "second");
                Ok(v)
            }
        });
    *controller.borrow_mut() = Some(d.controller());
    fire.callback(1);
    assert_eq!(*log.borrow(), ["first"]);
    assert!(d.is_paused());
    d.unpause();
    assert_eq!(*log.borrow(), ["first", "second"]);
    success_result_of(d);
}

/// A callback that cancels its own (running, fired) chain: the cancel does nothing, as for
/// any fired Deferred, and the callbacks go on in order.
#[test]
fn a_callback_cancels_its_own_chain() {
    let log = Log::default();
    let controller: Rc<RefCell<Option<Controller>>> = Rc::default();
    let (d, fire) = Deferred::<u8>::new();
    let mut d = d
        .add_callback({
            let (log, controller) = (log.clone(), controller.clone());
            move |v| {
                controller.borrow().as_ref().unwrap().cancel();
                note(&log, "after cancel");
                Ok(v + 1)
            }
        })
        .add_callback({
            let log = log.clone();
            move |v| {
                note(&log, "next");
                Ok(v)
            }
        });
    *controller.borrow_mut() = Some(d.controller());
    fire.callback(1);
    assert_eq!(*log.borrow(), ["after cancel", "next"]);
    assert_eq!(success_result_of(d), 2);
}

/// A callback that cancels its own chain while that chain waits on a Deferred it returned:
/// the inner one is cancelled, and the failure goes on down the outer chain.
#[test]
fn cancelling_the_chain_a_callback_made_wait() {
    let controller: Rc<RefCell<Option<Controller>>> = Rc::default();
    let (d, fire) = Deferred::<u8>::new();
    let (inner, _keep) = Deferred::<u8>::new();
    let mut d = d.add_callback(move |_| inner);
    let log = Log::default();
    let outer_log = log.clone();
    *controller.borrow_mut() = Some(d.controller());
    fire.callback(1);
    assert!(d.is_waiting());
    // From some other callback, later: cancel the waiting chain.
    let (trigger, pull) = Deferred::<()>::new();
    let trigger = trigger.add_callback({
        let controller = controller.clone();
        move |()| {
            controller.borrow().as_ref().unwrap().cancel();
            note(&outer_log, "cancelled");
            Ok(())
        }
    });
    pull.callback(());
    assert_eq!(*log.borrow(), ["cancelled"]);
    success_result_of(trigger);
    d.unpause(); // an extra unpause is harmless
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// A callback that fires another Deferred, whose callback fires a third: each runs to the
/// end in turn, nested, as in Twisted.
#[test]
fn a_callback_fires_another_deferred() {
    let log = Log::default();
    let (second, fire_second) = Deferred::<u8>::new();
    let (third, fire_third) = Deferred::<u8>::new();
    let second = second.add_callback({
        let log = log.clone();
        move |v| {
            note(&log, "second starts");
            fire_third.callback(v + 1);
            note(&log, "second ends");
            Ok(v)
        }
    });
    let third = third.add_callback({
        let log = log.clone();
        move |v| {
            note(&log, format!("third {v}"));
            Ok(v)
        }
    });
    let first = Deferred::succeed(1u8).add_callback({
        let log = log.clone();
        move |v| {
            note(&log, "first starts");
            fire_second.callback(v);
            note(&log, "first ends");
            Ok(v)
        }
    });
    assert_eq!(
        *log.borrow(),
        [
            "first starts",
            "second starts",
            "third 2",
            "second ends",
            "first ends"
        ]
    );
    success_result_of(first);
    success_result_of(second);
    assert_eq!(success_result_of(third), 2);
}

/// A callback on one Deferred fires the resolver of the Deferred it is waiting on: the chain
/// picks the result up and goes on.
#[test]
fn a_callback_fires_what_its_own_chain_waits_on() {
    let (inner, fire_inner) = Deferred::<u8>::new();
    let fire_inner: Rc<RefCell<Option<Resolver<u8>>>> = Rc::new(RefCell::new(Some(fire_inner)));
    let (d, fire) = Deferred::<()>::new();
    let d = d.add_callback(move |()| inner).add_callback(|v| Ok(v * 2));
    let (trigger, pull) = Deferred::<()>::new();
    let trigger = trigger.add_callback({
        let fire_inner = fire_inner.clone();
        move |()| {
            fire_inner.borrow_mut().take().unwrap().callback(21);
            Ok(())
        }
    });
    fire.callback(());
    assert_no_result(&d);
    pull.callback(());
    success_result_of(trigger);
    assert_eq!(success_result_of(d), 42);
}

/// A callback that unpauses another paused Deferred runs that one's callbacks nested, and
/// both finish in order.
#[test]
fn a_callback_unpauses_another_deferred() {
    let log = Log::default();
    let (mut other, fire_other) = Deferred::<u8>::new();
    other.pause();
    let other_controller = other.controller();
    let other = other.add_callback({
        let log = log.clone();
        move |v| {
            note(&log, "other runs");
            Ok(v)
        }
    });
    fire_other.callback(1);
    assert_no_result(&other);
    let d = Deferred::succeed(()).add_callback({
        let log = log.clone();
        move |()| {
            note(&log, "before unpause");
            other_controller.unpause();
            note(&log, "after unpause");
            Ok(())
        }
    });
    assert_eq!(
        *log.borrow(),
        ["before unpause", "other runs", "after unpause"]
    );
    success_result_of(d);
    success_result_of(other);
}

/// Dropping the last handle of a Deferred from inside its own callback is safe.
#[test]
fn dropping_a_handle_from_inside_its_callback() {
    let slot: Rc<RefCell<Option<Deferred<u8>>>> = Rc::default();
    let (d, fire) = Deferred::<u8>::new();
    let d = d.add_callback({
        let slot = slot.clone();
        move |v| {
            drop(slot.borrow_mut().take());
            Ok(v)
        }
    });
    *slot.borrow_mut() = Some(d);
    fire.callback(1);
    assert!(slot.borrow().is_none());
}
