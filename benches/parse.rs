//! `parse json::<T>` with borrowed fields against a hand-written `serde_json::from_str`
//! loop over the same lines: what the stage (its tallies, the fused loop, the batch read by
//! reference) costs over serde itself, in MB/s of JSON. 200,000 lines of click events
//! (about 19 MB), all valid, in one batch; `T` borrows its strings from the batch.
//!
//! `cargo bench --bench parse`

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;
use streaming::__private::rt::ops::parse::{Mode, Parse, json};
use streaming::prelude::*;

mod common;

#[derive(Deserialize)]
#[allow(dead_code)] // read by serde; the bench only counts
struct Click<'a> {
    user: &'a str,
    action: &'a str,
    page: &'a str,
    ms: u64,
    ok: bool,
    tags: Option<Vec<&'a str>>,
}

fn lines() -> Vec<&'static str> {
    let actions = ["click", "view", "scroll", "purchase"];
    let text: String = (0..200_000u64)
        .map(|i| {
            let tags = if i % 3 == 0 {
                r#","tags":["new","mobile"]"#
            } else {
                ""
            };
            format!(
                "{{\"user\":\"user{}\",\"action\":\"{}\",\"page\":\"/shop/item/{}\",\"ms\":{},\"ok\":{}{}}}\n",
                i * 7919 % 50_000,
                actions[(i % 4) as usize],
                i % 1_000,
                i * 37 % 5_000,
                i % 10 != 0,
                tags
            )
        })
        .collect();
    common::leaked_lines(text)
}

/// The reference: serde over each line, as a careful programmer would write it.
fn hand_written(lines: Vec<&str>) -> usize {
    let mut n = 0;
    for line in lines {
        if let Ok(c) = serde_json::from_str::<Click<'_>>(line) {
            black_box(&c);
            n += 1;
        }
    }
    n
}

macro_rules! parse {
    ($lines:expr, $threads:expr; $($config:tt)*) => {
        stream_pipeline! {
            batch 1s;
            parallelism { $threads };
            $($config)*
            source queue(vec![$lines])
                |> parse json::<Click<'_>>
                |> count
                |> foreach_batch(|_time, n| { black_box(n); })
        }
    };
}

fn bench(c: &mut Criterion) {
    let lines = lines();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let mut g = c.benchmark_group("parse_json");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(20);
    g.bench_function("hand_written_serde_loop", |b| {
        b.iter_batched(
            || lines.clone(),
            |batch| black_box(hand_written(batch)),
            BatchSize::LargeInput,
        )
    });
    // The stage's runtime function alone, without a pipeline around it.
    let stage = Parse::new("parse", Mode::Permissive);
    g.bench_function("stage_function_alone", |b| {
        b.iter_batched(
            || lines.clone(),
            |batch| {
                let n = json::<Click<'_>, _>(&batch, &stage, BatchTime::ZERO).count();
                black_box(n);
                drop(batch);
            },
            BatchSize::LargeInput,
        )
    });
    for threads in [1, 2] {
        g.bench_function(format!("fused_parallelism_{threads}"), |b| {
            b.iter_batched(
                || parse!(lines.clone(), threads;),
                common::run_one,
                BatchSize::LargeInput,
            )
        });
    }
    g.bench_function("fusion_off_parallelism_1", |b| {
        b.iter_batched(
            || parse!(lines.clone(), 1; fusion off;),
            common::run_one,
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
