//! Batch statistics, Spark's `StreamingListener.onBatchCompleted`: after every batch the
//! pipeline hands a [`BatchInfo`] to the callbacks registered with
//! [`crate::Pipeline::on_batch_completed`] — the figures Spark's streaming UI shows (input
//! records, scheduling delay, processing time).

use std::time::Duration;

use crate::time::BatchTime;

/// What one batch took. Spark's `BatchInfo`, with Rust names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchInfo {
    /// The batch's time (the end of the interval whose input it processed).
    pub batch_time: BatchTime,
    /// Records the batch took from its sources.
    pub num_records: u64,
    /// The same by source, in pipeline order (Spark's `streamIdToInputInfo`); a source fed
    /// by `repartition` counts none, its records were counted when they came in.
    pub records_by_source: Vec<u64>,
    /// How long the batch waited, after its time came, for earlier batches to finish.
    pub scheduling_delay: Duration,
    /// How long the batch's job (operators, sinks and its checkpoint) ran.
    pub processing_delay: Duration,
    /// Rows that event-time stages dropped as late (their windows had closed), in all.
    pub late_rows: u64,
    /// The same by stage (`"event_window (statement 1)"`), for the stages that dropped any.
    pub late_rows_by_stage: Vec<(String, u64)>,
    /// Rows that `parse` stages found malformed (not JSON or CSV of their type), in all,
    /// whatever the stage's mode did with them.
    pub malformed_rows: u64,
    /// The same by stage (`"parse (pipeline statement 1)"`), for the stages that found any.
    pub malformed_rows_by_stage: Vec<(String, u64)>,
    /// Each `event_time` stage's watermark after the batch.
    pub watermarks: Vec<(String, crate::event_time::Timestamp)>,
    /// Each stateful stage's state after the batch (`"update_state_by_key (pipeline
    /// statement 1)"`): rows, rows updated and evicted by the batch, estimated bytes (see
    /// [`crate::state_stats`]). Structured Streaming's `stateOperators`.
    pub state: Vec<(String, crate::state_stats::StateStats)>,
    /// The size of the checkpoint file this batch wrote, if it wrote one.
    pub checkpoint_bytes: Option<u64>,
    /// How long writing that checkpoint took (encoding, the file and its fsyncs).
    pub checkpoint_write: Option<Duration>,
    /// Why the batch failed (a user function panicked, a sink failed), if it did.
    pub failure: Option<String>,
}

impl BatchInfo {
    /// Scheduling delay plus processing time: how far behind its time the batch finished.
    pub fn total_delay(&self) -> Duration {
        self.scheduling_delay + self.processing_delay
    }
}

/// A registered `on_batch_completed` callback.
pub(crate) type BatchListener = Box<dyn FnMut(&BatchInfo) + Send>;
