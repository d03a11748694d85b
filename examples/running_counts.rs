//! Recovery demo: running word counts over files moved into a directory, checkpointed every
//! second. Stop it at any moment (Ctrl-C, or even `kill -9`) and start it again: it resumes
//! from its checkpoint, files that arrived meanwhile are read, and no word is lost or
//! counted twice.
//!
//! ```text
//! cargo run --release --example running_counts              # built-in producer of files
//! cargo run --release --example running_counts -- --input in/ --checkpoint cp/ --totals totals.txt
//! cargo run --release --example running_counts -- --connect localhost:9999   # a socket, with a write-ahead log
//! ```
//! Reset by deleting the checkpoint directory (default `target/running_counts/checkpoint`).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use streaming::prelude::*;

/// Where the lines come from.
enum Input {
    /// The files moved into this directory.
    Files(PathBuf),
    /// A TCP server, its lines kept in a write-ahead log until checkpointed.
    Socket(String, u16),
}

/// The running totals rewritten to `totals_file` after every batch.
fn job(input: Input, checkpoint: PathBuf, totals_file: PathBuf) -> Pipeline {
    let write_totals =
        move |totals: Vec<(&String, i64)>| common::write_totals(&totals_file, &totals);
    match input {
        Input::Files(dir) => stream_pipeline! {
            batch 200ms;
            checkpoint checkpoint every 1s;
            let words = source text_files(dir) |> flat_map split;
            words |> map |w| (w, 1i64)
                  |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
                  |> sort_by_key
                  |> foreach_batch(|_time, totals| write_totals(totals));
            words |> window(2s, 1s) reduce(+, -) |> sort desc |> print(5)
        },
        Input::Socket(host, port) => stream_pipeline! {
            batch 200ms;
            checkpoint checkpoint every 1s wal;
            let words = source socket(host, port) |> flat_map split;
            words |> map |w| (w, 1i64)
                  |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
                  |> sort_by_key
                  |> foreach_batch(|_time, totals| write_totals(totals));
            words |> window(2s, 1s) reduce(+, -) |> sort desc |> print(5)
        },
    }
}

/// Moves a new file of generated sentences into `dir` every 300 ms.
fn start_producer(dir: PathBuf) {
    std::thread::spawn(move || {
        let staging = dir.with_extension("staging");
        let _ = std::fs::create_dir_all(&staging);
        for i in 0u64.. {
            let name = format!("{}-{i:06}.txt", std::process::id());
            let text = common::sentences(50, i).join("\n");
            let staged = staging.join(&name);
            if std::fs::write(&staged, text)
                .and_then(|()| std::fs::rename(&staged, dir.join(&name)))
                .is_err()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    });
}

#[derive(Parser, Debug)]
struct Cli {
    /// Directory to watch: each new file moved into it is read once.
    #[arg(long, default_value = "target/running_counts/in")]
    input: PathBuf,
    /// Checkpoint directory (delete it to start over).
    #[arg(long, default_value = "target/running_counts/checkpoint")]
    checkpoint: PathBuf,
    /// File rewritten (atomically) with the running totals after every batch.
    #[arg(long, default_value = "target/running_counts/totals.txt")]
    totals: PathBuf,
    /// Do not start the built-in producer of input files.
    #[arg(long)]
    no_producer: bool,
    /// Read lines from this TCP server (`host:port`) instead of a directory; received lines
    /// are kept in a write-ahead log until checkpointed.
    #[arg(long, value_name = "HOST:PORT")]
    connect: Option<String>,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    seconds: Option<u64>,
    #[command(flatten)]
    ui: common::UiArgs,
}

#[tokio::main]
async fn main() -> common::Result {
    let cli = Cli::parse();
    std::fs::create_dir_all(&cli.input)?;
    common::create_parent(&cli.totals)?;
    if !cli.no_producer && cli.connect.is_none() {
        start_producer(cli.input.clone());
    }
    eprintln!(
        "counting words of files moved into {} (checkpoints in {})",
        cli.input.display(),
        cli.checkpoint.display()
    );
    let input = match &cli.connect {
        None => Input::Files(cli.input),
        Some(addr) => {
            let (host, port) = common::host_port("--connect", addr)?;
            Input::Socket(host, port)
        }
    };
    cli.ui
        .apply(job(input, cli.checkpoint, cli.totals))
        .run_until(common::stop_after(cli.seconds))
        .await?;
    Ok(())
}
