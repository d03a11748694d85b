//! Spark Streaming's DStream model as a Rust macro, compiled to fused native code.
pub use streaming_macros::stream_pipeline;
pub use streaming_runtime::*;

#[doc(hidden)]
pub mod __private {
    pub use streaming_runtime as rt;
}
