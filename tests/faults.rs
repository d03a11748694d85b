//! Exactly-once under faults no other test tries: each test here reproduces one way a
//! record could be lost or counted twice (or an owner could be mistaken), with real
//! processes and real files, and pins the fix. The tests that need a child process run
//! this binary again, naming one of the ignored tests below.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the ignored test `name` of this binary as a child process with `env`.
fn child(name: &str, env: &[(&str, &Path)]) -> std::process::Child {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", name, "--ignored", "--nocapture", "--test-threads=1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        c.env(k, v);
    }
    c.spawn().unwrap()
}

fn env_path(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os(name).unwrap_or_else(|| panic!("{name} not set")))
}

/// Child: waits for the file `GO` to exist, then claims the partition directory `DIR` and
/// prints its epoch.
#[test]
#[ignore = "a child process of fence_claims_racing_from_processes_get_distinct_epochs"]
fn child_claims_a_partition() {
    let (dir, go) = (env_path("DIR"), env_path("GO"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !go.exists() {
        assert!(Instant::now() < deadline, "never told to go");
        std::thread::yield_now();
    }
    let fence = streaming::cluster::Fence::acquire(&dir, "partition 0 of lines").unwrap();
    println!("\nepoch={}", fence.epoch());
}

/// Point 5: two processes claiming a partition at the same moment never get the same
/// epoch, so at most one of them believes it owns the partition. (The epoch was read and
/// then rewritten: concurrent claims could read the same value.)
#[test]
fn fence_claims_racing_from_processes_get_distinct_epochs() {
    for _ in 0..5 {
        let work = tempfile::tempdir().unwrap();
        let (dir, go) = (work.path().join("lines-0"), work.path().join("go"));
        let children: Vec<_> = (0..6)
            .map(|_| child("child_claims_a_partition", &[("DIR", &dir), ("GO", &go)]))
            .collect();
        // Let them all start and wait, then release them at once.
        std::thread::sleep(Duration::from_millis(300));
        std::fs::write(&go, "").unwrap();
        let mut epochs: Vec<u64> = children
            .into_iter()
            .map(|c| {
                let out = c.wait_with_output().unwrap();
                assert!(out.status.success(), "a claim failed: {:?}", out.status);
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                text.lines()
                    .find_map(|l| l.strip_prefix("epoch=")?.parse().ok())
                    .unwrap_or_else(|| panic!("no epoch in {text:?}"))
            })
            .collect();
        epochs.sort();
        assert_eq!(epochs, (1..=6).collect::<Vec<u64>>(), "every claim its own epoch");
    }
}
