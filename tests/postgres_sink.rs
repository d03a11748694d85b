//! `running_counts_postgres` against a real PostgreSQL server (started by the test on a free
//! port, `tests/common/postgres.rs`): its `foreach_batch` upserts the running totals, and
//! the table ends equal to the true counts of the lines sent. Then the example is killed
//! (SIGKILL), the rows zeroed, and the example restarted on its checkpoint: the batches it
//! runs, replayed ones included, write the totals back exactly (the upsert is idempotent).

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::http;
use common::postgres::{Client, Postgres};
use common::process::{append_to, example_path};

const WORDS: &[&str] = &[
    "spark", "stream", "rust", "batch", "window", "kafka", "state", "page",
];

/// `n` lines of words, the same on every run, and their true counts.
fn lines(n: usize) -> (Vec<String>, BTreeMap<String, i64>) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut counts = BTreeMap::new();
    let lines = (0..n)
        .map(|_| {
            let words: Vec<&str> = (0..1 + (x % 5) as usize)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    WORDS[(x % WORDS.len() as u64) as usize]
                })
                .collect();
            for w in &words {
                *counts.entry(w.to_string()).or_insert(0) += 1;
            }
            words.join(" ")
        })
        .collect();
    (lines, counts)
}

/// Serves `lines` to the first client only, and keeps every connection open, so that a
/// restarted example (which reconnects) gets nothing twice.
fn serve(lines: Vec<String>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut payload = Some(lines.join("\n") + "\n");
        for stream in listener.incoming().flatten() {
            let text = payload.take();
            std::thread::spawn(move || {
                let mut stream = stream;
                if let Some(text) = text {
                    let _ = stream.write_all(text.as_bytes());
                }
                let _ = stream.read(&mut [0u8; 1]); // until the client goes away
            });
        }
    });
    port
}

struct Example(Child);

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The table's rows, read with a client of our own.
struct Db(Client);

impl Db {
    fn connect(pg: &Postgres) -> Db {
        Db(Client::connect(pg))
    }

    fn rows(&self) -> BTreeMap<String, i64> {
        match self.0.query("SELECT word, count FROM word_counts") {
            Ok(rows) => rows.iter().map(|r| (r.get(0), r.get(1))).collect(),
            Err(_) => BTreeMap::new(), // the example has not created the table yet
        }
    }

    /// Polls until the rows equal `expected`, checking that no count ever exceeds it.
    fn wait_for(
        &self,
        expected: &BTreeMap<String, i64>,
        within: Duration,
    ) -> BTreeMap<String, i64> {
        let deadline = Instant::now() + within;
        loop {
            let rows = self.rows();
            for (w, n) in &rows {
                assert!(
                    *n <= expected.get(w).copied().unwrap_or(0),
                    "{w}: {n} in the table, {:?} sent",
                    expected.get(w)
                );
            }
            if &rows == expected || Instant::now() >= deadline {
                return rows;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn running_totals_in_postgres_equal_the_true_counts_and_survive_a_replay() {
    let pg = Postgres::start();
    let db = Db::connect(&pg);
    let (lines, expected) = lines(3000);
    let port = serve(lines);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("example.log");
    let spawn = |ui: &str| {
        Example(
            Command::new(example_path("running_counts_postgres"))
                .args(["--connect", &format!("127.0.0.1:{port}")])
                .args(["--postgres", &pg.conninfo()])
                .arg("--checkpoint")
                .arg(dir.path().join("checkpoint"))
                .args(["--ui", ui])
                .env("RUST_LOG", "info")
                .stdout(Stdio::null())
                .stderr(append_to(&log))
                .spawn()
                .expect("starting running_counts_postgres"),
        )
    };

    let ui = format!("127.0.0.1:{}", http::free_port());
    let example = spawn(&ui);
    let rows = db.wait_for(&expected, Duration::from_secs(60));
    assert_eq!(
        rows,
        expected,
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    // Killed at once and restarted on its checkpoint: it restores the totals and writes
    // them again with every batch (the batches after the checkpoint replayed from its
    // write-ahead log), so the rows end exact. The rows are zeroed while it is down, so
    // that they can only come back by being written again.
    drop(example);
    db.0.execute("UPDATE word_counts SET count = 0");
    let ui = format!("127.0.0.1:{}", http::free_port());
    let _example = spawn(&ui);
    let rows = db.wait_for(&expected, Duration::from_secs(60));
    assert_eq!(
        rows,
        expected,
        "after the restart: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let ran = http::poll(&ui, "/api/batches", Duration::from_secs(30), |body| {
        serde_json::from_str::<serde_json::Value>(body)
            .is_ok_and(|j| j["batches_total"].as_u64().is_some_and(|n| n >= 2))
    });
    assert!(
        ran.is_some(),
        "the restarted example's page shows no batches"
    );
    assert_eq!(db.rows(), expected, "the batches after it changed nothing");
}
