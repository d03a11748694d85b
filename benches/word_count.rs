//! Word count on a large text (`../shared/data/norvig_big.txt`, 128,457 lines, when present;
//! else generated), one batch holding all of it, and a cheap per-record chain where the cost
//! of materialising every operator's output shows:
//!
//! - `word_count`: `flat_map split |> map |w| (w, 1) |> reduce_by_key(+)`, the hand-written
//!   loop as the reference, fused at `parallelism 1` and `2`, and `fusion off`;
//! - `stateless_chain`: four filter/map stages and a `count` over 1,000,000 events, where
//!   each stage costs a few instructions per record: what fusion saves is most of the work.
//!
//! `cargo bench --bench word_count`

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use streaming::prelude::*;

mod common;

fn hand_written(lines: &[&str]) -> usize {
    let mut counts: HashMap<&str, i64, ahash::RandomState> = HashMap::default();
    for line in lines {
        for word in line.split_whitespace() {
            *counts.entry(word).or_insert(0) += 1;
        }
    }
    counts.len()
}

/// The same pipeline text, compiled with any extra config lines (`fusion off;`).
macro_rules! word_count {
    ($lines:expr, $threads:expr; $($config:tt)*) => {
        stream_pipeline! {
            batch 1s;
            parallelism { $threads };
            $($config)*
            source queue(vec![$lines])
                |> flat_map split
                |> map |w| (w, 1)
                |> reduce_by_key(+)
                |> foreach_batch(|_time, counts| { black_box(counts.len()); })
        }
    };
}

/// (user, status, bytes) events.
type Event = (u32, u16, u64);

fn events() -> Vec<Event> {
    (0..1_000_000u64)
        .map(|i| {
            let status = [200, 200, 200, 304, 404, 500][(i % 6) as usize];
            ((i * 7919 % 10_000) as u32, status, i * 37 % 100_000)
        })
        .collect()
}

/// Takes the batch by value, as the pipeline does: a batch is consumed and freed (for 16 MB
/// of events, freeing is a fair part of the cost).
fn chain_by_hand(events: Vec<Event>) -> u64 {
    let mut n = 0;
    for (user, status, bytes) in events {
        if status < 400 && user % 3 != 0 {
            let kb = bytes / 1024;
            if kb > 0 {
                n += 1;
            }
        }
    }
    n
}

macro_rules! chain {
    ($events:expr; $($config:tt)*) => {
        stream_pipeline! {
            batch 1s;
            parallelism 1;
            $($config)*
            source queue(vec![$events])
                |> filter |e: &Event| e.1 < 400
                |> map |e: Event| (e.0, e.2)
                |> filter |e: &(u32, u64)| e.0 % 3 != 0
                |> map_values |bytes: u64| bytes / 1024
                |> filter |e: &(u32, u64)| e.1 > 0
                |> count
                |> foreach_batch(|_time, n| { black_box(n); })
        }
    };
}

fn bench(c: &mut Criterion) {
    let lines = common::leaked_lines(common::books_text());
    let words: usize = lines.iter().map(|l| l.split_whitespace().count()).sum();
    let mut g = c.benchmark_group("word_count");
    g.throughput(Throughput::Elements(words as u64));
    g.bench_function("hand_written_loop", |b| {
        b.iter(|| black_box(hand_written(black_box(&lines))))
    });
    for threads in [1, 2] {
        g.bench_function(format!("fused_parallelism_{threads}"), |b| {
            b.iter_batched(
                || word_count!(lines.clone(), threads;),
                common::run_one,
                BatchSize::LargeInput,
            )
        });
    }
    g.bench_function("fusion_off_parallelism_1", |b| {
        b.iter_batched(
            || word_count!(lines.clone(), 1; fusion off;),
            common::run_one,
            BatchSize::LargeInput,
        )
    });
    g.finish();

    let events = events();
    let mut g = c.benchmark_group("stateless_chain");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("hand_written_loop", |b| {
        b.iter_batched(
            || events.clone(),
            |batch| black_box(chain_by_hand(batch)),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("fused_parallelism_1", |b| {
        b.iter_batched(
            || chain!(events.clone();),
            common::run_one,
            BatchSize::LargeInput,
        )
    });
    g.bench_function("fusion_off_parallelism_1", |b| {
        b.iter_batched(
            || chain!(events.clone(); fusion off;),
            common::run_one,
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
