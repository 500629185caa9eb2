//! `gather_results`: Twisted's `gatherResults` tests (catalogue H), ported, then ordering,
//! failure and cancellation paths.
//!
//! `gather_results` takes its inputs, so a failure Twisted's tests swallow on the input
//! afterwards is reported as unhandled here (the inputs' errors are not consumed, as in
//! Twisted); `capture_unhandled` checks those reports. Twisted's
//! `gatherResults(ds, consumeErrors=True)` is
//! `Gather::new(ds).consume_errors(true).run()` (or the `DeferredList` form).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use deferreds::testing::{
    assert_no_result, capture_unhandled, failure_result_of, success_result_of,
};
use deferreds::{gather_results, CancelledError, Deferred, DeferredList, Failure, FirstError};

mod support;
use support::{panic_messages, PanicsOnDrop};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
struct GenericError(&'static str);

/// Twisted's `fakeCallbackCanceller`.
fn fake_callback_canceller() -> (Deferred<&'static str>, deferreds::Resolver<&'static str>) {
    Deferred::with_canceller(|resolver| resolver.callback("Callback Result"))
}

/// 98 `test_gatherResults`: values in order; a failure fails the gathering.
#[test]
fn test_gather_results() {
    let results = gather_results(vec![Deferred::succeed(1), Deferred::succeed(2)]);
    assert_eq!(success_result_of(results), [1, 2]);

    let reports = capture_unhandled(|| {
        let dl = vec![Deferred::succeed(1), Deferred::fail(GenericError("value"))];
        let errors = Rc::new(RefCell::new(Vec::new()));
        let record = errors.clone();
        let _ = gather_results(dl).add_errback(move |failure| {
            record.borrow_mut().push(failure);
            Ok(vec![])
        });
        assert_eq!(errors.borrow().len(), 1);
        assert!(errors.borrow()[0].check::<FirstError>());
    });
    // Twisted's test swallows the input's own failure afterwards; here it is reported.
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].failure().error_message(), "value");
}

/// 99 `test_gatherResultsWithConsumeErrors`: consumed, the input's failure is not reported;
/// the gathering still fails with a `FirstError` wrapping it.
#[test]
fn test_gather_results_with_consume_errors() {
    let reports = capture_unhandled(|| {
        let dgood = Deferred::succeed(1);
        let dbad: Deferred<i32> = Deferred::fail(GenericError("oh noes"));
        let d = DeferredList::new(vec![dgood, dbad])
            .consume_errors(true)
            .fire_on_one_errback();
        let gathered = failure_result_of(d);
        let first = gathered.downcast_ref::<FirstError>().unwrap();
        assert!(first.failure.check::<GenericError>());
        assert_eq!(first.index, 1);
    });
    assert!(reports.is_empty());
}

/// 100 `test_cancelGatherResults`: cancelling cancels every input; the gathering fails with
/// a `FirstError` wrapping the first `CancelledError`.
#[test]
fn test_cancel_gather_results() {
    let reports = capture_unhandled(|| {
        let (d1, _r1) = Deferred::<()>::new();
        let (d2, _r2) = Deferred::<()>::new();
        let result = gather_results(vec![d1, d2]);
        result.cancel();
        let failure = failure_result_of(result);
        let first = failure.downcast_ref::<FirstError>().unwrap();
        assert!(first.failure.check::<CancelledError>());
        assert_eq!(first.index, 0);
    });
    // Both inputs were cancelled, and (not consumed) each reports its CancelledError.
    assert_eq!(reports.len(), 2);
    assert!(reports
        .iter()
        .all(|r| r.failure().check::<CancelledError>()));
}

/// 101 `test_cancelGatherResultsWithAllDeferredsCallback`: if every canceller fires a
/// value, the gathering succeeds with them.
#[test]
fn test_cancel_gather_results_with_all_deferreds_callback() {
    let (d1, _r1) = fake_callback_canceller();
    let (d2, _r2) = fake_callback_canceller();
    let result = gather_results(vec![d1, d2]);
    result.cancel();
    assert_eq!(
        success_result_of(result),
        ["Callback Result", "Callback Result"]
    );
}

/// Values come in input order, whatever order the inputs fire in.
#[test]
fn values_are_in_input_order() {
    let (ds, rs): (Vec<_>, Vec<_>) = (0..4).map(|_| Deferred::<String>::new()).unzip();
    let gathered = gather_results(ds);
    for (i, r) in rs.into_iter().enumerate().rev() {
        assert_no_result(&gathered);
        r.callback(format!("v{i}"));
    }
    assert_eq!(success_result_of(gathered), ["v0", "v1", "v2", "v3"]);
}

/// Inputs may be any iterator of Deferreds, including already fired ones.
#[test]
fn gathers_from_an_iterator() {
    let gathered = gather_results((1..=5).map(Deferred::succeed));
    assert_eq!(success_result_of(gathered), [1, 2, 3, 4, 5]);
}

/// No inputs: an empty `Vec` at once.
#[test]
fn gathering_nothing_fires_at_once() {
    let gathered = gather_results(Vec::<Deferred<u8>>::new());
    assert!(success_result_of(gathered).is_empty());
}

/// Only the first failure counts; the values already gathered are dropped then, and the
/// remaining inputs are left alone (not cancelled).
#[test]
fn the_first_failure_wins_and_the_rest_are_left_alone() {
    let dropped = Rc::new(Cell::new(0));
    struct Tracked(Rc<Cell<u32>>);
    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let cancels = Rc::new(Cell::new(0));
    let count = cancels.clone();
    let (d0, r0) = Deferred::<Tracked>::new();
    let (d1, r1) = Deferred::<Tracked>::new();
    let (d2, r2) = Deferred::<Tracked>::with_canceller(move |_| count.set(count.get() + 1));
    let gathered = DeferredList::new(vec![d0, d1, d2])
        .consume_errors(true)
        .fire_on_one_errback();
    r0.callback(Tracked(dropped.clone()));
    let failure = Failure::new(GenericError("first"));
    r1.errback(failure.clone());
    assert_eq!(
        dropped.get(),
        1,
        "the gathered value is released when the gathering fails"
    );
    let got = failure_result_of(gathered);
    assert_eq!(
        got.downcast_ref::<FirstError>(),
        Some(&FirstError::new(1, failure))
    );
    assert_eq!(cancels.get(), 0);
    r2.callback(Tracked(dropped.clone()));
    assert_eq!(
        dropped.get(),
        2,
        "a value after the decision is dropped at once"
    );
}

/// Later failures are reported unless consumed.
#[test]
fn later_failures_follow_consume_errors() {
    let run = |consume: bool| {
        capture_unhandled(|| {
            let (d0, r0) = Deferred::<u8>::new();
            let (d1, r1) = Deferred::<u8>::new();
            let gathered = DeferredList::new(vec![d0, d1])
                .consume_errors(consume)
                .fire_on_one_errback();
            r0.errback(GenericError("first"));
            r1.errback(GenericError("second"));
            assert!(failure_result_of(gathered).check::<FirstError>());
        })
    };
    let mut reported: Vec<String> = run(false)
        .iter()
        .map(|r| r.failure().error_message())
        .collect();
    reported.sort();
    assert_eq!(reported, ["first", "second"]);
    assert!(run(true).is_empty());
}

/// An input waiting on a Deferred returned by one of its callbacks is gathered when that
/// one fires.
#[test]
fn gathers_inputs_that_wait_on_other_deferreds() {
    let (inner, fire_inner) = Deferred::<u8>::new();
    let waiting = Deferred::succeed(()).add_callback(move |()| inner);
    let gathered = gather_results(vec![waiting, Deferred::succeed(2)]);
    assert_no_result(&gathered);
    fire_inner.callback(1);
    assert_eq!(success_result_of(gathered), [1, 2]);
}

/// Cancelling after the gathering fired does nothing.
#[test]
fn cancelling_a_fired_gathering_does_nothing() {
    let cancels = Rc::new(Cell::new(0));
    let count = cancels.clone();
    let (d, r) = Deferred::<u8>::with_canceller(move |_| count.set(count.get() + 1));
    let gathered = gather_results(vec![d]);
    r.callback(3);
    gathered.cancel();
    assert_eq!(cancels.get(), 0);
    assert_eq!(success_result_of(gathered), [3]);
}

/// The gathering's callbacks run when the last input fires, and may chain further.
#[test]
fn callbacks_on_the_gathering_run_when_the_last_input_fires() {
    let (d1, r1) = Deferred::<u32>::new();
    let (d2, r2) = Deferred::<u32>::new();
    let sum = gather_results(vec![d1, d2]).add_callback(|v| Ok(v.iter().sum::<u32>()));
    r1.callback(40);
    assert_no_result(&sum);
    r2.callback(2);
    assert_eq!(success_result_of(sum), 42);
}

/// Cancelling only cancels the inputs: an input that keeps its result to itself (paused) keeps
/// the gathering waiting, and once unpaused its `CancelledError` fails it (Twisted's
/// `gatherResults` is a `DeferredList`: `FirstError[#0, CancelledError]`).
#[test]
fn a_cancelled_gathering_waits_for_a_paused_input() {
    let (mut d1, _r1) = Deferred::<u8>::new();
    let controller = d1.controller();
    d1.pause();
    let (d2, _r2) = Deferred::<u8>::with_canceller(|resolver| resolver.callback(2));
    let gathered = DeferredList::new(vec![d1, d2])
        .consume_errors(true)
        .fire_on_one_errback();
    gathered.cancel();
    assert_no_result(&gathered);
    controller.unpause();
    let failure = failure_result_of(gathered);
    let first = failure.downcast_ref::<FirstError>().unwrap();
    assert_eq!(first.index, 0);
    assert!(first.failure.check::<CancelledError>());
}

/// An input whose canceller panicked does not keep the gathering waiting (Twisted's would,
/// until the input fires): a cancelled Deferred never stays waiting, so the input fails with
/// `CancelledError`, the gathering with it, and the panic is reported.
#[test]
fn a_panicking_input_canceller_still_cancels_the_gathering() {
    let reports = capture_unhandled(|| {
        let (d1, r1) = Deferred::<u8>::with_canceller(|_| panic!("canceller failed"));
        let (d2, _r2) = Deferred::<u8>::with_canceller(|resolver| resolver.callback(2));
        let gathered = gather_results(vec![d1, d2]);
        gathered.cancel();
        r1.callback(1); // too late: ignored
        let failure = failure_result_of(gathered);
        let first = failure.downcast_ref::<FirstError>().unwrap();
        assert_eq!(first.index, 0);
        assert!(first.failure.check::<CancelledError>());
    });
    // The panic, and the input's own failure: without `consume_errors`, it stays in the
    // input's chain, as with Twisted's `gatherResults`.
    assert_eq!(reports.len(), 2, "{reports:#?}");
    assert!(reports[0].failure().check::<deferreds::PanicError>());
    assert!(reports[1].failure().check::<CancelledError>());
}

// `Gather`: `gather_results` with Twisted's `consumeErrors`, and cancelling the other inputs
// at the first failure (Twisted issue 9329).

use deferreds::Gather;

/// A pending input whose canceller logs `cancel <name>` and leaves the `CancelledError`.
fn logged_input(
    log: &Rc<RefCell<Vec<String>>>,
    name: &'static str,
) -> (Deferred<u8>, deferreds::Resolver<u8>) {
    let log = log.clone();
    Deferred::with_canceller(move |_| log.borrow_mut().push(format!("cancel {name}")))
}

/// A `Gather` that consumes its inputs' errors and cancels the rest at the first failure.
fn consuming_and_cancelling(inputs: Vec<Deferred<u8>>) -> Deferred<Vec<u8>> {
    Gather::new(inputs)
        .consume_errors(true)
        .cancel_on_failure(true)
        .run()
}

/// The messages of the reports, in the order they were made.
fn messages(reports: &[deferreds::UnhandledError]) -> Vec<String> {
    reports
        .iter()
        .map(|r| r.failure().error_message())
        .collect()
}

/// By default a `Gather` is `gather_results`: the inputs' errors are not consumed (each is
/// reported from its input, the first one included) and nothing is cancelled.
#[test]
fn gather_defaults_to_gather_results() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let reports = capture_unhandled(|| {
        let (d0, r0) = Deferred::<u8>::new();
        let (d1, _r1) = logged_input(&log, "d1");
        let gathered = Gather::new(vec![d0, d1]).run();
        r0.errback(GenericError("first"));
        let failure = failure_result_of(gathered);
        assert_eq!(failure.to_string(), "FirstError[#0, first]");
    });
    assert_eq!(messages(&reports), ["first"]);
    assert!(log.borrow().is_empty(), "nothing was cancelled");
}

/// `consume_errors(true)` is Twisted's `gatherResults(ds, consumeErrors=True)`: the first
/// failure and every later one end handled in their inputs; only the `FirstError` has it.
#[test]
fn gather_consume_errors_consumes_every_failure() {
    let reports = capture_unhandled(|| {
        let (d0, r0) = Deferred::<u8>::new();
        let (d1, r1) = Deferred::<u8>::new();
        let (d2, r2) = Deferred::<u8>::new();
        let gathered = Gather::new(vec![d0, d1, d2]).consume_errors(true).run();
        let first = Failure::new(GenericError("first"));
        r1.errback(first.clone());
        r0.callback(0);
        r2.errback(GenericError("second"));
        let failure = failure_result_of(gathered);
        assert_eq!(
            failure.downcast_ref::<FirstError>(),
            Some(&FirstError::new(1, first))
        );
    });
    assert!(reports.is_empty(), "{reports:#?}");
}

/// `consume_errors(true)` with every input succeeding: the values, in input order.
#[test]
fn gather_consuming_errors_gathers_values() {
    let (d0, r0) = Deferred::<u8>::new();
    let gathered = consuming_and_cancelling(vec![d0, Deferred::succeed(2)]);
    assert_no_result(&gathered);
    r0.callback(1);
    assert_eq!(success_result_of(gathered), [1, 2]);
}

/// `cancel_on_failure(true)`: the first failure cancels every other input still without a
/// result, in input order, before the gathering's own callbacks run; the gathering fails with
/// the `FirstError` of that failure, not of a cancellation. Consumed, nothing is reported.
#[test]
fn gather_cancel_on_failure_cancels_the_rest_in_order() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let reports = capture_unhandled(|| {
        let (d0, _r0) = logged_input(&log, "d0");
        let (d1, r1) = Deferred::<u8>::new();
        let (d2, r2) = logged_input(&log, "d2");
        let (d3, _r3) = logged_input(&log, "d3");
        let record = log.clone();
        let gathered = consuming_and_cancelling(vec![d0, d1, d2, d3]).add_errback(
            move |failure| -> Result<Vec<u8>, Failure> {
                record.borrow_mut().push(format!("gathered: {failure}"));
                Err(failure)
            },
        );
        r2.callback(2); // a success: nothing happens
        assert!(log.borrow().is_empty());
        let first = Failure::new(GenericError("first"));
        r1.errback(first.clone());
        let failure = failure_result_of(gathered);
        assert_eq!(
            failure.downcast_ref::<FirstError>(),
            Some(&FirstError::new(1, first))
        );
    });
    assert_eq!(
        *log.borrow(),
        ["cancel d0", "cancel d3", "gathered: FirstError[#1, first]"]
    );
    assert!(reports.is_empty(), "{reports:#?}");
}

/// `cancel_on_failure(true)` without `consume_errors`: as when the gathering is cancelled by
/// hand, every input's failure stays in its chain and is reported, the cancelled inputs'
/// `CancelledError`s included.
#[test]
fn gather_cancel_on_failure_without_consuming_reports_the_cancellations() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let reports = capture_unhandled(|| {
        let (d0, _r0) = logged_input(&log, "d0");
        let (d1, r1) = Deferred::<u8>::new();
        let (d2, _r2) = logged_input(&log, "d2");
        let gathered = Gather::new(vec![d0, d1, d2]).cancel_on_failure(true).run();
        r1.errback(GenericError("first"));
        let failure = failure_result_of(gathered);
        assert_eq!(failure.to_string(), "FirstError[#1, first]");
    });
    assert_eq!(*log.borrow(), ["cancel d0", "cancel d2"]);
    // The first failure goes with its resolver; each cancelled input with its own, later.
    let cancelled = CancelledError.to_string();
    assert_eq!(
        messages(&reports),
        ["first".to_string(), cancelled.clone(), cancelled]
    );
}

/// An input that has failed already when the gathering is built cancels the inputs before it
/// and, from the start, those after it.
#[test]
fn gather_cancel_on_failure_with_an_input_failed_from_the_start() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let reports = capture_unhandled(|| {
        let (d0, _r0) = logged_input(&log, "d0");
        let failed: Deferred<u8> = Deferred::fail(GenericError("early"));
        let (d2, _r2) = logged_input(&log, "d2");
        let gathered = consuming_and_cancelling(vec![d0, failed, d2]);
        let failure = failure_result_of(gathered);
        assert_eq!(failure.to_string(), "FirstError[#1, early]");
    });
    assert_eq!(*log.borrow(), ["cancel d0", "cancel d2"]);
    assert!(reports.is_empty(), "{reports:#?}");
}

/// What the cancelled inputs' cancellers fire them with (a value, another error) is dropped:
/// the gathering has failed already, with the first failure.
#[test]
fn gather_cancel_on_failure_ignores_what_cancellers_fire() {
    let reports = capture_unhandled(|| {
        let (d0, _r0) = Deferred::<u8>::with_canceller(|r| r.callback(7));
        let (d1, r1) = Deferred::<u8>::new();
        let (d2, _r2) = Deferred::<u8>::with_canceller(|r| r.errback(GenericError("own")));
        let gathered = consuming_and_cancelling(vec![d0, d1, d2]);
        r1.errback(GenericError("first"));
        let failure = failure_result_of(gathered);
        assert_eq!(failure.to_string(), "FirstError[#1, first]");
    });
    assert!(reports.is_empty(), "{reports:#?}");
}

/// A canceller that panics is reported; the other inputs are still cancelled, and the
/// gathering fails with the first failure.
#[test]
fn gather_cancel_on_failure_survives_a_panicking_canceller() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let reports = capture_unhandled(|| {
        let (d0, _r0) = Deferred::<u8>::with_canceller(|_| panic!("canceller failed"));
        let (d1, r1) = Deferred::<u8>::new();
        let (d2, _r2) = logged_input(&log, "d2");
        let gathered = consuming_and_cancelling(vec![d0, d1, d2]);
        r1.errback(GenericError("first"));
        let failure = failure_result_of(gathered);
        assert_eq!(failure.to_string(), "FirstError[#1, first]");
    });
    assert_eq!(*log.borrow(), ["cancel d2"]);
    assert_eq!(reports.len(), 1, "{reports:#?}");
    assert!(reports[0].failure().check::<deferreds::PanicError>());
}

/// Cancelling the gathering by hand is unchanged by `cancel_on_failure`: every input is
/// cancelled once, in order, and the first `CancelledError` gives the `FirstError`.
#[test]
fn gather_cancel_on_failure_and_cancelling_by_hand() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let reports = capture_unhandled(|| {
        let (d0, _r0) = logged_input(&log, "d0");
        let (d1, _r1) = logged_input(&log, "d1");
        let gathered = consuming_and_cancelling(vec![d0, d1]);
        gathered.cancel();
        let failure = failure_result_of(gathered);
        let first = failure.downcast_ref::<FirstError>().unwrap();
        assert_eq!(first.index, 0);
        assert!(first.failure.check::<CancelledError>());
    });
    assert_eq!(*log.borrow(), ["cancel d0", "cancel d1"]);
    assert!(reports.is_empty(), "{reports:#?}");
}

/// `#[inline_callbacks]` inputs see the cancellation at their `yield_!` and may clean up.
#[test]
fn gather_cancel_on_failure_reaches_inline_callbacks_bodies() {
    use deferreds::inline_callbacks;

    #[inline_callbacks]
    fn fetch(wait: Deferred<u8>, log: Rc<RefCell<Vec<String>>>) -> Result<u8, Failure> {
        match yield_!(wait) {
            Ok(v) => Ok(v),
            Err(f) => {
                log.borrow_mut().push(format!("fetch saw {f}"));
                Err(f)
            }
        }
    }

    let log = Rc::new(RefCell::new(Vec::new()));
    let (wait, _fire) = Deferred::<u8>::new();
    let (broken, fire_broken) = Deferred::<u8>::new();
    let gathered = consuming_and_cancelling(vec![fetch(wait, log.clone()), broken]);
    fire_broken.errback(GenericError("down"));
    assert_eq!(
        failure_result_of(gathered).to_string(),
        "FirstError[#1, down]"
    );
    assert_eq!(*log.borrow(), [format!("fetch saw {CancelledError}")]);
}

/// The first failure drops the values gathered so far: a value whose `Drop` panics is
/// reported, and the gathering still fails with the `FirstError`.
#[test]
fn a_gathered_value_that_panics_on_drop_does_not_stop_the_first_error() {
    let reports = capture_unhandled(|| {
        let (kept, fire_kept) = Deferred::<PanicsOnDrop>::new();
        let (broken, fire_broken) = Deferred::<PanicsOnDrop>::new();
        let gathered = Gather::new(vec![kept, broken]).consume_errors(true).run();
        fire_kept.callback(PanicsOnDrop::new("value dropped"));
        fire_broken.errback(GenericError("down"));
        let failure = failure_result_of(gathered);
        assert_eq!(failure.to_string(), "FirstError[#1, down]");
    });
    assert_eq!(panic_messages(&reports), ["value dropped"]);
}

/// A value that comes after the gathering has failed is not needed: one whose `Drop`
/// panics is reported, and does not unwind out of building the gathering.
#[test]
fn a_late_value_that_panics_on_drop_is_reported() {
    let reports = capture_unhandled(|| {
        let inputs = vec![
            Deferred::fail(GenericError("down")),
            Deferred::succeed(PanicsOnDrop::new("value dropped")),
        ];
        let gathered = Gather::new(inputs).consume_errors(true).run();
        let failure = failure_result_of(gathered);
        assert_eq!(failure.to_string(), "FirstError[#0, down]");
    });
    assert_eq!(panic_messages(&reports), ["value dropped"]);
}
