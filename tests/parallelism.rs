//! `parallelism 2` gives the same results as `parallelism 1` on real data (the repository's
//! sample of tweets, `data/tweets.txt`), read through `text_files` so
//! the batch is one `LineBlock` cut into runs. Two batches of the same file: the second is
//! folded the way the first one's sizes choose (hashtags repeat seldom: runs hand their
//! pairs to the shards unfolded), and `sort desc |> take(10)` picks per shard.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use streaming::prelude::*;

fn input_file(dir: &Path) -> PathBuf {
    // The repository's sample of real tweets (data/README.md): 10,000 lines, more than
    // `parallelism 2` needs to split a batch (4,096 elements a thread).
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tweets.txt");
    let target = dir.join("incoming.txt");
    std::fs::copy(&real, &target).unwrap_or_else(|e| panic!("{}: {e}", real.display()));
    target
}

/// The counts of each of two batches (the same file twice), sorted, and their top 10.
type Counts = Vec<(String, i64)>;

fn hashtag_counts(parallelism: usize) -> ([Counts; 2], [Counts; 2], String) {
    let work = tempfile::tempdir().unwrap();
    let watched = work.path().join("in");
    std::fs::create_dir(&watched).unwrap();
    let (out, top) = (Collector::new(), Collector::new());
    let (all_dir, top_dir) = (watched.clone(), watched.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        parallelism { parallelism };
        source text_files(all_dir)
            |> flat_map split
            |> filter starts_with("#")
            |> reduce_by_key(+)
            |> sort desc
            |> collect(out);
        source text_files(top_dir)
            |> flat_map split
            |> filter starts_with("#")
            |> reduce_by_key(+)
            |> sort desc
            |> take(10)
            |> collect(top)
    };
    p.run_batches(1).unwrap();
    let file = input_file(work.path());
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|_| String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned());
    std::fs::copy(&file, watched.join("tweets-1.txt")).unwrap();
    p.run_batches(1).unwrap();
    std::fs::rename(&file, watched.join("tweets-2.txt")).unwrap();
    p.run_batches(1).unwrap();
    let (batches, tops) = (out.batches(), top.batches());
    assert!(batches[0].1.is_empty());
    let pick = |b: &[(BatchTime, Counts)]| [b[1].1.clone(), b[2].1.clone()];
    (pick(&batches), pick(&tops), text)
}

#[test]
fn parallel_batches_equal_sequential_and_a_plain_loop() {
    let (one, one_top, text) = hashtag_counts(1);
    let (two, two_top, _) = hashtag_counts(2);
    assert!(!one[0].is_empty());
    assert_eq!(one, two);
    assert_eq!(one_top, two_top);
    assert_eq!(one[0], one[1], "the same file twice");
    assert_eq!(one_top[1][..], one[1][..10]);

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
    assert_eq!(one[0], naive);
}
