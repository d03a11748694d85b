//! Crash recovery with a real process, real clock and short batches: `running_counts`
//! (text_files → update_state_by_key + a windowed reduce, checkpointed every second) is
//! killed with SIGKILL at 20+ seeded random moments while files keep arriving, and restarted
//! each time. At the end its running totals equal the true word counts of all files: no
//! word lost, none counted twice — the same as an uninterrupted run.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::process::{Rng, append_to, example_path, read_totals, wait_for_totals};

/// How many runs have logged their start so far.
fn starts(dirs: &Dirs) -> usize {
    std::fs::read_to_string(&dirs.log)
        .unwrap_or_default()
        .matches("pipeline started")
        .count()
}

fn spawn(dirs: &Dirs) -> Child {
    spawn_with(dirs, &[])
}

fn spawn_with(dirs: &Dirs, extra: &[&str]) -> Child {
    Command::new(example_path("running_counts"))
        .args(["--no-producer", "--input"])
        .arg(&dirs.input)
        .args(extra)
        .arg("--checkpoint")
        .arg(&dirs.checkpoint)
        .arg("--totals")
        .arg(&dirs.totals)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(append_to(&dirs.log))
        .spawn()
        .unwrap()
}

struct Dirs {
    input: PathBuf,
    staging: PathBuf,
    checkpoint: PathBuf,
    totals: PathBuf,
    log: PathBuf,
}

fn dirs(work: &Path) -> Dirs {
    dirs_checkpointing_to(work, &work.join("checkpoint"))
}

fn dirs_checkpointing_to(work: &Path, checkpoint: &Path) -> Dirs {
    let exe = example_path("running_counts");
    assert!(
        exe.exists(),
        "{} not built (cargo test builds examples)",
        exe.display()
    );
    Dirs {
        input: work.join("in"),
        staging: work.join("staging"),
        checkpoint: checkpoint.to_path_buf(),
        totals: work.join("totals.txt"),
        log: work.join("children.log"),
    }
}

#[test]
fn sigkill_with_a_socket_and_the_wal_counts_every_accepted_line_once() {
    use std::io::Write;
    let work = tempfile::tempdir().unwrap();
    let dirs = dirs(work.path());
    std::fs::create_dir_all(&dirs.input).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let connect = ["--connect", addr.as_str()];

    let mut rng = Rng(0xfeed_beef);
    let words = ["alpha", "beta", "gamma", "delta", "eps"];
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    let mut child = spawn_with(&dirs, &connect);
    let mut conn: Option<std::net::TcpStream> = None;
    let mut kills = 0;
    for _ in 0..30 {
        // The receiver connects (again) to this server, which then sends a burst of lines.
        let stream = conn.get_or_insert_with(|| listener.accept().unwrap().0);
        let mut burst = String::new();
        for _ in 0..1 + rng.below(5) {
            let line: Vec<&str> = (0..1 + rng.below(8))
                .map(|_| words[rng.below(5) as usize])
                .collect();
            for w in &line {
                *expected.entry(w.to_string()).or_default() += 1;
            }
            burst.push_str(&line.join(" "));
            burst.push('\n');
        }
        stream.write_all(burst.as_bytes()).unwrap();
        // Every line sent is received and counted (so none is in flight in the kernel) ...
        let totals = wait_for_totals(&dirs.totals, &expected, Duration::from_secs(30));
        assert_eq!(totals, expected, "after {kills} kills");
        // ... then the process dies at a random moment relative to batches and checkpoints:
        // lines counted since the last checkpoint survive only through the write-ahead log.
        std::thread::sleep(Duration::from_millis(rng.below(300)));
        if rng.below(3) != 0 {
            child.kill().unwrap();
            child.wait().unwrap();
            kills += 1;
            conn = None;
            child = spawn_with(&dirs, &connect);
        }
    }
    assert!(kills >= 15, "only {kills} kills");
    let totals = wait_for_totals(&dirs.totals, &expected, Duration::from_secs(30));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        totals, expected,
        "after {kills} SIGKILLs every accepted line is counted exactly once"
    );
}

over_stores! {
    /// Over a local directory and an object store (`common::s3`).
    fn sigkill_at_random_moments_loses_and_duplicates_nothing(loc) {
        let work = tempfile::tempdir().unwrap();
        let dirs = dirs_checkpointing_to(work.path(), loc.path());
        std::fs::create_dir_all(&dirs.input).unwrap();
        std::fs::create_dir_all(&dirs.staging).unwrap();

        let mut rng = Rng(0x5eed_c0ffee);
        let words = ["alpha", "beta", "gamma", "delta", "eps"];
        let mut expected: BTreeMap<String, i64> = BTreeMap::new();
        let mut started_before_last = 0;
        let mut child = spawn(&dirs);
        // Files already in the directory when a pipeline first starts are not input (Spark's
        // newFilesOnly): start moving files in once the pipeline has started, which its
        // initial checkpoint marks.
        let started = Instant::now();
        while loc.checkpoint_files().is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the pipeline did not start"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let files = 60;
        let mut kills = 0;
        for i in 0..files {
            // A file of random words, moved in atomically.
            let text: Vec<&str> = (0..20 + rng.below(30))
                .map(|_| words[rng.below(5) as usize])
                .collect();
            for w in &text {
                *expected.entry(w.to_string()).or_default() += 1;
            }
            let name = format!("f{i:04}.txt");
            std::fs::write(dirs.staging.join(&name), text.join(" ")).unwrap();
            std::fs::rename(dirs.staging.join(&name), dirs.input.join(&name)).unwrap();
            std::thread::sleep(Duration::from_millis(50 + rng.below(250)));
            // Never more than the truth so far, whatever was killed when.
            for (w, n) in read_totals(&dirs.totals) {
                assert!(
                    n <= expected[&w],
                    "{w} counted {n} times, only {} written so far",
                    expected[&w]
                );
            }
            if i % 2 == 1 || rng.below(3) == 0 {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
                // A child killed before it started logged nothing: count what the next adds.
                started_before_last = starts(&dirs);
                child = spawn(&dirs);
            }
        }
        assert!(kills >= 20, "only {kills} kills");

        // Let the last run start and catch up, then stop it cleanly.
        let start_deadline = Instant::now() + Duration::from_secs(30);
        while starts(&dirs) <= started_before_last {
            assert!(
                Instant::now() < start_deadline,
                "the last run did not start"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut totals = read_totals(&dirs.totals);
        while totals != expected && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            totals = read_totals(&dirs.totals);
            for (w, n) in &totals {
                assert!(
                    *n <= expected[w],
                    "{w} counted {n} times, only {} written",
                    expected[w]
                );
            }
        }
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = child.wait().unwrap();
        let log = std::fs::read_to_string(&dirs.log).unwrap_or_default();
        assert_eq!(
            log.matches("starting fresh").count(),
            1,
            "only the first run starts fresh"
        );
        if totals != expected {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!(
                "children's log (last lines, newest first):\n{}",
                tail.join("\n")
            );
        }
        assert_eq!(
            totals, expected,
            "after {kills} SIGKILLs the totals equal an uninterrupted run"
        );
        assert!(exit.success(), "SIGTERM exits 0: {exit:?}");
    }
}

/// Event-time windows under SIGKILLs (`event_time_counts`: 10 s windows, watermark 30 s,
/// checkpointed every second): files of `"<time> <word>"` lines keep arriving, later files
/// later in event time, while the process is killed at random moments and restarted. Every
/// window is emitted with its true count — the open windows and the watermark come back
/// from the checkpoint — and a window emitted again after a restart has the same count.
#[test]
fn sigkill_with_event_time_windows_emits_every_window_with_its_true_count() {
    let work = tempfile::tempdir().unwrap();
    let (input, staging, checkpoint, out, log) = (
        work.path().join("in"),
        work.path().join("staging"),
        work.path().join("checkpoint"),
        work.path().join("windows.txt"),
        work.path().join("children.log"),
    );
    std::fs::create_dir_all(&input).unwrap();
    std::fs::create_dir_all(&staging).unwrap();
    let spawn = || {
        Command::new(example_path("event_time_counts"))
            .arg("--input")
            .arg(&input)
            .arg("--checkpoint")
            .arg(&checkpoint)
            .arg("--out")
            .arg(&out)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(append_to(&log))
            .spawn()
            .unwrap()
    };
    let mut child = spawn();
    let started = Instant::now();
    while std::fs::read_dir(&checkpoint).map_or(true, |mut d| d.next().is_none()) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the pipeline did not start"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let base = 1_000_000i64;
    let words = ["alpha", "beta", "gamma"];
    let mut rng = Rng(0x0e7e_171e);
    // (window start, word) -> count, for the windows the last file closes.
    let mut expected: BTreeMap<(i64, String), i64> = BTreeMap::new();
    let mut kills = 0;
    let files = 40;
    for i in 0..=files {
        // File i holds times in [base + 5i, base + 5i + 5); the last one, far later, closes
        // every window before it.
        let lines: Vec<String> = if i == files {
            vec![format!("{} end", base + 100_000)]
        } else {
            (0..5 + rng.below(20))
                .map(|_| {
                    let t = base + 5 * i64::from(i) + rng.below(5) as i64;
                    let w = words[rng.below(3) as usize];
                    *expected
                        .entry((t - t.rem_euclid(10), w.to_string()))
                        .or_default() += 1;
                    format!("{t} {w}")
                })
                .collect()
        };
        let name = format!("f{i:04}.txt");
        std::fs::write(staging.join(&name), lines.join("\n")).unwrap();
        std::fs::rename(staging.join(&name), input.join(&name)).unwrap();
        std::thread::sleep(Duration::from_millis(50 + rng.below(300)));
        if i < files && rng.below(2) == 0 {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
            child = spawn();
        }
    }
    // Every window, each emission of it with the same count.
    let read = || -> (BTreeMap<(i64, String), i64>, Vec<String>) {
        let mut got = BTreeMap::new();
        let mut conflicts = Vec::new();
        for line in std::fs::read_to_string(&out).unwrap_or_default().lines() {
            let f: Vec<&str> = line.split(' ').collect();
            let (Some(start), Some(word), Some(n)) = (f.first(), f.get(1), f.get(2)) else {
                continue;
            };
            let (Ok(start), Ok(n)) = (start.parse::<i64>(), n.parse::<i64>()) else {
                continue;
            };
            if let Some(old) = got.insert((start, word.to_string()), n) {
                if old != n {
                    conflicts.push(format!("{start} {word}: {old} then {n}"));
                }
            }
        }
        (got, conflicts)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let (got, conflicts) = loop {
        let (got, conflicts) = read();
        if got == expected || !conflicts.is_empty() || Instant::now() >= deadline {
            break (got, conflicts);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(kills >= 10, "only {kills} kills");
    assert!(
        conflicts.is_empty(),
        "a window emitted with two counts: {conflicts:?}"
    );
    assert_eq!(got, expected, "after {kills} SIGKILLs");
}
