//! Firing Deferreds from another thread: a `RemoteResolver` beside a tokio oneshot (the
//! floor) and beside the way it was done before, `spawn_deferred` of a oneshot receiver.
//!
//! Each iteration hands a batch of firers to a worker thread (one channel send), which fires
//! them all; the loop thread waits for every result. The loop runs for the whole
//! measurement, so its start-up is not timed.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use deferreds::{ensure_deferred, gather_results, react, spawn_deferred, Deferred, Failure};
use tokio::sync::oneshot;

const BATCH: usize = 1000;

type Work = Box<dyn FnOnce() + Send>;

/// Sends one batch of firers to the worker; the Deferred fires once all have arrived.
type Batch = fn(&mpsc::Sender<Work>) -> Deferred<()>;

/// A thread that runs the work it is sent.
fn worker() -> mpsc::Sender<Work> {
    let (send, receive) = mpsc::channel::<Work>();
    thread::spawn(move || receive.into_iter().for_each(|work| work()));
    send
}

/// Times `iters` batches inside one run of the loop.
fn on_the_loop(iters: u64, batch: Batch) -> Duration {
    let worker = worker();
    react(move || {
        ensure_deferred(async move {
            let start = Instant::now();
            for _ in 0..iters {
                batch(&worker).await?;
            }
            Ok::<_, Failure>(start.elapsed())
        })
    })
    .unwrap()
}

/// A batch of oneshot channels whose senders the worker fires; their receivers.
fn oneshots_fired_by(worker: &mpsc::Sender<Work>) -> Vec<oneshot::Receiver<u64>> {
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..BATCH).map(|_| oneshot::channel::<u64>()).unzip();
    worker
        .send(Box::new(move || {
            for (n, sender) in senders.into_iter().enumerate() {
                sender.send(n as u64).unwrap();
            }
        }))
        .unwrap();
    receivers
}

/// Fires once every Deferred of the batch has, its values kept from the optimiser.
fn gathered(deferreds: impl IntoIterator<Item = Deferred<u64>>) -> Deferred<()> {
    gather_results(deferreds).add_callback(|values| {
        criterion::black_box(values);
        Ok(())
    })
}

fn oneshot_floor(worker: &mpsc::Sender<Work>) -> Deferred<()> {
    let receivers = oneshots_fired_by(worker);
    let waited = tokio::task::spawn_local(async move {
        for receiver in receivers {
            criterion::black_box(receiver.await.unwrap());
        }
    });
    ensure_deferred(async move { waited.await.map_err(Failure::new) })
}

fn remote(worker: &mpsc::Sender<Work>) -> Deferred<()> {
    let (deferreds, remotes): (Vec<_>, Vec<_>) =
        (0..BATCH).map(|_| Deferred::<u64>::new_remote()).unzip();
    worker
        .send(Box::new(move || {
            for (n, remote) in remotes.into_iter().enumerate() {
                remote.callback(n as u64);
            }
        }))
        .unwrap();
    gathered(deferreds)
}

fn spawned_oneshot(worker: &mpsc::Sender<Work>) -> Deferred<()> {
    let receivers = oneshots_fired_by(worker);
    gathered(
        receivers
            .into_iter()
            .map(|receiver| spawn_deferred(async move { receiver.await.map_err(Failure::new) })),
    )
}

fn fire_from_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("fire_from_thread");
    group.throughput(Throughput::Elements(BATCH as u64));
    let cases: [(&str, Batch); 3] = [
        ("oneshot_floor", oneshot_floor),
        ("remote", remote),
        ("spawn_deferred_oneshot", spawned_oneshot),
    ];
    for (name, batch) in cases {
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter_custom(|iters| on_the_loop(iters, batch))
        });
    }
    group.finish();
}

criterion_group!(benches, fire_from_thread);
criterion_main!(benches);
