//! The Kafka source's bookkeeping, free of any client: the partitions known, the offset
//! ranges each sealed batch will read (its plan), the records the fetch has staged, and the
//! positions that go into checkpoints and the batch log. The fetcher thread and the batch
//! thread share one [`State`] under a lock; it is plain data, tested without a broker.
//!
//! A batch's life: [`State::seal`] queues it unplanned; the fetcher plans it
//! ([`State::plan`]: per partition `[from, until)`, `until` the partition's end offset when
//! the batch was planned, at most `max_rate_per_partition × interval` records past `from`);
//! the batch thread waits until the fetch has staged every range ([`State::is_complete`]),
//! or gives up after the fetch timeout and cuts the ranges to what arrived
//! ([`State::finalize`] with `cut`), so the rest goes to the next batch; then the plan is
//! final, its position is logged, and [`State::take`] hands its records to the batch. A
//! replayed batch ([`State::replay_seal`]) gets exactly the ranges the batch log recorded
//! and is never cut.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use tracing::warn;

use crate::metrics::SourceMetrics;
use crate::receiver::lines::{char_cut, loud};
use crate::time::BatchTime;

use super::record::KafkaRecord;

/// Staged text is kept in chunks of about this size, freed as batches take them.
const CHUNK_BYTES: usize = 256 << 10;

/// One partition's range in a checkpoint or the batch log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct PositionRange {
    pub topic: String,
    pub partition: i32,
    pub from: i64,
    pub until: i64,
    /// The highest end offset the brokers had listed for the partition: an end listed
    /// below it later means the partition's log was replaced (a fall Spark reports as data
    /// loss). Kept after the ranges in [`encode`]'s bytes, so that positions written before
    /// it existed still decode (as 0: unknown) and older readers ignore it.
    #[serde(skip)]
    pub listed_end: i64,
}

/// A source's position once a batch is sealed: that batch's range for every partition it
/// knew (`from == until` where it read nothing). A checkpoint resumes at the `until`s; a
/// replayed batch reads exactly `[from, until)`. Empty: the start offsets were not known
/// yet (the broker was never reached).
pub(crate) type Position = Vec<PositionRange>;

/// A position's bytes in a checkpoint or the batch log: the ranges, then each range's
/// `listed_end`.
pub(crate) fn encode(position: &Position) -> Result<Vec<u8>, postcard::Error> {
    let mut bytes = postcard::to_stdvec(position)?;
    let ends: Vec<i64> = position.iter().map(|r| r.listed_end).collect();
    bytes.extend(postcard::to_stdvec(&ends)?);
    Ok(bytes)
}

/// Reads [`encode`]'s bytes, or a position written before the listed ends were kept.
pub(crate) fn decode(bytes: &[u8]) -> Result<Position, postcard::Error> {
    let (mut position, rest): (Position, _) = postcard::take_from_bytes(bytes)?;
    if !rest.is_empty() {
        let ends: Vec<i64> = postcard::from_bytes(rest)?;
        if ends.len() != position.len() {
            return Err(postcard::Error::DeserializeBadEncoding);
        }
        for (r, end) in position.iter_mut().zip(ends) {
            r.listed_end = end;
        }
    }
    Ok(position)
}

/// Offsets `[from, until)` of a partition that the brokers no longer hold although this
/// source has not read them (retention removed them, or the topic was recreated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lost {
    pub part: usize,
    pub from: i64,
    pub until: i64,
}

/// A partition of one of the source's topics.
#[derive(Debug)]
pub(crate) struct Part {
    pub topic: u32,
    pub partition: i32,
    /// Where the next plan starts.
    pub next: i64,
    /// The next offset the fetch will stage: everything before it is staged or taken.
    pub fetched: i64,
    /// Paused by the fetcher because the staging buffer is full.
    pub paused: bool,
    /// The highest end offset the brokers listed for it (an end below it means the
    /// partition's log was replaced).
    pub listed_end: i64,
    /// The first offset of a jump in the staged offsets not explained yet: records from
    /// it up to the next staged one did not come. Compaction and transaction markers
    /// leave such gaps; so does retention, when the brokers no longer hold the records.
    /// Until the fetcher has asked the brokers where the partition begins
    /// ([`State::find_lost`]), batches read the partition only up to here.
    pub gap: Option<i64>,
    staged: VecDeque<Chunk>,
}

/// Records of one partition in one text buffer.
#[derive(Debug, Default)]
struct Chunk {
    text: String,
    recs: Vec<Staged>,
    /// Records before this one were taken.
    taken: usize,
}

#[derive(Debug, Clone, Copy)]
struct Staged {
    offset: i64,
    timestamp: Option<i64>,
    key: Option<(usize, usize)>,
    value: (usize, usize),
}

/// Where a batch left each partition: (topic index, partition, next offset).
pub(crate) type Ends = Vec<(u32, i32, i64)>;

/// One partition's range in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Range {
    pub part: usize,
    pub from: i64,
    pub until: i64,
}

/// A sealed batch.
#[derive(Debug)]
pub(crate) struct Plan {
    pub time: BatchTime,
    /// `None` until the fetcher planned it.
    pub ranges: Option<Vec<Range>>,
    /// A batch replayed after a crash: the ranges its batch log recorded (until planned).
    replay: Option<Position>,
    /// A batch replayed after a crash: its ranges are never cut.
    replayed: bool,
    /// Final (the batch thread prepared it): its position may be logged.
    pub prepared: bool,
}

/// Everything the fetcher and the batch thread share.
#[derive(Debug)]
pub(crate) struct State {
    pub topics: Arc<[String]>,
    pub parts: Vec<Part>,
    index: HashMap<(u32, i32), usize>,
    /// The start offsets are known (from a checkpoint, the group's commits, or
    /// earliest/latest).
    pub resolved: bool,
    /// Sealed batches not yet taken, oldest first.
    pub plans: VecDeque<Plan>,
    /// Position after each prepared batch, when checkpointing.
    positions: Option<VecDeque<(BatchTime, Arc<Position>)>>,
    /// The last taken batch and its end offsets, committed to the group once it completes.
    taken: Option<(BatchTime, Ends)>,
    /// End offsets of the last completed batch, for the fetcher to commit.
    pub to_commit: Option<Ends>,
    /// Bytes of staged records (text and bookkeeping).
    pub staged_bytes: usize,
    /// Why the source cannot go on (a topic that does not exist): fails the next batch.
    pub fatal: Option<String>,
    /// A batch waited in vain for records: the fetcher asks the brokers whether partitions
    /// behind their batches' ranges still hold the records ([`State::suspects`]).
    pub check_lost: bool,
    pub stopping: bool,
    /// The source's thread has ended (it committed what it had to).
    pub stopped: bool,
    max_record_bytes: usize,
    invalid_events: u64,
    truncated_events: u64,
}

impl State {
    pub fn new(topics: Arc<[String]>, max_record_bytes: usize) -> Self {
        State {
            topics,
            parts: Vec::new(),
            index: HashMap::new(),
            resolved: false,
            plans: VecDeque::new(),
            positions: None,
            taken: None,
            to_commit: None,
            staged_bytes: 0,
            fatal: None,
            check_lost: false,
            stopping: false,
            stopped: false,
            max_record_bytes,
            invalid_events: 0,
            truncated_events: 0,
        }
    }

    pub fn set_max_record_bytes(&mut self, max: usize) {
        self.max_record_bytes = max;
    }

    pub fn topic_index(&self, topic: &str) -> Option<u32> {
        self.topics
            .iter()
            .position(|t| t == topic)
            .and_then(|i| u32::try_from(i).ok())
    }

    pub fn part_index(&self, topic: u32, partition: i32) -> Option<usize> {
        self.index.get(&(topic, partition)).copied()
    }

    /// A partition first seen now, read from `start`.
    pub fn add_part(&mut self, topic: u32, partition: i32, start: i64) -> usize {
        if let Some(i) = self.part_index(topic, partition) {
            return i;
        }
        self.parts.push(Part {
            topic,
            partition,
            next: start,
            fetched: start,
            paused: false,
            listed_end: 0,
            gap: None,
            staged: VecDeque::new(),
        });
        let i = self.parts.len() - 1;
        self.index.insert((topic, partition), i);
        i
    }

    /// Start offsets from a checkpoint: each partition resumes at its `until`.
    pub fn restore(&mut self, position: &Position) {
        for r in position {
            let Some(topic) = self.topic_index(&r.topic) else {
                warn!(topic = %r.topic, "the checkpoint names a topic this source no longer reads; ignoring it");
                continue;
            };
            let i = self.add_part(topic, r.partition, r.until);
            let part = &mut self.parts[i];
            (part.next, part.fetched) = (r.until, r.until);
            part.listed_end = part.listed_end.max(r.listed_end);
        }
        self.resolved = !self.parts.is_empty();
        if let Some(p) = &mut self.positions {
            p.clear();
            p.push_back((BatchTime::ZERO, Arc::new(position.clone())));
        }
    }

    pub fn record_positions(&mut self) {
        if self.positions.is_none() {
            let now = Arc::new(self.current_position());
            self.positions = Some(VecDeque::from([(BatchTime::ZERO, now)]));
        }
    }

    /// Every known partition at its next offset (nothing planned past it).
    fn current_position(&self) -> Position {
        self.parts
            .iter()
            .map(|p| self.range_of(p, p.next, p.next))
            .collect()
    }

    fn range_of(&self, part: &Part, from: i64, until: i64) -> PositionRange {
        PositionRange {
            topic: self.topics[part.topic as usize].clone(),
            partition: part.partition,
            from,
            until,
            listed_end: part.listed_end,
        }
    }

    /// The position for a checkpoint or the batch log of the batch at `time`.
    pub fn position(&mut self, time: BatchTime) -> Option<Position> {
        let positions = self.positions.as_mut()?;
        let p = crate::source::position_at(positions, time)?;
        crate::source::prune_positions(positions, time);
        Some(p.as_ref().clone())
    }

    pub fn seal(&mut self, time: BatchTime) {
        self.plans.push_back(Plan {
            time,
            ranges: None,
            replay: None,
            replayed: false,
            prepared: false,
        });
    }

    pub fn replay_seal(&mut self, time: BatchTime, position: Position) {
        self.plans.push_back(Plan {
            time,
            ranges: None,
            replay: Some(position),
            replayed: true,
            prepared: false,
        });
    }

    /// Where the batches replayed after a crash start reading each partition they name (the
    /// oldest batch that names it): where those partitions start when no checkpoint said
    /// so. (The first batches of a fresh pipeline whose brokers were not reached yet read
    /// nothing and name no partition: a later batch names where reading began.)
    pub fn replay_starts(&self) -> HashMap<(u32, i32), i64> {
        let mut starts = HashMap::new();
        for r in self
            .plans
            .iter()
            .filter_map(|p| p.replay.as_ref())
            .flatten()
        {
            if let Some(topic) = self.topic_index(&r.topic) {
                starts.entry((topic, r.partition)).or_insert(r.from);
            }
        }
        starts
    }

    /// Whether a batch waits to be planned.
    pub fn has_unplanned(&self) -> bool {
        self.plans.iter().any(|p| p.ranges.is_none())
    }

    /// Plans every unplanned batch, oldest first. `latest`: each partition's end offset
    /// now (`None`: the brokers could not be asked; the batches read what was fetched
    /// already); the first unplanned batch reads up to it, at most `cap` records per
    /// partition and, with backpressure, at most `budget` records in all, shared by the
    /// partitions in proportion to their lag (as Spark's direct stream does).
    pub fn plan(
        &mut self,
        latest: Option<&HashMap<usize, i64>>,
        cap: Option<i64>,
        budget: Option<i64>,
    ) {
        let mut latest = latest;
        for i in 0..self.plans.len() {
            if self.plans[i].ranges.is_some() {
                continue;
            }
            let ranges = match self.plans[i].replay.take() {
                Some(position) => {
                    let time = self.plans[i].time;
                    self.replay_ranges(time, &position)
                }
                None => {
                    // Without an answer from the brokers, what was fetched already is
                    // still read.
                    let ends: Vec<i64> = (self.parts.iter().enumerate())
                        .map(|(i, p)| latest.and_then(|l| l.get(&i)).copied().unwrap_or(p.fetched))
                        .collect();
                    let lag = |i: usize, p: &Part| ends.get(i).map_or(0, |e| (e - p.next).max(0));
                    let total_lag: i64 =
                        self.parts.iter().enumerate().map(|(i, p)| lag(i, p)).sum();
                    let ranges: Vec<Range> = self
                        .parts
                        .iter()
                        .enumerate()
                        .map(|(i, p)| {
                            let end = ends.get(i).copied().unwrap_or(p.fetched);
                            let share = budget.map(|b| share_of(b, lag(i, p), total_lag));
                            let until = match cap.into_iter().chain(share).min() {
                                Some(cap) => end.min(p.next.saturating_add(cap)),
                                None => end,
                            };
                            Range {
                                part: i,
                                from: p.next,
                                until: until.max(p.next),
                            }
                        })
                        .collect();
                    latest = None; // later batches were sealed as early: nothing new for them
                    ranges
                }
            };
            for r in &ranges {
                self.parts[r.part].next = r.until;
            }
            self.plans[i].ranges = Some(ranges);
        }
    }

    /// A replayed batch's ranges, exactly as logged (partitions unknown so far are added).
    /// Each must begin where the checkpoint (or the batch replayed before it) ended: a log
    /// that begins later would skip records, one that begins earlier would count some
    /// twice. Either is an error that stops the pipeline, naming the offsets; nothing is
    /// replayed silently. (It happens when the log is not this checkpoint's: a restore fell
    /// back past a corrupt newest checkpoint to one whose following logs were pruned, or
    /// an owner that was fenced wrote a log after the new owner listed them.)
    fn replay_ranges(&mut self, time: BatchTime, position: &Position) -> Vec<Range> {
        let mut ranges = Vec::with_capacity(position.len());
        for r in position {
            let Some(topic) = self.topic_index(&r.topic) else {
                continue;
            };
            let part = self.add_part(topic, r.partition, r.from);
            let listed = &mut self.parts[part].listed_end;
            *listed = (*listed).max(r.listed_end);
            let next = self.parts[part].next;
            if next != r.from && self.fatal.is_none() {
                let (what, n) = if r.from > next {
                    ("skip", r.from - next)
                } else {
                    ("count twice", next - r.from)
                };
                self.fatal = Some(format!(
                    "the batch log of batch {time} does not follow the checkpoint: it reads \
                     partition {} of {} from offset {}, where the checkpoint and the batches \
                     replayed before it end at {next}; replaying it would {what} {n} records. \
                     The checkpoint directory mixes two histories (a corrupt newest checkpoint \
                     whose successors' logs were pruned, or a log a fenced owner wrote late): \
                     move it away to start over",
                    r.partition, r.topic, r.from
                ));
            }
            ranges.push(Range {
                part,
                from: r.from,
                until: r.until,
            });
        }
        ranges
    }

    fn plan_at(&self, time: BatchTime) -> Option<&Plan> {
        self.plans.iter().find(|p| p.time == time)
    }

    /// The batch at `time` is planned and every range of it is staged.
    pub fn is_complete(&self, time: BatchTime) -> bool {
        self.plan_at(time).is_some_and(|plan| {
            plan.prepared
                || plan.ranges.as_ref().is_some_and(|ranges| {
                    ranges
                        .iter()
                        .all(|r| self.parts[r.part].whole_until() >= r.until)
                })
        })
    }

    /// Whether the batch at `time` was replayed (its ranges must not be cut).
    pub fn is_replay(&self, time: BatchTime) -> bool {
        self.plan_at(time).is_some_and(|p| p.replayed)
    }

    /// Makes the plan of the batch at `time` final and records its position. An unplanned
    /// batch reads nothing new; with `cut`, ranges the fetch has not staged completely end
    /// where it got to, and the next batch starts there. Returns the records cut off.
    pub fn finalize(&mut self, time: BatchTime, cut: bool) -> i64 {
        let Some(i) = self.plans.iter().position(|p| p.time == time) else {
            return 0;
        };
        if self.plans[i].prepared {
            return 0;
        }
        if self.plans[i].ranges.is_none() {
            // Not planned in time: read nothing new (replays are always planned first).
            let ranges = self
                .parts
                .iter()
                .enumerate()
                .map(|(part, p)| Range {
                    part,
                    from: p.next,
                    until: p.next,
                })
                .collect();
            self.plans[i].ranges = Some(ranges);
        }
        let mut dropped = 0;
        if cut {
            let mut ranges = self.plans[i].ranges.take().unwrap_or_default();
            for r in &mut ranges {
                let fetched = self.parts[r.part].whole_until();
                if fetched < r.until {
                    let end = fetched.max(r.from);
                    dropped += r.until - end;
                    self.moved_back(i, r.part, r.until, end);
                    r.until = end;
                }
            }
            self.plans[i].ranges = Some(ranges);
        }
        self.plans[i].prepared = true;
        if self.positions.is_some() {
            let position: Position = self.plans[i]
                .ranges
                .iter()
                .flatten()
                .map(|r| self.range_of(&self.parts[r.part], r.from, r.until))
                .collect();
            if let Some(p) = &mut self.positions {
                p.push_back((time, Arc::new(position)));
            }
        }
        dropped
    }

    /// The range of partition `part` in plan `i` now ends at `end` instead of `old_end`:
    /// the next plan reading it starts there (or the next one to be made).
    fn moved_back(&mut self, i: usize, part: usize, old_end: i64, end: i64) {
        for later in self.plans.iter_mut().skip(i + 1) {
            if let Some(r) = later
                .ranges
                .iter_mut()
                .flatten()
                .find(|r| r.part == part && r.from == old_end)
            {
                r.from = end;
                return;
            }
        }
        if self.parts[part].next == old_end {
            self.parts[part].next = end;
        }
    }

    /// Removes the batch at `time` (and any older one left) and calls `push` with each of
    /// its records, partition by partition, in offset order. Returns the number of records.
    pub fn take(&mut self, time: BatchTime, mut push: impl FnMut(KafkaRecord<&str>, u32)) -> usize {
        let mut count = 0;
        let mut ends = Vec::new();
        while self.plans.front().is_some_and(|p| p.time <= time) {
            let t = self.plans.front().map_or(time, |p| p.time);
            self.finalize(t, true);
            let Some(plan) = self.plans.pop_front() else {
                break;
            };
            for r in plan.ranges.unwrap_or_default() {
                count += self.drain(r, &mut push);
                let p = &self.parts[r.part];
                ends.push((p.topic, p.partition, r.until));
            }
        }
        self.taken = Some((time, ends));
        count
    }

    /// Hands over partition `r.part`'s staged records in `[r.from, r.until)`.
    fn drain(&mut self, r: Range, push: &mut impl FnMut(KafkaRecord<&str>, u32)) -> usize {
        let topic_idx = self.parts[r.part].topic;
        let topic = self.topics[topic_idx as usize].as_str();
        let part = &mut self.parts[r.part];
        let mut count = 0;
        while let Some(chunk) = part.staged.front_mut() {
            while let Some(s) = chunk.recs.get(chunk.taken) {
                if s.offset >= r.until {
                    return count;
                }
                chunk.taken += 1;
                if s.offset < r.from {
                    continue; // staged before a restart moved the start (not expected)
                }
                let at = |(a, b): (usize, usize)| chunk.text.get(a..b).unwrap_or_default();
                push(
                    KafkaRecord {
                        topic,
                        partition: part.partition,
                        offset: s.offset,
                        timestamp: s.timestamp,
                        key: s.key.map(at),
                        value: at(s.value),
                    },
                    topic_idx,
                );
                count += 1;
            }
            let bytes = chunk_bytes(chunk);
            self.staged_bytes = self.staged_bytes.saturating_sub(bytes);
            part.staged.pop_front();
        }
        count
    }

    /// The batch at `time` completed: its end offsets are to be committed to the group.
    pub fn completed(&mut self, time: BatchTime) {
        if let Some((t, ends)) = self.taken.take() {
            if t == time {
                self.to_commit = Some(ends);
            }
        }
    }

    /// Stages one fetched record of partition `part` (decoded lossily and cut at the
    /// maximum, each event counted and logged). Records before the partition's fetch
    /// position (a repeated fetch) are skipped.
    #[allow(clippy::too_many_arguments)]
    pub fn stage(
        &mut self,
        part: usize,
        offset: i64,
        timestamp: Option<i64>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        metrics: &SourceMetrics,
    ) {
        let Some(p) = self.parts.get(part) else {
            return;
        };
        if offset < p.fetched {
            return;
        }
        if offset > p.fetched && p.gap.is_none() {
            let from = p.fetched;
            self.parts[part].gap = Some(from);
        }
        let max = self.max_record_bytes;
        let value = value.unwrap_or_default();
        let (value, cut) = if value.len() > max {
            (&value[..char_cut(value, max)], true)
        } else {
            (value, false)
        };
        if cut {
            self.truncated_events += 1;
            metrics.add_truncated_lines(1);
            if loud(self.truncated_events) {
                warn!(source = %metrics.name(), offset, max_record_bytes = max,
                    count = self.truncated_events,
                    "record longer than the maximum; keeping its first max_record_bytes bytes");
            }
        }
        let bytes = value.len() + key.map_or(0, <[u8]>::len);
        metrics.add_bytes(bytes as u64);
        let mut invalid = false;
        let p = &mut self.parts[part];
        if p.staged.back().is_none_or(|c| c.text.len() >= CHUNK_BYTES) {
            p.staged.push_back(Chunk::default());
        }
        let Some(chunk) = p.staged.back_mut() else {
            return;
        };
        let before = chunk_bytes(chunk);
        let mut push_text = |bytes: &[u8]| {
            let start = chunk.text.len();
            match std::str::from_utf8(bytes) {
                Ok(s) => chunk.text.push_str(s),
                Err(_) => {
                    invalid = true;
                    chunk.text.push_str(&String::from_utf8_lossy(bytes));
                }
            }
            (start, chunk.text.len())
        };
        let key = key.map(&mut push_text);
        let value = push_text(value);
        chunk.recs.push(Staged {
            offset,
            timestamp,
            key,
            value,
        });
        let added = chunk_bytes(chunk) - before;
        p.fetched = offset + 1;
        self.staged_bytes += added;
        if invalid {
            self.invalid_events += 1;
            metrics.add_invalid_utf8(1);
            if loud(self.invalid_events) {
                warn!(source = %metrics.name(), offset, count = self.invalid_events,
                    "record is not valid UTF-8; decoded lossily");
            }
        }
    }

    /// The partition restarted from an offset below where this source was: the topic was
    /// recreated or the broker lost its data. Planning and fetching restart at `offset`.
    pub fn reset_to(&mut self, part: usize, offset: i64) {
        if let Some(p) = self.parts.get_mut(part) {
            p.next = offset;
            p.fetched = offset;
            p.listed_end = 0;
            p.gap = None;
            p.staged.clear();
        }
        self.staged_bytes = self
            .parts
            .iter()
            .map(|p| p.staged.iter().map(chunk_bytes).sum::<usize>())
            .sum();
    }

    /// Partitions whose records may be gone, each with the first offset that may be: an
    /// unexplained jump in the staged offsets, and, when a batch waited in vain
    /// ([`State::check_lost`]), a fetch position behind what the planned batches read.
    pub fn suspects(&self) -> Vec<(usize, i64)> {
        (self.parts.iter().enumerate())
            .filter_map(|(i, p)| match p.gap {
                Some(gap) => Some((i, gap)),
                None if self.check_lost && p.fetched < self.fetch_goal(i) => Some((i, p.fetched)),
                None => None,
            })
            .collect()
    }

    /// Given where the brokers now begin the suspect partitions (`earliest`), the records
    /// that are gone; gaps the brokers still cover (compaction, transaction markers) are
    /// explained and forgotten. A partition not listed stays suspect.
    pub fn find_lost(&mut self, earliest: &HashMap<usize, i64>) -> Vec<Lost> {
        let mut lost = Vec::new();
        for (part, from) in self.suspects() {
            let Some(&begin) = earliest.get(&part) else {
                continue;
            };
            if begin > from {
                lost.push(Lost {
                    part,
                    from,
                    until: begin,
                });
            } else {
                self.parts[part].gap = None;
            }
        }
        self.check_lost = false;
        lost
    }

    /// The batch replayed after a crash, if any, whose logged range of `part` reads records
    /// from offset `from` on (for the error that says they are gone).
    pub fn replay_needing(&self, part: usize, from: i64) -> Option<BatchTime> {
        (self.plans.iter().filter(|p| p.replayed))
            .find(|p| {
                p.ranges
                    .iter()
                    .flatten()
                    .any(|r| r.part == part && r.until > from)
            })
            .map(|p| p.time)
    }

    /// Reads on past records that are gone (`.fail_on_data_loss(false)`): batches read the
    /// partition's records from `lost.until` on.
    pub fn skip_lost(&mut self, lost: Lost) {
        let p = &mut self.parts[lost.part];
        p.gap = None;
        p.fetched = p.fetched.max(lost.until);
    }

    /// The offset up to which partition `part` must be fetched for the oldest batch not
    /// taken yet (its next offset when no batch is planned).
    pub fn fetch_goal(&self, part: usize) -> i64 {
        self.plans
            .iter()
            .flat_map(|p| p.ranges.iter().flatten())
            .find(|r| r.part == part)
            .map_or(self.parts[part].next, |r| r.until)
    }
}

/// A partition's part of `budget` records: in proportion to its `lag` of `total_lag`,
/// rounded up (so that a partition with records gets at least one).
fn share_of(budget: i64, lag: i64, total_lag: i64) -> i64 {
    if total_lag <= 0 || lag <= 0 {
        return 0;
    }
    let (part, total) = (
        i128::from(budget.max(0)) * i128::from(lag),
        i128::from(total_lag),
    );
    let share = (part + total - 1) / total;
    i64::try_from(share).unwrap_or(i64::MAX)
}

impl Part {
    /// Every record before this offset that the brokers hold is staged (or taken).
    fn whole_until(&self) -> i64 {
        self.gap.unwrap_or(self.fetched)
    }
}

fn chunk_bytes(c: &Chunk) -> usize {
    c.text.capacity() + c.recs.capacity() * std::mem::size_of::<Staged>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> BatchTime {
        BatchTime::from_millis(ms)
    }

    fn state() -> (State, SourceMetrics) {
        let mut st = State::new(vec!["t".to_string()].into(), 8);
        st.add_part(0, 0, 0);
        st.add_part(0, 1, 10);
        st.resolved = true;
        st.record_positions();
        (st, SourceMetrics::new("test"))
    }

    fn latest(a: i64, b: i64) -> HashMap<usize, i64> {
        HashMap::from([(0, a), (1, b)])
    }

    fn take(st: &mut State, time: BatchTime) -> Vec<(i32, i64, String)> {
        let mut out = Vec::new();
        st.take(time, |r, _| {
            out.push((r.partition, r.offset, r.value.to_string()))
        });
        out
    }

    fn stage(st: &mut State, m: &SourceMetrics, part: usize, offsets: std::ops::Range<i64>) {
        for o in offsets {
            st.stage(part, o, Some(o), None, Some(format!("v{o}").as_bytes()), m);
        }
    }

    #[test]
    fn a_batch_reads_exactly_its_planned_ranges() {
        let (mut st, m) = state();
        st.seal(t(1000));
        st.plan(Some(&latest(3, 12)), None, None);
        assert!(!st.is_complete(t(1000)));
        stage(&mut st, &m, 0, 0..5); // the fetch runs ahead of the plan
        stage(&mut st, &m, 1, 10..12);
        assert!(st.is_complete(t(1000)));
        st.finalize(t(1000), false);
        let got = take(&mut st, t(1000));
        assert_eq!(
            got.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
            [(0, 0), (0, 1), (0, 2), (1, 10), (1, 11)]
        );
        // The next batch starts where this one ended; records 3 and 4 are still staged.
        st.seal(t(2000));
        st.plan(Some(&latest(5, 12)), None, None);
        st.finalize(t(2000), true);
        assert_eq!(
            take(&mut st, t(2000))
                .iter()
                .map(|r| r.1)
                .collect::<Vec<_>>(),
            [3, 4]
        );
        let pos = st.position(t(2000)).unwrap();
        assert_eq!(
            (pos[0].from, pos[0].until, pos[1].from, pos[1].until),
            (3, 5, 12, 12)
        );
    }

    #[test]
    fn the_rate_cap_and_batches_sealed_together() {
        let (mut st, _) = state();
        st.seal(t(1000));
        st.seal(t(2000));
        st.plan(Some(&latest(100, 10)), Some(30), None);
        let r: Vec<_> = st
            .plans
            .iter()
            .map(|p| p.ranges.clone().unwrap()[0])
            .collect();
        assert_eq!((r[0].from, r[0].until), (0, 30));
        assert_eq!(
            (r[1].from, r[1].until),
            (30, 30),
            "sealed as early: nothing new"
        );
        st.seal(t(3000));
        st.plan(Some(&latest(100, 10)), Some(30), None);
        let last = st.plans.back().unwrap().ranges.clone().unwrap()[0];
        assert_eq!((last.from, last.until), (30, 60));
    }

    #[test]
    fn a_backpressure_budget_is_shared_by_lag() {
        let (mut st, _) = state();
        st.seal(t(1000));
        // Partition 0 lags by 90 (0..90), partition 1 by 10 (10..20): a budget of 50 gives
        // 45 and 5.
        st.plan(Some(&latest(90, 20)), None, Some(50));
        let r = st.plans.back().unwrap().ranges.clone().unwrap();
        assert_eq!((r[0].from, r[0].until), (0, 45));
        assert_eq!((r[1].from, r[1].until), (10, 15));
        // With `max_rate_per_partition` too, the lower of the two wins; a partition
        // without lag gets nothing.
        st.seal(t(2000));
        st.plan(Some(&latest(90, 15)), Some(20), Some(50));
        let r = st.plans.back().unwrap().ranges.clone().unwrap();
        assert_eq!((r[0].from, r[0].until), (45, 65));
        assert_eq!((r[1].from, r[1].until), (15, 15));
        assert_eq!(share_of(10, 1, 3), 4, "rounded up");
        assert_eq!(share_of(10, 0, 0), 0);
    }

    #[test]
    fn a_cut_batch_leaves_the_rest_to_the_next_one() {
        let (mut st, m) = state();
        st.seal(t(1000));
        st.plan(Some(&latest(10, 10)), None, None);
        st.seal(t(2000));
        st.plan(Some(&latest(12, 10)), None, None);
        stage(&mut st, &m, 0, 0..4);
        assert_eq!(st.finalize(t(1000), true), 6, "6 records cut off");
        assert_eq!(take(&mut st, t(1000)).len(), 4);
        let next = st.plans.front().unwrap().ranges.clone().unwrap()[0];
        assert_eq!((next.from, next.until), (4, 12));
        stage(&mut st, &m, 0, 4..12);
        assert!(st.is_complete(t(2000)));
        assert_eq!(take(&mut st, t(2000)).len(), 8);
        // Not planned in time (the broker was down): the batch reads nothing new.
        st.seal(t(3000));
        st.finalize(t(3000), true);
        assert!(take(&mut st, t(3000)).is_empty());
        st.seal(t(4000));
        st.plan(Some(&latest(13, 10)), None, None);
        assert_eq!(
            st.plans.front().unwrap().ranges.clone().unwrap()[0].from,
            12
        );
    }

    #[test]
    fn a_replay_reads_the_logged_ranges_even_for_new_partitions() {
        let (mut st, m) = state();
        let logged = vec![
            PositionRange {
                topic: "t".into(),
                partition: 0,
                from: 0,
                until: 2,
                listed_end: 0,
            },
            PositionRange {
                topic: "t".into(),
                partition: 7,
                from: 0,
                until: 1,
                listed_end: 0,
            },
        ];
        st.replay_seal(t(1000), logged.clone());
        st.seal(t(2000));
        st.plan(Some(&latest(5, 10)), None, None);
        assert!(st.is_replay(t(1000)));
        let seven = st.part_index(0, 7).unwrap();
        stage(&mut st, &m, 0, 0..5);
        stage(&mut st, &m, seven, 0..1);
        st.finalize(t(1000), false);
        assert_eq!(
            take(&mut st, t(1000))
                .iter()
                .map(|r| (r.0, r.1))
                .collect::<Vec<_>>(),
            [(0, 0), (0, 1), (7, 0)]
        );
        assert_eq!(st.position(t(1000)).unwrap(), logged);
        // The batch after the replay continues from the logged ends.
        let r = st.plans.front().unwrap().ranges.clone().unwrap();
        assert_eq!((r[0].from, r[0].until), (2, 5));
    }

    #[test]
    fn a_batch_logged_before_the_brokers_were_reached_replays_as_nothing() {
        // A fresh pipeline: batch 1 ran before the start offsets were known (an empty
        // position), batch 2 read partition 0 from 4. Replayed, batch 1 reads nothing
        // and partition 0 starts where batch 2's log says, not where `latest` is now.
        let mut st = State::new(vec!["t".to_string()].into(), 8);
        st.record_positions();
        let two = vec![PositionRange {
            topic: "t".into(),
            partition: 0,
            from: 4,
            until: 6,
            listed_end: 0,
        }];
        st.replay_seal(t(1000), Vec::new());
        st.replay_seal(t(2000), two.clone());
        assert_eq!(st.replay_starts(), HashMap::from([((0, 0), 4)]));
        let p = st.add_part(0, 0, 4);
        st.resolved = true;
        st.plan(Some(&HashMap::from([(p, 9)])), None, None);
        assert_eq!(st.plans[0].ranges, Some(Vec::new()));
        assert_eq!(
            st.plans[1].ranges,
            Some(vec![Range {
                part: p,
                from: 4,
                until: 6
            }])
        );
        assert!(st.fatal.is_none());
    }

    #[test]
    fn a_replayed_range_that_does_not_follow_is_fatal() {
        let (mut st, _) = state(); // partition 0 at 0, partition 1 at 10
        st.replay_seal(
            t(1000),
            vec![PositionRange {
                topic: "t".into(),
                partition: 1,
                from: 7,
                until: 12,
                listed_end: 0,
            }],
        );
        st.plan(Some(&latest(5, 20)), None, None);
        let fatal = st.fatal.clone().unwrap_or_default();
        assert!(fatal.contains("count twice 3 records"), "{fatal}");
    }

    #[test]
    fn a_partition_found_while_running_joins_the_next_plan_from_its_start() {
        let (mut st, m) = state();
        st.seal(t(1000));
        st.plan(Some(&latest(1, 10)), None, None);
        // The fetcher finds partition 2 (added to the topic) before the next batch.
        let two = st.add_part(0, 2, 0);
        stage(&mut st, &m, 0, 0..1);
        stage(&mut st, &m, two, 0..3);
        assert!(
            st.is_complete(t(1000)),
            "batch 1 does not wait for the new partition"
        );
        assert_eq!(take(&mut st, t(1000)).len(), 1);
        st.seal(t(2000));
        st.plan(
            Some(&HashMap::from([(0, 1), (1, 10), (two, 3)])),
            None,
            None,
        );
        assert_eq!(
            take(&mut st, t(2000))
                .iter()
                .map(|r| (r.0, r.1))
                .collect::<Vec<_>>(),
            [(2, 0), (2, 1), (2, 2)]
        );
        let pos = st.position(t(2000)).unwrap();
        assert_eq!((pos[2].partition, pos[2].from, pos[2].until), (2, 0, 3));
    }

    #[test]
    fn bad_records_are_cut_decoded_and_counted() {
        let (mut st, m) = state();
        st.stage(0, 0, None, Some(b"\xff"), Some(b"0123456789"), &m);
        st.stage(0, 1, None, None, Some(b"ok\xc3"), &m);
        st.stage(0, 1, None, None, Some(b"repeated"), &m);
        st.seal(t(1000));
        st.plan(Some(&latest(2, 10)), None, None);
        let mut got = Vec::new();
        st.take(t(1000), |r, _| {
            got.push((r.key.map(str::to_string), r.value.to_string()))
        });
        assert_eq!(
            got,
            [
                (Some("\u{fffd}".to_string()), "01234567".to_string()),
                (None, "ok\u{fffd}".to_string()),
            ]
        );
        let s = m.snapshot();
        assert_eq!((s.truncated_lines, s.invalid_utf8), (1, 2));
        assert_eq!(st.staged_bytes, 0, "taken chunks are freed");
    }

    #[test]
    fn a_jump_in_offsets_holds_the_batch_until_the_brokers_explain_it() {
        let (mut st, m) = state();
        st.seal(t(1000));
        st.plan(Some(&latest(6, 10)), None, None);
        stage(&mut st, &m, 0, 0..2);
        stage(&mut st, &m, 0, 4..6); // offsets 2 and 3 did not come
        assert!(!st.is_complete(t(1000)), "records may be gone");
        assert_eq!(st.suspects(), [(0, 2)]);
        // The partition begins at 0: a compacted gap, nothing lost.
        assert_eq!(st.find_lost(&HashMap::from([(0, 0)])), []);
        assert!(st.suspects().is_empty());
        assert!(st.is_complete(t(1000)));
        let offsets: Vec<i64> = take(&mut st, t(1000)).iter().map(|r| r.1).collect();
        assert_eq!(offsets, [0, 1, 4, 5]);
    }

    #[test]
    fn records_retention_removed_are_reported_and_can_be_read_past() {
        let (mut st, m) = state();
        st.seal(t(1000));
        st.plan(Some(&latest(6, 10)), None, None);
        stage(&mut st, &m, 0, 3..6); // the brokers begin at 3 now
        let lost = st.find_lost(&HashMap::from([(0, 3)]));
        assert_eq!(
            lost,
            [Lost {
                part: 0,
                from: 0,
                until: 3
            }]
        );
        assert!(!st.is_complete(t(1000)), "reported, not read past yet");
        st.skip_lost(lost[0]);
        assert!(st.is_complete(t(1000)));
        assert_eq!(take(&mut st, t(1000)).len(), 3);
    }

    #[test]
    fn a_batch_that_waited_in_vain_asks_whether_its_records_are_gone() {
        let (mut st, m) = state();
        st.seal(t(1000));
        st.plan(Some(&latest(4, 10)), None, None);
        stage(&mut st, &m, 0, 0..1);
        assert!(
            st.suspects().is_empty(),
            "nothing asked before a batch waited"
        );
        st.check_lost = true;
        assert_eq!(st.suspects(), [(0, 1)]);
        let lost = st.find_lost(&HashMap::from([(0, 4)]));
        assert_eq!(
            lost,
            [Lost {
                part: 0,
                from: 1,
                until: 4
            }]
        );
        assert!(!st.check_lost, "asked once");
        st.skip_lost(lost[0]);
        assert_eq!(st.parts[0].fetched, 4);
        assert!(st.is_complete(t(1000)));
    }

    #[test]
    fn positions_keep_the_listed_ends_and_older_positions_still_decode() {
        let position = vec![PositionRange {
            topic: "t".into(),
            partition: 3,
            from: 5,
            until: 9,
            listed_end: 12,
        }];
        let bytes = encode(&position).unwrap();
        assert_eq!(decode(&bytes).unwrap(), position);
        assert_eq!(decode(&bytes).unwrap()[0].listed_end, 12);
        // Written before the listed ends were kept: the ranges alone.
        let old = postcard::to_stdvec(&position).unwrap();
        let read = decode(&old).unwrap();
        assert_eq!((read[0].until, read[0].listed_end), (9, 0));
        // And what an older reader reads of the new bytes: the ranges.
        let older: Position = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(older[0].until, 9);
    }

    #[test]
    fn a_restored_partition_remembers_its_listed_end() {
        let mut st = State::new(vec!["t".to_string()].into(), 8);
        st.restore(&vec![PositionRange {
            topic: "t".into(),
            partition: 0,
            from: 2,
            until: 3,
            listed_end: 7,
        }]);
        assert_eq!((st.parts[0].next, st.parts[0].listed_end), (3, 7));
    }
}
