//! The card's hashtag job scaled out over a Kafka topic's partitions: start this program
//! N times with the same `--group` and the tweets' partitions are shared among the
//! processes. Tweets land on partitions regardless of their hashtags, so the pairs are
//! re-keyed through Kafka first (`repartition`): every hashtag's window then lives in one
//! partition's task, checkpointed with its offsets under `--checkpoint`. Each task ranks
//! its own hashtags; `global` merges the rankings into the top 10 over all partitions,
//! printed (Spark's layout) by the process that owns partition 0. Kill any process: its
//! partitions go to the others, which restore the windows and replay their last batches.
//!
//! ```text
//! cargo run --release --features kafka --example cluster_hashtags    # embedded broker + producer
//! # N processes against one broker (the same command in N terminals or machines):
//! cargo run --release --features kafka --example cluster_hashtags -- --brokers host:9092 --no-producer
//! ```
//! Besides the printed top 10, each task writes its window's counts to
//! `<out>/totals-<partition>.txt` and the owner of partition 0 the merged top 10 to
//! `<out>/top.txt` (both rewritten after every batch).

mod common;

use std::path::{Path, PathBuf};

use clap::Parser;
use streaming::cluster::Task;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

/// The pipeline of `task`, a partition this process was given: its pairs re-keyed through
/// the topic `shuffle`, its counts and the merged top 10 written to `out`.
fn job(task: &Task, out: &Path, shuffle: String) -> Pipeline {
    let counts_file = out.join(format!("totals-{}.txt", task.partition()));
    let top_file = out.join("top.txt");
    let fence = task.fence().clone();
    let checkpoint = task.checkpoint_dir().to_path_buf();
    stream_pipeline! {
        batch 1s;
        checkpoint checkpoint;
        let counts = source kafka_task(task)
            |> flat_map split
            |> filter starts_with("#")
            |> map |tag| (tag, 1i64)
            |> repartition(shuffle)
            |> window(300s, 1s) reduce(+, -)
            |> map |(tag, n)| (tag.clone(), n);
        counts
            |> sort_by_key
            |> foreach_batch(|_time, counts| {
                // Only while this process still owns the partition.
                fence.check()?;
                common::write_totals(&counts_file, &counts)
                    .map_err(|e| StreamingError::io("writing the counts", e))
            });
        let top = counts |> sort desc |> take(10) |> global;
        top |> print;
        top |> foreach_batch(|_time, top| {
            common::write_totals(&top_file, &top)
                .map_err(|e| StreamingError::io("writing the top 10", e))
        })
    }
}

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    kafka: common::KafkaArgs,
    /// Topic of tweets, one per record.
    #[arg(long, default_value = "tweets")]
    topic: String,
    /// Partitions of the topic the embedded broker creates.
    #[arg(long, default_value_t = 4)]
    partitions: i32,
    /// The consumer group: processes with the same group share the partitions. The
    /// repartition topic is `<group>-hashtags`.
    #[arg(long, default_value = "cluster_hashtags")]
    group: String,
    /// Checkpoint directory, shared by all the processes (one subdirectory per partition).
    #[arg(long, default_value = "target/cluster_hashtags/checkpoint")]
    checkpoint: PathBuf,
    /// Directory of the per-partition counts and the merged top 10.
    #[arg(long, default_value = "target/cluster_hashtags/out")]
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
    let tweets = LineFeed::from_lines(common::tweets(50_000, 7));
    let shuffle = format!("{}-hashtags", cli.group);
    let job = |task: &Task, out: &Path| job(task, out, shuffle.clone());
    cli.cluster.run(&cli.kafka, cluster, tweets, job).await
}
