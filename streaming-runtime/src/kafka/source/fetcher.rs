//! The Kafka source's thread: it owns the rdkafka consumer, plans each sealed batch (the
//! brokers' end offsets when the batch was planned, Spark's `latestOffsets`), assigns the
//! topics' partitions (new ones as they appear), fetches planned records into the staging
//! buffer of [`State`], commits completed batches' offsets to the group, and keeps trying,
//! with backoff, while the brokers cannot be reached.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, ClientContext, Offset, TopicPartitionList};
use tracing::{debug, error, info, warn};

use super::state::{Lost, State};
use super::{Config, Shared};
use crate::kafka::client::{quiet_error, quiet_log};

/// How long one request to the brokers (metadata, offsets) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the thread waits for records before looking for new work.
const POLL: Duration = Duration::from_millis(10);
/// Records staged under one lock.
const POLL_BURST: usize = 4096;
/// Backoff between attempts to reach unreachable brokers.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// The source's client context: librdkafka's logs at debug level (see
/// [`crate::kafka::client::quiet_log`]).
pub(crate) struct QuietContext;

impl ClientContext for QuietContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        quiet_log(level, fac, message);
    }
    fn error(&self, error: KafkaError, reason: &str) {
        quiet_error(&error, reason);
    }
}

impl ConsumerContext for QuietContext {
    fn commit_callback(&self, result: rdkafka::error::KafkaResult<()>, _: &TopicPartitionList) {
        if let Err(e) = result {
            warn!(error = %e, "committing the batch's offsets to the group failed (the checkpoint, not the group, is the truth; lag tools lag)");
        }
    }
}

type Client = BaseConsumer<QuietContext>;

/// Whether the brokers answer, with the backoff of the next attempt when they do not.
struct Link {
    up: Option<bool>,
    backoff: Duration,
    next_try: Instant,
}

impl Link {
    fn failed(&mut self, shared: &Shared, what: &str, e: &KafkaError) {
        if self.up != Some(false) {
            shared.metrics.add_disconnects(1);
            warn!(source = %shared.metrics.name(), error = %e, "cannot reach the Kafka brokers ({what}); batches go on with what was fetched, retrying with backoff");
        } else {
            debug!(source = %shared.metrics.name(), error = %e, what, "brokers still unreachable");
        }
        self.up = Some(false);
        self.next_try = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
    }

    fn succeeded(&mut self, shared: &Shared) {
        if self.up != Some(true) {
            shared.metrics.add_connects(1);
            info!(source = %shared.metrics.name(), "reached the Kafka brokers");
            shared.metrics.notify();
        }
        self.up = Some(true);
        self.backoff = BACKOFF_MIN;
    }
}

/// The thread's body; returns when the source stops.
pub(crate) fn run(shared: Arc<Shared>) {
    let config = shared.config();
    let mut client_config = ClientConfig::new();
    client_config
        .set("bootstrap.servers", &config.brokers)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false")
        // Batches wait for planned records: do not let an idle fetch sit on the broker long.
        .set("fetch.wait.max.ms", "50")
        // Brokers back after an outage are reached within a second (librdkafka's default
        // waits up to 10 s between attempts; Java's clients, 1 s).
        .set("reconnect.backoff.max.ms", "1000")
        .set("client.id", "streaming-kafka-source");
    // librdkafka assigns partitions through its group machinery even without joining a
    // group, so it needs an id; without `.group(..)` one that is never joined nor
    // committed to.
    client_config.set(
        "group.id",
        config
            .group
            .as_deref()
            .unwrap_or("streaming-kafka-source-no-group"),
    );
    for (k, v) in &config.options {
        client_config.set(k, v);
    }
    // Where the source starts is its own decision (the checkpoint, the group, or
    // `.from_earliest()`); librdkafka's reset only acts when a fetch position is no longer
    // on the brokers. Then it must move to the earliest record still there, so that the
    // jump shows as a gap that `check_lost` explains or reports: `latest` would skip
    // records that are still there.
    client_config.set("auto.offset.reset", "earliest");
    // Two clients: one fetches (its long-polling fetch requests would delay anything
    // queued behind them on a connection), one asks the brokers for metadata and offsets
    // and commits, so that planning a batch never waits for a fetch.
    let clients = client_config
        .create_with_context(QuietContext)
        .and_then(|fetch| Ok((fetch, client_config.create_with_context(QuietContext)?)));
    let (client, admin): (Client, Client) = match clients {
        Ok(c) => c,
        Err(e) => {
            shared.fail(format!("cannot create the Kafka client: {e}"));
            shared.lock().stopped = true;
            return;
        }
    };
    let mut link = Link {
        up: None,
        backoff: BACKOFF_MIN,
        next_try: Instant::now(),
    };
    let mut assigned = false;
    loop {
        let (stopping, want_plan, resolved, commit) = {
            let mut st = shared.lock();
            (
                st.stopping,
                st.has_unplanned(),
                st.resolved,
                st.to_commit.take(),
            )
        };
        if let Some(ends) = &commit {
            // Only while the brokers answer: a synchronous commit to unreachable brokers
            // blocks until they are back (the next batch commits newer offsets anyway).
            if link.up == Some(true) {
                commit_offsets(&shared, &config, &admin, ends);
            }
        }
        if stopping {
            break;
        }
        // Batches to plan, start offsets to find, or brokers to find again (so that the
        // next batch does not start with a failed attempt).
        if want_plan || !resolved || link.up == Some(false) {
            if Instant::now() >= link.next_try {
                match refresh(&shared, &config, &admin, &client, &mut assigned) {
                    Ok(()) => link.succeeded(&shared),
                    Err(Refresh::Unreachable(what, e)) => {
                        link.failed(&shared, what, &e);
                        shared.lock().plan(None, None, None);
                    }
                    Err(Refresh::Fatal(message)) => {
                        shared.fail(message);
                        break;
                    }
                }
            } else if want_plan {
                // Still backing off: the batch reads what was fetched rather than waiting.
                shared.lock().plan(None, None, None);
            }
            shared.changed.notify_all();
        }
        // Records that may be gone: ask the brokers where those partitions begin.
        if link.up == Some(true) && Instant::now() >= link.next_try {
            match check_lost(&shared, &config, &admin, &client) {
                Ok(()) => {}
                Err(Refresh::Unreachable(what, e)) => link.failed(&shared, what, &e),
                Err(Refresh::Fatal(message)) => {
                    shared.fail(message);
                    break;
                }
            }
        }
        pause_when_full(&shared, &client, &config);
        fetch(&shared, &client);
    }
    debug!(source = %shared.metrics.name(), "Kafka source stopped");
    shared.lock().stopped = true;
    shared.changed.notify_all();
}

enum Refresh {
    /// The brokers did not answer: try again later.
    Unreachable(&'static str, KafkaError),
    /// The source cannot go on (a topic does not exist).
    Fatal(String),
}

/// Looks the topics up (new partitions are assigned), resolves the start offsets on the
/// first success, and plans the sealed batches up to the partitions' end offsets now.
fn refresh(
    shared: &Shared,
    config: &Config,
    admin: &Client,
    fetch: &Client,
    assigned: &mut bool,
) -> Result<(), Refresh> {
    let topics = &config.topics;
    let mut found: Vec<(u32, i32)> = Vec::new();
    for (ti, topic) in topics.iter().enumerate() {
        if let Some(like) = &config.create_missing_like {
            create_if_missing(config, admin, topic, like)?;
        }
        let metadata = admin
            .fetch_metadata(Some(topic), REQUEST_TIMEOUT)
            .map_err(|e| Refresh::Unreachable("metadata", e))?;
        let Some(t) = metadata.topics().iter().find(|t| t.name() == topic) else {
            return Err(Refresh::Fatal(missing_topic(topic, &config.brokers)));
        };
        match t.error().map(RDKafkaErrorCode::from) {
            None => {}
            Some(RDKafkaErrorCode::UnknownTopicOrPartition) => {
                return Err(Refresh::Fatal(missing_topic(topic, &config.brokers)));
            }
            Some(code) => {
                return Err(Refresh::Unreachable(
                    "metadata",
                    KafkaError::MetadataFetch(code),
                ));
            }
        }
        if t.partitions().is_empty() {
            return Err(Refresh::Fatal(missing_topic(topic, &config.brokers)));
        }
        let ti = u32::try_from(ti).unwrap_or(u32::MAX);
        let wanted = |p: i32| {
            config
                .partitions
                .as_ref()
                .is_none_or(|only| only.contains(&p))
        };
        found.extend(
            t.partitions()
                .iter()
                .map(|p| p.id())
                .filter(|&p| wanted(p))
                .map(|p| (ti, p)),
        );
    }

    // Partitions not known yet: where to start them.
    let (resolved, new): (bool, Vec<(u32, i32)>) = {
        let st = shared.lock();
        let new = found
            .iter()
            .copied()
            .filter(|&(t, p)| st.part_index(t, p).is_none())
            .collect();
        (st.resolved, new)
    };
    let starts = if new.is_empty() {
        HashMap::new()
    } else {
        start_offsets(shared, config, admin, &new, resolved)?
    };
    let latest = list_offsets(admin, topics, &found, Offset::End)
        .map_err(|e| Refresh::Unreachable("end offsets", e))?;

    let mut st = shared.lock();
    let mut assign = TopicPartitionList::new();
    for &(t, p) in &new {
        let start = starts.get(&(t, p)).copied().unwrap_or(0);
        let i = st.add_part(t, p, start);
        if resolved {
            shared.metrics.add_partitions_added(1);
            info!(source = %shared.metrics.name(), topic = %st.topics[t as usize], partition = p, from = start,
                "new partition: reading it from its first offset");
        }
        let part = &st.parts[i];
        let _ =
            assign.add_partition_offset(&st.topics[t as usize], p, Offset::Offset(part.fetched));
    }
    // Parts known from a checkpoint or a replay but not assigned yet.
    if !*assigned {
        for part in &st.parts {
            if !new.contains(&(part.topic, part.partition)) {
                let _ = assign.add_partition_offset(
                    &st.topics[part.topic as usize],
                    part.partition,
                    Offset::Offset(part.fetched),
                );
            }
        }
    }
    st.resolved = true;
    // An end offset below one listed before (in this run, or when the checkpoint or the
    // batch log was written): the topic was recreated or the brokers lost records. As
    // Spark's `failOnDataLoss`: stop, or with `.fail_on_data_loss(false)` read the
    // partition again from its new beginning, counting what was never read as lost.
    let mut reset = TopicPartitionList::new();
    let mut latest_by_part = HashMap::new();
    for (&(t, p), &end) in &latest {
        let Some(i) = st.part_index(t, p) else {
            continue;
        };
        let before = st.parts[i].listed_end;
        if end < before {
            let topics = Arc::clone(&st.topics);
            let topic = &topics[t as usize];
            if config.fail_on_data_loss {
                return Err(Refresh::Fatal(format!(
                    "the end offset of partition {p} of Kafka topic `{topic}` fell from \
                     {before} to {end}: the topic was recreated or the brokers lost records. \
                     Offsets this pipeline has read now name other records (or none), so going \
                     on would count records twice or skip them. As Spark (failOnDataLoss) the \
                     pipeline stops: move its checkpoint directory away to start over, or \
                     build the source with `.fail_on_data_loss(false)` to read the partition \
                     again from its first offset"
                )));
            }
            let unread = (before - st.parts[i].next).max(0);
            shared.metrics.add_errors(1);
            shared
                .metrics
                .add_lost_records(u64::try_from(unread).unwrap_or(0));
            error!(source = %shared.metrics.name(), %topic, partition = p, end, before, unread,
                "the partition's end offset fell (topic recreated or brokers lost records); \
                 reading it again from offset 0 (fail_on_data_loss is off)");
            st.reset_to(i, 0);
            let _ = reset.add_partition_offset(topic, p, Offset::Offset(0));
        }
        // The end is at least what was fetched already: some brokers (tansu 0.6) report the
        // last record batch's base offset + 1, behind the batch's last records.
        st.parts[i].listed_end = st.parts[i].listed_end.max(end);
        latest_by_part.insert(i, end.max(st.parts[i].fetched));
    }
    debug!(source = %shared.metrics.name(), ?latest, "end offsets");
    let (cap, budget) = shared.rate_caps();
    st.plan(Some(&latest_by_part), cap, budget);
    drop(st);

    if assign.count() > 0 {
        let result = if *assigned {
            fetch.incremental_assign(&assign)
        } else {
            fetch.assign(&assign)
        };
        match result {
            Ok(()) => *assigned = true,
            Err(e) => return Err(Refresh::Unreachable("assigning partitions", e)),
        }
    }
    if reset.count() > 0 {
        let _ = fetch.incremental_unassign(&reset);
        if let Err(e) = fetch.incremental_assign(&reset) {
            return Err(Refresh::Unreachable("assigning partitions", e));
        }
    }
    Ok(())
}

/// Asks the brokers where the partitions suspected of lost records begin now
/// ([`State::suspects`]) and reports the records that are gone: the pipeline stops naming
/// them, or with `.fail_on_data_loss(false)` they are counted, logged and read past.
fn check_lost(
    shared: &Shared,
    config: &Config,
    admin: &Client,
    fetch: &Client,
) -> Result<(), Refresh> {
    let keys: Vec<(u32, i32)> = {
        let mut st = shared.lock();
        let suspects = st.suspects();
        if suspects.is_empty() {
            // A batch that waited in vain, but every partition has caught up since.
            st.check_lost = false;
            return Ok(());
        }
        (suspects.iter())
            .map(|&(i, _)| (st.parts[i].topic, st.parts[i].partition))
            .collect()
    };
    let earliest = list_offsets(admin, &config.topics, &keys, Offset::Beginning)
        .map_err(|e| Refresh::Unreachable("earliest offsets", e))?;
    let mut st = shared.lock();
    let by_part: HashMap<usize, i64> = (earliest.iter())
        .filter_map(|(&(t, p), &o)| Some((st.part_index(t, p)?, o)))
        .collect();
    let lost = st.find_lost(&by_part);
    let mut seek = TopicPartitionList::new();
    let topics = Arc::clone(&st.topics);
    for Lost { part, from, until } in lost {
        let (topic, partition) = (
            &topics[st.parts[part].topic as usize],
            st.parts[part].partition,
        );
        let replay = st.replay_needing(part, from);
        if config.fail_on_data_loss {
            let needed = match replay {
                Some(time) => format!("; batch {time}, replayed after a crash, needs them"),
                None => String::new(),
            };
            return Err(Refresh::Fatal(format!(
                "records {from}..{until} of partition {partition} of Kafka topic `{topic}` are \
                 gone from the brokers before this pipeline read them (retention removed \
                 them, or the topic was recreated){needed}. As Spark (failOnDataLoss) the \
                 pipeline stops: build the source with `.fail_on_data_loss(false)` to read on \
                 from offset {until}, counting the records skipped"
            )));
        }
        let n = until - from;
        shared
            .metrics
            .add_lost_records(u64::try_from(n).unwrap_or(0));
        error!(source = %shared.metrics.name(), %topic, partition, from, until, records = n, replay = ?replay,
            "records gone from the brokers before they were read (retention, or the topic was recreated); reading on past them (fail_on_data_loss is off)");
        if st.parts[part].fetched < until {
            let _ = seek.add_partition_offset(topic, partition, Offset::Offset(until));
        }
        st.skip_lost(Lost { part, from, until });
    }
    drop(st);
    shared.changed.notify_all();
    if seek.count() > 0 {
        let _ = fetch.incremental_unassign(&seek);
        fetch
            .incremental_assign(&seek)
            .map_err(|e| Refresh::Unreachable("assigning partitions", e))?;
    }
    Ok(())
}

/// Partitions of `topic` (0 when it does not exist).
fn partition_count(admin: &Client, topic: &str) -> Result<usize, Refresh> {
    Ok(topic_shape(admin, topic)?.0)
}

/// A topic's partition count and replication factor (the replicas of its first
/// partition); `(0, 0)` when it does not exist.
fn topic_shape(admin: &Client, topic: &str) -> Result<(usize, usize), Refresh> {
    let metadata = admin
        .fetch_metadata(Some(topic), REQUEST_TIMEOUT)
        .map_err(|e| Refresh::Unreachable("metadata", e))?;
    Ok(metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic && t.error().is_none())
        .map_or((0, 0), |t| {
            let replicas = t.partitions().first().map_or(0, |p| p.replicas().len());
            (t.partitions().len(), replicas)
        }))
}

/// Creates `topic` with as many partitions as `like` when it does not exist (a
/// `repartition` topic; several processes may race to create it, which is harmless).
fn create_if_missing(
    config: &Config,
    admin: &Client,
    topic: &str,
    like: &str,
) -> Result<(), Refresh> {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    if partition_count(admin, topic)? > 0 {
        return Ok(());
    }
    // As durable as the input: a shuffle record that writers checkpointed past must
    // survive a broker's loss as the input record it came from would.
    let (partitions, replicas) = topic_shape(admin, like)?;
    if partitions == 0 {
        return Err(Refresh::Fatal(missing_topic(like, &config.brokers)));
    }
    let mut client_config = ClientConfig::new();
    client_config.set("bootstrap.servers", &config.brokers);
    for (k, v) in &config.options {
        client_config.set(k, v);
    }
    let creator: AdminClient<QuietContext> = client_config
        .create_with_context(QuietContext)
        .map_err(|e| Refresh::Unreachable("creating the topic", e))?;
    let new = NewTopic::new(
        topic,
        i32::try_from(partitions).unwrap_or(i32::MAX),
        TopicReplication::Fixed(i32::try_from(replicas.max(1)).unwrap_or(1)),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Refresh::Fatal(format!("creating topic {topic}: {e}")))?;
    let results = runtime
        .block_on(creator.create_topics([&new], &AdminOptions::new()))
        .map_err(|e| Refresh::Unreachable("creating the topic", e))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => {
                return Err(Refresh::Unreachable(
                    "creating the topic",
                    KafkaError::AdminOp(code),
                ));
            }
        }
    }
    info!(topic, partitions, replicas, like, "created the topic");
    // Metadata catches up with the creation within moments.
    for _ in 0..50 {
        if partition_count(admin, topic)? > 0 {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(Refresh::Unreachable(
        "metadata",
        KafkaError::MetadataFetch(RDKafkaErrorCode::UnknownTopicOrPartition),
    ))
}

fn missing_topic(topic: &str, brokers: &str) -> String {
    format!(
        "Kafka topic `{topic}` does not exist on {brokers}; create it (e.g. `kafka-topics --create --topic {topic}`) or correct the name"
    )
}

/// Where partitions seen for the first time start: on the source's first contact, the
/// group's committed offset if there is one, else the earliest or latest offset
/// (`.from_earliest()`); a partition added while running starts at its earliest offset.
fn start_offsets(
    shared: &Shared,
    config: &Config,
    client: &Client,
    new: &[(u32, i32)],
    resolved: bool,
) -> Result<HashMap<(u32, i32), i64>, Refresh> {
    let topics = &config.topics;
    let from_earliest = resolved || config.from_earliest;
    let mut starts = list_offsets(
        client,
        topics,
        new,
        if from_earliest {
            Offset::Beginning
        } else {
            Offset::End
        },
    )
    .map_err(|e| Refresh::Unreachable("start offsets", e))?;
    // A batch replayed after a crash that came before any checkpoint knew the offsets
    // starts where it started the first time.
    let replays = shared.lock().replay_starts();
    if !replays.is_empty() {
        starts.extend(new.iter().filter_map(|k| Some((*k, *replays.get(k)?))));
        return Ok(starts);
    }
    if !resolved && config.group.is_some() {
        let mut tpl = TopicPartitionList::new();
        for &(t, p) in new {
            tpl.add_partition(&topics[t as usize], p);
        }
        let committed = client
            .committed_offsets(tpl, REQUEST_TIMEOUT)
            .map_err(|e| Refresh::Unreachable("the group's committed offsets", e))?;
        for e in committed.elements() {
            if let (Offset::Offset(o), Some(t)) =
                (e.offset(), topics.iter().position(|t| t == e.topic()))
            {
                let key = (u32::try_from(t).unwrap_or(u32::MAX), e.partition());
                info!(source = %shared.metrics.name(), topic = e.topic(), partition = e.partition(), offset = o,
                    "starting from the group's committed offset");
                starts.insert(key, o);
            }
        }
    }
    Ok(starts)
}

/// The earliest (`Offset::Beginning`) or end (`Offset::End`) offset of each partition, in
/// one request per broker.
fn list_offsets(
    client: &Client,
    topics: &[String],
    parts: &[(u32, i32)],
    which: Offset,
) -> Result<HashMap<(u32, i32), i64>, KafkaError> {
    let mut tpl = TopicPartitionList::new();
    for &(t, p) in parts {
        tpl.add_partition_offset(&topics[t as usize], p, which)?;
    }
    let answer = client.offsets_for_times(tpl, REQUEST_TIMEOUT)?;
    let mut out = HashMap::new();
    for e in answer.elements() {
        e.error()?;
        let Some(t) = topics.iter().position(|t| t == e.topic()) else {
            continue;
        };
        let offset = match e.offset() {
            Offset::Offset(o) => o,
            other => {
                debug!(
                    topic = e.topic(),
                    partition = e.partition(),
                    ?other,
                    "no offset listed"
                );
                continue;
            }
        };
        out.insert(
            (u32::try_from(t).unwrap_or(u32::MAX), e.partition()),
            offset,
        );
    }
    Ok(out)
}

fn commit_offsets(shared: &Shared, config: &Config, client: &Client, ends: &[(u32, i32, i64)]) {
    let topics = &config.topics;
    let mut tpl = TopicPartitionList::new();
    for &(t, p, o) in ends {
        let _ = tpl.add_partition_offset(&topics[t as usize], p, Offset::Offset(o));
    }
    if tpl.count() > 0 {
        if let Err(e) = client.commit(&tpl, CommitMode::Sync) {
            warn!(source = %shared.metrics.name(), error = %e, "committing the batch's offsets to the group failed (the checkpoint, not the group, is the truth; lag tools lag)");
        }
    }
}

/// Bounds the staging buffer: once it holds more than `buffer_bytes`, partitions that
/// already have what the oldest waiting batch needs stop fetching until batches take their
/// records (librdkafka's own prefetch queue comes on top, `queued.max.messages.kbytes`).
fn pause_when_full(shared: &Shared, client: &Client, config: &Config) {
    let mut st = shared.lock();
    let full = st.staged_bytes > config.buffer_bytes;
    let mut pause = TopicPartitionList::new();
    let mut resume = TopicPartitionList::new();
    for i in 0..st.parts.len() {
        let should = full && st.parts[i].fetched >= st.fetch_goal(i);
        let part = &st.parts[i];
        if should != part.paused {
            let list = if should { &mut pause } else { &mut resume };
            list.add_partition(&st.topics[part.topic as usize], part.partition);
            st.parts[i].paused = should;
        }
    }
    drop(st);
    if pause.count() > 0 {
        debug!(source = %shared.metrics.name(), partitions = pause.count(), "staging buffer full: pausing partitions");
        let _ = client.pause(&pause);
    }
    if resume.count() > 0 {
        let _ = client.resume(&resume);
    }
}

/// Polls the consumer once (waiting up to [`POLL`]) and stages what arrived.
fn fetch(shared: &Shared, client: &Client) {
    let first = match client.poll(POLL) {
        None => return,
        Some(Err(e)) => {
            debug!(source = %shared.metrics.name(), error = %e, "consumer");
            return;
        }
        Some(Ok(m)) => m,
    };
    let mut st = shared.lock();
    stage(&mut st, shared, &first);
    drop(first);
    for _ in 0..POLL_BURST {
        match client.poll(Duration::ZERO) {
            Some(Ok(m)) => stage(&mut st, shared, &m),
            Some(Err(e)) => {
                debug!(source = %shared.metrics.name(), error = %e, "consumer");
                break;
            }
            None => break,
        }
    }
    drop(st);
    shared.changed.notify_all();
}

fn stage(st: &mut State, shared: &Shared, m: &impl Message) {
    let Some(part) = st
        .topic_index(m.topic())
        .and_then(|t| st.part_index(t, m.partition()))
    else {
        return;
    };
    st.stage(
        part,
        m.offset(),
        m.timestamp().to_millis(),
        m.key(),
        m.payload(),
        &shared.metrics,
    );
}
