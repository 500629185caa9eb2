//! Runs of same-typed callbacks queued on an unfired Deferred run together in one loop; they
//! must behave exactly like callbacks run one by one.

use std::cell::RefCell;
use std::rc::Rc;

use deferreds::{testing, Deferred, Failure, PanicError};

type Log = Rc<RefCell<Vec<u32>>>;

fn logging(log: &Log, step: u32) -> impl FnOnce(u32) -> Result<u32, Failure> {
    let log = log.clone();
    move |value| {
        log.borrow_mut().push(step);
        Ok(value + 1)
    }
}

/// A pause from inside the second of five queued callbacks stops the run right there.
#[test]
fn pause_inside_a_run_stops_it_and_unpause_resumes_in_order() {
    let log: Log = Rc::default();
    let (mut d, resolver) = Deferred::<u32>::new();
    let controller = d.controller();
    let mut d = d.add_callback(logging(&log, 1));
    let pauser = controller.clone();
    d = d.add_callback(move |value| {
        pauser.pause();
        Ok(value + 1)
    });
    for step in 3..=5 {
        d = d.add_callback(logging(&log, step));
    }
    resolver.callback(0);
    assert_eq!(*log.borrow(), [1]);
    testing::assert_no_result(&d);
    controller.unpause();
    assert_eq!(*log.borrow(), [1, 3, 4, 5]);
    assert_eq!(testing::success_result_of(d), 5);
}

/// A failure in the middle of a run skips the rest of it and reaches the next errback.
#[test]
fn failure_inside_a_run_skips_the_rest() {
    let log: Log = Rc::default();
    let (d, resolver) = Deferred::<u32>::new();
    let d = d
        .add_callback(logging(&log, 1))
        .add_callback(logging(&log, 2))
        .add_callback(|_| Err(Failure::msg("third failed")))
        .add_callback(logging(&log, 4))
        .add_callback(logging(&log, 5))
        .add_errback(|failure| Ok(failure.error_message().len() as u32));
    resolver.callback(0);
    assert_eq!(*log.borrow(), [1, 2]);
    assert_eq!(testing::success_result_of(d), "third failed".len() as u32);
}

/// A panic in the middle of a run becomes a PanicError and skips the rest.
#[test]
fn panic_inside_a_run_becomes_a_failure() {
    let log: Log = Rc::default();
    let (d, resolver) = Deferred::<u32>::new();
    let d = d
        .add_callback(logging(&log, 1))
        .add_callback(logging(&log, 2))
        .add_callback(|_| -> Result<u32, Failure> { panic!("third panicked") })
        .add_callback(logging(&log, 4));
    resolver.callback(0);
    assert_eq!(*log.borrow(), [1, 2]);
    let failure = testing::failure_result_of(d);
    assert_eq!(
        failure
            .downcast_ref::<PanicError>()
            .map(PanicError::message),
        Some("third panicked")
    );
}

/// A failure fired into a queue of callbacks passes all of them by.
#[test]
fn a_failure_passes_a_whole_run_by() {
    let log: Log = Rc::default();
    let (mut d, resolver) = Deferred::<u32>::new();
    for step in 1..=100 {
        d = d.add_callback(logging(&log, step));
    }
    let d = d.add_errback(|_| Ok(7));
    resolver.errback(Failure::msg("early"));
    assert!(log.borrow().is_empty());
    assert_eq!(testing::success_result_of(d), 7);
}

/// Runs broken up by callbacks of other types keep their order and types.
#[test]
fn runs_of_different_types_keep_order() {
    let log: Log = Rc::default();
    let (d, resolver) = Deferred::<u32>::new();
    let d = d
        .add_callback(logging(&log, 1))
        .add_callback(logging(&log, 2))
        .add_callback(|value| Ok(value.to_string()))
        .add_callback(|text| Ok(format!("{text}!")))
        .add_callback(|text| Ok(format!("{text}?")))
        .add_callback(|text: String| Ok(text.len() as u32))
        .add_callback(logging(&log, 3))
        .add_callback(logging(&log, 4));
    resolver.callback(10);
    assert_eq!(*log.borrow(), [1, 2, 3, 4]);
    assert_eq!(testing::success_result_of(d), 6);
}
