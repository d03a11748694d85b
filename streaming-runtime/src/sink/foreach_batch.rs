//! STUB (helper fills in): `foreach_batch(|time, batch| ..)`.
use crate::{BatchTime, StreamingError};
pub fn finish<T, F: FnOnce(BatchTime, Vec<T>)>(
    time: BatchTime,
    batch: Vec<T>,
    f: F,
) -> Result<(), StreamingError> {
    f(time, batch);
    Ok(())
}
