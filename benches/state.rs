//! `update_state_by_key` over 1,000,000 keys: the steady-state cost of one batch of 10,000
//! values once every key has state. Spark's semantics make every batch touch every key
//! (`f` runs for keys without new values too) and emit the whole state, so a batch costs
//! what the state holds; what this measures is how little beyond that it costs: rebuilding
//! the store, and handing the 1 M `(key, state)` pairs to the next stage (by reference to
//! the store's keys, not a copy of each key every batch).
//!
//! `cargo bench --bench state`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use streaming::prelude::*;

const KEYS: usize = 1_000_000;
const PER_BATCH: usize = 10_000;

fn bench(c: &mut Criterion) {
    let keys: Vec<String> = (0..KEYS).map(|i| format!("user-{i:07}")).collect();
    let first: Vec<(String, i64)> = keys.iter().map(|k| (k.clone(), 1)).collect();
    let later: Vec<(String, i64)> = (0..PER_BATCH)
        .map(|i| (keys[(i * 7919) % KEYS].clone(), 1))
        .collect();
    let batches = std::iter::once(first).chain(std::iter::repeat_with(move || later.clone()));
    let mut p = stream_pipeline! {
        batch 1s;
        parallelism 1;
        source queue(batches)
            |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
            |> foreach_batch(|_t, totals| { black_box(totals.len()); })
    };
    p.run_batches(1).unwrap_or_else(|e| panic!("{e}")); // every key gets state
    let mut g = c.benchmark_group("update_state_by_key_1m_keys");
    g.sample_size(10);
    g.bench_function("batch_of_10k_values", |b| b.iter(|| p.run_batches(1)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
