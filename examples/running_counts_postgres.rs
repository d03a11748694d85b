//! Running word counts kept in PostgreSQL: Spark's `foreachRDD` writing to a store. Each
//! batch upserts the running totals of `update_state_by_key` keyed by word
//! (`INSERT .. ON CONFLICT (word) DO UPDATE SET count = EXCLUDED.count`), so a batch
//! written twice — replayed after a crash from the checkpoint — leaves the same rows.
//!
//! ```text
//! cargo run --release --example running_counts_postgres -- --postgres "host=127.0.0.1 user=postgres"
//! cargo run --release --example running_counts_postgres -- --postgres "host=/var/run/postgresql user=postgres" --connect localhost:9999 --ui 127.0.0.1:4040
//! ```

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    source: common::SourceArgs,
    #[command(flatten)]
    ui: common::UiArgs,
    /// The database, as a libpq-style connection string.
    #[arg(long, default_value = "host=127.0.0.1 user=postgres dbname=postgres")]
    postgres: String,
    /// The table of running totals (`word text primary key, count bigint`), created if
    /// missing.
    #[arg(long, default_value = "word_counts")]
    table: String,
    /// Checkpoint directory: the running totals survive a restart (delete it, and empty
    /// the table, to start over).
    #[arg(long, default_value = "target/running_counts_postgres/checkpoint")]
    checkpoint: PathBuf,
}

/// A table name safe to put in SQL text (identifiers cannot be bound as parameters).
fn table_name(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(name.to_string())
    } else {
        Err(format!(
            "--table {name:?}: use lowercase letters, digits and `_`"
        ))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let table = table_name(&cli.table)?;
    let (client, connection) = tokio_postgres::connect(&cli.postgres, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("connecting to PostgreSQL ({}): {e}", cli.postgres))?;
    // The connection does the I/O; it ends when the client is dropped.
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::error!(error = %e, "PostgreSQL connection lost");
        }
    });
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (word text PRIMARY KEY, count bigint NOT NULL)"
        ))
        .await?;
    let client = Arc::new(client);
    let upsert = format!(
        "INSERT INTO {table} (word, count) SELECT * FROM UNNEST($1::text[], $2::bigint[]) \
         ON CONFLICT (word) DO UPDATE SET count = EXCLUDED.count"
    );

    let (host, port) = cli
        .source
        .endpoint(LineFeed::from_lines(common::sentences(10_000, 5)))
        .await?;
    eprintln!(
        "running totals upserted into table {table} ({})",
        cli.postgres
    );

    // `foreach_batch` runs on the pipeline's batch thread, a blocking thread of the tokio
    // runtime: it may wait on the runtime (`block_on`) without stalling its workers, which
    // keep running the receivers, the page and the database connection meanwhile.
    let runtime = tokio::runtime::Handle::current();
    let checkpoint = cli.checkpoint.clone();
    cli.ui
        .apply(stream_pipeline! {
            batch 1s;
            checkpoint checkpoint every 1s wal;
            source socket(host, port)
                |> flat_map split
                |> map |w| (w, 1i64)
                |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
                |> foreach_batch(|_time, totals| {
                    let (words, counts): (Vec<&String>, Vec<i64>) = totals.into_iter().unzip();
                    // One statement: the batch's totals land together or not at all.
                    runtime
                        .block_on(client.execute(upsert.as_str(), &[&words, &counts]))
                        .map(|_| ())
                        .map_err(|e| StreamingError::custom(format!("upserting the totals: {e}")))
                })
        })
        .run_until(cli.source.stop_signal())
        .await?;
    Ok(())
}
