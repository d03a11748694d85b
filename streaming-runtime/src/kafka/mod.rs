//! Everything that talks to Kafka (feature `kafka`, which builds librdkafka):
//!
//! | what | module |
//! |---|---|
//! | `source kafka(brokers, topic)`, Spark's direct Kafka stream | [`source`] |
//! | `save_to_kafka(brokers, topic)` | [`sink`] |
//! | `repartition("topic")`, a shuffle through a topic | [`repartition`] |
//! | `global`, a ranking over every partition of a cluster job | [`global`] |
//! | [`KafkaCluster`]: scale-out through a consumer group | [`group`] |
//! | `replay --kafka`, demo lines written to a topic | [`feed`] |
//!
//! The clients are set up alike in `client.rs` (librdkafka's own logs kept quiet, the
//! idempotent producer the sink and the shuffle share). The module sits on top of the
//! runtime: it is built on the sources, the operators, the pipeline and the scheduler, and
//! the rest of the runtime compiles without it. Outside it only re-exports name it, at the
//! paths programs use: `streaming::cluster::KafkaCluster`,
//! `streaming::source::kafka`, `streaming::line_feed::to_kafka` (with the rest of the demo
//! feed), `streaming::rdkafka`, `streaming::partition_for`.

mod client;
pub mod feed;
pub mod global;
pub mod group;
pub mod repartition;
pub mod sink;
pub mod source;

/// The Kafka client the Kafka source and sink are built on, for settings and admin work
/// beyond them.
pub use rdkafka;

pub use group::{KafkaCluster, Task};
pub use repartition::partition_for;
pub use source::{KafkaRecord, KafkaSource, kafka};
