//! `save_as_text_files(prefix[, suffix])`: Spark's `DStream.saveAsTextFiles`.
//!
//! Every batch, including an empty one, becomes a directory `<prefix>-<ms>` (or
//! `<prefix>-<ms>.<suffix>`) holding `part-00000`, one element per line shown with
//! [`SparkDisplay`], and an empty `_SUCCESS` marker, as Hadoop's committer leaves them.
//!
//! The directory appears atomically: it is written under a hidden temporary name next to
//! the target (`.<name>.tmp-<pid>-<n>`), its files are synced, and it is renamed into
//! place, after which the parent directory is synced. A directory already there (a batch
//! replayed after recovery) is moved aside first and deleted afterwards, so a batch's
//! output is replaced, and the final name never shows a partially written directory.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{
    BatchContext, StreamingError,
    show::{Spark, SparkDisplay},
    time::BatchTime,
};

/// The single part file of a batch directory.
pub const PART_FILE: &str = "part-00000";
/// The marker of a complete batch directory.
pub const SUCCESS_FILE: &str = "_SUCCESS";

/// Distinguishes temporary directories of one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes the batch's directory (see the [module docs](self)).
pub fn finish<T: SparkDisplay>(
    ctx: &mut BatchContext<'_>,
    prefix: &str,
    suffix: Option<&str>,
    batch: &[T],
) -> Result<(), StreamingError> {
    let target = batch_dir(prefix, suffix, ctx.time());
    let name = match target.file_name() {
        Some(name) => name.to_string_lossy().into_owned(),
        None => {
            return Err(StreamingError::BadPath {
                path: target,
                reason: "save_as_text_files: the batch directory has no file name".into(),
            });
        }
    };
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| io_err("creating directory", &parent, e))?;

    let unique = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let temp = parent.join(format!(".{name}.tmp-{pid}-{unique}"));
    if let Err(e) = write_temp_dir(&temp, batch) {
        remove_quietly(&temp);
        return Err(e);
    }
    // A cluster task that lost its partition while writing publishes nothing.
    if let Err(e) = ctx.check_fence() {
        remove_quietly(&temp);
        return Err(e);
    }
    if let Err(e) = commit(&temp, &target, &parent, &name, pid, unique) {
        remove_quietly(&temp);
        return Err(e);
    }
    Ok(())
}

/// Spark's `rddToFileName`: `<prefix>-<ms>`, then `.<suffix>`; an empty prefix or suffix
/// is left out (an empty prefix gives just `<ms>`).
pub fn batch_dir(prefix: &str, suffix: Option<&str>, time: BatchTime) -> PathBuf {
    let ms = time.milliseconds();
    let mut name = if prefix.is_empty() {
        ms.to_string()
    } else {
        format!("{prefix}-{ms}")
    };
    if let Some(suffix) = suffix.filter(|s| !s.is_empty()) {
        name.push('.');
        name.push_str(suffix);
    }
    PathBuf::from(name)
}

fn io_err(what: &str, path: &Path, e: io::Error) -> StreamingError {
    StreamingError::io(format!("save_as_text_files: {what} {}", path.display()), e)
}

/// Creates `temp` with the synced part file and `_SUCCESS` marker.
fn write_temp_dir<T: SparkDisplay>(temp: &Path, batch: &[T]) -> Result<(), StreamingError> {
    // A leftover of an earlier process with our pid and counter is impossible in practice,
    // but harmless to clear.
    if fs::symlink_metadata(temp).is_ok() {
        fs::remove_dir_all(temp).map_err(|e| io_err("removing stale directory", temp, e))?;
    }
    fs::create_dir(temp).map_err(|e| io_err("creating directory", temp, e))?;

    let part = temp.join(PART_FILE);
    let file = File::create(&part).map_err(|e| io_err("creating", &part, e))?;
    let mut w = BufWriter::with_capacity(64 * 1024, file);
    for x in batch {
        writeln!(w, "{}", Spark(x)).map_err(|e| io_err("writing", &part, e))?;
    }
    let file = w
        .into_inner()
        .map_err(|e| io_err("writing", &part, e.into_error()))?;
    file.sync_all().map_err(|e| io_err("syncing", &part, e))?;
    drop(file);

    let success = temp.join(SUCCESS_FILE);
    let file = File::create(&success).map_err(|e| io_err("creating", &success, e))?;
    file.sync_all()
        .map_err(|e| io_err("syncing", &success, e))?;
    drop(file);

    sync_dir(temp)
}

/// Renames `temp` to `target`, replacing a directory already there.
fn commit(
    temp: &Path,
    target: &Path,
    parent: &Path,
    name: &str,
    pid: u32,
    unique: u64,
) -> Result<(), StreamingError> {
    let existing = match fs::symlink_metadata(target) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err("inspecting", target, e)),
    };
    let Some(meta) = existing else {
        fs::rename(temp, target).map_err(|e| io_err("renaming into place", target, e))?;
        return sync_dir(parent);
    };
    if !meta.is_dir() {
        return Err(StreamingError::BadPath {
            path: target.to_path_buf(),
            reason: "save_as_text_files: exists and is not a directory; not replacing it".into(),
        });
    }
    // A replayed batch: move the old output aside (one atomic rename), put the new one in
    // place, then delete the old one.
    let old = parent.join(format!(".{name}.old-{pid}-{unique}"));
    fs::rename(target, &old).map_err(|e| io_err("moving aside old output", target, e))?;
    if let Err(e) = fs::rename(temp, target) {
        // Put the old output back rather than leave nothing.
        let _ = fs::rename(&old, target);
        return Err(io_err("renaming into place", target, e));
    }
    sync_dir(parent)?;
    if let Err(e) = fs::remove_dir_all(&old) {
        tracing::warn!(
            path = %old.display(),
            error = %e,
            "save_as_text_files: could not remove the replaced output of a replayed batch"
        );
    }
    Ok(())
}

/// Makes a directory's entries durable (a no-op where directories cannot be opened).
fn sync_dir(dir: &Path) -> Result<(), StreamingError> {
    #[cfg(unix)]
    {
        let d = File::open(dir).map_err(|e| io_err("opening directory", dir, e))?;
        d.sync_all()
            .map_err(|e| io_err("syncing directory", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn remove_quietly(dir: &Path) {
    if fs::symlink_metadata(dir).is_ok() {
        let _ = fs::remove_dir_all(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn names_as_spark() {
        assert_eq!(
            batch_dir("out/words", None, t(1000)),
            Path::new("out/words-1000")
        );
        assert_eq!(
            batch_dir("out/words", Some("txt"), t(1000)),
            Path::new("out/words-1000.txt")
        );
        assert_eq!(batch_dir("w", Some(""), t(5)), Path::new("w-5"));
        assert_eq!(batch_dir("", None, t(5)), Path::new("5"));
        assert_eq!(batch_dir("", Some("x"), t(5)), Path::new("5.x"));
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
