//! Checkpoints and recovery on the manual clock: a pipeline stopped after a checkpoint and
//! restarted from it gives the same results as an uninterrupted run. The tests written with
//! `over_stores!` run over a local directory and (feature `object-store`) an S3 location
//! in a real server (tests/common/s3.rs).

use std::path::Path;

mod common;

use streaming::prelude::*;

type Outputs = (Collector<(String, i64)>, Collector<(String, i64)>);

fn input() -> Vec<Vec<&'static str>> {
    vec![
        vec!["a b", "a"],
        vec!["b c"],
        vec![],
        vec!["a"],
        vec!["c c"],
        vec!["b"],
    ]
}

/// Running totals (state) and a 3s window (panes) over the same words.
fn pipeline(dir: &Path, out: &Outputs) -> Pipeline {
    let (totals, windowed) = (out.0.clone(), out.1.clone());
    let dir = dir.to_path_buf();
    stream_pipeline! {
        batch 1s;
        checkpoint dir every 1s;
        let words = source queue(input()) |> flat_map split;
        words |> map |w| (w, 1i64)
              |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
              |> collect(totals);
        words |> window(3s, 1s) reduce(+, -) |> collect(windowed)
    }
}

fn from_batch(c: &Collector<(String, i64)>, first_ms: u64) -> Vec<(u64, Vec<(String, i64)>)> {
    c.sorted_batches()
        .into_iter()
        .filter(|(t, _)| t.milliseconds() >= first_ms)
        .map(|(t, v)| (t.milliseconds(), v))
        .collect()
}

over_stores! {
fn a_restarted_pipeline_resumes_where_its_checkpoint_left_off(dir) {
    let straight_dir = tempfile::tempdir().unwrap();
    let straight = (Collector::new(), Collector::new());
    pipeline(straight_dir.path(), &straight)
        .run_batches(6)
        .unwrap();

    let first = (Collector::new(), Collector::new());
    pipeline(dir.path(), &first).run_batches(3).unwrap(); // then "crashes"

    let resumed = (Collector::new(), Collector::new());
    let mut p = pipeline(dir.path(), &resumed);
    p.run_batches(3).unwrap();

    assert_eq!(
        resumed.0.batches().first().map(|(t, _)| t.milliseconds()),
        Some(4000),
        "resumes after batch 3"
    );
    assert_eq!(
        from_batch(&resumed.0, 4000),
        from_batch(&straight.0, 4000),
        "running totals"
    );
    assert_eq!(
        from_batch(&resumed.1, 4000),
        from_batch(&straight.1, 4000),
        "windows"
    );
    let last = &resumed.0.sorted_batches()[2].1;
    assert_eq!(
        last,
        &[
            ("a".to_string(), 3),
            ("b".to_string(), 3),
            ("c".to_string(), 3)
        ]
    );
}
}

over_stores! {
fn a_checkpoint_of_another_pipeline_is_refused(dir) {
    let out = (Collector::new(), Collector::new());
    pipeline(dir.path(), &out).run_batches(1).unwrap();

    let other = Collector::new();
    let d = dir.path().to_path_buf();
    let mut p = stream_pipeline! {
        batch 1s;
        checkpoint d;
        source queue(input()) |> count |> collect(other)
    };
    let err = p.run_batches(1).unwrap_err().to_string();
    assert!(
        err.contains("different pipeline") && err.contains("start fresh"),
        "{err}"
    );
}
}

over_stores! {
fn a_pipeline_without_state_checkpoints_and_restarts_too(dir) {
    let run = |n| {
        let out = Collector::new();
        let d = dir.path().to_path_buf();
        let mut p = stream_pipeline! {
            batch 1s;
            checkpoint d every 2s;
            source queue(vec![vec![1], vec![2], vec![3], vec![4]]) |> collect(out)
        };
        p.run_batches(n).unwrap();
        out.batches()
            .into_iter()
            .map(|(t, v)| (t.milliseconds(), v))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        run(3),
        vec![(1000, vec![1]), (2000, vec![2]), (3000, vec![3])]
    );
    // The last checkpoint was batch 2 (every 2s): batch 3 is replayed.
    assert_eq!(run(2), vec![(3000, vec![3]), (4000, vec![4])]);
}
}

#[test]
fn an_unwritable_checkpoint_directory_is_a_clear_error() {
    let work = tempfile::tempdir().unwrap();
    let blocked = work.path().join("a-file");
    std::fs::write(&blocked, "not a directory").unwrap();
    let d = blocked.clone();
    let mut p = stream_pipeline! {
        batch 1s;
        checkpoint d;
        source queue(vec![vec![1]]) |> count |> print
    };
    let err = p.run_batches(1).unwrap_err().to_string();
    assert!(
        err.contains("a-file"),
        "the error names the directory: {err}"
    );
}

over_stores! {
fn a_corrupt_newest_checkpoint_falls_back_to_the_one_before(dir) {
    let out = (Collector::new(), Collector::new());
    pipeline(dir.path(), &out).run_batches(3).unwrap();
    // Damage the newest checkpoint (batch 3): recovery uses batch 2's and replays batch 3.
    let newest = dir.newest_checkpoint_file();
    let mut bytes = std::fs::read(&newest).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 0xff;
    std::fs::write(&newest, bytes).unwrap();

    let resumed = (Collector::new(), Collector::new());
    pipeline(dir.path(), &resumed).run_batches(1).unwrap();
    assert_eq!(
        resumed.0.batches()[0].0.milliseconds(),
        3000,
        "batch 3 is replayed"
    );
    assert_eq!(from_batch(&resumed.0, 3000), from_batch(&out.0, 3000));
}
}

#[test]
fn socket_lines_accepted_but_not_checkpointed_are_replayed_from_the_wal_once() {
    use std::io::Write;
    use std::sync::mpsc;
    use std::time::Duration;

    // A server whose first connection sends `first`, then `second` when told; the next
    // connection sends `third` and both stay open.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (go, wait) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let (mut a, _) = listener.accept().unwrap();
        a.write_all(b"x y\nx\n").unwrap();
        wait.recv().unwrap();
        a.write_all(b"y z\nz\n").unwrap();
        let (mut b, _) = listener.accept().unwrap();
        b.write_all(b"x z\n").unwrap();
        std::thread::sleep(Duration::from_secs(60));
        drop((a, b));
    });

    let dir = tempfile::tempdir().unwrap();
    let run = |totals: &Collector<(String, i64)>| {
        let (d, out) = (dir.path().to_path_buf(), totals.clone());
        stream_pipeline! {
            batch 1s;
            checkpoint d every 1s wal;
            source socket("127.0.0.1", port)
                |> flat_map split
                |> map |w| (w, 1i64)
                |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
                |> collect(out)
        }
    };
    let wait_for = |p: &Pipeline, n: u64| {
        assert!(
            p.source_metrics(0)
                .unwrap()
                .wait_for_records(n, Duration::from_secs(30)),
            "{:?}",
            p.metrics()
        )
    };

    let first = Collector::new();
    let mut a = run(&first);
    a.start().unwrap();
    wait_for(&a, 2);
    a.run_batches(1).unwrap(); // batch 1 counted and checkpointed
    go.send(()).unwrap();
    wait_for(&a, 4); // two more lines accepted (logged), never processed:
    drop(a); // the process "crashes"

    let totals = Collector::new();
    let mut b = run(&totals);
    b.start().unwrap();
    wait_for(&b, 3); // 2 replayed from the log + 1 from the new connection
    b.run_batches(1).unwrap();
    let last = totals.sorted_batches().pop().unwrap().1;
    assert_eq!(
        last,
        [
            ("x".to_string(), 3),
            ("y".to_string(), 2),
            ("z".to_string(), 3)
        ],
        "every accepted line counted once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_checkpoints_the_last_batch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let out = Collector::new();
    let p = stream_pipeline! {
        batch 100ms;
        checkpoint d every 1h;
        source queue(std::iter::repeat_with(|| vec![1i64]))
            |> map |x| ("n", x)
            |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
            |> collect(out)
    };
    // Same path as Ctrl-C / SIGTERM: the current batch finishes and is checkpointed.
    p.run_until(tokio::time::sleep(std::time::Duration::from_millis(500)))
        .await
        .unwrap();
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        files.len(),
        2,
        "the initial checkpoint and the final one: {files:?}"
    );
    let last_batch = out.batches().last().unwrap().0.milliseconds();
    assert!(
        files
            .iter()
            .any(|f| f.ends_with(&format!("{last_batch:020}"))),
        "{files:?} vs {last_batch}"
    );
}

/// Two state functions of the same name with different state types: a pipeline's text
/// (and so its fingerprint) stays the same when one replaces the other.
mod counts_as_integers {
    pub fn update(new: Vec<i64>, old: Option<i64>) -> Option<i64> {
        Some(new.into_iter().sum::<i64>() + old.unwrap_or(0))
    }
}

mod counts_as_floats {
    pub fn update(new: Vec<i64>, old: Option<f64>) -> Option<f64> {
        Some(new.into_iter().sum::<i64>() as f64 + old.unwrap_or(0.0))
    }
}

#[test]
fn a_checkpoint_whose_state_type_changed_is_refused_naming_the_stage() {
    let dir = tempfile::tempdir().unwrap();
    {
        use counts_as_integers::update;
        let d = dir.path().to_path_buf();
        let mut p = stream_pipeline! {
            batch 1s;
            checkpoint d every 1s;
            source queue(input()) |> flat_map split |> map |w| (w, 1i64)
                |> update_state_by_key(update) |> print
        };
        p.print_to(OutputBuffer::new());
        p.run_batches(2).unwrap();
    }
    use counts_as_floats::update;
    let d = dir.path().to_path_buf();
    let mut p = stream_pipeline! {
        batch 1s;
        checkpoint d every 1s;
        source queue(input()) |> flat_map split |> map |w| (w, 1i64)
            |> update_state_by_key(update) |> print
    };
    p.print_to(OutputBuffer::new());
    let err = p.run_batches(1).unwrap_err().to_string();
    assert!(
        err.contains("`update_state_by_key` stage")
            && err.contains("i64")
            && err.contains("f64")
            && err.contains("start fresh"),
        "{err}"
    );
}

/// A cluster task paused after its batch began (after the batch's own fence check) and
/// resumed once another process took its partition: the `fence.check()?` in its sink
/// stops it as *fenced*, not failed, so its process goes on with its other partitions.
/// (A fenced check turned into a plain error made such a process exit 1: the flaky
/// `tests/cluster.rs` paused-process test.)
#[test]
fn a_fence_taken_during_a_batch_stops_the_task_as_fenced() {
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("lines-0");
    let fence = streaming::cluster::Fence::acquire(&part, "partition 0 of lines").unwrap();
    let (sink_fence, other) = (fence.clone(), part.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        checkpoint part every 1s;
        source queue(vec![vec!["a"]])
            // Mid-batch, another process claims the partition.
            |> map |w| { streaming::cluster::Fence::acquire(&other, "partition 0 of lines").unwrap(); w }
            |> foreach_batch(|_time, _batch| {
                sink_fence.check()?;
                Ok::<(), StreamingError>(())
            })
    };
    p.fenced_by(fence);
    let err = p.run_batches(1).unwrap_err();
    assert!(
        matches!(
            err,
            StreamingError::Fenced {
                epoch: 1,
                owner: 2,
                ..
            }
        ),
        "{err:?}"
    );
}
