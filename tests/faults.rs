//! User code that panics where the library runs or drops it, and chains that wait on
//! themselves: whatever happens, the chain goes on, the failure travelling down it reaches
//! the next errback, and every panic ends up as a reported failure instead of unwinding
//! through the library.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use deferreds::testing::{
    assert_no_result, capture_unhandled, failure_result_of, success_result_of,
};
use deferreds::{
    add_timeout, inline_callbacks, AbandonedError, CancelledError, Deferred, Failure, Resolver,
    SelfWaitError, TestClock, TimeoutError, UnhandledError,
};
use support::{note, panic_messages, Log, PanicsOnDrop};

/// The one report, a `PanicError` from a `Drop` with this message.
fn assert_drop_panic(reports: &[UnhandledError], message: &str) {
    assert_eq!(panic_messages(reports), [message]);
    assert_eq!(
        reports[0].failure().error_message(),
        format!("the Drop of a value a Deferred owned panicked: {message}")
    );
}

/// An errback that records the failure's message and recovers with 0.
fn recording_errback(log: &Log) -> impl FnOnce(Failure) -> Result<u8, Failure> {
    let log = log.clone();
    move |failure| {
        note(&log, format!("errback: {}", failure.error_message()));
        Ok(0)
    }
}

/// A pending chain: a callback holding a value that panics (`skipped`) when dropped, then
/// `recording_errback`.
fn skipped_drop_panics_then_errback(log: &Log) -> (Deferred<u8>, Resolver<u8>) {
    let (d, resolver) = Deferred::<u8>::new();
    let guard = PanicsOnDrop::new("skipped");
    let d = d
        .add_callback(move |n| {
            let _kept = &guard;
            Ok(n)
        })
        .add_errback(recording_errback(log));
    (d, resolver)
}

/// A failure skips a callback whose captured value panics when dropped: the failure still
/// reaches the next errback, and the panic is reported.
#[test]
fn a_skipped_callback_that_panics_on_drop_does_not_lose_the_failure() {
    let log = Log::default();
    let (d, resolver) = skipped_drop_panics_then_errback(&log);
    let reports = capture_unhandled(|| resolver.errback(Failure::msg("boom")));
    assert_eq!(*log.borrow(), ["errback: boom"]);
    assert_drop_panic(&reports, "skipped");
    assert_eq!(success_result_of(d), 0);
}

/// The same for callbacks queued as a run of same-typed ones, and for the unused side of
/// `add_callbacks`, and for an errback skipped by a value.
#[test]
fn every_kind_of_skipped_step_is_dropped_under_guard() {
    let log = Log::default();
    let (d, resolver) = Deferred::<u8>::new();
    let (first, second, third) = (
        PanicsOnDrop::new("first"),
        PanicsOnDrop::new("second"),
        PanicsOnDrop::new("unused errback"),
    );
    let d = d
        .add_callback(Ok)
        .add_callback(move |n| {
            let _kept = &first;
            Ok(n)
        })
        .add_callback(move |n| {
            let _kept = &second;
            Ok(n)
        })
        .add_errback(recording_errback(&log))
        .add_callbacks(Ok, move |failure| {
            let _kept = &third;
            Err(failure)
        });
    let reports = capture_unhandled(|| resolver.errback(Failure::msg("boom")));
    assert_eq!(*log.borrow(), ["errback: boom"]);
    assert_eq!(
        panic_messages(&reports),
        ["first", "second", "unused errback"]
    );
    assert_eq!(success_result_of(d), 0);

    let errback_guard = PanicsOnDrop::new("skipped errback");
    let reports = capture_unhandled(|| {
        let d = Deferred::succeed(5).add_errback(move |failure| {
            let _kept = &errback_guard;
            Err(failure)
        });
        assert_eq!(success_result_of(d), 5);
    });
    assert_drop_panic(&reports, "skipped errback");
}

/// A dropped resolver's abandonment goes past a callback that panics when dropped, and
/// reaches the errback.
#[test]
fn abandonment_passes_a_callback_that_panics_on_drop() {
    let log = Log::default();
    let (d, resolver) = skipped_drop_panics_then_errback(&log);
    let reports = capture_unhandled(|| drop(resolver));
    assert_eq!(log.borrow().len(), 1);
    assert!(log.borrow()[0].contains("can never fire"));
    assert_drop_panic(&reports, "skipped");
    assert_eq!(success_result_of(d), 0);
}

/// While a chain's queued steps are freed, one that panics on drop does not stop the rest:
/// a chain waiting on a Deferred whose resolver was among them is abandoned at once.
#[test]
fn freeing_steps_goes_on_past_a_drop_that_panics() {
    let (awaited, awaited_resolver) = Deferred::<u8>::new();
    let waiting = Deferred::succeed(()).add_callback(move |()| awaited);
    assert!(waiting.is_waiting());

    // A paused chain nobody can unpause, holding the resolver and then the panicking value.
    let mut doomed = Deferred::succeed(1u8);
    doomed.pause();
    let guard = PanicsOnDrop::new("freed");
    let doomed = doomed
        .add_callback(move |n| {
            drop(awaited_resolver);
            Ok(n)
        })
        .add_callback(move |n| {
            let _kept = &guard;
            Ok(n)
        });
    let reports = capture_unhandled(|| drop(doomed));
    assert_drop_panic(&reports, "freed");
    assert!(failure_result_of(waiting).check::<AbandonedError>());
}

/// A result nobody reads, dropped with its chain, may panic on drop too: reported, and the
/// chain's other values are still freed.
#[test]
fn a_result_that_panics_on_drop_is_reported() {
    let freed = Rc::new(());
    let (d, resolver) = Deferred::<PanicsOnDrop>::new();
    let held = freed.clone();
    let d = d.add_callback(move |value| {
        let _kept = &held;
        Ok(value)
    });
    let mut d = d.add_callback(Ok);
    d.pause();
    let reports = capture_unhandled(|| {
        resolver.callback(PanicsOnDrop::new("result"));
        drop(d);
    });
    assert_drop_panic(&reports, "result");
    assert_eq!(Rc::strong_count(&freed), 1);
}

/// A canceller that panics: the panic is reported, and the Deferred fails with
/// `CancelledError` instead of hanging; its resolver, fired or dropped later, changes nothing.
#[test]
fn a_panicking_canceller_still_cancels() {
    let (d, resolver) = Deferred::<u8>::with_canceller(|_| panic!("canceller"));
    let reports = capture_unhandled(|| d.cancel());
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].failure().error_message(),
        "a canceller panicked: canceller"
    );
    drop(resolver);
    assert!(failure_result_of(d).check::<CancelledError>());
}

/// A canceller that fires its Deferred and then panics: the Deferred keeps what the
/// canceller gave it, and the panic is reported.
#[test]
fn a_canceller_that_fires_then_panics_keeps_its_result() {
    let (d, _resolver) = Deferred::<u8>::with_canceller(|resolver| {
        resolver.callback(3);
        panic!("after firing");
    });
    let reports = capture_unhandled(|| d.cancel());
    assert_eq!(reports.len(), 1);
    assert_eq!(success_result_of(d), 3);
}

/// Through `add_timeout`: a panicking canceller does not stop the clock, and the Deferred
/// times out.
#[test]
fn a_panicking_canceller_under_a_timeout_still_times_out() {
    let clock = TestClock::new();
    let (d, _resolver) = Deferred::<u8>::with_canceller(|_| panic!("canceller"));
    let d = add_timeout(d, Duration::from_secs(1), &clock);
    let reports = capture_unhandled(|| clock.advance(Duration::from_secs(1)));
    assert_eq!(reports.len(), 1);
    assert!(failure_result_of(d).check::<TimeoutError>());
}

/// The handle a callback returns, taken from where the test keeps it.
type Own<T> = Rc<RefCell<Option<Deferred<T>>>>;

/// A callback that returns the Deferred it was added to fails the chain with
/// `SelfWaitError` (Twisted warns and hangs); the errback after it sees that failure, and a
/// cancel afterwards returns at once.
#[test]
fn a_callback_returning_its_own_deferred_fails_the_chain() {
    let log = Log::default();
    let own: Own<u8> = Rc::default();
    let (mut d, resolver) = Deferred::<u8>::new();
    let controller = d.controller();
    let handle = own.clone();
    let errback_log = log.clone();
    let d = d
        .add_callback(move |_| handle.borrow_mut().take().unwrap())
        .add_errback(move |failure| {
            note(
                &errback_log,
                format!("errback: {}", failure.check::<SelfWaitError>()),
            );
            Err(failure)
        });
    *own.borrow_mut() = Some(d);
    let reports = capture_unhandled(|| {
        resolver.callback(1);
        controller.cancel();
        assert!(controller.is_called() && !controller.is_waiting());
        drop(controller);
    });
    assert_eq!(*log.borrow(), ["errback: true"]);
    assert_eq!(reports.len(), 1);
    assert!(reports[0].failure().check::<SelfWaitError>());
}

/// An `#[inline_callbacks]` body that yields its own Deferred gets `SelfWaitError` from
/// `yield_!` and may handle it.
#[test]
fn a_coroutine_yielding_its_own_deferred_gets_an_error() {
    #[inline_callbacks]
    fn waits_on_itself(own: Own<u8>, first: Deferred<u8>, log: Log) -> Result<u8, Failure> {
        yield_!(first)?;
        let me = own.borrow_mut().take().unwrap();
        match yield_!(me) {
            Err(failure) if failure.check::<SelfWaitError>() => {
                note(&log, "caught SelfWaitError");
                Ok(7)
            }
            other => other,
        }
    }

    let log = Log::default();
    let own: Own<u8> = Rc::default();
    let (first, fire_first) = Deferred::new();
    let d = waits_on_itself(own.clone(), first, log.clone());
    assert_no_result(&d);
    *own.borrow_mut() = Some(d);
    fire_first.callback(0);
    assert_eq!(*log.borrow(), ["caught SelfWaitError"]);
}
