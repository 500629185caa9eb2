//! Why a Deferred can never fire: `AbandonedError` says what happened, in its reason and
//! its message, so nobody is told to fire a resolver they never had.

use deferreds::testing::{capture_unhandled, failure_result_of};
use deferreds::{race, AbandonedError, Abandonment, Deferred, DeferredList, Failure};

/// The reason of the `AbandonedError` `d` failed with.
fn reason_of<T: 'static>(d: Deferred<T>) -> (Abandonment, String) {
    let failure = failure_result_of(d);
    let abandoned = failure.downcast_ref::<AbandonedError>().unwrap();
    (abandoned.reason(), failure.error_message())
}

#[test]
fn a_dropped_resolver() {
    let (d, resolver) = Deferred::<u8>::new();
    drop(resolver);
    let (reason, message) = reason_of(d);
    assert_eq!(reason, Abandonment::ResolverDropped);
    assert!(message.contains("its Resolver was dropped"), "{message}");
}

/// A Deferred waiting on an empty race, or on an empty first-success list, fails saying that
/// nothing can decide it, not that a resolver was dropped.
#[test]
fn waiting_on_a_combinator_of_no_inputs() {
    let waiting = Deferred::succeed(()).add_callback(|()| race(Vec::<Deferred<u8>>::new()));
    let (reason, message) = reason_of(waiting);
    assert_eq!(reason, Abandonment::NoInputs);
    assert!(message.contains("combines no Deferreds"), "{message}");

    let waiting = Deferred::succeed(())
        .add_callback(|()| DeferredList::new(Vec::<Deferred<u8>>::new()).fire_on_one_callback());
    assert_eq!(reason_of(waiting).0, Abandonment::NoInputs);
}

/// An empty race nobody waits on just goes, unreported.
#[test]
fn an_empty_race_nobody_waits_on_is_not_reported() {
    let reports = capture_unhandled(|| drop(race(Vec::<Deferred<u8>>::new())));
    assert!(reports.is_empty());
}

/// Work on the loop that is still pending when `react`'s main fires: the Deferreds waiting
/// on it fail saying the loop ended.
#[cfg(feature = "tokio")]
#[test]
fn the_event_loop_ended() {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;

    let seen = Rc::new(RefCell::new(Vec::new()));
    let record = seen.clone();
    deferreds::react(move || {
        let clock = deferreds::TokioClock::new();
        let timer = deferreds::defer_later(&clock, Duration::from_secs(3600), || Ok(()));
        drop(timer.add_errback(move |failure: Failure| {
            let abandoned = failure.downcast_ref::<AbandonedError>().map(|a| a.reason());
            record
                .borrow_mut()
                .push((abandoned, failure.error_message()));
            Ok(())
        }));
        Deferred::succeed(()) // main is done at once: the loop ends
    })
    .unwrap();
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, Some(Abandonment::LoopEnded));
    assert!(seen[0].1.contains("the event loop ended"), "{}", seen[0].1);
}
