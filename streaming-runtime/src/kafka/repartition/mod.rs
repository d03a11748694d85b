//! `|> repartition("topic")`: a shuffle through Kafka, so that keyed state can
//! follow a key other than the input's.
//!
//! The pipeline is cut in two at the stage. The first half ends in a writer
//! ([`Repartition`]) that sends each batch's pairs to the intermediate topic, each to the
//! partition Kafka's default partitioner picks for its key, `toPositive(murmur2(key)) %
//! partitions` over the key's JSON text ([`partition_for`]; Java's clients and librdkafka's
//! `murmur2_random` pick the same). The second half reads the topic ([`read_source`]) and
//! carries on from [`receive`]'s pairs.
//!
//! **No record counts twice downstream**, although the writer's output is at least once (a
//! batch replayed after a crash sends its records again, and a crash can cut a batch's
//! records short). Every record carries its *unit*: the job's run (one life of its
//! checkpoint, see `run.rs`), the writer (the input partitions it read), the writer's fence
//! epoch, a per-process attempt id and the batch time. After a
//! batch's records the writer sends one end marker to every partition, holding how many
//! records the unit sent there. The reader keeps the records of each unit aside until its
//! marker arrives and then hands them all on, at most once per (partition, writer, batch)
//! of its run: a replayed batch's unit, a partial attempt's leftovers, a fenced owner's
//! late unit and the units of a run before a reset are dropped. That bookkeeping ([`ReceivedUnits`]) is stage state: it is checkpointed
//! together with both halves' offsets, so a restored pipeline decides exactly as the
//! crashed one would have.
//!
//! Writer order within a partition (records before their marker) holds because the
//! producer is idempotent (ordered per partition). Batch times of one writer only grow,
//! also across restarts and moves (a restored pipeline replays its logged batches at their
//! times and goes on after them), which is what "at most once per batch" rests on.

mod run;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::marker::PhantomData;
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tracing::{debug, info, warn};

use super::client::{Deliveries, flush_all, new_producer, send};
use super::source::{KafkaMode, KafkaRecords, KafkaSource, WholeRecords, kafka};
use crate::checkpoint::Fence;
use crate::context::BatchContext;
use crate::error::StreamingError;
use crate::owned::IntoOwned;

/// How long a batch waits for its shuffled records to be acknowledged.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(60);

/// Kafka's murmur2 (Java's `Utils.murmur2`, seed `0x9747b28c`).
pub fn murmur2(data: &[u8]) -> i32 {
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    let mut h: u32 = 0x9747_b28c ^ (len as u32);
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= u32::from(rest[2]) << 16;
    }
    if rest.len() >= 2 {
        h ^= u32::from(rest[1]) << 8;
    }
    if let Some(&b) = rest.first() {
        h ^= u32::from(b);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition of `key` among `partitions`: Kafka's default partitioner for keyed records.
pub fn partition_for(key: &[u8], partitions: i32) -> i32 {
    (murmur2(key) & 0x7fff_ffff) % partitions.max(1)
}

/// Who writes: the input the first half reads, and its claim on it when it is a cluster
/// task.
#[derive(Clone, Debug)]
pub struct Origin {
    brokers: String,
    /// The input's client settings (security, address family): the shuffle's clients
    /// talk to the same brokers.
    options: Vec<(String, String)>,
    /// The input topics and partitions, e.g. `lines-3` or `lines-*`: one writer's units.
    writer: String,
    /// The first input topic: the repartition topic is created with its partition count.
    input_topic: String,
    /// A cluster task's partitions; the second half reads the same numbers.
    partitions: Option<Vec<i32>>,
    fence: Option<Fence>,
    /// A cluster task's partition and the cluster's shared checkpoint directory.
    task: Option<(i32, std::path::PathBuf)>,
}

/// The source whose records the first half reads (a Kafka source, the only kind that can
/// replay a batch exactly).
#[diagnostic::on_unimplemented(
    message = "`repartition` needs a Kafka source at the head of its pipeline",
    label = "this source cannot feed a `repartition`",
    note = "the shuffle goes through the brokers of the input: read the input with `source kafka(..)` or `source kafka_task(task)`"
)]
pub trait Upstream {
    /// The input the source reads (brokers, topics, a cluster task's partition and fence),
    /// which the shuffle's first half writes from.
    fn origin(&self) -> Origin;
}

impl Origin {
    /// A cluster task's claim on its partition.
    pub(crate) fn fence(&self) -> Option<&Fence> {
        self.fence.as_ref()
    }

    /// A cluster task's partition and the cluster's shared checkpoint directory.
    pub(crate) fn task(&self) -> Option<&(i32, std::path::PathBuf)> {
        self.task.as_ref()
    }
}

impl<M: KafkaMode> Upstream for KafkaSource<M> {
    fn origin(&self) -> Origin {
        let c = self.settings();
        let parts = c.partitions.as_ref().map(|p| p.to_vec());
        let writer = format!(
            "{}-{}",
            c.topics.join(","),
            parts.as_ref().map_or_else(
                || "*".to_string(),
                |p| p.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
            )
        );
        Origin {
            brokers: c.brokers.clone(),
            options: c.options.clone(),
            writer,
            input_topic: c.topics.first().cloned().unwrap_or_default(),
            task: c
                .task
                .as_ref()
                .zip(parts.as_ref().and_then(|p| p.first()))
                .map(|((_, root), &p)| (p, root.clone())),
            fence: c.task.as_ref().map(|(f, _)| f.clone()),
            partitions: parts,
        }
    }
}

/// The second half's source: the repartition `topic` on the input's brokers, whole records,
/// from its first offset (unless the checkpoint says where), the same partition numbers as
/// the input when that is a cluster task's. A missing topic is created with as many
/// partitions as the input topic.
pub fn read_source<U: Upstream>(
    upstream: &U,
    topic: impl Into<String>,
) -> KafkaSource<WholeRecords> {
    let origin = upstream.origin();
    let mut source = kafka(origin.brokers.as_str(), topic.into())
        .records()
        .from_earliest()
        .create_missing_like(&origin.input_topic);
    for (k, v) in &origin.options {
        source = source.option(k.as_str(), v.as_str());
    }
    if let (Some(fence), Some((_, root))) = (origin.fence, origin.task) {
        source = source.of_task(fence, root);
    }
    match origin.partitions {
        Some(p) => source.partitions(p),
        None => source,
    }
}

/// The writer: the stage at the end of the first half. `K`, `V`: the owned types the
/// second half gets.
pub struct Repartition<K, V> {
    origin: Origin,
    topic: String,
    /// This process's id: tells a replay's records from a cut-short earlier attempt's.
    attempt: u64,
    /// A cluster task's run, read or created in the cluster's checkpoint root when the
    /// writer is built (an error fails the first batch).
    cluster_run: Option<Result<u64, String>>,
    producer: Option<BaseProducer<Deliveries>>,
    partitions: Option<i32>,
    key: String,
    value: String,
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> Repartition<K, V> {
    /// The writer of pairs read from `upstream`, to the topic `reader` reads.
    pub fn new<U: Upstream>(upstream: &U, reader: &KafkaSource<WholeRecords>) -> Self {
        let topic = reader
            .settings()
            .topics
            .first()
            .cloned()
            .unwrap_or_default();
        let origin = upstream.origin();
        let cluster_run = origin
            .task
            .as_ref()
            .map(|(_, root)| run::cluster_run(root).map_err(|e| e.to_string()));
        Repartition {
            origin,
            topic,
            attempt: run::fresh_run(),
            cluster_run,
            producer: None,
            partitions: None,
            key: String::new(),
            value: String::new(),
            types: PhantomData,
        }
    }

    fn error(&self, message: impl std::fmt::Display) -> StreamingError {
        StreamingError::Custom(format!("repartition({:?}): {message}", self.topic))
    }

    /// The run the stage's records belong to. A stage without one (a fresh start) joins
    /// the cluster's, or draws a new one when it runs alone; a restored stage keeps its
    /// checkpoint's, which in a cluster must be the cluster's.
    fn join_run(&self, received: &mut ReceivedUnits) -> Result<u64, StreamingError> {
        let run = match &self.cluster_run {
            None if received.run == 0 => run::fresh_run(),
            None => received.run,
            Some(Ok(run)) => *run,
            Some(Err(e)) => return Err(self.error(e)),
        };
        if received.run == 0 {
            received.run = run;
        } else if received.run != run {
            let root = self
                .origin
                .task
                .as_ref()
                .map_or_else(String::new, |(_, root)| root.display().to_string());
            return Err(self.error(format!(
                "this task's checkpoint belongs to another run of the job than the cluster's checkpoint directory {root} (part of it was deleted, not all of it): to reset the job, stop every process and delete the whole directory"
            )));
        }
        Ok(run)
    }

    /// The producer and the topic's partition count, once.
    fn connect(&mut self) -> Result<i32, StreamingError> {
        if self.producer.is_none() {
            let producer = new_producer(
                &self.origin.brokers,
                &self.origin.options,
                FLUSH_TIMEOUT,
                "streaming-repartition",
            )
            .map_err(|e| self.error(format!("cannot create the Kafka producer: {e}")))?;
            self.producer = Some(producer);
        }
        if let Some(n) = self.partitions {
            return Ok(n);
        }
        let Some(producer) = &self.producer else {
            return Err(self.error("no producer"));
        };
        let count = |topic: &str| -> Result<i32, KafkaError> {
            let md = producer
                .client()
                .fetch_metadata(Some(topic), Duration::from_secs(10))?;
            Ok(md
                .topics()
                .iter()
                .find(|t| t.name() == topic && t.error().is_none())
                .map_or(0, |t| {
                    i32::try_from(t.partitions().len()).unwrap_or(i32::MAX)
                }))
        };
        let n = count(&self.topic).map_err(|e| self.error(format!("looking the topic up: {e}")))?;
        if n == 0 {
            // The reader creates it; until it has, this batch fails and is retried.
            return Err(self.error("the topic does not exist yet"));
        }
        if self.origin.partitions.is_some() {
            // A task reads the same partition numbers of both topics.
            let input = count(&self.origin.input_topic)
                .map_err(|e| self.error(format!("looking the input topic up: {e}")))?;
            if input != n {
                return Err(self.error(format!(
                    "the topic has {n} partitions and the input `{}` has {input}: a cluster task reads the same partition of both, so they must have as many (delete the repartition topic and it is created to match)",
                    self.origin.input_topic
                )));
            }
        }
        self.partitions = Some(n);
        Ok(n)
    }

    /// Sends the batch's pairs, then each partition's end marker, and waits until all are
    /// acknowledged. A cluster task's fence is checked first: a process that lost its
    /// partition writes nothing.
    pub fn write<KB, VB>(
        &mut self,
        ctx: &mut BatchContext<'_>,
        received: &mut ReceivedUnits,
        batch: &[(KB, VB)],
    ) -> Result<(), StreamingError>
    where
        KB: Serialize + IntoOwned<Owned = K>,
        VB: Serialize + IntoOwned<Owned = V>,
    {
        if let Some(fence) = &self.origin.fence {
            fence.check()?;
        }
        let run = self.join_run(received)?;
        let n = self.connect()?;
        let header = format!(
            "{run}\t{}\t{}\t{}\t{}\t",
            self.origin.writer,
            self.origin.fence.as_ref().map_or(0, Fence::epoch),
            self.attempt,
            ctx.time().milliseconds()
        );
        let mut counts = vec![0u64; usize::try_from(n).unwrap_or(0)];
        let (mut key, mut value) = (
            std::mem::take(&mut self.key),
            std::mem::take(&mut self.value),
        );
        let result = self.send_all(batch, &header, &mut counts, &mut key, &mut value);
        (self.key, self.value) = (key, value);
        result
    }

    fn send_all<KB: Serialize, VB: Serialize>(
        &self,
        batch: &[(KB, VB)],
        header: &str,
        counts: &mut [u64],
        key: &mut String,
        value: &mut String,
    ) -> Result<(), StreamingError> {
        let Some(producer) = &self.producer else {
            return Err(self.error("no producer"));
        };
        let n = i32::try_from(counts.len()).unwrap_or(i32::MAX);
        let encode =
            |e: serde_json::Error| self.error(format!("cannot encode a pair as JSON: {e}"));
        for (k, v) in batch {
            *key = serde_json::to_string(k).map_err(encode)?;
            value.clear();
            value.push_str(header);
            value.push_str(&serde_json::to_string(v).map_err(encode)?);
            let p = partition_for(key.as_bytes(), n);
            if let Some(c) = usize::try_from(p).ok().and_then(|p| counts.get_mut(p)) {
                *c += 1;
            }
            let record = BaseRecord::to(&self.topic)
                .partition(p)
                .key(key.as_str())
                .payload(value.as_str());
            send(producer, record).map_err(|e| self.error(format!("cannot send a record: {e}")))?;
        }
        // The records first, acknowledged; then the markers, each alone in its partition's
        // request (some brokers, tansu 0.6, list a partition's end at its last request's
        // first record until more arrive).
        flush_all(producer, FLUSH_TIMEOUT, batch.len()).map_err(|e| self.error(e))?;
        if let Some(fence) = &self.origin.fence {
            fence.check()?;
        }
        for (p, c) in counts.iter().enumerate() {
            value.clear();
            let _ = write!(value, "{header}{c}");
            let p = i32::try_from(p).unwrap_or(i32::MAX);
            let marker = BaseRecord::<str, str>::to(&self.topic)
                .partition(p)
                .payload(value.as_str());
            send(producer, marker)
                .map_err(|e| self.error(format!("cannot send an end marker: {e}")))?;
        }
        flush_all(producer, FLUSH_TIMEOUT, counts.len()).map_err(|e| self.error(e))
    }
}

/// What the second half has received: the run it belongs to, and per (partition, writer)
/// of that run the last batch handed on and the records of units whose marker has not
/// come yet. Checkpointed (the writer takes the run from it too).
#[derive(Default, Debug, Serialize, Deserialize)]
pub struct ReceivedUnits {
    /// The job's run (0 until the first batch joins one); see [`run`].
    run: u64,
    lanes: BTreeMap<(i32, String), Lane>,
    /// Records of another run of the job (written before a reset): skipped.
    pub other_runs: u64,
    /// Records dropped as repeats (replays, cut-short attempts, fenced owners).
    pub duplicates: u64,
    /// Records that were not a shuffle's (no header, bad JSON): skipped and logged.
    pub malformed: u64,
}

#[derive(Default, Debug, Serialize, Deserialize)]
struct Lane {
    /// The last batch time handed on.
    applied: Option<u64>,
    /// The highest epoch of a unit handed on: units of lower ones are a fenced owner's.
    epoch: u64,
    /// Records of units not ended yet, by (attempt, batch): (key JSON, value JSON).
    pending: BTreeMap<(u64, u64), Vec<(String, String)>>,
}

/// One record's header.
struct Unit<'a> {
    /// 0 for records written before runs were recorded.
    run: u64,
    writer: &'a str,
    epoch: u64,
    attempt: u64,
    batch: u64,
    rest: &'a str,
}

/// Parses `run\twriter\tepoch\tattempt\tbatch\trest`, or the older header without the
/// run (a writer name, made of topic names, never parses as a number).
fn unit(value: &str) -> Option<Unit<'_>> {
    let (first, after) = value.split_once('\t')?;
    let (run, fields) = match first.parse::<u64>() {
        Ok(run) => (run, after),
        Err(_) => (0, value),
    };
    let mut f = fields.splitn(5, '\t');
    Some(Unit {
        run,
        writer: f.next()?,
        epoch: f.next()?.parse().ok()?,
        attempt: f.next()?.parse().ok()?,
        batch: f.next()?.parse().ok()?,
        rest: f.next()?,
    })
}

/// The pairs of the units that ended in this batch's records, each unit once: the second
/// half's input. (`_writer` only ties the pairs' types to what the first half writes.)
pub fn receive<K, V>(
    writer: &Repartition<K, V>,
    received: &mut ReceivedUnits,
    batch: &KafkaRecords,
) -> Result<Vec<(K, V)>, StreamingError>
where
    K: DeserializeOwned,
    V: DeserializeOwned,
{
    writer.join_run(received)?;
    let (duplicates, malformed, other_runs) =
        (received.duplicates, received.malformed, received.other_runs);
    let mut out = Vec::new();
    for (k, v) in received.take_units(batch) {
        match (serde_json::from_str(&k), serde_json::from_str(&v)) {
            (Ok(k), Ok(v)) => out.push((k, v)),
            _ => received.malformed += 1,
        }
    }
    if received.malformed > malformed {
        warn!(
            records = received.malformed - malformed,
            "records of the repartition topic that are not this pipeline's shuffled pairs were skipped"
        );
    }
    if received.other_runs > other_runs {
        info!(
            records = received.other_runs - other_runs,
            "records of the repartition topic written by another run of the job (before its checkpoint was reset) were skipped"
        );
    }
    if received.duplicates > duplicates {
        debug!(
            records = received.duplicates - duplicates,
            "repeated shuffled records dropped"
        );
    }
    Ok(out)
}

/// The shuffle's bookkeeping is not a keyed state of the pipeline's data: not reported.
impl crate::state_stats::StateSize for ReceivedUnits {
    fn state_stats(&mut self) -> Option<crate::state_stats::StateStats> {
        None
    }
}

impl ReceivedUnits {
    /// The (key, value) JSON of the units whose end marker is in `batch` and that were not
    /// handed on before, in marker order; keeps the records of units not ended yet.
    fn take_units(&mut self, batch: &KafkaRecords) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for r in batch.iter() {
            let Some(u) = unit(r.value) else {
                self.malformed += 1;
                continue;
            };
            if u.run != self.run {
                // Epochs and batch times restart with a run: only a run's own compare.
                self.other_runs += 1;
                continue;
            }
            let lane = self
                .lanes
                .entry((r.partition, u.writer.to_string()))
                .or_default();
            let stale = u.epoch < lane.epoch || lane.applied.is_some_and(|a| u.batch <= a);
            let Some(key) = r.key else {
                // An end marker.
                let records = lane
                    .pending
                    .remove(&(u.attempt, u.batch))
                    .unwrap_or_default();
                if stale {
                    self.duplicates += records.len() as u64;
                    continue;
                }
                let expected: Option<usize> = u.rest.parse().ok();
                if expected != Some(records.len()) {
                    warn!(
                        partition = r.partition,
                        writer = u.writer,
                        batch = u.batch,
                        ?expected,
                        got = records.len(),
                        "a shuffled batch's records do not match its end marker; handing on what arrived"
                    );
                }
                // Leftovers of attempts cut short, up to this batch, are superseded.
                let done: Vec<(u64, u64)> = lane
                    .pending
                    .keys()
                    .filter(|(_, b)| *b <= u.batch)
                    .copied()
                    .collect();
                for k in done {
                    if let Some(left) = lane.pending.remove(&k) {
                        self.duplicates += left.len() as u64;
                    }
                }
                lane.applied = Some(u.batch);
                lane.epoch = lane.epoch.max(u.epoch);
                out.extend(records);
                continue;
            };
            if stale {
                self.duplicates += 1;
            } else {
                lane.pending
                    .entry((u.attempt, u.batch))
                    .or_default()
                    .push((key.to_string(), u.rest.to_string()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The run of the tests' units.
    const RUN: u64 = 5;

    /// A record of writer `w` (epoch, attempt, batch) of run [`RUN`] in partition 0: a
    /// pair, or (no key) an end marker with a count.
    fn push(b: &mut KafkaRecords, w: &str, e: u64, a: u64, t: u64, key: Option<&str>, rest: &str) {
        let value = format!("{RUN}\t{w}\t{e}\t{a}\t{t}\t{rest}");
        b.push(0, 0, 0, None, key, &value);
    }

    /// A reader that joined run [`RUN`].
    fn reader() -> ReceivedUnits {
        ReceivedUnits {
            run: RUN,
            ..ReceivedUnits::default()
        }
    }

    /// (writer, epoch, attempt, batch, key, rest)
    type Raw<'a> = (&'a str, u64, u64, u64, Option<&'a str>, &'a str);

    fn batch(records: &[Raw]) -> KafkaRecords {
        let mut b = KafkaRecords::new(vec!["t".to_string()].into());
        for &(w, e, a, t, k, rest) in records {
            push(&mut b, w, e, a, t, k, rest);
        }
        b
    }

    #[test]
    fn a_unit_is_handed_on_once_at_its_marker_and_repeats_are_dropped() {
        let mut r = reader();
        // Batch 1000 of writer w, attempt 7: two pairs, the marker comes in the next read.
        let got = r.take_units(&batch(&[
            ("w", 1, 7, 1000, Some("\"a\""), "1"),
            ("w", 1, 7, 1000, Some("\"b\""), "1"),
        ]));
        assert!(got.is_empty());
        let got = r.take_units(&batch(&[("w", 1, 7, 1000, None, "2")]));
        assert_eq!(got.len(), 2);
        // A crash cut attempt 7's batch 2000 short (one pair, no marker); attempt 8 replays
        // batch 1000 (a repeat) and then batch 2000 whole.
        let got = r.take_units(&batch(&[
            ("w", 1, 7, 2000, Some("\"c\""), "1"),
            ("w", 1, 8, 1000, Some("\"a\""), "1"),
            ("w", 1, 8, 1000, Some("\"b\""), "1"),
            ("w", 1, 8, 1000, None, "2"),
            ("w", 1, 8, 2000, Some("\"c\""), "1"),
            ("w", 1, 8, 2000, Some("\"d\""), "1"),
            ("w", 1, 8, 2000, None, "2"),
        ]));
        assert_eq!(
            got,
            vec![
                ("\"c\"".to_string(), "1".to_string()),
                ("\"d\"".to_string(), "1".to_string())
            ]
        );
        assert_eq!(r.duplicates, 3); // a, b again, and the cut-short c
        // Another writer's units are its own lane.
        let got = r.take_units(&batch(&[
            ("v", 1, 1, 1000, Some("\"a\""), "5"),
            ("v", 1, 1, 1000, None, "1"),
        ]));
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn a_fenced_owners_late_unit_is_dropped() {
        let mut r = reader();
        // The new owner (epoch 2) handed on batch 3000; the old one (epoch 1), paused and
        // resumed, sends batch 4000 under its old epoch.
        r.take_units(&batch(&[
            ("w", 2, 9, 3000, Some("1"), "1"),
            ("w", 2, 9, 3000, None, "1"),
        ]));
        let got = r.take_units(&batch(&[
            ("w", 1, 7, 4000, Some("2"), "1"),
            ("w", 1, 7, 4000, None, "1"),
        ]));
        assert!(got.is_empty());
        assert_eq!(r.duplicates, 1);
        // Something else in the topic is skipped and counted.
        let mut b = KafkaRecords::new(vec!["t".to_string()].into());
        b.push(0, 0, 0, None, Some("k"), "not a shuffle record");
        assert!(r.take_units(&b).is_empty());
        assert_eq!(r.malformed, 1);
    }

    #[test]
    fn units_of_another_run_are_skipped_and_epochs_compare_within_a_run() {
        // The run before a reset handed on batch 9000 under epoch 4 (a value the new run's
        // epochs, starting again at 1, stay below).
        let mut old = KafkaRecords::new(vec!["t".to_string()].into());
        for (key, rest) in [(Some("\"a\""), "1"), (None, "1")] {
            b_push_run(&mut old, 77, "w", 4, 9000, key, rest);
        }
        // Records of a build that wrote no run at all.
        old.push(0, 0, 0, None, Some("\"a\""), "w\t4\t3\t9000\t1");
        let mut r = reader();
        assert!(r.take_units(&old).is_empty());
        assert_eq!(r.other_runs, 3);
        // The new run's first unit, epoch 1, batch 1000: handed on.
        let got = r.take_units(&batch(&[
            ("w", 1, 7, 1000, Some("\"b\""), "1"),
            ("w", 1, 7, 1000, None, "1"),
        ]));
        assert_eq!(got.len(), 1);
        assert_eq!(r.duplicates, 0);
    }

    fn b_push_run(
        b: &mut KafkaRecords,
        run: u64,
        w: &str,
        e: u64,
        t: u64,
        key: Option<&str>,
        rest: &str,
    ) {
        let value = format!("{run}\t{w}\t{e}\t3\t{t}\t{rest}");
        b.push(0, 0, 0, None, key, &value);
    }

    #[test]
    fn murmur2_is_kafkas() {
        // Values from Kafka's `UtilsTest.testMurmur2`.
        let cases: &[(&[u8], i32)] = &[
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (data, want) in cases {
            assert_eq!(murmur2(data), *want, "{}", String::from_utf8_lossy(data));
        }
    }
}
