//! Scale-out across processes through Kafka consumer groups: where programs name
//! `KafkaCluster` and its `Task`s (feature `kafka`, written in `kafka/group.rs`), and a
//! partition's [`Fence`] (an epoch file in the checkpoint directory, written in
//! `checkpoint/fence.rs`).

pub use crate::checkpoint::Fence;
#[cfg(feature = "kafka")]
pub use crate::kafka::{KafkaCluster, Task};
