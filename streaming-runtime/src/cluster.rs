//! Scale-out across processes through Kafka consumer groups: where programs name
//! `KafkaCluster` and its `Task`s (feature `kafka`, written in `kafka/group.rs`), and a
//! partition's [`Fence`] (an epoch file in the checkpoint directory, written in
//! `checkpoint/fence.rs`). A partition's checkpoints and fence can live in an object store
//! instead of a shared directory ([`open_store`], feature `object-store`).

pub use crate::checkpoint::Fence;
#[cfg(feature = "object-store")]
pub use crate::checkpoint::object::ObjectCheckpoints;
pub use crate::checkpoint::{CheckpointStore, open_store};
#[cfg(feature = "kafka")]
pub use crate::kafka::{KafkaCluster, Task};
