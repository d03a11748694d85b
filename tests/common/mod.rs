//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test file uses part of this module

pub mod http;
// `scripts/install_test_deps.sh` on first use; `kafka.rs` carries it because the examples
// and benches include that file alone.
#[cfg(not(feature = "kafka"))]
pub mod install;
#[cfg(feature = "kafka")]
pub mod kafka;
#[cfg(feature = "kafka")]
pub use kafka::install;
pub mod overload;
pub mod postgres;
pub mod process;
pub mod s3;

use streaming::prelude::*;

/// Each batch's elements, sorted (order within a batch is unspecified unless the pipeline
/// sorts).
pub fn sorted<T: Ord + Clone>(c: &Collector<T>) -> Vec<Vec<T>> {
    c.sorted_batches().into_iter().map(|(_, v)| v).collect()
}

/// `(time in ms, sorted elements)` per batch.
pub fn times_and_values<T: Ord + Clone>(c: &Collector<T>) -> Vec<(u64, Vec<T>)> {
    c.sorted_batches()
        .into_iter()
        .map(|(t, v)| (t.milliseconds(), v))
        .collect()
}

pub fn s(x: &str) -> String {
    x.to_string()
}

/// `print`'s output `text` (one batch) shows `pairs`' first 10 as Spark does, then `...`.
pub fn assert_prints_first_ten(text: &str, pairs: &[(String, i64)]) {
    let expected: Vec<String> = pairs[..10]
        .iter()
        .map(|(k, v)| format!("({k},{v})"))
        .collect();
    assert_eq!(
        text.lines().skip(3).take(10).collect::<Vec<_>>(),
        expected,
        "{text}"
    );
    assert!(text.contains("\n...\n"), "{text}");
}
