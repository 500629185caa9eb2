//! `ResolverSlot`, Twisted's `self.d`: armed with one Deferred at a time, fired at most once
//! from a later event, with `AlreadyCalledError` / `AlreadyArmedError` as values, and usable
//! again from inside the callbacks of the Deferred it just fired.

use std::cell::RefCell;
use std::rc::Rc;

use deferreds::testing::{
    assert_no_result, capture_unhandled, failure_result_of, success_result_of,
};
use deferreds::{
    AbandonedError, AlreadyArmedError, AlreadyCalledError, CancelledError, Deferred, Failure,
    ResolverSlot,
};

type Log = Rc<RefCell<Vec<String>>>;

fn log() -> Log {
    Rc::default()
}

fn entries(log: &Log) -> Vec<String> {
    log.borrow().clone()
}

/// An armed slot fires its Deferred once, and is empty afterwards.
#[test]
fn callback_fires_the_armed_deferred_and_empties_the_slot() {
    let slot = ResolverSlot::new();
    assert!(!slot.is_armed());
    let d = slot.arm().unwrap();
    assert!(slot.is_armed());
    assert_no_result(&d);

    assert_eq!(slot.callback(7u8), Ok(()));
    assert!(!slot.is_armed());
    assert_eq!(success_result_of(d), 7);
}

/// `errback` and `resolve` fire with a failure or a result, like the resolver's own methods.
#[test]
fn errback_and_resolve_fire_the_armed_deferred() {
    let slot = ResolverSlot::<u8>::new();
    let d = slot.arm().unwrap();
    assert_eq!(slot.errback(Failure::msg("refused")), Ok(()));
    assert_eq!(failure_result_of(d).error_message(), "refused");

    let d = slot.arm().unwrap();
    assert_eq!(slot.resolve(Ok(9)), Ok(()));
    assert_eq!(success_result_of(d), 9);

    let d = slot.arm().unwrap();
    assert_eq!(slot.resolve(Err(Failure::msg("late"))), Ok(()));
    assert_eq!(failure_result_of(d).error_message(), "late");
    assert!(!slot.is_armed());
}

/// Firing a slot that was never armed is `AlreadyCalledError`, with every firing method.
#[test]
fn firing_an_empty_slot_is_already_called() {
    let slot = ResolverSlot::<u8>::new();
    assert_eq!(slot.callback(1), Err(AlreadyCalledError));
    assert_eq!(slot.errback(Failure::msg("x")), Err(AlreadyCalledError));
    assert_eq!(slot.resolve(Ok(1)), Err(AlreadyCalledError));
    assert!(!slot.is_armed());
}

/// Firing twice gives the error the second time, and the Deferred keeps the first result.
#[test]
fn firing_twice_is_already_called_and_keeps_the_first_result() {
    let slot = ResolverSlot::new();
    let d = slot.arm().unwrap();
    assert_eq!(slot.callback("first"), Ok(()));
    assert_eq!(slot.callback("second"), Err(AlreadyCalledError));
    assert_eq!(slot.errback(Failure::msg("third")), Err(AlreadyCalledError));
    assert_eq!(success_result_of(d), "first");
}

/// Arming an armed slot is `AlreadyArmedError` and leaves the first Deferred armed: the next
/// event fires that one.
#[test]
fn arming_an_armed_slot_is_already_armed_and_keeps_the_first() {
    let slot = ResolverSlot::new();
    let first = slot.arm().unwrap();
    assert_eq!(slot.arm().unwrap_err(), AlreadyArmedError);
    assert!(slot.is_armed());
    slot.callback(1u8).unwrap();
    assert_eq!(success_result_of(first), 1);
}

/// The errors say what happened and what to do.
#[test]
fn error_messages_say_what_to_do() {
    assert_eq!(
        AlreadyCalledError.to_string(),
        "the ResolverSlot holds no resolver: its Deferred was already fired or taken, or none \
         was armed (arm a new Deferred with ResolverSlot::arm before firing)"
    );
    assert_eq!(
        AlreadyArmedError.to_string(),
        "the ResolverSlot is already armed with an unfired Deferred's resolver (fire it, or \
         take it with ResolverSlot::take, before arming another)"
    );
    // Both are errors a callback can fail with.
    assert!(Failure::from(AlreadyCalledError).check::<AlreadyCalledError>());
}

/// A callback of the fired Deferred re-arms the same slot; the next event fires the new
/// Deferred, whose callbacks run then, not before.
#[test]
fn a_callback_rearms_the_slot_and_the_next_event_fires_the_new_deferred() {
    let slot = Rc::new(ResolverSlot::<u32>::new());
    let log = log();
    let next: Rc<RefCell<Option<Deferred<u32>>>> = Rc::default();

    let first = {
        let (slot, log, next) = (slot.clone(), log.clone(), next.clone());
        slot.clone().arm().unwrap().add_callback(move |n| {
            log.borrow_mut().push(format!("first got {n}"));
            assert!(
                !slot.is_armed(),
                "the slot is empty while its Deferred fires"
            );
            let log = log.clone();
            let second = slot.arm().unwrap().add_callback(move |m| {
                log.borrow_mut().push(format!("second got {m}"));
                Ok(m)
            });
            *next.borrow_mut() = Some(second);
            Ok(n)
        })
    };

    slot.callback(1).unwrap();
    assert_eq!(entries(&log), ["first got 1"]);
    assert!(slot.is_armed(), "re-armed by the callback");
    let second = next.borrow_mut().take().unwrap();
    assert_no_result(&second);

    slot.callback(2).unwrap();
    assert_eq!(entries(&log), ["first got 1", "second got 2"]);
    assert!(!slot.is_armed());
    assert_eq!(success_result_of(first), 1);
    assert_eq!(success_result_of(second), 2);
}

/// A callback of the previous Deferred re-arms the slot and fires it at once: the new
/// Deferred's callbacks run inside the old one's, before the old chain goes on.
#[test]
fn firing_from_inside_the_callbacks_of_the_previous_deferred() {
    let slot = Rc::new(ResolverSlot::<u32>::new());
    let log = log();
    let next: Rc<RefCell<Option<Deferred<u32>>>> = Rc::default();

    let first = {
        let (slot, log, next) = (slot.clone(), log.clone(), next.clone());
        let log_after = log.clone();
        slot.clone()
            .arm()
            .unwrap()
            .add_callback(move |n| {
                log.borrow_mut().push(format!("first got {n}"));
                let inner_log = log.clone();
                let second = slot.arm().unwrap().add_callback(move |m| {
                    inner_log.borrow_mut().push(format!("second got {m}"));
                    Ok(m)
                });
                *next.borrow_mut() = Some(second);
                assert_eq!(slot.callback(n + 1), Ok(()));
                log.borrow_mut().push("first fired second".to_string());
                Ok(n)
            })
            .add_callback(move |n| {
                log_after
                    .borrow_mut()
                    .push(format!("first goes on with {n}"));
                Ok(n)
            })
    };

    slot.callback(1).unwrap();
    assert_eq!(
        entries(&log),
        [
            "first got 1",
            "second got 2",
            "first fired second",
            "first goes on with 1"
        ]
    );
    assert!(!slot.is_armed());
    assert_eq!(success_result_of(first), 1);
    assert_eq!(success_result_of(next.borrow_mut().take().unwrap()), 2);
}

/// Firing the slot again from inside the callbacks of the Deferred it is firing gives the
/// error: the resolver left the slot before the callbacks ran.
#[test]
fn firing_again_from_inside_its_own_callbacks_is_already_called() {
    let slot = Rc::new(ResolverSlot::<u32>::new());
    let seen: Rc<RefCell<Option<Result<(), AlreadyCalledError>>>> = Rc::default();
    let d = {
        let (slot, seen) = (slot.clone(), seen.clone());
        slot.clone().arm().unwrap().add_callback(move |n| {
            *seen.borrow_mut() = Some(slot.callback(n + 100));
            Ok(n)
        })
    };
    slot.callback(1).unwrap();
    assert_eq!(*seen.borrow(), Some(Err(AlreadyCalledError)));
    assert_eq!(success_result_of(d), 1);
}

/// A callback can also fail its chain with the error, as Twisted's callback would raise it.
#[test]
fn already_called_fails_a_chain_through_question_mark() {
    let slot = Rc::new(ResolverSlot::<u32>::new());
    let d = {
        let slot = slot.clone();
        slot.clone().arm().unwrap().add_callback(move |n| {
            slot.callback(n)?;
            Ok(n)
        })
    };
    slot.callback(1).unwrap();
    assert!(failure_result_of(d).check::<AlreadyCalledError>());
}

/// `take` empties the slot and gives the resolver back; the slot then reports itself empty.
#[test]
fn take_gives_the_resolver_back() {
    let slot = ResolverSlot::new();
    assert!(slot.take().is_none());
    let d = slot.arm().unwrap();
    let resolver = slot.take().unwrap();
    assert!(!slot.is_armed());
    assert_eq!(slot.callback(1u8), Err(AlreadyCalledError));
    resolver.callback(2);
    assert_eq!(success_result_of(d), 2);
}

/// Dropping an armed slot drops its resolver: the Deferred fails with `AbandonedError`.
#[test]
fn dropping_an_armed_slot_abandons_its_deferred() {
    let slot = ResolverSlot::<u8>::new();
    let d = slot.arm().unwrap();
    drop(slot);
    assert!(failure_result_of(d).check::<AbandonedError>());
}

/// Dropping an armed slot whose Deferred nobody holds reports nothing, like dropping both
/// halves of an unused Deferred.
#[test]
fn dropping_an_armed_slot_nobody_waits_on_reports_nothing() {
    let reports = capture_unhandled(|| {
        let slot = ResolverSlot::<u8>::new();
        drop(slot.arm().unwrap());
        drop(slot);
    });
    assert!(reports.is_empty(), "{reports:?}");
}

/// After the Deferred is cancelled, firing the slot is ignored, as for its resolver, and
/// empties the slot: the next request can arm it again.
#[test]
fn firing_after_a_cancel_is_ignored_and_empties_the_slot() {
    let slot = ResolverSlot::new();
    let d = slot.arm().unwrap();
    d.cancel();
    assert!(slot.is_armed(), "cancelling does not reach into the slot");
    assert_eq!(slot.callback(1u8), Ok(()));
    assert!(!slot.is_armed());
    assert!(failure_result_of(d).check::<CancelledError>());

    let again = slot.arm().unwrap();
    slot.callback(2).unwrap();
    assert_eq!(success_result_of(again), 2);
}

/// Debug shows the value type and whether the slot is armed, without disturbing it.
#[test]
fn debug_shows_whether_armed() {
    let slot = ResolverSlot::<u8>::default();
    assert_eq!(format!("{slot:?}"), "ResolverSlot<u8> { empty }");
    let d = slot.arm().unwrap();
    assert_eq!(format!("{slot:?}"), "ResolverSlot<u8> { armed }");
    slot.callback(3).unwrap();
    assert_eq!(success_result_of(d), 3);
}
