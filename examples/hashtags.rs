//! The card's hashtag job: top hashtags over the last 5 minutes, every second, in Spark's
//! print layout.
//!
//! ```text
//! cargo run --release --example hashtags                      # built-in tweet producer
//! cargo run --release --example hashtags -- --connect localhost:9999
//! cargo run --release --example hashtags -- --file data/tweets.txt
//! ```

mod common;

use clap::Parser;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

fn job(host: String, port: u16) -> Pipeline {
    stream_pipeline! {
        batch 1s;
        source socket(host, port)
            |> flat_map split
            |> filter starts_with("#")
            |> window(300s, 1s) reduce(+, -)
            |> sort desc
            |> print
    }
}

/// Counts hashtags over a 300 s window sliding every second and prints the top ones, like
/// Spark's TwitterPopularTags.
#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    socket: common::SocketArgs,
}

#[tokio::main]
async fn main() -> common::Result {
    let tweets = LineFeed::from_lines(common::tweets(50_000, 7));
    Cli::parse().socket.run(tweets, job).await
}
