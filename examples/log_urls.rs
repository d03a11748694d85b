//! Top requested URLs over the last 5 minutes, every second, from Apache combined-format
//! access logs (the Spark course's Flume example). Malformed lines are counted and
//! reported on stderr, never fatal.
//!
//! ```text
//! cargo run --release --example log_urls
//! cargo run --release --example log_urls -- --file data/access_with_attacks.log
//! ```

mod common;

use clap::Parser;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

fn job(host: String, port: u16) -> Pipeline {
    stream_pipeline! {
        batch 1s;
        let logs = source socket(host, port);
        logs |> flat_map |line| url_of(line)
             |> window(300s, 1s) reduce(+, -)
             |> sort desc
             |> print;
        logs |> filter |line| url_of(line).is_none()
             |> count
             |> foreach_batch(|time, n| {
                 if n[0] > 0 {
                     eprintln!("{time}: {} malformed lines skipped", n[0]);
                 }
             })
    }
}

/// The URL of a combined-format line: the second word of the first quoted field (the
/// request, e.g. `"GET /index.html HTTP/1.1"`). Quotes escaped as `\"` inside the request
/// are skipped over. `None` for a line without a well-formed request.
fn url_of(line: &str) -> Option<&str> {
    let start = line.find('"')? + 1;
    let bytes = line.as_bytes();
    let mut end = None;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => {
                end = Some(i);
                break;
            }
            _ => i += 1,
        }
    }
    let request = line.get(start..end?)?;
    let mut words = request.split_whitespace();
    let (_method, url) = (words.next()?, words.next()?);
    url.starts_with('/')
        .then_some(url)
        .or_else(|| url.contains("://").then_some(url))
}

/// Generated logs with some junk mixed in, as real logs have.
fn generated() -> LineFeed {
    let mut lines = common::access_logs(20_000, 13);
    for i in (0..lines.len()).step_by(97) {
        lines[i] = match i % 3 {
            0 => "\u{1}\u{2} binary junk".to_string(),
            1 => lines[i].replace("\" 200", " 200"), // a truncated quote
            _ => String::from("GET"),
        };
    }
    LineFeed::from_lines(lines)
}

#[tokio::main]
async fn main() -> common::Result {
    common::SocketArgs::parse().run(generated(), job).await
}
