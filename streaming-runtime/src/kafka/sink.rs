//! `save_to_kafka(brokers, topic)`: each batch's elements written to a Kafka topic.
//! Pairs `(k, v)` become records with key `k` and value `v`; any other element is a
//! value without a key. Both are shown as `print` shows them (Spark's forms), or as JSON
//! with `.json()`.
//!
//! The producer is idempotent (`enable.idempotence`: a retried send is not written twice)
//! and keyed records go to the partition Java's clients would pick (`murmur2_random`). A
//! batch counts as done only once every record is acknowledged (the producer is flushed);
//! a record that cannot be delivered within `.flush_timeout(d)` fails the batch. A batch
//! replayed after a crash writes its records again: output is at least once (keys make it
//! idempotent for compacted topics).

use std::fmt::Write as _;
use std::time::Duration;

use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use super::client::{Deliveries, flush_all, new_producer, send};
use crate::context::BatchContext;
use crate::error::StreamingError;
use crate::show::{Spark, SparkDisplay};

/// How long a batch waits for its records to be acknowledged by default.
pub const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(60);

/// An element `save_to_kafka` can write: a `(key, value)` pair, or a value without a key.
#[diagnostic::on_unimplemented(
    message = "`save_to_kafka` writes `(key, value)` pairs or plain values, and `{Self}` is neither",
    label = "elements of this type are written to Kafka here",
    note = "map the elements to a pair or to a string first, e.g. `map |x| (x.id, x.to_string())`"
)]
pub trait KafkaElement {
    /// The type of the key [`KafkaElement::key`] returns.
    type Key: ?Sized;
    /// The type of the value [`KafkaElement::value`] returns.
    type Value: ?Sized;
    /// The record's key, `None` for a value written without one.
    fn key(&self) -> Option<&Self::Key>;
    /// The record's value.
    fn value(&self) -> &Self::Value;
}

impl<K, V> KafkaElement for (K, V) {
    type Key = K;
    type Value = V;
    fn key(&self) -> Option<&K> {
        Some(&self.0)
    }
    fn value(&self) -> &V {
        &self.1
    }
}

macro_rules! plain_values {
    ($($t:ty),* $(,)?) => {$(
        impl KafkaElement for $t {
            type Key = $t;
            type Value = $t;
            fn key(&self) -> Option<&$t> {
                None
            }
            fn value(&self) -> &$t {
                self
            }
        }
    )*};
}

plain_values!(String, Box<str>, std::sync::Arc<str>, char, bool, f32, f64);
plain_values!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl KafkaElement for &str {
    type Key = str;
    type Value = str;
    fn key(&self) -> Option<&str> {
        None
    }
    fn value(&self) -> &str {
        self
    }
}

impl<S> KafkaElement for crate::source::KafkaRecord<S> {
    type Key = S;
    type Value = S;
    fn key(&self) -> Option<&S> {
        self.key.as_ref()
    }
    fn value(&self) -> &S {
        &self.value
    }
}

/// How keys and values are turned into bytes.
pub trait Format<T: ?Sized> {
    /// Writes `x` into `out`, or says why it cannot be written.
    fn encode(&self, x: &T, out: &mut String) -> Result<(), String>;
}

/// As `print` shows them (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct AsSpark;

/// As JSON (serde).
#[derive(Debug, Clone, Copy, Default)]
pub struct AsJson;

impl<T: SparkDisplay + ?Sized> Format<T> for AsSpark {
    fn encode(&self, x: &T, out: &mut String) -> Result<(), String> {
        write!(out, "{}", Spark(x)).map_err(|e| e.to_string())
    }
}

impl<T: serde::Serialize + ?Sized> Format<T> for AsJson {
    fn encode(&self, x: &T, out: &mut String) -> Result<(), String> {
        let json = serde_json::to_string(x).map_err(|e| e.to_string())?;
        out.push_str(&json);
        Ok(())
    }
}

/// The sink of one `save_to_kafka` stage: its settings, and its producer once the first
/// batch created it.
pub struct KafkaSink<F = AsSpark> {
    brokers: String,
    topic: String,
    options: Vec<(String, String)>,
    flush_timeout: Duration,
    format: F,
    producer: Option<BaseProducer<Deliveries>>,
    key: String,
    value: String,
}

impl KafkaSink<AsSpark> {
    /// Writes to `topic` on the cluster at `brokers`.
    pub fn new(brokers: impl Into<String>, topic: impl Into<String>) -> Self {
        KafkaSink {
            brokers: brokers.into(),
            topic: topic.into(),
            options: Vec::new(),
            flush_timeout: DEFAULT_FLUSH_TIMEOUT,
            format: AsSpark,
            producer: None,
            key: String::new(),
            value: String::new(),
        }
    }
}

impl<F> KafkaSink<F> {
    /// Any librdkafka producer setting, e.g. `.option("compression.type", "zstd")`.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.push((key.into(), value.into()));
        self
    }

    /// Keys and values as JSON (`serde::Serialize`) instead of Spark's text forms.
    pub fn json(self) -> KafkaSink<AsJson> {
        KafkaSink {
            brokers: self.brokers,
            topic: self.topic,
            options: self.options,
            flush_timeout: self.flush_timeout,
            format: AsJson,
            producer: None,
            key: self.key,
            value: self.value,
        }
    }

    /// How long a batch waits for its records to be acknowledged before it fails
    /// (default 60 s).
    pub fn flush_timeout(mut self, d: Duration) -> Self {
        self.flush_timeout = d;
        self
    }

    fn producer(&mut self) -> Result<&BaseProducer<Deliveries>, StreamingError> {
        if self.producer.is_none() {
            let producer = new_producer(
                &self.brokers,
                &self.options,
                self.flush_timeout,
                "streaming-kafka-sink",
            )
            .map_err(|e| self.error(format!("cannot create the Kafka producer: {e}")))?;
            self.producer = Some(producer);
        }
        self.producer
            .as_ref()
            .ok_or_else(|| self.error("no producer".into()))
    }

    fn error(&self, message: String) -> StreamingError {
        StreamingError::Custom(format!("save_to_kafka {}: {message}", self.topic))
    }
}

/// Writes the batch and waits until every record is acknowledged.
pub fn finish<T, F>(
    ctx: &mut BatchContext<'_>,
    sink: &mut KafkaSink<F>,
    batch: &[T],
) -> Result<(), StreamingError>
where
    T: KafkaElement,
    F: Format<T::Key> + Format<T::Value>,
{
    // A cluster task that lost its partition writes nothing.
    ctx.check_fence()?;
    let mut key = std::mem::take(&mut sink.key);
    let mut value = std::mem::take(&mut sink.value);
    let result = write_batch(sink, batch, &mut key, &mut value);
    (sink.key, sink.value) = (key, value);
    result
}

fn write_batch<T, F>(
    sink: &mut KafkaSink<F>,
    batch: &[T],
    key: &mut String,
    value: &mut String,
) -> Result<(), StreamingError>
where
    T: KafkaElement,
    F: Format<T::Key> + Format<T::Value>,
{
    let flush_timeout = sink.flush_timeout;
    let topic = sink.topic.clone();
    let (format, producer) = {
        sink.producer()?;
        (&sink.format, sink.producer.as_ref())
    };
    let Some(producer) = producer else {
        return Ok(());
    };
    producer.context().reset();
    let encode_error = |e: String| {
        StreamingError::Custom(format!(
            "save_to_kafka {topic}: cannot encode an element: {e}"
        ))
    };
    for x in batch {
        value.clear();
        format.encode(x.value(), value).map_err(encode_error)?;
        let k = match x.key() {
            Some(k) => {
                key.clear();
                format.encode(k, key).map_err(encode_error)?;
                Some(key.as_str())
            }
            None => None,
        };
        let mut record = BaseRecord::to(&topic).payload(value.as_str());
        if let Some(k) = k {
            record = record.key(k);
        }
        send(producer, record).map_err(|e| {
            StreamingError::Custom(format!("save_to_kafka {topic}: cannot send a record: {e}"))
        })?;
    }
    flush_all(producer, flush_timeout, batch.len())
        .map_err(|e| StreamingError::Custom(format!("save_to_kafka {topic}: {e}")))?;
    Ok(())
}
