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

fn text_lines() -> Vec<&'static str> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/norvig_big.txt");
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => {
            let words = [
                "the", "of", "and", "to", "a", "in", "that", "is", "was", "he",
            ];
            (0..128_000)
                .map(|i| {
                    let mut line: Vec<String> = (0..10)
                        .map(|j| words[(i * 7 + j * 3) % words.len()].to_string())
                        .collect();
                    line.push(format!("word{}", i % 5000));
                    line.join(" ") + "\n"
                })
                .collect()
        }
    };
    // Leaked once so the batch can hold `&'static str`, as a line source's batch holds `&str`.
    let text: &'static str = Box::leak(text.into_boxed_str());
    text.lines().collect()
}

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

/// Runs the pipeline's one batch. The pipeline is dropped inside the timing, as the
/// hand-written loop drops its map: kept alive, each sample's pipelines hold their memory
/// and the next one runs on cold pages (+25% here).
fn run_one(mut p: Pipeline) -> Result<(), String> {
    p.run_batches(1).map_err(|e| e.to_string())
}

fn bench(c: &mut Criterion) {
    let lines = text_lines();
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
                run_one,
                BatchSize::LargeInput,
            )
        });
    }
    g.bench_function("fusion_off_parallelism_1", |b| {
        b.iter_batched(
            || word_count!(lines.clone(), 1; fusion off;),
            run_one,
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
        b.iter_batched(|| chain!(events.clone();), run_one, BatchSize::LargeInput)
    });
    g.bench_function("fusion_off_parallelism_1", |b| {
        b.iter_batched(
            || chain!(events.clone(); fusion off;),
            run_one,
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
