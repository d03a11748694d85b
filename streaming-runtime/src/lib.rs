#![warn(missing_docs)]
//! Runtime for `stream_pipeline!`: receivers and sources, the batch clock and scheduler,
//! data-parallel batches, operators' runtime halves, and Spark-style sinks.
//!
//! Data flows one way: a [`source`] hands each batch to the generated job (a fused loop per
//! stage chain over the operators' runtime halves), whose sinks print, save or collect it.
//!
//! Programs use this crate through the facade crate `streaming`, which re-exports what they
//! name. The modules the generated code calls (the operators, data-parallel runs, sinks,
//! keyed and windowed state, checkpoint files, the write-ahead log, ...) are public because
//! that code is compiled in the user's crate, and hidden from these docs because they
//! change with the macro.

#[doc(hidden)]
pub mod append_only_map;
pub mod block;
#[doc(hidden)]
pub mod checkpoint;
pub mod cluster;
pub mod compact_buffer;
#[doc(hidden)]
pub mod context;
pub mod error;
pub mod event_time;
#[cfg(feature = "kafka")]
pub mod kafka;
#[doc(hidden)]
pub mod keyed;
pub mod line_feed;
pub mod listener;
#[doc(hidden)]
pub mod logging;
pub mod metrics;
pub mod mllib;
pub mod object_file;
#[doc(hidden)]
pub mod ops;
#[doc(hidden)]
pub mod order;
pub mod owned;
#[doc(hidden)]
pub mod par;
pub mod pipeline;
pub mod rate;
pub mod receiver;
#[doc(hidden)]
pub mod rows_at;
pub mod run_vec;
mod scheduler;
#[doc(hidden)]
pub mod shorthand;
pub mod show;
#[doc(hidden)]
pub mod sink;
pub mod source;
#[doc(hidden)]
pub mod sql;
#[doc(hidden)]
pub mod state_map;
pub mod state_stats;
pub mod store;
pub mod time;
#[doc(hidden)]
pub mod ui;
#[doc(hidden)]
pub mod wal;
#[doc(hidden)]
pub mod window;
#[doc(hidden)]
pub mod words;

pub use block::{Block, LineBlock, Lines};
pub use compact_buffer::CompactBuffer;
pub use context::BatchContext;
pub use error::StreamingError;
pub use event_time::{ParseTimestampError, Timestamp, Window};
#[cfg(feature = "kafka")]
pub use kafka::sink::KafkaElement;
#[cfg(feature = "kafka")]
pub use kafka::{KafkaRecord, partition_for, rdkafka};
pub use keyed::{Keyed, KeyedMap, Pair};
pub use listener::BatchInfo;
pub use metrics::{MetricsSnapshot, PartitionLag, SourceMetrics};
pub use ops::parse::Malformed;
pub use owned::IntoOwned;
pub use pipeline::{OutputBuffer, Pipeline, PipelineBuilder, PipelineConfig};
pub use rate::BackpressureConfig;
pub use receiver::Receiver;
pub use rows_at::{RowsAt, RowsAtMax, RowsAtMin};
pub use scheduler::Running;
pub use show::SparkDisplay;
pub use sink::collect::Collector;
pub use source::{IntoSource, Source, SourceControl};
pub use state_map::StateMap;
pub use state_stats::{StateSize, StateStats};
pub use store::Store;
pub use time::BatchTime;
