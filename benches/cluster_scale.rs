//! Scale-out: records/s of the card's per-batch hashtag job run by a Kafka consumer group
//! of 1 process against 2 processes (`streaming::cluster`): 4 partitions, the tweets 4
//! times (400,000 records), a local tansu broker.
//!
//! Each sample makes a new 4-partition topic and starts fresh processes (this bench's own
//! binary in member mode) in a new group with empty checkpoints. Each task keeps its
//! partition's record count as checkpointed state (`update_state_by_key`) and writes it to
//! a file after every batch. Once every partition's task runs (the group has settled:
//! joining costs seconds once per process, not per record), the parent writes the records
//! and times from the first write to the batch that counted the last record. The
//! producer's own time is part of both variants: `load_only` measures it alone.
//!
//! `cargo bench --features kafka --bench cluster_scale`

#[path = "../tests/common/kafka.rs"]
mod broker;
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use streaming::cluster::KafkaCluster;
use streaming::prelude::*;
use streaming::rdkafka::producer::{BaseProducer, BaseRecord, Producer};

const TOPIC: &str = "tweets";
const PARTITIONS: i32 = 4;
const COPIES: usize = 4;
/// Set in a child: it runs one group member (`brokers group dir`) instead of the bench.
const MEMBER: &str = "STREAMING_BENCH_CLUSTER_MEMBER";

fn load(broker: &broker::Broker, topic: &str, text: &str) -> u64 {
    let producer: BaseProducer = broker
        .client_config()
        .set("linger.ms", "5")
        .create()
        .unwrap_or_else(|e| panic!("producer: {e}"));
    let mut n = 0u64;
    {
        for line in text.lines() {
            let mut record = BaseRecord::<(), str>::to(topic)
                .partition((n % PARTITIONS as u64) as i32)
                .payload(line);
            while let Err((_, back)) = producer.send(record) {
                record = back;
                producer.poll(Duration::from_millis(10));
            }
            n += 1;
        }
    }
    producer
        .flush(Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("flush: {e}"));
    n
}

/// A group member (`brokers|topic|group|dir`): the card's per-batch job on each of its
/// partitions, and the partition's running record count written to
/// `<dir>/records-<partition>`.
fn member(spec: &str) {
    let mut parts = spec.split('|');
    let (Some(brokers), Some(topic), Some(group), Some(dir)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        panic!("member spec {spec:?}")
    };
    let dir = PathBuf::from(dir);
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}"));
    let result = runtime.block_on(
        KafkaCluster::new(brokers, topic, group, dir.join("checkpoint"))
            .session_timeout(Duration::from_secs(6))
            .run_until(
                |task| {
                    let file = dir.join(format!("records-{}", task.partition()));
                    let checkpoint = task.checkpoint_dir().to_path_buf();
                    stream_pipeline! {
                        batch 200ms;
                        checkpoint checkpoint every 1s;
                        let lines = source kafka_task(task);
                        lines |> flat_map split
                              |> filter starts_with("#")
                              |> reduce_by_key(+)
                              |> sort desc
                              |> take(10)
                              |> foreach_batch(|_t, top| { std::hint::black_box(top); });
                        lines |> count
                              |> map |n| ("records", n)
                              |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
                              |> foreach_batch(|_t, total| {
                                  let n: i64 = total.iter().map(|(_, n)| n).sum();
                                  std::fs::write(&file, n.to_string())
                                      .map_err(|e| StreamingError::io("writing the count", e))
                              })
                    }
                },
                std::future::pending(),
            ),
    );
    if let Err(e) = result {
        eprintln!("member: {e}");
        std::process::exit(1);
    }
}

/// Records counted so far, if every partition's task has run a batch.
fn counted(dir: &Path) -> Option<u64> {
    (0..PARTITIONS)
        .map(|p| std::fs::read_to_string(dir.join(format!("records-{p}"))).ok())
        .map(|s| s.and_then(|s| s.trim().parse::<u64>().ok()))
        .sum()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within 120 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One run with `processes` members (0: the load alone): from the first record written
/// to the last one counted.
fn run(broker: &broker::Broker, processes: usize, text: &str, run_id: &mut u64) -> Duration {
    *run_id += 1;
    let topic = format!("{TOPIC}-{run_id}");
    broker.create_topic(&topic, PARTITIONS);
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let spec = format!(
        "{}|{topic}|bench-{run_id}|{}",
        broker.addr(),
        work.path().display()
    );
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
    let mut children: Vec<Child> = (0..processes)
        .map(|_| {
            Command::new(&exe)
                .env(MEMBER, &spec)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("spawning a member: {e}"))
        })
        .collect();
    if processes > 0 {
        // Every partition's task runs, and has stayed put for a second (no rebalance
        // left: a second member may join after the first took every partition).
        wait_until("the group settles", || counted(work.path()).is_some());
        std::thread::sleep(Duration::from_secs(2));
    }
    let start = Instant::now();
    let records = load(broker, &topic, text);
    if processes > 0 {
        wait_until("every record counted", || {
            counted(work.path()).is_some_and(|n| n >= records)
        });
    }
    let took = start.elapsed();
    for child in &mut children {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
    }
    for mut child in children {
        let _ = child.wait();
    }
    took
}

fn bench(c: &mut Criterion) {
    let broker = broker::Broker::start();
    let text = common::tweets_text().repeat(COPIES);
    let records = text.lines().count() as u64;
    let mut g = c.benchmark_group("cluster_scale");
    g.sample_size(10);
    g.throughput(Throughput::Elements(records));
    let mut run_id = 0;
    for (name, processes) in [
        ("load_only", 0usize),
        ("processes_1", 1),
        ("processes_2", 2),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| run(&broker, processes, &text, &mut run_id))
                    .sum()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(spec) = std::env::var(MEMBER) {
        member(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
