//! The card's hashtag job reading tweets from Kafka: top hashtags over the last 5 minutes,
//! every second, in Spark's print layout — the same pipeline as `hashtags`, with
//! `source kafka(..)` in place of the socket.
//!
//! ```text
//! cargo run --release --features kafka --example kafka_hashtags       # embedded broker + producer
//! cargo run --release --features kafka --example kafka_hashtags -- --brokers host:9092 --topic tweets
//! ```
//! Without `--brokers` it starts a tansu broker on a free 127.0.0.1 port and writes
//! generated tweets (or `--file`'s lines) to the topic. To feed a real cluster, use the
//! `replay` example: `cargo run --release --features kafka --example replay -- FILE --kafka
//! host:9092 --topic tweets`.

mod common;

use std::path::PathBuf;

use clap::Parser;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

fn job(brokers: String, topic: String) -> Pipeline {
    stream_pipeline! {
        batch 1s;
        source kafka(brokers, topic)
            |> flat_map split
            |> filter starts_with("#")
            |> window(300s, 1s) reduce(+, -)
            |> sort desc
            |> print
    }
}

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    ui: common::UiArgs,
    #[command(flatten)]
    kafka: common::KafkaArgs,
    /// Topic of tweets, one per record.
    #[arg(long, default_value = "tweets")]
    topic: String,
    /// The built-in producer writes this file's lines instead of generated tweets.
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> common::Result {
    let cli = Cli::parse();
    let tweets = LineFeed::from_lines(common::tweets(50_000, 7));
    let feed = common::file_or(cli.file.as_deref(), tweets)?;
    let topics = [(cli.topic.as_str(), 2)];
    let job = |brokers| job(brokers, cli.topic.clone());
    cli.kafka.run(&cli.ui, &topics, feed, &[], job).await
}
