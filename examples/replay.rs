//! Serves a text file's lines over TCP, looping, at a chosen rate: the project's answer to
//! `nc -lk 9999`. Every client that connects gets the lines from the start. With `--kafka`
//! (and the `kafka` feature) it writes them to a Kafka topic instead, one record per line.
//!
//! ```text
//! cargo run --release --example replay -- data/tweets.txt --port 9999 --rate 5000
//! cargo run --release --example hashtags -- --connect localhost:9999     # in another terminal
//!
//! cargo run --release --features kafka --example replay -- tweets.txt --kafka localhost:9092 --topic tweets
//! cargo run --release --features kafka --example kafka_hashtags -- --brokers localhost:9092
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use streaming::line_feed::{LineFeed, ReplayOptions, ReplayServer};

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
    /// Write the lines to this Kafka cluster (`host:port[,host:port]`) instead of serving
    /// them (needs the `kafka` feature).
    #[arg(long, value_name = "BROKERS")]
    kafka: Option<String>,
    /// With `--kafka`: the topic to write to.
    #[arg(long, default_value = "lines")]
    topic: String,
}

/// Prints progress every second until Ctrl-C (or until `done` says the feed ended).
async fn progress(
    stats: std::sync::Arc<streaming::line_feed::ReplayStats>,
    done: impl Fn() -> bool,
    clients: bool,
) {
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let (mut last_lines, mut last_at) = (0, Instant::now());
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let lines = stats.lines_sent();
                let rate = (lines - last_lines) as f64 / last_at.elapsed().as_secs_f64().max(1e-9);
                (last_lines, last_at) = (lines, Instant::now());
                let clients = if clients { format!(", {} client(s)", stats.clients()) } else { String::new() };
                eprint!("\rsent {lines} lines ({rate:.0} lines/s){clients}, {:.0}s   ", started.elapsed().as_secs_f64());
                if done() {
                    eprintln!();
                    return;
                }
            }
            _ = tokio::signal::ctrl_c() => {
                eprintln!();
                return;
            }
        }
    }
}

#[cfg(feature = "kafka")]
async fn to_kafka(
    cli: &Cli,
    feed: LineFeed,
    options: ReplayOptions,
    brokers: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let replay =
        streaming::line_feed::to_kafka(brokers, &cli.topic, feed, options, &[("linger.ms", "5")])?;
    eprintln!(
        "replay: writing {} to topic `{}` on {brokers}",
        cli.file.display(),
        cli.topic
    );
    progress(replay.stats(), || replay.is_finished(), false).await;
    Ok(())
}

#[cfg(not(feature = "kafka"))]
async fn to_kafka(
    _: &Cli,
    _: LineFeed,
    _: ReplayOptions,
    _: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    Err("--kafka needs the `kafka` feature: cargo run --release --features kafka --example replay -- ...".into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let feed =
        LineFeed::from_file(&cli.file).map_err(|e| format!("{}: {e}", cli.file.display()))?;
    let mut options = ReplayOptions::new().repeat(!cli.once);
    if cli.rate > 0.0 {
        options = options.lines_per_second(cli.rate);
    }
    if let Some(brokers) = &cli.kafka {
        return to_kafka(&cli, feed, options, brokers).await;
    }
    let server = ReplayServer::bind((cli.host.as_str(), cli.port)).await?;
    let stats = server.stats();
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
    progress(stats, || false, true).await;
    task.abort();
    Ok(())
}
