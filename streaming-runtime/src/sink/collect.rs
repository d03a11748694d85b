//! `collect(handle)`: gathers each batch's output into a [`Collector`], for tests (like
//! the output streams of Spark's test harness).
//!
//! Elements are stored as owned values ([`IntoOwned`]): a stream of `(&str, i64)` is
//! collected as `(String, i64)`.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::BatchTime;
#[cfg(doc)]
use crate::IntoOwned;

/// The batches a collector holds, shared by its clones.
type SharedBatches<T> = Arc<Mutex<Vec<(BatchTime, Vec<T>)>>>;

/// A shared handle that receives every batch of a `collect(handle)` output, one entry per
/// batch (empty batches included), in time order. Clones share the same batches: keep one
/// clone, give another to the pipeline.
///
/// ```
/// use streaming_runtime::{BatchTime, Collector};
///
/// let out: Collector<(String, i64)> = Collector::new();
/// let handle = out.clone(); // what the pipeline gets
/// handle.push(BatchTime::from_millis(1000), vec![("a".into(), 1)]);
/// assert_eq!(out.batches(), vec![(BatchTime::from_millis(1000), vec![("a".into(), 1)])]);
/// ```
pub struct Collector<T> {
    batches: SharedBatches<T>,
}

impl<T> Clone for Collector<T> {
    fn clone(&self) -> Self {
        Collector {
            batches: Arc::clone(&self.batches),
        }
    }
}

impl<T> Default for Collector<T> {
    fn default() -> Self {
        Collector {
            batches: Arc::default(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Collector<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Collector").field(&*self.lock()).finish()
    }
}

impl<T> Collector<T> {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// A poisoned lock (a panic while another clone held it) still gives the data: every
    /// operation leaves the vec consistent.
    fn lock(&self) -> MutexGuard<'_, Vec<(BatchTime, Vec<T>)>> {
        self.batches.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a batch's output, keeping the batches in time order (a batch with a time
    /// already present goes after it).
    pub fn push(&self, time: BatchTime, batch: Vec<T>) {
        let mut batches = self.lock();
        let at = batches.partition_point(|(t, _)| *t <= time);
        batches.insert(at, (time, batch));
    }

    /// Number of batches collected so far.
    pub fn batch_count(&self) -> usize {
        self.lock().len()
    }

    /// Forgets everything collected so far.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Everything collected so far; the collector is emptied.
    pub fn take(&self) -> Vec<(BatchTime, Vec<T>)> {
        std::mem::take(&mut *self.lock())
    }
}

impl<T: Clone> Collector<T> {
    /// Every batch collected so far, with its time, in time order.
    pub fn batches(&self) -> Vec<(BatchTime, Vec<T>)> {
        self.lock().clone()
    }

    /// Like [`Collector::batches`] with each batch's elements sorted: the order within a
    /// batch is unspecified unless the pipeline sorts, so tests compare these.
    pub fn sorted_batches(&self) -> Vec<(BatchTime, Vec<T>)>
    where
        T: Ord,
    {
        let mut batches = self.batches();
        for (_, batch) in &mut batches {
            batch.sort();
        }
        batches
    }

    /// The elements of every batch so far, batch after batch.
    pub fn elements(&self) -> Vec<T> {
        self.lock()
            .iter()
            .flat_map(|(_, batch)| batch.iter().cloned())
            .collect()
    }
}

/// Hands the batch to the collector.
#[inline]
pub fn finish<T>(handle: &Collector<T>, time: BatchTime, batch: Vec<T>) {
    handle.push(time, batch);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> BatchTime {
        BatchTime::from_millis(ms)
    }

    #[test]
    fn clones_share_batches_in_time_order() {
        let c: Collector<String> = Collector::new();
        let h = c.clone();
        let line = String::from("a b");
        finish(&h, t(1000), crate::owned::collect_owned(line.split(' '), 0));
        finish(&h, t(3000), vec![]);
        finish(&h, t(2000), vec!["c".into()]);
        assert_eq!(c.batch_count(), 3);
        assert_eq!(
            c.batches(),
            vec![
                (t(1000), vec!["a".to_string(), "b".to_string()]),
                (t(2000), vec!["c".to_string()]),
                (t(3000), vec![]),
            ]
        );
        assert_eq!(c.elements(), vec!["a", "b", "c"]);
        assert_eq!(format!("{c:?}").matches("BatchTime").count(), 3);
        c.clear();
        assert_eq!(h.batch_count(), 0);
        assert!(h.batches().is_empty());
    }

    #[test]
    fn same_time_keeps_arrival_order() {
        let c = Collector::new();
        c.push(t(1000), vec![1]);
        c.push(t(1000), vec![2]);
        c.push(t(500), vec![0]);
        assert_eq!(c.elements(), vec![0, 1, 2]);
        assert_eq!(c.take().len(), 3);
        assert_eq!(c.batch_count(), 0);
    }

    #[test]
    fn fold_makes_owned_pairs() {
        let words = ["x", "y"];
        let v: Vec<(String, i64)> =
            crate::owned::collect_owned(words.iter().map(|w| (*w, 1i64)), 0);
        assert_eq!(v, vec![("x".to_string(), 1), ("y".to_string(), 1)]);
    }

    #[test]
    fn poisoned_lock_does_not_panic() {
        let c: Collector<i32> = Collector::new();
        c.push(t(1), vec![1]);
        let h = c.clone();
        let _ = std::thread::spawn(move || {
            let _guard = h.batches.lock().unwrap();
            panic!("poison");
        })
        .join();
        assert!(c.batches.is_poisoned());
        c.push(t(2), vec![2]);
        assert_eq!(c.elements(), vec![1, 2]);
        assert_eq!(c.batch_count(), 2);
    }

    #[test]
    fn collector_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Collector<String>>();
    }
}
