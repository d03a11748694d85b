//! Stop requests against a real process: a pipeline stopped by its caller (`run_until`, as a
//! cluster stops the task of a revoked partition) and then sent SIGTERM while its last
//! batch runs finishes that batch and exits 0; only a second signal exits at once (130).
//! (A SIGTERM during a revocation made a cluster process exit 130: the flaky
//! `tests/cluster.rs` runs.)
//!
//! The test runs this binary again as the child (the ignored test below, by name).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use streaming::prelude::*;

const CHILD: &str = "child_pipeline_stopped_by_its_caller_with_a_slow_last_batch";

/// The child: a pipeline whose caller stops it after its first batch has begun, and whose
/// batches take 3 s; it prints `last batch done` when the last one is through.
#[test]
#[ignore = "the child process of the tests in this file"]
fn child_pipeline_stopped_by_its_caller_with_a_slow_last_batch() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(async {
        let p = stream_pipeline! {
            batch 200ms;
            source queue(vec![vec![1]])
                |> foreach_batch(|_time, batch| {
                    if !batch.is_empty() {
                        eprintln!("batch running");
                        std::thread::sleep(Duration::from_secs(3));
                        eprintln!("last batch done");
                    }
                })
        };
        p.run_until(tokio::time::sleep(Duration::from_millis(300)))
            .await
    });
    result.unwrap();
    eprintln!("child exits");
}

/// Starts the child; returns it once it has printed `batch running`.
fn start_child() -> (std::process::Child, std::path::PathBuf) {
    let log = tempfile::NamedTempFile::new()
        .unwrap()
        .into_temp_path()
        .keep()
        .unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            CHILD,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("batch running")
    {
        assert!(Instant::now() < deadline, "the child never ran its batch");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, log)
}

fn signal(child: &std::process::Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill {sig}");
}

#[test]
fn a_signal_while_a_stopped_pipeline_finishes_its_last_batch_lets_it_finish() {
    let (mut child, log) = start_child();
    // The caller's stop came at 300 ms, during the batch: this is the user's first request.
    std::thread::sleep(Duration::from_millis(500));
    signal(&child, "-TERM");
    let status = child.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "{status:?}\n{text}");
    assert!(text.contains("last batch done"), "{text}");
}

#[test]
fn a_second_signal_exits_at_once() {
    let (mut child, log) = start_child();
    std::thread::sleep(Duration::from_millis(500));
    signal(&child, "-TERM");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "-INT");
    let status = child.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(!text.contains("last batch done"), "{text}");
}
