//! Spark's SqlNetworkWordCount: words received from a TCP server, counted every second by a
//! SQL query, compiled with the pipeline (a misspelled column is a compile error), and
//! printed as Structured Streaming's console sink prints a batch.
//!
//! ```text
//! cargo run --release --example sql_word_count                    # built-in producer
//! cargo run --release --example sql_word_count -- --connect localhost:9999
//! ```
//! With `--connect`, feed it with `nc -lk 9999` or the `replay` example.

mod common;

use clap::Parser;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

fn job(host: String, port: u16) -> Pipeline {
    stream_pipeline! {
        batch 1s;
        let words = source socket(host, port) |> flat_map split;
        sql("SELECT word, count(*) AS total FROM words AS w(word)
             GROUP BY word ORDER BY total DESC, word LIMIT 10")
            |> print
    }
}

#[tokio::main]
async fn main() -> common::Result {
    let sentences = LineFeed::from_lines(common::sentences(10_000, 3));
    common::SocketArgs::parse().run(sentences, job).await
}
