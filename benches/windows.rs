//! `window(W, 1s) reduce(+, -)` vs `window(W, 1s) reduce(+)` vs a naive recompute: the
//! steady-state cost of one batch once the window is full, at W = 10s, 60s, 300s, 3600s.
//! With an inverse a batch costs what its own pane and the leaving pane hold, whatever W is;
//! without, every slide combines all W panes' partial counts; the naive recompute re-reduces
//! every raw record of the window at every slide (what `window(W, 1s) |> reduce_by_key(+)`
//! does, written by hand here so filling a 3600 s window does not take an hour).
//!
//! `cargo bench --bench windows`

use std::collections::{HashMap, VecDeque};
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use streaming::prelude::*;

const RECORDS: usize = 10_000;
const KEYS: usize = 500;

fn batch() -> Vec<(&'static str, i64)> {
    let keys: &'static [String] = Box::leak(
        (0..KEYS)
            .map(|k| format!("#tag{k}"))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    (0..RECORDS)
        .map(|i| (keys[(i * 7919) % KEYS].as_str(), 1))
        .collect()
}

/// One pipeline per window length: window durations are compile-time constants.
macro_rules! windowed {
    ($w:literal, inverse) => {{
        let b = batch();
        stream_pipeline! {
            batch 1s;
            parallelism 1;
            source queue(std::iter::repeat_with(move || b.clone()))
                |> window($w, 1s) reduce(+, -)
                |> foreach_batch(|_t, counts| { black_box(counts.len()); })
        }
    }};
    ($w:literal, plain) => {{
        let b = batch();
        stream_pipeline! {
            batch 1s;
            parallelism 1;
            source queue(std::iter::repeat_with(move || b.clone()))
                |> window($w, 1s) reduce(+)
                |> foreach_batch(|_t, counts| { black_box(counts.len()); })
        }
    }};
}

fn measure(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    secs: u64,
    mut p: Pipeline,
) {
    p.run_batches(secs + 1).unwrap_or_else(|e| panic!("{e}")); // fill the window
    g.bench_function(format!("{name}/W={secs}s"), |b| b.iter(|| p.run_batches(1)));
}

/// Keeps the window's raw batches and reduces all of them at every slide.
struct NaiveWindow {
    batches: VecDeque<Vec<(&'static str, i64)>>,
    length: usize,
}

impl NaiveWindow {
    fn filled(length: usize) -> Self {
        let b = batch();
        NaiveWindow {
            batches: std::iter::repeat_n(b, length).collect(),
            length,
        }
    }

    fn slide(&mut self) -> usize {
        self.batches.push_back(batch_clone(&self.batches));
        if self.batches.len() > self.length {
            self.batches.pop_front();
        }
        let mut counts: HashMap<&str, i64, ahash::RandomState> = HashMap::default();
        for (k, v) in self.batches.iter().flatten() {
            *counts.entry(k).or_insert(0) += v;
        }
        counts.len()
    }
}

fn batch_clone(batches: &VecDeque<Vec<(&'static str, i64)>>) -> Vec<(&'static str, i64)> {
    batches.back().cloned().unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("windowed_reduce_per_batch");
    g.sample_size(10);
    measure(&mut g, "with_inverse", 10, windowed!(10s, inverse));
    measure(&mut g, "with_inverse", 60, windowed!(60s, inverse));
    measure(&mut g, "with_inverse", 300, windowed!(300s, inverse));
    measure(&mut g, "with_inverse", 3600, windowed!(3600s, inverse));
    measure(&mut g, "without_inverse", 10, windowed!(10s, plain));
    measure(&mut g, "without_inverse", 60, windowed!(60s, plain));
    measure(&mut g, "without_inverse", 300, windowed!(300s, plain));
    measure(&mut g, "without_inverse", 3600, windowed!(3600s, plain));
    for secs in [10, 60, 300, 3600] {
        let mut naive = NaiveWindow::filled(secs);
        g.bench_function(format!("naive_recompute/W={secs}s"), |b| {
            b.iter(|| black_box(naive.slide()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
