//! Object files: `save_as_object_files` writes each batch as serde records under a header
//! naming their type, and `source object_files::<T>(dir)` reads them back. Round trips of
//! several shapes, the clear errors of a file of another type, version or a damaged one,
//! exactly once across a restart, and SIGKILLs while writing and reading (this binary run
//! again as the child, the ignored test below). Manual clock throughout.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use streaming::object_file::{self, ObjectFileError};
use streaming::prelude::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Reading {
    sensor: String,
    value: f64,
    tags: Vec<Option<String>>,
    parent: Option<Box<Reading>>,
}
streaming::into_owned_by_identity!(Reading);

fn reading(i: u32) -> Reading {
    Reading {
        sensor: format!("s{i}"),
        value: f64::from(i) / 4.0,
        tags: vec![Some("ü".repeat(i as usize % 3)), None],
        parent: (i % 2 == 0).then(|| {
            Box::new(Reading {
                sensor: "root".into(),
                value: -1.5,
                tags: Vec::new(),
                parent: None,
            })
        }),
    }
}

/// Writes `batches` with `save_as_object_files` to `dir/obj-<ms>` (one batch a second),
/// then reads the directory back with `object_files::<T>` (created before the writing, so
/// every batch directory is new to it): the elements of each batch, in order.
fn round_trip<T>(dir: &Path, batches: Vec<Vec<T>>) -> Vec<T>
where
    T: Serialize + serde::de::DeserializeOwned + IntoOwned<Owned = T> + Clone + Send + 'static,
{
    let out = Collector::new();
    let (o, d) = (out.clone(), dir.to_path_buf());
    let mut reader = stream_pipeline! {
        batch 1s;
        source object_files::<T>(d) |> collect(o)
    };
    let n = batches.len() as u64;
    let prefix = dir.join("obj").to_string_lossy().into_owned();
    let mut writer = stream_pipeline! {
        batch 1s;
        source queue(batches) |> save_as_object_files(prefix)
    };
    writer.run_batches(n).unwrap();
    reader.run_batches(1).unwrap();
    assert_eq!(reader.source_metrics(0).unwrap().snapshot().errors, 0);
    out.elements()
}

#[test]
fn shapes_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let pairs = vec![
        vec![("a".to_string(), 1i64), ("b".to_string(), -2)],
        vec![],
        vec![("c".to_string(), i64::MAX)],
    ];
    let sub = |name: &str| {
        let d = tmp.path().join(name);
        std::fs::create_dir(&d).unwrap();
        d
    };
    assert_eq!(round_trip(&sub("pairs"), pairs.clone()), pairs.concat());

    let strings = vec![vec![
        "".to_string(),
        "line\nbreak".to_string(),
        "ü€".to_string(),
    ]];
    assert_eq!(
        round_trip(&sub("strings"), strings.clone()),
        strings.concat()
    );

    let readings = vec![(0..5).map(reading).collect::<Vec<_>>(), vec![reading(9)]];
    assert_eq!(
        round_trip(&sub("structs"), readings.clone()),
        readings.concat()
    );

    type Nested = (u8, Vec<Option<(bool, String)>>);
    let nested: Vec<Vec<Nested>> = vec![vec![
        (0, vec![]),
        (1, vec![None, Some((true, "x".into()))]),
        (255, vec![Some((false, String::new()))]),
    ]];
    assert_eq!(round_trip(&sub("nested"), nested.clone()), nested.concat());
}

/// Writes one batch of `(String, i64)` pairs to `dir/pairs-1000`; its part file.
fn write_pairs(dir: &Path) -> PathBuf {
    let prefix = dir.join("pairs").to_string_lossy().into_owned();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![("a".to_string(), 1i64)]]) |> save_as_object_files(prefix, "")
    };
    p.run_batches(1).unwrap();
    dir.join("pairs-1000").join("part-00000")
}

#[test]
fn a_file_of_another_type_version_or_damaged_is_a_counted_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (staging, input) = (tmp.path().join("staging"), tmp.path().join("in"));
    std::fs::create_dir_all(&input).unwrap();
    let part = write_pairs(&staging);

    // The error as a value: the file, and what is wrong with it.
    let err = object_file::read_file::<(String, u32)>(&part).unwrap_err();
    assert_eq!(
        err.error,
        ObjectFileError::WrongType {
            found: "(alloc::string::String, i64)".into(),
            expected: "(alloc::string::String, u32)".into(),
        }
    );
    let text = err.to_string();
    assert!(text.contains("part-00000"), "{text}");
    assert!(text.contains("holds elements of type `(alloc::string::String, i64)`, not `(alloc::string::String, u32)`"), "{text}");

    let good = std::fs::read(&part).unwrap();
    let mut later = good.clone();
    later[8..10].copy_from_slice(&99u16.to_le_bytes());
    let version = input.join("later-version.obj");
    let mut damaged = good.clone();
    let last_record_byte = damaged.len() - 17;
    damaged[last_record_byte] ^= 1;
    for (name, bytes) in [("later-version.obj", &later), ("damaged.obj", &damaged)] {
        std::fs::write(staging.join(name), bytes).unwrap();
    }
    let errors = [
        (
            object_file::decode::<(String, i64)>(&later).unwrap_err(),
            "version 99",
        ),
        (
            object_file::decode::<(String, i64)>(&damaged).unwrap_err(),
            "checksum",
        ),
        (
            object_file::decode::<(String, i64)>(b"a,1\n").unwrap_err(),
            "not an object file",
        ),
    ];
    for (e, says) in errors {
        assert!(e.to_string().contains(says), "{e}");
    }

    // In a pipeline: each bad file is skipped whole, counted and logged; the good ones are
    // read, and the pipeline goes on.
    let out = Collector::new();
    let (o, d) = (out.clone(), input.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        source object_files::<(String, u32)>(d) |> collect(o)
    };
    std::fs::rename(staging.join("pairs-1000"), input.join("pairs-1000")).unwrap();
    std::fs::rename(staging.join("later-version.obj"), &version).unwrap();
    std::fs::rename(staging.join("damaged.obj"), input.join("damaged.obj")).unwrap();
    p.run_batches(1).unwrap();
    assert_eq!(p.source_metrics(0).unwrap().snapshot().errors, 3);
    assert!(out.elements().is_empty());

    let ok = tempfile::tempdir().unwrap();
    std::fs::write(ok.path().join("good.obj"), &good).unwrap();
    let out = Collector::new();
    let (o, d) = (out.clone(), input.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        source object_files::<(String, i64)>(d) |> collect(o)
    };
    std::fs::rename(ok.path().join("good.obj"), input.join("good.obj")).unwrap();
    p.run_batches(1).unwrap();
    // A new source of the right type: the batch directory and the good file are read; the
    // two bad files, new to it too, are skipped again.
    assert_eq!(out.elements(), [("a".to_string(), 1), ("a".to_string(), 1)]);
    assert_eq!(p.source_metrics(0).unwrap().snapshot().errors, 2);
}

/// A running sum per key over the object files in `input`, checkpointed to `ckpt`.
fn running_sums(input: &Path, ckpt: &Path, out: &Collector<(String, i64)>) -> Pipeline {
    let (o, d, c) = (out.clone(), input.to_path_buf(), ckpt.to_path_buf());
    stream_pipeline! {
        batch 1s;
        checkpoint c every 1s;
        source object_files::<(String, i64)>(d)
            |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
            |> sort_by_key
            |> collect(o)
    }
}

#[test]
fn each_file_is_read_once_across_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, ckpt) = (tmp.path().join("in"), tmp.path().join("ckpt"));
    std::fs::create_dir_all(&input).unwrap();
    let put = |name: &str, items: &[(String, i64)]| {
        let staged = tmp.path().join(format!(".{name}"));
        let mut f = std::fs::File::create(&staged).unwrap();
        object_file::write(&mut f, items).unwrap();
        std::fs::rename(&staged, input.join(name)).unwrap();
    };
    let out = Collector::new();
    let mut p = running_sums(&input, &ckpt, &out);
    put("f1", &[("a".into(), 1), ("b".into(), 10)]);
    p.run_batches(1).unwrap();
    put("f2", &[("a".into(), 2)]);
    p.run_batches(1).unwrap();
    drop(p);

    put("f3", &[("a".into(), 4), ("c".into(), 100)]);
    let out = Collector::new();
    let mut p = running_sums(&input, &ckpt, &out);
    p.run_batches(1).unwrap();
    let batches = out.batches();
    let (time, last) = batches.last().unwrap();
    assert_eq!(
        time.milliseconds(),
        3000,
        "resumed after the checkpoint of batch 2000"
    );
    assert_eq!(
        last,
        &[
            ("a".to_string(), 7),
            ("b".to_string(), 10),
            ("c".to_string(), 100)
        ]
    );
}

// ---- SIGKILLs while writing and reading ----

const CHILD: &str = "child_writes_and_reads_object_files_until_the_last_batch";
/// The child's last batch: its queue has `BATCHES` vecs, and the next batch reads the last
/// one's directory.
const BATCHES: u64 = 120;

/// Batch `k`'s records (from 1): a few `(key, 1)` pairs, the same in every run.
fn crash_input() -> Vec<Vec<Reading>> {
    let mut rng = common::process::Rng(0x0b_1ec7);
    (0..BATCHES)
        .map(|_| {
            (0..rng.below(6))
                .map(|_| {
                    let mut r = reading(rng.below(5) as u32);
                    r.value = 1.0;
                    r
                })
                .collect()
        })
        .collect()
}

fn expected_totals() -> BTreeMap<String, i64> {
    let mut t = BTreeMap::new();
    for r in crash_input().concat() {
        *t.entry(r.sensor).or_default() += 1;
    }
    t
}

/// The child: one pipeline that saves batch `k` of its queue as `DIR/rec-<k s>` and reads
/// the directory with `object_files`, summing per sensor (checkpointed every 3 batches, so
/// restarts replay pending batches: rewriting their directories, reading others again).
/// Each batch's totals go to `TOTALS` (written whole, then renamed); it exits after the
/// batch that reads the last directory.
#[test]
#[ignore = "the child process of sigkills_while_writing_and_reading_lose_and_duplicate_nothing"]
fn child_writes_and_reads_object_files_until_the_last_batch() {
    // The parent reads the log: restarts, and no file that could not be read.
    tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let var = |name: &str| PathBuf::from(std::env::var_os(name).unwrap());
    let (dir, ckpt, totals) = (var("DIR"), var("CKPT"), var("TOTALS"));
    let prefix = dir.join("rec").to_string_lossy().into_owned();
    let last = Arc::new(AtomicU64::new(0));
    let (seen, d) = (Arc::clone(&last), dir.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        checkpoint ckpt every 3s;
        source queue(crash_input()) |> save_as_object_files(prefix);
        source object_files::<Reading>(d)
            |> map |r| (r.sensor, r.value as i64)
            |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
            |> sort_by_key
            |> foreach_batch(|time, b| {
                let text: String = b.iter().map(|(k, n)| format!("{k} {n}\n")).collect();
                let tmp = totals.with_extension("tmp");
                std::fs::write(&tmp, text).unwrap();
                std::fs::rename(&tmp, &totals).unwrap();
                seen.store(time.milliseconds(), Ordering::SeqCst);
            })
    };
    while last.load(Ordering::SeqCst) < (BATCHES + 1) * 1000 {
        p.run_batches(1).unwrap();
    }
    eprintln!("child done");
}

fn read_totals(path: &Path) -> BTreeMap<String, i64> {
    common::process::read_totals(path)
}

#[test]
fn sigkills_while_writing_and_reading_lose_and_duplicate_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, ckpt, totals, log) = (
        tmp.path().join("objects"),
        tmp.path().join("ckpt"),
        tmp.path().join("totals.txt"),
        tmp.path().join("children.log"),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let spawn = || {
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                CHILD,
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("DIR", &dir)
            .env("CKPT", &ckpt)
            .env("TOTALS", &totals)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(common::process::append_to(&log))
            .spawn()
            .unwrap()
    };
    let written = || {
        std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with("rec-"))
                    .count() as u64
            })
            .unwrap_or(0)
    };
    let expected = expected_totals();
    let mut rng = common::process::Rng(0x5eed_0b1e);
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut child = spawn();
    // Kill the child at seeded points of its progress (batch directories written), at a
    // random moment inside a batch: while it writes a directory, reads one, checkpoints.
    let mut target = 0;
    while kills < 12 {
        target = (target + 3 + rng.below(10)).min(BATCHES - 1);
        while written() < target {
            assert!(Instant::now() < deadline, "the child made no progress");
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the child exited early: {status:?}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_micros(rng.below(3000)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        // Never more than the truth, whatever was killed when.
        for (k, n) in read_totals(&totals) {
            assert!(
                n <= expected[&k],
                "{k} counted {n}, only {} written",
                expected[&k]
            );
        }
        child = spawn();
    }
    let status = loop {
        assert!(Instant::now() < deadline, "the last child did not finish");
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "{status:?}; log:\n{log}");
    // The kills came mid-run: restarts resumed from checkpoints and replayed batches.
    let resumed = log.matches("resuming after the checkpointed batch").count();
    assert!(
        resumed >= 10,
        "{resumed} resumed runs of {kills} kills; log:\n{log}"
    );
    // No reader ever met a half-written directory or file.
    assert!(!log.contains("cannot read file"), "{log}");
    // One directory per batch, the last (empty) one included: every batch writes one.
    assert_eq!(written(), BATCHES + 1, "one directory per batch");
    assert_eq!(
        read_totals(&totals),
        expected,
        "after {kills} SIGKILLs the totals equal an uninterrupted run"
    );
}
