//! Runs the `overload` example (a pipeline doing `--work-us` of work per record) as a child
//! process for a fixed wall-clock time, sampling its resident memory from /proc and
//! collecting the batch lines it prints (`batch <ms> records <n> scheduling_ms <ms>
//! processing_ms <ms>`).

#![allow(dead_code)] // each test file uses part of this module

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::process::example_path;

/// One batch as the example reported it.
#[derive(Clone, Copy, Debug)]
pub struct Batch {
    pub time_ms: u64,
    pub records: u64,
    pub scheduling_ms: u64,
    pub processing_ms: u64,
}

/// What a run of the example showed.
#[derive(Debug)]
pub struct Run {
    pub batches: Vec<Batch>,
    /// The largest `VmRSS` seen, in bytes.
    pub max_rss: u64,
    /// Whether the child was still running when the time was up (it did not crash).
    pub alive: bool,
}

impl Run {
    /// Batches whose time is at least `after` past the first batch's.
    pub fn after(&self, after: Duration) -> impl Iterator<Item = &Batch> {
        let first = self.batches.first().map_or(0, |b| b.time_ms);
        let after = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
        self.batches
            .iter()
            .filter(move |b| b.time_ms >= first + after)
    }

    pub fn max_scheduling_ms(&self) -> u64 {
        self.batches
            .iter()
            .map(|b| b.scheduling_ms)
            .max()
            .unwrap_or(0)
    }

    pub fn records(&self) -> u64 {
        self.batches.iter().map(|b| b.records).sum()
    }

    /// One line per batch, for assertion messages.
    pub fn table(&self) -> String {
        self.batches
            .iter()
            .map(|b| {
                format!(
                    "{} records {} scheduling {} ms processing {} ms",
                    b.time_ms, b.records, b.scheduling_ms, b.processing_ms
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The resident set size of process `pid`, in bytes (`VmRSS` in /proc/<pid>/status).
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A running `overload` example.
pub struct Overload {
    child: Child,
    batches: Arc<Mutex<Vec<Batch>>>,
}

impl Overload {
    /// Starts the example with `args` (its stderr goes to the test's).
    pub fn start(args: &[&str]) -> Overload {
        let mut child = Command::new(example_path("overload"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .env("RUST_LOG", "warn")
            .spawn()
            .expect("starting the overload example");
        let stdout = child.stdout.take().expect("piped stdout");
        let batches = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&batches);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let f: Vec<&str> = line.split_whitespace().collect();
                if let [
                    "batch",
                    t,
                    "records",
                    n,
                    "scheduling_ms",
                    s,
                    "processing_ms",
                    p,
                ] = f[..]
                {
                    let parse = |x: &str| x.parse::<u64>().expect("a number");
                    sink.lock().unwrap().push(Batch {
                        time_ms: parse(t),
                        records: parse(n),
                        scheduling_ms: parse(s),
                        processing_ms: parse(p),
                    });
                }
            }
        });
        Overload { child, batches }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Samples the child's memory every 100 ms for `duration`, then kills it.
    pub fn run_for(mut self, duration: Duration) -> Run {
        let deadline = Instant::now() + duration;
        let mut max_rss = 0;
        let mut alive = true;
        while Instant::now() < deadline {
            if self.child.try_wait().expect("polling the child").is_some() {
                alive = false;
                break;
            }
            if let Some(rss) = rss_bytes(self.child.id()) {
                max_rss = max_rss.max(rss);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let batches = self.batches.lock().unwrap().clone();
        Run {
            batches,
            max_rss,
            alive,
        }
    }
}

impl Drop for Overload {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `n` lines of `bytes` bytes each (newline included), all different.
pub fn lines(n: usize, bytes: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let mut line = format!("line {i} ");
            while line.len() + 1 < bytes {
                line.push(char::from(b'a' + (line.len() % 26) as u8));
            }
            line
        })
        .collect()
}
