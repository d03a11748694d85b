//! One directory per batch, published atomically: what `save_as_text_files` and
//! `save_as_object_files` share (Spark's `saveAsTextFiles` / `saveAsObjectFiles` layout).
//!
//! Every batch, including an empty one, becomes a directory `<prefix>-<ms>` (or
//! `<prefix>-<ms>.<suffix>`) holding one part file, [`PART_FILE`], and an empty
//! [`SUCCESS_FILE`] marker, as Hadoop's committer leaves them. The sinks differ only in how
//! they encode the part file.
//!
//! The directory appears atomically: it is written under a hidden temporary name next to
//! the target (`.<name>.tmp-<pid>-<n>`), its files are synced, and it is renamed into
//! place, after which the parent directory is synced. A directory already there (a batch
//! replayed after recovery) is moved aside first and deleted afterwards, so a batch's
//! output is replaced, and the final name never shows a partially written directory.
//! Readers (`text_files`, `object_files`) skip names starting with `.`, so they never see
//! the temporary directory either. A process killed while writing leaves its hidden
//! temporary directory behind (nothing else knows it is abandoned); the batch is written
//! again under a new temporary name when it is replayed.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{BatchContext, StreamingError, time::BatchTime};

pub use crate::source::files::{PART_FILE, SUCCESS_FILE};

/// Distinguishes temporary directories of one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes the batch's directory for the sink `op` (named in errors): `write_part` fills the
/// part file through a buffered writer.
pub fn write(
    ctx: &mut BatchContext<'_>,
    op: &str,
    prefix: &str,
    suffix: Option<&str>,
    write_part: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), StreamingError> {
    let target = batch_dir(prefix, suffix, ctx.time());
    let name = match target.file_name() {
        Some(name) => name.to_string_lossy().into_owned(),
        None => {
            return Err(StreamingError::BadPath {
                path: target,
                reason: format!("{op}: the batch directory has no file name"),
            });
        }
    };
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let w = Writer { op };
    fs::create_dir_all(&parent).map_err(|e| w.io_err("creating directory", &parent, e))?;

    let unique = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let temp = parent.join(format!(".{name}.tmp-{pid}-{unique}"));
    if let Err(e) = w.write_temp_dir(&temp, write_part) {
        remove_quietly(&temp);
        return Err(e);
    }
    // A cluster task that lost its partition while writing publishes nothing.
    if let Err(e) = ctx.check_fence() {
        remove_quietly(&temp);
        return Err(e);
    }
    if let Err(e) = w.commit(&temp, &target, &parent, &name, pid, unique) {
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

/// The sink writing, for its errors.
struct Writer<'a> {
    op: &'a str,
}

impl Writer<'_> {
    fn io_err(&self, what: &str, path: &Path, e: io::Error) -> StreamingError {
        StreamingError::io(format!("{}: {what} {}", self.op, path.display()), e)
    }

    /// Creates `temp` with the synced part file and `_SUCCESS` marker.
    fn write_temp_dir(
        &self,
        temp: &Path,
        write_part: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), StreamingError> {
        // A leftover of an earlier process with our pid and counter is impossible in
        // practice, but harmless to clear.
        if fs::symlink_metadata(temp).is_ok() {
            fs::remove_dir_all(temp)
                .map_err(|e| self.io_err("removing stale directory", temp, e))?;
        }
        fs::create_dir(temp).map_err(|e| self.io_err("creating directory", temp, e))?;

        let part = temp.join(PART_FILE);
        let file = File::create(&part).map_err(|e| self.io_err("creating", &part, e))?;
        let mut w = BufWriter::with_capacity(64 * 1024, file);
        write_part(&mut w).map_err(|e| self.io_err("writing", &part, e))?;
        let file = w
            .into_inner()
            .map_err(|e| self.io_err("writing", &part, e.into_error()))?;
        file.sync_all()
            .map_err(|e| self.io_err("syncing", &part, e))?;
        drop(file);

        let success = temp.join(SUCCESS_FILE);
        let file = File::create(&success).map_err(|e| self.io_err("creating", &success, e))?;
        file.sync_all()
            .map_err(|e| self.io_err("syncing", &success, e))?;
        drop(file);

        self.sync_dir(temp)
    }

    /// Renames `temp` to `target`, replacing a directory already there.
    fn commit(
        &self,
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
            Err(e) => return Err(self.io_err("inspecting", target, e)),
        };
        let Some(meta) = existing else {
            fs::rename(temp, target).map_err(|e| self.io_err("renaming into place", target, e))?;
            return self.sync_dir(parent);
        };
        if !meta.is_dir() {
            return Err(StreamingError::BadPath {
                path: target.to_path_buf(),
                reason: format!(
                    "{}: exists and is not a directory; not replacing it",
                    self.op
                ),
            });
        }
        // A replayed batch: move the old output aside (one atomic rename), put the new one
        // in place, then delete the old one.
        let old = parent.join(format!(".{name}.old-{pid}-{unique}"));
        fs::rename(target, &old).map_err(|e| self.io_err("moving aside old output", target, e))?;
        if let Err(e) = fs::rename(temp, target) {
            // Put the old output back rather than leave nothing.
            let _ = fs::rename(&old, target);
            return Err(self.io_err("renaming into place", target, e));
        }
        self.sync_dir(parent)?;
        if let Err(e) = fs::remove_dir_all(&old) {
            tracing::warn!(
                path = %old.display(),
                error = %e,
                "{}: could not remove the replaced output of a replayed batch", self.op
            );
        }
        Ok(())
    }

    /// Makes a directory's entries durable (a no-op where directories cannot be opened).
    fn sync_dir(&self, dir: &Path) -> Result<(), StreamingError> {
        #[cfg(unix)]
        {
            let d = File::open(dir).map_err(|e| self.io_err("opening directory", dir, e))?;
            d.sync_all()
                .map_err(|e| self.io_err("syncing directory", dir, e))?;
        }
        #[cfg(not(unix))]
        let _ = dir;
        Ok(())
    }
}

fn remove_quietly(dir: &Path) {
    if fs::symlink_metadata(dir).is_ok() {
        let _ = fs::remove_dir_all(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_spark() {
        let t = BatchTime::from_millis;
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
}
