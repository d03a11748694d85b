//! Sources: what a pipeline reads from. Each source is split in two halves:
//! the [`Source`] itself, owned by the batch job, which hands over each batch's data, and its
//! [`SourceControl`], kept by the scheduler, which starts it, seals each batch at its batch
//! time (possibly while the job is still busy with an earlier one) and tells when it ended.
//! The order in which the pipeline calls the control half (seal, prepare, position,
//! checkpointed, batch_completed; restore_position and replay_seal at a restart) is the
//! exactly-once protocol that `ARCHITECTURE.md` draws, section "Exactly once".

use std::sync::Arc;

use crate::error::StreamingError;
use crate::metrics::SourceMetrics;
use crate::time::BatchTime;

pub mod files;
pub mod nexmark;
mod object_files;
mod queue;
mod receiver_source;
mod text_files;

#[cfg(feature = "kafka")]
pub use crate::kafka::source::{self as kafka, KafkaRecord, KafkaSource, kafka};
pub use files::FilesSource;
pub use nexmark::{NexmarkSource, nexmark};
pub use object_files::{ObjectFilesSource, ObjectFormat, object_files};
pub use queue::{QueueSource, queue};
pub use receiver_source::{ReceiverSource, SocketSource, StdinSource, receiver};
pub use text_files::{LineFormat, TextFilesSource, text_files};

pub use crate::receiver::socket::{SocketReceiver, socket};
pub use crate::receiver::stdin::{StdinReceiver, stdin};

/// The job's half of a source.
pub trait Source: Send + 'static {
    /// One batch of data: a [`crate::LineBlock`] for text sources, `Vec<T>` for typed ones.
    type Batch: Send;

    /// The scheduler's half. Called once, when the pipeline is built.
    fn control(&self) -> Arc<dyn SourceControl>;

    /// The data sealed for batch `time`. Called once per batch, in time order, after
    /// [`SourceControl::seal`] was called with the same time.
    fn next_batch(&mut self, time: BatchTime) -> Result<Self::Batch, StreamingError>;
}

/// The scheduler's half of a source.
pub trait SourceControl: Send + Sync {
    /// Starts receiving (spawns receivers on `runtime`). Called once, before the first seal.
    fn start(&self, runtime: &tokio::runtime::Handle) -> Result<(), StreamingError>;
    /// Everything that arrived until now belongs to the batch at `time`.
    fn seal(&self, time: BatchTime);
    /// No data will come after the batches sealed so far (a drained queue, stdin at EOF).
    fn is_finished(&self) -> bool;
    /// Stops receiving; called when the pipeline ends.
    fn stop(&self);
    /// The source's counters.
    fn metrics(&self) -> Arc<SourceMetrics>;

    /// Replayable sources start recording their position at every seal (called once, before
    /// the first seal, when the pipeline checkpoints).
    fn record_positions(&self) {}

    /// Replayable sources: the position reached once the batch sealed at `time` is consumed,
    /// for a checkpoint. `None` for sources that cannot replay (sockets, stdin).
    fn position(&self, _time: BatchTime) -> Option<Vec<u8>> {
        None
    }

    /// Rewinds to a position taken from a checkpoint (before the first seal).
    fn restore_position(&self, _position: &[u8]) -> Result<(), StreamingError> {
        Ok(())
    }

    /// `checkpoint "dir" wal;`: receivers log what they accept to `path` and replay what
    /// came after the restored checkpoint's batch (`None`: a fresh start, the old log is
    /// discarded). Replayable sources need no log.
    fn enable_wal(
        &self,
        _path: &std::path::Path,
        _restored: Option<BatchTime>,
    ) -> Result<(), StreamingError> {
        Ok(())
    }

    /// The batch at `time` is checkpointed.
    fn checkpointed(&self, _time: BatchTime) {}

    /// The pipeline's batch interval; called once, when the pipeline is built.
    fn set_batch_interval(&self, _interval: std::time::Duration) {}

    /// Called on the batch thread right before the batch at `time` runs (after its seal):
    /// blocks until its input is final, so that [`SourceControl::position`] for `time` can
    /// be logged before the batch has any effect. An error fails the batch.
    fn prepare(&self, _time: BatchTime) -> Result<(), StreamingError> {
        Ok(())
    }

    /// Whether [`SourceControl::replay_seal`] gives a batch exactly the input it had before
    /// (then the pipeline logs every batch's positions, see [`crate::checkpoint::BatchInput`]).
    fn replays_exactly(&self) -> bool {
        false
    }

    /// Seals the batch at `time` with exactly the input it had before a crash: everything
    /// from the current position up to `position` (what [`SourceControl::position`] gave
    /// for `time`). Sources that cannot replay exactly seal as usual.
    fn replay_seal(&self, time: BatchTime, _position: &[u8]) {
        self.seal(time);
    }

    /// The batch at `time` completed successfully (Kafka commits its offsets to the group).
    fn batch_completed(&self, _time: BatchTime) {}

    /// Kafka: per partition, how far its end offset is ahead of this source's position
    /// (for `/metrics` and the streaming page). Other sources have no partitions.
    fn partition_lag(&self) -> Vec<crate::metrics::PartitionLag> {
        Vec::new()
    }

    /// Backpressure (see [`crate::rate`]): take in at most `records_per_second` from now on
    /// (`None`: no limit). Receivers read no faster; the Kafka source plans no more per
    /// batch. Sources that cannot be slowed ignore it.
    fn set_rate_limit(&self, _records_per_second: Option<u64>) {}
}

/// The position recorded for `time`: the entry at it, or the last one before it.
pub(crate) fn position_at<P: Clone>(
    positions: &std::collections::VecDeque<(BatchTime, P)>,
    time: BatchTime,
) -> Option<P> {
    positions
        .iter()
        .rev()
        .find(|(t, _)| *t <= time)
        .map(|(_, p)| p.clone())
}

/// Drops positions older than the one in force at `time`.
pub(crate) fn prune_positions<P>(
    positions: &mut std::collections::VecDeque<(BatchTime, P)>,
    time: BatchTime,
) {
    while positions.len() > 1 && positions.get(1).is_some_and(|(t, _)| *t <= time) {
        positions.pop_front();
    }
}

/// The checkpointed positions of a source whose position is a count (the vecs of `queue`,
/// the events of `nexmark`): while checkpointing, the count as of each sealed batch, kept
/// until the batch's checkpoint no longer needs it.
#[derive(Default)]
pub(crate) struct CountPositions(Option<std::collections::VecDeque<(BatchTime, u64)>>);

impl CountPositions {
    /// Starts recording (once), from `start`.
    pub(crate) fn record(&mut self, start: u64) {
        if self.0.is_none() {
            self.0 = Some(std::collections::VecDeque::from([(BatchTime::ZERO, start)]));
        }
    }

    /// The count as of the batch sealed at `time`.
    pub(crate) fn sealed(&mut self, time: BatchTime, count: u64) {
        if let Some(p) = &mut self.0 {
            p.push_back((time, count));
        }
    }

    /// The encoded position in force at `time`; older ones are dropped.
    pub(crate) fn encoded(&mut self, time: BatchTime) -> Option<Vec<u8>> {
        let positions = self.0.as_mut()?;
        let n = position_at(positions, time)?;
        prune_positions(positions, time);
        postcard::to_stdvec(&n).ok()
    }

    /// Restored at `count`: the positions start again from it.
    pub(crate) fn restored(&mut self, count: u64) {
        if let Some(p) = &mut self.0 {
            p.clear();
            p.push_back((BatchTime::ZERO, count));
        }
    }

    /// A position [`encoded`](Self::encoded) earlier; `source` names the source in the
    /// error.
    pub(crate) fn decode(position: &[u8], source: &str) -> Result<u64, StreamingError> {
        postcard::from_bytes(position)
            .map_err(|e| StreamingError::Config(format!("{source} position in checkpoint: {e}")))
    }
}

/// What `source NAME(..)` in the DSL may evaluate to: a [`Source`], or a receiver builder
/// such as [`socket`]`(..)` that becomes one.
pub trait IntoSource {
    /// The source it becomes.
    type Source: Source;
    /// Turns it into its source.
    fn into_source(self) -> Self::Source;
}

impl<S: Source> IntoSource for S {
    type Source = S;
    fn into_source(self) -> S {
        self
    }
}
