//! 10,000 timers on the test clock: scheduled and run, cancelled, moved, and the Deferred
//! helpers on top (`defer_later`, `add_timeout`), beside what a bare binary heap of boxed
//! functions costs for the same work.
//!
//! Run with `RUST_BACKTRACE=0 cargo bench --bench timers` (with backtraces enabled in the
//! environment, every `Failure` would capture one).

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use deferreds::{add_timeout, defer_later, Clock, Deferred, TestClock};

const N: usize = 10_000;

/// Scattered delays, the same each run: 0..1000 ms.
fn delay(i: usize) -> Duration {
    Duration::from_millis((i as u64).wrapping_mul(7919) % 1000)
}

const ALL_DUE: Duration = Duration::from_secs(1);

fn counting(counter: &Rc<Cell<u64>>) -> Box<dyn FnOnce()> {
    let counter = counter.clone();
    Box::new(move || counter.set(counter.get() + 1))
}

fn timers(c: &mut Criterion) {
    let mut group = c.benchmark_group("timers");
    group
        .throughput(Throughput::Elements(N as u64))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);

    // The floor: a min-heap of (time, sequence) with the boxed functions beside it.
    group.bench_function(
        "baseline: 10k boxed fns in a BinaryHeap, run in order",
        |b| {
            b.iter(|| {
                let counter = Rc::new(Cell::new(0));
                let mut heap = BinaryHeap::with_capacity(N);
                let mut fns: Vec<Option<Box<dyn FnOnce()>>> = Vec::with_capacity(N);
                for i in 0..N {
                    heap.push(Reverse((delay(i), i)));
                    fns.push(Some(counting(&counter)));
                }
                while let Some(Reverse((_, i))) = heap.pop() {
                    (fns[i].take().unwrap())();
                }
                black_box(counter.get())
            })
        },
    );

    group.bench_function("TestClock: 10k call_later, one advance runs them", |b| {
        b.iter(|| {
            let clock = TestClock::new();
            let counter = Rc::new(Cell::new(0));
            for i in 0..N {
                clock.call_later_boxed(delay(i), counting(&counter));
            }
            clock.advance(ALL_DUE);
            black_box(counter.get())
        })
    });

    group.bench_function("TestClock: 10k call_later, all cancelled", |b| {
        b.iter(|| {
            let clock = TestClock::new();
            let counter = Rc::new(Cell::new(0));
            let calls: Vec<_> = (0..N)
                .map(|i| clock.call_later_boxed(delay(i), counting(&counter)))
                .collect();
            for call in &calls {
                call.cancel().unwrap();
            }
            clock.advance(ALL_DUE);
            black_box(clock.pending_calls())
        })
    });

    group.bench_function(
        "TestClock: 10k call_later, each reset once, then run",
        |b| {
            b.iter(|| {
                let clock = TestClock::new();
                let counter = Rc::new(Cell::new(0));
                let calls: Vec<_> = (0..N)
                    .map(|i| clock.call_later_boxed(delay(i), counting(&counter)))
                    .collect();
                for (i, call) in calls.iter().enumerate() {
                    call.reset(delay(N - i)).unwrap();
                }
                clock.advance(ALL_DUE);
                black_box(counter.get())
            })
        },
    );

    group.bench_function("TestClock: 10k calls due at once, 1 ms steps (pump)", |b| {
        b.iter(|| {
            let clock = TestClock::new();
            let counter = Rc::new(Cell::new(0));
            for i in 0..N {
                clock.call_later_boxed(delay(i), counting(&counter));
            }
            clock.pump(&[Duration::from_millis(1); 1000]);
            black_box(counter.get())
        })
    });

    group.bench_function("defer_later: 10k Deferreds fired by one advance", |b| {
        b.iter(|| {
            let clock = TestClock::new();
            let ds: Vec<Deferred<usize>> = (0..N)
                .map(|i| defer_later(&clock, delay(i), move || Ok(i)))
                .collect();
            clock.advance(ALL_DUE);
            let sum: usize = ds
                .into_iter()
                .map(|d| d.take_result().ok().unwrap().unwrap())
                .sum();
            black_box(sum)
        })
    });

    group.bench_function("add_timeout: 10k Deferreds firing in time", |b| {
        b.iter(|| {
            let clock = TestClock::new();
            let mut ds = Vec::with_capacity(N);
            let mut rs = Vec::with_capacity(N);
            for i in 0..N {
                let (d, r) = Deferred::<usize>::new();
                ds.push(add_timeout(d, delay(i) + Duration::from_millis(1), &clock));
                rs.push(r);
            }
            for (i, r) in rs.into_iter().enumerate() {
                r.callback(i);
            }
            let sum: usize = ds
                .into_iter()
                .map(|d| d.take_result().ok().unwrap().unwrap())
                .sum();
            black_box((sum, clock.pending_calls()))
        })
    });

    group.bench_function("add_timeout: 10k Deferreds timing out", |b| {
        b.iter(|| {
            let clock = TestClock::new();
            let mut ds = Vec::with_capacity(N);
            let mut rs = Vec::with_capacity(N);
            for i in 0..N {
                let (d, r) = Deferred::<usize>::new();
                ds.push(add_timeout(d, delay(i), &clock));
                rs.push(r);
            }
            clock.advance(ALL_DUE);
            // Taking each failure handles it (dropping it would report it as unhandled).
            let timed_out = ds
                .into_iter()
                .map(Deferred::take_result)
                .filter(|result| matches!(result, Ok(Err(_))))
                .count();
            drop(rs);
            black_box(timed_out)
        })
    });

    group.finish();
}

criterion_group!(benches, timers);
criterion_main!(benches);
