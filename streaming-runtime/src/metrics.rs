//! Per-source counters: what was received and every bad-input event, so that nothing is
//! lost silently. Read them with [`crate::Pipeline::metrics`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Counters of one source. All are totals since the source was created.
#[derive(Debug, Default)]
pub struct SourceMetrics {
    name: String,
    records: AtomicU64,
    bytes: AtomicU64,
    invalid_utf8: AtomicU64,
    truncated_lines: AtomicU64,
    partial_lines: AtomicU64,
    connects: AtomicU64,
    disconnects: AtomicU64,
    errors: AtomicU64,
    partitions_added: AtomicU64,
    lost_records: AtomicU64,
    late_rows: AtomicU64,
    malformed_rows: AtomicU64,
    // Lets tests wait for "N records received" without sleeping.
    changed: Condvar,
    lock: Mutex<()>,
}

/// A copy of a source's counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// The source's name, as logs and `/metrics` label it.
    pub name: String,
    /// Records (lines, elements) stored for batches.
    pub records: u64,
    /// Bytes of input read.
    pub bytes: u64,
    /// Lines that were not valid UTF-8 and were decoded lossily (U+FFFD for bad bytes).
    pub invalid_utf8: u64,
    /// Lines longer than the source's maximum, cut to it (the rest of the line dropped).
    pub truncated_lines: u64,
    /// Lines cut short by the connection closing before their newline (kept, as Spark does).
    pub partial_lines: u64,
    /// Successful connections (sockets), or the Kafka brokers reached again after they
    /// could not be.
    pub connects: u64,
    /// Connections lost or refused, each followed by a reconnect attempt (sockets); the
    /// Kafka brokers becoming unreachable.
    pub disconnects: u64,
    /// Other errors (unreadable files, failed reads) that the source logged and survived.
    pub errors: u64,
    /// Kafka: partitions that appeared while the pipeline ran (read from their start).
    pub partitions_added: u64,
    /// Kafka: records the brokers no longer held when the source got to them (retention,
    /// a recreated topic), skipped because of `.fail_on_data_loss(false)`.
    pub lost_records: u64,
    /// Records of this source that an event-time stage dropped as late (their windows
    /// had closed by the watermark).
    pub late_rows: u64,
    /// Records of this source that a `parse` stage found malformed (whatever its mode did
    /// with them: kept in `malformed(name)`'s stream, dropped, or failing the batch).
    pub malformed_rows: u64,
}

/// How far a Kafka partition's end offset is ahead of the next offset the source will plan.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PartitionLag {
    /// The partition's topic.
    pub topic: String,
    /// The partition number.
    pub partition: i32,
    /// Records (offsets) not yet planned for a batch, as of the last end-offset listing.
    pub lag: i64,
}

macro_rules! counter {
    ($($inc:ident => $field:ident),* $(,)?) => {
        $(
            /// Adds `n` to the counter the method is named after.
            pub fn $inc(&self, n: u64) {
                self.$field.fetch_add(n, Ordering::Relaxed);
            }
        )*
    };
}

impl SourceMetrics {
    /// Zeroed counters for the source called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        SourceMetrics {
            name: name.into(),
            ..Default::default()
        }
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    counter! {
        add_bytes => bytes,
        add_invalid_utf8 => invalid_utf8,
        add_truncated_lines => truncated_lines,
        add_partial_lines => partial_lines,
        add_connects => connects,
        add_disconnects => disconnects,
        add_errors => errors,
        add_lost_records => lost_records,
        add_late_rows => late_rows,
        add_malformed_rows => malformed_rows,
    }

    /// Counts partitions found while running and wakes anyone in [`SourceMetrics::wait_until`].
    pub fn add_partitions_added(&self, n: u64) {
        self.partitions_added.fetch_add(n, Ordering::Relaxed);
        self.notify();
    }

    /// Wakes anyone in [`SourceMetrics::wait_until`] after a counter changed.
    pub fn notify(&self) {
        let _guard = self.lock.lock();
        self.changed.notify_all();
    }

    /// Blocks until `done` holds for the counters or `timeout` passed; true if it held.
    /// Wakes on records received, connections and partitions found (tests wait for a
    /// source's state this way rather than sleeping).
    pub fn wait_until(
        &self,
        timeout: Duration,
        mut done: impl FnMut(&MetricsSnapshot) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        while !done(&self.snapshot()) {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            guard = match self
                .changed
                .wait_timeout(guard, (deadline - now).min(Duration::from_millis(100)))
            {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
        true
    }

    /// Counts records stored and wakes anyone in [`SourceMetrics::wait_for_records`].
    pub fn add_records(&self, n: u64) {
        self.records.fetch_add(n, Ordering::Release);
        let _guard = self.lock.lock();
        self.changed.notify_all();
    }

    /// Records stored for batches so far.
    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Acquire)
    }

    /// Bytes of input read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Blocks until at least `n` records were received or `timeout` passed; true if reached.
    pub fn wait_for_records(&self, n: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        while self.records() < n {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            guard = match self.changed.wait_timeout(guard, deadline - now) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
        true
    }

    /// Every counter's value now.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        MetricsSnapshot {
            name: self.name.clone(),
            records: self.records(),
            bytes: get(&self.bytes),
            invalid_utf8: get(&self.invalid_utf8),
            truncated_lines: get(&self.truncated_lines),
            partial_lines: get(&self.partial_lines),
            connects: get(&self.connects),
            disconnects: get(&self.disconnects),
            errors: get(&self.errors),
            partitions_added: get(&self.partitions_added),
            lost_records: get(&self.lost_records),
            late_rows: get(&self.late_rows),
            malformed_rows: get(&self.malformed_rows),
        }
    }
}
