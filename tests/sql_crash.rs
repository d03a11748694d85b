//! Crash test of `structured_actions` (issue 23): JSON events from files, `parse json::<Event>
//! dropmalformed`, an event-time watermark of 10 minutes, the SQL query `SELECT action,
//! window, count(*) AS n .. GROUP BY window(time, '1 hour'), action` (append mode) upserted
//! into a real PostgreSQL with `save_to_postgres`, checkpointed every second.
//!
//! The test is the producer (`--no-producer`): it moves files of events into the input
//! directory (some out of order across files, within the watermark; some lines malformed)
//! while it SIGKILLs the example at seeded random moments and restarts it on the same
//! checkpoint. A last file far ahead in event time closes every window. The table must then
//! hold exactly the true count of every hour and action: nothing lost (the open windows and
//! the watermark come back from the checkpoint, the batches after it are replayed), nothing
//! counted twice (a replayed window rewrites its row, keyed by window and action). Any row
//! seen on the way must already hold its final count: append mode writes a window once,
//! closed.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::postgres::{Client, Postgres};
use common::process::{Logs, Proc, Rng, append_to, example_path};
use streaming::prelude::Timestamp;

/// (window start, window end, in epoch seconds; action) → count.
type Counts = BTreeMap<(i64, i64, String), i64>;

const TABLE: &str = "action_counts";
const ACTIONS: &[&str] = &["Open", "Close", "Click", "Buy"];
/// 2026-12-01T00:00:00Z: hours of event time start on multiples of 3600 from here.
const BASE: i64 = 1_796_083_200;
/// Each file is 10 minutes of event time after the one before.
const STEP: i64 = 600;
/// An event is up to 15 minutes older than its file's time, so up to 5 minutes older than
/// the previous file's newest event: out of order across files, within the watermark
/// (10 minutes). It is never late: the watermark before a batch trails the previous
/// batches' newest event by 10 minutes, at most `now - STEP - 600`, and `STEP + 600 > BACK`.
const BACK: i64 = 900;

/// The table's rows, read with a client of our own (as `tests/postgres_sink.rs` does).
struct Db(Client);

impl Db {
    fn connect(pg: &Postgres) -> Db {
        Db(Client::connect(pg))
    }

    fn execute(&self, sql: &str) {
        self.0.execute(sql);
    }

    fn rows(&self) -> Counts {
        let q = format!(
            "SELECT extract(epoch FROM window_start)::bigint, extract(epoch FROM window_end)::bigint, \
             action, n FROM {TABLE}"
        );
        self.0
            .query(&q)
            .unwrap()
            .iter()
            .map(|r| ((r.get(0), r.get(1), r.get(2)), r.get(3)))
            .collect()
    }

    /// Every row must already be final: a row with another count than the truth, or for a
    /// window and action that had no event, is a window emitted with a count lost or
    /// doubled.
    fn check(&self, expected: &Counts, logs: &Logs) -> Counts {
        let rows = self.rows();
        for (key, n) in &rows {
            assert_eq!(
                Some(n),
                expected.get(key),
                "row {key:?} holds {n}, the truth is {:?}; the children's logs:\n{}",
                expected.get(key),
                logs.all()
            );
        }
        rows
    }
}

/// The files the test writes, and the true counts of the windows the last one closes.
fn files() -> (Vec<String>, Counts) {
    let mut rng = Rng(0x5c1_c4a5);
    let mut expected = Counts::new();
    let mut count = |t: i64, action: &str| {
        let start = t - t.rem_euclid(3600);
        *expected
            .entry((start, start + 3600, action.to_string()))
            .or_default() += 1;
    };
    let mut files = Vec::new();
    let n = 40i64;
    for i in 0..n {
        let now = BASE + STEP * i;
        let mut lines = Vec::new();
        for _ in 0..20 + rng.below(40) {
            let t = now - rng.below(BACK as u64 + 1) as i64;
            let action = ACTIONS[rng.below(ACTIONS.len() as u64) as usize];
            let user = rng.below(100);
            count(t, action);
            // Seconds as a number, or RFC 3339 text (`"2026-12-01T10:15:00Z"`, as `Timestamp`
            // serializes): it reads both.
            let time = match rng.below(3) {
                0 => serde_json::to_string(&Timestamp::from_secs(t)).unwrap(),
                _ => t.to_string(),
            };
            lines.push(format!(
                "{{\"action\":\"{action}\",\"user\":{user},\"time\":{time}}}"
            ));
        }
        if now % 3600 == 0 {
            // On the hour: the first second of its window, not the last of the one before
            // (and a field `Event` does not have, ignored).
            count(now, "Buy");
            lines.push(format!(
                "{{\"action\":\"Buy\",\"user\":1,\"time\":{now},\"extra\":true}}"
            ));
        }
        if i % 4 == 1 {
            // Malformed lines: dropped (and counted as malformed), never events.
            let at = rng.below(lines.len() as u64) as usize;
            lines.insert(at, "{\"action\": \"Open\", \"time\": ".to_string());
            lines.push("not json at all".to_string());
            lines.push(format!(
                "{{\"action\":\"Open\",\"user\":3,\"time\":\"{now}x\"}}"
            ));
            lines.push(format!(
                "{{\"action\":\"Open\",\"user\":-1,\"time\":{now}}}"
            ));
            lines.push(format!("{{\"user\":2,\"time\":{now}}}"));
        }
        files.push(lines.join("\n") + "\n");
    }
    // Far ahead: the watermark passes every hour above. Its own window stays open, never
    // written in append mode.
    let far = BASE + STEP * n + 100 * 3600;
    files.push(format!(
        "{{\"action\":\"Open\",\"user\":0,\"time\":{far}}}\n"
    ));
    (files, expected)
}

/// Moves `text` into `input` as file `i`: written under `staging` first, then renamed, so
/// the source never reads half a file.
fn put(staging: &Path, input: &Path, i: usize, text: &str) {
    let name = format!("events-{i:04}.json");
    std::fs::write(staging.join(&name), text).unwrap();
    std::fs::rename(staging.join(&name), input.join(&name)).unwrap();
}

#[test]
fn sigkill_at_random_moments_leaves_the_true_hourly_counts_in_postgres() {
    let pg = Postgres::start();
    let db = Db::connect(&pg);
    // The example creates it too if missing (CREATE TABLE IF NOT EXISTS); created here, it
    // can be read from the start.
    db.execute(&format!(
        "CREATE TABLE {TABLE} (window_start timestamptz, window_end timestamptz, \
         action text, n bigint NOT NULL, PRIMARY KEY (window_start, window_end, action))"
    ));
    let work = tempfile::tempdir().unwrap();
    let logs = Logs::new(work.path(), "sql_crash");
    let (input, staging, checkpoint): (PathBuf, PathBuf, PathBuf) = (
        work.path().join("in"),
        work.path().join("staging"),
        work.path().join("checkpoint"),
    );
    std::fs::create_dir_all(&input).unwrap();
    std::fs::create_dir_all(&staging).unwrap();
    let conninfo = pg.conninfo();
    let spawn = || {
        let log = logs.file("structured_actions");
        let child = Command::new(example_path("structured_actions"))
            .arg("--no-producer")
            .arg("--input")
            .arg(&input)
            .arg("--checkpoint")
            .arg(&checkpoint)
            .args(["--postgres", &conninfo, "--table", TABLE])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(append_to(&log))
            .spawn()
            .unwrap();
        Proc { child, log }
    };

    let (files, expected) = files();
    let mut child = spawn();
    // Files already in the directory when a pipeline first starts are not input (Spark's
    // newFilesOnly): move files in once its initial checkpoint marks it started.
    let started = Instant::now();
    while std::fs::read_dir(&checkpoint).map_or(true, |mut d| d.next().is_none()) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the pipeline did not start: {}",
            logs.all()
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    let mut rng = Rng(0xdead_5ea1);
    let mut kills = 0;
    let last = files.len() - 1;
    for (i, text) in files.iter().enumerate() {
        put(&staging, &input, i, text);
        if i == last {
            break;
        }
        // A random moment relative to batches (200 ms) and checkpoints (1 s).
        std::thread::sleep(Duration::from_millis(50 + rng.below(450)));
        db.check(&expected, &logs);
        if i % 3 == 2 || rng.below(4) == 0 {
            child.kill(); // SIGKILL
            kills += 1;
            child = spawn();
        }
    }
    assert!(kills >= 10, "only {kills} kills");

    // The last run catches up: every closed hour appears, each with its true count.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut rows = db.check(&expected, &logs);
    while rows != expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        rows = db.check(&expected, &logs);
    }
    let missing: Vec<_> = expected.keys().filter(|k| !rows.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "after {kills} SIGKILLs, windows missing from the table: {missing:?}; the children's logs:\n{}",
        logs.all()
    );
    assert_eq!(rows, expected, "after {kills} SIGKILLs");
    let log = logs.all();
    assert_eq!(
        log.matches("starting fresh").count(),
        1,
        "only the first run starts fresh"
    );
    child.terminate();
}
