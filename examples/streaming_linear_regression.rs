//! Streaming linear regression with SGD, Spark's `StreamingLinearRegressionExample`: the
//! model trains on labeled points from files moved into one directory and predicts the
//! points from another, printed as `(label, prediction)`, one line `(y,[x1,x2,x3])` a
//! point. The built-in producer draws `y = 2·x1 − 3·x2 + 0.5·x3 + ε`; the weights found
//! are printed to stderr every few seconds (`latest_model()`).
//!
//! ```text
//! cargo run --release --example streaming_linear_regression
//! cargo run --release --example streaming_linear_regression -- --train in/train --test in/test --no-producer
//! ```

mod common;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use streaming::mllib::{LabeledPoint, Rng, StreamingLinearRegression, linear_regression};
use streaming::prelude::*;

fn job(train: PathBuf, test: PathBuf, lr: &StreamingLinearRegression) -> Pipeline {
    stream_pipeline! {
        batch 1s;
        let m = model(lr);
        source text_files(train)
            |> flat_map(LabeledPoint::parse)
            |> train_on(m);
        source text_files(test)
            |> flat_map(LabeledPoint::parse)
            |> map |p| (p.label, p.features)
            |> predict_on_values(m)
            |> print
    }
}

/// The weights the producer draws from.
const WEIGHTS: [f64; 3] = [2.0, -3.0, 0.5];

/// `n` lines `(y,[x1,x2,x3])`, `x` standard normal, `y = w·x + ε` (σ 0.1).
fn lines(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| {
            let x: Vec<f64> = WEIGHTS.iter().map(|_| rng.next_gaussian()).collect();
            let y: f64 =
                x.iter().zip(WEIGHTS).map(|(a, b)| a * b).sum::<f64>() + 0.1 * rng.next_gaussian();
            let p = LabeledPoint {
                label: y,
                features: x,
            };
            format!("{p}\n")
        })
        .collect()
}

#[derive(Parser, Debug)]
struct Cli {
    /// Directory of training files (`(y,[x1,..])` a line).
    #[arg(long, default_value = "target/streaming_linear_regression/train")]
    train: PathBuf,
    /// Directory of test files (`(y,[x1,..])` a line).
    #[arg(long, default_value = "target/streaming_linear_regression/test")]
    test: PathBuf,
    /// The number of features.
    #[arg(long, default_value_t = 3)]
    features: usize,
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
            lines(&mut rng, 50)
        });
        let mut rng = Rng::new(2);
        common::produce_files(cli.test.clone(), Duration::from_millis(1000), move |_| {
            lines(&mut rng, 3)
        });
    }
    // Spark's example: the defaults (step 0.1, 50 iterations) from zero weights.
    let lr = linear_regression().initial_weights(vec![0.0; cli.features]);
    let shown = lr.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(3)).await;
            eprintln!("model: {}", shown.latest_model());
        }
    });
    cli.ui
        .apply(job(cli.train, cli.test, &lr))
        .run_until(common::stop_after(cli.seconds))
        .await?;
    eprintln!("final model: {}", lr.latest_model());
    Ok(())
}
