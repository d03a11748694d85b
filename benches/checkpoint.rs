//! How long a checkpoint of 1 M keys takes (serialise + write + fsync + rename), how large it
//! is, and how long restoring it takes: an `update_state_by_key` store of 1,000,000
//! `(String, i64)` entries.
//!
//! `cargo bench --bench checkpoint`
//!
//! - `write`: the store alone, as `CheckpointDir::write` writes it.
//! - `restore`: reading it back, dropping the restored store included (as this bench has
//!   always measured it, so figures compare across sessions).
//! - `restore_without_drop`: the same, the drop left out of the timing.
//! - `restore_as_a_pipeline`: the path a restarting pipeline takes: the pipeline's
//!   checkpoint (sources' positions and the job's state as bytes) read, then the job's state
//!   decoded with its type list checked (drop included).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use streaming::BatchTime;
// The checkpoint files and the operators' state are the generated code's, not API.
use streaming::__private::rt::checkpoint::{
    CheckpointDir, PipelineCheckpoint, decode_state, encode_state,
};
use streaming::__private::rt::keyed::KeyedMap;
use streaming::__private::rt::ops::group_by_key::Values;
use streaming::__private::rt::ops::update_state_by_key::State;

type Store = State<String, i64>;

fn bench(c: &mut Criterion) {
    let mut state: Store = State::new();
    let batch: KeyedMap<String, Values<i64>> = (0..1_000_000)
        .map(|i| (format!("user-{i:07}"), Values::from_elem(i as i64, 1)))
        .collect();
    state.update(batch, |new, old: Option<i64>| {
        Some(new.into_iter().sum::<i64>() + old.unwrap_or(0))
    });
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cp = CheckpointDir::new(dir.path().join("store"), 1);
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

    // What the generated code saves: each stage's state type, then the stores.
    let stage = "update_state_by_key (line 1)";
    let type_name = std::any::type_name::<Store>();
    let pipeline_cp = CheckpointDir::new(dir.path().join("pipeline"), 1);
    let job_state = encode_state(&(&[type_name][..], (&state,))).unwrap_or_else(|e| panic!("{e}"));
    pipeline_cp
        .write(
            BatchTime::from_millis(1000),
            &PipelineCheckpoint {
                zero: BatchTime::from_millis(0),
                state: Some(job_state),
                sources: vec![None],
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));

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
    let restore = || {
        cp.restore::<Store>()
            .map(|r| r.map(|r| r.state))
            .map_err(|e| e.to_string())
    };
    g.bench_function("restore", |b| {
        b.iter(|| black_box(restore().map(|s| s.map(|s| s.len()))))
    });
    g.bench_function("restore_without_drop", |b| b.iter_with_large_drop(restore));
    g.bench_function("restore_as_a_pipeline", |b| {
        b.iter(|| {
            let restored = pipeline_cp
                .restore::<PipelineCheckpoint>()
                .map_err(|e| e.to_string())
                .and_then(|r| r.ok_or_else(|| "no checkpoint".to_string()))
                .and_then(|r| r.state.state.ok_or_else(|| "no state".to_string()))
                .and_then(|bytes| {
                    decode_state::<(Store,)>(&bytes, &[(stage, type_name)])
                        .map_err(|e| e.to_string())
                });
            black_box(restored.map(|(s,)| s.len()))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
