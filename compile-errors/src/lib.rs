//! Nothing here: this package's tests (`tests/compile_errors.rs`) pin the compile-time
//! errors of `stream_pipeline!` with trybuild. A package of its own so that trybuild's
//! test project depends on `streaming` alone (see `Cargo.toml`).
