//! A directory watched for new files, one batch's worth at a time: what `text_files` and
//! `object_files` share. Only how a file becomes records differs ([`FileFormat`]).
//!
//! Files already there when the program started are ignored (Spark's `newFilesOnly`): a
//! file present when the source is created is new only if it was modified at or after the
//! program's start (see [`new_files_since`]), so a file written right after launch, before
//! the pipeline was built, is not lost. Later files are found by name rather than by
//! modification time, so a file moved in with an old mtime is still read (Spark would skip
//! it). Names starting with `.` or `_` are in-progress files by convention and are ignored
//! until renamed. Listing happens when a batch is sealed; reading happens when the batch
//! runs.
//!
//! A format that reads batch directories ([`FileFormat::BATCH_DIRS`]) also takes each new
//! directory holding a `_SUCCESS` marker (what `save_as_*_files` publish) as one input:
//! its `part-*` files in name order. A directory without the marker is not listed until it
//! has one.
//!
//! The position checkpointed is the set of names seen: after a restore, every file not in
//! it is new again, so each file is read exactly once into the restored state.

use std::collections::{HashSet, VecDeque};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use tracing::{debug, error, info, warn};

use super::{Source, SourceControl};
use crate::block::Block;
use crate::error::StreamingError;
use crate::metrics::SourceMetrics;
use crate::time::BatchTime;

/// The marker of a complete batch directory, as Hadoop's committer leaves it (and
/// `sink::batch_dir` writes it).
pub const SUCCESS_FILE: &str = "_SUCCESS";
/// The first (with `save_as_*_files`, the only) part file of a batch directory.
pub const PART_FILE: &str = "part-00000";

/// How one file becomes a batch's records.
pub trait FileFormat: Send + 'static {
    /// The records of a file, and of a batch.
    type Batch: Block;
    /// The source's kind, for its metrics and messages (`text_files`).
    const KIND: &'static str;
    /// Whether a new directory with a `_SUCCESS` marker is input too (its part files).
    const BATCH_DIRS: bool;
    /// Reads one whole file: its records and its size in bytes, or why it cannot be read
    /// (all or nothing, so a failed read adds no records).
    fn read(
        &mut self,
        path: &Path,
        metrics: &Arc<SourceMetrics>,
    ) -> Result<(Self::Batch, u64), String>;
}

/// New files of a directory, one batch's worth at a time, read with the format `F`.
/// Build it with [`text_files`](super::text_files) or [`object_files`](super::object_files).
pub struct FilesSource<F> {
    shared: Arc<Shared>,
    pub(super) format: F,
}

struct Shared {
    dir: PathBuf,
    batch_dirs: bool,
    metrics: Arc<SourceMetrics>,
    state: Mutex<State>,
}

struct State {
    /// Names present at the last listing (already read or pre-existing); `None` until the
    /// directory could be listed once. Names that disappear are dropped, so it stays as small
    /// as the directory and a name reused by a new file is read again.
    seen: Option<HashSet<OsString>>,
    /// The directory is currently unlistable (logged once per outage).
    listing_failed: bool,
    /// Files assigned to sealed batches not yet run.
    sealed: VecDeque<(BatchTime, Vec<PathBuf>)>,
    /// When checkpointing: the names seen as of each seal (the source's position).
    positions: Option<VecDeque<(BatchTime, Arc<HashSet<OsString>>)>>,
}

impl<F: FileFormat> FilesSource<F> {
    /// A source reading each file that appears in `dir` after its creation. A missing or
    /// unreadable directory is logged and counted, and listed again at every batch.
    pub(super) fn new(dir: PathBuf, format: F) -> Self {
        let metrics = Arc::new(SourceMetrics::new(format!("{} {}", F::KIND, dir.display())));
        let mut state = State {
            seen: None,
            listing_failed: false,
            sealed: VecDeque::new(),
            positions: None,
        };
        let since = new_files_since(SystemTime::now());
        match list(&dir, F::BATCH_DIRS) {
            Ok(files) => {
                // Files modified since the program started are new even if they landed
                // before this listing; older ones were already there.
                state.seen = Some(
                    files
                        .into_iter()
                        .filter(|f| f.modified < since)
                        .map(|f| f.name)
                        .collect(),
                )
            }
            Err(e) => {
                metrics.add_errors(1);
                state.listing_failed = true;
                error!(source = %metrics.name(), error = %e,
                    "cannot list the directory; will retry at every batch");
            }
        }
        FilesSource {
            shared: Arc::new(Shared {
                dir,
                batch_dirs: F::BATCH_DIRS,
                metrics,
                state: Mutex::new(state),
            }),
            format,
        }
    }

    /// The watched directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Reads a listed entry: a file, or a batch directory's part files (all of them or
    /// nothing).
    fn read_entry(&mut self, path: &Path) -> Result<(F::Batch, u64), String> {
        let metrics = &self.shared.metrics;
        if !path.is_dir() {
            return self.format.read(path, metrics);
        }
        let mut parts: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().as_encoded_bytes().starts_with(b"part-"))
            .map(|e| e.path())
            .collect();
        parts.sort();
        let (mut batch, mut bytes) = (F::Batch::default(), 0);
        for part in parts {
            let (b, n) = self
                .format
                .read(&part, metrics)
                .map_err(|e| format!("{}: {e}", part.display()))?;
            batch.append(b);
            bytes += n;
        }
        Ok((batch, bytes))
    }
}

impl<F: FileFormat> Source for FilesSource<F> {
    type Batch = F::Batch;

    fn control(&self) -> Arc<dyn SourceControl> {
        self.shared.clone()
    }

    fn next_batch(&mut self, time: BatchTime) -> Result<F::Batch, StreamingError> {
        let files: Vec<PathBuf> = {
            let mut st = self.shared.lock();
            let mut files = Vec::new();
            while st.sealed.front().is_some_and(|(t, _)| *t <= time) {
                if let Some((_, f)) = st.sealed.pop_front() {
                    files.extend(f);
                }
            }
            files
        };
        let metrics = Arc::clone(&self.shared.metrics);
        let mut batch = F::Batch::default();
        for path in files {
            match self.read_entry(&path) {
                Ok((block, bytes)) => {
                    debug!(source = %metrics.name(), file = %path.display(),
                        records = block.records(), "read file");
                    metrics.add_bytes(bytes);
                    batch.append(block);
                }
                Err(e) => {
                    // Bad input never stops the pipeline: counted, logged with the file's
                    // name, and the whole file is skipped (ARCHITECTURE.md, "Exactly once",
                    // and the error type's rule).
                    metrics.add_errors(1);
                    warn!(source = %metrics.name(), file = %path.display(), error = %e,
                        "cannot read file; skipping it");
                }
            }
        }
        metrics.add_records(batch.records() as u64);
        Ok(batch)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section is a few moves; a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SourceControl for Shared {
    fn start(&self, _: &tokio::runtime::Handle) -> Result<(), StreamingError> {
        Ok(())
    }

    fn seal(&self, time: BatchTime) {
        let listed = list(&self.dir, self.batch_dirs);
        let mut st = self.lock();
        let mut new = Vec::new();
        match listed {
            Ok(mut files) => {
                if st.listing_failed {
                    st.listing_failed = false;
                    info!(source = %self.metrics.name(), "directory can be listed again");
                }
                let present: HashSet<OsString> = files.iter().map(|f| f.name.clone()).collect();
                // Before the first successful listing everything present is new: the
                // directory was missing or unreadable when the source was created.
                if let Some(seen) = &st.seen {
                    files.retain(|f| !seen.contains(&f.name));
                }
                files.sort_by(|a, b| (a.modified, &a.name).cmp(&(b.modified, &b.name)));
                new = files.iter().map(|f| self.dir.join(&f.name)).collect();
                if let Some(p) = &mut st.positions {
                    p.push_back((time, Arc::new(present.clone())));
                }
                st.seen = Some(present);
            }
            Err(e) => {
                if !st.listing_failed {
                    st.listing_failed = true;
                    self.metrics.add_errors(1);
                    error!(source = %self.metrics.name(), error = %e,
                        "cannot list the directory; will retry at every batch");
                } else {
                    debug!(source = %self.metrics.name(), error = %e, "cannot list the directory");
                }
            }
        }
        st.sealed.push_back((time, new));
    }

    fn is_finished(&self) -> bool {
        false // a directory can always get new files
    }

    fn record_positions(&self) {
        let mut st = self.lock();
        if st.positions.is_none() {
            let seen = Arc::new(st.seen.clone().unwrap_or_default());
            st.positions = Some(VecDeque::from([(BatchTime::ZERO, seen)]));
        }
    }

    fn position(&self, time: BatchTime) -> Option<Vec<u8>> {
        let mut st = self.lock();
        let positions = st.positions.as_mut()?;
        let seen = super::position_at(positions, time)?;
        super::prune_positions(positions, time);
        let names: Vec<Vec<u8>> = seen.iter().map(name_bytes).collect();
        postcard::to_stdvec(&names).ok()
    }

    fn restore_position(&self, position: &[u8]) -> Result<(), StreamingError> {
        let names: Vec<Vec<u8>> = postcard::from_bytes(position).map_err(|e| {
            StreamingError::Config(format!(
                "{} position in checkpoint: {e}",
                self.metrics.name()
            ))
        })?;
        let seen: HashSet<OsString> = names.into_iter().map(name_from_bytes).collect();
        let mut st = self.lock();
        if let Some(p) = &mut st.positions {
            p.clear();
            p.push_back((BatchTime::ZERO, Arc::new(seen.clone())));
        }
        // Files read before the checkpoint stay read; any other file is new again.
        st.seen = Some(seen);
        Ok(())
    }

    fn stop(&self) {}

    fn metrics(&self) -> Arc<SourceMetrics> {
        self.metrics.clone()
    }
}

/// Files modified at or after this moment count as new when the source is created at
/// `created`: the program's start (Linux: from `/proc`, to the second, minus one second for
/// the boot time's rounding), so that nothing written after launch is skipped; but no
/// earlier than a minute before `created`, so that a pipeline built long after its program
/// started still ignores the files that were there (Spark's rule: modified at or after
/// the stream's creation). Where the start is unknown: `created`.
pub fn new_files_since(created: SystemTime) -> SystemTime {
    let floor = created
        .checked_sub(std::time::Duration::from_secs(60))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    process_start().map_or(created, |start| start.clamp(floor, created))
}

/// When this process started (Linux `/proc`: boot time plus the process's start in clock
/// ticks, `USER_HZ` = 100 on every Linux ABI), one second early for `btime`'s rounding.
fn process_start() -> Option<SystemTime> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: fields count from after its `)`.
    let after = stat.rsplit_once(')')?.1;
    let ticks: u64 = after.split_whitespace().nth(19)?.parse().ok()?;
    let boot: u64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let ms = (boot * 1000 + ticks * 10).checked_sub(1000)?;
    SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::from_millis(ms))
}

struct Listed {
    modified: SystemTime,
    name: OsString,
}

/// The regular files of `dir` (following symlinks) whose names do not start with `.`/`_`;
/// with `batch_dirs`, also its directories that hold a `_SUCCESS` marker.
fn list(dir: &Path, batch_dirs: bool) -> std::io::Result<Vec<Listed>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        if matches!(name.as_encoded_bytes().first(), Some(b'.' | b'_')) {
            continue;
        }
        // A file deleted meanwhile or a dangling symlink is simply not there.
        let Ok(meta) = std::fs::metadata(entry.path()) else {
            continue;
        };
        let complete_dir =
            || batch_dirs && meta.is_dir() && entry.path().join(SUCCESS_FILE).is_file();
        if meta.is_file() || complete_dir() {
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            files.push(Listed { modified, name });
        }
    }
    Ok(files)
}

#[cfg(unix)]
fn name_bytes(name: &OsString) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    name.as_bytes().to_vec()
}

#[cfg(unix)]
fn name_from_bytes(bytes: Vec<u8>) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(bytes)
}

#[cfg(not(unix))]
fn name_bytes(name: &OsString) -> Vec<u8> {
    name.to_string_lossy().into_owned().into_bytes()
}

#[cfg(not(unix))]
fn name_from_bytes(bytes: Vec<u8>) -> OsString {
    OsString::from(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_files_are_those_modified_since_the_program_started() {
        let now = SystemTime::now();
        let since = new_files_since(now);
        assert!(since <= now);
        assert!(since >= now - std::time::Duration::from_secs(60));
        if cfg!(target_os = "linux") {
            let start = process_start().expect("/proc gives the start time");
            assert!(start <= now, "{start:?} {now:?}");
        }
    }
}
