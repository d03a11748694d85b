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
            }),
            metrics: Arc::new(SourceMetrics::new("queue")),
        }),
    }
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
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
                out.append(&mut v);
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
        let mut st = self.lock();
        let batch = st.rest.next().unwrap_or_default();
        self.metrics.add_records(batch.len() as u64);
        st.sealed.push_back((time, batch));
    }

    fn is_finished(&self) -> bool {
        self.lock().rest.peek().is_none()
    }

    fn stop(&self) {}

    fn metrics(&self) -> Arc<SourceMetrics> {
        self.metrics.clone()
    }
}
