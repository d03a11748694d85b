//! Spark's DirectKafkaWordCount over a Kafka topic, with running totals that survive
//! crashes: every batch's word counts are printed and written to an output topic
//! (`save_to_kafka`), and the running totals (`update_state_by_key`) are checkpointed and
//! rewritten to a file. Kill it at any moment (even `kill -9`) and start it again: the
//! batches that ran after the last checkpoint run again over the same records, so no word
//! is lost or counted twice.
//!
//! ```text
//! cargo run --release --features kafka --example kafka_word_count     # embedded broker + producer
//! cargo run --release --features kafka --example kafka_word_count -- --brokers host:9092 --topic lines
//! ```
//! Without `--brokers` it starts a tansu broker (a Kafka-protocol broker; installed into
//! target/ by scripts/install_tansu.sh on first use) on a free 127.0.0.1 port, creates the
//! topics and writes generated sentences to the input topic. Its records live in memory,
//! so that mode starts from an empty checkpoint every time.

mod common;

use std::path::PathBuf;

use clap::Parser;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

fn job(brokers: String, cli: Cli) -> Pipeline {
    let Cli {
        topic,
        out_topic,
        group,
        checkpoint,
        totals: totals_file,
        ..
    } = cli;
    let out_brokers = brokers.clone();
    stream_pipeline! {
        batch 500ms;
        checkpoint checkpoint every 1s;
        let words = source kafka(brokers, topic).group(group).from_earliest()
            |> flat_map split;
        let counts = words |> reduce_by_key(+);
        counts |> save_to_kafka(out_brokers, out_topic);
        counts |> sort desc |> print(5);
        words |> map |w| (w, 1i64)
              |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
              |> sort_by_key
              |> foreach_batch(|_time, totals| common::write_totals(&totals_file, &totals))
    }
}

#[derive(Parser, Debug, Clone)]
struct Cli {
    #[command(flatten)]
    ui: common::UiArgs,
    #[command(flatten)]
    kafka: common::KafkaArgs,
    /// Topic of input lines.
    #[arg(long, default_value = "lines")]
    topic: String,
    /// Topic each batch's word counts are written to (word as key, count as value).
    #[arg(long, default_value = "word_counts")]
    out_topic: String,
    /// Consumer group the offsets are committed to (for lag tools).
    #[arg(long, default_value = "kafka_word_count")]
    group: String,
    /// Checkpoint directory (delete it to start over).
    #[arg(long, default_value = "target/kafka_word_count/checkpoint")]
    checkpoint: PathBuf,
    /// File rewritten (atomically) with the running totals after every batch.
    #[arg(long, default_value = "target/kafka_word_count/totals.txt")]
    totals: PathBuf,
}

#[tokio::main]
async fn main() -> common::Result {
    let cli = Cli::parse();
    common::create_parent(&cli.totals)?;
    let sentences = LineFeed::from_fn(|| common::sentences(10_000, 3));
    let topics = [(cli.topic.as_str(), 3), (cli.out_topic.as_str(), 1)];
    let job = |brokers| job(brokers, cli.clone());
    cli.kafka
        .run(&cli.ui, &topics, sentences, &[&cli.checkpoint], job)
        .await
}
