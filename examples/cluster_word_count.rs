//! Word count scaled out over a Kafka topic's partitions: start this program N times with
//! the same `--group` and the partitions are shared among the processes (Kafka's consumer
//! group protocol), moving when one starts, stops or dies. Each partition's running totals
//! (`update_state_by_key`) are checkpointed with its offsets under `--checkpoint` and
//! rewritten after every batch to `<out>/totals-<partition>.txt`; the true totals are the
//! sums over the files. Kill any process at any moment (even `kill -9`): its partitions go
//! to the others, which restore their state and replay their last batches, so no word is
//! lost or counted twice.
//!
//! ```text
//! cargo run --release --features kafka --example cluster_word_count    # embedded broker + producer
//! # N processes against one broker (the same command in N terminals or machines):
//! cargo run --release --features kafka --example cluster_word_count -- --brokers host:9092 --no-producer
//! ```
//! Without `--brokers` it starts a tansu broker on a free 127.0.0.1 port, creates a topic
//! of 6 partitions and writes generated sentences to it.

mod common;

use std::path::{Path, PathBuf};

use clap::Parser;
use streaming::cluster::Task;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

/// The pipeline of `task`, a partition this process was given; its totals go to `out`.
fn job(task: &Task, out: &Path) -> Pipeline {
    let totals_file = out.join(format!("totals-{}.txt", task.partition()));
    let fence = task.fence().clone();
    let checkpoint = task.checkpoint_dir().to_path_buf();
    stream_pipeline! {
        batch 500ms;
        checkpoint checkpoint every 1s;
        source kafka_task(task)
            |> flat_map split
            |> map |w| (w, 1i64)
            |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
            |> sort_by_key
            |> foreach_batch(|_time, totals| {
                // Only while this process still owns the partition.
                fence.check()?;
                common::write_totals(&totals_file, &totals)
                    .map_err(|e| StreamingError::io("writing the totals", e))
            })
    }
}

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    kafka: common::KafkaArgs,
    /// Topic of input lines.
    #[arg(long, default_value = "lines")]
    topic: String,
    /// Partitions of the topic the embedded broker creates.
    #[arg(long, default_value_t = 6)]
    partitions: i32,
    /// The consumer group: processes with the same group share the partitions.
    #[arg(long, default_value = "cluster_word_count")]
    group: String,
    /// Checkpoint directory, shared by all the processes (one subdirectory per partition).
    #[arg(long, default_value = "target/cluster_word_count/checkpoint")]
    checkpoint: PathBuf,
    /// Directory of the per-partition totals files.
    #[arg(long, default_value = "target/cluster_word_count/out")]
    out: PathBuf,
    #[command(flatten)]
    cluster: common::ClusterArgs,
}

#[tokio::main]
async fn main() -> common::Result {
    let cli = Cli::parse();
    let cluster = common::Cluster {
        topic: (&cli.topic, cli.partitions),
        group: &cli.group,
        checkpoint: &cli.checkpoint,
        out: &cli.out,
    };
    let sentences = LineFeed::from_fn(|| common::sentences(10_000, 3));
    cli.cluster.run(&cli.kafka, cluster, sentences, job).await
}
