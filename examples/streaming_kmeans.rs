//! Streaming k-means, Spark's `StreamingKMeansExample`: the model trains on vectors from
//! files moved into one directory (`[x,y]` a line) and predicts the cluster of labeled
//! points from another (`(label,[x,y])`), printed as `(label, cluster)`. The built-in
//! producer draws both around three known centers; the centers found are printed to
//! stderr every few seconds (`latest_model()`).
//!
//! ```text
//! cargo run --release --example streaming_kmeans
//! cargo run --release --example streaming_kmeans -- --train in/train --test in/test --no-producer
//! ```

mod common;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use streaming::mllib::{LabeledPoint, Rng, StreamingKMeans, kmeans, parse_vector};
use streaming::prelude::*;

fn job(train: PathBuf, test: PathBuf, km: &StreamingKMeans) -> Pipeline {
    stream_pipeline! {
        batch 1s;
        let m = model(km);
        source text_files(train)
            |> flat_map(parse_vector)
            |> train_on(m);
        source text_files(test)
            |> flat_map(LabeledPoint::parse)
            |> map |p| (p.label, p.features)
            |> predict_on_values(m)
            |> print
    }
}

/// The centers the producer draws around (σ 1).
const CENTERS: [[f64; 2]; 3] = [[-10.0, 0.0], [10.0, 10.0], [10.0, -10.0]];

/// `n` points around the centers in turn: `(center index, point)`.
fn points(rng: &mut Rng, n: usize) -> Vec<(usize, [f64; 2])> {
    (0..n)
        .map(|i| {
            let c = i % CENTERS.len();
            let [x, y] = CENTERS[c];
            (c, [x + rng.next_gaussian(), y + rng.next_gaussian()])
        })
        .collect()
}

#[derive(Parser, Debug)]
struct Cli {
    /// Directory of training files (`[x,y]` a line).
    #[arg(long, default_value = "target/streaming_kmeans/train")]
    train: PathBuf,
    /// Directory of test files (`(label,[x,y])` a line).
    #[arg(long, default_value = "target/streaming_kmeans/test")]
    test: PathBuf,
    /// The number of clusters.
    #[arg(long, default_value_t = 3)]
    k: usize,
    /// The vectors' dimension.
    #[arg(long, default_value_t = 2)]
    dim: usize,
    /// Do not start the built-in producer of files.
    #[arg(long)]
    no_producer: bool,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    seconds: Option<u64>,
    #[command(flatten)]
    ui: common::UiArgs,
}

#[tokio::main]
async fn main() -> common::Result {
    let cli = Cli::parse();
    std::fs::create_dir_all(&cli.train)?;
    std::fs::create_dir_all(&cli.test)?;
    if !cli.no_producer {
        let mut rng = Rng::new(1);
        common::produce_files(cli.train.clone(), Duration::from_millis(300), move |_| {
            let lines = points(&mut rng, 100).into_iter();
            lines.map(|(_, [x, y])| format!("[{x},{y}]\n")).collect()
        });
        let mut rng = Rng::new(2);
        common::produce_files(cli.test.clone(), Duration::from_millis(1000), move |_| {
            let lines = points(&mut rng, 6).into_iter();
            lines
                .map(|(c, [x, y])| format!("({c}.0,[{x},{y}])\n"))
                .collect()
        });
    }
    // Spark's example: decay 1.0 (every batch counts alike), random centers of weight 0.
    let km = kmeans(cli.k)
        .decay_factor(1.0)
        .random_centers(cli.dim, 0.0, 42);
    let shown = km.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(3)).await;
            eprintln!("centers: {}", shown.latest_model());
        }
    });
    cli.ui
        .apply(job(cli.train, cli.test, &km))
        .run_until(common::stop_after(cli.seconds))
        .await?;
    eprintln!("final centers: {}", km.latest_model());
    Ok(())
}
