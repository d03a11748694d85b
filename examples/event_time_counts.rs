//! Recovery with event time: words counted per 10-second window of *event* time over files
//! moved into a directory (lines `"<epoch seconds> <word>"`), watermark 30 s, checkpointed
//! every second. Each window is appended to `--out` (`start word count`, fsynced) when the
//! watermark closes it. Kill it at any moment (`kill -9`) and start it again: the open
//! windows and the watermark come back from the checkpoint, so every window is emitted
//! with the count an uninterrupted run gives (a window closed after the last checkpoint is
//! appended again, with the same count: output is at least once, counts exact).
//!
//! ```text
//! cargo run --release --example event_time_counts -- --input in/ --checkpoint cp/ --out windows.txt
//! ```
//! `tests/crash.rs` SIGKILLs it at random moments while files keep arriving.

mod common;

use std::io::Write;
use std::path::PathBuf;

use clap::Parser;
use streaming::prelude::*;

/// Reads the files moved into `input`; appends the closed windows to `out`.
fn job(input: PathBuf, checkpoint: PathBuf, out: PathBuf) -> Pipeline {
    stream_pipeline! {
        batch 200ms;
        checkpoint checkpoint every 1s;
        source text_files(input)
            |> map(parse)
            |> event_time(|(t, _)| *t) watermark 30s
            |> map |(_, w)| w
            |> event_window(10s, 10s) count_by_value
            |> foreach_batch(|_time, windows| {
                let mut text = String::new();
                for ((w, word), n) in &windows {
                    text.push_str(&format!("{} {word} {n}\n", w.start.as_millis() / 1000));
                }
                let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&out)?;
                f.write_all(text.as_bytes())?;
                f.sync_all()
            })
    }
}

fn parse(line: &str) -> (Timestamp, &str) {
    let (t, w) = line.split_once(' ').unwrap_or((line, ""));
    (
        Timestamp::from_secs(t.trim().parse().unwrap_or(0)),
        w.trim(),
    )
}

#[derive(Parser, Debug)]
struct Cli {
    /// Directory to watch: each new file moved into it is read once.
    #[arg(long, default_value = "target/event_time_counts/in")]
    input: PathBuf,
    /// Checkpoint directory (delete it to start over).
    #[arg(long, default_value = "target/event_time_counts/checkpoint")]
    checkpoint: PathBuf,
    /// File the closed windows are appended to.
    #[arg(long, default_value = "target/event_time_counts/windows.txt")]
    out: PathBuf,
    #[command(flatten)]
    ui: common::UiArgs,
}

#[tokio::main]
async fn main() -> common::Result {
    let cli = Cli::parse();
    std::fs::create_dir_all(&cli.input)?;
    common::create_parent(&cli.out)?;
    let pipeline = job(cli.input, cli.checkpoint, cli.out);
    cli.ui.apply(pipeline).run().await?;
    Ok(())
}
