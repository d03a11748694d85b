//! The examples as real processes: they build, run alone (built-in producers on 127.0.0.1),
//! print Spark's layout, and stop cleanly on SIGTERM, after `--seconds`, or at end of input.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// An example as a process, logging warnings only.
fn example(name: &str) -> Command {
    let mut cmd = Command::new(common::process::example_path(name));
    cmd.env("RUST_LOG", "warn");
    cmd
}

/// Runs an example to completion; it must succeed. Returns (stdout, stderr).
fn run_example(name: &str, args: &[&str]) -> (String, String) {
    let out = example(name).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{name} failed: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

fn spark_blocks(stdout: &str) -> usize {
    stdout
        .matches("-------------------------------------------\nTime: ")
        .count()
}

#[test]
fn hashtags_prints_top_hashtags_every_batch() {
    let (stdout, _) = run_example("hashtags", &["--seconds", "3", "--rate", "5000"]);
    assert!(spark_blocks(&stdout) >= 2, "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("(#") && l.ends_with(')')),
        "{stdout}"
    );
    // Every Time line is a whole number of ms aligned to the 1 s batch.
    for line in stdout.lines().filter(|l| l.starts_with("Time: ")) {
        let ms: u64 = line
            .trim_start_matches("Time: ")
            .trim_end_matches(" ms")
            .parse()
            .unwrap();
        assert_eq!(ms % 1000, 0, "{line}");
    }
}

#[test]
fn kb_requests_prints_counts_and_saves_batches() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("kbreqs");
    let (stdout, _) = run_example(
        "kb_requests",
        &["--seconds", "3", "--out", prefix.to_str().unwrap()],
    );
    assert!(stdout.contains("Number of KB requests: "), "{stdout}");
    let saved: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!saved.is_empty());
    for d in &saved {
        let name = d.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("kbreqs-") && name[7..].parse::<u64>().is_ok(),
            "{name}"
        );
        let part = std::fs::read_to_string(d.join("part-00000")).unwrap();
        assert!(part.lines().all(|l| l.contains("KBDOC")));
        assert!(d.join("_SUCCESS").exists());
    }
}

/// The example started with its stdout to read, its stderr dropped.
fn with_stdout(name: &str) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut child = example(name)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdout)
}

/// Spark's SqlNetworkWordCount: a per-batch query's result printed as the console sink's
/// table.
#[test]
fn sql_word_count_prints_tables() {
    let (mut child, mut stdout) = with_stdout("sql_word_count");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    let mut line = String::new();
    // Lines up to the first row of a table: `|word|total|`, its rule, then `|  cat|  3|`.
    let mut lines_since_header = None;
    let row = loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0 && Instant::now() < deadline,
            "no table with a row printed: {seen}"
        );
        seen.push_str(&line);
        lines_since_header = match (line.trim_end(), lines_since_header) {
            (l, _) if l.replace(' ', "") == "|word|total|" => Some(0),
            (l, Some(1)) if l.starts_with('|') => break l.to_owned(),
            (_, Some(n)) => Some(n + 1),
            (_, None) => None,
        };
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.contains("Batch: "), "{seen}");
    let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
    assert!(
        cells.len() == 2 && cells[1].parse::<u64>().is_ok_and(|n| n > 0),
        "a row: {row}"
    );
}

#[test]
fn sigterm_stops_cleanly() {
    let (mut child, mut stdout) = with_stdout("network_word_count");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut line = String::new();
    while !line.starts_with("Time: ") {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0 && Instant::now() < deadline,
            "no batch printed"
        );
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let code = child.wait().unwrap();
    assert!(code.success(), "exit {code:?}");
    assert!(
        rest.is_empty() || rest.ends_with("\n\n"),
        "output must end with a whole batch: {rest:?}"
    );
}

/// `cargo run --example hashtags | head`: when the reader closes the pipe, the example
/// stops quietly with status 0, as Unix tools do.
#[test]
fn a_closed_stdout_pipe_stops_quietly_with_status_zero() {
    let mut child = example("hashtags")
        .args(["--rate", "5000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    for _ in 0..3 {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "no output");
    }
    drop(stdout); // `head -3` exits
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running after its stdout closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "exit {status:?}: {stderr}");
    assert!(!stderr.contains("Error"), "{stderr}");
}

#[test]
fn stdin_pipeline_ends_at_end_of_input() {
    let mut child = example("stdin_word_count")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for _ in 0..1000 {
            stdin.write_all(b"Apple apple banana\n").unwrap();
        }
    } // EOF
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut apples = 0;
    let mut bananas = 0;
    for l in stdout.lines() {
        if let Some(n) = l.strip_prefix("(apple,").and_then(|r| r.strip_suffix(')')) {
            apples += n.parse::<u64>().unwrap();
        }
        if let Some(n) = l.strip_prefix("(banana,").and_then(|r| r.strip_suffix(')')) {
            bananas += n.parse::<u64>().unwrap();
        }
    }
    assert_eq!((apples, bananas), (2000, 1000), "{stdout}");
}

#[test]
fn user_requests_prints_window_counts_and_running_totals() {
    let (stdout, _) = run_example("user_requests", &["--seconds", "4", "--rate", "2000"]);
    // The window count appears every 2 s as a bare number; the totals every second as pairs.
    assert!(
        stdout
            .lines()
            .any(|l| l.parse::<u64>().is_ok_and(|n| n > 0)),
        "{stdout}"
    );
    let totals: Vec<u64> = stdout
        .lines()
        .filter_map(|l| {
            l.strip_prefix('(')?
                .strip_suffix(')')?
                .rsplit_once(',')?
                .1
                .parse()
                .ok()
        })
        .collect();
    assert!(!totals.is_empty(), "{stdout}");
}

#[test]
fn happiest_words_ranks_words_by_sentiment() {
    let (stdout, _) = run_example("happiest_words", &["--seconds", "5", "--rate", "3000"]);
    // Every printed pair is a word of the sample table with a non-zero happiness.
    let known = [
        "love", "loving", "great", "fun", "happy", "good", "awesome", "new", "sad", "bad", "hate",
        "slow",
    ];
    let pairs: Vec<(String, i64)> = stdout
        .lines()
        .filter_map(|l| {
            let (w, n) = l.strip_prefix('(')?.strip_suffix(')')?.rsplit_once(',')?;
            Some((w.to_string(), n.parse().ok()?))
        })
        .collect();
    assert!(!pairs.is_empty(), "{stdout}");
    assert!(
        pairs.iter().all(|(w, _)| known.contains(&w.as_str())),
        "{stdout}"
    );
}

#[test]
fn structured_word_count_prints_closed_event_time_windows_and_counts_late_rows() {
    let (stdout, stderr) = run_example(
        "structured_word_count",
        &["--seconds", "16", "--rate", "300"],
    );
    // `(([start, end],word),count)` with 10-minute windows sliding by 5 minutes.
    let windows: Vec<(String, String)> = stdout
        .lines()
        .filter_map(|l| {
            let (w, _) = l.strip_prefix("(([")?.split_once("],")?;
            let (start, end) = w.split_once(", ")?;
            Some((start.to_string(), end.to_string()))
        })
        .collect();
    assert!(!windows.is_empty(), "{stdout}");
    for (start, end) in &windows {
        let minute = |t: &str| -> i64 {
            let (h, m) = (t.get(11..13).unwrap_or("0"), t.get(14..16).unwrap_or("0"));
            h.parse::<i64>().unwrap_or(0) * 60 + m.parse::<i64>().unwrap_or(0)
        };
        assert_eq!(
            (minute(end) - minute(start)).rem_euclid(24 * 60),
            10,
            "{start} {end}"
        );
        assert_eq!(minute(start) % 5, 0, "{start}");
    }
    assert!(stderr.contains("late rows dropped"), "{stderr}");
}

#[test]
fn log_urls_counts_urls_and_reports_malformed_lines() {
    let (stdout, stderr) = run_example("log_urls", &["--seconds", "3", "--rate", "3000"]);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("(/") && l.ends_with(')')),
        "{stdout}"
    );
    assert!(stderr.contains("malformed lines skipped"), "{stderr}");
}

#[cfg(feature = "kafka")]
#[test]
fn kafka_hashtags_reads_its_own_broker_and_prints_top_hashtags() {
    let (stdout, stderr) = run_example("kafka_hashtags", &["--seconds", "4", "--rate", "5000"]);
    assert!(spark_blocks(&stdout) >= 2, "{stdout}\n{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("(#") && l.ends_with(')')),
        "{stdout}\n{stderr}"
    );
}

#[cfg(feature = "kafka")]
#[test]
fn kafka_word_count_counts_into_totals_and_an_output_topic() {
    let work = tempfile::tempdir().unwrap();
    let totals = work.path().join("totals.txt");
    let checkpoint = work.path().join("cp");
    let (stdout, stderr) = run_example(
        "kafka_word_count",
        &[
            "--seconds",
            "4",
            "--checkpoint",
            checkpoint.to_str().unwrap(),
            "--totals",
            totals.to_str().unwrap(),
        ],
    );
    assert!(spark_blocks(&stdout) >= 2, "{stdout}\n{stderr}");
    let counted: i64 = common::process::read_totals(&totals).values().sum();
    assert!(counted > 100, "{counted} words counted\n{stderr}");
}

#[cfg(feature = "kafka")]
#[test]
fn replay_writes_a_file_to_a_kafka_topic() {
    let broker = common::kafka::Broker::start();
    broker.create_topic("lines", 2);
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("in.txt");
    std::fs::write(&file, "one\ntwo\nthree\n").unwrap();
    run_example(
        "replay",
        &[
            file.to_str().unwrap(),
            "--kafka",
            &broker.addr(),
            "--topic",
            "lines",
            "--once",
            "--rate",
            "0",
        ],
    );
    let mut got: Vec<String> = broker.read_all("lines").into_iter().map(|r| r.2).collect();
    got.sort();
    assert_eq!(got, ["one", "three", "two"]);
}

#[test]
fn streaming_kmeans_predicts_one_cluster_per_center() {
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = (dir.path().join("train"), dir.path().join("test"));
    let (train, test) = (train.to_str().unwrap(), test.to_str().unwrap());
    let args = ["--seconds", "5", "--train", train, "--test", test];
    let (stdout, stderr) = run_example("streaming_kmeans", &args);
    // `(label,cluster)`; after the first batches each center's points share one cluster.
    let pairs: Vec<(String, String)> = stdout
        .lines()
        .filter_map(|l| {
            let (label, cluster) = l.strip_prefix('(')?.strip_suffix(')')?.split_once(',')?;
            Some((label.to_string(), cluster.to_string()))
        })
        .collect();
    assert!(pairs.len() >= 6, "{stdout}");
    let last = &pairs[pairs.len() - 3..];
    let mut clusters: Vec<&str> = last.iter().map(|(_, c)| c.as_str()).collect();
    clusters.sort();
    clusters.dedup();
    assert_eq!(clusters.len(), 3, "{stdout}");
    assert!(stderr.contains("final centers: ["), "{stderr}");
}

#[test]
fn streaming_linear_regression_finds_the_weights() {
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = (dir.path().join("train"), dir.path().join("test"));
    let (train, test) = (train.to_str().unwrap(), test.to_str().unwrap());
    let args = ["--seconds", "5", "--train", train, "--test", test];
    let (stdout, stderr) = run_example("streaming_linear_regression", &args);
    assert!(spark_blocks(&stdout) >= 3, "{stdout}");
    // `final model: weights=[w1,w2,w3], ...`: near (2, -3, 0.5) after a few batches.
    let weights: Vec<f64> = stderr
        .split("final model: weights=[")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_default();
    assert_eq!(weights.len(), 3, "{stderr}");
    for (w, want) in weights.iter().zip([2.0, -3.0, 0.5]) {
        assert!((w - want).abs() < 0.2, "{weights:?}");
    }
}
