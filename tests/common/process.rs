//! Examples run as real processes: where `cargo test` built them, a seeded generator for
//! random kill moments, and the running totals they write.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `cargo test` builds the examples next to the test binaries' parent directory.
pub fn example_path(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop(); // deps
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built (cargo test builds examples)",
        path.display()
    );
    path
}

/// Appends a child's output to the log file `path` (several runs share one log).
pub fn append_to(path: &Path) -> std::process::Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into()
}

/// xorshift64: the same random moments on every run of a test.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A totals file: `word count` per line.
pub fn read_totals(path: &Path) -> BTreeMap<String, i64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (w, n) = l.rsplit_once(' ')?;
            Some((w.to_string(), n.parse().ok()?))
        })
        .collect()
}

/// The totals of every `totals-*.txt` file in `dir` (one per partition of a cluster job),
/// summed per word.
pub fn read_totals_dir(dir: &Path) -> BTreeMap<String, i64> {
    let mut sum = BTreeMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("totals-") && name.ends_with(".txt") {
            for (w, n) in read_totals(&entry.path()) {
                *sum.entry(w).or_default() += n;
            }
        }
    }
    sum
}

/// Waits until the totals file equals `expected`, checking on the way that no count ever
/// exceeds it (nothing counted twice). Returns the last totals read.
pub fn wait_for_totals(
    path: &Path,
    expected: &BTreeMap<String, i64>,
    within: Duration,
) -> BTreeMap<String, i64> {
    wait_for(|| read_totals(path), expected, within)
}

/// Waits until `read` gives `expected` (values may go up and down on the way: a ranking);
/// returns the last value read.
pub fn wait_until_equal<T: PartialEq>(read: impl Fn() -> T, expected: &T, within: Duration) -> T {
    let deadline = Instant::now() + within;
    loop {
        let got = read();
        if &got == expected || Instant::now() >= deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Like [`wait_for_totals`], with the totals read by `read`.
pub fn wait_for(
    read: impl Fn() -> BTreeMap<String, i64>,
    expected: &BTreeMap<String, i64>,
    within: Duration,
) -> BTreeMap<String, i64> {
    let deadline = Instant::now() + within;
    loop {
        let totals = read();
        for (w, n) in &totals {
            assert!(
                *n <= expected.get(w).copied().unwrap_or(0),
                "{w} counted {n} times, only {:?} sent",
                expected.get(w)
            );
        }
        if &totals == expected || Instant::now() >= deadline {
            return totals;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The logs of a test's child processes: each child writes its own file under `dir`, all
/// of them are searched together, and when the test fails (the guard is dropped while
/// panicking) they are copied to `target/test-logs/<name>/` whole, so a failure in CI can
/// be read after the temporary directory is gone.
pub struct Logs {
    dir: PathBuf,
    name: String,
    next: std::cell::Cell<usize>,
}

impl Logs {
    pub fn new(dir: &Path, name: &str) -> Logs {
        let dir = dir.join("logs");
        std::fs::create_dir_all(&dir).unwrap();
        Logs {
            dir,
            name: name.to_string(),
            next: std::cell::Cell::new(0),
        }
    }

    /// A new log file for a child named `what` (`what-<n>.log`).
    pub fn file(&self, what: &str) -> PathBuf {
        let n = self.next.get();
        self.next.set(n + 1);
        self.dir.join(format!("{what}-{n}.log"))
    }

    /// Every child's log, each under a header naming its file.
    pub fn all(&self) -> String {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(f).unwrap_or_default();
                format!("==== {}\n{text}", f.display())
            })
            .collect()
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let keep = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/test-logs")
            .join(&self.name);
        let _ = std::fs::create_dir_all(&keep);
        for entry in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let _ = std::fs::copy(entry.path(), keep.join(entry.file_name()));
        }
        eprintln!("the children's logs are kept in {}", keep.display());
    }
}

/// A child process with its own log file.
pub struct Proc {
    pub child: std::process::Child,
    pub log: PathBuf,
}

impl Proc {
    /// SIGTERM, then waits: a clean stop exits 0. Panics with the child's whole log
    /// otherwise (an exit before the signal shows as the status it exited with).
    pub fn terminate(mut self) {
        let before = self.child.try_wait().ok().flatten();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().unwrap();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        assert!(
            status.success(),
            "{} {}: {status:?}; its log:\n{log}",
            self.log.display(),
            match before {
                Some(_) => "had exited on its own before SIGTERM",
                None => "did not exit 0 on SIGTERM",
            },
        );
    }

    /// SIGKILL, and waits.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends `signal` (`"STOP"`, `"CONT"`).
    pub fn signal(&self, signal: &str) {
        let ok = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -{signal} {}", self.child.id());
    }
}

/// A child left running when its test fails is killed, not left to disturb the next test.
impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
