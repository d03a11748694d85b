//! Output operations (Spark's "output operators"): each ends a pipeline.
//!
//! | DSL | Spark | module |
//! |---|---|---|
//! | `print`, `print(n)` | `print(num)` | [`mod@print`] |
//! | `save_as_text_files(prefix [, suffix])` | `saveAsTextFiles(prefix, suffix)` | [`save_as_text_files`] |
//! | `foreach_batch(\|time, batch\| ...)` | `foreachRDD` | [`foreach_batch`] |
//! | `collect(handle)` | the test harness's output streams | [`collect`] |
//! | `save_to_kafka(brokers, topic)` | `foreachRDD` + a Kafka producer | `kafka::sink` (feature `kafka`) |
//!
//! `print` and `save_as_text_files` show elements with [`SparkDisplay`](crate::SparkDisplay),
//! as Scala's `toString` shows them; `collect` stores owned copies
//! ([`IntoOwned`](crate::IntoOwned)).
pub mod batch_dir;
pub mod collect;
pub mod foreach_batch;
pub mod postgres;
pub mod print;
pub mod save_as_object_files;
pub mod save_as_text_files;
