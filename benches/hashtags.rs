//! The card's per-batch hashtag job on one large batch of tweets: the fused pipeline against
//! a hand-written Rust loop doing the same job, with `parallelism 2`, and with `fusion off`.
//!
//! `cargo bench --bench hashtags` (uses ../shared/data's tweets when present).

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use streaming::prelude::*;

fn tweets() -> Vec<&'static str> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/tweeteval_emoji_tweets.txt"
    );
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => (0..100_000)
            .map(|i| format!("some words #tag{} more #t{} words here\n", i % 211, i % 7))
            .collect(),
    };
    // Leaked once so the batch can hold `&'static str`, as a line source's batch holds `&str`.
    let text: &'static str = Box::leak(text.into_boxed_str());
    text.lines().collect()
}

fn hand_written(lines: &[&str]) -> Vec<(String, i64)> {
    let mut counts: HashMap<&str, i64, ahash::RandomState> = HashMap::default();
    for line in lines {
        for word in line.split_whitespace() {
            if word.starts_with('#') {
                *counts.entry(word).or_insert(0) += 1;
            }
        }
    }
    let mut v: Vec<(&str, i64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    v.truncate(10);
    v.into_iter().map(|(k, n)| (k.to_string(), n)).collect()
}

/// The same pipeline text, compiled with any extra config lines (`fusion off;`).
macro_rules! hashtags {
    ($lines:expr, $threads:expr; $($config:tt)*) => {
        stream_pipeline! {
            batch 1s;
            parallelism { $threads };
            $($config)*
            source queue(vec![$lines])
                |> flat_map split
                |> filter starts_with("#")
                |> reduce_by_key(+)
                |> sort desc
                |> take(10)
                |> foreach_batch(|_time, top| { black_box(top); })
        }
    };
}

fn pipeline(lines: Vec<&'static str>, threads: usize) -> Pipeline {
    hashtags!(lines, threads;)
}

fn unfused(lines: Vec<&'static str>) -> Pipeline {
    hashtags!(lines, 1; fusion off;)
}

fn bench(c: &mut Criterion) {
    let lines = tweets();
    let mut g = c.benchmark_group("hashtags_per_batch");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("hand_written_loop", |b| {
        b.iter(|| black_box(hand_written(black_box(&lines))))
    });
    for threads in [1, 2] {
        g.bench_function(format!("fused_parallelism_{threads}"), |b| {
            b.iter_batched(
                || pipeline(lines.clone(), threads),
                |mut p| p.run_batches(1).map_err(|e| e.to_string()),
                BatchSize::LargeInput,
            )
        });
    }
    g.bench_function("fusion_off_parallelism_1", |b| {
        b.iter_batched(
            || unfused(lines.clone()),
            |mut p| p.run_batches(1).map_err(|e| e.to_string()),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
