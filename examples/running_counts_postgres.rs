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

use clap::Parser;
use streaming::line_feed::LineFeed;
use streaming::prelude::*;

fn job(host: String, port: u16, checkpoint: PathBuf, db: Db) -> Pipeline {
    stream_pipeline! {
        batch 1s;
        checkpoint checkpoint every 1s wal;
        source socket(host, port)
            |> flat_map split
            |> map |w| (w, 1i64)
            |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
            |> foreach_batch(|_time, totals| db.upsert(totals))
    }
}

/// The table of running totals.
struct Db {
    client: tokio_postgres::Client,
    upsert: String,
    runtime: tokio::runtime::Handle,
}

impl Db {
    /// Connects to `postgres` (a connection string) and creates `table` if missing.
    async fn connect(postgres: &str, table: &str) -> common::Result<Db> {
        let (client, connection) = tokio_postgres::connect(postgres, tokio_postgres::NoTls)
            .await
            .map_err(|e| format!("connecting to PostgreSQL ({postgres}): {e}"))?;
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
        let upsert = format!(
            "INSERT INTO {table} (word, count) SELECT * FROM UNNEST($1::text[], $2::bigint[]) \
             ON CONFLICT (word) DO UPDATE SET count = EXCLUDED.count"
        );
        // `foreach_batch` runs on the pipeline's batch thread, a blocking thread of the tokio
        // runtime: it may wait on the runtime (`block_on`) without stalling its workers, which
        // keep running the receivers, the page and the database connection meanwhile.
        let runtime = tokio::runtime::Handle::current();
        Ok(Db {
            client,
            upsert,
            runtime,
        })
    }

    /// Writes a batch's totals in one statement: they land together or not at all.
    fn upsert(&self, totals: Vec<(&String, i64)>) -> Result<(), StreamingError> {
        let (words, counts): (Vec<&String>, Vec<i64>) = totals.into_iter().unzip();
        self.runtime
            .block_on(
                self.client
                    .execute(self.upsert.as_str(), &[&words, &counts]),
            )
            .map(|_| ())
            .map_err(|e| StreamingError::custom(format!("upserting the totals: {e}")))
    }
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

#[tokio::main]
async fn main() -> common::Result {
    let cli = Cli::parse();
    let table = table_name(&cli.table)?;
    let db = Db::connect(&cli.postgres, &table).await?;
    let sentences = LineFeed::from_lines(common::sentences(10_000, 5));
    let job = |host, port| {
        eprintln!(
            "running totals upserted into table {table} ({})",
            cli.postgres
        );
        job(host, port, cli.checkpoint, db)
    };
    cli.source.run(&cli.ui, sentences, job).await
}
