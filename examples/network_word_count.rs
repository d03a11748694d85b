//! Spark's NetworkWordCount: counts words in text received from a TCP server every second.
//!
//! ```text
//! cargo run --release --example network_word_count                    # built-in producer
//! cargo run --release --example network_word_count -- --connect localhost:9999
//! ```
//! With `--connect`, feed it with `nc -lk 9999` or the `replay` example.

mod common;

use clap::Parser;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

fn job(host: String, port: u16) -> Pipeline {
    stream_pipeline! {
        batch 1s;
        source socket(host, port)
            |> flat_map split
            |> map |word| (word, 1)
            |> reduce_by_key(+)
            |> print
    }
}

#[tokio::main]
async fn main() -> common::Result {
    let sentences = LineFeed::from_lines(common::sentences(10_000, 3));
    common::SocketArgs::parse().run(sentences, job).await
}
