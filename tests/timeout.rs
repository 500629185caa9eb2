//! `add_timeout` and `add_timeout_with`: Twisted's `DeferredAddTimeoutTests` (catalogue
//! M 130-147), ported, plus timeouts on `#[inline_callbacks]` functions, with `defer_later`,
//! stacked, and at scale.
//!
//! Twisted's `override(v, t) = "OVERRIDDEN"` is `overridden` here; "noResult(inner)" on an
//! inner Deferred that a callback returned (so the test holds no handle to it) is checked
//! through its resolver: a cancel would have fired it. Trial fails any test that leaves an
//! unhandled error behind; here each test runs inside `no_unhandled`, which asserts the same.
//! Only the manual `TestClock` is used: nothing here reads the system's time.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use deferreds::testing::{
    assert_no_result, capture_unhandled, failure_result_of, success_result_of,
};
use deferreds::{
    add_timeout, add_timeout_with, defer_later, inline_callbacks, CancelledError, Deferred,
    Failure, PanicError, Resolver, TestClock, TimeoutError,
};

mod support;
use support::secs;

/// Runs a test body and asserts that it left no unhandled error (as trial does).
fn no_unhandled(body: impl FnOnce()) {
    let reports = capture_unhandled(body);
    assert!(reports.is_empty(), "unhandled errors: {reports:?}");
}

/// Twisted's `_overrideFunc`: whatever the result, "OVERRIDDEN".
fn overridden<T>(_result: Result<T, Failure>, _timeout: Duration) -> Result<&'static str, Failure> {
    Ok("OVERRIDDEN")
}

#[derive(Debug)]
struct ValueError(&'static str);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ValueError: {}", self.0)
    }
}

impl std::error::Error for ValueError {}

type Slot<T> = Rc<RefCell<Option<T>>>;

fn slot<T>() -> Slot<T> {
    Rc::new(RefCell::new(None))
}

/// M 130, test_timeoutChainable: `add_timeout` gives the Deferred back to chain on.
#[test]
fn test_timeout_chainable() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, resolver) = Deferred::<()>::new();
        let d = add_timeout(d, secs(5), &clock).add_callback(|()| Ok("done"));
        resolver.callback(());
        assert_eq!(success_result_of(d), "done");
    });
}

/// The shared body of M 131 and 132: the Deferred fires in time with a callback that waits
/// on `inner`; advancing past the timeout does not cancel `inner`.
fn success_result_before_timeout(custom: bool) {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, resolver) = Deferred::<&'static str>::new();
        let d = match custom {
            false => add_timeout(d, secs(10), &clock),
            true => add_timeout_with(d, secs(10), &clock, overridden),
        };
        let (inner, inner_resolver) = Deferred::<&'static str>::new();
        let callbacked = slot();
        let d = d.add_callback({
            let callbacked = callbacked.clone();
            move |results| {
                *callbacked.borrow_mut() = Some(results);
                inner
            }
        });
        resolver.callback("results");
        assert_eq!(*callbacked.borrow(), Some("results"));
        assert_eq!(clock.pending_calls(), 0);
        clock.advance(secs(15));
        assert!(
            !inner_resolver.is_fired(),
            "the inner Deferred was cancelled late"
        );
        assert_no_result(&d);
        inner_resolver.callback("inner result");
        assert_eq!(success_result_of(d), "inner result");
    });
}

/// M 131, test_successResultBeforeTimeout: a Deferred that fired in time is not cancelled
/// later (nor the inner Deferred its callback waits on).
#[test]
fn test_success_result_before_timeout() {
    success_result_before_timeout(false);
}

/// M 132, test_successResultBeforeTimeoutCustom: the same with an on-timeout function.
#[test]
fn test_success_result_before_timeout_custom() {
    success_result_before_timeout(true);
}

/// The shared body of M 133 and 134: the Deferred fails in time and its errback waits on
/// `inner`; advancing past the timeout does not cancel `inner`.
fn failure_before_timeout(custom: bool) {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, resolver) = Deferred::<&'static str>::new();
        let d = match custom {
            false => add_timeout(d, secs(10), &clock),
            true => add_timeout_with(d, secs(10), &clock, overridden),
        };
        let (inner, inner_resolver) = Deferred::<&'static str>::new();
        let errbacked: Slot<Failure> = slot();
        let d = d.add_errback({
            let errbacked = errbacked.clone();
            move |failure| {
                *errbacked.borrow_mut() = Some(failure);
                inner
            }
        });
        let failure = Failure::new(ValueError("fail"));
        resolver.errback(failure.clone());
        assert!(errbacked.borrow().as_ref().unwrap().ptr_eq(&failure));
        clock.advance(secs(15));
        assert!(
            !inner_resolver.is_fired(),
            "the inner Deferred was cancelled late"
        );
        assert_no_result(&d);
        inner_resolver.callback("recovered");
        assert_eq!(success_result_of(d), "recovered");
    });
}

/// M 133, test_failureBeforeTimeout: the errback sees the very failure; no late cancel.
#[test]
fn test_failure_before_timeout() {
    failure_before_timeout(false);
}

/// M 134, test_failureBeforeTimeoutCustom: the same with an on-timeout function.
#[test]
fn test_failure_before_timeout_custom() {
    failure_before_timeout(true);
}

/// M 135, test_timedOut: no result before the timeout, a TimeoutError after.
#[test]
fn test_timed_out() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, _resolver) = Deferred::<&'static str>::new();
        let d = add_timeout(d, secs(10), &clock);
        assert_no_result(&d);
        clock.advance(secs(15));
        let failure = failure_result_of(d);
        let error = failure.downcast_ref::<TimeoutError>().unwrap();
        assert_eq!(error.timeout(), secs(10));
    });
}

/// M 136, test_timedOutCustom: the on-timeout function's value is the result.
#[test]
fn test_timed_out_custom() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, _resolver) = Deferred::<&'static str>::new();
        let d = add_timeout_with(d, secs(10), &clock, overridden);
        assert_no_result(&d);
        clock.advance(secs(15));
        assert_eq!(success_result_of(d), "OVERRIDDEN");
    });
}

/// M 137, test_timedOutProvidedCancelSuccess: a canceller that fires with a value wins.
#[test]
fn test_timed_out_provided_cancel_success() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, _resolver) = Deferred::with_canceller(|resolver: Resolver<&str>| {
            resolver.callback("I was cancelled!")
        });
        let d = add_timeout(d, secs(10), &clock);
        assert_no_result(&d);
        clock.advance(secs(15));
        assert_eq!(success_result_of(d), "I was cancelled!");
    });
}

/// M 138, test_timedOutProvidedCancelFailure: a canceller's own failure passes through,
/// the very same failure, not a TimeoutError.
#[test]
fn test_timed_out_provided_cancel_failure() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let error = Failure::new(ValueError("what!"));
        let (d, _resolver) = Deferred::<&str>::with_canceller({
            let error = error.clone();
            move |resolver| resolver.errback(error)
        });
        let d = add_timeout(d, secs(10), &clock);
        assert_no_result(&d);
        clock.advance(secs(15));
        let failure = failure_result_of(d);
        assert!(failure.ptr_eq(&error));
        assert!(!failure.check::<TimeoutError>());
    });
}

/// The shared body of M 139 and 140: cancelled by hand before the timeout, the errback
/// added after `add_timeout` sees CancelledError; the timeout does not cancel again.
fn cancel_before_timeout(custom: bool) {
    no_unhandled(|| {
        let clock = TestClock::new();
        let overrides = Rc::new(Cell::new(0));
        let (d, _resolver) = Deferred::<&'static str>::new();
        let d = match custom {
            false => add_timeout(d, secs(10), &clock),
            true => add_timeout_with(d, secs(10), &clock, {
                let overrides = overrides.clone();
                move |result, timeout| {
                    overrides.set(overrides.get() + 1);
                    overridden(result, timeout)
                }
            }),
        };
        let (inner, inner_resolver) = Deferred::<&'static str>::new();
        let errbacked: Slot<Failure> = slot();
        let d = d.add_errback({
            let errbacked = errbacked.clone();
            move |failure| {
                *errbacked.borrow_mut() = Some(failure);
                inner
            }
        });
        d.cancel();
        assert!(errbacked
            .borrow()
            .as_ref()
            .unwrap()
            .check::<CancelledError>());
        assert_eq!(clock.pending_calls(), 0);
        clock.advance(secs(15));
        assert!(
            !inner_resolver.is_fired(),
            "the inner Deferred was cancelled late"
        );
        assert_eq!(overrides.get(), 0);
        inner_resolver.callback("after all");
        assert_eq!(success_result_of(d), "after all");
    });
}

/// M 139, test_cancelBeforeTimeout: a cancel by hand is a plain CancelledError, and the
/// timer goes with it.
#[test]
fn test_cancel_before_timeout() {
    cancel_before_timeout(false);
}

/// M 140, test_cancelBeforeTimeoutCustom: the on-timeout function is not called then.
#[test]
fn test_cancel_before_timeout_custom() {
    cancel_before_timeout(true);
}

/// M 141, test_providedCancelCalledBeforeTimeoutCustom: the canceller's failure goes to the
/// on-timeout function, which overrides it.
#[test]
fn test_provided_cancel_called_before_timeout_custom() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, _resolver) = Deferred::<&str>::with_canceller(|resolver| {
            resolver.errback(ValueError("what!"));
        });
        let d = add_timeout_with(d, secs(10), &clock, overridden);
        assert_no_result(&d);
        clock.advance(secs(15));
        assert_eq!(success_result_of(d), "OVERRIDDEN");
    });
}

/// M 142, test_errbackAddedBeforeTimeout: an errback added before `add_timeout` sees the
/// CancelledError; passed on, it becomes a TimeoutError.
#[test]
fn test_errback_added_before_timeout() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, _resolver) = Deferred::<&'static str>::new();
        let errbacked: Slot<Failure> = slot();
        let d = d.add_errback({
            let seen = errbacked.clone();
            move |failure| {
                *seen.borrow_mut() = Some(failure.clone());
                Err(failure)
            }
        });
        let d = add_timeout(d, secs(10), &clock);
        assert_no_result(&d);
        clock.advance(secs(15));
        assert!(errbacked
            .borrow()
            .as_ref()
            .unwrap()
            .check::<CancelledError>());
        assert!(failure_result_of(d).check::<TimeoutError>());
    });
}

/// M 143, test_errbackAddedBeforeTimeoutSuppressesCancellation: an earlier errback that
/// handles the CancelledError leaves a success, which passes through.
#[test]
fn test_errback_added_before_timeout_suppresses_cancellation() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, _resolver) = Deferred::<Option<&'static str>>::new();
        let d = d.add_errback(|failure| {
            failure.trap::<CancelledError>()?;
            Ok(None)
        });
        let d = add_timeout(d, secs(10), &clock);
        assert_no_result(&d);
        clock.advance(secs(15));
        assert_eq!(success_result_of(d), None);
    });
}

/// M 144, test_errbackAddedBeforeTimeoutCustom: an earlier errback passes the failure on;
/// the on-timeout function overrides it.
#[test]
fn test_errback_added_before_timeout_custom() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, _resolver) = Deferred::<&'static str>::new();
        let seen: Slot<Failure> = slot();
        let d = d.add_errback({
            let seen = seen.clone();
            move |failure| {
                *seen.borrow_mut() = Some(failure.clone());
                Err(failure)
            }
        });
        let d = add_timeout_with(d, secs(10), &clock, overridden);
        assert_no_result(&d);
        clock.advance(secs(15));
        assert!(seen.borrow().as_ref().unwrap().check::<CancelledError>());
        assert_eq!(success_result_of(d), "OVERRIDDEN");
    });
}

/// M 145, test_errbackAddedBeforeTimeoutSuppressesCancellationCustom: the on-timeout
/// function is called on a success too, when the timeout fired.
#[test]
fn test_errback_added_before_timeout_suppresses_cancellation_custom() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, _resolver) = Deferred::<Option<&'static str>>::new();
        let given: Slot<Result<Option<&'static str>, Failure>> = slot();
        let d = d.add_errback(|_failure| Ok(None));
        let d = add_timeout_with(d, secs(10), &clock, {
            let given = given.clone();
            move |result, _timeout| {
                *given.borrow_mut() = Some(result);
                Ok(Some("OVERRIDDEN"))
            }
        });
        assert_no_result(&d);
        clock.advance(secs(15));
        assert!(matches!(*given.borrow(), Some(Ok(None))));
        assert_eq!(success_result_of(d), Some("OVERRIDDEN"));
    });
}

/// The shared body of M 146 and 147: the canceller fires with a value, which a callback
/// added before `add_timeout` sees.
fn callback_added_to_canceller_before_timeout(custom: bool) -> (Deferred<Rc<String>>, Rc<String>) {
    let clock = TestClock::new();
    let success = Rc::new("success".to_string());
    let (d, _resolver) = Deferred::<Rc<String>>::with_canceller({
        let success = success.clone();
        move |resolver| resolver.callback(success)
    });
    let callbacked: Slot<Rc<String>> = slot();
    let d = d.add_callback({
        let callbacked = callbacked.clone();
        move |value: Rc<String>| {
            *callbacked.borrow_mut() = Some(value.clone());
            Ok(value)
        }
    });
    let d = match custom {
        false => add_timeout(d, secs(10), &clock),
        true => add_timeout_with(d, secs(10), &clock, |_, _| Ok(Rc::new("OVERRIDDEN".into()))),
    };
    assert_no_result(&d);
    clock.advance(secs(15));
    assert!(Rc::ptr_eq(callbacked.borrow().as_ref().unwrap(), &success));
    (d, success)
}

/// M 146, test_callbackAddedToCancelerBeforeTimeout: the canceller's value is the result,
/// the very same object.
#[test]
fn test_callback_added_to_canceler_before_timeout() {
    no_unhandled(|| {
        let (d, success) = callback_added_to_canceller_before_timeout(false);
        assert!(Rc::ptr_eq(&success_result_of(d), &success));
    });
}

/// M 147, test_callbackAddedToCancelerBeforeTimeoutCustom: the on-timeout function
/// overrides the canceller's value.
#[test]
fn test_callback_added_to_canceler_before_timeout_custom() {
    no_unhandled(|| {
        let (d, _success) = callback_added_to_canceller_before_timeout(true);
        assert_eq!(*success_result_of(d), "OVERRIDDEN");
    });
}

// --- Beyond the catalogue -----------------------------------------------------------------

#[inline_callbacks]
fn fetch(response: Deferred<u32>, seen: Rc<RefCell<Vec<String>>>) -> Result<u32, Failure> {
    match yield_!(response) {
        Ok(n) => Ok(n),
        Err(failure) => {
            seen.borrow_mut().push(failure.type_name().to_string());
            Err(failure)
        }
    }
}

/// A timeout on an `#[inline_callbacks]` function's Deferred: the body sees CancelledError
/// at its `yield_!`, and the caller gets a TimeoutError.
#[test]
fn add_timeout_on_inline_callbacks() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let (response, response_resolver) = Deferred::new();
        let d = add_timeout(fetch(response, seen.clone()), secs(5), &clock);
        clock.advance(secs(4));
        assert_no_result(&d);
        assert!(seen.borrow().is_empty());
        clock.advance(secs(1));
        assert_eq!(seen.borrow().len(), 1);
        assert!(
            seen.borrow()[0].ends_with("CancelledError"),
            "{:?}",
            seen.borrow()
        );
        assert!(response_resolver.is_fired());
        let failure = failure_result_of(d);
        assert_eq!(
            failure.downcast_ref::<TimeoutError>().unwrap().timeout(),
            secs(5)
        );
    });
}

/// An inline function answering in time is left alone, and its timer is cancelled.
#[test]
fn add_timeout_on_inline_callbacks_in_time() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let (response, response_resolver) = Deferred::new();
        let d = add_timeout(fetch(response, seen.clone()), secs(5), &clock);
        response_resolver.callback(7);
        assert_eq!(clock.pending_calls(), 0);
        clock.advance(secs(10));
        assert_eq!(success_result_of(d), 7);
        assert!(seen.borrow().is_empty());
    });
}

#[inline_callbacks]
fn patient(clock: TestClock) -> Result<&'static str, Failure> {
    match yield_!(defer_later(&clock, secs(60), || Ok("slow answer"))) {
        Err(failure) if failure.check::<CancelledError>() => Ok("gave up politely"),
        other => other,
    }
}

/// An inline body that handles the CancelledError and returns a value: the value passes
/// through the timeout unchanged (only a CancelledError becomes a TimeoutError), and the
/// `defer_later` timer it slept on is cancelled too.
#[test]
fn add_timeout_on_inline_callbacks_that_recover() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let d = add_timeout(patient(clock.clone()), secs(5), &clock);
        assert_eq!(clock.pending_calls(), 2);
        clock.advance(secs(5));
        assert_eq!(clock.pending_calls(), 0);
        assert_eq!(success_result_of(d), "gave up politely");
    });
}

/// `add_timeout` on `defer_later`: a slow one times out and leaves no timers; a fast one
/// fires and leaves none either.
#[test]
fn add_timeout_on_defer_later() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let called = Rc::new(Cell::new(false));
        let slow = defer_later(&clock, secs(10), {
            let called = called.clone();
            move || {
                called.set(true);
                Ok(1)
            }
        });
        let slow = add_timeout(slow, secs(3), &clock);
        let fast = add_timeout(defer_later(&clock, secs(2), || Ok(2)), secs(3), &clock);
        clock.advance(secs(2));
        assert_eq!(success_result_of(fast), 2);
        assert_eq!(clock.pending_calls(), 2);
        clock.advance(secs(1));
        assert!(failure_result_of(slow).check::<TimeoutError>());
        assert_eq!(clock.pending_calls(), 0);
        clock.advance(secs(10));
        assert!(!called.get());
    });
}

/// The timer is cancelled as soon as the Deferred fires, with a value or a failure, and
/// an already-fired Deferred keeps no timer at all.
#[test]
fn the_timer_goes_when_the_deferred_fires() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (ok, ok_resolver) = Deferred::<u8>::new();
        let (bad, bad_resolver) = Deferred::<u8>::new();
        let ok = add_timeout(ok, secs(5), &clock);
        let bad = add_timeout(bad, secs(5), &clock);
        let fired = add_timeout(Deferred::succeed(3u8), secs(5), &clock);
        assert_eq!(clock.pending_calls(), 2);
        ok_resolver.callback(1);
        assert_eq!(clock.pending_calls(), 1);
        bad_resolver.errback(ValueError("no"));
        assert_eq!(clock.pending_calls(), 0);
        clock.advance(secs(5));
        assert_eq!(success_result_of(ok), 1);
        assert!(failure_result_of(bad).check::<ValueError>());
        assert_eq!(success_result_of(fired), 3);
    });
}

/// A callback added before `add_timeout` that waits on an inner Deferred is covered: the
/// timeout cancels the inner one. Callbacks added after see the TimeoutError.
#[test]
fn the_timeout_covers_earlier_callbacks_only() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (inner, inner_resolver) = Deferred::<u8>::new();
        let (d, resolver) = Deferred::<u8>::new();
        let d = d.add_callback(move |_| inner);
        let d = add_timeout(d, secs(5), &clock);
        let after: Slot<Failure> = slot();
        let d = d.add_errback({
            let after = after.clone();
            move |failure| {
                *after.borrow_mut() = Some(failure.clone());
                Err(failure)
            }
        });
        resolver.callback(0);
        assert_no_result(&d);
        clock.advance(secs(5));
        assert!(inner_resolver.is_fired());
        assert!(after.borrow().as_ref().unwrap().check::<TimeoutError>());
        assert!(failure_result_of(d).check::<TimeoutError>());
    });
}

/// `on_timeout` gets the CancelledError failure and the timeout; a panic in it fails the
/// Deferred.
#[test]
fn on_timeout_gets_the_result_and_the_timeout() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let given: Slot<(bool, Duration)> = slot();
        let (d, _resolver) = Deferred::<u8>::new();
        let d = add_timeout_with(d, secs(2), &clock, {
            let given = given.clone();
            move |result, timeout| {
                let cancelled = result.as_ref().is_err_and(|f| f.check::<CancelledError>());
                *given.borrow_mut() = Some((cancelled, timeout));
                result
            }
        });
        clock.advance(secs(2));
        assert_eq!(*given.borrow(), Some((true, secs(2))));
        assert!(failure_result_of(d).check::<CancelledError>());

        let (d, _resolver) = Deferred::<u8>::new();
        let d = add_timeout_with(d, secs(2), &clock, |_, _| panic!("in on_timeout"));
        clock.advance(secs(2));
        let failure = failure_result_of(d);
        assert_eq!(
            failure.downcast_ref::<PanicError>().unwrap().message(),
            "in on_timeout"
        );
    });
}

/// Two timeouts stacked: the shorter one fires; the longer one's timer goes with the
/// result, and its translation leaves the failure to the outer one.
#[test]
fn stacked_timeouts() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, _resolver) = Deferred::<u8>::new();
        let d = add_timeout(add_timeout(d, secs(5), &clock), secs(3), &clock);
        assert_eq!(clock.pending_calls(), 2);
        clock.advance(secs(3));
        assert_eq!(clock.pending_calls(), 0);
        let failure = failure_result_of(d);
        assert_eq!(
            failure.downcast_ref::<TimeoutError>().unwrap().timeout(),
            secs(3)
        );
    });
}

/// A zero timeout fires at the next advance, even by zero.
#[test]
fn zero_timeout() {
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, _resolver) = Deferred::<u8>::new();
        let d = add_timeout(d, Duration::ZERO, &clock);
        assert_no_result(&d);
        clock.advance(Duration::ZERO);
        assert!(failure_result_of(d).check::<TimeoutError>());
    });
}

/// Dropping the clock drops the timer; the Deferred carries on, and nothing is kept alive
/// by a cycle between the chain and the timer.
#[test]
fn dropping_the_clock_drops_the_timer_without_leaks() {
    let owned = Rc::new(());
    let owning_callback = |owned: &Rc<()>| {
        let owned = owned.clone();
        move |n: u8| {
            drop(owned);
            Ok(n)
        }
    };
    no_unhandled(|| {
        let clock = TestClock::new();
        let (d, resolver) = Deferred::<u8>::new();
        let d = add_timeout(d.add_callback(owning_callback(&owned)), secs(5), &clock);
        drop(clock);
        resolver.callback(4);
        assert_eq!(success_result_of(d), 4);
        assert_eq!(Rc::strong_count(&owned), 1);
    });

    // Never fired, and everything dropped: the callback's captures are freed. (Nothing but
    // the abandonment of the chain may be reported.)
    let reports = capture_unhandled(|| {
        let clock = TestClock::new();
        let (d, resolver) = Deferred::<u8>::new();
        let d = add_timeout(d.add_callback(owning_callback(&owned)), secs(5), &clock);
        assert_eq!(Rc::strong_count(&owned), 2);
        drop(clock);
        drop(d);
        drop(resolver);
    });
    assert_eq!(Rc::strong_count(&owned), 1);
    assert!(
        reports
            .iter()
            .all(|r| r.failure().check::<deferreds::AbandonedError>()),
        "{reports:?}"
    );
}

/// 100,000 timeouts: half the Deferreds fire in time, half time out; no timer is left.
#[test]
fn scale_100k_timeouts() {
    const MANY: usize = 100_000;
    no_unhandled(|| {
        let clock = TestClock::new();
        let mut ds = Vec::with_capacity(MANY);
        let mut resolvers = Vec::with_capacity(MANY);
        for i in 0..MANY {
            let (d, resolver) = Deferred::<usize>::new();
            ds.push(add_timeout(d, secs(1 + (i % 7) as u64), &clock));
            resolvers.push(resolver);
        }
        assert_eq!(clock.pending_calls(), MANY);
        let mut waiting = Vec::with_capacity(MANY / 2);
        for (i, resolver) in resolvers.into_iter().enumerate() {
            match i % 2 {
                0 => resolver.callback(i),
                _ => waiting.push(resolver),
            }
        }
        assert_eq!(clock.pending_calls(), MANY / 2);
        clock.advance(secs(7));
        assert_eq!(clock.pending_calls(), 0);
        assert!(waiting.iter().all(Resolver::is_fired));
        for (i, d) in ds.into_iter().enumerate() {
            match i % 2 {
                0 => assert_eq!(success_result_of(d), i),
                _ => assert!(failure_result_of(d).check::<TimeoutError>()),
            }
        }
    });
}
