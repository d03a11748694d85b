//! Reading a Kafka topic end to end: 100,000 tweets in a 2-partition topic on a local tansu
//! broker (the one the tests use), read from the earliest offsets by a fresh consumer each
//! time.
//!
//! - `hand-written`: an rdkafka `BaseConsumer` assigned to both partitions, polling until
//!   every record arrived, splitting each value and counting hashtags in a `HashMap` — what
//!   a user would write without the library;
//! - `hashtags`: `source kafka(..).from_earliest() |> flat_map split |> filter
//!   starts_with("#") |> reduce_by_key(+)`, the card's per-batch job, batches on the manual
//!   clock until every record went through one (the source plans, fetches on its own
//!   thread, stages, and hands each batch over as one buffer);
//! - `count`: the same source into `count`: what the source and the batch plumbing sustain.
//!
//! All are bound by the broker's fetch rate; the ratio says what the source adds. After the
//! group the bench prints, per pipeline, the batches of its last run and their processing
//! time (from `on_batch_completed`).
//! `cargo bench --features kafka --bench kafka_ingest`

#[path = "../tests/common/kafka.rs"]
mod broker;
mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streaming::prelude::*;
use streaming::rdkafka::Message;

const TOPIC: &str = "tweets";

fn load(broker: &broker::Broker) -> u64 {
    broker.load(TOPIC, 2, common::tweets_text().lines())
}

fn hand_written(broker: &broker::Broker, records: u64) -> usize {
    let consumer = broker.consumer_from_start("bench-hand-written", TOPIC, 2);
    let mut counts: HashMap<String, i64> = HashMap::new();
    let mut seen = 0u64;
    while seen < records {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(10)) {
            seen += 1;
            let value = String::from_utf8_lossy(m.payload().unwrap_or_default());
            for w in value.split_whitespace().filter(|w| w.starts_with('#')) {
                match counts.get_mut(w) {
                    Some(c) => *c += 1,
                    None => {
                        counts.insert(w.to_string(), 1);
                    }
                }
            }
        }
    }
    counts.len()
}

#[derive(Clone, Copy)]
enum Job {
    Count,
    Hashtags,
}

/// Runs `job` over the topic until every record went through a batch; returns the
/// batches' statistics.
fn pipeline(broker: &broker::Broker, records: u64, job: Job) -> Vec<BatchInfo> {
    let addr = broker.addr();
    let mut p = match job {
        Job::Count => stream_pipeline! {
            batch 1s;
            source kafka(addr, TOPIC).from_earliest()
                |> count
                |> foreach_batch(|_t, n| { black_box(n); })
        },
        Job::Hashtags => stream_pipeline! {
            batch 1s;
            source kafka(addr, TOPIC).from_earliest()
                |> flat_map split
                |> filter starts_with("#")
                |> reduce_by_key(+)
                |> foreach_batch(|_t, counts| { black_box(counts); })
        },
    };
    let batches = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&batches);
    p.on_batch_completed(move |b| {
        seen.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(b.clone())
    });
    while p.metrics()[0].records < records {
        p.run_batches(1).unwrap_or_else(|e| panic!("batch: {e}"));
    }
    drop(p);
    std::mem::take(&mut *batches.lock().unwrap_or_else(|e| e.into_inner()))
}

fn report(name: &str, batches: &[BatchInfo]) {
    let shown: Vec<String> = batches
        .iter()
        .map(|b| {
            format!(
                "{} records in {:.0} ms",
                b.num_records,
                b.processing_delay.as_secs_f64() * 1e3
            )
        })
        .collect();
    println!("{name}: last run's batches: {}", shown.join("; "));
}

fn bench(c: &mut Criterion) {
    let broker = broker::Broker::start();
    broker.create_topic(TOPIC, 2);
    let records = load(&broker);
    let mut g = c.benchmark_group("kafka_ingest");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.throughput(Throughput::Elements(records));
    g.bench_function("hand-written", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(hand_written(&broker, records));
            }
            start.elapsed()
        })
    });
    let mut last = Vec::new();
    for (name, job) in [("hashtags", Job::Hashtags), ("count", Job::Count)] {
        let mut batches = Vec::new();
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    batches = pipeline(&broker, records, job);
                }
                start.elapsed()
            })
        });
        last.push((name, batches));
    }
    g.finish();
    for (name, batches) in last {
        report(name, &batches);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
