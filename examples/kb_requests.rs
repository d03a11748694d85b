//! The Spark course's knowledge-base requests job: web server log lines that request a
//! KB article (`KBDOC`), printed, counted and saved every batch.
//!
//! ```text
//! cargo run --release --example kb_requests
//! cargo run --release --example kb_requests -- --out /tmp/kbreqs --connect localhost:9999
//! ```
//! Saved batches appear as `<out>-<ms>/part-00000`, Spark's saveAsTextFiles layout.

mod common;

use clap::Parser;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    ui: common::UiArgs,
    #[command(flatten)]
    source: common::SourceArgs,
    /// Prefix of the directories each batch is saved to.
    #[arg(long, default_value = "target/kb_requests/kbreqs")]
    out: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let (host, port) = cli
        .source
        .endpoint(LineFeed::from_lines(common::access_logs(20_000, 11)))
        .await?;
    let out = cli.out.clone();

    cli.ui.apply(stream_pipeline! {
        batch 1s;
        let kbreqs = source socket(host, port) |> filter contains("KBDOC");
        kbreqs |> print(5);
        kbreqs |> foreach_batch(|_time, batch| println!("Number of KB requests: {}", batch.len()));
        kbreqs |> save_as_text_files(out)
    })
    .run_until(cli.source.stop_signal())
    .await?;
    Ok(())
}
