//! The card's hashtag job on real tweets, the fused pipeline against a hand-written Rust loop
//! doing the same job, against `parallelism 2` and against `fusion off`:
//!
//! - `hashtags_per_batch`: top 10 hashtags of one large batch (all the tweets);
//! - `hashtags_windowed`: the card's `window(300s, 1s) reduce(+, -)`, steady state (window
//!   full), each batch 1,000 tweets; the hand-written loop keeps one count map per batch and
//!   running totals, adding the new batch and subtracting the one that leaves. Then the top
//!   10, or (`.._then_filter_count`) `filter |> count` over the whole window result.
//!
//! `cargo bench --bench hashtags` (uses ../shared/data's tweets when present, or the file
//! named by `STREAMING_BENCH_TWEETS`).
//!
//! `STREAMING_BENCH_PAIRED=1 cargo bench --bench hashtags` measures the speedups of the
//! steady group instead, interleaved: criterion times one variant for seconds and then the
//! next, and on a shared VM the load changes in between (the hand loop's speedup on two
//! threads moved from 1.6× to 2.6× between runs). Each round here times every variant once,
//! back to back, and the speedups quoted are the medians of the rounds' own ratios.
//!
//! `STREAMING_BENCH_UI=1 cargo bench --bench hashtags` times the windowed job with and
//! without `ui "..";` (the page polled every second) the same way, interleaved.

use std::collections::{HashMap, VecDeque};

/// mimalloc, as `benches/nexmark.rs` uses, for every variant alike (the hand loops too).
/// Under glibc's allocator a batch's few MiB of maps and batch copies are given back to
/// the kernel at the batch's end whenever they cross its trim threshold, which moves with
/// the sizes freed before, and come back as fresh zeroed pages the next batch: a page
/// fault per 4 KiB, or not, by the luck of the sizes (BENCHMARKS.md, "Hashtags").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group};
use streaming::prelude::*;

mod common;

fn hand_written(lines: &[&'static str]) -> Vec<(String, i64)> {
    top10(hashtag_counts(lines.iter().copied()).into_iter())
}

/// The hand-written loop over a batch of owned lines: it takes the batch, borrows words from
/// it, and drops it at the end, as the pipeline does with a `queue`'s batch.
fn hand_written_owned(lines: Vec<String>) -> Vec<(String, i64)> {
    top10(hashtag_counts(lines.iter().map(String::as_str)).into_iter())
}

type Counts<'a> = HashMap<&'a str, i64, ahash::RandomState>;

fn hashtag_counts<'a>(lines: impl IntoIterator<Item = &'a str>) -> Counts<'a> {
    let mut counts = Counts::default();
    for line in lines {
        for word in line.split_whitespace() {
            if word.starts_with('#') {
                *counts.entry(word).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// The top 10 of `(tag, count)` pairs as `sort desc |> take(10)` gives them.
fn top10<'a>(pairs: impl Iterator<Item = (&'a str, i64)>) -> Vec<(String, i64)> {
    let mut v: Vec<(&str, i64)> = pairs.collect();
    // What a careful programmer writes: select the top 10, then sort just those.
    let order = |a: &(&str, i64), b: &(&str, i64)| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0));
    if v.len() > 10 {
        v.select_nth_unstable_by(9, order);
        v.truncate(10);
    }
    v.sort_by(order);
    v.into_iter().map(|(k, n)| (k.to_string(), n)).collect()
}

const WINDOW_BATCHES: usize = 300;
const WINDOWED_BATCH: usize = 1_000;

/// The card's windowed job by hand: counts per batch, running totals with the number of
/// batches holding each tag (a tag leaves when no batch in the window holds it).
#[derive(Default)]
struct HandWindow {
    panes: VecDeque<Counts<'static>>,
    totals: HashMap<&'static str, (i64, u32), ahash::RandomState>,
}

impl HandWindow {
    fn batch(&mut self, lines: &[&'static str]) -> Vec<(String, i64)> {
        self.update(lines);
        top10(self.totals.iter().map(|(&k, &(n, _))| (k, n)))
    }

    /// The window's hashtags seen at least twice (the job with `filter |> count` after the
    /// window instead of the top 10).
    fn batch_repeated(&mut self, lines: &[&'static str]) -> usize {
        self.update(lines);
        self.totals.values().filter(|(n, _)| *n >= 2).count()
    }

    fn update(&mut self, lines: &[&'static str]) {
        let pane = hashtag_counts(lines.iter().copied());
        for (&tag, &n) in &pane {
            let total = self.totals.entry(tag).or_insert((0, 0));
            total.0 += n;
            total.1 += 1;
        }
        self.panes.push_back(pane);
        if self.panes.len() > WINDOW_BATCHES
            && let Some(old) = self.panes.pop_front()
        {
            for (tag, n) in old {
                if let Some(total) = self.totals.get_mut(tag) {
                    total.0 -= n;
                    total.1 -= 1;
                    if total.1 == 0 {
                        self.totals.remove(tag);
                    }
                }
            }
        }
    }
}

/// The tweets cut into batches of `WINDOWED_BATCH`, repeated for ever.
fn windowed_batches(lines: &[&'static str]) -> impl Iterator<Item = Vec<&'static str>> + use<> {
    let chunks: Vec<Vec<&'static str>> = lines.chunks(WINDOWED_BATCH).map(<[_]>::to_vec).collect();
    chunks.into_iter().cycle()
}

/// The card's windowed pipeline, with any extra config lines (`fusion off;`); `repeated`:
/// instead of the top 10, the number of hashtags in the window seen at least twice (stages
/// that read the whole window result each slide).
macro_rules! windowed {
    (repeated $lines:expr; $($config:tt)*) => {
        stream_pipeline! {
            batch 1s;
            parallelism 1;
            $($config)*
            source queue(windowed_batches($lines))
                |> flat_map split
                |> filter starts_with("#")
                |> window(300s, 1s) reduce(+, -)
                |> filter |(_, n)| *n >= 2
                |> count
                |> foreach_batch(|_time, n| { black_box(n); })
        }
    };
    ($lines:expr; $($config:tt)*) => {
        stream_pipeline! {
            batch 1s;
            parallelism 1;
            $($config)*
            source queue(windowed_batches($lines))
                |> flat_map split
                |> filter starts_with("#")
                |> window(300s, 1s) reduce(+, -)
                |> sort desc
                |> take(10)
                |> foreach_batch(|_time, top| { black_box(top); })
        }
    };
}

/// The per-batch pipeline over `$batches` (a `queue`'s batches), compiled with any extra
/// config lines (`fusion off;`).
macro_rules! hashtags {
    ($batches:expr, $threads:expr; $($config:tt)*) => {
        stream_pipeline! {
            batch 1s;
            parallelism { $threads };
            $($config)*
            source queue($batches)
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
    hashtags!(vec![lines], threads;)
}

/// The per-batch job over the same batch again and again.
fn steady(lines: Vec<&'static str>, threads: usize) -> Pipeline {
    hashtags!(std::iter::repeat(lines), threads;)
}

fn pipeline_owned(lines: Vec<String>) -> Pipeline {
    hashtags!(vec![lines], 1;)
}

fn unfused(lines: Vec<&'static str>) -> Pipeline {
    hashtags!(vec![lines], 1; fusion off;)
}

/// The references of a per-batch group: the hand-written loop on one thread, and on each
/// half of the batch on two (what this machine's second core gives a loop that needs no
/// merge: the reference for `parallelism 2`).
fn hand_written_references(g: &mut BenchmarkGroup<'_, WallTime>, lines: &[&'static str]) {
    g.bench_function("hand_written_loop", |b| {
        b.iter(|| black_box(hand_written(black_box(lines))))
    });
    g.bench_function("hand_written_two_halves_two_threads", |b| {
        b.iter(|| {
            let (a, z) = lines.split_at(lines.len() / 2);
            std::thread::scope(|s| {
                let other = s.spawn(|| black_box(hand_written(black_box(z))));
                black_box(hand_written(black_box(a)));
                let _ = other.join();
            })
        })
    });
}

fn bench(c: &mut Criterion) {
    let lines = common::leaked_lines(common::tweets_text());
    let mut g = c.benchmark_group("hashtags_per_batch");
    g.throughput(Throughput::Elements(lines.len() as u64));
    hand_written_references(&mut g, &lines);
    for threads in [1, 2] {
        g.bench_function(format!("fused_parallelism_{threads}"), |b| {
            b.iter_batched(
                || pipeline(lines.clone(), threads),
                common::run_one,
                BatchSize::LargeInput,
            )
        });
    }
    g.bench_function("fusion_off_parallelism_1", |b| {
        b.iter_batched(
            || unfused(lines.clone()),
            common::run_one,
            BatchSize::LargeInput,
        )
    });
    // The same job over a batch of owned `String` lines (a custom receiver, Kafka payloads):
    // both borrow the words from the batch and drop it at the end.
    let owned = || lines.iter().map(|l| l.to_string()).collect::<Vec<String>>();
    g.bench_function("hand_written_loop_owned_lines", |b| {
        b.iter_batched(
            owned,
            |batch| black_box(hand_written_owned(batch)),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("fused_parallelism_1_owned_lines", |b| {
        b.iter_batched(
            || pipeline_owned(owned()),
            common::run_one,
            BatchSize::LargeInput,
        )
    });
    g.finish();

    // Steady state: one pipeline runs batch after batch (as a stream does), so the maps
    // start at the last batch's size; against the hand loop on one and on two threads.
    let mut g = c.benchmark_group("hashtags_per_batch_steady");
    g.throughput(Throughput::Elements(lines.len() as u64));
    hand_written_references(&mut g, &lines);
    for threads in [1, 2] {
        let mut p = steady(lines.clone(), threads);
        p.run_batches(1).unwrap_or_else(|e| panic!("{e}")); // sized from one batch
        g.bench_function(format!("fused_parallelism_{threads}"), |b| {
            b.iter(|| p.run_batches(1))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("hashtags_windowed");
    g.throughput(Throughput::Elements(WINDOWED_BATCH as u64));
    let mut by_hand = HandWindow::default();
    let mut batches = windowed_batches(&lines);
    for batch in batches.by_ref().take(WINDOW_BATCHES + 1) {
        by_hand.batch(&batch);
    }
    g.bench_function("hand_written_loop", |b| {
        b.iter_batched(
            || batches.next().unwrap_or_default(),
            |batch| black_box(by_hand.batch(&batch)),
            BatchSize::SmallInput,
        )
    });
    // The same window, then `filter |> count` over its whole result.
    let mut repeated_by_hand = HandWindow::default();
    let mut repeated_batches = windowed_batches(&lines);
    for batch in repeated_batches.by_ref().take(WINDOW_BATCHES + 1) {
        repeated_by_hand.batch_repeated(&batch);
    }
    g.bench_function("hand_written_loop_then_filter_count", |b| {
        b.iter_batched(
            || repeated_batches.next().unwrap_or_default(),
            |batch| black_box(repeated_by_hand.batch_repeated(&batch)),
            BatchSize::SmallInput,
        )
    });
    for (name, mut p) in [
        ("fused_parallelism_1", windowed!(&lines;)),
        ("fusion_off_parallelism_1", windowed!(&lines; fusion off;)),
        ("fused_then_filter_count", windowed!(repeated &lines;)),
        // The streaming page on, polled as the page and Prometheus do (every second):
        // the batch thread only records each batch into a ring and the histograms.
        (
            "fused_parallelism_1_with_ui",
            windowed!(&lines; ui "127.0.0.1:0";),
        ),
    ] {
        p.run_batches(WINDOW_BATCHES as u64 + 1)
            .unwrap_or_else(|e| panic!("{e}")); // fill the window
        let polling = p.ui_address().map(poll_page);
        g.bench_function(name, |b| b.iter(|| p.run_batches(1)));
        if let Some(stop) = polling {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    g.finish();
}

/// The steady group's speedups, interleaved (see the module's docs).
fn paired() {
    const ROUNDS: usize = 60;
    let lines = common::leaked_lines(common::tweets_text());
    let (a, z) = lines.split_at(lines.len() / 2);
    let mut p1 = steady(lines.clone(), 1);
    let mut p2 = steady(lines.clone(), 2);
    let mut ms: [Vec<f64>; 4] = Default::default();
    let time = |f: &mut dyn FnMut()| {
        let t = std::time::Instant::now();
        f();
        t.elapsed().as_secs_f64() * 1e3
    };
    for round in 0..ROUNDS + 4 {
        // Each variant in each position in turn: whatever runs before one (and leaves the
        // caches full of its own data) changes its time.
        let mut times = [0.0; 4];
        for k in 0..4 {
            let v = (round + k) % 4;
            times[v] = match v {
                0 => time(&mut || drop(black_box(hand_written(black_box(&lines))))),
                1 => time(&mut || {
                    std::thread::scope(|s| {
                        let other = s.spawn(|| black_box(hand_written(black_box(z))));
                        black_box(hand_written(black_box(a)));
                        let _ = other.join();
                    })
                }),
                2 => time(&mut || drop(p1.run_batches(1))),
                _ => time(&mut || drop(p2.run_batches(1))),
            };
        }
        // The first rounds warm up (and size the pipelines' maps).
        if round >= 4 {
            for (v, t) in ms.iter_mut().zip(times) {
                v.push(t);
            }
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratio = |x: usize, y: usize| median(ms[x].iter().zip(&ms[y]).map(|(a, b)| a / b).collect());
    let names = [
        "hand_written_loop",
        "hand_written_two_halves_two_threads",
        "fused_parallelism_1",
        "fused_parallelism_2",
    ];
    for (name, v) in names.iter().zip(&ms) {
        println!("{name:40} median {:7.2} ms", median(v.clone()));
    }
    let (hand, fused) = (ratio(0, 1), ratio(2, 3));
    println!(
        "speedup on two threads (median of {ROUNDS} rounds' ratios): hand loop {hand:.2}x, fused {fused:.2}x ({:.0}% of the hand loop's)",
        100.0 * fused / hand
    );
}

/// The windowed job with and without the streaming page (polled every second), batch
/// after batch, interleaved (`STREAMING_BENCH_UI=1`): the medians, and the median of the
/// rounds' own ratios, so that the shared VM's load changes hit both alike.
fn paired_ui() {
    let lines = common::leaked_lines(common::tweets_text());
    let mut off = windowed!(&lines;);
    let mut on = windowed!(&lines; ui "127.0.0.1:0";);
    for p in [&mut off, &mut on] {
        p.run_batches(WINDOW_BATCHES as u64 + 1)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let stop = on.ui_address().map(poll_page);
    let time = |p: &mut Pipeline| {
        let t = std::time::Instant::now();
        drop(p.run_batches(1));
        t.elapsed().as_secs_f64() * 1e6
    };
    const ROUNDS: usize = 5000;
    let (mut t_off, mut t_on) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (a, b) = if round % 2 == 0 {
            let a = time(&mut off);
            (a, time(&mut on))
        } else {
            let b = time(&mut on);
            (time(&mut off), b)
        };
        t_off.push(a);
        t_on.push(b);
    }
    if let Some(stop) = stop {
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratio = median(t_on.iter().zip(&t_off).map(|(a, b)| a / b).collect());
    println!(
        "windowed job per batch, {ROUNDS} rounds: without ui median {:.1} µs, with ui (polled every second) {:.1} µs; median ratio with/without {ratio:.3}",
        median(t_off),
        median(t_on)
    );
}

/// Fetches `/api/batches` and `/metrics` from `addr` every second until the flag is set.
fn poll_page(addr: std::net::SocketAddr) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use std::io::{Read, Write};
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::spawn(move || {
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            for path in ["/api/batches", "/metrics"] {
                if let Ok(mut s) = std::net::TcpStream::connect(addr) {
                    let _ = write!(
                        s,
                        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    );
                    let _ = s.read_to_end(&mut Vec::new());
                }
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    });
    stop
}

criterion_group!(benches, bench);

fn main() {
    if std::env::var_os("STREAMING_BENCH_UI").is_some() {
        paired_ui();
        return;
    }
    if std::env::var_os("STREAMING_BENCH_PAIRED").is_some() {
        paired();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
