//! The callback chain, the hot path: each group sets the library's case beside a floor made
//! of the same number of boxed closures, `Vec<Box<dyn FnOnce(u64) -> u64>>`, pushed and then
//! called in a loop, all inside the timed closure. Throughput is in callbacks (or nesting
//! levels), so criterion reports the time per element; see `benches/README.md` for the
//! targets and the latest figures.
//!
//! Run with `cargo bench --bench chain`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use deferreds::testing::success_result_of;
use deferreds::{Deferred, Failure, Resolver};

/// Callbacks per chain.
const N: usize = 1000;
/// Levels of nesting.
const DEPTH: usize = 10_000;

/// The floor: `n` boxed closures, pushed into a `Vec`, then called in order.
fn floor(n: usize) -> u64 {
    let mut callbacks: Vec<Box<dyn FnOnce(u64) -> u64>> = Vec::new();
    for _ in 0..n {
        callbacks.push(Box::new(|x| x + 1));
    }
    // Opaque, so the calls stay indirect as the chain's are.
    let callbacks = black_box(callbacks);
    let mut value = black_box(0);
    for callback in callbacks {
        value = callback(value);
    }
    value
}

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
    elements: usize,
) -> BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .throughput(Throughput::Elements(elements as u64))
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    group
}

fn increments(mut d: Deferred<u64>, n: usize) -> Deferred<u64> {
    for _ in 0..n {
        d = d.add_callback(|x| Ok(x + 1));
    }
    d
}

/// `Deferred::succeed(0)`, then `N` callbacks, each run as it is added.
fn fired_chain(c: &mut Criterion) {
    assert_eq!(floor(N), N as u64);
    assert_eq!(
        success_result_of(increments(Deferred::succeed(0), N)),
        N as u64
    );
    let mut group = group(c, "fired_chain", N);
    group.bench_function("floor", |b| b.iter(|| black_box(floor(N))));
    group.bench_function("deferred", |b| {
        b.iter(|| {
            let d = increments(Deferred::succeed(black_box(0u64)), N);
            black_box(success_result_of(d))
        })
    });
    group.finish();
}

/// `Deferred::new()`, `N` callbacks queued, then fired.
fn pending_chain(c: &mut Criterion) {
    let (d, resolver) = Deferred::new();
    let d = increments(d, N);
    resolver.callback(0);
    assert_eq!(success_result_of(d), N as u64);
    let mut group = group(c, "pending_chain", N);
    group.bench_function("floor", |b| b.iter(|| black_box(floor(N))));
    group.bench_function("deferred", |b| {
        b.iter(|| {
            let (d, resolver) = Deferred::new();
            let d = increments(d, N);
            resolver.callback(black_box(0u64));
            black_box(success_result_of(d))
        })
    });
    group.finish();
}

/// A failure passed by `N` callbacks to one errback.
fn errback_skip(c: &mut Criterion) {
    // One failure made outside the loop: the bench is the skipping, not `Failure::msg`.
    let failure = Failure::msg("pod bay doors jammed");
    let d = increments(Deferred::<u64>::fail(failure.clone()), N).add_errback(|_| Ok(0));
    assert_eq!(success_result_of(d), 0);
    let mut group = group(c, "errback_skip", N);
    group.bench_function("floor", |b| b.iter(|| black_box(floor(N))));
    group.bench_function("fired", |b| {
        b.iter(|| {
            let d = increments(Deferred::<u64>::fail(black_box(failure.clone())), N);
            let d = d.add_errback(|_| Ok(0));
            black_box(success_result_of(d))
        })
    });
    group.bench_function("pending", |b| {
        b.iter(|| {
            let (d, resolver) = Deferred::<u64>::new();
            let d = increments(d, N).add_errback(|_| Ok(0));
            resolver.errback(black_box(failure.clone()));
            black_box(success_result_of(d))
        })
    });
    group.finish();
}

/// `DEPTH` pending Deferreds, each returned by the previous one's callback; the outermost
/// first in the returned `Vec` of resolvers.
fn nested(depth: usize) -> (Deferred<u64>, Vec<Resolver<u64>>) {
    let mut resolvers = Vec::with_capacity(depth);
    let (mut inner, resolver) = Deferred::new();
    resolvers.push(resolver);
    for _ in 1..depth {
        let (d, resolver) = Deferred::new();
        resolvers.push(resolver);
        inner = d.add_callback(move |_: u64| inner);
    }
    resolvers.reverse();
    (inner, resolvers)
}

fn nested_chain(c: &mut Criterion) {
    let (d, resolvers) = nested(DEPTH);
    let mut resolvers = resolvers.into_iter();
    let innermost = resolvers.next_back().unwrap();
    resolvers.for_each(|resolver| resolver.callback(0));
    innermost.callback(7);
    assert_eq!(success_result_of(d), 7);
    let mut group = group(c, "nested_chain", DEPTH);
    group.bench_function("floor", |b| b.iter(|| black_box(floor(DEPTH))));
    // Fired innermost first: each Deferred already has its result when it is returned.
    group.bench_function("inner_fired", |b| {
        b.iter(|| {
            let (d, resolvers) = nested(DEPTH);
            for resolver in resolvers.into_iter().rev() {
                resolver.callback(black_box(1));
            }
            black_box(success_result_of(d))
        })
    });
    // Fired outermost first: each Deferred is returned pending, the chain waits on it, and
    // the innermost's result travels out through every level.
    group.bench_function("inner_pending", |b| {
        b.iter(|| {
            let (d, resolvers) = nested(DEPTH);
            for resolver in resolvers {
                resolver.callback(black_box(1));
            }
            black_box(success_result_of(d))
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    fired_chain,
    pending_chain,
    errback_skip,
    nested_chain
);
criterion_main!(benches);
