//! `source kafka(brokers, topic)`: Spark's direct Kafka stream.
//!
//! There is no receiver: at each batch time the source plans, per partition, the offset
//! range `[from, until)` the batch reads (`until`: the partition's end offset then, at most
//! `.max_rate_per_partition(n)` records per second of batch interval past `from`), and the
//! batch reads exactly that range. With `checkpoint`, every batch's ranges are written to
//! the checkpoint directory's batch log before the batch runs, and the checkpoint holds
//! where each partition resumes, so after a crash the batches that ran but were not
//! checkpointed run again over exactly the same records, and results equal an
//! uninterrupted run. The checkpoint is the truth; with `.group(id)` the offsets are also
//! committed to the group after each completed batch, so Kafka's lag tools see progress
//! (and a pipeline started without a checkpoint resumes from them).
//!
//! Elements are the record values as `&str` borrowed from the batch (invalid UTF-8 decoded
//! lossily, values over `.max_record_bytes(n)` cut; both counted and logged), or
//! [`KafkaRecord`]s with `.records()`.
//!
//! A thread per source (`fetcher.rs`) talks to the brokers: it plans sealed batches, assigns
//! the partitions (partitions added while running are found at the next batch and read
//! from their first offset), and fetches planned records ahead of the batches into a
//! staging buffer bounded by `.buffer_bytes(n)`. Brokers that cannot be reached, at start
//! or later, are retried with backoff and logged; batches go on with what was fetched
//! already meanwhile, and a batch whose records do not arrive within `.fetch_timeout(d)` reads what
//! arrived and leaves the rest to the next batch. A topic that does not exist fails the
//! pipeline with an error naming it. Records the brokers no longer hold (retention, a
//! recreated topic: a gap in the fetched offsets, a batch that waited in vain, an end offset
//! falling below one listed before) stop the pipeline as Spark's `failOnDataLoss` does, or,
//! with `.fail_on_data_loss(false)`, are counted, logged and read past.

pub(crate) mod fetcher;
mod record;
mod state;

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tracing::warn;

use crate::error::StreamingError;
use crate::metrics::SourceMetrics;
use crate::receiver::lines::DEFAULT_MAX_LINE_BYTES;
use crate::source::{Source, SourceControl};
use crate::store::DEFAULT_BUFFER_BYTES;
use crate::time::BatchTime;

pub use record::{KafkaMode, KafkaRecord, KafkaRecords, Records, Values, WholeRecords};
use state::{Position, State};

/// How long stopping waits for the source's thread to finish its last commit.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// How long a batch waits for its planned records by default.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// A Kafka source; build it with [`kafka`] and its options.
pub struct KafkaSource<M: KafkaMode = Values> {
    shared: Arc<Shared>,
    mode: PhantomData<M>,
}

/// The source's settings (its builder methods).
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub brokers: String,
    pub topics: Arc<[String]>,
    pub group: Option<String>,
    pub from_earliest: bool,
    pub max_rate_per_partition: Option<u64>,
    pub options: Vec<(String, String)>,
    pub buffer_bytes: usize,
    pub fetch_timeout: Duration,
    /// Records gone from the brokers before they were read stop the pipeline (Spark's
    /// `failOnDataLoss`, the default) rather than being counted and skipped.
    pub fail_on_data_loss: bool,
    /// Only these partitions of each topic (a cluster task's own); `None`: all.
    pub partitions: Option<Arc<[i32]>>,
    /// A cluster task's claim on its partition (a `repartition` writer checks it), and the
    /// cluster's shared checkpoint directory (where `global` stages meet).
    pub task: Option<(crate::checkpoint::Fence, std::path::PathBuf)>,
    /// A missing topic is created with as many partitions as this one (`repartition`'s).
    pub create_missing_like: Option<String>,
}

/// What the source's thread, the scheduler and the batch thread share.
pub(crate) struct Shared {
    /// The source itself, for its thread.
    me: std::sync::Weak<Shared>,
    config: Mutex<Config>,
    metrics: Arc<SourceMetrics>,
    state: Mutex<State>,
    /// Signalled when records are staged, plans made, or the source fails or stops.
    changed: Condvar,
    interval_ms: AtomicU64,
    /// Backpressure's limit for the whole source, records per second (0: none).
    rate_limit: AtomicU64,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Topics a Kafka source reads: one name, or several (`["a", "b"]`, a `Vec`).
pub trait IntoTopics {
    /// The topic names.
    fn into_topics(self) -> Vec<String>;
}

impl IntoTopics for &str {
    fn into_topics(self) -> Vec<String> {
        vec![self.to_string()]
    }
}

impl IntoTopics for String {
    fn into_topics(self) -> Vec<String> {
        vec![self]
    }
}

impl IntoTopics for &String {
    fn into_topics(self) -> Vec<String> {
        vec![self.clone()]
    }
}

impl<S: AsRef<str>, const N: usize> IntoTopics for [S; N] {
    fn into_topics(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_string()).collect()
    }
}

impl<S: AsRef<str>> IntoTopics for &[S] {
    fn into_topics(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_string()).collect()
    }
}

impl<S: AsRef<str>> IntoTopics for Vec<S> {
    fn into_topics(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_string()).collect()
    }
}

/// Reads `topics` from the Kafka cluster at `brokers` (`"host:port[,host:port...]"`),
/// starting at the latest offsets (`.from_earliest()` for the first ones) unless a
/// checkpoint or the group's committed offsets say where.
pub fn kafka(brokers: impl Into<String>, topics: impl IntoTopics) -> KafkaSource<Values> {
    let mut topics = topics.into_topics();
    topics.dedup();
    let topics: Arc<[String]> = topics.into();
    let metrics = Arc::new(SourceMetrics::new(format!("kafka {}", topics.join(","))));
    KafkaSource {
        shared: Arc::new_cyclic(|me| Shared {
            me: me.clone(),
            config: Mutex::new(Config {
                brokers: brokers.into(),
                topics: Arc::clone(&topics),
                group: None,
                from_earliest: false,
                max_rate_per_partition: None,
                options: Vec::new(),
                buffer_bytes: DEFAULT_BUFFER_BYTES,
                fetch_timeout: DEFAULT_FETCH_TIMEOUT,
                fail_on_data_loss: true,
                partitions: None,
                task: None,
                create_missing_like: None,
            }),
            metrics,
            state: Mutex::new(State::new(topics, DEFAULT_MAX_LINE_BYTES)),
            changed: Condvar::new(),
            interval_ms: AtomicU64::new(1000),
            rate_limit: AtomicU64::new(0),
            thread: Mutex::new(None),
        }),
        mode: PhantomData,
    }
}

impl<M: KafkaMode> KafkaSource<M> {
    fn configure(self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.shared.config.lock().unwrap_or_else(|e| e.into_inner()));
        self
    }

    /// The consumer group (`group.id`): offsets are committed to it after each completed
    /// batch, and a pipeline without a checkpoint starts from its committed offsets.
    pub fn group(self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.configure(|c| c.group = Some(id))
    }

    /// Start at the earliest offsets when neither a checkpoint nor the group says where
    /// (default: the latest, as Spark's `auto.offset.reset=latest`).
    pub fn from_earliest(self) -> Self {
        self.configure(|c| c.from_earliest = true)
    }

    /// At most `n` records per second of batch interval from each partition per batch
    /// (Spark's `spark.streaming.kafka.maxRatePerPartition`); the rest waits for the next
    /// batches.
    pub fn max_rate_per_partition(self, n: u64) -> Self {
        self.configure(|c| c.max_rate_per_partition = Some(n.max(1)))
    }

    /// Any librdkafka consumer setting, e.g. `.option("security.protocol", "ssl")`.
    pub fn option(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (k, v) = (key.into(), value.into());
        self.configure(|c| c.options.push((k, v)))
    }

    /// Values (and keys) longer than `n` bytes keep their first `n` (cut at a character
    /// boundary); counted as truncated. Default 1 MiB, like lines.
    pub fn max_record_bytes(self, n: usize) -> Self {
        self.shared.lock().set_max_record_bytes(n.max(1));
        self
    }

    /// Bytes of records fetched ahead of the batches before partitions are paused
    /// (default 512 MiB, as receivers' buffers).
    pub fn buffer_bytes(self, n: usize) -> Self {
        self.configure(|c| c.buffer_bytes = n)
    }

    /// How long a batch waits for its planned records before it takes what arrived and
    /// leaves the rest to the next batch (default 5 s). Batches replayed after a crash
    /// always wait for all of theirs.
    pub fn fetch_timeout(self, d: Duration) -> Self {
        self.configure(|c| c.fetch_timeout = d)
    }

    /// What to do when the brokers no longer hold records this source has not read yet
    /// (retention removed them before the pipeline got there, or the topic was deleted and
    /// recreated, which shows as a partition's end offset falling). As Spark's
    /// `failOnDataLoss`, by default (`true`) the pipeline stops with an error naming the
    /// partition and offsets: going on would skip records, or count records twice when a
    /// recreated topic reuses offsets. With `false` the source reads on from the earliest
    /// offset the brokers still hold (a recreated partition from its first offset), and
    /// logs each skipped range and counts its records (`lost_records` in the source's
    /// metrics, `streaming_source_lost_records` in `/metrics`).
    pub fn fail_on_data_loss(self, fail: bool) -> Self {
        self.configure(|c| c.fail_on_data_loss = fail)
    }

    /// Reads only these partitions of the topics (Spark's `ConsumerStrategies.Assign`).
    /// A [`crate::kafka::group`] task reads its one partition this way.
    pub fn partitions(self, partitions: impl IntoIterator<Item = i32>) -> Self {
        let partitions: Arc<[i32]> = partitions.into_iter().collect();
        self.configure(|c| c.partitions = Some(partitions))
    }

    /// The input of a cluster task: its claim on the partition, and the cluster's shared
    /// checkpoint directory.
    pub(crate) fn of_task(self, fence: crate::checkpoint::Fence, root: std::path::PathBuf) -> Self {
        self.configure(|c| c.task = Some((fence, root)))
    }

    /// A missing topic is created with as many partitions as `like` has, rather than
    /// failing the pipeline (a `repartition` topic).
    pub(crate) fn create_missing_like(self, like: &str) -> Self {
        let like = like.to_string();
        self.configure(|c| c.create_missing_like = Some(like))
    }

    /// A copy of the source's settings.
    pub(crate) fn settings(&self) -> Config {
        self.shared.config()
    }

    /// Elements become [`KafkaRecord`]s (key, value, topic, partition, offset, timestamp)
    /// instead of the values alone.
    pub fn records(self) -> KafkaSource<WholeRecords> {
        KafkaSource {
            shared: self.shared,
            mode: PhantomData,
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves the state consistent; a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the settings (for the source's thread, once).
    pub(crate) fn config(&self) -> Config {
        self.read_config(Config::clone)
    }

    /// Reads the settings in place (per batch: no copy).
    fn read_config<R>(&self, f: impl FnOnce(&Config) -> R) -> R {
        f(&self.config.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Records a batch may take: from each partition (`max_rate_per_partition ×
    /// interval`), and with backpressure from all partitions together (its rate ×
    /// interval, shared by the partitions in proportion to their lag).
    fn rate_caps(&self) -> (Option<i64>, Option<i64>) {
        let ms = self.interval_ms.load(Ordering::Relaxed);
        let per_batch =
            |rate: u64| i64::try_from((rate.saturating_mul(ms) / 1000).max(1)).unwrap_or(i64::MAX);
        let max_rate = self.read_config(|c| c.max_rate_per_partition);
        let limit = match self.rate_limit.load(Ordering::Relaxed) {
            0 => None,
            r => Some(r),
        };
        (max_rate.map(per_batch), limit.map(per_batch))
    }

    /// The source cannot go on: the next batch fails with `message`.
    fn fail(&self, message: String) {
        self.metrics.add_errors(1);
        tracing::error!(source = %self.metrics.name(), "{message}");
        self.lock().fatal = Some(message);
        self.changed.notify_all();
    }

    fn error(&self, message: &str) -> StreamingError {
        StreamingError::Custom(format!("{}: {message}", self.metrics.name()))
    }
}

impl<M: KafkaMode> Source for KafkaSource<M> {
    type Batch = M::Batch;

    fn control(&self) -> Arc<dyn SourceControl> {
        self.shared.clone()
    }

    fn next_batch(&mut self, time: BatchTime) -> Result<M::Batch, StreamingError> {
        let mut st = self.shared.lock();
        let mut batch = M::new_batch(&st.topics);
        let n = st.take(time, |record, topic| M::push(&mut batch, record, topic));
        drop(st);
        self.shared.metrics.add_records(n as u64);
        Ok(batch)
    }
}

impl SourceControl for Shared {
    fn start(&self, _: &tokio::runtime::Handle) -> Result<(), StreamingError> {
        let mut thread = self.thread.lock().unwrap_or_else(|e| e.into_inner());
        if thread.is_some() {
            return Ok(());
        }
        let shared = self
            .me
            .upgrade()
            .ok_or_else(|| self.error("the source was dropped"))?;
        let handle = std::thread::Builder::new()
            .name("kafka-source".into())
            .spawn(move || fetcher::run(shared))
            .map_err(|e| StreamingError::io("starting the Kafka source's thread", e))?;
        *thread = Some(handle);
        Ok(())
    }

    fn seal(&self, time: BatchTime) {
        self.lock().seal(time);
    }

    fn replays_exactly(&self) -> bool {
        true
    }

    fn replay_seal(&self, time: BatchTime, position: &[u8]) {
        match state::decode(position) {
            // An empty position is a batch that read nothing (the brokers were not reached
            // yet): replayed, it reads nothing again. Planning it anew would read what a
            // later logged batch reads too.
            Ok(p) => self.lock().replay_seal(time, p),
            Err(e) => {
                warn!(source = %self.metrics.name(), error = %e, "unreadable batch log entry; planning the batch anew");
                self.seal(time);
            }
        }
    }

    fn set_batch_interval(&self, interval: Duration) {
        let ms = u64::try_from(interval.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        self.interval_ms.store(ms, Ordering::Relaxed);
    }

    fn prepare(&self, time: BatchTime) -> Result<(), StreamingError> {
        let timeout = self.read_config(|c| c.fetch_timeout);
        let mut deadline = Instant::now() + timeout;
        let mut st = self.lock();
        loop {
            if let Some(message) = &st.fatal {
                return Err(self.error(message));
            }
            if st.is_complete(time) {
                st.finalize(time, false);
                return Ok(());
            }
            let now = Instant::now();
            if st.stopping || now >= deadline {
                // Records that do not come may be gone from the brokers: the fetcher asks
                // (and fails the source, or reads past them, as `fail_on_data_loss` says).
                if !st.stopping {
                    st.check_lost = true;
                    self.changed.notify_all();
                }
                if st.is_replay(time) && !st.stopping {
                    warn!(source = %self.metrics.name(), batch = %time,
                        "still waiting for the records of a batch replayed after a crash");
                    deadline = now + timeout;
                    continue;
                }
                let cut = st.finalize(time, true);
                if cut > 0 {
                    warn!(source = %self.metrics.name(), batch = %time, records = cut,
                        "planned records did not arrive in time; the next batch reads them");
                }
                return Ok(());
            }
            st = match self.changed.wait_timeout(st, deadline - now) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
    }

    fn is_finished(&self) -> bool {
        false // a topic can always get new records
    }

    /// Stops the thread and waits (a little) for it to commit the last batch's offsets.
    fn stop(&self) {
        let started = self
            .thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some();
        let mut st = self.lock();
        st.stopping = true;
        self.changed.notify_all();
        let deadline = Instant::now() + STOP_WAIT;
        while started && !st.stopped {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            st = match self.changed.wait_timeout(st, deadline - now) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
    }

    fn metrics(&self) -> Arc<SourceMetrics> {
        Arc::clone(&self.metrics)
    }

    fn record_positions(&self) {
        self.lock().record_positions();
    }

    fn position(&self, time: BatchTime) -> Option<Vec<u8>> {
        let position = self.lock().position(time)?;
        state::encode(&position).ok()
    }

    fn restore_position(&self, position: &[u8]) -> Result<(), StreamingError> {
        let position: Position = state::decode(position)
            .map_err(|e| StreamingError::Config(format!("Kafka position in checkpoint: {e}")))?;
        if !position.is_empty() {
            self.lock().restore(&position);
        }
        Ok(())
    }

    fn batch_completed(&self, time: BatchTime) {
        if self.read_config(|c| c.group.is_some()) {
            self.lock().completed(time);
        }
    }

    fn partition_lag(&self) -> Vec<crate::metrics::PartitionLag> {
        let st = self.lock();
        st.parts
            .iter()
            .map(|p| crate::metrics::PartitionLag {
                topic: st.topics.get(p.topic as usize).cloned().unwrap_or_default(),
                partition: p.partition,
                // `listed_end` is refreshed before every batch is planned; records already
                // fetched are before the end even where a broker lists less (tansu 0.6).
                lag: (p.listed_end.max(p.fetched) - p.next).max(0),
            })
            .collect()
    }

    fn set_rate_limit(&self, records_per_second: Option<u64>) {
        self.rate_limit
            .store(records_per_second.unwrap_or(0), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backpressure_gives_a_budget_per_batch_beside_the_partitions_cap() {
        let source = kafka("127.0.0.1:1", "t");
        let shared = &source.shared;
        shared.set_batch_interval(Duration::from_millis(500));
        assert_eq!(shared.rate_caps(), (None, None));
        // 3000 records/s, 0.5 s batches: 1500 per batch over all partitions.
        shared.set_rate_limit(Some(3000));
        assert_eq!(shared.rate_caps(), (None, Some(1500)));
        let source = source.max_rate_per_partition(400);
        assert_eq!(source.shared.rate_caps(), (Some(200), Some(1500)));
        source.shared.set_rate_limit(None);
        assert_eq!(source.shared.rate_caps(), (Some(200), None));
        // Never less than a record per batch.
        source.shared.set_rate_limit(Some(1));
        assert_eq!(source.shared.rate_caps(), (Some(200), Some(1)));
    }
}
