//! End to end over a real loopback socket: a sender thread writes tweets as fast as TCP
//! takes them into a `socket(..)` source, and the pipeline runs on the real clock with 1 s
//! batches until every line went through a batch.
//!
//! - `count`: `|> count` only — what the receiver, the store and the batch plumbing sustain;
//! - `hashtags`: the card's per-batch job (`flat_map split |> filter starts_with("#") |>
//!   reduce_by_key(+) |> sort desc |> take(10)`) on the default `parallelism` (all cores,
//!   shared with the receiver).
//!
//! criterion's figure is end to end: from the first byte sent until the batch holding the
//! last line has been processed, so it includes waiting for that batch's time (up to 1 s).
//! After each group the bench also prints what Spark's streaming UI shows for the last run:
//! the input rate of the full batches and their processing time, from
//! `Pipeline::on_batch_completed`.
//!
//! `cargo bench --bench socket_ingest`

use std::hint::black_box;
use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streaming::prelude::*;
use tokio::sync::Notify;

mod common;

fn payload() -> Vec<u8> {
    let mut bytes = common::tweets_text().into_bytes();
    if bytes.last() != Some(&b'\n') {
        bytes.push(b'\n');
    }
    bytes
}

/// Accepts one client on 127.0.0.1 and writes `payload` `repeats` times. The listener stays
/// open until `done` is signalled, so the receiver's reconnect attempts after the end of the
/// data wait quietly in the backlog.
fn serve(payload: Arc<Vec<u8>>, repeats: usize) -> (u16, mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let (done, wait) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Ok((mut client, _)) = listener.accept() {
            for _ in 0..repeats {
                if client.write_all(&payload).is_err() {
                    break;
                }
            }
        }
        let _ = wait.recv();
    });
    (port, done)
}

#[derive(Clone, Copy)]
enum Job {
    Count,
    Hashtags,
}

fn pipeline(job: Job, port: u16) -> Pipeline {
    match job {
        Job::Count => stream_pipeline! {
            batch 1s;
            source socket("127.0.0.1", port)
                |> count
                |> foreach_batch(|_time, n| { black_box(n); })
        },
        Job::Hashtags => stream_pipeline! {
            batch 1s;
            source socket("127.0.0.1", port)
                |> flat_map split
                |> filter starts_with("#")
                |> reduce_by_key(+)
                |> sort desc
                |> take(10)
                |> foreach_batch(|_time, top| { black_box(top); })
        },
    }
}

/// Sends `lines` lines through `job`; returns the time until the last one was processed
/// and every batch's statistics.
fn run_once(
    rt: &tokio::runtime::Runtime,
    job: Job,
    payload: &Arc<Vec<u8>>,
    repeats: usize,
    lines: u64,
) -> (Duration, Vec<BatchInfo>) {
    let (port, done) = serve(Arc::clone(payload), repeats);
    let mut p = pipeline(job, port);
    let all_in = Arc::new(Notify::new());
    let batches = Arc::new(Mutex::new(Vec::new()));
    let seen = AtomicU64::new(0);
    {
        let all_in = Arc::clone(&all_in);
        let batches = Arc::clone(&batches);
        p.on_batch_completed(move |b| {
            batches
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(b.clone());
            if seen.fetch_add(b.num_records, Ordering::Relaxed) + b.num_records >= lines {
                all_in.notify_one();
            }
        });
    }
    let start = Instant::now();
    rt.block_on(p.run_until(all_in.notified()))
        .unwrap_or_else(|e| panic!("pipeline failed: {e}"));
    let elapsed = start.elapsed();
    let _ = done.send(());
    let batches = std::mem::take(&mut *batches.lock().unwrap_or_else(|e| e.into_inner()));
    (elapsed, batches)
}

/// Input rate and processing time of the full batches (not the first or the last, which
/// hold part of a second's input), as Spark's streaming UI shows them.
fn report(name: &str, batches: &[BatchInfo]) {
    let full = if batches.len() > 2 {
        &batches[1..batches.len() - 1]
    } else {
        batches
    };
    let mut rates: Vec<u64> = full.iter().map(|b| b.num_records).collect();
    let mut processing: Vec<Duration> = full.iter().map(|b| b.processing_delay).collect();
    rates.sort_unstable();
    processing.sort_unstable();
    let (Some(rate), Some(proc_median), Some(proc_max)) = (
        rates.get(rates.len() / 2),
        processing.get(processing.len() / 2),
        processing.last(),
    ) else {
        return;
    };
    eprintln!(
        "{name}: {} full 1 s batches, median input {:.2} M lines/s, processing per batch median {:.0} ms, max {:.0} ms",
        full.len(),
        *rate as f64 / 1e6,
        proc_median.as_secs_f64() * 1e3,
        proc_max.as_secs_f64() * 1e3,
    );
}

fn bench(c: &mut Criterion) {
    // Only errors: reconnect warnings after each run's end of data would bury the figures.
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::ERROR)
        .with_writer(std::io::stderr)
        .try_init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let payload = Arc::new(payload());
    let lines_per_copy = payload.iter().filter(|&&b| b == b'\n').count() as u64;
    for (name, job, repeats) in [("count", Job::Count, 300), ("hashtags", Job::Hashtags, 100)] {
        let lines = lines_per_copy * repeats as u64;
        let mut g = c.benchmark_group(format!("socket_ingest_{name}"));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(40));
        g.throughput(Throughput::Elements(lines));
        let mut last = Vec::new();
        g.bench_function(format!("{}M_lines_1s_batches", lines / 1_000_000), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (elapsed, batches) = run_once(&rt, job, &payload, repeats, lines);
                    total += elapsed;
                    last = batches;
                }
                total
            })
        });
        g.finish();
        report(name, &last);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
