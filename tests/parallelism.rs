//! `parallelism 2` gives the same results as `parallelism 1` on real data (the tweets in
//! ../shared/data when present, generated lines otherwise), read through `text_files` so
//! the batch is one `LineBlock` cut into runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use streaming::prelude::*;

fn input_file(dir: &Path) -> PathBuf {
    let real =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/tweeteval_emoji_tweets.txt");
    let target = dir.join("incoming.txt");
    if real.exists() {
        std::fs::copy(&real, &target).unwrap();
    } else {
        eprintln!("note: {} not found; using generated tweets", real.display());
        let lines: Vec<String> = (0..100_000)
            .map(|i| format!("tweet {i} #tag{} #t{} words", i % 101, i % 7))
            .collect();
        std::fs::write(&target, lines.join("\n")).unwrap();
    }
    target
}

fn hashtag_counts(parallelism: usize) -> (Vec<(String, i64)>, String) {
    let work = tempfile::tempdir().unwrap();
    let watched = work.path().join("in");
    std::fs::create_dir(&watched).unwrap();
    let out = Collector::new();
    let watched_dir = watched.clone();
    let mut p = stream_pipeline! {
        batch 1s;
        parallelism { parallelism };
        source text_files(watched_dir)
            |> flat_map split
            |> filter starts_with("#")
            |> reduce_by_key(+)
            |> sort desc
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    let file = input_file(work.path());
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|_| String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned());
    std::fs::rename(&file, watched.join("tweets.txt")).unwrap();
    p.run_batches(1).unwrap();
    let batches = out.batches();
    assert!(batches[0].1.is_empty());
    (batches[1].1.clone(), text)
}

#[test]
fn parallel_batches_equal_sequential_and_a_plain_loop() {
    let (one, text) = hashtag_counts(1);
    let (two, _) = hashtag_counts(2);
    assert!(!one.is_empty());
    assert_eq!(one, two);

    // The same job as a plain Rust loop.
    let mut naive: HashMap<&str, i64> = HashMap::new();
    for w in text
        .lines()
        .flat_map(str::split_whitespace)
        .filter(|w| w.starts_with('#'))
    {
        *naive.entry(w).or_default() += 1;
    }
    let mut naive: Vec<(String, i64)> =
        naive.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    naive.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    assert_eq!(one, naive);
}
