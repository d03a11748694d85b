//! `/metrics`: the Prometheus text exposition, written by `prometheus-client`.
//!
//! Batch figures are live metric objects the batch thread updates ([`BatchMetrics`]);
//! source counters and Kafka lag are read from the sources when Prometheus scrapes
//! ([`SourcesCollector`]), so receivers keep counting into their own atomics and know
//! nothing of Prometheus.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::listener::BatchInfo;
use crate::source::SourceControl;

use super::UiState;

/// The per-batch metrics, updated after every batch (atomics and one short lock each).
#[derive(Clone)]
pub(super) struct BatchMetrics {
    batches: Counter,
    failed: Counter,
    records: Counter,
    processing: Histogram,
    scheduling: Histogram,
    total_delay: Histogram,
    last_batch_time_ms: Gauge,
    /// Each `event_time` stage's watermark (Unix ms).
    watermark_ms: Family<Vec<(String, String)>, Gauge>,
    /// Rows each event-time stage dropped as late.
    late_rows: Family<Vec<(String, String)>, Counter>,
    /// Rows each `parse` stage found malformed.
    malformed_rows: Family<Vec<(String, String)>, Counter>,
    /// Each stateful stage's rows and estimated bytes after the last batch.
    state_rows: Family<Vec<(String, String)>, Gauge>,
    state_bytes: Family<Vec<(String, String)>, Gauge>,
    /// Rows each stateful stage's batches updated and evicted.
    state_rows_updated: Family<Vec<(String, String)>, Counter>,
    state_rows_evicted: Family<Vec<(String, String)>, Counter>,
    /// The last checkpoint's size and write time, and checkpoints written.
    checkpoint_bytes: Gauge,
    checkpoint_write: Histogram,
}

/// Batch timings from 1 ms to about a minute, doubling.
fn seconds_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.001, 2.0, 17)
}

impl BatchMetrics {
    pub(super) fn new() -> Self {
        BatchMetrics {
            batches: Counter::default(),
            failed: Counter::default(),
            records: Counter::default(),
            processing: Histogram::new(seconds_buckets()),
            scheduling: Histogram::new(seconds_buckets()),
            total_delay: Histogram::new(seconds_buckets()),
            last_batch_time_ms: Gauge::default(),
            watermark_ms: Family::default(),
            late_rows: Family::default(),
            malformed_rows: Family::default(),
            state_rows: Family::default(),
            state_bytes: Family::default(),
            state_rows_updated: Family::default(),
            state_rows_evicted: Family::default(),
            checkpoint_bytes: Gauge::default(),
            checkpoint_write: Histogram::new(seconds_buckets()),
        }
    }

    pub(super) fn observe(&self, info: &BatchInfo) {
        self.batches.inc();
        if info.failure.is_some() {
            self.failed.inc();
        }
        self.records.inc_by(info.num_records);
        self.processing.observe(info.processing_delay.as_secs_f64());
        self.scheduling.observe(info.scheduling_delay.as_secs_f64());
        self.total_delay.observe(info.total_delay().as_secs_f64());
        self.last_batch_time_ms
            .set(i64::try_from(info.batch_time.milliseconds()).unwrap_or(i64::MAX));
        let stage = |s: &str| vec![("stage".to_string(), s.to_string())];
        for (s, t) in &info.watermarks {
            self.watermark_ms
                .get_or_create(&stage(s))
                .set(t.as_millis());
        }
        for (s, n) in &info.late_rows_by_stage {
            self.late_rows.get_or_create(&stage(s)).inc_by(*n);
        }
        for (s, n) in &info.malformed_rows_by_stage {
            self.malformed_rows.get_or_create(&stage(s)).inc_by(*n);
        }
        let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        for (s, st) in &info.state {
            let labels = stage(s);
            self.state_rows.get_or_create(&labels).set(gauge(st.rows));
            self.state_bytes.get_or_create(&labels).set(gauge(st.bytes));
            (self.state_rows_updated.get_or_create(&labels)).inc_by(st.updated);
            (self.state_rows_evicted.get_or_create(&labels)).inc_by(st.evicted);
        }
        if let Some(bytes) = info.checkpoint_bytes {
            self.checkpoint_bytes.set(gauge(bytes));
        }
        if let Some(took) = info.checkpoint_write {
            self.checkpoint_write.observe(took.as_secs_f64());
        }
    }
}

/// The whole exposition, in Prometheus' text format (version 0.0.4).
pub(super) fn render(state: &UiState) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::default();
    let m = state.metrics.clone();
    registry.register(
        "streaming_batches",
        "Batches completed (failed ones included)",
        m.batches,
    );
    registry.register(
        "streaming_failed_batches",
        "Batches that failed (a user function panicked, a sink failed)",
        m.failed,
    );
    registry.register(
        "streaming_batch_records",
        "Records the batches took from all sources",
        m.records,
    );
    registry.register(
        "streaming_batch_processing_seconds",
        "How long each batch's job ran (operators, sinks, checkpoint)",
        m.processing,
    );
    registry.register(
        "streaming_batch_scheduling_delay_seconds",
        "How long each batch waited, after its time came, for earlier batches",
        m.scheduling,
    );
    registry.register(
        "streaming_batch_total_delay_seconds",
        "Scheduling delay plus processing time of each batch",
        m.total_delay,
    );
    registry.register(
        "streaming_last_batch_time_ms",
        "Time of the last completed batch (Unix ms on the real clock)",
        m.last_batch_time_ms,
    );
    registry.register(
        "streaming_watermark_ms",
        "Each event-time stage's watermark after the last batch (Unix ms)",
        m.watermark_ms,
    );
    registry.register(
        "streaming_late_rows",
        "Rows each event-time stage dropped as late (their windows had closed)",
        m.late_rows,
    );
    registry.register(
        "streaming_malformed_rows",
        "Rows each parse stage found malformed (kept in its malformed stream, dropped, or failing the batch)",
        m.malformed_rows,
    );
    registry.register(
        "streaming_state_rows",
        "Rows (keys, or keys of a window's panes) each stateful stage held after the last batch",
        m.state_rows,
    );
    registry.register(
        "streaming_state_bytes",
        "Each stateful stage's estimated memory after the last batch: its tables' capacity times entry size (what keys and values own on the heap not counted)",
        m.state_bytes,
    );
    registry.register(
        "streaming_state_rows_updated",
        "Rows each stateful stage's batches inserted or changed",
        m.state_rows_updated,
    );
    registry.register(
        "streaming_state_rows_evicted",
        "Rows each stateful stage's batches removed (expired, timed out, closed windows, panes out of the window)",
        m.state_rows_evicted,
    );
    registry.register(
        "streaming_checkpoint_bytes",
        "Size of the last checkpoint file written",
        m.checkpoint_bytes,
    );
    registry.register(
        "streaming_checkpoint_write_seconds",
        "How long each checkpoint took to write (encoding, file, fsyncs)",
        m.checkpoint_write,
    );
    registry.register_collector(Box::new(SourcesCollector {
        snapshots: state.source_snapshots(),
        sources: state.sources.clone(),
    }));
    let mut out = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)?;
    Ok(out)
}

/// Every source's counters, read at scrape time.
struct SourcesCollector {
    snapshots: Vec<crate::MetricsSnapshot>,
    sources: Vec<Arc<dyn SourceControl>>,
}

impl std::fmt::Debug for SourcesCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourcesCollector")
            .field("sources", &self.snapshots.len())
            .finish()
    }
}

/// One counter family: `name{source=..}` for every source.
fn per_source(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    values: &[(String, u64)],
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(
        name,
        help,
        None,
        prometheus_client::metrics::MetricType::Counter,
    )?;
    for (source, v) in values {
        let labels = [("source", source.as_str())];
        ConstCounter::new(*v).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

impl Collector for SourcesCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let snapshots = &self.snapshots;
        let column = |f: fn(&crate::MetricsSnapshot) -> u64| -> Vec<(String, u64)> {
            snapshots.iter().map(|s| (s.name.clone(), f(s))).collect()
        };
        per_source(
            &mut encoder,
            "streaming_input_records",
            "Records each source stored for batches",
            &column(|s| s.records),
        )?;
        per_source(
            &mut encoder,
            "streaming_input_bytes",
            "Bytes of input each source read",
            &column(|s| s.bytes),
        )?;
        per_source(
            &mut encoder,
            "streaming_source_connects",
            "Connections made (sockets) or brokers reached again (Kafka)",
            &column(|s| s.connects),
        )?;
        per_source(
            &mut encoder,
            "streaming_source_disconnects",
            "Connections lost or refused, each followed by a reconnect (sockets); brokers unreachable (Kafka)",
            &column(|s| s.disconnects),
        )?;
        per_source(
            &mut encoder,
            "streaming_source_lost_records",
            "Kafka: records gone from the brokers before the source read them (retention, a recreated topic), skipped under fail_on_data_loss(false)",
            &column(|s| s.lost_records),
        )?;
        per_source(
            &mut encoder,
            "streaming_source_errors",
            "Other errors a source logged and survived",
            &column(|s| s.errors),
        )?;

        // Bad input by kind: every event that changed a record instead of stopping.
        let mut bad = encoder.encode_descriptor(
            "streaming_bad_input",
            "Bad input events by kind: invalid_utf8 (decoded lossily), truncated (cut at the maximum length), partial (cut by a closed connection)",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        for s in snapshots {
            for (kind, v) in [
                ("invalid_utf8", s.invalid_utf8),
                ("truncated", s.truncated_lines),
                ("partial", s.partial_lines),
            ] {
                let labels = [("source", s.name.as_str()), ("kind", kind)];
                ConstCounter::new(v).encode(bad.encode_family(&labels)?)?;
            }
        }

        // Kafka: how far each partition's end is ahead of what batches have planned.
        let lags: Vec<_> = self
            .sources
            .iter()
            .flat_map(|s| s.partition_lag())
            .collect();
        if !lags.is_empty() {
            let mut lag = encoder.encode_descriptor(
                "streaming_kafka_lag",
                "Records between a partition's end offset (as last listed) and the next offset a batch will read",
                None,
                prometheus_client::metrics::MetricType::Gauge,
            )?;
            for l in &lags {
                let partition = l.partition.to_string();
                let labels = [
                    ("topic", l.topic.as_str()),
                    ("partition", partition.as_str()),
                ];
                ConstGauge::new(l.lag).encode(lag.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}
