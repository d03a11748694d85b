//! STUB (helper fills in): `collect(handle)`.
use crate::BatchTime;
use std::sync::{Arc, Mutex};

pub struct Collector<T> {
    batches: Arc<Mutex<Vec<(BatchTime, Vec<T>)>>>,
}
impl<T> Clone for Collector<T> {
    fn clone(&self) -> Self {
        Collector {
            batches: self.batches.clone(),
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
impl<T: Clone> Collector<T> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn batches(&self) -> Vec<(BatchTime, Vec<T>)> {
        self.batches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    pub fn push(&self, time: BatchTime, batch: Vec<T>) {
        self.batches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((time, batch))
    }
}
pub fn fold<I>(it: I) -> Vec<<I::Item as crate::IntoOwned>::Owned>
where
    I: Iterator,
    I::Item: crate::IntoOwned,
{
    it.map(crate::IntoOwned::into_owned).collect()
}
