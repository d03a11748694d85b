//! The macro's compile-time errors, pinned with trybuild (`TRYBUILD=overwrite` regenerates
//! the `.stderr` files after a deliberate change of message). Kafka's errors depend on the
//! `kafka` feature: `tests/ui_kafka` runs with it, `tests/ui_no_kafka` without.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    #[cfg(feature = "kafka")]
    t.compile_fail("tests/ui_kafka/*.rs");
    #[cfg(not(feature = "kafka"))]
    t.compile_fail("tests/ui_no_kafka/*.rs");
}
