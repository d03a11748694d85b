//! # streaming
//!
//! Spark Streaming's DStream model, written as a Rust macro and compiled to fused native
//! code. A pipeline is checked at compile time and each chain of stateless stages becomes
//! one loop per batch:
//!
//! ```no_run
//! use streaming::prelude::*;
//!
//! # async fn demo() -> Result<(), StreamingError> {
//! stream_pipeline! {
//!     batch 1s;
//!     source socket("localhost", 9999)
//!         |> flat_map split
//!         |> filter starts_with("#")
//!         |> reduce_by_key(+)
//!         |> sort desc
//!         |> print
//! }
//! .run()
//! .await
//! # }
//! ```
//!
//! See the README for the grammar, the operator table (Spark name → DSL) and the test
//! harness (`run_batches`, `Collector`).

pub use streaming_macros::stream_pipeline;
pub use streaming_runtime::*;

/// What a pipeline file usually needs.
pub mod prelude {
    pub use crate::stream_pipeline;
    #[cfg(feature = "kafka")]
    pub use streaming_runtime::KafkaRecord;
    pub use streaming_runtime::{
        BatchInfo, BatchTime, Collector, CompactBuffer, IntoOwned, LineBlock, OutputBuffer,
        Pipeline, Receiver, SparkDisplay, Store, StreamingError, Timestamp, Window,
    };
}

#[doc(hidden)]
pub mod __private {
    pub use streaming_runtime as rt;
}
