//! `sql("SELECT ..")`: a query compiled to the pipeline's own stages.
//!
//! A statement whose head is `sql("..")` is rewritten, while the program is parsed, into a
//! statement reading the query's FROM stream through ordinary stages (ARCHITECTURE.md,
//! "SQL"): WHERE a `filter`, the projection a `map` building a row struct generated for the
//! query, grouped aggregates a `map` to `(key, accumulators)` and a `reduce_by_key`,
//! ORDER BY a `sort_by`, LIMIT a `take`. Every later pass sees only those stages, so a
//! query fuses, parallelises and checkpoints as hand-written stages do; and since its
//! expressions are Rust, rustc checks the columns and their types, at the query.
//!
//! [`query`] reads the SQL text (crate `sqlparser`) into the subset, [`expr`] writes
//! expressions (through [`checks`], which name the columns in type errors), [`lower`] writes the stages and the row struct.

mod checks;
mod expr;
mod lower;
mod query;

pub use lower::lower;
