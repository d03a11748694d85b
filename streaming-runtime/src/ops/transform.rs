//! `transform(|time, batch| ..)`: any batch-to-batch function, like Spark's `transform`.

use crate::time::BatchTime;

#[inline]
pub fn finish<T, R, F>(time: BatchTime, batch: Vec<T>, f: F) -> Vec<R::Item>
where
    R: IntoIterator,
    F: FnOnce(BatchTime, Vec<T>) -> R,
{
    f(time, batch).into_iter().collect()
}
