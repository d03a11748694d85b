//! The bounded buffer between a receiver and the batches.
//!
//! A receiver appends records to the open block; at every batch time the scheduler *seals*
//! it, so data is assigned to the batch during which it arrived even when processing runs
//! late (as Spark's block generator does). Sealed blocks wait until the batch job takes
//! them. When the buffered bytes reach the capacity, `push` waits: a socket receiver then
//! stops reading, and TCP flow control slows the sender instead of memory growing.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::block::Block;
use crate::metrics::SourceMetrics;
use crate::time::BatchTime;
use crate::wal::BlockLog;

/// Default capacity of a receiver's buffer: 512 MiB.
///
/// A batch's input waits here for a whole batch interval before the job takes it, so the
/// capacity caps a receiver's rate at `capacity / interval` even when processing keeps up:
/// 64 MiB held the socket benchmark to 0.75 M tweet lines/s at 1 s batches (a line costs its
/// bytes plus a 16-byte span). 512 MiB leaves room for about 6 M such lines/s, and is only
/// ever filled by input that fast.
pub const DEFAULT_BUFFER_BYTES: usize = 512 << 20;

/// Shared between a receiver (pushing), the scheduler (sealing) and the batch job (taking).
pub struct Store<B: Block> {
    state: Mutex<State<B>>,
    space: Notify,
    capacity: usize,
    closed: AtomicBool,
    stopping: AtomicBool,
    metrics: Arc<SourceMetrics>,
    /// Backpressure's limit in records per second (0: none), see [`Store::set_rate_limit`].
    rate_limit: AtomicU64,
    /// The last block let through under the limit: when, and how many records.
    last_limited: Mutex<Option<(Instant, u64)>>,
}

/// How long a push waiting for the rate limit sleeps at a time (it re-reads the limit and
/// whether the pipeline stops after each).
const RATE_POLL: Duration = Duration::from_millis(20);

/// How far behind schedule a rate-limited receiver may be and still catch up (timer jitter).
const RATE_SLACK: Duration = Duration::from_millis(100);

struct State<B> {
    open: B,
    sealed: VecDeque<(BatchTime, B)>,
    bytes: usize,
    /// `checkpoint "dir" wal;`: written under the same lock as `open`, so the log's seal
    /// markers split the data exactly as the batches do.
    wal: Option<Box<dyn BlockLog<B>>>,
    /// Why the write-ahead log failed, once it has: from then on nothing is accepted.
    wal_failed: Option<String>,
}

impl<B: Block> Store<B> {
    /// An empty store whose `push` waits once `capacity_bytes` of blocks are buffered,
    /// counting what it receives in `metrics`.
    pub fn new(capacity_bytes: usize, metrics: Arc<SourceMetrics>) -> Self {
        Store {
            state: Mutex::new(State {
                open: B::default(),
                sealed: VecDeque::new(),
                bytes: 0,
                wal: None,
                wal_failed: None,
            }),
            space: Notify::new(),
            capacity: capacity_bytes.max(1),
            closed: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            metrics,
            rate_limit: AtomicU64::new(0),
            last_limited: Mutex::new(None),
        }
    }

    /// Backpressure: [`Store::push`] lets at most `records_per_second` records through from
    /// now on (`None`: no limit). A push waits until the records before it are due at that
    /// rate, so a receiver that awaits its pushes reads no faster (a socket receiver then
    /// leaves the socket unread, and TCP flow control slows the sender).
    pub fn set_rate_limit(&self, records_per_second: Option<u64>) {
        self.rate_limit
            .store(records_per_second.unwrap_or(0), Ordering::Relaxed);
    }

    /// The current rate limit in records per second, if any.
    pub fn rate_limit(&self) -> Option<u64> {
        match self.rate_limit.load(Ordering::Relaxed) {
            0 => None,
            r => Some(r),
        }
    }

    /// Waits until `records` more are due under the rate limit (a token bucket without
    /// burst: the previous block's records, at the current rate, must have elapsed).
    async fn wait_for_rate(&self, records: u64) {
        loop {
            let Some(rate) = self.rate_limit() else {
                *self.last_limited.lock().unwrap_or_else(|e| e.into_inner()) = None;
                return;
            };
            let now = Instant::now();
            let wait = {
                let mut last = self.last_limited.lock().unwrap_or_else(|e| e.into_inner());
                let due = last.map(|(at, n)| at + Duration::from_secs_f64(n as f64 / rate as f64));
                match due {
                    Some(due) if due > now => due - now,
                    _ => {
                        // On time, or a little late (timer jitter): the next block is due
                        // from when this one was; long idle time is not saved up.
                        let start = due.filter(|d| now.saturating_duration_since(*d) < RATE_SLACK);
                        *last = Some((start.unwrap_or(now), records));
                        return;
                    }
                }
            };
            if self.is_stopping() {
                return;
            }
            tokio::time::sleep(wait.min(RATE_POLL)).await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<B>> {
        // A panic while holding this lock cannot leave the state inconsistent (every
        // critical section is a few moves), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The counters of the source the store feeds.
    pub fn metrics(&self) -> &Arc<SourceMetrics> {
        &self.metrics
    }

    /// Appends `block`, waiting while the buffer is full. An empty buffer always accepts,
    /// so a single block larger than the capacity still gets through.
    pub async fn push(&self, block: B) {
        let records = block.records() as u64;
        if records == 0 {
            return;
        }
        self.wait_for_rate(records).await;
        let mut block = Some(block);
        loop {
            let notified = self.space.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut st = self.lock();
                let stopping = self.stopping.load(Ordering::Acquire);
                // After a failed write-ahead log nothing is accepted: the receiver waits
                // here, reads no more, and TCP flow control holds the sender, until the
                // pipeline (failing its next batch) stops.
                if st.wal_failed.is_some() {
                    if stopping {
                        return;
                    }
                } else if st.bytes < self.capacity || stopping {
                    if let Some(b) = block.take() {
                        if self.log(&mut st, &b) {
                            st.bytes += b.byte_size();
                            st.open.append(b);
                        } else {
                            return;
                        }
                    }
                    break;
                }
            }
            notified.await;
        }
        self.metrics.add_records(records);
    }

    /// Appends without waiting (for sources that must never block, e.g. tests).
    pub fn push_now(&self, block: B) {
        let records = block.records() as u64;
        {
            let mut st = self.lock();
            if st.wal_failed.is_some() || !self.log(&mut st, &block) {
                return;
            }
            st.bytes += block.byte_size();
            st.open.append(block);
        }
        self.metrics.add_records(records);
    }

    /// Logs a block (durably) before it enters the pipeline; false when the log cannot
    /// take it. Then the block is not accepted, and neither is anything after it: a line
    /// that entered the pipeline without being in the log could be counted in a batch's
    /// output and then be missing after a restart. The failure is counted, logged, and
    /// fails the next batch ([`Store::wal_failure`]).
    fn log(&self, st: &mut State<B>, block: &B) -> bool {
        let Some(wal) = &mut st.wal else {
            return true;
        };
        match wal.append(block) {
            Ok(()) => true,
            Err(e) => {
                self.wal_failed(st, format!("cannot append: {e}"));
                false
            }
        }
    }

    fn wal_failed(&self, st: &mut State<B>, why: String) {
        self.metrics.add_errors(1);
        tracing::error!(source = %self.metrics.name(), error = %why, "write-ahead log failed: the receiver accepts nothing more, and the pipeline stops");
        st.wal_failed.get_or_insert(why);
    }

    /// Why the write-ahead log failed, if it has: the pipeline stops rather than run a
    /// batch after it (its input is in the log and will be replayed after a restart).
    pub fn wal_failure(&self) -> Option<String> {
        self.lock().wal_failed.clone()
    }

    /// Turns the write-ahead log on (before the receiver starts): `replay` holds the lines
    /// received after the restored checkpoint, which go into the next batch.
    pub fn enable_wal(&self, wal: Box<dyn BlockLog<B>>, replay: B) {
        let records = replay.records() as u64;
        let mut st = self.lock();
        st.bytes += replay.byte_size();
        st.open.append(replay);
        st.wal = Some(wal);
        drop(st);
        self.metrics.add_records(records);
    }

    /// Batch `time` is checkpointed: the log before its seal is no longer needed.
    pub fn checkpointed(&self, time: BatchTime) {
        let mut st = self.lock();
        if let Some(wal) = &mut st.wal {
            if let Err(e) = wal.truncate_through(time) {
                self.metrics.add_errors(1);
                tracing::error!(source = %self.metrics.name(), error = %e, "write-ahead log: cannot truncate");
            }
        }
    }

    /// Everything received so far belongs to batch `time`.
    pub fn seal(&self, time: BatchTime) {
        let mut st = self.lock();
        // Without its seal, data of later batches would replay as this batch's after a
        // restart: a failed seal fails the log as a failed append does.
        let failed = st.wal_failed.is_some();
        let sealed = match &mut st.wal {
            Some(wal) if !failed => wal.seal(time),
            _ => Ok(()),
        };
        if let Err(e) = sealed {
            self.wal_failed(&mut st, format!("cannot seal batch {time}: {e}"));
        }
        let open = std::mem::take(&mut st.open);
        st.sealed.push_back((time, open));
    }

    /// The data sealed for batches up to `time` (normally exactly one block).
    pub fn take(&self, time: BatchTime) -> B {
        let mut out = B::default();
        {
            let mut st = self.lock();
            while st.sealed.front().is_some_and(|(t, _)| *t <= time) {
                if let Some((_, b)) = st.sealed.pop_front() {
                    st.bytes = st.bytes.saturating_sub(b.byte_size());
                    out.append(b);
                }
            }
        }
        self.space.notify_waiters();
        out
    }

    /// The receiver has ended: no more data will be pushed.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Closed and nothing left open (sealed blocks may still wait to be taken).
    pub fn is_finished(&self) -> bool {
        self.closed.load(Ordering::Acquire) && self.lock().open.records() == 0
    }

    /// Asks the receiver to stop; pending and future pushes no longer wait for space.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        self.space.notify_waiters();
    }

    /// True once [`Store::stop`] was called: receivers should return.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Bytes currently buffered (open and sealed).
    pub fn buffered_bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn store(cap: usize) -> Arc<Store<Vec<u32>>> {
        Arc::new(Store::new(cap, Arc::new(SourceMetrics::new("t"))))
    }

    #[test]
    fn data_goes_to_the_batch_it_arrived_in() {
        let s = store(1 << 20);
        s.push_now(vec![1, 2]);
        s.seal(BatchTime::from_millis(1000));
        s.push_now(vec![3]);
        s.seal(BatchTime::from_millis(2000));
        assert_eq!(s.take(BatchTime::from_millis(1000)), vec![1, 2]);
        assert_eq!(s.take(BatchTime::from_millis(2000)), vec![3]);
        assert_eq!(s.take(BatchTime::from_millis(3000)), Vec::<u32>::new());
        assert_eq!(s.metrics().records(), 3);
    }

    #[test]
    fn full_buffer_makes_push_wait_until_taken() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let s = store(8); // two u32s
            s.push(vec![1, 2]).await;
            let s2 = Arc::clone(&s);
            let pusher = tokio::spawn(async move { s2.push(vec![3]).await });
            tokio::task::yield_now().await;
            assert!(
                !pusher.is_finished(),
                "push must wait while the buffer is full"
            );
            s.seal(BatchTime::from_millis(1));
            assert_eq!(s.take(BatchTime::from_millis(1)), vec![1, 2]);
            tokio::time::timeout(Duration::from_secs(5), pusher)
                .await
                .unwrap()
                .unwrap();
            s.seal(BatchTime::from_millis(2));
            assert_eq!(s.take(BatchTime::from_millis(2)), vec![3]);
        });
    }

    #[test]
    fn a_rate_limit_spaces_pushes_out() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let s = store(1 << 20);
            s.set_rate_limit(Some(200));
            assert_eq!(s.rate_limit(), Some(200));
            let started = std::time::Instant::now();
            // Each push waits for the previous block at 200 records/s: 4 × 20 / 200 = 0.4 s.
            for _ in 0..5 {
                s.push(vec![0u32; 20]).await;
            }
            let took = started.elapsed();
            assert!(took >= Duration::from_millis(380), "{took:?}");
            assert!(took < Duration::from_secs(3), "{took:?}");
            // Lifting the limit lets the next push through at once.
            s.set_rate_limit(None);
            let started = std::time::Instant::now();
            s.push(vec![0u32; 20]).await;
            assert!(started.elapsed() < Duration::from_millis(100));
            // A stopping store never waits.
            s.set_rate_limit(Some(1));
            s.push(vec![0u32; 20]).await;
            s.stop();
            let started = std::time::Instant::now();
            s.push(vec![0u32; 20]).await;
            assert!(started.elapsed() < Duration::from_secs(1));
            assert_eq!(s.metrics().records(), 8 * 20);
        });
    }
}
