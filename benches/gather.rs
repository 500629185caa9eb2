//! Gathering 10,000 pending Deferreds, creating and firing them included, beside what the
//! same work costs without Deferreds.
//!
//! Run with `RUST_BACKTRACE=0 cargo bench --bench gather` (with backtraces enabled in the
//! environment, every `Failure` would capture one).

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use deferreds::{gather_results, race, Deferred, DeferredList, Resolver};

const N: usize = 10_000;

/// `N` pending Deferreds and their resolvers.
fn pending() -> (Vec<Deferred<u64>>, Vec<Resolver<u64>>) {
    let mut ds = Vec::with_capacity(N);
    let mut rs = Vec::with_capacity(N);
    for _ in 0..N {
        let (d, r) = Deferred::new();
        ds.push(d);
        rs.push(r);
    }
    (ds, rs)
}

fn fire(rs: Vec<Resolver<u64>>) {
    for (i, r) in rs.into_iter().enumerate() {
        r.callback(i as u64);
    }
}

fn value<T: 'static>(d: Deferred<T>) -> T {
    match d.take_result() {
        Ok(Ok(value)) => value,
        _ => panic!("the combined Deferred has a value"),
    }
}

fn gather(c: &mut Criterion) {
    let mut group = c.benchmark_group("gather");
    group
        .throughput(Throughput::Elements(N as u64))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);

    // The floor: a shared slot per item, filled and summed.
    group.bench_function("baseline: 10k Rc<Cell<Option<u64>>> slots", |b| {
        b.iter(|| {
            let slots: Vec<Rc<Cell<Option<u64>>>> =
                (0..N).map(|_| Rc::new(Cell::new(None))).collect();
            for (i, slot) in slots.iter().enumerate() {
                slot.set(Some(i as u64));
            }
            black_box(slots.iter().map(|s| s.get().unwrap()).sum::<u64>())
        })
    });

    // What the Deferreds cost by themselves: each created, fired and read at once.
    group.bench_function("10k Deferreds created, fired, read one by one", |b| {
        b.iter(|| {
            let (ds, rs) = pending();
            let mut sum = 0;
            for ((i, r), d) in rs.into_iter().enumerate().zip(ds) {
                r.callback(i as u64);
                sum += value(d);
            }
            black_box(sum)
        })
    });

    // What watching each pending Deferred costs: one callback each, summing.
    group.bench_function("10k Deferreds with one callback each, fired", |b| {
        b.iter(|| {
            let (ds, rs) = pending();
            let sum = Rc::new(Cell::new(0));
            for d in ds {
                let sum = sum.clone();
                let _ = d.add_callback(move |v| {
                    sum.set(sum.get() + v);
                    Ok(())
                });
            }
            fire(rs);
            black_box(sum.get())
        })
    });

    group.bench_function("gather_results of 10k pending", |b| {
        b.iter(|| {
            let (ds, rs) = pending();
            let gathered = gather_results(ds);
            fire(rs);
            black_box(value(gathered).iter().sum::<u64>())
        })
    });

    group.bench_function("gather_results of 10k fired", |b| {
        b.iter(|| {
            let gathered = gather_results((0..N as u64).map(Deferred::succeed));
            black_box(value(gathered).iter().sum::<u64>())
        })
    });

    group.bench_function("DeferredList::all of 10k pending", |b| {
        b.iter(|| {
            let (ds, rs) = pending();
            let list = DeferredList::new(ds).all();
            fire(rs);
            black_box(value(list).into_iter().map(Result::unwrap).sum::<u64>())
        })
    });

    group.bench_function("race of 10k pending, the last wins", |b| {
        b.iter(|| {
            let (ds, mut rs) = pending();
            let raced = race(ds);
            rs.pop().unwrap().callback(1);
            black_box(value(raced))
        })
    });

    group.finish();
}

criterion_group!(benches, gather);
criterion_main!(benches);
