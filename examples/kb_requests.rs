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

/// `out`: the prefix of the directories each batch is saved to.
fn job(host: String, port: u16, out: String) -> Pipeline {
    stream_pipeline! {
        batch 1s;
        let kbreqs = source socket(host, port) |> filter contains("KBDOC");
        kbreqs |> print(5);
        kbreqs |> foreach_batch(|_time, batch| println!("Number of KB requests: {}", batch.len()));
        kbreqs |> save_as_text_files(out)
    }
}

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    socket: common::SocketArgs,
    /// Prefix of the directories each batch is saved to.
    #[arg(long, default_value = "target/kb_requests/kbreqs")]
    out: String,
}

#[tokio::main]
async fn main() -> common::Result {
    let cli = Cli::parse();
    let logs = LineFeed::from_lines(common::access_logs(20_000, 11));
    cli.socket
        .run(logs, |host, port| job(host, port, cli.out))
        .await
}
