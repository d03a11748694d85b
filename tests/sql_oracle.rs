//! SQLite as the oracle for the SQL that `sql("..")` compiles: each query of
//! `tests/sql_oracle/queries.rs` (written by `scripts/gen_sql_oracle.py`) runs through a
//! pipeline over proptest's batches of rows, and through SQLite over the same rows, one batch
//! at a time (our queries are per batch); the results must be the same rows (as multisets,
//! or in order when the query's ORDER BY orders its rows totally), NULLs included, floats
//! within a relative 1e-9.
//!
//! Where SQLite and Spark SQL differ, Spark is right and the generator translates the SQLite
//! side (`/` always a DOUBLE, `concat` NULL if any part is, a boolean in `concat` shown as
//! `true`/`false`) or avoids the construct; LIKE is
//! case-sensitive in Spark, so SQLite runs with `PRAGMA case_sensitive_like = ON`.
//!
//! Each query runs 20 cases (`SQL_ORACLE_CASES` sets another number), from a seed of its
//! own name: the run is the same every time. A failure shows proptest's smallest failing
//! batches and both sides' rows.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use serde_json::Value;
use streaming::prelude::*;

/// The input rows: every SQL type the queries use, nullable and not. `SELECT *` gives them
/// as they are, serialised as SQLite's `SELECT *` names its columns.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
struct Row {
    k: String,
    g: Option<String>,
    a: i64,
    b: Option<i64>,
    x: f64,
    y: Option<f64>,
    flag: bool,
    m: Option<bool>,
}

streaming::into_owned_by_identity!(Row);

/// A result's cell, as both sides are compared: booleans are 0 and 1 (SQLite has no
/// booleans), numbers compare across integer and float.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
}

type Batches = Vec<Vec<Row>>;
/// A batch's result rows, cells in column order (`c0`, `c1`, ..).
type Rows = Vec<Vec<Cell>>;

/// Strings from a small alphabet, so that groups repeat and LIKE patterns match (`%` and
/// `_` in the data too, for escaped patterns).
fn text() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "", "a", "b", "A", "ab", "ba", "Ab", "abc", "bb", "aB", "a%", "_b",
    ])
    .prop_map(str::to_owned)
}

/// Floats whose sums are exact in any order and that print alike in Spark and SQLite.
fn float() -> impl Strategy<Value = f64> {
    prop::sample::select(vec![-2.5, -1.0, 0.0, 0.5, 1.25, 3.0, 7.75])
}

fn row() -> impl Strategy<Value = Row> {
    (
        text(),
        prop::option::weighted(0.75, text()),
        -5i64..=10,
        prop::option::weighted(0.75, -5i64..=10),
        float(),
        prop::option::weighted(0.75, float()),
        any::<bool>(),
        prop::option::weighted(0.75, any::<bool>()),
    )
        .prop_map(|(k, g, a, b, x, y, flag, m)| Row {
            k,
            g,
            a,
            b,
            x,
            y,
            flag,
            m,
        })
}

fn batches() -> impl Strategy<Value = Batches> {
    prop::collection::vec(prop::collection::vec(row(), 0..=30), 1..=3)
}

/// The rows of one batch as SQLite computes `sql` over them.
fn sqlite(batch: &[Row], sql: &str) -> rusqlite::Result<(Vec<String>, Rows)> {
    let db = Connection::open_in_memory()?;
    db.execute_batch(
        "PRAGMA case_sensitive_like = ON;
         CREATE TABLE t (k TEXT, g TEXT, a INTEGER, b INTEGER, x REAL, y REAL,
                         flag INTEGER, m INTEGER);",
    )?;
    let mut insert = db.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    for r in batch {
        insert.execute(rusqlite::params![r.k, r.g, r.a, r.b, r.x, r.y, r.flag, r.m])?;
    }
    let mut stmt = db.prepare(sql)?;
    let names: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let n = names.len();
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        ValueRef::Null => Cell::Null,
                        ValueRef::Integer(v) => Cell::Int(v),
                        ValueRef::Real(v) => Cell::Float(v),
                        ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                        ValueRef::Blob(_) => Cell::Text("<blob>".into()),
                    })
                })
                .collect()
        })?
        .collect::<rusqlite::Result<Rows>>()?;
    Ok((names, rows))
}

/// Our output rows, through serde as `{"c0": .., "c1": ..}`, cells in `names`' order.
fn ours<T: serde::Serialize + Clone>(
    out: &Collector<T>,
    names: &[String],
    n: usize,
) -> Result<Vec<Rows>, String> {
    let batches = out.batches();
    if batches.len() != n {
        return Err(format!("{} batches collected, {n} run", batches.len()));
    }
    batches
        .iter()
        .map(|(_, rows)| {
            rows.iter()
                .map(|r| {
                    let v = serde_json::to_value(r).map_err(|e| e.to_string())?;
                    names
                        .iter()
                        .map(|c| match v.get(c) {
                            None => Err(format!("no column {c} in {v}")),
                            Some(Value::Null) => Ok(Cell::Null),
                            Some(Value::Bool(b)) => Ok(Cell::Int(i64::from(*b))),
                            Some(Value::Number(x)) => Ok(match x.as_i64() {
                                Some(i) => Cell::Int(i),
                                None => Cell::Float(x.as_f64().unwrap_or(f64::NAN)),
                            }),
                            Some(Value::String(s)) => Ok(Cell::Text(s.clone())),
                            Some(other) => Err(format!("unexpected {other}")),
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn number(c: &Cell) -> Option<f64> {
    match c {
        Cell::Int(i) => Some(*i as f64),
        Cell::Float(f) => Some(*f),
        _ => None,
    }
}

/// Two cells alike: floats within a relative 1e-9 (SQLite sums in another order).
fn same(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Int(x), Cell::Int(y)) => x == y,
        (Cell::Null, Cell::Null) => true,
        (Cell::Text(x), Cell::Text(y)) => x == y,
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
            _ => false,
        },
    }
}

fn same_row(a: &[Cell], b: &[Cell]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
}

/// The same rows: in the same order if `ordered`, else as multisets.
fn same_rows(ours: &Rows, theirs: &Rows, ordered: bool) -> bool {
    if ours.len() != theirs.len() {
        return false;
    }
    if ordered {
        return ours.iter().zip(theirs).all(|(a, b)| same_row(a, b));
    }
    let mut left: Vec<&Vec<Cell>> = theirs.iter().collect();
    ours.iter()
        .all(|a| match left.iter().position(|b| same_row(a, b)) {
            Some(i) => {
                left.swap_remove(i);
                true
            }
            None => false,
        })
}

/// Runs `pipeline` (the query compiled into a pipeline over the batches it is given, giving
/// its collected rows) and SQLite's `sqlite` text over proptest's batches.
fn check(
    name: &str,
    query: &str,
    sqlite_text: &str,
    ordered: bool,
    pipeline: impl Fn(Batches, &[String]) -> Result<Vec<Rows>, String>,
) {
    let cases = std::env::var("SQL_ORACLE_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut seed = [0u8; 32];
    for (i, b) in name.bytes().enumerate() {
        seed[i % 32] ^= b;
    }
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let result = runner.run(&batches(), |batches| {
        let mut expected = Vec::new();
        let mut names = Vec::new();
        for batch in &batches {
            let (n, rows) = sqlite(batch, sqlite_text)
                .map_err(|e| TestCaseError::fail(format!("SQLite: {e}")))?;
            names = n;
            expected.push(rows);
        }
        let got = pipeline(batches.clone(), &names).map_err(TestCaseError::fail)?;
        for (i, (ours, theirs)) in got.iter().zip(&expected).enumerate() {
            if !same_rows(ours, theirs, ordered) {
                return Err(TestCaseError::fail(format!(
                    "batch {i}: rows differ\n  ours:   {ours:?}\n  SQLite: {theirs:?}"
                )));
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {query}\n  SQLite: {sqlite_text}\n{e}");
    }
}

/// One query: a test running it through a pipeline and through SQLite.
macro_rules! oracle {
    ($name:ident, $ours:literal, $sqlite:literal) => {
        oracle!(@test $name, $ours, $sqlite, false);
    };
    ($name:ident, $ours:literal, $sqlite:literal, ordered) => {
        oracle!(@test $name, $ours, $sqlite, true);
    };
    (@test $name:ident, $ours:literal, $sqlite:literal, $ordered:literal) => {
        #[test]
        fn $name() {
            check(stringify!($name), $ours, $sqlite, $ordered, |batches, names| {
                let n = batches.len();
                let out = Collector::new();
                let mut p = stream_pipeline! {
                    batch 1s;
                    let t = source queue(batches);
                    sql($ours) |> collect(out)
                };
                p.run_batches(n as u64).map_err(|e| e.to_string())?;
                ours(&out, names, n)
            });
        }
    };
}

include!("sql_oracle/queries.rs");
