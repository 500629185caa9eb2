//! Combinators nested a million deep: `gather_results`, `DeferredList`, `race` and `FanOut`,
//! each level waiting on the one inside it, fired from the innermost, failed from it and
//! dropped unfired, each on a thread with a 2 MiB stack. A combinator that fired its own
//! Deferred by recursing into the next level would overflow the stack here.

use deferreds::testing::{failure_result_of, success_result_of};
use deferreds::{
    gather_results, race, Deferred, DeferredList, Failure, FailureGroup, FanOut, FirstError,
    Resolver,
};

const MILLION: usize = 1_000_000;

/// Runs `test` on a thread with a 2 MiB stack, as a program's main thread might have.
fn on_a_small_stack(test: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(test)
        .unwrap()
        .join()
        .unwrap();
}

/// One level of nesting: a combinator over `inner` alone, giving `inner`'s value.
type Level = fn(Deferred<u64>) -> Deferred<u64>;

fn gather_level(inner: Deferred<u64>) -> Deferred<u64> {
    gather_results([inner]).add_callback(|values| Ok(values[0] + 1))
}

fn list_level(inner: Deferred<u64>) -> Deferred<u64> {
    DeferredList::new([inner])
        .all()
        .add_callback(|mut results| Ok(results.pop().unwrap()? + 1))
}

fn race_level(inner: Deferred<u64>) -> Deferred<u64> {
    race([inner]).add_callback(|(_, value)| Ok(value + 1))
}

fn fan_out_level(inner: Deferred<u64>) -> Deferred<u64> {
    FanOut::new(inner)
        .waiter()
        .add_callback(|value| Ok(value + 1))
}

/// `n` levels around a pending Deferred, cycling through `levels`. Returns the outermost
/// Deferred and the innermost's resolver.
fn nest(n: usize, levels: &[Level]) -> (Deferred<u64>, Resolver<u64>) {
    let (mut d, resolver) = Deferred::<u64>::new();
    for level in levels.iter().cycle().take(n) {
        d = level(d);
    }
    (d, resolver)
}

#[test]
fn a_million_nested_gathers_fired_from_the_innermost() {
    on_a_small_stack(|| {
        let (d, resolver) = nest(MILLION, &[gather_level]);
        resolver.callback(0);
        assert_eq!(success_result_of(d), MILLION as u64);
    });
}

#[test]
fn a_million_nested_lists_races_and_fan_outs_fired_from_the_innermost() {
    on_a_small_stack(|| {
        let levels: [Level; 4] = [gather_level, list_level, race_level, fan_out_level];
        let (d, resolver) = nest(MILLION, &levels);
        resolver.callback(0);
        assert_eq!(success_result_of(d), MILLION as u64);
    });
}

#[test]
fn a_failure_out_of_a_million_nested_combinators() {
    on_a_small_stack(|| {
        let levels: [Level; 4] = [gather_level, list_level, race_level, fan_out_level];
        let (d, resolver) = nest(MILLION, &levels);
        resolver.errback(Failure::msg("innermost"));
        let failure = failure_result_of(d);
        // Gathers wrap the failure in a `FirstError` and races in a `FailureGroup`: the
        // innermost is at the bottom (displaying the whole would recurse a million deep).
        let mut innermost = &failure;
        let mut wrappers = 0;
        loop {
            innermost = match (
                innermost.downcast_ref::<FirstError>(),
                innermost.downcast_ref::<FailureGroup>(),
            ) {
                (Some(first), _) => &first.failure,
                (_, Some(group)) => &group.failures[0],
                (None, None) => break,
            };
            wrappers += 1;
        }
        assert_eq!(innermost.error_message(), "innermost");
        assert_eq!(wrappers, MILLION / 2);
    });
}

#[test]
fn dropping_a_million_unfired_nested_combinators() {
    on_a_small_stack(|| {
        let levels: [Level; 4] = [gather_level, list_level, race_level, fan_out_level];
        let (d, resolver) = nest(MILLION, &levels);
        drop(d);
        let reports = deferreds::testing::capture_unhandled(|| drop(resolver));
        // The abandonment reaches the top. Nobody handles it: the outermost Deferred is
        // gone, and each gather and list level leaves its input's failure in that input's
        // chain too (neither consumes errors), as Twisted would log each.
        assert_eq!(reports.len(), MILLION / 2 + 1);
    });
}
