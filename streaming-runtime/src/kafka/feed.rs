//! The line feed of [`crate::line_feed`] written to a Kafka topic: the `replay` example's
//! `--kafka`, and the Kafka examples' built-in producers.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tracing::{info, warn};

use crate::line_feed::{LineFeed, Pace, ReplayOptions, ReplayStats};

/// Lines being written to a Kafka topic by [`to_kafka`]; dropping it stops the writer.
pub struct KafkaReplay {
    stats: Arc<ReplayStats>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl KafkaReplay {
    /// Lines acknowledged by the brokers (`clients` is always 0).
    pub fn stats(&self) -> Arc<ReplayStats> {
        Arc::clone(&self.stats)
    }

    /// Whether the writer is done (the feed ended without `repeat`).
    pub fn is_finished(&self) -> bool {
        self.thread
            .as_ref()
            .is_none_or(std::thread::JoinHandle::is_finished)
    }
}

impl Drop for KafkaReplay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Writes `feed`'s lines to `topic` on the Kafka cluster at `brokers`, one record per line
/// (no key, the producer's partitioner spreading them), paced and looped as `options` say,
/// on a thread of its own: the `replay` example's `--kafka`, and the Kafka examples'
/// built-in producers. `settings` go to the producer (e.g. `("linger.ms", "5")`).
pub fn to_kafka(
    brokers: &str,
    topic: &str,
    feed: LineFeed,
    options: ReplayOptions,
    settings: &[(&str, &str)],
) -> Result<KafkaReplay, crate::StreamingError> {
    use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};

    /// Counts acknowledged lines.
    struct Acks(Arc<ReplayStats>);
    impl rdkafka::ClientContext for Acks {}
    impl ProducerContext for Acks {
        type DeliveryOpaque = ();
        fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
            match result {
                Ok(m) => self.0.add(1, m.payload_len() as u64),
                Err((e, _)) => warn!(error = %e, "replay: a line was not delivered"),
            }
        }
    }

    let stats = Arc::new(ReplayStats::default());
    let mut config = rdkafka::ClientConfig::new();
    config.set("bootstrap.servers", brokers);
    for (k, v) in settings {
        config.set(*k, *v);
    }
    let producer: BaseProducer<Acks> = config
        .create_with_context(Acks(Arc::clone(&stats)))
        .map_err(|e| crate::StreamingError::Custom(format!("replay to Kafka: {e}")))?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (topic, halt) = (topic.to_string(), Arc::clone(&stop));
    let thread = std::thread::Builder::new()
        .name("replay-kafka".into())
        .spawn(move || {
            info!(topic = %topic, rate = ?options.rate(), repeat = options.repeat, "replay: writing to Kafka");
            let mut pace = Pace::new(&options);
            'feed: loop {
                let mut any = false;
                for line in feed.lines() {
                    any = true;
                    if halt.load(Ordering::Relaxed) {
                        break 'feed;
                    }
                    if let Some(wake) = pace.ahead() {
                        producer.poll(Duration::ZERO);
                        std::thread::sleep(wake.saturating_duration_since(std::time::Instant::now()));
                    }
                    let mut record = BaseRecord::<(), str>::to(&topic).payload(line.as_str());
                    while let Err((e, back)) = producer.send(record) {
                        if halt.load(Ordering::Relaxed) {
                            break 'feed;
                        }
                        // A full queue (brokers slow or away): deliver, then try again.
                        tracing::debug!(error = %e, "replay: producer queue full");
                        record = back;
                        producer.poll(Duration::from_millis(100));
                    }
                    pace.sent();
                }
                if !options.repeat || !any {
                    break;
                }
            }
            let _ = producer.flush(Duration::from_secs(10));
        })
        .map_err(|e| crate::StreamingError::io("starting the Kafka replay thread", e))?;
    Ok(KafkaReplay {
        stats,
        stop,
        thread: Some(thread),
    })
}
