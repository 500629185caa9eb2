//! `#[inline_callbacks]`: each group sets the coroutine beside a baseline in the same group,
//! the same loop written as a plain `async fn` that awaits one boxed future per step (one
//! heap object per await, as a Deferred is), polled to completion by a minimal loop with a
//! no-op waker. Throughput is in yields (awaits), so criterion reports the time per step;
//! see `benches/README.md` for the targets and the latest figures.
//!
//! Run with `RUST_BACKTRACE=0 cargo bench --bench inline`.

use std::cell::{Cell, RefCell};
use std::future::{ready, Future};
use std::hint::black_box;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use deferreds::testing::success_result_of;
use deferreds::{inline_callbacks, succeed, Deferred, Failure, Resolver};

/// Yields (or awaits) per call.
const N: u64 = 1000;

/// Polls `future` until it is ready, with a waker that does nothing: the minimal executor.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

#[inline_callbacks]
fn sum_fired(n: u64) -> Result<u64, Failure> {
    let mut total = 0;
    for i in 0..n {
        total += yield_!(succeed(black_box(i)))?;
    }
    Ok(total)
}

async fn sum_ready(n: u64) -> u64 {
    let mut total = 0;
    for i in 0..n {
        total += Box::pin(ready(black_box(i))).await;
    }
    total
}

fn fired_yields(c: &mut Criterion) {
    assert_eq!(success_result_of(sum_fired(N)), N * (N - 1) / 2);
    assert_eq!(block_on(sum_ready(N)), N * (N - 1) / 2);
    let mut group = c.benchmark_group("fired_yields");
    configure(&mut group, N);
    group.bench_function("async_baseline", |b| b.iter(|| block_on(sum_ready(N))));
    group.bench_function("inline_callbacks", |b| {
        b.iter(|| success_result_of(sum_fired(N)))
    });
    group.finish();
}

/// Where the coroutine leaves the resolver of the Deferred it is about to wait on.
type Pending = Rc<RefCell<Option<Resolver<u64>>>>;

#[inline_callbacks]
fn sum_pending(n: u64, pending: Pending) -> Result<u64, Failure> {
    let mut total = 0;
    for _ in 0..n {
        let (d, resolver) = Deferred::new();
        *pending.borrow_mut() = Some(resolver);
        total += yield_!(d)?;
    }
    Ok(total)
}

/// Runs `sum_pending`, firing each Deferred it waits on from the driver loop.
fn drive_pending(n: u64) -> u64 {
    let pending: Pending = Rc::default();
    let sum = sum_pending(n, pending.clone());
    let mut next = 0;
    loop {
        let resolver = pending.borrow_mut().take();
        match resolver {
            Some(resolver) => {
                resolver.callback(black_box(next));
                next += 1;
            }
            None => return success_result_of(sum),
        }
    }
}

/// A one-shot cell future: pending until the driver sets its value.
struct Slot(Rc<Cell<Option<u64>>>);

impl Future for Slot {
    type Output = u64;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u64> {
        match self.0.take() {
            Some(value) => Poll::Ready(value),
            None => Poll::Pending,
        }
    }
}

/// Where the driver finds the slot the future waits on now.
type Waiting = Rc<RefCell<Option<Rc<Cell<Option<u64>>>>>>;

async fn sum_slots(n: u64, pending: Waiting) -> u64 {
    let mut total = 0;
    for _ in 0..n {
        let slot = Rc::new(Cell::new(None));
        *pending.borrow_mut() = Some(slot.clone());
        total += Box::pin(Slot(slot)).await;
    }
    total
}

/// Polls `sum_slots`, setting each slot it waits on from the driver loop.
fn drive_slots(n: u64) -> u64 {
    let pending = Rc::default();
    let mut future = pin!(sum_slots(n, Rc::clone(&pending)));
    let mut context = Context::from_waker(Waker::noop());
    let mut next = 0;
    loop {
        if let Poll::Ready(total) = future.as_mut().poll(&mut context) {
            return total;
        }
        let slot = pending.borrow_mut().take();
        if let Some(slot) = slot {
            slot.set(Some(black_box(next)));
            next += 1;
        }
    }
}

fn pending_yields(c: &mut Criterion) {
    assert_eq!(drive_pending(N), N * (N - 1) / 2);
    assert_eq!(drive_slots(N), N * (N - 1) / 2);
    let mut group = c.benchmark_group("pending_yields");
    configure(&mut group, N);
    group.bench_function("async_baseline", |b| b.iter(|| drive_slots(N)));
    group.bench_function("inline_callbacks", |b| b.iter(|| drive_pending(N)));
    group.finish();
}

#[inline_callbacks]
fn returns_at_once() -> Result<u64, Failure> {
    Ok(black_box(1))
}

fn call_returns_at_once(c: &mut Criterion) {
    let mut group = c.benchmark_group("call_returns_at_once");
    configure(&mut group, 1);
    group.bench_function("async_baseline", |b| {
        b.iter(|| block_on(Box::pin(async { black_box(1u64) })))
    });
    group.bench_function("inline_callbacks", |b| {
        b.iter(|| success_result_of(returns_at_once()))
    });
    group.finish();
}

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, n: u64) {
    group
        .throughput(Throughput::Elements(n))
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
}

criterion_group!(benches, fired_yields, pending_yields, call_returns_at_once);
criterion_main!(benches);
