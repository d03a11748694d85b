//! Crash recovery over Kafka with real processes: the `kafka_word_count` example (Kafka →
//! `update_state_by_key` running totals, checkpointed every second, 500 ms batches) is
//! SIGKILLed at seeded random moments while a producer keeps writing to the topic, and
//! restarted each time. Records are never lost from Kafka, so nothing needs waiting for
//! before a kill: the batches that ran after the last checkpoint run again over exactly
//! their records, and at the end the totals equal the true word counts of everything
//! written — no word lost, none counted twice.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
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

#[test]
fn sigkill_at_random_moments_while_records_arrive_loses_and_duplicates_nothing() {
    let broker = Broker::start();
    broker.create_topic("lines", 3);
    broker.create_topic("counts", 1);
    let work = tempfile::tempdir().unwrap();
    let totals = work.path().join("totals.txt");

    let mut rng = Rng(0x006b_6166_6b61);
    let words = ["alpha", "beta", "gamma", "delta", "eps"];
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    let mut child = spawn(&broker, work.path());
    let mut kills = 0;
    for _ in 0..40 {
        let lines: Vec<String> = (0..1 + rng.below(20))
            .map(|_| {
                let line: Vec<&str> = (0..1 + rng.below(6))
                    .map(|_| words[rng.below(5) as usize])
                    .collect();
                for w in &line {
                    *expected.entry(w.to_string()).or_default() += 1;
                }
                line.join(" ")
            })
            .collect();
        broker.produce("lines", rng.below(3) as i32, &lines);
        // No count ever exceeds what was written so far.
        for (w, n) in read_totals(&totals) {
            assert!(
                n <= expected.get(&w).copied().unwrap_or(0),
                "{w} counted {n} times"
            );
        }
        std::thread::sleep(Duration::from_millis(rng.below(700)));
        if rng.below(3) != 0 {
            child.kill().unwrap();
            child.wait().unwrap();
            kills += 1;
            child = spawn(&broker, work.path());
        }
    }
    assert!(kills >= 20, "only {kills} kills");
    let got = wait_for_totals(&totals, &expected, Duration::from_secs(60));
    sigterm(&child);
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

fn sigterm(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}
