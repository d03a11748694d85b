//! `save_to_postgres` against a real PostgreSQL server (started on a free port by
//! `tests/common/postgres.rs`): a query's rows upserted by their key, a replayed batch
//! rewriting the same rows, event-time windows as two columns, and a table that does not
//! fit refused with a message naming what is missing.

mod common;

use common::postgres::{Client, Postgres};
use streaming::prelude::*;

/// The rows of `sql`, as text, sorted.
fn rows(pg: &Postgres, sql: &str) -> Vec<Vec<Option<String>>> {
    let mut out: Vec<Vec<Option<String>>> = Client::connect(pg)
        .query(sql)
        .unwrap()
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.get::<_, Option<String>>(i))
                .collect()
        })
        .collect();
    out.sort();
    out
}

fn execute(pg: &Postgres, sql: &str) {
    Client::connect(pg).execute(sql);
}

fn row(cells: &[&str]) -> Vec<Option<String>> {
    cells
        .iter()
        .map(|c| (*c != "NULL").then(|| c.to_string()))
        .collect()
}

#[test]
fn rows_are_upserted_by_the_group_key_and_a_replay_rewrites_them() {
    let pg = Postgres::start();
    execute(
        &pg,
        "CREATE TABLE totals (word text PRIMARY KEY, total bigint NOT NULL, longest integer)",
    );
    let url = pg.conninfo();
    let batches = vec![vec!["cat dog cat", "owl"], vec!["dog dog"]];
    let run = |batches: Vec<Vec<&'static str>>| {
        let mut p = stream_pipeline! {
            batch 1s;
            let words = source queue(batches) |> flat_map split;
            sql("SELECT word, count(*) AS total, max(length(word)) AS longest
                 FROM words AS w(word) GROUP BY word")
                |> save_to_postgres(url.clone(), "totals")
        };
        p.run_batches(2)
    };
    run(batches.clone()).unwrap();
    // Per batch: the second batch's `dog` row replaced the first's.
    let q = "SELECT word, total::text, longest::text FROM totals";
    let expected = vec![
        row(&["cat", "2", "3"]),
        row(&["dog", "2", "3"]),
        row(&["owl", "1", "3"]),
    ];
    assert_eq!(rows(&pg, q), expected);
    // The same batches again (a replay after a crash): the same rows, none added.
    run(batches).unwrap();
    assert_eq!(rows(&pg, q), expected);
}

#[derive(Debug, Clone, Record)]
struct Event {
    action: String,
    time: Timestamp,
}

#[test]
fn an_event_time_window_fills_two_columns() {
    let pg = Postgres::start();
    execute(
        &pg,
        "CREATE TABLE action_counts (window_start timestamptz, window_end timestamptz, \
         action text, n bigint, PRIMARY KEY (window_start, window_end, action))",
    );
    let url = pg.conninfo();
    let at = |a: &str, s: &str| Event {
        action: a.into(),
        time: s.parse().unwrap(),
    };
    let mut p = stream_pipeline! {
        batch 1s;
        let events = source queue(vec![
            vec![at("view", "2026-12-01T10:05:00Z"), at("view", "2026-12-01T10:59:59Z"), at("buy", "2026-12-01T10:30:00Z")],
            vec![at("view", "2026-12-01T12:30:00Z")],
        ]) |> event_time(|e| e.time) watermark 10m;
        sql("SELECT action, window, count(*) AS n FROM events GROUP BY window(time, '1 hour'), action")
            |> save_to_postgres(url, "action_counts")
    };
    p.run_batches(2).unwrap();
    assert_eq!(
        rows(
            &pg,
            "SELECT to_char(window_start AT TIME ZONE 'UTC', 'HH24:MI'), \
             to_char(window_end AT TIME ZONE 'UTC', 'HH24:MI'), action, n::text FROM action_counts"
        ),
        vec![
            row(&["10:00", "11:00", "buy", "1"]),
            row(&["10:00", "11:00", "view", "2"])
        ]
    );
}

#[test]
fn a_table_without_a_column_of_the_query_is_refused_naming_it() {
    let pg = Postgres::start();
    execute(
        &pg,
        "CREATE TABLE totals (word text PRIMARY KEY, count bigint)",
    );
    let url = pg.conninfo();
    let mut p = stream_pipeline! {
        batch 1s;
        let words = source queue(vec![vec!["a"]]) |> flat_map split;
        sql("SELECT word, count(*) AS total FROM words AS w(word) GROUP BY word")
            |> save_to_postgres(url.clone(), "totals")
    };
    let e = p.run_batches(1).unwrap_err().to_string();
    assert!(
        e.contains("no column `total`") && e.contains("word, count"),
        "{e}"
    );

    let mut p = stream_pipeline! {
        batch 1s;
        let words = source queue(vec![vec!["a"]]) |> flat_map split;
        sql("SELECT word, count(*) AS total FROM words AS w(word) GROUP BY word")
            |> save_to_postgres(url, "missing")
    };
    let e = p.run_batches(1).unwrap_err().to_string();
    assert!(e.contains("no table `missing`"), "{e}");
}

/// A server that goes away closes the sink's connection: the next batch's write fails,
/// is retried with backoff on a new connection and lands once the server is back; with the
/// server gone for good, the batch fails after the retries, naming the cause.
#[test]
fn a_lost_connection_is_retried_then_the_batch_fails() {
    let mut pg = Postgres::start();
    execute(
        &pg,
        "CREATE TABLE totals (word text PRIMARY KEY, total bigint)",
    );
    let url = pg.conninfo();
    let mut p = stream_pipeline! {
        batch 1s;
        let words = source queue(vec![vec!["a"], vec!["b"], vec!["c"]]) |> flat_map split;
        sql("SELECT word, count(*) AS total FROM words AS w(word) GROUP BY word")
            |> save_to_postgres(url, "totals")
    };
    p.run_batches(1).unwrap();
    // Restarted between two batches: the sink's connection is dead, the server is up.
    pg.stop();
    pg.serve();
    p.run_batches(1).unwrap();
    let q = "SELECT word, total::text, NULL FROM totals";
    assert_eq!(
        rows(&pg, q),
        vec![row(&["a", "1", "NULL"]), row(&["b", "1", "NULL"])]
    );
    pg.stop();
    let e = p.run_batches(1).unwrap_err().to_string();
    assert!(e.contains("the connection failed 7 times"), "{e}");
}
