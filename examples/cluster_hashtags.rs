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

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use streaming::cluster::KafkaCluster;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

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
    /// Seconds of silence after which the group gives a process's partitions to the others.
    #[arg(long, default_value_t = 10)]
    session_timeout: u64,
    /// Serve each task's streaming page and /metrics while it runs: partition p's task at
    /// this port + p (several tasks share a process, one server each).
    #[arg(long, value_name = "HOST:PORT")]
    ui: Option<std::net::SocketAddr>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let feed = LineFeed::from_lines(common::tweets(50_000, 7));
    let kafka = cli
        .kafka
        .setup(&[(&cli.topic, cli.partitions)], &cli.topic, feed)?;
    if kafka.embedded {
        // The embedded broker's records are gone: so is what a checkpoint says of them.
        let _ = std::fs::remove_dir_all(&cli.checkpoint);
        let _ = std::fs::remove_dir_all(&cli.out);
    }
    std::fs::create_dir_all(&cli.out)?;
    let (out, shuffle, ui) = (cli.out.clone(), format!("{}-hashtags", cli.group), cli.ui);
    KafkaCluster::new(&kafka.brokers, &cli.topic, &cli.group, &cli.checkpoint)
        .session_timeout(Duration::from_secs(cli.session_timeout))
        .run_until(
            |task| {
                let counts_file = out.join(format!("totals-{}.txt", task.partition()));
                let top_file = out.join("top.txt");
                let fence = task.fence().clone();
                let checkpoint = task.checkpoint_dir().to_path_buf();
                let shuffle = shuffle.clone();
                let page = common::task_ui(ui, task.partition());
                let mut pipeline = stream_pipeline! {
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
                };
                if let Some(addr) = page {
                    pipeline.ui(addr);
                }
                pipeline
            },
            cli.kafka.stop_signal(),
        )
        .await?;
    drop(kafka);
    Ok(())
}
