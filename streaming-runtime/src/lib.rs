//! Runtime for `stream_pipeline!`: receivers and sources, the batch clock and scheduler,
//! data-parallel batches, operators' runtime halves, and Spark-style sinks.
//!
//! Data flows one way: a [`source`] hands each batch to the generated job (a fused loop per
//! stage chain, see [`par`] and [`ops`]), whose sinks ([`sink`]) print, save or collect it.

pub mod block;
pub mod checkpoint;
pub mod cluster;
pub mod compact_buffer;
pub mod context;
pub mod error;
pub mod event_time;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod keyed;
pub mod line_feed;
pub mod listener;
pub mod logging;
pub mod metrics;
pub mod ops;
pub mod order;
pub mod owned;
pub mod par;
pub mod pipeline;
pub mod rate;
pub mod receiver;
mod scheduler;
pub mod shorthand;
pub mod show;
pub mod sink;
pub mod source;
pub mod state_map;
pub mod store;
pub mod time;
pub mod ui;
pub mod wal;
pub mod window;
pub mod words;

pub use block::{Block, LineBlock, Lines};
pub use compact_buffer::CompactBuffer;
pub use context::BatchContext;
pub use error::StreamingError;
pub use event_time::{ParseTimestampError, Timestamp, Window};
#[cfg(feature = "kafka")]
pub use kafka::{KafkaRecord, partition_for, rdkafka};
pub use keyed::{Keyed, KeyedMap, Pair};
pub use listener::BatchInfo;
pub use metrics::{MetricsSnapshot, PartitionLag, SourceMetrics};
pub use owned::IntoOwned;
pub use pipeline::{OutputBuffer, Pipeline, PipelineBuilder, PipelineConfig};
pub use rate::BackpressureConfig;
pub use receiver::Receiver;
pub use scheduler::Running;
pub use show::SparkDisplay;
pub use sink::collect::Collector;
pub use source::{IntoSource, Source, SourceControl};
pub use state_map::StateMap;
pub use store::Store;
pub use time::BatchTime;
