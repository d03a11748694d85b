//! How long a checkpoint of 1 M keys takes (serialise + write + fsync + rename) and how large
//! it is: an `update_state_by_key` store of 1,000,000 `(String, i64)` entries.
//!
//! `cargo bench --bench checkpoint`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use streaming::checkpoint::CheckpointDir;
use streaming::ops::update_state_by_key::State;
use streaming::{BatchTime, KeyedMap};

fn bench(c: &mut Criterion) {
    let mut state: State<String, i64> = State::new();
    let batch: KeyedMap<String, Vec<i64>> = (0..1_000_000)
        .map(|i| (format!("user-{i:07}"), vec![i as i64]))
        .collect();
    state.update(batch, |new, old: Option<i64>| {
        Some(new.into_iter().sum::<i64>() + old.unwrap_or(0))
    });
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cp = CheckpointDir::new(dir.path(), 1);
    let path = cp
        .write(BatchTime::from_millis(1000), &state)
        .unwrap_or_else(|e| panic!("{e}"));
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "checkpoint of {} keys: {:.1} MiB ({} bytes)",
        state.len(),
        size as f64 / (1 << 20) as f64,
        size
    );

    let mut g = c.benchmark_group("checkpoint_1m_keys");
    g.sample_size(10);
    let mut t = 1000;
    g.bench_function("write", |b| {
        b.iter(|| {
            t += 1000;
            black_box(
                cp.write(BatchTime::from_millis(t), &state)
                    .map_err(|e| e.to_string()),
            )
        })
    });
    g.bench_function("restore", |b| {
        b.iter(|| {
            black_box(
                cp.restore::<State<String, i64>>()
                    .map(|r| r.map(|r| r.state.len()))
                    .map_err(|e| e.to_string()),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
