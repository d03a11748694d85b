//! `save_as_object_files(prefix[, suffix])`: Spark's `DStream.saveAsObjectFiles`.
//!
//! Every batch, including an empty one, becomes a directory `<prefix>-<ms>` (or
//! `<prefix>-<ms>.<suffix>`) holding `part-00000`, the batch's elements as one
//! [object file](crate::object_file) (postcard records under a header naming their type),
//! and an empty `_SUCCESS` marker, published atomically by [`batch_dir`](super::batch_dir),
//! as `save_as_text_files` publishes its own. `source object_files::<T>(dir)` reads them
//! back. Exactly once like `save_as_text_files`: a replayed batch replaces its directory.

use serde::Serialize;

use crate::{BatchContext, StreamingError};

pub use super::batch_dir::{PART_FILE, SUCCESS_FILE, batch_dir};

/// Writes the batch's directory (see the [module docs](self)).
pub fn finish<T: Serialize>(
    ctx: &mut BatchContext<'_>,
    prefix: &str,
    suffix: Option<&str>,
    batch: &[T],
) -> Result<(), StreamingError> {
    super::batch_dir::write(ctx, "save_as_object_files", prefix, suffix, |w| {
        crate::object_file::write(w, batch).map(|_| ())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::BatchTime;

    #[test]
    fn writes_an_object_file_per_batch_that_reads_back() {
        let tmp = tempfile::tempdir().unwrap();
        let prefix = tmp.path().join("out/pairs");
        let mut out = Vec::new();
        let t = BatchTime::from_millis(3000);
        let mut ctx = BatchContext::new(t, BatchTime::ZERO, 1, &mut out);
        let batch = vec![(String::from("a"), 1u32), (String::from("b"), 2)];
        finish(&mut ctx, prefix.to_str().unwrap(), Some("obj"), &batch).unwrap();
        let dir = tmp.path().join("out/pairs-3000.obj");
        assert!(dir.join(SUCCESS_FILE).is_file());
        let back: Vec<(String, u32)> = crate::object_file::read_file(&dir.join(PART_FILE)).unwrap();
        assert_eq!(back, batch);
    }
}
