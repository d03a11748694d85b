//! Nexmark's q0–q2 read from Kafka: what ingest costs next to the in-process generator
//! (`benches/nexmark.rs`). The bids of the first 1,000,000 Nexmark events (920,000, as
//! JSON, the form Nexmark's Kafka setups carry them in) are loaded once into a 2-partition
//! topic on a local tansu broker (the one the tests use); each run reads them all from the
//! earliest offsets with a fresh consumer:
//!
//! - `hand-written`: an rdkafka `BaseConsumer` assigned to both partitions, polling until
//!   every record arrived, `serde_json::from_slice::<Bid>` on each value and the query's
//!   work (q0 counts the bids, q1 converts the price, q2 keeps auctions % 123 == 0);
//! - `q0` / `q1` / `q2`: `source kafka(..).from_earliest() |> parse json::<Bid> |> ..`, the
//!   same work as stages, batches on the manual clock until every record went through one.
//!
//! All are bound by the broker's fetch rate and JSON; the ratio to the hand loop says what
//! the source and the pipeline add.
//! `cargo bench --features kafka --bench nexmark_kafka`

#[path = "../tests/common/kafka.rs"]
mod broker;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streaming::nexmark::{Bid, nexmark};
use streaming::prelude::*;
use streaming::rdkafka::Message;

const TOPIC: &str = "bids";
const EVENTS: u64 = 1_000_000;
/// q1's dollar-to-euro rate.
const RATE: f64 = 0.908;

/// Loads the bids as JSON; returns how many.
fn load(broker: &broker::Broker) -> u64 {
    let bids = nexmark()
        .generate(EVENTS)
        .into_iter()
        .filter_map(|e| e.bid());
    broker.load(
        TOPIC,
        2,
        bids.map(|b| serde_json::to_vec(&b).unwrap_or_else(|e| panic!("json: {e}"))),
    )
}

#[derive(Clone, Copy, Debug)]
enum Query {
    Q0,
    Q1,
    Q2,
}

/// The query's work on one bid, as the hand loop does it: what it keeps.
fn hand_query(q: Query, b: &Bid) -> u64 {
    match q {
        Query::Q0 => 1,
        Query::Q1 => u64::from(black_box(b.price as f64 * RATE) >= 0.0),
        Query::Q2 => u64::from(b.auction % 123 == 0),
    }
}

fn hand_written(broker: &broker::Broker, records: u64, q: Query) -> u64 {
    let consumer = broker.consumer_from_start("bench-nexmark-hand-written", TOPIC, 2);
    let (mut seen, mut kept) = (0u64, 0u64);
    while seen < records {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(10)) {
            seen += 1;
            if let Ok(b) = serde_json::from_slice::<Bid>(m.payload().unwrap_or_default()) {
                kept += hand_query(q, &b);
            }
        }
    }
    kept
}

/// Runs the query over the topic until every record went through a batch.
fn pipeline(broker: &broker::Broker, records: u64, q: Query) {
    let addr = broker.addr();
    let mut p = match q {
        Query::Q0 => stream_pipeline! {
            batch 1s;
            source kafka(addr, TOPIC).from_earliest()
                |> parse json::<Bid>
                |> count
                |> foreach_batch(|_t, n| { black_box(n); })
        },
        Query::Q1 => stream_pipeline! {
            batch 1s;
            source kafka(addr, TOPIC).from_earliest()
                |> parse json::<Bid>
                |> map |b| (b.auction, b.bidder, b.price as f64 * RATE, b.date_time)
                |> count
                |> foreach_batch(|_t, n| { black_box(n); })
        },
        Query::Q2 => stream_pipeline! {
            batch 1s;
            source kafka(addr, TOPIC).from_earliest()
                |> parse json::<Bid>
                |> filter |b| b.auction % 123 == 0
                |> map |b| (b.auction, b.price)
                |> count
                |> foreach_batch(|_t, n| { black_box(n); })
        },
    };
    while p.metrics()[0].records < records {
        p.run_batches(1).unwrap_or_else(|e| panic!("batch: {e}"));
    }
}

fn bench(c: &mut Criterion) {
    let broker = broker::Broker::start();
    broker.create_topic(TOPIC, 2);
    let records = load(&broker);
    let mut g = c.benchmark_group("nexmark_kafka");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(records));
    for q in [Query::Q0, Query::Q1, Query::Q2] {
        g.bench_function(format!("{q:?}_hand_written").to_lowercase(), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(hand_written(&broker, records, q));
                }
                start.elapsed()
            })
        });
        g.bench_function(format!("{q:?}_pipeline").to_lowercase(), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    pipeline(&broker, records, q);
                }
                start.elapsed()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
