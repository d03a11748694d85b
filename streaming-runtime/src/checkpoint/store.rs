//! Where a checkpoint location keeps its things: one trait, [`CheckpointStore`], for what
//! the checkpoint directory holds (checkpoints and the newest one's publication, the batch
//! log, the fencing epochs), so that [`super::CheckpointDir`] (the file format, restore and
//! replay) and [`super::Fence`] are the same over a local directory and an object store.
//!
//! - [`LocalStore`]: a directory, exactly today's layout (see ARCHITECTURE.md, "The
//!   checkpoint directory"): a file is published by rename, the newest name wins, epochs are
//!   files created with `O_EXCL`.
//! - `ObjectStore` (feature `object-store`, [`super::object`]): an object store has no
//!   rename, so a checkpoint is a new object published by a conditional write of a small
//!   pointer object, which also holds the fencing epoch (see that module).
//!
//! [`open`] picks one by the location's text: `s3://bucket/prefix` is an object store,
//! anything else a directory.

use std::fmt::Debug;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tracing::{info, warn};

use crate::error::StreamingError;

/// What a checkpoint location must do. Names are file names (`checkpoint-<ms>`,
/// `batch-<ms>`); every method is blocking (the batch thread calls them between batches).
pub trait CheckpointStore: Send + Sync + Debug {
    /// The location, for messages: a directory or a URL.
    fn location(&self) -> String;

    /// The directory, when the store is one (the receivers' write-ahead log needs files).
    fn local_dir(&self) -> Option<&Path> {
        None
    }

    /// Writes the checkpoint of batch `ms` and publishes it as the newest, atomically: a
    /// reader sees the checkpoints before it or with it, never part of it. An object
    /// store refuses the publication when another owner claimed or published since this
    /// one last read (a zombie's write fails at the store: [`StreamingError::Fenced`]).
    /// Returns where it went, for logs.
    fn publish_checkpoint(&self, ms: u64, bytes: Vec<u8>) -> Result<String, StreamingError>;

    /// The published checkpoints, newest first: (batch ms, name). Reading them also tells
    /// an object store which publication this owner builds on.
    fn checkpoints(&self) -> Result<Vec<(u64, String)>, StreamingError>;

    /// Keeps the newest `keep` checkpoints and removes the others.
    fn prune_checkpoints(&self, keep: usize);

    /// Writes batch `ms`'s log whole (a reader sees all of it or none).
    fn write_log(&self, ms: u64, bytes: Vec<u8>) -> Result<String, StreamingError>;

    /// The batch logs, newest first: (batch ms, name).
    fn logs(&self) -> Result<Vec<(u64, String)>, StreamingError>;

    /// Removes the batch logs of the batches at or before `through_ms` (checkpointed).
    fn prune_logs(&self, through_ms: u64) -> Result<(), StreamingError>;

    /// One object's bytes (a checkpoint or a log named by the listings above, or a record
    /// of [`CheckpointStore::put`]); `None` when there is no such object.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StreamingError>;

    /// Writes the object `name` whole, replacing one of that name: a reader sees the old
    /// bytes or the new, never part. For the small records a cluster shares beside its
    /// partitions' checkpoints (the `global` rankings).
    fn put(&self, name: &str, bytes: Vec<u8>) -> Result<(), StreamingError>;

    /// Creates the object `name` unless one exists: `Ok(true)` when this call created it,
    /// `Ok(false)` when another writer did first (of racing writers exactly one creates).
    fn create(&self, name: &str, bytes: Vec<u8>) -> Result<bool, StreamingError>;

    /// The names of the objects directly in this location that start with `prefix`
    /// (every page of the listing; no order).
    fn list(&self, prefix: &str) -> Result<Vec<String>, StreamingError>;

    /// Removes one object; a missing one is not an error.
    fn delete(&self, name: &str) -> Result<(), StreamingError>;

    /// Removes what a writer killed mid-write left behind; returns how many.
    fn remove_stale_temp_files(&self) -> usize {
        0
    }

    /// Claims the next fencing epoch, so that of two owners racing exactly one gets each
    /// epoch; returns it.
    fn claim_epoch(&self) -> Result<u64, StreamingError>;

    /// The highest epoch claimed (0 when none is).
    fn highest_epoch(&self) -> Result<u64, StreamingError>;
}

/// Opens the store a `checkpoint "LOCATION"` names: `s3://bucket/prefix` is an object
/// store (with the feature `object-store`), anything else a local directory.
pub fn open(location: &Path) -> Result<Arc<dyn CheckpointStore>, StreamingError> {
    match location.to_str() {
        Some(url) if is_url(url) => open_url(url),
        _ => Ok(Arc::new(LocalStore::new(location))),
    }
}

/// A location that names an object store rather than a directory.
pub fn is_url(location: &str) -> bool {
    location.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

#[cfg(feature = "object-store")]
fn open_url(url: &str) -> Result<Arc<dyn CheckpointStore>, StreamingError> {
    Ok(Arc::new(super::object::ObjectCheckpoints::open(url)?))
}

#[cfg(not(feature = "object-store"))]
fn open_url(url: &str) -> Result<Arc<dyn CheckpointStore>, StreamingError> {
    Err(StreamingError::Config(format!(
        "checkpoint {url:?}: an object store location needs the `object-store` feature of \
         the `streaming` crate"
    )))
}

pub(crate) const PREFIX: &str = "checkpoint-";
pub(crate) const BATCH_PREFIX: &str = "batch-";

/// The batch time a name `<prefix><ms>[-suffix]` carries.
pub(crate) fn time_of(name: &str, prefix: &str) -> Option<u64> {
    let rest = name.strip_prefix(prefix)?;
    let digits = rest.split_once('-').map_or(rest, |(d, _)| d);
    digits.parse().ok()
}

/// A local directory: today's layout, unchanged.
#[derive(Debug, Clone)]
pub struct LocalStore {
    dir: PathBuf,
}

impl LocalStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LocalStore { dir: dir.into() }
    }

    /// One file `name`: temp file, fsync, rename, directory fsync.
    fn write_file(&self, name: &str, bytes: &[u8]) -> Result<String, StreamingError> {
        let ctx = |what: &str| format!("checkpoint {}: {what}", self.dir.display());
        fs::create_dir_all(&self.dir)
            .map_err(|e| StreamingError::io(ctx("creating the directory"), e))?;
        let target = self.dir.join(name);
        let tmp = self
            .dir
            .join(format!(".{}.tmp-{}", tmp_stem(name), std::process::id()));
        let write = || -> io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &target)?;
            sync_dir(&self.dir)
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(StreamingError::io(ctx("writing"), e));
        }
        Ok(target.display().to_string())
    }

    /// Files `<prefix><ms>`, newest first.
    fn files_of(&self, prefix: &str) -> Vec<(u64, String)> {
        let mut files: Vec<(u64, String)> = (self.list(prefix).unwrap_or_default().into_iter())
            .filter_map(|name| Some((name.strip_prefix(prefix)?.parse().ok()?, name)))
            .collect();
        files.sort_by_key(|f| std::cmp::Reverse(f.0));
        files
    }
}

/// The temporary file's stem: `checkpoint-<ms>` without the zero padding, as it always was.
fn tmp_stem(name: &str) -> String {
    for prefix in [PREFIX, BATCH_PREFIX] {
        if let Some(ms) = time_of(name, prefix) {
            return format!("{prefix}{ms}");
        }
    }
    name.to_string()
}

impl CheckpointStore for LocalStore {
    fn location(&self) -> String {
        self.dir.display().to_string()
    }

    fn local_dir(&self) -> Option<&Path> {
        Some(&self.dir)
    }

    fn publish_checkpoint(&self, ms: u64, bytes: Vec<u8>) -> Result<String, StreamingError> {
        self.write_file(&format!("{PREFIX}{ms:020}"), &bytes)
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>, StreamingError> {
        Ok(self.files_of(PREFIX))
    }

    fn prune_checkpoints(&self, keep: usize) {
        for (_, old) in self.files_of(PREFIX).into_iter().skip(keep) {
            let path = self.dir.join(old);
            if let Err(e) = fs::remove_file(&path) {
                warn!(file = %path.display(), error = %e, "could not remove an old checkpoint");
            }
        }
    }

    fn write_log(&self, ms: u64, bytes: Vec<u8>) -> Result<String, StreamingError> {
        self.write_file(&format!("{BATCH_PREFIX}{ms:020}"), &bytes)
    }

    fn logs(&self) -> Result<Vec<(u64, String)>, StreamingError> {
        Ok(self.files_of(BATCH_PREFIX))
    }

    fn prune_logs(&self, through_ms: u64) -> Result<(), StreamingError> {
        for (ms, name) in self.files_of(BATCH_PREFIX) {
            if ms <= through_ms {
                self.delete(&name)?;
            }
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StreamingError> {
        let path = self.dir.join(name);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StreamingError::io(format!("reading {}", path.display()), e)),
        }
    }

    fn put(&self, name: &str, bytes: Vec<u8>) -> Result<(), StreamingError> {
        self.write_file(name, &bytes).map(drop)
    }

    /// A temporary file made durable, then hard-linked to its name: linking fails when the
    /// name exists, so of racing creators exactly one succeeds, and the file appears whole.
    fn create(&self, name: &str, bytes: Vec<u8>) -> Result<bool, StreamingError> {
        let target = self.dir.join(name);
        let ctx = || format!("creating {}", target.display());
        fs::create_dir_all(&self.dir).map_err(|e| StreamingError::io(ctx(), e))?;
        // Threads of one process may race too: each its own temporary file.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = (self.dir).join(format!(".{name}.tmp-{}-{n}", std::process::id()));
        let created = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            match fs::hard_link(&tmp, &target) {
                Ok(()) => sync_dir(&self.dir).map(|()| true),
                // (NotFound: the name existed, and a loser removed this temporary file as
                // a killed creator's, below.)
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::AlreadyExists | io::ErrorKind::NotFound
                    ) =>
                {
                    Ok(false)
                }
                Err(e) => Err(e),
            }
        })();
        let _ = fs::remove_file(&tmp);
        if created.is_ok() {
            // Once the name exists every other temporary file of it is a loser's or a
            // killed creator's: remove them, so that a kill leaves nothing for good.
            let stale = format!(".{name}.tmp-");
            for entry in fs::read_dir(&self.dir).into_iter().flatten().flatten() {
                if entry.file_name().to_string_lossy().starts_with(&stale) {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        created.map_err(|e| StreamingError::io(ctx(), e))
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StreamingError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(StreamingError::io(
                    format!("reading {}", self.dir.display()),
                    e,
                ));
            }
        };
        Ok(entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with(prefix) && !name.starts_with('.'))
            .collect())
    }

    fn delete(&self, name: &str) -> Result<(), StreamingError> {
        let path = self.dir.join(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(StreamingError::io(
                format!("removing {}", path.display()),
                e,
            )),
            _ => Ok(()),
        }
    }

    /// Removes the temporary files a writer killed mid-write left behind (`.checkpoint-…`
    /// and `.batch-…` with a `.tmp-<pid>` suffix). Called before a restore, when no other
    /// writer of this directory may be running: a fenced one that still is loses its
    /// temporary file and its rename fails, which is what it deserves.
    fn remove_stale_temp_files(&self) -> usize {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut removed = 0;
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let ours = [PREFIX, BATCH_PREFIX]
                .iter()
                .any(|p| name.strip_prefix('.').is_some_and(|n| n.starts_with(p)))
                && name.contains(".tmp-");
            if ours && fs::remove_file(e.path()).is_ok() {
                removed += 1;
            }
        }
        if removed > 0 {
            info!(dir = %self.dir.display(), files = removed, "removed temporary files a killed writer left");
        }
        removed
    }

    fn claim_epoch(&self) -> Result<u64, StreamingError> {
        super::fence::claim_in_dir(&self.dir)
    }

    fn highest_epoch(&self) -> Result<u64, StreamingError> {
        super::fence::highest(&self.dir.join("epochs"))
    }
}

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_directories() {
        assert!(is_url("s3://bucket/prefix"));
        assert!(!is_url("/tmp/cp"));
        assert!(!is_url("relative/dir"));
        assert!(!is_url("://x"));
        assert_eq!(
            time_of("checkpoint-00000000000000001000", PREFIX),
            Some(1000)
        );
        assert_eq!(
            time_of("checkpoint-00000000000000001000-9f", PREFIX),
            Some(1000)
        );
        assert_eq!(time_of("batch-7", PREFIX), None);
    }
}
