//! Short per-key lists: where a key holds one value or a few, the list's representation is
//! most of the cost. Two pipelines, one batch each:
//!
//! - `group_by_key` of 1,000,000 pairs over 400,000 keys (2.5 values a key on average, most
//!   keys 1 to 4): one list per key, built and handed on as a `CompactBuffer`;
//! - a join with a static `table(..)` of 200,000 keys, one value each, probed by 1,000,000
//!   elements: each probe reads its key's list of table values.
//!
//! `cargo bench --bench key_lists`

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use streaming::prelude::*;

const PAIRS: usize = 1_000_000;
const GROUP_KEYS: u64 = 400_000;
const TABLE_KEYS: u64 = 200_000;

/// xorshift64: the same keys on every run.
fn keys(n: usize, modulo: u64, mut x: u64) -> Vec<u64> {
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % modulo
        })
        .collect()
}

fn group_by_key(c: &mut Criterion) {
    let pairs: Vec<(u64, u64)> = keys(PAIRS, GROUP_KEYS, 0x9e37_79b9)
        .into_iter()
        .zip(0..)
        .collect();
    let mut g = c.benchmark_group("key_lists");
    g.sample_size(10);
    g.bench_function("group_by_key_1m_pairs_400k_keys", |b| {
        b.iter_batched(
            || vec![pairs.clone()],
            |batches| {
                let mut p = stream_pipeline! {
                    batch 1s;
                    parallelism 1;
                    source queue(batches)
                        |> group_by_key
                        |> foreach_batch(|_t, groups| { black_box(groups.len()); })
                };
                p.run_batches(1).unwrap_or_else(|e| panic!("{e}"));
            },
            criterion::BatchSize::LargeInput,
        )
    });
    let table: HashMap<u64, u64> = (0..TABLE_KEYS).map(|k| (k, k * 3)).collect();
    let probes: Vec<(u64, u64)> = keys(PAIRS, TABLE_KEYS * 2, 0x5851_f42d)
        .into_iter()
        .map(|k| (k, 1))
        .collect();
    let mut p = stream_pipeline! {
        batch 1s;
        parallelism 1;
        source queue(std::iter::repeat_with(move || probes.clone()))
            |> join(table(table))
            |> foreach_batch(|_t, joined| { black_box(joined.len()); })
    };
    g.bench_function("join_1m_probes_table_of_200k_keys", |b| {
        b.iter(|| p.run_batches(1).unwrap_or_else(|e| panic!("{e}")))
    });
    g.finish();
}

criterion_group!(benches, group_by_key);
criterion_main!(benches);
