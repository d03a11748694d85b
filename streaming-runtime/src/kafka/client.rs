//! Setting up librdkafka's clients the same way for the source, the sink, the shuffle and
//! the consumer group: librdkafka's own logs kept quiet, and the idempotent producer that
//! `save_to_kafka` and `repartition` write through.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use tracing::{debug, warn};

/// librdkafka's own logs go to `tracing` at debug level: the source and sink report what
/// matters (brokers lost and found, bad records, undelivered records) once, in their own
/// words, and count it, instead of librdkafka's retry chatter.
pub(crate) fn quiet_log(level: RDKafkaLogLevel, fac: &str, message: &str) {
    debug!(target: "librdkafka", ?level, fac, "{message}");
}

/// librdkafka's global errors, at debug level for the same reason as [`quiet_log`].
pub(crate) fn quiet_error(error: &KafkaError, reason: &str) {
    debug!(target: "librdkafka", %error, "{reason}");
}

/// Counts deliveries that failed, for the batch that flushes them.
pub(crate) struct Deliveries {
    failed: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Deliveries {
    /// Starts a batch's count afresh: a failure still counted is an earlier batch's.
    pub(crate) fn reset(&self) {
        self.failed.store(0, Ordering::Relaxed);
    }
}

impl ClientContext for Deliveries {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        quiet_log(level, fac, message);
    }
    fn error(&self, error: KafkaError, reason: &str) {
        quiet_error(&error, reason);
    }
}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            self.failed.fetch_add(1, Ordering::Relaxed);
            *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
        }
    }
}

/// An idempotent producer whose keyed records go where Java's clients would put them;
/// a record not acknowledged within `timeout` fails.
pub(crate) fn new_producer(
    brokers: &str,
    options: &[(String, String)],
    timeout: Duration,
    client_id: &str,
) -> Result<BaseProducer<Deliveries>, KafkaError> {
    let timeout_ms = timeout.as_millis().max(1).to_string();
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        // What idempotence implies anyway, said: a record counts as written once every
        // in-sync replica has it (with the topic's `min.insync.replicas` of 2 or more, a
        // broker's loss loses nothing acknowledged).
        .set("acks", "all")
        .set("partitioner", "murmur2_random")
        .set("message.timeout.ms", &timeout_ms)
        .set("client.id", client_id);
    for (k, v) in options {
        config.set(k, v);
    }
    config.create_with_context(Deliveries {
        failed: AtomicU64::new(0),
        last_error: Mutex::new(None),
    })
}

/// Queues `record`, waiting while the producer's queue is full.
pub(crate) fn send<K, P>(
    producer: &BaseProducer<Deliveries>,
    mut record: BaseRecord<'_, K, P>,
) -> Result<(), KafkaError>
where
    K: rdkafka::message::ToBytes + ?Sized,
    P: rdkafka::message::ToBytes + ?Sized,
{
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                // Let it deliver, then try again.
                record = back;
                producer.poll(Duration::from_millis(50));
            }
            Err((e, _)) => return Err(e),
        }
    }
}

/// Waits until every queued record is acknowledged; an error says how many of the `sent`
/// were not, and why.
pub(crate) fn flush_all(
    producer: &BaseProducer<Deliveries>,
    timeout: Duration,
    sent: usize,
) -> Result<(), String> {
    let flushed = producer.flush(timeout);
    let failed = producer.context().failed.swap(0, Ordering::Relaxed);
    if failed == 0 && flushed.is_ok() {
        return Ok(());
    }
    let why = producer
        .context()
        .last_error
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .or_else(|| flushed.err().map(|e| e.to_string()))
        .unwrap_or_default();
    warn!(failed, error = %why, "records not acknowledged; the batch fails");
    Err(format!(
        "{failed} of {sent} records not acknowledged within {timeout:?}: {why}"
    ))
}
