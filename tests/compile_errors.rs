//! The macro's compile-time errors, pinned with trybuild (`TRYBUILD=overwrite` regenerates
//! the `.stderr` files after a deliberate change of message).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
