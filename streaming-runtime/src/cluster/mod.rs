//! Scale-out across processes and machines through Kafka consumer groups, as
//! Kafka Streams does: start the same program N times with the same group, and the input
//! topic's partitions are shared among the processes, moving when one joins, leaves or
//! dies.
//!
//! Each partition a process is assigned runs as a *task*: its own pipeline, built by the
//! program's function from a [`Task`], reading only that partition and keeping its state
//! and offset plan in the partition's own checkpoint directory
//! (`<checkpoint>/<topic>-<partition>/`, one atomic checkpoint file holding both). A
//! process assigned a partition claims it ([`Fence`]), restores the partition's newest
//! checkpoint and replays the batches logged after it, exactly, before reading on: results
//! equal those of a run in which the partition never moved. A revoked partition's task
//! finishes its batch, checkpoints and stops before the partition is handed on.

#[cfg(feature = "kafka")]
mod group;

/// Kept here, where the cluster's users meet it, though it lives with the checkpoint
/// directory it guards.
pub use crate::checkpoint::Fence;
#[cfg(feature = "kafka")]
pub use group::{KafkaCluster, Task};
