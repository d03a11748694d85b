//! Structured Streaming's windowed word count with a watermark
//! (`groupBy(window($"timestamp", "10 minutes", "5 minutes"), $"word").count()` after
//! `withWatermark("timestamp", "10 minutes")`): lines `"<epoch seconds> <words...>"`, words
//! counted per 10-minute window sliding by 5 minutes of *event* time, each window printed
//! once, when the watermark (the latest event time seen minus 10 minutes) passes its end.
//! Rows for windows that have closed are late: dropped, and counted in the log.
//!
//! ```text
//! cargo run --release --example structured_word_count                    # built-in producer
//! cargo run --release --example structured_word_count -- --connect localhost:9999
//! ```
//! The built-in producer's clock runs 60× faster than the wall clock (a minute of event
//! time per second), so windows close within seconds; a few lines come a few minutes out
//! of order (still counted) and a few 25 minutes late (dropped).

mod common;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

fn job(host: String, port: u16) -> Pipeline {
    let mut pipeline = stream_pipeline! {
        batch 1s;
        source socket(host, port)
            |> map(parse)
            |> event_time(|(t, _)| *t) watermark 10m
            |> flat_map |(_, words)| words.split_whitespace()
            |> event_window(10m, 5m) count_by_value
            |> print(20)
    };
    pipeline.on_batch_completed(report_late_rows);
    pipeline
}

/// `"<epoch seconds> <words...>"` → (event time, the words); a line without a number is
/// stamped at 0 (and so dropped as late).
fn parse(line: &str) -> (Timestamp, &str) {
    let (t, words) = line.split_once(' ').unwrap_or((line, ""));
    (Timestamp::from_secs(t.trim().parse().unwrap_or(0)), words)
}

/// Generated lines, stamped when they are sent: event time runs a minute per second from
/// now; one line in 40 is up to 4 minutes out of order, one in 200 is 25 minutes late.
fn generated() -> LineFeed {
    const WORDS: &[&str] = &["owl", "cat", "dog", "fox", "hen", "elk", "yak", "emu"];
    LineFeed::from_fn(|| {
        let start = Instant::now();
        let base = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut rng = common::Rng::new(11);
        std::iter::from_fn(move || {
            let event = base + (start.elapsed().as_secs_f64() * 60.0) as i64;
            let event = match rng.below(200) {
                0 => event - 25 * 60,
                1..=5 => event - rng.below(240) as i64,
                _ => event,
            };
            let words: Vec<&str> = (0..1 + rng.below(3))
                .map(|_| WORDS[rng.skewed(WORDS.len())])
                .collect();
            Some(format!("{event} {}", words.join(" ")))
        })
    })
}

/// Says on stderr how many rows a batch dropped as late.
fn report_late_rows(info: &BatchInfo) {
    if info.late_rows > 0 {
        eprintln!(
            "batch {}: {} late rows dropped (their windows had closed)",
            info.batch_time, info.late_rows
        );
    }
}

#[tokio::main]
async fn main() -> common::Result {
    common::SocketArgs::parse().run(generated(), job).await
}
