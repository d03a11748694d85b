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

//!
//! What a program names is re-exported here: the pipeline and its settings, errors, times
//! and windows, batch statistics and metrics, the test harness, element traits, and what a
//! custom source implements. The functions, traits and modules the generated code calls
//! live in the `streaming-runtime` crate and are no part of this API: they may change with
//! the macro.

#![warn(missing_docs)]

// Inlined, so that this crate's docs are the whole user's manual.
#[doc(inline)]
pub use streaming_macros::{Record, stream_pipeline};
#[doc(inline)]
pub use streaming_runtime::{into_owned_by_identity, spark_display_via_display};

#[doc(inline)]
pub use streaming_runtime::{
    BackpressureConfig, BatchInfo, BatchTime, Block, Collector, CompactBuffer, IntoOwned,
    IntoSource, Keyed, LineBlock, Lines, Malformed, MetricsSnapshot, OutputBuffer,
    ParseTimestampError, PartitionLag, Pipeline, PipelineBuilder, PipelineConfig, Receiver, RowsAt,
    RowsAtMax, RowsAtMin, Running, Source, SourceControl, SourceMetrics, SparkDisplay, StateStats,
    Store, StreamingError, Timestamp, Window,
};
#[doc(inline)]
pub use streaming_runtime::{block, cluster, event_time, line_feed, object_file, receiver, source};

/// The Kafka client the source and sink are built on, for programs that talk to the
/// brokers themselves (creating topics, producing test data) with the same version.
#[cfg(feature = "kafka")]
pub use streaming_runtime::rdkafka;
#[cfg(feature = "kafka")]
#[doc(inline)]
pub use streaming_runtime::{KafkaElement, KafkaRecord, partition_for};

/// What a pipeline file usually needs.
pub mod prelude {
    pub use crate::{Record, stream_pipeline};
    #[cfg(feature = "kafka")]
    pub use streaming_runtime::KafkaRecord;
    pub use streaming_runtime::{
        BatchInfo, BatchTime, Collector, CompactBuffer, IntoOwned, LineBlock, Malformed,
        OutputBuffer, Pipeline, Receiver, SparkDisplay, Store, StreamingError, Timestamp, Window,
    };
}

/// The generated code's way to the runtime (`::streaming::__private::rt::...`), so that a
/// program depends on `streaming` alone. Not API: anything reached through it may change.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use streaming_runtime as rt;
}

/// MLlib on streams: Spark's streaming k-means and linear / logistic regression with SGD.
/// A pipeline names a model (`let m = kmeans(3).random_centers(2, 0.0, 42);`, or
/// `let m = model(handle);` for a handle built here, whose `latest_model()` the program
/// reads after each batch) and trains it with `train_on(m)`, predicting with
/// `predict_on(m)` / `predict_on_values(m)` (see the README's "MLlib on streams").
pub mod mllib {
    #[doc(inline)]
    pub use streaming_runtime::mllib::{
        Features, IntoModel, KMeans, KMeansModel, Labeled, LabeledPoint, LinearRegressionModel,
        LinearRegressionWithSgd, LogisticRegressionModel, LogisticRegressionWithSgd, Predict, Rng,
        StreamingKMeans, StreamingLinearRegression, StreamingLogisticRegression, StreamingModel,
        TimeUnit, kmeans, linear_regression, logistic_regression, parse_vector,
    };
    #[doc(inline)]
    pub use streaming_runtime::mllib::{kmeans::update, regression::Sgd, regression::sgd};
}

/// Nexmark, the streaming benchmark (persons, auctions and bids of an online auction):
/// the events of `source nexmark()` and its builder (see the README's "Nexmark" section).
pub mod nexmark {
    #[doc(inline)]
    pub use streaming_runtime::source::nexmark::{
        Auction, Bid, DEFAULT_FIRST_EVENT_TIME, DEFAULT_PER_BATCH, Event, NexmarkSource, Person,
        nexmark, timestamp,
    };
}
