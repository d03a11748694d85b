//! `save_as_text_files(prefix[, suffix])`: Spark's `DStream.saveAsTextFiles`.
//!
//! Every batch, including an empty one, becomes a directory `<prefix>-<ms>` (or
//! `<prefix>-<ms>.<suffix>`) holding `part-00000`, one element per line shown with
//! [`SparkDisplay`], and an empty `_SUCCESS` marker, published atomically by
//! [`batch_dir`](super::batch_dir) (shared with `save_as_object_files`).

use crate::{
    BatchContext, StreamingError,
    show::{Spark, SparkDisplay},
};

pub use super::batch_dir::{PART_FILE, SUCCESS_FILE, batch_dir};

/// Writes the batch's directory (see the [module docs](self)).
pub fn finish<T: SparkDisplay>(
    ctx: &mut BatchContext<'_>,
    prefix: &str,
    suffix: Option<&str>,
    batch: &[T],
) -> Result<(), StreamingError> {
    super::batch_dir::write(ctx, "save_as_text_files", prefix, suffix, |w| {
        for x in batch {
            writeln!(w, "{}", Spark(x))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::BatchTime;
    use std::fs;
    use std::path::Path;

    fn t(ms: u64) -> BatchTime {
        BatchTime::from_millis(ms)
    }

    fn run<T: SparkDisplay>(
        time: u64,
        prefix: &str,
        suffix: Option<&str>,
        batch: &[T],
    ) -> Result<(), StreamingError> {
        let mut out = Vec::new();
        let mut ctx = BatchContext::new(t(time), BatchTime::ZERO, 1, &mut out);
        finish(&mut ctx, prefix, suffix, batch)
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_part_and_success() {
        let tmp = tempfile::tempdir().unwrap();
        let prefix = tmp.path().join("nested/out/counts");
        let prefix = prefix.to_str().unwrap();
        run(2000, prefix, Some("txt"), &[("a", 1), ("b", 2)]).unwrap();
        let dir = tmp.path().join("nested/out/counts-2000.txt");
        assert_eq!(entries(&dir), vec![SUCCESS_FILE, PART_FILE]);
        assert_eq!(
            fs::read_to_string(dir.join(PART_FILE)).unwrap(),
            "(a,1)\n(b,2)\n"
        );
        assert_eq!(fs::read(dir.join(SUCCESS_FILE)).unwrap(), b"");
        // Nothing else (no temporary directory) is left next to it.
        assert_eq!(
            entries(&tmp.path().join("nested/out")),
            vec!["counts-2000.txt"]
        );
    }

    #[test]
    fn empty_batches_too() {
        let tmp = tempfile::tempdir().unwrap();
        let prefix = tmp.path().join("e");
        run::<i64>(1000, prefix.to_str().unwrap(), None, &[]).unwrap();
        let dir = tmp.path().join("e-1000");
        assert_eq!(entries(&dir), vec![SUCCESS_FILE, PART_FILE]);
        assert_eq!(fs::read(dir.join(PART_FILE)).unwrap(), b"");
    }

    #[test]
    fn replayed_batch_replaces_output() {
        let tmp = tempfile::tempdir().unwrap();
        let prefix = tmp.path().join("r");
        let prefix = prefix.to_str().unwrap();
        run(1000, prefix, None, &["first", "run", "longer"]).unwrap();
        let dir = tmp.path().join("r-1000");
        fs::write(dir.join("stray"), "x").unwrap();
        run(1000, prefix, None, &["second"]).unwrap();
        assert_eq!(entries(&dir), vec![SUCCESS_FILE, PART_FILE]);
        assert_eq!(fs::read_to_string(dir.join(PART_FILE)).unwrap(), "second\n");
        assert_eq!(entries(tmp.path()), vec!["r-1000"]);
        run(2000, prefix, None, &[1.0, 1e7]).unwrap();
        assert_eq!(
            fs::read_to_string(tmp.path().join("r-2000").join(PART_FILE)).unwrap(),
            "1.0\n1.0E7\n"
        );
    }

    #[test]
    fn a_file_in_the_way_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("f-1000"), "mine").unwrap();
        let prefix = tmp.path().join("f");
        let err = run(1000, prefix.to_str().unwrap(), None, &[1]).unwrap_err();
        assert!(matches!(err, StreamingError::BadPath { .. }), "{err}");
        assert_eq!(
            fs::read_to_string(tmp.path().join("f-1000")).unwrap(),
            "mine"
        );
        assert_eq!(entries(tmp.path()), vec!["f-1000"]);
    }

    #[test]
    fn errors_name_the_path() {
        let tmp = tempfile::tempdir().unwrap();
        // The prefix's parent is a file, so it cannot be created.
        fs::write(tmp.path().join("file"), "").unwrap();
        let prefix = tmp.path().join("file/sub/p");
        let err = run(1000, prefix.to_str().unwrap(), None, &[1]).unwrap_err();
        assert!(matches!(err, StreamingError::Io { .. }));
        assert!(err.to_string().contains("file/sub"), "{err}");
    }
}
