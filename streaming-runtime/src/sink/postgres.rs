//! `save_to_postgres(url, "table")`: a query's rows upserted into a PostgreSQL table.
//!
//! Each batch's rows are written in one transaction, `INSERT .. ON CONFLICT (key) DO
//! UPDATE`, keyed by the query's group key (and window): a batch replayed after a crash
//! writes the same rows again, so the table ends as if it ran once. Nothing is created: the
//! table must exist, with a primary key or unique index on the key columns; its columns are
//! checked when the sink first connects (a missing one is an error naming it). A lost
//! connection is retried with backoff and logged; the batch fails once the retries are spent.
//!
//! The client runs on a thread of its own, with its own small tokio runtime: the batch
//! thread may be a thread of the pipeline's runtime (where blocking on another runtime is
//! refused) or no runtime at all (`run_batches`), and it waits for each batch's write.

use std::sync::mpsc;
use std::time::Duration;

use crate::event_time::{Timestamp, Window};
use crate::{BatchContext, StreamingError};

/// A row a table can take: its columns as the table names them, which of them are the key,
/// and its values as text (PostgreSQL casts them to the columns' types).
pub trait SqlRow {
    /// The table's columns the row fills (an event-time window fills two:
    /// `window_start`, `window_end`).
    const DB_COLUMNS: &'static [&'static str];
    /// The columns that identify a row (GROUP BY's, with the window): the upsert's conflict
    /// target. Empty for a query without grouping: rows are then inserted (at least once).
    const KEY: &'static [&'static str];
    /// The row's values, in `DB_COLUMNS`' order; `None` is NULL.
    fn db_values(&self, out: &mut Vec<Option<String>>);
}

/// A value as PostgreSQL reads it from text.
pub trait SqlParam {
    /// How many columns it fills.
    const WIDTH: usize = 1;
    /// Its text for each column it fills.
    fn push_params(&self, out: &mut Vec<Option<String>>);
}

macro_rules! params_by_display {
    ($($t:ty),*) => {$(
        impl SqlParam for $t {
            fn push_params(&self, out: &mut Vec<Option<String>>) {
                out.push(Some(self.to_string()));
            }
        }
    )*};
}
params_by_display!(i64, bool, String);

impl SqlParam for f64 {
    fn push_params(&self, out: &mut Vec<Option<String>>) {
        out.push(Some(match *self {
            x if x.is_nan() => "NaN".to_owned(),
            x if x == f64::INFINITY => "Infinity".to_owned(),
            x if x == f64::NEG_INFINITY => "-Infinity".to_owned(),
            x => x.to_string(),
        }));
    }
}

impl SqlParam for Timestamp {
    fn push_params(&self, out: &mut Vec<Option<String>>) {
        out.push(Some(timestamptz(*self)));
    }
}

impl SqlParam for Window {
    const WIDTH: usize = 2;
    fn push_params(&self, out: &mut Vec<Option<String>>) {
        out.push(Some(timestamptz(self.start)));
        out.push(Some(timestamptz(self.end)));
    }
}

impl<T: SqlParam> SqlParam for Option<T> {
    const WIDTH: usize = T::WIDTH;
    fn push_params(&self, out: &mut Vec<Option<String>>) {
        match self {
            Some(v) => v.push_params(out),
            None => out.extend((0..T::WIDTH).map(|_| None)),
        }
    }
}

/// UTC, with its zone, so a `timestamptz` column does not read it in the session's zone.
fn timestamptz(t: Timestamp) -> String {
    format!("{t}+00")
}

/// How often a lost connection is tried again before the batch fails, and the first wait
/// (doubling, at most 5 s): about 11 s in all.
const RETRIES: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// The sink of one `save_to_postgres` stage.
pub struct PostgresSink {
    url: String,
    table: String,
    worker: Option<mpsc::Sender<Request>>,
}

struct Request {
    columns: &'static [&'static str],
    key: &'static [&'static str],
    rows: Vec<Vec<Option<String>>>,
    reply: mpsc::Sender<Result<(), String>>,
}

impl PostgresSink {
    /// A sink writing to `table` of the database at `url` (a libpq-style connection string
    /// or a `postgresql://` URL). It connects at its first batch.
    pub fn new(url: impl ToString, table: impl ToString) -> PostgresSink {
        PostgresSink {
            url: url.to_string(),
            table: table.to_string(),
            worker: None,
        }
    }

    /// Upserts a batch's rows in one transaction.
    pub fn write<R: SqlRow>(
        &mut self,
        ctx: &mut BatchContext<'_>,
        rows: &[R],
    ) -> Result<(), StreamingError> {
        ctx.check_fence()?;
        let rows: Vec<Vec<Option<String>>> = rows
            .iter()
            .map(|r| {
                let mut v = Vec::with_capacity(R::DB_COLUMNS.len());
                r.db_values(&mut v);
                v
            })
            .collect();
        let worker = match &self.worker {
            Some(w) => w.clone(),
            None => {
                let w = start_worker(self.url.clone(), self.table.clone())?;
                self.worker = Some(w.clone());
                w
            }
        };
        let (reply, answer) = mpsc::channel();
        let request = Request {
            columns: R::DB_COLUMNS,
            key: R::KEY,
            rows,
            reply,
        };
        let gone = || {
            StreamingError::custom(format!(
                "save_to_postgres({}): its writer stopped",
                self.table
            ))
        };
        worker.send(request).map_err(|_| gone())?;
        match answer.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StreamingError::custom(format!(
                "save_to_postgres({}): {e}",
                self.table
            ))),
            Err(_) => Err(gone()),
        }
    }
}

fn start_worker(url: String, table: String) -> Result<mpsc::Sender<Request>, StreamingError> {
    let (tx, rx) = mpsc::channel::<Request>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StreamingError::io("save_to_postgres: starting its runtime", e))?;
    std::thread::Builder::new()
        .name(format!("postgres-{table}"))
        .spawn(move || {
            let mut db = Db {
                url,
                table,
                client: None,
                types: None,
            };
            for request in rx {
                let result = runtime.block_on(db.write(&request));
                let _ = request.reply.send(result);
            }
        })
        .map_err(|e| StreamingError::io("save_to_postgres: starting its thread", e))?;
    Ok(tx)
}

/// The writer thread's connection and what it learnt of the table.
struct Db {
    url: String,
    table: String,
    client: Option<tokio_postgres::Client>,
    /// Each column's type, read once.
    types: Option<Vec<(String, String)>>,
}

impl Db {
    async fn write(&mut self, r: &Request) -> Result<(), String> {
        let mut wait = FIRST_BACKOFF;
        let mut attempt = 0;
        loop {
            match self.try_write(r).await {
                Ok(()) => return Ok(()),
                Err(Failure::Connection(e)) if attempt < RETRIES => {
                    attempt += 1;
                    tracing::warn!(
                        table = %self.table,
                        error = %e,
                        attempt,
                        "save_to_postgres: connection lost, retrying in {wait:?}"
                    );
                    self.client = None;
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
                Err(Failure::Connection(e)) => {
                    self.client = None;
                    return Err(format!("the connection failed {} times: {e}", RETRIES + 1));
                }
                Err(Failure::Refused(e)) => return Err(e),
            }
        }
    }

    async fn try_write(&mut self, r: &Request) -> Result<(), Failure> {
        if self.client.is_none() {
            let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
                .await
                .map_err(|e| Failure::Connection(format!("connecting: {e}")))?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "save_to_postgres: connection ended");
                }
            });
            self.client = Some(client);
        }
        let Some(client) = self.client.as_mut() else {
            return Err(Failure::Connection("not connected".into()));
        };
        if self.types.is_none() {
            self.types = Some(columns(client, &self.table).await?);
        }
        let types = self.types.as_deref().unwrap_or_default();
        let statement = upsert(&self.table, r.columns, r.key, types)?;
        let tx = client.transaction().await.map_err(failure)?;
        let prepared = tx.prepare(&statement).await.map_err(failure)?;
        for row in &r.rows {
            let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = row
                .iter()
                .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
                .collect();
            tx.execute(&prepared, &params).await.map_err(failure)?;
        }
        tx.commit().await.map_err(failure)
    }
}

enum Failure {
    /// The server could not be reached: worth trying again.
    Connection(String),
    /// The server refused the statement (a missing column, no unique key): trying again
    /// would not help.
    Refused(String),
}

fn failure(e: tokio_postgres::Error) -> Failure {
    match e.as_db_error() {
        Some(db) => {
            let hint = if db.code() == &tokio_postgres::error::SqlState::INVALID_COLUMN_REFERENCE {
                " (the table needs a primary key or a unique index on the query's key columns)"
            } else {
                ""
            };
            Failure::Refused(format!("{}{hint}", db.message()))
        }
        None => Failure::Connection(e.to_string()),
    }
}

/// The table's columns and their types; an error if it does not exist.
async fn columns(
    client: &tokio_postgres::Client,
    table: &str,
) -> Result<Vec<(String, String)>, Failure> {
    let (schema, name) = table.split_once('.').unwrap_or(("", table));
    let rows = client
        .query(
            "SELECT column_name::text, udt_name::text FROM information_schema.columns \
             WHERE table_name = $1 AND ($2 = '' OR table_schema = $2) \
             AND ($2 <> '' OR table_schema = ANY (current_schemas(false))) \
             ORDER BY ordinal_position",
            &[&name, &schema],
        )
        .await
        .map_err(failure)?;
    if rows.is_empty() {
        return Err(Failure::Refused(format!(
            "no table `{table}`: create it first (save_to_postgres creates nothing), with a primary key on the query's group key"
        )));
    }
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// `INSERT INTO t (a, b, n) VALUES ($1::text::T, ..) ON CONFLICT (a, b) DO UPDATE SET n =
/// EXCLUDED.n`, every column checked against the table first.
fn upsert(
    table: &str,
    columns: &[&str],
    key: &[&str],
    types: &[(String, String)],
) -> Result<String, Failure> {
    let quoted = |c: &str| format!("\"{}\"", c.replace('"', "\"\""));
    let mut values = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        let Some((_, ty)) = types.iter().find(|(name, _)| name == c) else {
            let have: Vec<&str> = types.iter().map(|(n, _)| n.as_str()).collect();
            return Err(Failure::Refused(format!(
                "the table `{table}` has no column `{c}` (it has {}); the query's columns are {}",
                have.join(", "),
                columns.join(", ")
            )));
        };
        values.push(format!("${}::text::{ty}", i + 1));
    }
    let names: Vec<String> = columns.iter().map(|c| quoted(c)).collect();
    let mut sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        values.join(", ")
    );
    if !key.is_empty() {
        let rest: Vec<String> = columns
            .iter()
            .filter(|c| !key.contains(c))
            .map(|c| format!("{0} = EXCLUDED.{0}", quoted(c)))
            .collect();
        let target: Vec<String> = key.iter().map(|c| quoted(c)).collect();
        sql.push_str(&format!(" ON CONFLICT ({})", target.join(", ")));
        if rest.is_empty() {
            sql.push_str(" DO NOTHING");
        } else {
            sql.push_str(&format!(" DO UPDATE SET {}", rest.join(", ")));
        }
    }
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upsert_names_every_column_and_casts_each_parameter() {
        let types = vec![
            ("window_start".into(), "timestamptz".into()),
            ("window_end".into(), "timestamptz".into()),
            ("action".into(), "text".into()),
            ("n".into(), "int8".into()),
        ];
        let sql = upsert(
            "counts",
            &["window_start", "window_end", "action", "n"],
            &["window_start", "window_end", "action"],
            &types,
        )
        .ok()
        .unwrap();
        assert_eq!(
            sql,
            "INSERT INTO counts (\"window_start\", \"window_end\", \"action\", \"n\") VALUES \
             ($1::text::timestamptz, $2::text::timestamptz, $3::text::text, $4::text::int8) \
             ON CONFLICT (\"window_start\", \"window_end\", \"action\") DO UPDATE SET \"n\" = EXCLUDED.\"n\""
        );
        match upsert("counts", &["nope"], &[], &types) {
            Err(Failure::Refused(e)) => assert!(e.contains("no column `nope`"), "{e}"),
            _ => panic!("a missing column must be refused"),
        }
    }

    #[test]
    fn nulls_fill_every_column_of_their_value() {
        let mut out = Vec::new();
        None::<Window>.push_params(&mut out);
        Some(3i64).push_params(&mut out);
        assert_eq!(out, [None, None, Some("3".into())]);
    }
}
