//! What a checkpoint costs on an object store, beside the same checkpoint in a local
//! directory: an `update_state_by_key` store of 1 k, 100 k and 1 M `(String, i64)` keys
//! written (encoded, then published: a directory's temp file, fsync and rename; an object
//! store's object and the conditional write of its pointer), and one batch log (what every
//! batch of a checkpointed pipeline writes before it runs).
//!
//! `cargo bench --features object-store --bench checkpoint_object_store`
//!
//! The object store is the tests' S3 server, s3s-fs on 127.0.0.1 (installed by
//! `scripts/install_s3s.sh` on first use, a debug build: its time per byte is higher than
//! a real store's, its latency per request far lower than a remote one's). What carries
//! over to a real store is the number of requests: a checkpoint is 2 PUTs (the object,
//! the pointer `If-Match`), plus a DELETE for the checkpoint that falls off the newest 3
//! and a LIST for unpublished ones; a batch log is 1 PUT (of the pointer, which holds the
//! logs since the last checkpoint). Against S3 in the same region
//! (tens of milliseconds per small PUT) a checkpoint adds about 4 round trips, a batch 1.

#[path = "../tests/common/install.rs"]
mod install;
#[path = "../tests/common/s3.rs"]
mod s3;

use std::cell::Cell;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use streaming::__private::rt::checkpoint::{CheckpointDir, CheckpointStore};
use streaming::__private::rt::keyed::KeyedMap;
use streaming::__private::rt::ops::group_by_key::Values;
use streaming::__private::rt::ops::update_state_by_key::State;
use streaming::BatchTime;
use streaming::cluster::open_store;

type Store = State<String, i64>;

fn state_of(keys: usize) -> Store {
    let mut state: Store = State::new();
    let batch: KeyedMap<String, Values<i64>> = (0..keys)
        .map(|i| (format!("user-{i:07}"), Values::from_elem(i as i64, 1)))
        .collect();
    state.update(batch, |new, old: Option<i64>| {
        Some(new.into_iter().sum::<i64>() + old.unwrap_or(0))
    });
    state
}

fn open(location: &Path) -> Arc<dyn CheckpointStore> {
    open_store(location).unwrap_or_else(|e| panic!("{e}"))
}

fn bench(c: &mut Criterion) {
    // Starts the server and points the environment's S3 settings at it.
    drop(s3::shared().lock());
    let local = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Each write a later batch's (the names differ, as a running pipeline's do).
    let clock = Cell::new(0u64);
    let next = || {
        clock.set(clock.get() + 1000);
        BatchTime::from_millis(clock.get())
    };

    let mut group = c.benchmark_group("checkpoint_object_store");
    group.sample_size(10);
    for keys in [1_000usize, 100_000, 1_000_000] {
        let state = state_of(keys);
        let stores = [
            ("local_dir", open(&local.path().join(format!("k{keys}")))),
            (
                "object_store",
                open(s3::Location::new(s3::Store::Object).path()),
            ),
        ];
        for (name, store) in stores {
            let dir = CheckpointDir::with_store(store, 1);
            let written = dir.write(next(), &state).unwrap_or_else(|e| panic!("{e}"));
            if let Ok(meta) = std::fs::metadata(&written) {
                eprintln!("a checkpoint of {keys} keys: {} bytes", meta.len());
            }
            group.bench_with_input(BenchmarkId::new(name, keys), &dir, |b, dir| {
                b.iter(|| black_box(dir.write(next(), &state).unwrap_or_else(|e| panic!("{e}"))))
            });
        }
    }
    // A batch log: the input positions of one batch (a few hundred bytes), with the logs
    // of the last 10 batches kept beside it, as between checkpoints every 10 batches (an
    // object store keeps them in its pointer, which grows with them).
    let log = vec![7u8; 256];
    let stores = [
        ("local_dir", open(&local.path().join("logs"))),
        (
            "object_store",
            open(s3::Location::new(s3::Store::Object).path()),
        ),
    ];
    for (name, store) in stores {
        group.bench_function(BenchmarkId::new(format!("batch_log/{name}"), 256), |b| {
            b.iter_batched(
                || {
                    let t = next().milliseconds();
                    let checkpointed = t.saturating_sub(10_000);
                    store
                        .prune_logs(checkpointed)
                        .unwrap_or_else(|e| panic!("{e}"));
                    t
                },
                |t| {
                    black_box(
                        store
                            .write_log(t, log.clone())
                            .unwrap_or_else(|e| panic!("{e}")),
                    )
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
