//! Inputs and helpers shared by the benchmarks: real data from ../shared/data when it is
//! there, generated look-alikes otherwise, so every bench runs on a fresh clone.

#![allow(dead_code)] // each bench uses part of this module

use streaming::prelude::*;

fn shared_or(path: &str, generate: impl FnOnce() -> String) -> String {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => generate(),
    }
}

/// 100,000 tweets, one per line: the file named by `STREAMING_BENCH_TWEETS` (so that
/// scripts/spark/side_by_side.sh gives Spark and us one file), else
/// ../shared/data/tweeteval_emoji_tweets.txt, else generated.
pub fn tweets_text() -> String {
    let path = std::env::var("STREAMING_BENCH_TWEETS").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/tweeteval_emoji_tweets.txt"
        )
        .to_string()
    });
    shared_or(&path, || {
        (0..100_000)
            .map(|i| format!("some words #tag{} more #t{} words here\n", i % 211, i % 7))
            .collect()
    })
}

/// Book text: ../shared/data/norvig_big.txt (128,457 lines), else 128,000 generated lines.
pub fn books_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/norvig_big.txt");
    shared_or(path, || {
        let words = [
            "the", "of", "and", "to", "a", "in", "that", "is", "was", "he",
        ];
        (0..128_000)
            .map(|i| {
                let mut line: Vec<String> = (0..10)
                    .map(|j| words[(i * 7 + j * 3) % words.len()].to_string())
                    .collect();
                line.push(format!("word{}", i % 5000));
                line.join(" ") + "\n"
            })
            .collect()
    })
}

/// The lines of `text`, leaked once so a batch can hold `&'static str` as a line source's
/// batch holds `&str`.
pub fn leaked_lines(text: String) -> Vec<&'static str> {
    let text: &'static str = Box::leak(text.into_boxed_str());
    text.lines().collect()
}

/// Runs the pipeline's one batch. The pipeline is dropped inside the timing, as a
/// hand-written loop drops its map: kept alive, each sample's pipelines hold their memory
/// and the next one runs on cold pages (+25% here).
pub fn run_one(mut p: Pipeline) -> Result<(), String> {
    p.run_batches(1).map_err(|e| e.to_string())
}
