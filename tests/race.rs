//! `race`: Twisted's `RaceTests` (catalogue J), ported. Twisted's property-based tests draw
//! 0 to 3 losers before and after the winner; here every combination is run.

use std::cell::Cell;
use std::rc::Rc;

use deferreds::testing::{
    assert_no_result, capture_unhandled, failure_result_of, success_result_of,
};
use deferreds::{race, CancelledError, Deferred, Failure, FailureGroup, Resolver};

mod support;
use support::{panic_messages, PanicsOnDrop};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
struct GenericError(&'static str);

/// `n` pending Deferreds, their resolvers, and how often each was cancelled.
struct RaceState<T: 'static> {
    cancelled: Vec<Rc<Cell<u32>>>,
    ds: Vec<Deferred<T>>,
    rs: Vec<Resolver<T>>,
}

/// `_setupRaceState`: `n` pending Deferreds whose cancellers only count their calls.
fn setup_race_state<T: 'static>(n: usize) -> RaceState<T> {
    let mut state = RaceState {
        cancelled: Vec::new(),
        ds: Vec::new(),
        rs: Vec::new(),
    };
    for _ in 0..n {
        let count = Rc::new(Cell::new(0));
        let counter = count.clone();
        let (d, r) = Deferred::with_canceller(move |_| counter.set(counter.get() + 1));
        state.cancelled.push(count);
        state.ds.push(d);
        state.rs.push(r);
    }
    state
}

fn counts(cancelled: &[Rc<Cell<u32>>]) -> Vec<u32> {
    cancelled.iter().map(|c| c.get()).collect()
}

fn combinations() -> impl Iterator<Item = (usize, usize)> {
    (0..=3).flat_map(|before| (0..=3).map(move |after| (before, after)))
}

/// 109 `test_success`: the first success wins with its index; every other input is
/// cancelled exactly once, the winner never.
#[test]
fn test_success() {
    for (before_winner, after_winner) in combinations() {
        let reports = capture_unhandled(|| {
            let RaceState {
                cancelled,
                ds,
                mut rs,
            } = setup_race_state::<&str>(before_winner + 1 + after_winner);
            let race_result = race(ds);
            rs.remove(before_winner).callback("expected");
            assert_eq!(success_result_of(race_result), (before_winner, "expected"));
            let mut expected = vec![1; before_winner];
            expected.push(0);
            expected.extend(vec![1; after_winner]);
            assert_eq!(counts(&cancelled), expected);
        });
        assert!(
            reports.is_empty(),
            "the losers' CancelledErrors are consumed"
        );
    }
}

/// 110 `test_failure`: when every input fails, the race fails with a `FailureGroup` of their
/// failures, in input order; nothing is cancelled.
#[test]
fn test_failure() {
    for (before_winner, after_winner) in combinations() {
        let n = before_winner + 1 + after_winner;
        let RaceState { cancelled, ds, rs } = setup_race_state::<()>(n);
        let failure = Failure::new(GenericError("The test demands failures."));
        let race_result = race(ds);
        for r in rs {
            r.errback(failure.clone());
        }
        let actual = failure_result_of(race_result);
        let group = actual.downcast_ref::<FailureGroup>().unwrap();
        assert_eq!(group, &FailureGroup::new(vec![failure.clone(); n]));
        assert_eq!(counts(&cancelled), vec![0; n]);
    }
}

/// 111 `test_resultAfterCancel`: an input that fires after it was cancelled is ignored;
/// nothing is reported.
#[test]
fn test_result_after_cancel() {
    for (before_winner, after_winner) in combinations() {
        let reports = capture_unhandled(|| {
            let (ds, mut rs): (Vec<_>, Vec<_>) = (0..before_winner + 2 + after_winner)
                .map(|_| Deferred::<()>::new())
                .unzip();
            let race_result = race(ds);
            let mut rs = rs.drain(before_winner..);
            rs.next().unwrap().callback(());
            rs.next().unwrap().callback(()); // cancelled already: ignored
            assert_eq!(success_result_of(race_result), (before_winner, ()));
        });
        assert!(reports.is_empty());
    }
}

/// 112 `test_resultFromCancel`: a loser whose canceller fires it with a value does not
/// change the result.
#[test]
fn test_result_from_cancel() {
    let (winner, fire_winner) = Deferred::<&str>::new();
    let (loser, _fire_loser) = Deferred::with_canceller(|r| r.callback("from cancel"));
    let race_result = race(vec![winner, loser]);
    fire_winner.callback("expected");
    assert_eq!(success_result_of(race_result), (0, "expected"));
}

/// 113 `test_cancel`: cancelling the race cancels every input once; the race then fails
/// with their `FailureGroup`, not a `CancelledError` of its own.
#[test]
fn test_cancel() {
    for n in 1..=3 {
        let RaceState {
            cancelled,
            ds,
            rs: _rs,
        } = setup_race_state::<()>(n);
        let race_result = race(ds);
        race_result.cancel();
        assert_eq!(counts(&cancelled), vec![1; n]);
        let failure = failure_result_of(race_result);
        let group = failure.downcast_ref::<FailureGroup>().unwrap();
        assert_eq!(group.failures.len(), n);
        assert!(group.failures.iter().all(|f| f.check::<CancelledError>()));
    }
}

/// `race([])` never fires; cancelling it gives `CancelledError`.
#[test]
fn racing_nothing_never_fires() {
    let race_result = race(Vec::<Deferred<u8>>::new());
    assert_no_result(&race_result);
    assert!(!race_result.is_called());
    race_result.cancel();
    assert!(failure_result_of(race_result).check::<CancelledError>());
}

/// An input that already succeeded wins at once: the others, before and after it, are
/// cancelled once each, and an earlier input that had already failed is left as it was.
#[test]
fn an_already_fired_input_wins_at_once() {
    let RaceState {
        cancelled,
        mut ds,
        rs: _rs,
    } = setup_race_state::<u8>(4);
    ds[2] = Deferred::succeed(7);
    ds[0] = Deferred::fail(GenericError("early"));
    let race_result = race(ds);
    assert_eq!(success_result_of(race_result), (2, 7));
    assert_eq!(counts(&cancelled), [0, 1, 0, 1]);
}

/// Cancelling the race when an input's canceller fires a value: that input wins, and the
/// others are still cancelled once.
#[test]
fn cancelling_the_race_with_a_canceller_that_fires_a_value() {
    let RaceState {
        cancelled,
        mut ds,
        rs: _rs,
    } = setup_race_state::<&str>(3);
    let (giver, _fire_giver) = Deferred::with_canceller(|r| r.callback("given"));
    ds[1] = giver;
    let race_result = race(ds);
    race_result.cancel();
    assert_eq!(success_result_of(race_result), (1, "given"));
    assert_eq!(counts(&cancelled), [1, 0, 1]);
}

/// The losers are cancelled before the race's own callbacks run.
#[test]
fn losers_are_cancelled_before_the_race_callbacks_run() {
    let RaceState {
        cancelled,
        ds,
        mut rs,
    } = setup_race_state::<u8>(3);
    let seen = Rc::new(Cell::new(None));
    let (seen2, cancelled2) = (seen.clone(), cancelled.clone());
    let race_result = race(ds).add_callback(move |won| {
        seen2.set(Some(counts(&cancelled2)));
        Ok(won)
    });
    rs.remove(1).callback(5);
    assert_eq!(seen.take(), Some(vec![1, 0, 1]));
    assert_eq!(success_result_of(race_result), (1, 5));
}

/// Cancelling a race that has been won does nothing.
#[test]
fn cancelling_a_won_race_does_nothing() {
    let RaceState {
        cancelled,
        ds,
        mut rs,
    } = setup_race_state::<u8>(2);
    let race_result = race(ds);
    rs.remove(0).callback(1);
    race_result.cancel();
    assert_eq!(counts(&cancelled), [0, 1]);
    assert_eq!(success_result_of(race_result), (0, 1));
}

/// Failures before the winner do not decide anything; the group keeps input order even when
/// inputs fail in reverse.
#[test]
fn failures_wait_for_a_success_and_keep_input_order() {
    let RaceState {
        cancelled: _cancelled,
        ds,
        rs,
    } = setup_race_state::<u8>(3);
    let race_result = race(ds);
    let failures: Vec<Failure> = ["a", "b", "c"]
        .into_iter()
        .map(|m| Failure::new(GenericError(m)))
        .collect();
    for (r, f) in rs.into_iter().zip(&failures).rev() {
        assert_no_result(&race_result);
        r.errback(f.clone());
    }
    let failure = failure_result_of(race_result);
    let group = failure.downcast_ref::<FailureGroup>().unwrap();
    assert_eq!(group, &FailureGroup::new(failures));
}

/// Unlike a `DeferredList`, a cancelled race does not wait for an input whose cancel gave it
/// no result yet: as Twisted's `race`, it fails with its own `CancelledError` at once, and
/// that input's later result is not needed.
#[test]
fn a_cancelled_race_does_not_wait_for_a_paused_input() {
    let (mut d1, _r1) = Deferred::<u8>::new();
    let controller = d1.controller();
    d1.pause();
    let (d2, _r2) = Deferred::<u8>::new();
    let raced = race(vec![d1, d2]);
    raced.cancel();
    assert!(failure_result_of(raced).check::<CancelledError>());
    let reports = capture_unhandled(|| controller.unpause());
    assert!(reports.is_empty());
}

/// A canceller that panics is reported and its input cancelled all the same; the other
/// inputs are still cancelled, and the race fails with the inputs' `CancelledError`s, as a
/// race whose inputs are all cancelled does (Twisted's `race` lets the exception out of
/// `cancel`, leaving the rest uncancelled).
#[test]
fn a_cancelled_race_reports_a_panicking_canceller_and_cancels_the_rest() {
    let reports = capture_unhandled(|| {
        let (d1, r1) = Deferred::<u8>::with_canceller(|_| panic!("canceller failed"));
        let cancelled = Rc::new(Cell::new(0));
        let count = cancelled.clone();
        let (d2, _r2) = Deferred::<u8>::with_canceller(move |_| count.set(count.get() + 1));
        let raced = race(vec![d1, d2]);
        raced.cancel();
        assert_eq!(cancelled.get(), 1);
        let failure = failure_result_of(raced);
        let group = failure.downcast_ref::<deferreds::FailureGroup>().unwrap();
        assert_eq!(group.failures.len(), 2);
        assert!(group.failures.iter().all(|f| f.check::<CancelledError>()));
        r1.callback(1); // too late: ignored
    });
    assert_eq!(reports.len(), 1);
    assert!(reports[0].failure().check::<deferreds::PanicError>());
}

/// A loser that already has a value when the race is built: its value is dropped, and a
/// `Drop` that panics is reported instead of unwinding out of `race`.
#[test]
fn a_losers_value_that_panics_on_drop_is_reported() {
    let reports = capture_unhandled(|| {
        let inputs = vec![
            Deferred::succeed(PanicsOnDrop::harmless()),
            Deferred::succeed(PanicsOnDrop::new("loser dropped")),
        ];
        let (index, _winner) = success_result_of(race(inputs));
        assert_eq!(index, 0);
    });
    assert_eq!(panic_messages(&reports), ["loser dropped"]);
}
