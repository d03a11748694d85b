//! Structured Streaming's running example (`spark.readStream.json("logs").groupBy($"action",
//! window($"time", "1 hour")).count()`): JSON events from files moved into a directory, typed
//! with `parse json::<Event>`, counted per action and hour of *event* time by a SQL query
//! compiled with the pipeline, each hour written once the watermark (10 minutes) closes it:
//! upserted into PostgreSQL with `--postgres`, printed as a table otherwise.
//!
//! ```text
//! cargo run --release --example structured_actions                  # built-in producer, printed
//! cargo run --release --example structured_actions -- --postgres "host=127.0.0.1 user=postgres"
//! ```
//! The built-in producer writes a file of events every 200 ms, its clock running an hour of
//! event time every 10 s, with a few malformed lines (counted and logged). Kill it at any
//! moment and start it again: the checkpoint brings back the open windows and the
//! watermark, and the upsert makes replayed windows rewrite the same rows
//! (`tests/sql_crash.rs` does it with SIGKILLs).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use serde::Deserialize;
use streaming::prelude::*;

/// One event: `{"action": "Open", "user": 7, "time": "2026-12-01T10:15:00Z"}` (or `"time":
/// 1796120100`, seconds).
#[derive(Debug, Clone, Deserialize, Record)]
struct Event {
    action: String,
    #[allow(dead_code)]
    user: u32,
    time: Timestamp,
}

/// The pipeline, ending in the sink given: the counts of the hours the watermark closed.
macro_rules! hourly_counts {
    ($input:expr, $checkpoint:expr, $($sink:tt)*) => {
        stream_pipeline! {
            batch 200ms;
            checkpoint $checkpoint every 1s;
            let events = source text_files($input)
                |> parse json::<Event> dropmalformed
                |> event_time(|e| e.time) watermark 10m;
            sql("SELECT action, window, count(*) AS n FROM events
                 GROUP BY window(time, '1 hour'), action")
                |> $($sink)*
        }
    };
}

/// Upserted into `table`.
fn to_postgres(input: PathBuf, checkpoint: PathBuf, postgres: String, table: String) -> Pipeline {
    hourly_counts!(input, checkpoint, save_to_postgres(postgres, table))
}

/// Printed.
fn to_console(input: PathBuf, checkpoint: PathBuf) -> Pipeline {
    hourly_counts!(input, checkpoint, print)
}

/// Writes a file of JSON events into `dir` every 200 ms (a temporary name, then a rename,
/// so the source never reads half a file); event time runs 360× the wall clock from now.
fn produce(dir: PathBuf) {
    const ACTIONS: &[&str] = &["Open", "Close", "Click", "Buy"];
    let start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut rng = common::Rng::new(5);
    for file in 0u64.. {
        let now = start + (file as i64) * 72; // 0.2 s × 360
        let mut text = String::new();
        for _ in 0..50 {
            let t = now - rng.below(300) as i64; // up to 5 minutes out of order
            let action = ACTIONS[rng.skewed(ACTIONS.len())];
            let user = rng.below(100);
            text.push_str(&format!(
                "{{\"action\":\"{action}\",\"user\":{user},\"time\":{t}}}\n"
            ));
        }
        if file % 25 == 0 {
            text.push_str("{\"action\": \"Open\", \"time\": \n"); // malformed: dropped, counted
        }
        if write_file(&dir, file, &text).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn write_file(dir: &Path, n: u64, text: &str) -> std::io::Result<()> {
    let tmp = dir.join(format!(".events-{n}.json"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(format!("events-{n}.json")))
}

#[derive(Parser, Debug)]
struct Cli {
    /// Directory to watch: each new file moved into it is read once.
    #[arg(long, default_value = "target/structured_actions/in")]
    input: PathBuf,
    /// Checkpoint directory (delete it, and the table's rows, to start over).
    #[arg(long, default_value = "target/structured_actions/checkpoint")]
    checkpoint: PathBuf,
    /// PostgreSQL (a libpq-style connection string): the counts are upserted into
    /// `--table`, created if missing. Without it they are printed.
    #[arg(long)]
    postgres: Option<String>,
    /// The table: `(window_start timestamptz, window_end timestamptz, action text, n
    /// bigint, primary key (window_start, window_end, action))`.
    #[arg(long, default_value = "action_counts")]
    table: String,
    /// Do not start the built-in producer (files come from elsewhere).
    #[arg(long)]
    no_producer: bool,
    #[command(flatten)]
    ui: common::UiArgs,
}

#[tokio::main]
async fn main() -> common::Result {
    let cli = Cli::parse();
    std::fs::create_dir_all(&cli.input)?;
    if !cli.no_producer {
        let dir = cli.input.clone();
        std::thread::spawn(move || produce(dir));
    }
    let pipeline = match cli.postgres {
        Some(postgres) => {
            create_table(&postgres, &cli.table).await?;
            to_postgres(cli.input, cli.checkpoint, postgres, cli.table)
        }
        None => to_console(cli.input, cli.checkpoint),
    };
    cli.ui.apply(pipeline).run().await?;
    Ok(())
}

/// The example's table, if missing (`save_to_postgres` itself creates nothing).
async fn create_table(postgres: &str, table: &str) -> common::Result {
    if !table
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(format!("--table {table:?}: use lowercase letters, digits and `_`").into());
    }
    let (client, connection) = tokio_postgres::connect(postgres, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("connecting to PostgreSQL ({postgres}): {e}"))?;
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (window_start timestamptz, window_end timestamptz, \
             action text, n bigint NOT NULL, PRIMARY KEY (window_start, window_end, action))"
        ))
        .await?;
    Ok(())
}
