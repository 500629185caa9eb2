//! The combinators at scale: a million inputs, correct results, no stack overflow, nothing
//! recursing once per input (firing, completing, cancelling or dropping).

use deferreds::testing::{capture_unhandled, failure_result_of, success_result_of};
use deferreds::{gather_results, race, CancelledError, Deferred, DeferredList, FanOut, FirstError};

const MILLION: usize = 1_000_000;

/// Runs `test` on a thread with a small stack: anything recursing once per input overflows.
fn with_small_stack(test: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(test)
        .unwrap()
        .join()
        .unwrap();
}

/// `gather_results` over a million pending Deferreds, fired in order.
#[test]
fn gather_a_million_pending() {
    with_small_stack(|| {
        let (ds, rs): (Vec<_>, Vec<_>) = (0..MILLION).map(|_| Deferred::<u64>::new()).unzip();
        let gathered = gather_results(ds);
        for (i, r) in rs.into_iter().enumerate() {
            r.callback(i as u64);
        }
        let values = success_result_of(gathered);
        assert_eq!(values.len(), MILLION);
        assert!(values.iter().enumerate().all(|(i, &v)| v == i as u64));
    });
}

/// `gather_results` over a million Deferreds that already have their values.
#[test]
fn gather_a_million_fired() {
    with_small_stack(|| {
        let gathered = gather_results((0..MILLION as u64).map(Deferred::succeed));
        let values = success_result_of(gathered);
        assert_eq!(values.len(), MILLION);
        assert_eq!(values[MILLION - 1], MILLION as u64 - 1);
    });
}

/// A million inputs that each wait on a Deferred returned by a callback.
#[test]
fn gather_a_million_chained() {
    with_small_stack(|| {
        let (inners, rs): (Vec<_>, Vec<_>) = (0..MILLION).map(|_| Deferred::<u64>::new()).unzip();
        let ds = inners
            .into_iter()
            .map(|inner| Deferred::succeed(()).add_callback(move |()| inner));
        let gathered = gather_results(ds);
        for (i, r) in rs.into_iter().enumerate().rev() {
            r.callback(i as u64);
        }
        let values = success_result_of(gathered);
        assert_eq!(
            values.iter().sum::<u64>(),
            (MILLION as u64 - 1) * MILLION as u64 / 2
        );
    });
}

/// `DeferredList::all` over a million pending Deferreds fired in reverse, with every
/// thousandth one failing (consumed).
#[test]
fn deferred_list_a_million_pending() {
    with_small_stack(|| {
        let (ds, rs): (Vec<_>, Vec<_>) = (0..MILLION).map(|_| Deferred::<u32>::new()).unzip();
        let list = DeferredList::new(ds).consume_errors(true).all();
        let reports = capture_unhandled(|| {
            for (i, r) in rs.into_iter().enumerate().rev() {
                if i % 1000 == 0 {
                    r.errback(deferreds::Failure::msg(i));
                } else {
                    r.callback(i as u32);
                }
            }
        });
        assert!(reports.is_empty());
        let results = success_result_of(list);
        assert_eq!(results.len(), MILLION);
        for (i, result) in results.iter().enumerate() {
            match result {
                Ok(v) => assert_eq!(*v as usize, i),
                Err(f) => {
                    assert_eq!(i % 1000, 0);
                    assert_eq!(f.error_message(), i.to_string());
                }
            }
        }
    });
}

/// Cancelling a gathering of a million inputs cancels them all, in a loop.
#[test]
fn cancel_a_gathering_of_a_million() {
    with_small_stack(|| {
        let (ds, _rs): (Vec<_>, Vec<_>) = (0..MILLION)
            .map(|i| Deferred::<usize>::with_canceller(move |r| r.callback(i)))
            .unzip();
        let gathered = gather_results(ds);
        gathered.cancel();
        let values = success_result_of(gathered);
        assert_eq!(values.len(), MILLION);
        assert_eq!(values[MILLION / 2], MILLION / 2);
    });
}

/// The first of a million failing fails the gathering; the rest, consumed, are dropped.
#[test]
fn the_first_failure_among_a_million() {
    with_small_stack(|| {
        let (ds, rs): (Vec<_>, Vec<_>) = (0..MILLION).map(|_| Deferred::<u8>::new()).unzip();
        let gathered = DeferredList::new(ds)
            .consume_errors(true)
            .fire_on_one_errback();
        let mut rs = rs.into_iter();
        for r in rs.by_ref().take(MILLION / 2) {
            r.callback(1);
        }
        rs.next().unwrap().errback(CancelledError);
        for r in rs {
            r.callback(2);
        }
        let failure = failure_result_of(gathered);
        assert_eq!(
            failure.downcast_ref::<FirstError>().unwrap().index,
            MILLION / 2
        );
    });
}

/// A race of a million, won by the last: the 999,999 others are cancelled, in a loop.
#[test]
fn race_a_million() {
    with_small_stack(|| {
        let (ds, mut rs): (Vec<_>, Vec<_>) = (0..MILLION).map(|_| Deferred::<u32>::new()).unzip();
        let raced = race(ds);
        rs.pop().unwrap().callback(7);
        assert_eq!(success_result_of(raced), (MILLION - 1, 7));
        assert!(rs.iter().all(|r| r.is_fired()));
    });
}

/// One source fanned out to a hundred thousand waiters.
#[test]
fn fan_out_to_many_waiters() {
    with_small_stack(|| {
        let (source, fire) = Deferred::<u64>::new();
        let fan = FanOut::new(source);
        let waiters: Vec<_> = (0..100_000).map(|_| fan.waiter()).collect();
        fire.callback(3);
        let total: u64 = waiters.into_iter().map(success_result_of).sum();
        assert_eq!(total, 300_000);
    });
}

/// Dropping a pending list of a million inputs (and their resolvers) recurses nowhere.
#[test]
fn drop_a_pending_list_of_a_million() {
    with_small_stack(|| {
        let (ds, rs): (Vec<_>, Vec<_>) = (0..MILLION).map(|_| Deferred::<u8>::new()).unzip();
        let list = DeferredList::new(ds).consume_errors(true).all();
        drop(list);
        drop(rs);
    });
}
