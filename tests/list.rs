//! `DeferredList`, `FirstError` and `FanOut`: Twisted's `DeferredList` tests (catalogue G) and
//! `FirstErrorTests` (K), ported, then cancellation and failure paths, then the fan-out.
//!
//! Ported with two adaptations:
//! - A `DeferredList` takes its inputs, so a test cannot add callbacks to an input afterwards
//!   (Twisted's tests do, to watch or swallow the input's own result). A recorder added to the
//!   input *before* it is handed over watches it instead (and passes the result on), and a
//!   failure that Twisted's test swallows afterwards is, here, reported as unhandled when the
//!   input's chain goes: `capture_unhandled` checks those reports.
//! - The modes are typed: `fire_on_one_callback` fires with `(index, value)` (Twisted:
//!   `(value, index)`) and fails with a `FailureGroup` when every input fails (Twisted fires
//!   with the list of failures); `fire_on_one_errback` fires with the bare values.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use deferreds::testing::{
    assert_no_result, capture_unhandled, failure_result_of, success_result_of,
};
use deferreds::{
    AbandonedError, CancelledError, Deferred, DeferredList, Failure, FailureGroup, FanOut,
    FirstError, PanicError, Resolver, UnhandledError,
};

mod support;
use support::panic_messages;
use support::values::{log, Log};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
struct GenericError(&'static str);

/// Records what `d` fires with (before anything after it sees it) and passes it on.
fn recorded<T: Clone + 'static>(d: Deferred<T>) -> (Deferred<T>, Log<Result<T, Failure>>) {
    let seen = log();
    let record = seen.clone();
    let d = d.add_both(move |result: Result<T, Failure>| {
        record.borrow_mut().push(result.clone());
        result
    });
    (d, seen)
}

/// A pending Deferred, its resolver, and a record of what it fires with.
fn watched<T: Clone + 'static>() -> (Deferred<T>, Resolver<T>, Log<Result<T, Failure>>) {
    let (d, resolver) = Deferred::new();
    let (d, seen) = recorded(d);
    (d, resolver, seen)
}

/// A pending Deferred whose canceller only counts its calls.
fn counted<T: 'static>() -> (Deferred<T>, Resolver<T>, Rc<Cell<u32>>) {
    let cancels = Rc::new(Cell::new(0));
    let count = cancels.clone();
    let (d, resolver) = Deferred::with_canceller(move |_| count.set(count.get() + 1));
    (d, resolver, cancels)
}

/// Twisted's `fakeCallbackCanceller`: the canceller fires the Deferred with a value.
fn fake_callback_canceller() -> (Deferred<&'static str>, Resolver<&'static str>) {
    Deferred::with_canceller(|resolver| resolver.callback("Callback Result"))
}

fn is_cancelled<T>(result: &Result<T, Failure>) -> bool {
    matches!(result, Err(failure) if failure.check::<CancelledError>())
}

fn messages(reports: &[UnhandledError]) -> Vec<String> {
    reports
        .iter()
        .map(|r| r.failure().error_message())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// G. DeferredList

/// 81 `testDeferredList`: results in input order, each a success or a failure.
#[test]
fn test_deferred_list() {
    let reports = capture_unhandled(|| {
        let (d1, r1) = Deferred::<&str>::new();
        let (d2, r2) = Deferred::<&str>::new();
        let (d3, r3) = Deferred::<&str>::new();
        let dl = DeferredList::new(vec![d1, d2, d3]).all();
        let result = log();
        let (on_value, on_failure) = (result.clone(), result.clone());
        let dl = dl.add_callbacks(
            move |list: Vec<Result<&str, Failure>>| {
                on_value.borrow_mut().push(Ok(list));
                Ok(())
            },
            move |failure| {
                on_failure.borrow_mut().push(Err(failure));
                Ok(())
            },
        );
        r1.callback("1");
        r2.errback(GenericError("2"));
        assert!(result.borrow().is_empty());
        r3.callback("3");
        success_result_of(dl);
        let result = result.borrow_mut().pop().unwrap().unwrap();
        assert_eq!(result.len(), 3);
        assert_eq!(result[0].as_ref().ok(), Some(&"1"));
        assert_eq!(
            result[1]
                .as_ref()
                .unwrap_err()
                .downcast_ref::<GenericError>(),
            Some(&GenericError("2"))
        );
        assert_eq!(result[2].as_ref().ok(), Some(&"3"));
    });
    // Twisted's test swallows d2's own failure afterwards; here it is reported.
    assert_eq!(messages(&reports), ["2"]);
}

/// 82 `testEmptyDeferredList`: an empty list fires `[]` at once, but never fires in the
/// fire-on-one-callback mode.
#[test]
fn test_empty_deferred_list() {
    let dl1 = DeferredList::<()>::new(vec![]).all();
    assert!(success_result_of(dl1).is_empty());

    let dl2 = DeferredList::<()>::new(vec![]).fire_on_one_callback();
    assert_no_result(&dl2);
    assert!(!dl2.is_called());
}

/// 83 `testDeferredListFireOnOneError`: the first failure fails the list with a
/// `FirstError` carrying the input's index and failure.
#[test]
fn test_deferred_list_fire_on_one_error() {
    let reports = capture_unhandled(|| {
        let (d1, r1) = Deferred::<&str>::new();
        let (d2, r2) = Deferred::<&str>::new();
        let (d3, _r3) = Deferred::<&str>::new();
        let dl = DeferredList::new(vec![d1, d2, d3]).fire_on_one_errback();

        r1.callback("1");
        assert_no_result(&dl);

        r2.errback(GenericError("from def2"));
        let failure = failure_result_of(dl);
        assert!(failure.check::<FirstError>());
        let first = failure.downcast_ref::<FirstError>().unwrap();
        assert!(first.failure.check::<GenericError>());
        assert_eq!(first.failure.error_message(), "from def2");
        assert_eq!(first.index, 1);
    });
    // d2 keeps its own failure (not consumed); Twisted's test swallows it.
    assert_eq!(messages(&reports), ["from def2"]);
}

/// 84 `testDeferredListDontConsumeErrors`: without `consume_errors` the input keeps its
/// failure (reported as unhandled here) and the list records it too.
#[test]
fn test_deferred_list_dont_consume_errors() {
    let results = log();
    let reports = capture_unhandled(|| {
        let (d1, r1) = Deferred::<()>::new();
        let record = results.clone();
        let _dl = DeferredList::new(vec![d1]).all().add_callback(move |list| {
            record.borrow_mut().push(list);
            Ok(())
        });
        r1.errback(GenericError("Bang"));
    });
    assert_eq!(messages(&reports), ["Bang"]);
    let results = results.borrow();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0][0].as_ref().unwrap_err().error_message(), "Bang");
}

/// 85 `testDeferredListConsumeErrors`: with `consume_errors` the input's chain ends
/// handled; the list still records the failure.
#[test]
fn test_deferred_list_consume_errors() {
    let results = log();
    let reports = capture_unhandled(|| {
        let (d1, r1) = Deferred::<()>::new();
        let record = results.clone();
        let _dl = DeferredList::new(vec![d1])
            .consume_errors(true)
            .all()
            .add_callback(move |list| {
                record.borrow_mut().push(list);
                Ok(())
            });
        r1.errback(GenericError("Bang"));
    });
    assert!(reports.is_empty());
    let results = results.borrow();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0][0].as_ref().unwrap_err().error_message(), "Bang");
}

/// 86 `testDeferredListFireOnOneErrorWithAlreadyFiredDeferreds`: an input that failed
/// before the list was built fails the list at once.
#[test]
fn test_deferred_list_fire_on_one_error_with_already_fired_deferreds() {
    let reports = capture_unhandled(|| {
        let d1: Deferred<()> = Deferred::fail(GenericError("Bang"));
        let (d2, _r2) = Deferred::<()>::new();
        let dl = DeferredList::new(vec![d1, d2]).fire_on_one_errback();
        let failure = failure_result_of(dl);
        assert_eq!(failure.downcast_ref::<FirstError>().unwrap().index, 0);
    });
    assert_eq!(messages(&reports), ["Bang"]);
}

/// 87 `testDeferredListWithAlreadyFiredDeferreds`: inputs fired before the list was built
/// fire the list at once.
#[test]
fn test_deferred_list_with_already_fired_deferreds() {
    let reports = capture_unhandled(|| {
        let (d1, r1) = Deferred::<i32>::new();
        let (d2, r2) = Deferred::<i32>::new();
        r1.errback(GenericError("Bang"));
        r2.callback(2);
        let dl = DeferredList::new(vec![d1, d2]).all();
        let result = success_result_of(dl);
        assert!(result[0].is_err());
        assert_eq!(result[1].as_ref().ok(), Some(&2));
    });
    assert_eq!(messages(&reports), ["Bang"]);
}

/// 88 `test_cancelDeferredList`: cancelling the list cancels every input.
#[test]
fn test_cancel_deferred_list() {
    let reports = capture_unhandled(|| {
        let (d1, _r1, seen1) = watched::<()>();
        let (d2, _r2, seen2) = watched::<()>();
        let dl = DeferredList::new(vec![d1, d2]).all();
        dl.cancel();
        assert!(is_cancelled(&seen1.borrow()[0]));
        assert!(is_cancelled(&seen2.borrow()[0]));
        let result = success_result_of(dl);
        assert!(result.iter().all(is_cancelled));
    });
    // Not consumed: each input's CancelledError is also its own, unhandled.
    assert_eq!(reports.len(), 2);
    assert!(reports
        .iter()
        .all(|r| r.failure().check::<CancelledError>()));
}

/// 89 `test_cancelDeferredListCallback`: an input whose canceller fires it with a value
/// contributes that value.
#[test]
fn test_cancel_deferred_list_callback() {
    let (d1, _r1) = fake_callback_canceller();
    let (d2, _r2, seen2) = watched::<&str>();
    let dl = DeferredList::new(vec![d1, d2]).consume_errors(true).all();
    dl.cancel();
    assert!(is_cancelled(&seen2.borrow()[0]));
    let result = success_result_of(dl);
    assert_eq!(result[0].as_ref().ok(), Some(&"Callback Result"));
    assert!(is_cancelled(&result[1]));
}

/// 90 `test_cancelDeferredListWithFireOnOneCallback`: every input is cancelled; with no
/// success, the list fails with the group of their failures.
#[test]
fn test_cancel_deferred_list_with_fire_on_one_callback() {
    let (d1, _r1, seen1) = watched::<()>();
    let (d2, _r2, seen2) = watched::<()>();
    let dl = DeferredList::new(vec![d1, d2])
        .consume_errors(true)
        .fire_on_one_callback();
    dl.cancel();
    assert!(is_cancelled(&seen1.borrow()[0]));
    assert!(is_cancelled(&seen2.borrow()[0]));
    let failure = failure_result_of(dl);
    let group = failure.downcast_ref::<FailureGroup>().unwrap();
    assert_eq!(group.failures.len(), 2);
    assert!(group.failures.iter().all(|f| f.check::<CancelledError>()));
}

/// 91 `test_cancelDeferredListWithFireOnOneCallbackAndDeferredCallback`: a canceller's
/// value fires the list, and the rest are still cancelled.
#[test]
fn test_cancel_deferred_list_with_fire_on_one_callback_and_deferred_callback() {
    let (d1, _r1) = fake_callback_canceller();
    let (d2, _r2, seen2) = watched::<&str>();
    let dl = DeferredList::new(vec![d1, d2])
        .consume_errors(true)
        .fire_on_one_callback();
    dl.cancel();
    assert!(is_cancelled(&seen2.borrow()[0]));
    assert_eq!(success_result_of(dl), (0, "Callback Result"));
}

/// 92 `test_cancelDeferredListWithFireOnOneErrback`: the first cancelled input fails the
/// list with a `FirstError` wrapping its `CancelledError`.
#[test]
fn test_cancel_deferred_list_with_fire_on_one_errback() {
    let (d1, _r1, seen1) = watched::<()>();
    let (d2, _r2, seen2) = watched::<()>();
    let dl = DeferredList::new(vec![d1, d2])
        .consume_errors(true)
        .fire_on_one_errback();
    dl.cancel();
    assert!(is_cancelled(&seen1.borrow()[0]));
    assert!(is_cancelled(&seen2.borrow()[0]));
    let failure = failure_result_of(dl);
    let first = failure.downcast_ref::<FirstError>().unwrap();
    assert!(first.failure.check::<CancelledError>());
    assert_eq!(first.index, 0);
}

/// 93 `test_cancelDeferredListWithFireOnOneErrbackAllDeferredsCallback`: if every
/// canceller fires a value, the list succeeds.
#[test]
fn test_cancel_deferred_list_with_fire_on_one_errback_all_deferreds_callback() {
    let (d1, _r1) = fake_callback_canceller();
    let (d2, _r2) = fake_callback_canceller();
    let dl = DeferredList::new(vec![d1, d2]).fire_on_one_errback();
    dl.cancel();
    assert_eq!(
        success_result_of(dl),
        ["Callback Result", "Callback Result"]
    );
}

/// 94 `test_cancelDeferredListWithOriginalDeferreds`: cancelling cancels the Deferreds the
/// list was given, and no other. (The list takes its inputs, so the caller's collection can
/// no longer grow under it; a Deferred made afterwards stays untouched.)
#[test]
fn test_cancel_deferred_list_with_original_deferreds() {
    let (d1, _r1, seen1) = watched::<()>();
    let (d2, _r2, seen2) = watched::<()>();
    let argument_list = vec![d1, d2];
    let dl = DeferredList::new(argument_list).consume_errors(true).all();
    let (d3, _r3, cancels3) = counted::<()>();
    dl.cancel();
    assert!(is_cancelled(&seen1.borrow()[0]));
    assert!(is_cancelled(&seen2.borrow()[0]));
    assert_no_result(&d3);
    assert_eq!(cancels3.get(), 0);
}

/// 95 `test_cancelDeferredListWithException`: a canceller that panics is reported once and
/// the other inputs are still cancelled. (Twisted leaves the input whose canceller raised
/// unfired, and the list waits for it; here a cancelled Deferred never stays waiting, so it
/// fails with `CancelledError` like the others, and the list has every result.)
#[test]
fn test_cancel_deferred_list_with_exception() {
    let reports = capture_unhandled(|| {
        let (d1, r1) = Deferred::<()>::with_canceller(|_| panic!("test"));
        let (d2, _r2, seen2) = watched::<()>();
        let dl = DeferredList::new(vec![d1, d2]).consume_errors(true).all();
        dl.cancel();
        assert!(is_cancelled(&seen2.borrow()[0]));
        r1.callback(()); // too late: ignored
        let results = success_result_of(dl);
        assert_eq!(results.len(), 2);
        assert!(results.iter().all(is_cancelled));
    });
    assert_eq!(reports.len(), 1);
    let panic = reports[0].failure().downcast_ref::<PanicError>().unwrap();
    assert_eq!(panic.message(), "test");
}

/// 96 `test_cancelFiredOnOneCallbackDeferredList`: once the list has fired, cancelling it
/// does not cancel the remaining inputs.
#[test]
fn test_cancel_fired_on_one_callback_deferred_list() {
    let (d1, r1) = Deferred::<()>::new();
    let (d2, _r2, cancels2) = counted::<()>();
    let (d2, seen2) = recorded(d2);
    let dl = DeferredList::new(vec![d1, d2]).fire_on_one_callback();
    r1.callback(());
    dl.cancel();
    assert_eq!(cancels2.get(), 0);
    assert!(seen2.borrow().is_empty());
    assert_eq!(success_result_of(dl), (0, ()));
}

/// 97 `test_cancelFiredOnOneErrbackDeferredList`: likewise after a failure fired it.
#[test]
fn test_cancel_fired_on_one_errback_deferred_list() {
    let reports = capture_unhandled(|| {
        let (d1, r1, seen1) = watched::<()>();
        let (d2, _r2, cancels2) = counted::<()>();
        let (d2, seen2) = recorded(d2);
        let dl = DeferredList::new(vec![d1, d2]).fire_on_one_errback();
        r1.errback(GenericError("test"));
        dl.cancel();
        assert_eq!(cancels2.get(), 0);
        assert!(seen2.borrow().is_empty());
        assert!(seen1.borrow()[0]
            .as_ref()
            .unwrap_err()
            .check::<GenericError>());
        assert!(failure_result_of(dl).check::<FirstError>());
    });
    assert_eq!(messages(&reports), ["test"]);
}

// ---------------------------------------------------------------------------------------------
// DeferredList: more behaviour

/// Results keep the input order whatever order the inputs fire in.
#[test]
fn results_are_in_input_order_whatever_the_firing_order() {
    let (ds, rs): (Vec<_>, Vec<_>) = (0..5).map(|_| Deferred::<usize>::new()).unzip();
    let dl = DeferredList::new(ds).all();
    for (i, r) in rs.into_iter().enumerate().rev() {
        r.callback(i * 10);
    }
    let values: Vec<usize> = success_result_of(dl)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(values, [0, 10, 20, 30, 40]);
}

/// Callbacks added to an input before the list see its result first and change what the
/// list sees.
#[test]
fn callbacks_added_before_the_list_run_first() {
    let (d, r) = Deferred::<u32>::new();
    let d = d.add_callback(|n| Ok(n * 2));
    let recovered: Deferred<u32> = Deferred::fail(GenericError("recovered")).add_errback(|_| Ok(7));
    let dl = DeferredList::new(vec![d, recovered]).all();
    r.callback(21);
    let values: Vec<u32> = success_result_of(dl)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(values, [42, 7]);
}

/// Without `consume_errors`, each failed input is reported once; with it, none is.
#[test]
fn unconsumed_failures_are_reported_once_each() {
    let run = |consume: bool| {
        capture_unhandled(|| {
            let (d1, r1) = Deferred::<u8>::new();
            let d2: Deferred<u8> = Deferred::fail(GenericError("ready"));
            let (d3, r3) = Deferred::<u8>::new();
            let dl = DeferredList::new(vec![d1, d2, d3])
                .consume_errors(consume)
                .all();
            r1.errback(GenericError("later"));
            r3.callback(3);
            let result = success_result_of(dl);
            assert_eq!(result.iter().filter(|r| r.is_err()).count(), 2);
        })
    };
    let mut reported = messages(&run(false));
    reported.sort();
    assert_eq!(reported, ["later", "ready"]);
    assert!(run(true).is_empty());
}

/// The failure the list records is the input's own failure object.
#[test]
fn the_list_records_the_same_failure() {
    let failure = Failure::new(GenericError("same"));
    let d: Deferred<()> = Deferred::fail(failure.clone());
    let result = success_result_of(DeferredList::new(vec![d]).consume_errors(true).all());
    assert!(result[0].as_ref().unwrap_err().ptr_eq(&failure));
}

/// `fire_on_one_callback`: the first success fires it; later results are dropped, and later
/// failures still follow `consume_errors`.
#[test]
fn fire_on_one_callback_takes_the_first_success() {
    let reports = capture_unhandled(|| {
        let (d1, r1) = Deferred::<&str>::new();
        let (d2, r2) = Deferred::<&str>::new();
        let (d3, r3) = Deferred::<&str>::new();
        let dl = DeferredList::new(vec![d1, d2, d3]).fire_on_one_callback();
        r1.errback(GenericError("first fails"));
        assert_no_result(&dl);
        r3.callback("third");
        assert_eq!(success_result_of(dl), (2, "third"));
        r2.errback(GenericError("after"));
    });
    let mut reported = messages(&reports);
    reported.sort();
    assert_eq!(reported, ["after", "first fails"]);
}

/// `fire_on_one_callback` with every input failing: a `FailureGroup`, in input order.
#[test]
fn fire_on_one_callback_all_failing_gives_a_failure_group_in_input_order() {
    let f0 = Failure::new(GenericError("zero"));
    let f1 = Failure::new(GenericError("one"));
    let (d0, r0) = Deferred::<()>::new();
    let (d1, r1) = Deferred::<()>::new();
    let dl = DeferredList::new(vec![d0, d1])
        .consume_errors(true)
        .fire_on_one_callback();
    r1.errback(f1.clone());
    assert_no_result(&dl);
    r0.errback(f0.clone());
    let failure = failure_result_of(dl);
    let group = failure.downcast_ref::<FailureGroup>().unwrap();
    assert_eq!(group, &FailureGroup::new(vec![f0, f1]));
}

/// `fire_on_one_errback` fires with the bare values when nothing fails.
#[test]
fn fire_on_one_errback_fires_with_the_values() {
    let (d1, r1) = Deferred::<u8>::new();
    let dl = DeferredList::new(vec![Deferred::succeed(1), d1]).fire_on_one_errback();
    assert_no_result(&dl);
    r1.callback(2);
    assert_eq!(success_result_of(dl), [1, 2]);
}

/// `fire_on_one_result`: the first result either way, with its index.
#[test]
fn fire_on_one_result_takes_the_first_result() {
    let (d1, r1) = Deferred::<u8>::new();
    let (d2, _r2) = Deferred::<u8>::new();
    let dl = DeferredList::new(vec![d1, d2]).fire_on_one_result();
    r1.callback(5);
    assert_eq!(success_result_of(dl), (0, 5));

    let (d1, _r1) = Deferred::<u8>::new();
    let (d2, r2) = Deferred::<u8>::new();
    let dl = DeferredList::new(vec![d1, d2])
        .consume_errors(true)
        .fire_on_one_result();
    let failure = Failure::new(GenericError("no"));
    r2.errback(failure.clone());
    let got = failure_result_of(dl);
    assert_eq!(
        got.downcast_ref::<FirstError>(),
        Some(&FirstError::new(1, failure))
    );

    let empty = DeferredList::<u8>::new(vec![]).fire_on_one_result();
    assert_no_result(&empty);
}

/// An empty list in a never-firing mode is still cancellable.
#[test]
fn an_empty_fire_on_one_callback_list_can_be_cancelled() {
    let dl = DeferredList::<()>::new(vec![]).fire_on_one_callback();
    dl.cancel();
    assert!(failure_result_of(dl).check::<CancelledError>());
}

/// Cancelling a list that has fired does nothing.
#[test]
fn cancelling_a_fired_list_does_nothing() {
    let (d1, r1, cancels) = counted::<u8>();
    let dl = DeferredList::new(vec![d1]).all();
    r1.callback(1);
    dl.cancel();
    assert_eq!(cancels.get(), 0);
    assert_eq!(success_result_of(dl)[0].as_ref().ok(), Some(&1));
}

/// Each input is cancelled at most once, even when cancelled again through the list.
#[test]
fn cancelling_twice_cancels_each_input_once() {
    let (d1, _r1, c1) = counted::<u8>();
    let (d2, _r2, c2) = counted::<u8>();
    let mut dl = DeferredList::new(vec![d1, d2]).consume_errors(true).all();
    let controller = dl.controller();
    dl.cancel();
    controller.cancel();
    assert_eq!((c1.get(), c2.get()), (1, 1));
    assert!(success_result_of(dl).iter().all(is_cancelled));
}

/// A paused input keeps its cancellation to itself until unpaused, so the list waits for it
/// and then has its `CancelledError` in its slot (Twisted's `DeferredList.cancel` only
/// cancels the inputs).
#[test]
fn cancelling_waits_for_a_paused_input() {
    let (mut d1, _r1) = Deferred::<u8>::new();
    let controller = d1.controller();
    d1.pause();
    let (d2, _r2) = Deferred::<u8>::new();
    let dl = DeferredList::new(vec![d1, d2]).consume_errors(true).all();
    dl.cancel();
    assert_no_result(&dl);
    assert!(!dl.is_called()); // as Twisted's `called`: the list has not fired
    controller.unpause();
    assert!(success_result_of(dl).iter().all(is_cancelled));
}

/// An input waiting on a Deferred returned by its callback: cancelling the list cancels
/// that inner Deferred.
#[test]
fn cancelling_reaches_the_deferred_an_input_waits_on() {
    let (inner, _fire_inner, inner_cancels) = counted::<u8>();
    let outer = Deferred::succeed(()).add_callback(move |()| inner);
    assert!(outer.is_waiting());
    let dl = DeferredList::new(vec![outer]).consume_errors(true).all();
    dl.cancel();
    assert_eq!(inner_cancels.get(), 1);
    assert!(is_cancelled(&success_result_of(dl)[0]));
}

/// An input whose canceller panics.
fn panicking_canceller<T: 'static>() -> (Deferred<T>, Resolver<T>) {
    Deferred::with_canceller(|_| panic!("canceller failed"))
}

/// An input whose canceller panics does not keep the cancelled list waiting (Twisted's
/// would wait until it fires): the panic is reported, and the input fails with
/// `CancelledError` like any cancelled Deferred; its resolver fired later is ignored.
#[test]
fn a_panicking_input_canceller_is_reported_and_the_input_cancelled() {
    let reports = capture_unhandled(|| {
        let (d1, r1) = panicking_canceller::<&str>();
        let (d2, _r2) = Deferred::<&str>::new();
        let dl = DeferredList::new(vec![d1, d2]).consume_errors(true).all();
        dl.cancel();
        r1.callback("late");
        assert!(success_result_of(dl).iter().all(is_cancelled));
    });
    assert_eq!(panic_messages(&reports), ["canceller failed"]);
}

/// `fire_on_one_errback`: the paused input's cancellation is hidden, so the next input's
/// `CancelledError` fails the list at once (Twisted: `FirstError[#1, CancelledError]`); the
/// paused one's, once unpaused, changes nothing.
#[test]
fn a_cancelled_fire_on_one_errback_list_fails_with_the_first_failure_it_sees() {
    let (mut d1, _r1) = Deferred::<u8>::new();
    let controller = d1.controller();
    d1.pause();
    let (d2, _r2) = Deferred::<u8>::new();
    let dl = DeferredList::new(vec![d1, d2])
        .consume_errors(true)
        .fire_on_one_errback();
    dl.cancel();
    let failure = failure_result_of(dl);
    let first = failure.downcast_ref::<FirstError>().unwrap();
    assert_eq!(first.index, 1);
    assert!(first.failure.check::<CancelledError>());
    controller.unpause();
}

/// `fire_on_one_errback` over a paused input alone: the list waits for its unpause, then
/// fails with `FirstError[#0, CancelledError]`.
#[test]
fn a_cancelled_fire_on_one_errback_list_waits_for_a_paused_input() {
    let (mut d1, _r1) = Deferred::<u8>::new();
    let controller = d1.controller();
    d1.pause();
    let dl = DeferredList::new(vec![d1])
        .consume_errors(true)
        .fire_on_one_errback();
    dl.cancel();
    assert_no_result(&dl);
    controller.unpause();
    let failure = failure_result_of(dl);
    let first = failure.downcast_ref::<FirstError>().unwrap();
    assert_eq!(first.index, 0);
    assert!(first.failure.check::<CancelledError>());
}

/// `fire_on_one_errback`: a paused input whose canceller fires it with a value, and another
/// whose canceller fires with one: once unpaused, every value (Twisted: `[1, 2]`).
#[test]
fn a_cancelled_fire_on_one_errback_list_gathers_late_values() {
    let (mut d1, _r1) = Deferred::<u8>::with_canceller(|resolver| resolver.callback(1));
    let controller = d1.controller();
    d1.pause();
    let (d2, _r2) = Deferred::<u8>::with_canceller(|resolver| resolver.callback(2));
    let dl = DeferredList::new(vec![d1, d2])
        .consume_errors(true)
        .fire_on_one_errback();
    dl.cancel();
    assert_no_result(&dl);
    controller.unpause();
    assert_eq!(success_result_of(dl), [1, 2]);
}

/// `fire_on_one_callback`: a paused input whose canceller fires it with a value wins once
/// unpaused, though the other input failed meanwhile (Twisted: `('v1', 0)`).
#[test]
fn a_cancelled_fire_on_one_callback_list_waits_for_a_paused_value() {
    let (mut d1, _r1) = Deferred::<&str>::with_canceller(|resolver| resolver.callback("v1"));
    let controller = d1.controller();
    d1.pause();
    let (d2, _r2) = Deferred::<&str>::new();
    let dl = DeferredList::new(vec![d1, d2])
        .consume_errors(true)
        .fire_on_one_callback();
    dl.cancel();
    assert_no_result(&dl);
    controller.unpause();
    assert_eq!(success_result_of(dl), (0, "v1"));
}

/// `fire_on_one_callback`: an input whose canceller panicked is cancelled like the other,
/// so no input succeeds and the list fails with both `CancelledError`s.
#[test]
fn a_cancelled_fire_on_one_callback_list_counts_a_panicking_canceller_as_cancelled() {
    let reports = capture_unhandled(|| {
        let (d1, r1) = panicking_canceller::<&str>();
        let (d2, _r2) = Deferred::<&str>::new();
        let dl = DeferredList::new(vec![d1, d2])
            .consume_errors(true)
            .fire_on_one_callback();
        dl.cancel();
        r1.callback("late");
        let failure = failure_result_of(dl);
        let group = failure.downcast_ref::<deferreds::FailureGroup>().unwrap();
        assert_eq!(group.failures.len(), 2);
        assert!(group.failures.iter().all(|f| f.check::<CancelledError>()));
    });
    assert_eq!(panic_messages(&reports), ["canceller failed"]);
}

/// Without `consume_errors`, the late inputs' failures are also their own, reported once each.
#[test]
fn a_cancelled_list_without_consume_errors_reports_each_late_failure() {
    let reports = capture_unhandled(|| {
        let (mut d1, _r1) = Deferred::<u8>::new();
        let controller = d1.controller();
        d1.pause();
        let (d2, _r2) = Deferred::<u8>::new();
        let dl = DeferredList::new(vec![d1, d2]).all();
        dl.cancel();
        assert_no_result(&dl);
        controller.unpause();
        drop(controller);
        assert!(success_result_of(dl).iter().all(is_cancelled));
    });
    assert_eq!(reports.len(), 2);
    assert!((reports.iter()).all(|r| r.failure().check::<CancelledError>()));
}

/// Cancelling twice cancels each input still without a result again, as Twisted's loop
/// does: an input that is paused has a result already and is left alone, and those
/// cancelled before (one of them through a canceller that panicked) are not touched.
#[test]
fn cancelling_a_waiting_list_again_cancels_the_inputs_still_without_a_result() {
    let reports = capture_unhandled(|| {
        let (mut d1, _r1) = Deferred::<u8>::new();
        let controller = d1.controller();
        d1.pause();
        let (d2, _r2) = panicking_canceller::<u8>();
        let (d3, _r3, cancels3) = counted::<u8>();
        let dl = DeferredList::new(vec![d1, d2, d3])
            .consume_errors(true)
            .all();
        dl.cancel();
        assert_no_result(&dl);
        dl.cancel();
        assert_eq!(cancels3.get(), 1);
        assert_no_result(&dl); // still waiting for the paused one
        controller.unpause();
        assert!(success_result_of(dl).iter().all(is_cancelled));
    });
    assert_eq!(panic_messages(&reports), ["canceller failed"]);
}

/// Callbacks added to the list after it was cancelled run when it fires, with its result.
#[test]
fn callbacks_added_to_a_cancelled_list_run_when_it_fires() {
    let (mut d1, _r1) = Deferred::<u8>::with_canceller(|resolver| resolver.callback(9));
    let controller = d1.controller();
    d1.pause();
    let dl = DeferredList::new(vec![d1]).consume_errors(true).all();
    dl.cancel();
    let ran = Rc::new(Cell::new(false));
    let flag = ran.clone();
    let dl = dl.add_callback(move |results| {
        flag.set(true);
        Ok(results.into_iter().map(Result::ok).collect::<Vec<_>>())
    });
    assert!(!ran.get());
    controller.unpause();
    assert_eq!(success_result_of(dl), [Some(9)]);
}

/// A list paused by its owner when cancelled: its result waits for the unpause, whether its
/// inputs' cancellation decides it at once or later.
#[test]
fn a_paused_list_that_is_cancelled_fires_when_unpaused() {
    let reports = capture_unhandled(|| {
        let (d1, r1) = panicking_canceller::<u8>();
        let mut dl = DeferredList::new(vec![d1]).consume_errors(true).all();
        dl.pause();
        dl.cancel();
        r1.callback(4); // too late: the input was cancelled
        assert_no_result(&dl);
        dl.unpause();
        assert!(is_cancelled(&success_result_of(dl)[0]));

        let (d2, _r2) = Deferred::<u8>::new();
        let mut dl = DeferredList::new(vec![d2]).consume_errors(true).all();
        dl.pause();
        dl.cancel();
        assert_no_result(&dl);
        dl.unpause();
        assert!(success_result_of(dl).iter().all(is_cancelled));
    });
    assert_eq!(reports.len(), 1);
}

/// A cancelled list whose waited-for input is abandoned (its resolver dropped) records the
/// abandonment in that input's slot.
#[test]
fn a_cancelled_list_records_an_input_abandoned_later() {
    let (mut d1, r1) = Deferred::<u8>::new();
    let controller = d1.controller();
    d1.pause();
    let (d2, r2) = Deferred::<u8>::new();
    let (d2, _) = recorded(d2);
    let dl = DeferredList::new(vec![d1, d2]).consume_errors(true).all();
    drop(r2); // d2 is abandoned before the cancel
    dl.cancel();
    drop(r1);
    controller.unpause();
    let result = success_result_of(dl);
    assert!(is_cancelled(&result[0]));
    assert!(result[1].as_ref().unwrap_err().check::<AbandonedError>());
}

/// Once the list has fired, cancelling it goes on to the Deferred its callbacks wait on, as
/// for any Deferred (Twisted's `DeferredList.cancel` does nothing then).
#[test]
fn cancelling_a_fired_list_reaches_the_deferred_its_callbacks_wait_on() {
    let (d1, r1, input_cancels) = counted::<u8>();
    let (inner, _fire_inner, inner_cancels) = counted::<u8>();
    let dl = DeferredList::new(vec![d1])
        .consume_errors(true)
        .all()
        .add_callback(move |_| inner);
    r1.callback(1);
    dl.cancel();
    assert_eq!((input_cancels.get(), inner_cancels.get()), (0, 1));
    assert!(failure_result_of(dl).check::<CancelledError>());
}

/// An input whose resolver is dropped fails with `AbandonedError`, which the list records.
#[test]
fn an_abandoned_input_is_recorded_as_abandoned() {
    let (d1, r1) = Deferred::<u8>::new();
    let dl = DeferredList::new(vec![d1]).consume_errors(true).all();
    drop(r1);
    let result = success_result_of(dl);
    assert!(result[0].as_ref().unwrap_err().check::<AbandonedError>());
}

/// A callback of the list may cancel, fire or add to other Deferreds, including inputs of
/// another list.
#[test]
fn the_list_callbacks_may_reenter() {
    let (a, fire_a) = Deferred::<u8>::new();
    let (b, fire_b) = Deferred::<u8>::new();
    let second = DeferredList::new(vec![b]).fire_on_one_errback();
    let fire_b = RefCell::new(Some(fire_b));
    let first = DeferredList::new(vec![a])
        .fire_on_one_errback()
        .add_callback(move |v| {
            fire_b.borrow_mut().take().unwrap().callback(v[0] + 1);
            Ok(v[0])
        });
    fire_a.callback(1);
    assert_eq!(success_result_of(first), 1);
    assert_eq!(success_result_of(second), [2]);
}

/// Lists nest.
#[test]
fn lists_of_lists() {
    let (d, r) = Deferred::<u8>::new();
    let inner = DeferredList::new(vec![d, Deferred::succeed(2)]).fire_on_one_errback();
    let outer = DeferredList::new(vec![inner, Deferred::succeed(vec![3])]).fire_on_one_errback();
    r.callback(1);
    assert_eq!(success_result_of(outer), [vec![1, 2], vec![3]]);
}

/// The builder's `Debug` shows the inputs and options.
#[test]
fn deferred_list_debug() {
    let list = DeferredList::new(vec![Deferred::succeed(1), Deferred::succeed(2)]);
    assert_eq!(
        format!("{list:?}"),
        "DeferredList { inputs: 2, consume_errors: false }"
    );
    let _ = list.all();
}

// ---------------------------------------------------------------------------------------------
// K. FirstError (and FailureGroup)

/// 114 `test_repr`: `Debug` is `FirstError[#3, <the error's Debug>]`.
#[test]
fn test_repr() {
    let error = GenericError("some text");
    let first = FirstError::new(3, Failure::new(error.clone()));
    assert_eq!(format!("{first:?}"), format!("FirstError[#3, {error:?}]"));
}

/// 115 `test_str`: `Display` is `FirstError[#5, <the failure>]`.
#[test]
fn test_str() {
    let failure = Failure::new(GenericError("some text"));
    let first = FirstError::new(5, failure.clone());
    assert_eq!(first.to_string(), format!("FirstError[#5, {failure}]"));
}

/// 116 `test_comparison`: equal exactly when the index and the failure are the same.
#[test]
fn test_comparison() {
    let first_failure = Failure::new(GenericError("division by zero"));
    let one = FirstError::new(13, first_failure.clone());
    let another_one = FirstError::new(13, first_failure.clone());
    let second_failure = Failure::new(GenericError("bar"));
    let another = FirstError::new(9, second_failure.clone());

    assert!(one == another_one);
    assert!(!(one == another));
    assert!(one != another);
    assert!(!(one != another_one));
    // Same index, different failure; same failure, different index.
    assert_ne!(one, FirstError::new(13, second_failure));
    assert_ne!(one, FirstError::new(12, first_failure));
}

/// `FailureGroup`: message, `Debug`, equality by failure identity.
#[test]
fn failure_group_display_debug_and_equality() {
    let failures: Vec<Failure> = ["a", "b", "c", "d", "e"]
        .into_iter()
        .map(|m| Failure::new(GenericError(m)))
        .collect();
    let group = FailureGroup::new(failures[..2].to_vec());
    assert_eq!(group.to_string(), "all 2 Deferreds failed: a; b");
    assert_eq!(
        format!("{group:?}"),
        r#"FailureGroup[GenericError("a"), GenericError("b")]"#
    );
    let five = FailureGroup::new(failures.clone());
    assert_eq!(
        five.to_string(),
        "all 5 Deferreds failed: a; b; c; and 2 more"
    );
    assert_eq!(five, FailureGroup::new(failures.clone()));
    assert_ne!(group, five);
    let copies: Vec<Failure> = ["a", "b"]
        .into_iter()
        .map(|m| Failure::new(GenericError(m)))
        .collect();
    assert_ne!(group, FailureGroup::new(copies));
}

// ---------------------------------------------------------------------------------------------
// FanOut

/// Waiters taken before the source fires each get their own copy, in the order taken; one
/// waiter's callbacks do not change what the others see.
#[test]
fn fan_out_waiters_are_independent() {
    let order = log();
    let (source, fire) = Deferred::<Vec<u8>>::new();
    let fan = FanOut::new(source);
    let (o1, o2) = (order.clone(), order.clone());
    let first = fan.waiter().add_callback(move |mut v| {
        o1.borrow_mut().push("first");
        v.push(99);
        v.clear();
        Ok(v)
    });
    let second = fan.waiter().add_callback(move |v| {
        o2.borrow_mut().push("second");
        Ok(v)
    });
    assert_no_result(&first);
    assert!(!fan.has_result());
    fire.callback(vec![1, 2]);
    assert_eq!(*order.borrow(), ["first", "second"]);
    assert!(success_result_of(first).is_empty());
    assert_eq!(success_result_of(second), [1, 2]);
    assert!(fan.has_result());
}

/// Waiters taken after the source fired have the result at once, and the first waiter's
/// failure-and-recovery does not change what a later one sees.
#[test]
fn fan_out_waiters_after_the_source_fired() {
    let fan = Deferred::succeed(String::from("value")).fan_out();
    let failed = fan
        .waiter()
        .add_callback(|_| -> Result<String, Failure> { Err(Failure::new(GenericError("x"))) })
        .add_errback(|_| Ok(String::from("recovered")));
    assert_eq!(success_result_of(failed), "recovered");
    assert_eq!(success_result_of(fan.waiter()), "value");
    assert_eq!(success_result_of(fan.waiter()), "value");
}

/// Callbacks added to the source before the fan-out run once, before every waiter.
#[test]
fn fan_out_source_callbacks_run_once() {
    let runs = Rc::new(Cell::new(0));
    let count = runs.clone();
    let (source, fire) = Deferred::<u8>::new();
    let source = source.add_callback(move |n| {
        count.set(count.get() + 1);
        Ok(n + 1)
    });
    let fan: FanOut<u8> = source.into();
    let a = fan.waiter();
    let b = fan.waiter();
    fire.callback(1);
    assert_eq!((success_result_of(a), success_result_of(b)), (2, 2));
    assert_eq!(success_result_of(fan.waiter()), 2);
    assert_eq!(runs.get(), 1);
}

/// A failure reaches every waiter as the same failure; each waiter that leaves it unhandled
/// reports it, and one that handles it does not.
#[test]
fn fan_out_failure_goes_to_every_waiter() {
    let failure = Failure::new(GenericError("broken"));
    let reports = capture_unhandled(|| {
        let (source, fire) = Deferred::<u8>::new();
        let fan = FanOut::new(source);
        let seen = fan.waiter();
        let handled = fan.waiter().add_errback(|_| Ok(0));
        let _unhandled = fan.waiter();
        fire.errback(failure.clone());
        assert!(same_error(&failure_result_of(seen), &failure));
        assert_eq!(success_result_of(handled), 0);
        assert!(same_error(&failure_result_of(fan.waiter()), &failure));
    });
    assert_eq!(reports.len(), 1);
    assert!(same_error(reports[0].failure(), &failure));
}

/// Do both failures wrap the very same error object?
fn same_error(a: &Failure, b: &Failure) -> bool {
    std::ptr::addr_eq(a.error() as *const _, b.error() as *const _)
}

/// A failure that no waiter ever gets is reported when the fan-out goes.
#[test]
fn fan_out_failure_nobody_took_is_reported() {
    let reports = capture_unhandled(|| {
        let fan = FanOut::new(Deferred::<u8>::fail(GenericError("nobody")));
        drop(fan);
    });
    assert_eq!(messages(&reports), ["nobody"]);

    let reports = capture_unhandled(|| {
        let (source, fire) = Deferred::<u8>::new();
        drop(FanOut::new(source)); // no handle, no waiter: the source is left to itself
        fire.errback(GenericError("dropped"));
    });
    assert_eq!(messages(&reports), ["dropped"]);

    let reports = capture_unhandled(|| {
        let fan = FanOut::new(Deferred::<u8>::fail(GenericError("taken")));
        let _ = failure_result_of(fan.waiter());
    });
    assert!(reports.is_empty());
}

/// Cancelling one waiter fails it alone; the source and the other waiters carry on.
#[test]
fn fan_out_cancelling_one_waiter() {
    let (source, fire, cancels) = counted::<u8>();
    let fan = FanOut::new(source);
    let a = fan.waiter();
    let b = fan.waiter();
    a.cancel();
    assert!(failure_result_of(a).check::<CancelledError>());
    assert_eq!(cancels.get(), 0);
    assert_no_result(&b);
    fire.callback(4);
    assert_eq!(success_result_of(b), 4);
}

/// Cancelling every waiter does not cancel the source while a handle could take another;
/// dropping the last handle then cancels it, and its result goes nowhere, quietly.
#[test]
fn fan_out_cancelling_every_waiter_then_dropping_the_handle_cancels_the_source() {
    let reports = capture_unhandled(|| {
        let (source, _fire, cancels) = counted::<u8>();
        let fan = FanOut::new(source);
        let copy = fan.clone();
        let a = fan.waiter();
        let b = copy.waiter();
        a.cancel();
        b.cancel();
        assert_eq!(cancels.get(), 0);
        drop(fan);
        assert_eq!(cancels.get(), 0); // a handle is left
        drop(copy);
        assert_eq!(cancels.get(), 1);
        assert!(failure_result_of(a).check::<CancelledError>());
        assert!(failure_result_of(b).check::<CancelledError>());
    });
    assert!(reports.is_empty());
}

/// With no handle left, cancelling the last waiter cancels the source.
#[test]
fn fan_out_cancelling_the_last_waiter_without_a_handle_cancels_the_source() {
    let (source, _fire, cancels) = counted::<u8>();
    let fan = FanOut::new(source);
    let a = fan.waiter();
    let b = fan.waiter();
    drop(fan);
    a.cancel();
    assert_eq!(cancels.get(), 0);
    b.cancel();
    assert_eq!(cancels.get(), 1);
}

/// Dropping waiters or handles without cancelling leaves the source alone.
#[test]
fn fan_out_dropping_never_cancels_the_source() {
    let (source, fire, cancels) = counted::<u8>();
    let fan = FanOut::new(source);
    drop(fan.waiter());
    drop(fan);
    assert_eq!(cancels.get(), 0);
    fire.callback(1);
}

/// `FanOut::cancel` cancels the source; every waiter gets its `CancelledError`, or the
/// value its canceller fires.
#[test]
fn fan_out_cancel_cancels_the_source() {
    let (source, _fire, cancels) = counted::<u8>();
    let fan = FanOut::new(source);
    let a = fan.waiter();
    let b = fan.waiter();
    fan.cancel();
    fan.cancel();
    assert_eq!(cancels.get(), 1);
    assert!(failure_result_of(a).check::<CancelledError>());
    assert!(failure_result_of(b).check::<CancelledError>());
    assert!(failure_result_of(fan.waiter()).check::<CancelledError>());

    let (source, _fire) = fake_callback_canceller();
    let fan = source.fan_out();
    let a = fan.waiter();
    fan.cancel();
    assert_eq!(success_result_of(a), "Callback Result");
}

/// A waiter's callback may take another waiter, or cancel one not yet served, while the
/// result is being handed out.
#[test]
fn fan_out_reentrant_waiters() {
    let (source, fire) = Deferred::<u8>::new();
    let fan = FanOut::new(source);
    let late = Rc::new(RefCell::new(None));
    let (fan2, late2) = (fan.clone(), late.clone());
    let victim = Rc::new(RefCell::new(None::<deferreds::Controller>));
    let victim2 = victim.clone();
    let first = fan.waiter().add_callback(move |n| {
        *late2.borrow_mut() = Some(fan2.waiter());
        victim2.borrow().as_ref().unwrap().cancel();
        Ok(n)
    });
    let mut second = fan.waiter();
    *victim.borrow_mut() = Some(second.controller());
    let third = fan.waiter();
    fire.callback(8);
    assert_eq!(success_result_of(first), 8);
    assert!(failure_result_of(second).check::<CancelledError>());
    assert_eq!(success_result_of(third), 8);
    assert_eq!(success_result_of(late.borrow_mut().take().unwrap()), 8);
}

/// The last waiter gets the value itself when no handle is left: clones are made only for
/// the others.
#[test]
fn fan_out_clones_only_what_it_must() {
    #[derive(Debug)]
    struct Counted(Rc<Cell<u32>>);
    impl Clone for Counted {
        fn clone(&self) -> Self {
            self.0.set(self.0.get() + 1);
            Counted(self.0.clone())
        }
    }
    let clones = Rc::new(Cell::new(0));
    let (source, fire) = Deferred::<Counted>::new();
    let fan = FanOut::new(source);
    let waiters: Vec<_> = (0..3).map(|_| fan.waiter()).collect();
    drop(fan);
    fire.callback(Counted(clones.clone()));
    assert_eq!(clones.get(), 2);
    for waiter in waiters {
        success_result_of(waiter);
    }
}

/// `Debug` shows the state and the number waiting.
#[test]
fn fan_out_debug() {
    let (source, fire) = Deferred::<u8>::new();
    let fan = FanOut::new(source);
    let _a = fan.waiter();
    assert_eq!(format!("{fan:?}"), "FanOut<u8> { pending, 1 waiting }");
    fire.callback(1);
    assert_eq!(format!("{fan:?}"), "FanOut<u8> { has a result, 0 waiting }");
}

/// An input abandoned after the list has fired is nobody's concern: not reported. Before
/// the list fires, the list records the abandonment.
#[test]
fn an_input_abandoned_after_the_list_fired_is_not_reported() {
    let reports = capture_unhandled(|| {
        let (d1, r1) = Deferred::<u8>::new();
        let (d2, r2) = Deferred::<u8>::new();
        let dl = DeferredList::new(vec![d1, d2]).fire_on_one_callback();
        r1.callback(1);
        drop(r2);
        assert_eq!(success_result_of(dl), (0, 1));
    });
    assert!(reports.is_empty());
}

/// Each fan-out waiter's failure keeps its own async frames: what one waiter's
/// `#[inline_callbacks]` function records does not show in another's.
#[test]
fn fan_out_failures_keep_separate_async_frames() {
    #[deferreds::inline_callbacks]
    fn consumer(d: Deferred<u8>) -> Result<u8, Failure> {
        yield_!(d)
    }
    let fan = Deferred::<u8>::fail(Failure::msg("x")).fan_out();
    let through_consumer = failure_result_of(consumer(fan.waiter()));
    assert_eq!(through_consumer.async_frames().len(), 1);
    let direct = failure_result_of(fan.waiter());
    assert!(direct.async_frames().is_empty());
    assert_eq!(direct.error_message(), "x");
}

/// A value whose second clone panics (the cell counts the clones made).
#[derive(Debug)]
struct FragileCopy(Rc<Cell<u32>>);

impl Clone for FragileCopy {
    fn clone(&self) -> Self {
        self.0.set(self.0.get() + 1);
        assert!(self.0.get() != 2, "this copy breaks");
        FragileCopy(self.0.clone())
    }
}

/// A fan-out whose value's `Clone` panics for one waiter fails that waiter alone, with the
/// panic; the waiters after it still get their copies (they were left abandoned).
#[test]
fn a_clone_that_panics_fails_only_its_own_waiter() {
    let clones = Rc::new(Cell::new(0));
    let (source, fire) = Deferred::new();
    let fan = FanOut::new(source);
    let (first, second, third) = (fan.waiter(), fan.waiter(), fan.waiter());
    fire.callback(FragileCopy(clones.clone()));
    success_result_of(first);
    let failure = failure_result_of(second);
    assert_eq!(
        failure.downcast_ref::<PanicError>().unwrap().message(),
        "this copy breaks"
    );
    success_result_of(third);
    // A waiter made after the source fired gets its copy from the kept result.
    success_result_of(fan.waiter());
    assert_eq!(clones.get(), 4);
}
