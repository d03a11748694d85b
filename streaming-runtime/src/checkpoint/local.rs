//! A checkpoint location that is a local directory ([`LocalStore`]): exactly the layout
//! ARCHITECTURE.md describes ("The checkpoint directory"). A file is published by rename
//! (temp file, fsync, rename, directory fsync), the newest name wins, and a fencing epoch
//! is a file of `epochs/` created with `O_EXCL` (see `fence.rs` for what the epochs are
//! for).

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};

use tracing::{info, warn};

use super::store::{BATCH_PREFIX, CheckpointStore, PREFIX, time_of};
use crate::error::StreamingError;

/// Claims kept in `epochs/` below the newest (older ones are removed by each new claim).
pub(crate) const KEEP_CLAIMS: u64 = 8;

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
        claim_in_dir(&self.dir)
    }

    fn highest_epoch(&self) -> Result<u64, StreamingError> {
        highest(&self.dir.join("epochs"))
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

/// Claims the next epoch of the directory `dir` (its `epochs/`): the exclusive creation
/// of the epoch's file, made durable before the claim counts.
fn claim_in_dir(dir: &Path) -> Result<u64, StreamingError> {
    let epochs = dir.join("epochs");
    fs::create_dir_all(&epochs)
        .map_err(|e| StreamingError::io(format!("creating {}", epochs.display()), e))?;
    let mut epoch = highest(&epochs)?.max(legacy_epoch(dir)?) + 1;
    loop {
        let file = epochs.join(epoch.to_string());
        match OpenOptions::new().write(true).create_new(true).open(&file) {
            Ok(f) => {
                f.sync_all()
                    .and_then(|()| File::open(&epochs)?.sync_all())
                    .map_err(|e| StreamingError::io(format!("syncing {}", file.display()), e))?;
                break;
            }
            // Another process claimed this epoch first: the next one is ours to try.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => epoch += 1,
            Err(e) => {
                return Err(StreamingError::io(
                    format!("creating {}", file.display()),
                    e,
                ));
            }
        }
    }
    prune(&epochs, epoch);
    Ok(epoch)
}

/// The highest epoch claimed in `epochs` (0 when none is).
fn highest(epochs: &Path) -> Result<u64, StreamingError> {
    let entries = match fs::read_dir(epochs) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
        Err(e) => {
            return Err(StreamingError::io(
                format!("reading {}", epochs.display()),
                e,
            ));
        }
    };
    Ok(entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .unwrap_or(0))
}

/// The epoch of a directory claimed before `epochs/` existed (its `epoch` file), or 0.
fn legacy_epoch(dir: &Path) -> Result<u64, StreamingError> {
    let file = dir.join("epoch");
    match fs::read_to_string(&file) {
        Ok(text) => text.trim().parse().map_err(|_| StreamingError::BadPath {
            path: file.clone(),
            reason: format!("not an epoch number: {text:?}"),
        }),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(0),
        Err(e) => Err(StreamingError::io(format!("reading {}", file.display()), e)),
    }
}

/// Removes claims more than [`KEEP_CLAIMS`] below `newest` (they can only fence the fenced).
fn prune(epochs: &Path, newest: u64) {
    let Ok(entries) = fs::read_dir(epochs) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| n + KEEP_CLAIMS < newest);
        if old {
            let _ = fs::remove_file(e.path());
        }
    }
}
