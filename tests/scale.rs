//! The chain at scale: a million callbacks, a million nested Deferreds, a million
//! `chain_deferred` links — run, failed through and dropped on the test harness's ordinary
//! 2 MiB thread stack, with the results checked. Anything that recursed once per callback,
//! per level or per link would overflow the stack here.

use std::cell::Cell;
use std::rc::Rc;

use deferreds::testing::{capture_unhandled, failure_result_of, success_result_of};
use deferreds::{AbandonedError, Deferred, Failure, Resolver, UnhandledError};

const MILLION: usize = 1_000_000;

/// The error the failure tests send down the chain.
#[derive(Debug, thiserror::Error)]
#[error("pod bay door {0} jammed")]
struct Jammed(u32);

/// A value of another type, so that a callback changes the chain's type.
struct Wrapped(u64);

/// `n` callbacks adding one each, on `d`.
fn add_increments(mut d: Deferred<u64>, n: usize) -> Deferred<u64> {
    for _ in 0..n {
        d = d.add_callback(|x| Ok(x + 1));
    }
    d
}

/// `n` callbacks adding one each, alternating between `u64` and `Wrapped`, so that no two
/// neighbours keep the type (each is its own step rather than part of a run of same-typed
/// callbacks). `n` is even, so the chain ends on `u64`.
fn add_alternating(d: Deferred<u64>, n: usize) -> Deferred<u64> {
    assert_eq!(n % 2, 0);
    let mut d = d;
    for _ in 0..n / 2 {
        d = d
            .add_callback(|x: u64| Ok(Wrapped(x + 1)))
            .add_callback(|Wrapped(x)| Ok(x + 1));
    }
    d
}

/// `n` pending Deferreds nested inside one another: level `i`'s callback returns level
/// `i + 1` (the one after it in `resolvers`) and then adds one to what that gives. Returns
/// the outermost Deferred and the resolvers, outermost first. When every level has fired,
/// the outermost has the innermost's value plus `n - 1`.
fn nested(n: usize) -> (Deferred<u64>, Vec<Resolver<u64>>) {
    let (ds, resolvers): (Vec<_>, Vec<_>) = (0..n).map(|_| Deferred::<u64>::new()).unzip();
    let mut ds = ds.into_iter().rev();
    let mut inner = ds.next().expect("n > 0");
    for d in ds {
        inner = d.add_callback(move |_| inner).add_callback(|y| Ok(y + 1));
    }
    (inner, resolvers)
}

/// `n` pending Deferreds linked head to tail by `chain_deferred`. Returns the head's
/// resolver, what `chain_deferred` left of each linked Deferred (head first) and the tail.
fn linked(n: usize) -> (Resolver<u64>, Vec<Deferred<()>>, Deferred<u64>) {
    let (head, head_resolver) = Deferred::<u64>::new();
    let mut links = Vec::with_capacity(n - 1);
    let mut tail = head;
    for _ in 1..n {
        let (next, resolver) = Deferred::new();
        links.push(tail.chain_deferred(resolver));
        tail = next;
    }
    (head_resolver, links, tail)
}

fn count_abandoned(reports: &[UnhandledError]) -> usize {
    reports
        .iter()
        .filter(|report| report.failure().check::<AbandonedError>())
        .count()
}

// ---------------------------------------------------------------------------------------
// A million callbacks on one Deferred

#[test]
fn a_million_callbacks_added_before_firing() {
    let (d, resolver) = Deferred::new();
    let d = add_increments(d, MILLION);
    deferreds::testing::assert_no_result(&d);
    resolver.callback(7);
    assert_eq!(success_result_of(d), 7 + MILLION as u64);
}

#[test]
fn a_million_callbacks_of_alternating_types_added_before_firing() {
    let (d, resolver) = Deferred::new();
    let d = add_alternating(d, MILLION);
    resolver.callback(7);
    assert_eq!(success_result_of(d), 7 + MILLION as u64);
}

#[test]
fn a_million_callbacks_added_to_an_already_fired_deferred() {
    let d = add_increments(Deferred::succeed(7), MILLION);
    assert_eq!(success_result_of(d), 7 + MILLION as u64);
    let d = add_alternating(Deferred::succeed(7), MILLION);
    assert_eq!(success_result_of(d), 7 + MILLION as u64);
}

#[test]
fn a_million_callbacks_added_after_a_resolver_fired() {
    let (d, resolver) = Deferred::new();
    resolver.callback(7);
    let d = add_increments(d, MILLION);
    assert_eq!(success_result_of(d), 7 + MILLION as u64);

    let (d, resolver) = Deferred::new();
    resolver.callback(7);
    let d = add_alternating(d, MILLION);
    assert_eq!(success_result_of(d), 7 + MILLION as u64);
}

/// Fired but paused: the callbacks queue up, and the unpause runs them all.
#[test]
fn a_million_callbacks_queued_behind_a_pause() {
    let mut d = Deferred::succeed(7);
    d.pause();
    let mut d = add_increments(d, MILLION);
    deferreds::testing::assert_no_result(&d);
    d.unpause();
    assert_eq!(success_result_of(d), 7 + MILLION as u64);
}

// ---------------------------------------------------------------------------------------
// A million nested Deferreds, each returned by the previous one's callback

/// Outermost first: each level waits on the next; firing the innermost resolves them all.
#[test]
fn a_million_nested_deferreds_fired_outermost_first() {
    let (d, resolvers) = nested(MILLION);
    let mut resolvers = resolvers.into_iter();
    let innermost = resolvers.next_back().unwrap();
    for resolver in resolvers {
        resolver.callback(0); // ignored by the level's callback, which returns the next level
    }
    assert!(d.is_waiting());
    deferreds::testing::assert_no_result(&d);
    innermost.callback(100);
    assert_eq!(success_result_of(d), 100 + MILLION as u64 - 1);
}

/// Innermost first: every level already has its result when its callback returns it.
#[test]
fn a_million_nested_deferreds_fired_innermost_first() {
    let (d, resolvers) = nested(MILLION);
    let mut resolvers = resolvers.into_iter().rev();
    resolvers.next().unwrap().callback(100);
    for resolver in resolvers {
        resolver.callback(0);
    }
    assert_eq!(success_result_of(d), 100 + MILLION as u64 - 1);
}

/// A failure at the innermost level comes out of the outermost one, past a million levels
/// that each pass it by.
#[test]
fn a_failure_out_of_a_million_nested_deferreds() {
    let (d, resolvers) = nested(MILLION);
    let mut resolvers = resolvers.into_iter();
    let innermost = resolvers.next_back().unwrap();
    for resolver in resolvers {
        resolver.callback(0);
    }
    innermost.errback(Jammed(3));
    let failure = failure_result_of(d);
    assert!(matches!(failure.downcast_ref::<Jammed>(), Some(Jammed(3))));
}

/// A callback returns a Deferred whose callback returns another, and so on for a million
/// levels, each made while the chain runs, fired after it was returned.
#[test]
fn a_million_deferreds_returned_while_the_chain_runs() {
    let resolvers: Rc<Cell<Vec<Resolver<u64>>>> = Rc::default();
    fn level(depth: usize, resolvers: Rc<Cell<Vec<Resolver<u64>>>>) -> Deferred<u64> {
        let (d, resolver) = Deferred::new();
        let mut pending = resolvers.take();
        pending.push(resolver);
        resolvers.set(pending);
        if depth == 0 {
            return d;
        }
        d.add_callback(move |_| level(depth - 1, resolvers))
            .add_callback(|y| Ok(y + 1))
    }
    let d = level(MILLION - 1, resolvers.clone());
    let mut fired = 0;
    // Firing each level makes the next one, whose resolver is then fired in turn.
    while let Some(resolver) = {
        let mut pending = resolvers.take();
        let next = pending.pop();
        resolvers.set(pending);
        next
    } {
        fired += 1;
        resolver.callback(if fired == MILLION { 100 } else { 0 });
    }
    assert_eq!(fired, MILLION);
    assert_eq!(success_result_of(d), 100 + MILLION as u64 - 1);
}

// ---------------------------------------------------------------------------------------
// A million chain_deferred links (Twisted's own chainDeferred recurses here)

#[test]
fn a_million_chain_deferred_links_fired_at_the_head() {
    let (head, links, tail) = linked(MILLION);
    deferreds::testing::assert_no_result(&tail);
    head.callback(42);
    let tail = tail.add_callback(|x| Ok(x + 1));
    assert_eq!(success_result_of(tail), 43);
    assert_eq!(links.len(), MILLION - 1);
    // Each linked Deferred handed its result on and carries `()`.
    for link in links {
        success_result_of(link);
    }
}

#[test]
fn a_failure_through_a_million_chain_deferred_links() {
    let (head, links, tail) = linked(MILLION);
    drop(links);
    head.errback(Jammed(9));
    let failure = failure_result_of(tail);
    assert!(matches!(failure.downcast_ref::<Jammed>(), Some(Jammed(9))));
}

/// Links made after the head has fired pass the result on as each is made.
#[test]
fn a_million_chain_deferred_links_onto_a_fired_head() {
    let mut current = Deferred::succeed(42u64);
    for _ in 1..MILLION {
        let (next, resolver) = Deferred::new();
        success_result_of(current.chain_deferred(resolver));
        current = next;
    }
    assert_eq!(success_result_of(current), 42);
}

// ---------------------------------------------------------------------------------------
// A failure skipped through a million callbacks to one errback

/// The errback records what it saw and recovers with a marker value.
fn catch_jammed(d: Deferred<u64>) -> (Deferred<u64>, Rc<Cell<Option<u32>>>) {
    let seen = Rc::new(Cell::new(None));
    let errback_saw = seen.clone();
    let d = d.add_errback(move |failure: Failure| {
        errback_saw.set(Some(failure.trap::<Jammed>()?.0));
        Ok(u64::MAX)
    });
    (d, seen)
}

#[test]
fn a_failure_skips_a_million_callbacks_added_before_firing() {
    let (d, resolver) = Deferred::<u64>::new();
    let (d, seen) = catch_jammed(add_increments(d, MILLION));
    resolver.errback(Jammed(1));
    assert_eq!(seen.get(), Some(1));
    assert_eq!(success_result_of(d), u64::MAX);

    let (d, resolver) = Deferred::<u64>::new();
    let (d, seen) = catch_jammed(add_alternating(d, MILLION));
    resolver.errback(Jammed(2));
    assert_eq!(seen.get(), Some(2));
    assert_eq!(success_result_of(d), u64::MAX);
}

#[test]
fn a_failure_skips_a_million_callbacks_added_after_failing() {
    let (d, seen) = catch_jammed(add_increments(Deferred::fail(Jammed(3)), MILLION));
    assert_eq!(seen.get(), Some(3));
    assert_eq!(success_result_of(d), u64::MAX);

    let (d, resolver) = Deferred::<u64>::new();
    resolver.errback(Jammed(4));
    let (d, seen) = catch_jammed(add_alternating(d, MILLION));
    assert_eq!(seen.get(), Some(4));
    assert_eq!(success_result_of(d), u64::MAX);
}

/// The first callback fails; the million after it are passed by.
#[test]
fn a_failure_raised_by_the_first_of_a_million_callbacks() {
    let (d, resolver) = Deferred::<u64>::new();
    let d = d.add_callback(|x| -> Result<u64, Failure> { Err(Jammed(x as u32).into()) });
    let (d, seen) = catch_jammed(add_increments(d, MILLION));
    resolver.callback(5);
    assert_eq!(seen.get(), Some(5));
    assert_eq!(success_result_of(d), u64::MAX);
}

// ---------------------------------------------------------------------------------------
// Dropping long unfired chains
//
// A dropped resolver fails its chain with `AbandonedError` when someone could observe it (a
// handle or queued callbacks remain). The failure is reported as unhandled only if someone
// was waiting for the result when the resolver went (a handle held with callbacks queued):
// Twisted never reports a Deferred that never fired, and a structure nobody holds any more
// must not flood the hook with one report per level.

/// One chain with a million callbacks: the million closures are dropped without recursion.
/// Dropped handle first: nobody was waiting, nothing is reported. Resolver first, with the
/// handle held: the abandonment is reported once when the handle goes unhandled.
#[test]
fn dropping_a_million_unfired_callbacks() {
    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::new();
        let d = add_increments(d, MILLION);
        drop(d);
        drop(resolver);
    });
    assert!(reports.is_empty());

    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::new();
        let d = add_alternating(d, MILLION);
        drop(resolver);
        drop(d);
    });
    assert_eq!(reports.len(), 1);
    assert_eq!(count_abandoned(&reports), 1);
}

/// The million callbacks are dropped while the handle is still held: the handle sees the
/// abandonment, and taking it handles it.
#[test]
fn abandoning_a_million_callbacks_seen_through_the_handle() {
    let reports = capture_unhandled(|| {
        let (d, resolver) = Deferred::new();
        let d = add_increments(d, MILLION);
        drop(resolver);
        assert!(failure_result_of(d).check::<AbandonedError>());
    });
    assert!(reports.is_empty());
}

/// A million nested, unfired Deferreds, dropped, in either order, without recursion. The
/// inner levels are owned by callbacks that never ran, so nobody waits for them: only the
/// outermost, abandoned while its handle was held, is reported.
#[test]
fn dropping_a_million_unfired_nested_deferreds() {
    let reports = capture_unhandled(|| {
        let (d, resolvers) = nested(MILLION);
        drop(d);
        drop(resolvers);
    });
    assert!(reports.is_empty());

    let reports = capture_unhandled(|| {
        let (d, resolvers) = nested(MILLION);
        drop(resolvers);
        drop(d);
    });
    assert_eq!(reports.len(), 1);
    assert_eq!(count_abandoned(&reports), 1);
}

/// When the outermost Deferred handles the abandonment, nothing at all is reported.
#[test]
fn dropping_a_million_unfired_nested_deferreds_under_an_errback() {
    let reports = capture_unhandled(|| {
        let (d, resolvers) = nested(MILLION);
        let d = d.add_errback(|failure| {
            failure.trap::<AbandonedError>()?;
            Ok(0)
        });
        drop(resolvers);
        assert_eq!(success_result_of(d), 0);
    });
    assert!(reports.is_empty());
}

/// A million nested Deferreds all waiting on the innermost one, whose resolver is dropped:
/// the abandonment travels out through every level to the outermost handle.
#[test]
fn abandoning_the_innermost_of_a_million_waiting_deferreds() {
    let reports = capture_unhandled(|| {
        let (d, resolvers) = nested(MILLION);
        let mut resolvers = resolvers.into_iter();
        let innermost = resolvers.next_back().unwrap();
        for resolver in resolvers {
            resolver.callback(0);
        }
        drop(innermost);
        assert!(failure_result_of(d).check::<AbandonedError>());
    });
    assert!(reports.is_empty());

    // Nobody holds the outermost any more, so nobody was waiting: nothing is reported.
    let reports = capture_unhandled(|| {
        let (d, resolvers) = nested(MILLION);
        let mut resolvers = resolvers.into_iter();
        let innermost = resolvers.next_back().unwrap();
        for resolver in resolvers {
            resolver.callback(0);
        }
        drop(d);
        drop(innermost);
    });
    assert!(reports.is_empty());
}

/// A million `chain_deferred` links, unfired, dropped. Dropping the head's resolver sends
/// the abandonment down every link; nobody was waiting for it, so nothing is reported, even
/// when the tail has a callback that passes it by.
#[test]
fn dropping_a_million_unfired_chain_deferred_links() {
    let reports = capture_unhandled(|| {
        let (head, links, tail) = linked(MILLION);
        drop(links);
        drop(head);
        drop(tail);
    });
    assert!(reports.is_empty());

    let reports = capture_unhandled(|| {
        let (head, links, tail) = linked(MILLION);
        drop(tail);
        drop(links);
        drop(head);
    });
    assert!(reports.is_empty());

    let reports = capture_unhandled(|| {
        let (head, links, tail) = linked(MILLION);
        let tail = tail.add_callback(|x| Ok(x + 1));
        drop(links);
        drop(head);
        drop(tail);
    });
    assert!(reports.is_empty());

    // With the tail still held, the abandonment reaches it.
    let reports = capture_unhandled(|| {
        let (head, links, tail) = linked(MILLION);
        drop(links);
        drop(head);
        assert!(failure_result_of(tail).check::<AbandonedError>());
    });
    assert!(reports.is_empty());
}
