//! Scale-out across processes and machines through Kafka consumer groups, as
//! Kafka Streams does: start the same program N times with the same group, and the input
//! topic's partitions are shared among the processes, moving when one joins, leaves or
//! dies.
//!
//! Each partition a process is assigned runs as a *task*: its own pipeline, built by the
//! program's function from a [`Task`], reading only that partition and keeping its state
//! and offset plan in the partition's own checkpoint directory
//! (`<checkpoint>/<topic>-<partition>/`, one atomic checkpoint file holding both). A
//! process assigned a partition claims it ([`Fence`], kept with the checkpoint), restores the partition's newest
//! checkpoint and replays the batches logged after it, exactly, before reading on: results
//! equal those of a run in which the partition never moved. A revoked partition's task
//! finishes its batch, checkpoints and stops before the partition is handed on.
//!
//! This module is the group membership and the tasks of the partitions it assigns;
//! programs name [`KafkaCluster`] as `streaming::cluster::KafkaCluster`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::ClientContext;
use rdkafka::TopicPartitionList;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

use super::source::{KafkaSource, Values, kafka};
use crate::checkpoint::Fence;
use crate::error::StreamingError;
use crate::pipeline::Pipeline;

/// How long a revoked partition's task may take to finish its batch and checkpoint before
/// the process lets the group go on without it (below the group's rebalance timeout).
const DEFAULT_REVOKE_WAIT: Duration = Duration::from_secs(30);

/// A job scaled out over a topic's partitions; build it with [`KafkaCluster::new`], run it
/// with [`KafkaCluster::run_until`].
#[derive(Clone, Debug)]
pub struct KafkaCluster {
    brokers: String,
    topic: String,
    group: String,
    checkpoint: PathBuf,
    session_timeout: Duration,
    instance_id: Option<String>,
    options: Vec<(String, String)>,
    revoke_wait: Duration,
}

/// One partition's share of the job in this process: what its pipeline reads
/// ([`Task::source`]), where it checkpoints ([`Task::checkpoint_dir`]), and its claim on
/// the partition ([`Task::fence`], to check before writing output of your own).
#[derive(Clone, Debug)]
pub struct Task {
    brokers: String,
    topic: String,
    partition: i32,
    dir: PathBuf,
    /// The cluster's checkpoint directory (the parent of `dir`).
    root: PathBuf,
    fence: Fence,
}

impl Task {
    /// The topic the task reads.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The partition of the topic the task owns.
    pub fn partition(&self) -> i32 {
        self.partition
    }

    /// The partition's checkpoint location (a directory, or `s3://bucket/prefix/<topic>-<p>`
    /// under an object store's root): the task's pipeline must checkpoint there
    /// (`checkpoint { task.checkpoint_dir() };`).
    pub fn checkpoint_dir(&self) -> &Path {
        &self.dir
    }

    /// This task's claim on the partition.
    pub fn fence(&self) -> &Fence {
        &self.fence
    }

    /// The task's input: its partition, from the first offset unless its checkpoint says
    /// where (add options as to any Kafka source).
    pub fn source(&self) -> KafkaSource<Values> {
        kafka(self.brokers.as_str(), self.topic.as_str())
            .partitions([self.partition])
            .from_earliest()
            .of_task(self.fence.clone(), self.root.clone())
    }
}

impl KafkaCluster {
    /// The job reads `topic` from the cluster at `brokers`, sharing its partitions with
    /// every process that runs with the same `group`; each partition's state lives under
    /// `checkpoint`, which every process must reach: a directory (shared storage when the
    /// processes run on several machines) or, with the feature `object-store`, an object
    /// store's `s3://bucket/prefix` (then nothing but Kafka and the store is shared:
    /// checkpoints, batch logs, fencing epochs, `global` rankings and the shuffle's run id
    /// all live there).
    pub fn new(
        brokers: impl Into<String>,
        topic: impl Into<String>,
        group: impl Into<String>,
        checkpoint: impl Into<PathBuf>,
    ) -> Self {
        KafkaCluster {
            brokers: brokers.into(),
            topic: topic.into(),
            group: group.into(),
            checkpoint: checkpoint.into(),
            session_timeout: Duration::from_secs(10),
            instance_id: None,
            options: Vec::new(),
            revoke_wait: DEFAULT_REVOKE_WAIT,
        }
    }

    /// How long the group waits for a silent process before it hands that process's
    /// partitions to the others (`session.timeout.ms`; default 10 s).
    pub fn session_timeout(mut self, d: Duration) -> Self {
        self.session_timeout = d;
        self
    }

    /// Static membership (`group.instance.id`): a process restarted with the same id
    /// within the session timeout gets its partitions back without a rebalance.
    pub fn instance_id(mut self, id: impl Into<String>) -> Self {
        self.instance_id = Some(id.into());
        self
    }

    /// A librdkafka setting for the group member (e.g. `partition.assignment.strategy`).
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.push((key.into(), value.into()));
        self
    }

    /// Joins the group and runs a task for each partition it assigns to this process,
    /// built by `make`, until `stop` completes or Ctrl-C / SIGTERM (then each task finishes
    /// its batch and checkpoints, and the process leaves the group), or until a task fails
    /// with an error other than being fenced.
    pub async fn run_until<F>(
        self,
        mut make: F,
        stop: impl Future<Output = ()>,
    ) -> Result<(), StreamingError>
    where
        F: FnMut(&Task) -> Pipeline,
    {
        crate::logging::init();
        let (events_tx, mut events) = mpsc::unbounded_channel();
        let leaving = Arc::new(AtomicBool::new(false));
        // The partitions the group assigns this process now (the member's thread keeps it
        // current); an assignment event handled after a later revocation is stale.
        let assigned: Assigned = Arc::default();
        let member = {
            let config = self.client_config();
            let context = Membership {
                events: events_tx,
                topic: self.topic.clone(),
                revoke_wait: self.revoke_wait,
                assigned: Arc::clone(&assigned),
            };
            let leaving = Arc::clone(&leaving);
            let topic = self.topic.clone();
            std::thread::Builder::new()
                .name("kafka-cluster".into())
                .spawn(move || membership(config, context, &topic, &leaving))
                .map_err(|e| StreamingError::io("starting the group member's thread", e))?
        };
        info!(topic = %self.topic, group = %self.group, "joining the group");
        let mut tasks: HashMap<i32, TaskHandle> = HashMap::new();
        let mut stop = std::pin::pin!(stop);
        // Ctrl-C / SIGTERM: each task's pipeline finishes its batch on its own; the
        // process leaves the group once they have.
        let mut signals = crate::scheduler::StopRequests::new();
        let mut reap = tokio::time::interval(Duration::from_millis(200));
        let outcome = loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(Event::Assigned(parts)) => {
                        // A task that cannot start fails the process, as a pipeline that
                        // cannot start would (its partition goes to the other processes).
                        let mut started = Ok(());
                        for p in parts {
                            // Revoked since this assignment was queued: claiming it would
                            // fence the partition's new owner, whose task would stop.
                            if !lock(&assigned).contains(&p) {
                                info!(topic = %self.topic, partition = p, "an assignment revoked since: not started");
                                continue;
                            }
                            if tasks.get(&p).is_some_and(|t| !t.handle.is_finished()) {
                                continue;
                            }
                            match self.start(p, &mut make) {
                                Ok(t) => {
                                    tasks.insert(p, t);
                                }
                                Err(e) => {
                                    started = Err(e);
                                    break;
                                }
                            }
                        }
                        if let Err(e) = started {
                            break Err(e);
                        }
                    }
                    Some(Event::Revoked(parts, done)) => {
                        let revoked: Vec<TaskHandle> =
                            parts.iter().filter_map(|p| tasks.remove(p)).collect();
                        for t in &revoked {
                            info!(topic = %self.topic, partition = t.partition, "partition revoked: finishing its batch");
                        }
                        stop_tasks(revoked, self.revoke_wait).await;
                        let _ = done.send(());
                    }
                    Some(Event::Failed(message)) => break Err(StreamingError::Custom(message)),
                    None => break Ok(()),
                },
                () = &mut stop => break Ok(()),
                () = signals.next() => {
                    info!("stop requested: the tasks finish their batch, then the process leaves the group");
                    break Ok(());
                }
                _ = reap.tick() => {
                    if let Err(e) = reap_finished(&mut tasks, &self.topic).await {
                        break Err(e);
                    }
                }
            }
        };
        // Leaving: every task finishes its batch and checkpoints, then the member leaves
        // the group (its partitions go to the others at once, not after a timeout).
        stop_tasks(tasks.drain().map(|(_, t)| t).collect(), self.revoke_wait).await;
        leaving.store(true, Ordering::Relaxed);
        drop(events);
        let _ = tokio::task::spawn_blocking(move || member.join()).await;
        outcome
    }

    fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers)
            .set("group.id", &self.group)
            .set("enable.auto.commit", "false")
            .set(
                "session.timeout.ms",
                self.session_timeout.as_millis().to_string(),
            )
            .set(
                "heartbeat.interval.ms",
                (self.session_timeout.as_millis() / 4).max(100).to_string(),
            )
            .set("reconnect.backoff.max.ms", "1000")
            .set("client.id", "streaming-cluster");
        if let Some(id) = &self.instance_id {
            c.set("group.instance.id", id);
        }
        for (k, v) in &self.options {
            c.set(k, v);
        }
        c
    }

    /// Claims partition `p`, builds its pipeline and starts it.
    fn start<F>(&self, p: i32, make: &mut F) -> Result<TaskHandle, StreamingError>
    where
        F: FnMut(&Task) -> Pipeline,
    {
        let dir = self.checkpoint.join(format!("{}-{}", self.topic, p));
        // The partition's store (a directory, or a prefix of an object store): the fence is
        // claimed in it and the pipeline checkpoints through the same one, so that on an
        // object store a later owner's claim makes the store refuse this one's writes.
        let store = crate::checkpoint::open_store(&dir)?;
        let fence = Fence::acquire_in(
            Arc::clone(&store),
            format!("partition {} of {}", p, self.topic),
        )?;
        let task = Task {
            brokers: self.brokers.clone(),
            topic: self.topic.clone(),
            partition: p,
            dir,
            root: self.checkpoint.clone(),
            fence: fence.clone(),
        };
        let mut pipeline = make(&task);
        let checkpoints_there = pipeline
            .config()
            .checkpoint
            .as_ref()
            .is_some_and(|c| c.dir == task.dir);
        if !checkpoints_there {
            return Err(StreamingError::Config(format!(
                "a cluster task's pipeline must checkpoint to its partition's directory: write `checkpoint {{ task.checkpoint_dir() }};` ({})",
                task.dir.display()
            )));
        }
        pipeline.fenced_by(fence.clone()).checkpoint_store(store);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(pipeline.run_until(async move {
            let _ = stop_rx.await;
        }));
        info!(topic = %self.topic, partition = p, epoch = fence.epoch(), "partition assigned: task started");
        Ok(TaskHandle {
            partition: p,
            stop: stop_tx,
            handle,
        })
    }
}

/// A started task.
struct TaskHandle {
    partition: i32,
    stop: oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<Result<(), StreamingError>>,
}

/// Asks every task to finish its batch (and checkpoint) at once and waits for them within
/// one deadline, `wait` from now: with many partitions revoked together, the slowest sets
/// the time, not their sum. A task still running at the deadline is aborted (its batch in
/// flight ends at its next fence check: the partition's new owner holds the fence).
async fn stop_tasks(tasks: Vec<TaskHandle>, wait: Duration) {
    let deadline = tokio::time::Instant::now() + wait;
    let mut running = Vec::with_capacity(tasks.len());
    for t in tasks {
        let _ = t.stop.send(());
        running.push((t.partition, t.handle));
    }
    for (partition, mut handle) in running {
        match tokio::time::timeout_at(deadline, &mut handle).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => warn!(partition, error = %e, "task ended with an error"),
            Ok(Err(e)) => warn!(partition, error = %e, "task failed"),
            Err(_) => {
                warn!(partition, "task did not stop in time: aborted");
                handle.abort();
            }
        }
    }
}

/// Removes tasks that ended on their own: fenced ones (another process owns their
/// partition now) are logged; any other failure stops the process, as it would stop a
/// single pipeline.
async fn reap_finished(
    tasks: &mut HashMap<i32, TaskHandle>,
    topic: &str,
) -> Result<(), StreamingError> {
    let done: Vec<i32> = tasks
        .iter()
        .filter(|(_, t)| t.handle.is_finished())
        .map(|(&p, _)| p)
        .collect();
    for p in done {
        let Some(t) = tasks.remove(&p) else { continue };
        match t.handle.await {
            Ok(Ok(())) => info!(topic, partition = p, "task stopped"),
            Ok(Err(e @ StreamingError::Fenced { .. })) => {
                warn!(topic, partition = p, error = %e, "partition taken over by another process")
            }
            Ok(Err(e)) => return Err(e),
            Err(e) => {
                return Err(StreamingError::Custom(format!(
                    "task of partition {p} failed: {e}"
                )));
            }
        }
    }
    Ok(())
}

enum Event {
    Assigned(Vec<i32>),
    /// Partitions taken away; the member waits for the signal that their tasks stopped.
    Revoked(Vec<i32>, std::sync::mpsc::Sender<()>),
    Failed(String),
}

/// The group member's callbacks: it only holds the membership (its own fetching is
/// paused); the tasks read the partitions.
struct Membership {
    events: mpsc::UnboundedSender<Event>,
    topic: String,
    revoke_wait: Duration,
    assigned: Assigned,
}

/// The partitions currently assigned to this process.
type Assigned = Arc<std::sync::Mutex<HashSet<i32>>>;

fn lock(assigned: &Assigned) -> std::sync::MutexGuard<'_, HashSet<i32>> {
    assigned.lock().unwrap_or_else(|e| e.into_inner())
}

impl ClientContext for Membership {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        super::client::quiet_log(level, fac, message);
    }
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        super::client::quiet_error(&error, reason);
    }
}

impl ConsumerContext for Membership {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(list) = rebalance else {
            return;
        };
        let parts = partitions_of(list, &self.topic);
        if parts.is_empty() {
            return;
        }
        {
            let mut assigned = lock(&self.assigned);
            for p in &parts {
                assigned.remove(p);
            }
        }
        let (done, wait) = std::sync::mpsc::channel();
        if self.events.send(Event::Revoked(parts, done)).is_ok() {
            // The group hands the partitions on only after this returns: their tasks
            // finish their batch and checkpoint first.
            if wait.recv_timeout(self.revoke_wait).is_err() {
                warn!("revoked partitions' tasks did not stop in time");
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                if let Err(e) = consumer.pause(list) {
                    warn!(error = %e, "pausing the group member's own fetching");
                }
                let parts = partitions_of(list, &self.topic);
                info!(partitions = ?parts, "partitions assigned");
                lock(&self.assigned).extend(parts.iter().copied());
                let _ = self.events.send(Event::Assigned(parts));
            }
            Rebalance::Error(e) => warn!(error = %e, "rebalance failed"),
            Rebalance::Revoke(_) => {}
        }
    }
}

fn partitions_of(list: &TopicPartitionList, topic: &str) -> Vec<i32> {
    list.elements()
        .iter()
        .filter(|e| e.topic() == topic)
        .map(|e| e.partition())
        .collect()
}

/// The member's thread: subscribes, then polls (serving the group's callbacks) until
/// `leaving`; dropping the consumer leaves the group.
fn membership(config: ClientConfig, context: Membership, topic: &str, leaving: &AtomicBool) {
    let events = context.events.clone();
    let consumer: BaseConsumer<Membership> = match config.create_with_context(context) {
        Ok(c) => c,
        Err(e) => {
            let _ = events.send(Event::Failed(format!(
                "cannot create the group member: {e}"
            )));
            return;
        }
    };
    if let Err(e) = consumer.subscribe(&[topic]) {
        let _ = events.send(Event::Failed(format!("cannot subscribe to {topic}: {e}")));
        return;
    }
    while !leaving.load(Ordering::Relaxed) {
        // Records of the member's own (paused) assignment, if any slipped through, are
        // not the member's to process: the tasks read them.
        let _ = consumer.poll(Duration::from_millis(100));
    }
    consumer.unsubscribe();
}
