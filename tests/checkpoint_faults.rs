//! A checkpoint that cannot be written (the disk is full) stops the pipeline with an error
//! naming the directory, leaves no half-written file, and once there is space again the
//! pipeline recovers from the last good checkpoint with the same results as a run that never
//! failed. A full disk is stood in for by a file size limit (`RLIMIT_FSIZE`): writes past
//! it fail with `EFBIG`, as they fail with `ENOSPC` on a full file system. Alone in its test
//! binary, because the limit applies to the whole process.

use std::path::Path;

use streaming::prelude::*;

/// Three batches of a few words each, then one of 3,000 new words (the state, and so its
/// checkpoint, grows), then one more batch.
fn input() -> Vec<Vec<String>> {
    let mut batches: Vec<Vec<String>> = (0..3)
        .map(|b| vec![format!("a b c{b}"), "a".to_string()])
        .collect();
    batches.push((0..3000).map(|i| format!("word{i}")).collect());
    batches.push(vec!["a b".to_string()]);
    batches
}

type Totals = Vec<(u64, Vec<(String, i64)>)>;

/// Runs `n` batches of the running-totals pipeline checkpointing to `dir`; its totals per
/// batch, or the error that stopped it.
fn run(dir: &Path, n: u64) -> (Totals, Option<StreamingError>) {
    let out = Collector::new();
    let d = dir.to_path_buf();
    let mut p = stream_pipeline! {
        batch 1s;
        checkpoint d every 1s;
        source queue(input()) |> flat_map split |> map |w| (w.to_string(), 1i64)
            |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
            |> sort_by_key
            |> collect(out)
    };
    let error = p.run_batches(n).err();
    let totals = out
        .batches()
        .into_iter()
        .map(|(t, v)| (t.milliseconds(), v))
        .collect();
    (totals, error)
}

/// Limits the size of any file this process writes (`None`: no limit).
fn limit_file_size(bytes: Option<u64>) {
    let lim = libc::rlimit {
        rlim_cur: bytes.unwrap_or(libc::RLIM_INFINITY),
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: plain system calls on this process's own limits and signal disposition.
    unsafe {
        // Past the limit a write fails with EFBIG instead of the process being killed.
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &lim), 0);
    }
}

#[test]
fn a_full_disk_stops_the_pipeline_cleanly_and_it_recovers_from_the_last_good_checkpoint() {
    let whole = tempfile::tempdir().unwrap();
    let (expected, error) = run(whole.path(), 5);
    assert!(error.is_none(), "{error:?}");

    let dir = tempfile::tempdir().unwrap();
    let (first, error) = run(dir.path(), 3);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(first[..], expected[..3]);
    let largest = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .max()
        .unwrap();

    // The disk fills: the checkpoints written so far fit, the next (with 3,000 more keys)
    // does not. The pipeline restarts from batch 3's checkpoint and fails at batch 4's.
    limit_file_size(Some(largest + 256));
    let (during, error) = run(dir.path(), 2);
    limit_file_size(None);
    let error = error.expect("the checkpoint write fails").to_string();
    eprintln!("reported: {error}");
    assert!(
        error.contains("checkpoint") && error.contains(&dir.path().display().to_string()),
        "the error names the checkpoint directory: {error}"
    );
    // Batch 4 ran (its output went out) but is not checkpointed.
    assert_eq!(during[..], expected[3..4]);
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n.contains("tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "half-written files left: {leftovers:?}"
    );

    // Space again: batch 4 runs again over the same input, then batch 5; the results are
    // those of the run that never failed.
    let (after, error) = run(dir.path(), 2);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(after[..], expected[3..5]);
}
