//! `queue(expr)`: one inner `Vec` per batch, like Spark's `queueStream(oneAtATime = true)`.

use std::collections::VecDeque;
use std::iter::Peekable;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Source, SourceControl};
use crate::error::StreamingError;
use crate::metrics::SourceMetrics;
use crate::time::BatchTime;

type BatchIter<T> = Box<dyn Iterator<Item = Vec<T>> + Send>;

/// Batch `k` gets the `k`-th vec; batches after the queue ran out are empty.
pub struct QueueSource<T> {
    shared: Arc<Shared<T>>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    metrics: Arc<SourceMetrics>,
}

struct State<T> {
    rest: Peekable<BatchIter<T>>,
    sealed: VecDeque<(BatchTime, Vec<T>)>,
    /// Vecs handed out so far, and at each seal when recording positions.
    handed_out: u64,
    positions: super::CountPositions,
}

/// A queue source over `batches`: an iterator of per-batch vecs.
pub fn queue<I, T>(batches: I) -> QueueSource<T>
where
    I: IntoIterator<Item = Vec<T>>,
    I::IntoIter: Send + 'static,
    T: Send + 'static,
{
    let rest: BatchIter<T> = Box::new(batches.into_iter());
    QueueSource {
        shared: Arc::new(Shared {
            state: Mutex::new(State {
                rest: rest.peekable(),
                sealed: VecDeque::new(),
                handed_out: 0,
                positions: super::CountPositions::default(),
            }),
            metrics: Arc::new(SourceMetrics::new("queue")),
        }),
    }
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Seals the vecs up to the `n`-th (one in a normal seal; as many as the batch had
    /// when it is replayed after a crash) into the batch at `time`.
    fn seal_through(&self, time: BatchTime, n: u64) {
        let mut st = self.lock();
        let mut batch = Vec::new();
        while st.handed_out < n {
            let mut next = st.rest.next().unwrap_or_default();
            if batch.is_empty() {
                batch = next;
            } else {
                batch.append(&mut next);
            }
            st.handed_out += 1;
        }
        self.metrics.add_records(batch.len() as u64);
        st.sealed.push_back((time, batch));
        let handed_out = st.handed_out;
        st.positions.sealed(time, handed_out);
    }
}

impl<T: Send + 'static> Source for QueueSource<T> {
    type Batch = Vec<T>;

    fn control(&self) -> Arc<dyn SourceControl> {
        self.shared.clone()
    }

    fn next_batch(&mut self, time: BatchTime) -> Result<Vec<T>, StreamingError> {
        let mut st = self.shared.lock();
        let mut out = Vec::new();
        while st.sealed.front().is_some_and(|(t, _)| *t <= time) {
            if let Some((_, mut v)) = st.sealed.pop_front() {
                // Moving the first batch in, not copying it: `append` would memcpy it all.
                if out.is_empty() {
                    out = v;
                } else {
                    out.append(&mut v);
                }
            }
        }
        Ok(out)
    }
}

impl<T: Send + 'static> SourceControl for Shared<T> {
    fn start(&self, _: &tokio::runtime::Handle) -> Result<(), StreamingError> {
        Ok(())
    }

    fn seal(&self, time: BatchTime) {
        let next = self.lock().handed_out + 1;
        self.seal_through(time, next);
    }

    fn replays_exactly(&self) -> bool {
        true
    }

    fn replay_seal(&self, time: BatchTime, position: &[u8]) {
        match super::CountPositions::decode(position, "queue") {
            Ok(n) => self.seal_through(time, n),
            Err(_) => self.seal(time),
        }
    }

    fn record_positions(&self) {
        let mut st = self.lock();
        let start = st.handed_out;
        st.positions.record(start);
    }

    fn position(&self, time: BatchTime) -> Option<Vec<u8>> {
        self.lock().positions.encoded(time)
    }

    fn restore_position(&self, position: &[u8]) -> Result<(), StreamingError> {
        let n = super::CountPositions::decode(position, "queue")?;
        let mut st = self.lock();
        // The first `n` vecs were consumed before the checkpoint: skip them.
        for _ in st.handed_out..n {
            st.rest.next();
        }
        st.handed_out = st.handed_out.max(n);
        st.positions.restored(n);
        Ok(())
    }

    fn is_finished(&self) -> bool {
        self.lock().rest.peek().is_none()
    }

    fn stop(&self) {}

    fn metrics(&self) -> Arc<SourceMetrics> {
        self.metrics.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> BatchTime {
        BatchTime::from_millis(ms)
    }

    #[test]
    fn a_queue_resumes_after_its_recorded_position() {
        let q = queue((1..=5).map(|i| vec![i]).collect::<Vec<_>>());
        let control = q.control();
        control.record_positions();
        control.seal(t(1));
        control.seal(t(2));
        control.seal(t(3)); // sealed ahead of processing
        let pos = control.position(t(2)).unwrap();

        let mut resumed = queue((1..=5).map(|i| vec![i]).collect::<Vec<_>>());
        let rc = resumed.control();
        rc.restore_position(&pos).unwrap();
        rc.seal(t(3));
        assert_eq!(
            resumed.next_batch(t(3)).unwrap(),
            vec![3],
            "batch 3 is replayed"
        );
    }
}
