//! `window(W, 1s) reduce(+, -)` vs `window(W, 1s) reduce(+)`: the steady-state cost of one
//! batch once the window is full, at W = 10s, 60s, 300s, 3600s. With an inverse a batch
//! costs what its own pane and the leaving pane hold, whatever W is; without, every slide
//! combines all W panes.
//!
//! `cargo bench --bench windows`

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

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("windowed_reduce_per_batch");
    g.sample_size(30);
    measure(&mut g, "with_inverse", 10, windowed!(10s, inverse));
    measure(&mut g, "with_inverse", 60, windowed!(60s, inverse));
    measure(&mut g, "with_inverse", 300, windowed!(300s, inverse));
    measure(&mut g, "with_inverse", 3600, windowed!(3600s, inverse));
    measure(&mut g, "without_inverse", 10, windowed!(10s, plain));
    measure(&mut g, "without_inverse", 60, windowed!(60s, plain));
    measure(&mut g, "without_inverse", 300, windowed!(300s, plain));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
