//! Exactly-once under faults no other test tries: each test here reproduces one way a
//! record could be lost or counted twice (or an owner could be mistaken), with real
//! processes and real files, and pins the fix. The tests that need a child process run
//! this binary again, naming one of the ignored tests below.
//!
//! Faults that need a whole cluster of processes are tried where those run, in
//! `tests/cluster.rs`: resetting a `repartition` job by deleting its checkpoint
//! (`a_repartitioned_job_reset_by_deleting_its_checkpoint_counts_as_a_fresh_one`) and
//! rebalancing sixteen partitions per process
//! (`sixteen_partitions_per_process_move_on_a_join_and_a_leave_and_count_once`). A full
//! checkpoint disk is `tests/checkpoint_faults.rs`'s.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the ignored test `name` of this binary as a child process with `env`.
fn child(name: &str, env: &[(&str, &Path)]) -> std::process::Child {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
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
        assert_eq!(
            epochs,
            (1..=6).collect::<Vec<u64>>(),
            "every claim its own epoch"
        );
    }
}

fn counts_pipeline(dir: &Path, out: &streaming::Collector<(String, i64)>) -> streaming::Pipeline {
    use streaming::prelude::*;
    let (dir, out) = (dir.to_path_buf(), out.clone());
    stream_pipeline! {
        batch 1s;
        checkpoint dir every 2s;
        source queue(vec![vec!["a b"], vec!["a"], vec!["b"]])
            |> flat_map split
            |> map |w| (w, 1i64)
            |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
            |> collect(out)
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Point 8: when every checkpoint is unreadable the pipeline refuses to start, naming the
/// files, and deletes nothing. (It started fresh with a warning and deleted the batch logs:
/// the state and the record of what had run were gone.)
#[test]
fn every_checkpoint_unreadable_is_refused_and_nothing_is_deleted() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("cp");
    let out = streaming::Collector::new();
    counts_pipeline(&dir, &out).run_batches(3).unwrap();
    let mut checkpoints = 0;
    for name in names_in(&dir) {
        if name.starts_with("checkpoint-") {
            std::fs::write(dir.join(&name), b"SPKCKPT\0 torn").unwrap();
            checkpoints += 1;
        }
    }
    assert!(checkpoints >= 2, "{:?}", names_in(&dir));
    let before = names_in(&dir);
    assert!(before.iter().any(|n| n.starts_with("batch-")), "{before:?}");
    let err = counts_pipeline(&dir, &out)
        .run_batches(1)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("every checkpoint") && err.contains("checkpoint-"),
        "{err}"
    );
    assert_eq!(names_in(&dir), before, "nothing deleted");
}

/// Point 8: temporary files a writer killed mid-write left are removed at the next start.
/// (They stayed forever.)
#[test]
fn temporary_files_of_a_killed_writer_are_removed_at_restart() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("cp");
    let out = streaming::Collector::new();
    counts_pipeline(&dir, &out).run_batches(2).unwrap();
    // What a writer SIGKILLed between its write and its rename leaves.
    std::fs::write(dir.join(".checkpoint-3000.tmp-999999"), b"half").unwrap();
    std::fs::write(dir.join(".batch-3000.tmp-999999"), b"half").unwrap();
    counts_pipeline(&dir, &out).run_batches(1).unwrap();
    let left: Vec<String> = names_in(&dir)
        .into_iter()
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Point 8: the built-in sinks check the fence right before they write, so a cluster task
/// that lost its partition during its batch writes nothing. (Only user sinks that called
/// `fence.check()` did.)
#[test]
fn a_built_in_sink_of_a_task_fenced_mid_batch_writes_nothing() {
    use streaming::prelude::*;
    let work = tempfile::tempdir().unwrap();
    let part = work.path().join("lines-0");
    let out = work.path().join("out").join("words");
    let fence = streaming::cluster::Fence::acquire(&part, "partition 0 of lines").unwrap();
    let (other, prefix) = (part.clone(), out.to_string_lossy().into_owned());
    let mut p = stream_pipeline! {
        batch 1s;
        checkpoint part every 1s;
        source queue(vec![vec!["a"]])
            // Mid-batch, another process claims the partition.
            |> map |w| { streaming::cluster::Fence::acquire(&other, "partition 0 of lines").unwrap(); w }
            |> save_as_text_files(prefix)
    };
    p.fenced_by(fence);
    let err = p.run_batches(1).unwrap_err();
    assert!(matches!(err, StreamingError::Fenced { .. }), "{err:?}");
    let written = std::fs::read_dir(work.path().join("out"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(written, 0, "no batch directory, no temporary one");
}

mod common;

const WORDS: &[&str] = &["alpha", "beta", "gamma", "delta", "eps"];

/// A server of lines of `WORDS`, `rate` lines a second, looping (`rate` 0: none at all).
fn word_server(rt: &tokio::runtime::Runtime, rate: f64) -> std::net::SocketAddr {
    use streaming::line_feed::{LineFeed, ReplayOptions, ReplayServer};
    rt.block_on(async {
        let server = ReplayServer::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let lines: Vec<String> = if rate > 0.0 {
            (0..1000)
                .map(|i| format!("{} {}", WORDS[i % 5], WORDS[(i / 5) % 5]))
                .collect()
        } else {
            Vec::new()
        };
        server.serve(
            LineFeed::from_lines(lines),
            ReplayOptions::new()
                .lines_per_second(rate.max(1.0))
                .repeat(rate > 0.0),
        );
        addr
    })
}

/// `running_counts` over a socket with a write-ahead log, its files limited to `limit`
/// bytes (`RLIMIT_FSIZE`: a write past it fails as on a full disk).
fn running_counts_over_a_socket(
    addr: std::net::SocketAddr,
    work: &Path,
    limit: Option<u64>,
) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    let mut c = Command::new(common::process::example_path("running_counts"));
    c.arg("--connect")
        .arg(addr.to_string())
        .arg("--checkpoint")
        .arg(work.join("checkpoint"))
        .arg("--totals")
        .arg(work.join("totals.txt"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(common::process::append_to(&work.join("children.log")));
    if let Some(bytes) = limit {
        // SAFETY: between fork and exec only async-signal-safe calls (setrlimit, signal).
        unsafe {
            c.pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let lim = libc::rlimit {
                    rlim_cur: bytes,
                    rlim_max: libc::RLIM_INFINITY,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
    c.spawn().unwrap()
}

/// Point 3: the disk under the write-ahead log fills while lines keep coming. The log
/// fails closed: the receiver accepts nothing it could not log, the pipeline stops with
/// an error naming the log, and after a restart every line that had reached the batch
/// output is counted again (from the checkpoint and the log), none twice. (A failed
/// append was logged and the lines still entered the pipeline: after the restart the
/// lines counted since the last checkpoint were gone.)
#[test]
fn a_full_disk_under_the_write_ahead_log_loses_no_line_that_was_counted() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let work = tempfile::tempdir().unwrap();
    let busy = word_server(&rt, 20_000.0);
    let mut child = running_counts_over_a_socket(busy, work.path(), Some(96 * 1024));
    let deadline = Instant::now() + Duration::from_secs(20);
    let exited = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let counted = common::process::read_totals(&work.path().join("totals.txt"));
    let log = std::fs::read_to_string(work.path().join("children.log")).unwrap_or_default();
    assert!(
        !counted.is_empty(),
        "nothing counted before the disk filled:\n{log}"
    );

    // Restart with room on the disk, from a server with nothing more to send.
    let quiet = word_server(&rt, 0.0);
    let mut again = running_counts_over_a_socket(quiet, work.path(), None);
    std::thread::sleep(Duration::from_secs(4));
    let after = common::process::read_totals(&work.path().join("totals.txt"));
    let _ = Command::new("kill")
        .args(["-TERM", &again.id().to_string()])
        .status();
    let _ = again.wait();
    let log = std::fs::read_to_string(work.path().join("children.log")).unwrap_or_default();
    for (w, n) in &counted {
        let m = after.get(w).copied().unwrap_or(0);
        assert!(
            m >= *n,
            "{w}: {n} counted before the disk filled, {m} after the restart\n{log}"
        );
    }
    let status =
        exited.unwrap_or_else(|| panic!("the pipeline kept running on a failed log:\n{log}"));
    assert!(!status.success(), "{status:?}");
    assert!(log.contains("write-ahead log"), "{log}");
}

#[cfg(feature = "kafka")]
mod kafka {
    use super::common;
    use super::common::kafka::Broker;
    use std::path::Path;
    use std::time::Duration;
    use streaming::prelude::*;

    fn clicks(broker: &Broker, cp: &Path, out: &Collector<(String, i64)>) -> Pipeline {
        let (addr, cp, out) = (broker.addr(), cp.to_path_buf(), out.clone());
        stream_pipeline! {
            batch 1s;
            checkpoint cp every 2s;
            source kafka(addr, "clicks").from_earliest().option("broker.address.family", "v4")
                |> map |page| (page, 1i64)
                |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
                |> collect(out)
        }
    }

    /// A broker with the one-partition topic `clicks`, and a directory for the checkpoint.
    fn clicks_topic() -> (Broker, tempfile::TempDir) {
        let broker = Broker::start();
        broker.create_topic("clicks", 1);
        (broker, tempfile::tempdir().unwrap())
    }

    /// The broker loses every record (tansu's memory storage, restarted) and the topic is
    /// created again: each partition's offsets start at 0 again. (Deleting the topic
    /// instead crashes librdkafka 2.12 on tansu's metadata answer for the deleted topic.)
    fn lose_everything(broker: &mut Broker) {
        broker.kill();
        broker.restart();
        broker.create_topic("clicks", 1);
    }

    /// The broker loses everything and gets `new` records; the `clicks` pipeline restarts
    /// from `cp` and runs one batch, on a thread given a minute (a pipeline waiting forever
    /// must fail the test, not hang it). Its error, or what it counted when it ran on.
    fn restart_after_loss(broker: &mut Broker, cp: &Path, new: &[&str]) -> String {
        lose_everything(broker);
        broker.produce("clicks", 0, new);
        let out = Collector::new();
        let mut p = clicks(broker, cp, &out);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let r = p.run_batches(1).map_err(|e| e.to_string());
            let _ = tx.send(r);
            drop(p);
        });
        let limit = Duration::from_secs(60);
        match rx.recv_timeout(limit) {
            Ok(Err(e)) => e,
            Ok(Ok(())) => format!("ran on; counted {:?}", common::times_and_values(&out)),
            Err(_) => panic!("the batch did not end within {limit:?}"),
        }
    }

    /// Point 6: the broker lost its records while the pipeline was down, and the topic
    /// holds 2 records where the checkpoint says 3 were read: the end offset fell from 3
    /// to 2. The restarted pipeline stops naming the partition and the offsets. (It
    /// waited, silently, for offset 3, so the new records at offsets 2, 3 ... were never
    /// counted; and a running source read the partition again from offset 0, counting
    /// twice what the brokers still held.)
    #[test]
    fn an_end_offset_that_falls_stops_the_pipeline_naming_it() {
        let (mut broker, work) = clicks_topic();
        let cp = work.path().join("cp");
        let out = Collector::new();
        let mut p = clicks(&broker, &cp, &out);
        broker.produce("clicks", 0, &["home", "cart", "pay"]);
        p.run_batches(2).unwrap(); // checkpointed at batch 2
        drop(p);
        let err = restart_after_loss(&mut broker, &cp, &["home", "cart"]);
        assert!(
            err.contains("the end offset of partition 0 of Kafka topic `clicks` fell from 3 to 2"),
            "{err}"
        );
    }

    /// Point 6: batch 5 ran and was logged, not checkpointed; then the broker lost its
    /// records and has 2 new ones, so the record batch 5 read (offset 4) is gone. The
    /// restarted pipeline stops with an error naming the partition and offsets. (It waited
    /// for the record forever, "still waiting for the records of a batch replayed after a
    /// crash", and its task could never stop on a revocation.)
    #[test]
    fn a_replay_whose_records_are_gone_stops_the_pipeline_instead_of_waiting() {
        let (mut broker, work) = clicks_topic();
        let cp = work.path().join("cp");
        let first = Collector::new();
        let mut p = clicks(&broker, &cp, &first);
        for page in ["home", "cart", "pay", "home", "cart"] {
            broker.produce("clicks", 0, &[page]);
            p.run_batches(1).unwrap();
        }
        drop(p); // batch 5 (offset 4) ran and was logged, not checkpointed
        let err = restart_after_loss(&mut broker, &cp, &["x", "y"]);
        // The checkpoint (batch 4) listed the end at 4; the batch log of batch 5, at 5.
        assert!(
            err.contains("partition 0 of Kafka topic `clicks` fell from 4 to 2"),
            "{err}"
        );
    }

    /// Point 6, `.fail_on_data_loss(false)`: one record per batch, so 2 of the 3 records
    /// listed were still unread when the broker lost them. The restarted source reads the
    /// new records from offset 0 and counts the 2 it never read as lost, in its metrics
    /// and in `/metrics`.
    #[test]
    fn without_fail_on_data_loss_a_lost_partition_is_read_from_its_start_and_the_loss_counted() {
        let (mut broker, work) = clicks_topic();
        let ui = format!("127.0.0.1:{}", common::kafka::free_port());
        let addr = broker.addr(); // the same port after the restart
        let pipeline = |out: &Collector<(String, i64)>| {
            let (addr, cp, sink, ui) = (
                addr.clone(),
                work.path().join("cp"),
                out.clone(),
                ui.clone(),
            );
            stream_pipeline! {
                batch 1s;
                checkpoint cp every 1s;
                ui ui;
                source kafka(addr, "clicks").from_earliest().max_rate_per_partition(1)
                    .fail_on_data_loss(false).option("broker.address.family", "v4")
                    |> map |page| (page, 1i64)
                    |> reduce_by_key(+)
                    |> collect(sink)
            }
        };
        broker.produce("clicks", 0, &["home", "cart", "pay"]);
        let before = Collector::new();
        pipeline(&before).run_batches(1).unwrap();
        lose_everything(&mut broker);
        broker.produce("clicks", 0, &["x"]);
        let out = Collector::new();
        let mut p = pipeline(&out);
        p.run_batches(1).unwrap();
        broker.produce("clicks", 0, &["y"]);
        p.run_batches(1).unwrap();
        let counted = |c: &Collector<(String, i64)>| -> Vec<(String, i64)> {
            common::times_and_values(c)
                .into_iter()
                .flat_map(|(_, v)| v)
                .collect()
        };
        assert_eq!(counted(&before), [("home".to_string(), 1)]);
        assert_eq!(
            counted(&out),
            [("x", 1), ("y", 1)].map(|(k, n)| (k.to_string(), n))
        );
        assert_eq!(p.source_metrics(0).unwrap().snapshot().lost_records, 2);
        let (status, body) = common::http::get(&ui, "/metrics").unwrap();
        assert_eq!(status, 200);
        assert!(
            body.lines()
                .any(|l| l == r#"streaming_source_lost_records_total{source="kafka clicks"} 2"#),
            "{body}"
        );
    }

    /// Point 2: the restore falls back past a corrupt newest checkpoint (batch 4) to an
    /// older one (batch 2) while the batch log still holds batch 5, logged after batch 4:
    /// the records of batches 3 and 4 lie between them. The pipeline stops with an error
    /// naming the offsets instead of replaying batch 5 over the gap. (It warned and
    /// replayed: the records of batches 3 and 4 were never counted.)
    #[test]
    fn a_batch_log_that_does_not_follow_the_checkpoint_stops_the_pipeline() {
        let broker = Broker::start();
        broker.create_topic("clicks", 1);
        let work = tempfile::tempdir().unwrap();
        let cp = work.path().join("cp");
        let first = Collector::new();
        let mut p = clicks(&broker, &cp, &first);
        for page in ["home", "cart", "pay", "home", "cart"] {
            broker.produce("clicks", 0, &[page]);
            p.run_batches(1).unwrap();
        }
        drop(p); // batch 5 ran and was logged, not checkpointed
        let newest = cp.join(format!("checkpoint-{:020}", 4000));
        assert!(
            newest.exists(),
            "{:?}",
            std::fs::read_dir(&cp).unwrap().collect::<Vec<_>>()
        );
        std::fs::write(&newest, b"SPKCKPT\0 torn").unwrap();

        let second = Collector::new();
        let err = clicks(&broker, &cp, &second)
            .run_batches(1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("does not follow the checkpoint") && err.contains("would skip 2 records"),
            "{err}; counted: {:?}",
            common::times_and_values(&second)
        );
    }
}
