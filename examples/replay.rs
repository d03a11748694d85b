//! Serves a text file's lines over TCP, looping, at a chosen rate: the project's answer to
//! `nc -lk 9999`. Every client that connects gets the lines from the start.
//!
//! ```text
//! cargo run --release --example replay -- ../shared/data/tweeteval_emoji_tweets.txt --port 9999 --rate 5000
//! cargo run --release --example hashtags -- --connect localhost:9999     # in another terminal
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use streaming::replay::{LineFeed, ReplayOptions, ReplayServer};

#[derive(Parser, Debug)]
struct Cli {
    /// The text file to serve, one record per line.
    file: PathBuf,
    /// Port to listen on.
    #[arg(long, default_value_t = 9999)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Lines per second (0: as fast as the clients read).
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Send the file once per client instead of looping.
    #[arg(long)]
    once: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let feed =
        LineFeed::from_file(&cli.file).map_err(|e| format!("{}: {e}", cli.file.display()))?;
    let server = ReplayServer::bind((cli.host.as_str(), cli.port)).await?;
    let stats = server.stats();
    let mut options = ReplayOptions::new().repeat(!cli.once);
    if cli.rate > 0.0 {
        options = options.lines_per_second(cli.rate);
    }
    eprintln!(
        "replay: serving {} on {} ({} lines/s)",
        cli.file.display(),
        server.local_addr()?,
        if cli.rate > 0.0 {
            cli.rate.to_string()
        } else {
            "max".into()
        }
    );
    let task = server.serve(feed, options);

    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let (mut last_lines, mut last_at) = (0, Instant::now());
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let lines = stats.lines_sent();
                let rate = (lines - last_lines) as f64 / last_at.elapsed().as_secs_f64().max(1e-9);
                (last_lines, last_at) = (lines, Instant::now());
                eprint!("\rsent {lines} lines ({rate:.0} lines/s), {} client(s), {:.0}s   ", stats.clients(), started.elapsed().as_secs_f64());
            }
            _ = tokio::signal::ctrl_c() => {
                eprintln!();
                task.abort();
                return Ok(());
            }
        }
    }
}
