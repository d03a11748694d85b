//! Crash recovery with a real process, real clock and short batches: `running_counts`
//! (text_files → update_state_by_key + a windowed reduce, checkpointed every second) is
//! killed with SIGKILL at 20+ seeded random moments while files keep arriving, and restarted
//! each time. At the end its running totals equal the true word counts of all files: no
//! word lost, none counted twice — the same as an uninterrupted run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn example_path(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join("examples").join(name)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn spawn(dirs: &Dirs) -> Child {
    Command::new(example_path("running_counts"))
        .args(["--no-producer", "--input"])
        .arg(&dirs.input)
        .arg("--checkpoint")
        .arg(&dirs.checkpoint)
        .arg("--totals")
        .arg(&dirs.totals)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&dirs.log)
                .unwrap(),
        )
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

fn read_totals(path: &Path) -> BTreeMap<String, i64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (w, n) = l.rsplit_once(' ')?;
            Some((w.to_string(), n.parse().ok()?))
        })
        .collect()
}

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    let exe = example_path("running_counts");
    assert!(
        exe.exists(),
        "{} not built (cargo test builds examples)",
        exe.display()
    );
    let work = tempfile::tempdir().unwrap();
    let dirs = Dirs {
        input: work.path().join("in"),
        staging: work.path().join("staging"),
        checkpoint: work.path().join("checkpoint"),
        totals: work.path().join("totals.txt"),
        log: work.path().join("children.log"),
    };
    std::fs::create_dir_all(&dirs.input).unwrap();
    std::fs::create_dir_all(&dirs.staging).unwrap();

    let mut rng = Rng(0x5eed_c0ffee);
    let words = ["alpha", "beta", "gamma", "delta", "eps"];
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    let mut child = spawn(&dirs);
    // Files already in the directory when a pipeline first starts are not input (Spark's
    // newFilesOnly): start moving files in once the pipeline has started, which its
    // initial checkpoint marks.
    let started = Instant::now();
    while std::fs::read_dir(&dirs.checkpoint).map_or(true, |mut d| d.next().is_none()) {
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
            child = spawn(&dirs);
        }
    }
    assert!(kills >= 20, "only {kills} kills");

    // Let the last run start and catch up, then stop it cleanly.
    let spawned = kills + 1;
    let start_deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&dirs.log)
        .unwrap_or_default()
        .matches("pipeline started")
        .count()
        < spawned
    {
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
