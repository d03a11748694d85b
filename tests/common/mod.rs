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

/// A checkpointed pipeline run three ways, each with a collector of its own: straight
/// through `total` batches in one checkpoint directory, and in another stopped after
/// `first` batches (as if it crashed) then restarted for `resumed` more. Returns the
/// collectors: (straight, before the stop, after the restart).
pub fn straight_and_restarted<T: Clone + Send + 'static>(
    pipeline: impl Fn(&std::path::Path, &Collector<T>) -> Pipeline,
    total: u64,
    first: u64,
    resumed: u64,
) -> (Collector<T>, Collector<T>, Collector<T>) {
    let outs = (Collector::new(), Collector::new(), Collector::new());
    let straight_dir = tempfile::tempdir().unwrap();
    pipeline(straight_dir.path(), &outs.0)
        .run_batches(total)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    pipeline(dir.path(), &outs.1).run_batches(first).unwrap();
    pipeline(dir.path(), &outs.2).run_batches(resumed).unwrap();
    outs
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
