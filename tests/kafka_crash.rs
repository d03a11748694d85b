//! Crash recovery over Kafka with real processes: the `kafka_word_count` example (a
//! 3-partition topic of keyed records → `update_state_by_key` running totals, checkpointed
//! every second, 500 ms batches) is SIGKILLed at seeded random moments while a producer
//! thread keeps writing, and restarted each time. Records are never lost from Kafka, so
//! nothing needs waiting for before a kill: the batches that ran after the last checkpoint
//! run again over exactly their records. The totals never exceed what was written, and at
//! the end they equal the true word counts — no word lost, none counted twice.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::kafka::Broker;
use common::process::{Rng, append_to, example_path, read_totals, wait_for_totals};

fn spawn(broker: &Broker, work: &Path) -> Child {
    Command::new(example_path("kafka_word_count"))
        .arg("--brokers")
        .arg(broker.addr())
        .args([
            "--topic",
            "lines",
            "--out-topic",
            "counts",
            "--group",
            "crash",
            "--no-producer",
        ])
        .arg("--checkpoint")
        .arg(work.join("checkpoint"))
        .arg("--totals")
        .arg(work.join("totals.txt"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(append_to(&work.join("children.log")))
        .spawn()
        .unwrap()
}

/// Writes bursts of keyed lines to the topic's 3 partitions until `stop`; `written` holds
/// the true word counts of every record sent.
fn producer(
    broker: Arc<Broker>,
    written: Arc<Mutex<BTreeMap<String, i64>>>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut rng = Rng(0x0070_726f_6475_6365);
        let words = ["alpha", "beta", "gamma", "delta", "eps"];
        let mut user = 0;
        while !stop.load(Ordering::Relaxed) {
            let mut burst = Vec::new();
            let mut counts = BTreeMap::<String, i64>::new();
            for _ in 0..1 + rng.below(20) {
                let line: Vec<&str> = (0..1 + rng.below(6))
                    .map(|_| words[rng.below(5) as usize])
                    .collect();
                for w in &line {
                    *counts.entry(w.to_string()).or_default() += 1;
                }
                user += 1;
                burst.push((format!("user{}", user % 17), line.join(" ")));
            }
            let records: Vec<(&str, &str)> = burst
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            // Part of the truth before it is sent: a consumer may count a record before
            // its producer hears the ack (a failed send fails the test).
            let mut w = written.lock().unwrap();
            for (word, n) in counts {
                *w.entry(word).or_default() += n;
            }
            drop(w);
            broker.produce_keyed("lines", rng.below(3) as i32, &records);
            std::thread::sleep(Duration::from_millis(rng.below(150)));
        }
    })
}

#[test]
fn sigkill_at_random_moments_while_records_arrive_loses_and_duplicates_nothing() {
    let broker = Arc::new(Broker::start());
    broker.create_topic("lines", 3);
    broker.create_topic("counts", 1);
    let work = tempfile::tempdir().unwrap();
    let totals = work.path().join("totals.txt");
    let written = Arc::new(Mutex::new(BTreeMap::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = producer(Arc::clone(&broker), Arc::clone(&written), Arc::clone(&stop));

    let mut rng = Rng(0x006b_6166_6b61);
    let mut child = spawn(&broker, work.path());
    let mut kills = 0;
    while kills < 25 {
        std::thread::sleep(Duration::from_millis(rng.below(900)));
        // No count ever exceeds what was written (read the totals first: the truth only
        // grows meanwhile).
        let seen = read_totals(&totals);
        let truth = written.lock().unwrap().clone();
        for (w, n) in seen {
            assert!(
                n <= truth.get(&w).copied().unwrap_or(0),
                "{w} counted {n} times"
            );
        }
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
        child = spawn(&broker, work.path());
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let expected = written.lock().unwrap().clone();
    let got = wait_for_totals(&totals, &expected, Duration::from_secs(60));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let log = std::fs::read_to_string(work.path().join("children.log")).unwrap_or_default();
    assert_eq!(
        got,
        expected,
        "after {kills} SIGKILLs the totals are the true counts; log:\n{}",
        tail(&log)
    );
    assert!(
        status.success(),
        "SIGTERM exits 0: {status:?}\n{}",
        tail(&log)
    );
    assert!(
        log.contains("running again the batches that ran after it"),
        "some kill fell between a batch and its checkpoint"
    );
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
