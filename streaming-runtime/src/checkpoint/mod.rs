//! Checkpoint files: one file per checkpointed batch time in the checkpoint
//! directory, named `checkpoint-<ms>`, holding
//!
//! ```text
//! magic "SPKCKPT\0" | format version u32 | pipeline fingerprint u64 | batch time u64
//! | payload length u64 | CRC32 of everything before it and the payload u32 | payload
//! ```
//!
//! (integers little-endian; the payload is serde + postcard). A file is written to a temp
//! file in the same directory, fsynced, renamed into place and the directory fsynced, so a
//! reader sees the old file or the new one, never half of one. The newest valid file wins:
//! a truncated or corrupt one is reported and the one before it used; a file written by a
//! different pipeline is refused with an error saying how to start fresh.
//!
//! When a source replays exactly (Kafka, `queue`), the directory also holds a batch log:
//! one file `batch-<ms>` per batch that started since the last checkpoint, in the same
//! format, holding every source's position once that batch was sealed ([`BatchInput`]).
//! It is written before the batch runs, so after a crash the batches that ran but were not
//! checkpointed are run again at their times with exactly the same input (Spark's pending
//! batches), and their output is the same as the first time.
//!
//! A partition's checkpoint directory also holds the epochs of its owners ([`Fence`]), so
//! that a process presumed dead does not overwrite the state of the one that took over.

mod fence;
mod local;
#[cfg(feature = "object-store")]
pub mod object;
pub mod store;

pub use fence::Fence;
pub use local::LocalStore;
pub use store::CheckpointStore;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::{info, warn};

use crate::error::StreamingError;
use crate::time::BatchTime;

const MAGIC: &[u8; 8] = b"SPKCKPT\0";
/// Bumped whenever the layout of the header or of any operator's state changes. Version 2:
/// keyed state ([`crate::state_map::StateMap`]) is written in table order with its hasher's
/// seeds.
pub const FORMAT_VERSION: u32 = 2;
const HEADER_LEN: usize = 8 + 4 + 8 + 8 + 8 + 4;
/// How many checkpoints are kept.
pub const KEEP: usize = 3;

/// A pipeline's checkpoint location (a directory or an object store, see [`store`]): the
/// file format, restore and the batch log over its [`CheckpointStore`].
#[derive(Debug, Clone)]
pub struct CheckpointDir {
    dir: PathBuf,
    store: Arc<dyn CheckpointStore>,
    fingerprint: u64,
}

/// What a valid checkpoint file held.
#[derive(Debug)]
pub struct Restored<T> {
    pub time: BatchTime,
    pub state: T,
}

/// Why a file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CorruptCheckpoint {
    #[error("not a checkpoint file (bad magic)")]
    BadMagic,
    #[error("written by format version {0}, this build reads version {FORMAT_VERSION}")]
    Version(u32),
    #[error("truncated: {0} bytes")]
    Truncated(usize),
    #[error("checksum mismatch (the file is damaged)")]
    Checksum,
    #[error("payload does not decode: {0}")]
    Decode(String),
}

impl CheckpointDir {
    /// `fingerprint` identifies the pipeline (its text and types); checkpoints of other
    /// pipelines are refused. `dir` is a local directory.
    pub fn new(dir: impl Into<PathBuf>, fingerprint: u64) -> Self {
        let dir = dir.into();
        CheckpointDir {
            store: Arc::new(LocalStore::new(&dir)),
            dir,
            fingerprint,
        }
    }

    /// Over a store [`open_store`] opened (a directory or an object store).
    pub fn with_store(store: Arc<dyn CheckpointStore>, fingerprint: u64) -> Self {
        CheckpointDir {
            dir: PathBuf::from(store.location()),
            store,
            fingerprint,
        }
    }

    /// The location: a directory, or an object store's URL.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn CheckpointStore> {
        &self.store
    }

    /// Writes the checkpoint of batch `time` atomically and keeps only the newest [`KEEP`].
    pub fn write<T: Serialize>(
        &self,
        time: BatchTime,
        state: &T,
    ) -> Result<PathBuf, StreamingError> {
        self.write_sized(time, state).map(|(path, _)| path)
    }

    /// [`CheckpointDir::write`], with the size of what was written (header and CRC
    /// included), wherever the store keeps it.
    pub fn write_sized<T: Serialize>(
        &self,
        time: BatchTime,
        state: &T,
    ) -> Result<(PathBuf, u64), StreamingError> {
        let bytes = self.encode_file(time, state)?;
        let size = bytes.len() as u64;
        let target = self.store.publish_checkpoint(time.milliseconds(), bytes)?;
        self.store.prune_checkpoints(KEEP);
        Ok((PathBuf::from(target), size))
    }

    /// One file in the checkpoint format: header, CRC32, payload.
    fn encode_file<T: Serialize>(
        &self,
        time: BatchTime,
        state: &T,
    ) -> Result<Vec<u8>, StreamingError> {
        let payload = postcard::to_stdvec(state).map_err(|e| {
            StreamingError::Custom(format!("checkpoint {}: encoding: {e}", self.dir.display()))
        })?;
        let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&self.fingerprint.to_le_bytes());
        bytes.extend_from_slice(&time.milliseconds().to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(&bytes);
        crc.update(&payload);
        bytes.extend_from_slice(&crc.finalize().to_le_bytes());
        bytes.extend_from_slice(&payload);
        Ok(bytes)
    }

    /// Checkpoint files, newest first, as paths (a local directory's files; an object
    /// store's objects under its URL).
    #[cfg(test)]
    fn files(&self) -> Vec<(u64, PathBuf)> {
        (self.store.checkpoints().unwrap_or_default().into_iter())
            .map(|(ms, name)| (ms, self.dir.join(name)))
            .collect()
    }

    /// Reads and checks the object `name`.
    fn read_named(&self, name: &str) -> Result<(u64, BatchTime, Vec<u8>), CorruptCheckpoint> {
        let bytes = match self.store.get(name) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Err(CorruptCheckpoint::Decode(format!("{name}: not found"))),
            Err(e) => return Err(CorruptCheckpoint::Decode(e.to_string())),
        };
        check_file(bytes)
    }

    /// Spark's pending batches: the input of batch `time` (every source's position once it
    /// is sealed), written before the batch runs, so that a batch that ran but was not
    /// checkpointed is replayed with the same input after a crash.
    pub fn write_batch(
        &self,
        time: BatchTime,
        batch: &BatchInput,
    ) -> Result<PathBuf, StreamingError> {
        let bytes = self.encode_file(time, batch)?;
        Ok(PathBuf::from(
            self.store.write_log(time.milliseconds(), bytes)?,
        ))
    }

    /// The batches logged after `after` (a restored checkpoint's batch), oldest first. An
    /// unreadable file ends the list there: later batches are planned anew.
    pub fn pending_batches(&self, after: BatchTime) -> Vec<(BatchTime, BatchInput)> {
        let mut files = match self.store.logs() {
            Ok(files) => files,
            Err(e) => {
                warn!(dir = %self.dir.display(), error = %e, "cannot list the batch logs; the batches after the checkpoint are planned anew");
                return Vec::new();
            }
        };
        files.reverse();
        let mut pending = Vec::new();
        for (ms, name) in files {
            if ms <= after.milliseconds() {
                continue;
            }
            let decoded = self
                .read_named(&name)
                .and_then(|(fingerprint, time, payload)| {
                    if fingerprint != self.fingerprint {
                        return Err(CorruptCheckpoint::Decode("another pipeline's batch".into()));
                    }
                    postcard::from_bytes::<BatchInput>(&payload)
                        .map(|b| (time, b))
                        .map_err(|e| CorruptCheckpoint::Decode(e.to_string()))
                });
            match decoded {
                Ok(batch) => pending.push(batch),
                Err(e) => {
                    warn!(file = %self.dir.join(&name).display(), error = %e, "unusable batch log; the batches after it are planned anew");
                    break;
                }
            }
        }
        pending
    }

    /// Removes the batch logs of batches at or before `through` (they are checkpointed).
    pub fn prune_batches(&self, through: BatchTime) {
        if let Err(e) = self.store.prune_logs(through.milliseconds()) {
            warn!(dir = %self.dir.display(), error = %e, "could not remove old batch logs");
        }
    }

    /// Removes the temporary files a writer killed mid-write left behind (`.checkpoint-…`
    /// and `.batch-…` with a `.tmp-<pid>` suffix); returns how many. Called before a
    /// restore, when no other writer of this directory may be running: a fenced one that
    /// still is loses its temporary file and its rename fails, which is what it deserves.
    pub fn remove_stale_temp_files(&self) -> usize {
        self.store.remove_stale_temp_files()
    }

    /// The newest valid checkpoint, if any. Corrupt files are reported (warn) and skipped,
    /// but when every checkpoint is unreadable the restore refuses, naming them: starting
    /// fresh would drop the state they hold and replay nothing (the batch logs and the
    /// write-ahead log beside them are kept). A checkpoint of a different pipeline is an
    /// error too.
    pub fn restore<T: DeserializeOwned>(&self) -> Result<Option<Restored<T>>, StreamingError> {
        let mut unreadable: Vec<String> = Vec::new();
        for (_, name) in self.store.checkpoints()? {
            let path = self.dir.join(&name);
            match self.read_named(&name) {
                Ok((fingerprint, _, _)) if fingerprint != self.fingerprint => {
                    return Err(StreamingError::Config(format!(
                        "{} was written by a different pipeline (its text or types changed); \
                         to start fresh, delete or move the checkpoint directory {}",
                        path.display(),
                        self.dir.display()
                    )));
                }
                // Older files are not damaged: skipping them would start afresh and
                // silently drop the state they hold.
                Err(CorruptCheckpoint::Version(version)) => {
                    return Err(StreamingError::Config(format!(
                        "{} was written in checkpoint format {version}, this build reads format \
                         {FORMAT_VERSION}; to start fresh, delete or move the checkpoint directory {}",
                        path.display(),
                        self.dir.display()
                    )));
                }
                Ok((_, time, payload)) => match postcard::from_bytes::<T>(&payload) {
                    Ok(state) => {
                        info!(file = %path.display(), batch = %time, bytes = payload.len(), "restored checkpoint");
                        return Ok(Some(Restored { time, state }));
                    }
                    Err(e) => {
                        let e = CorruptCheckpoint::Decode(e.to_string());
                        warn!(file = %path.display(), error = %e, "skipping unusable checkpoint");
                        unreadable.push(format!("{} ({e})", path.display()));
                    }
                },
                Err(e) => {
                    warn!(file = %path.display(), error = %e, "skipping corrupt checkpoint; using the one before it");
                    unreadable.push(format!("{} ({e})", path.display()));
                }
            }
        }
        if unreadable.is_empty() {
            return Ok(None);
        }
        Err(StreamingError::Config(format!(
            "every checkpoint in {} is unreadable: {}; nothing was deleted (the batch logs and \
             the write-ahead log are kept). To start fresh, delete or move the directory",
            self.dir.display(),
            unreadable.join(", ")
        )))
    }
}

/// What a pipeline stores per checkpoint.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct PipelineCheckpoint {
    /// The pipeline's start (windows slide from it).
    pub zero: BatchTime,
    /// The generated job's operator state (postcard); `None` in the initial checkpoint a
    /// fresh pipeline writes before its first batch (source positions only). Bytes, not a
    /// sequence of `u8`s: the same encoding in postcard, decoded in one copy instead of one
    /// call per byte.
    #[serde(with = "serde_bytes")]
    pub state: Option<Vec<u8>>,
    /// Each source's position, in pipeline order (`None`: not replayable).
    pub sources: Vec<Option<Vec<u8>>>,
}

/// What the batch log holds for one batch: each source's position once the batch was
/// sealed, in pipeline order (`None`: not replayable).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BatchInput {
    pub sources: Vec<Option<Vec<u8>>>,
}

/// `checkpoint "dir" [every D] [wal];`
#[derive(Clone, Debug)]
pub struct CheckpointConfig {
    pub dir: PathBuf,
    /// Checkpoint every this often (a multiple of the batch interval).
    pub every_ms: u64,
    pub fingerprint: u64,
    /// `wal`: receivers keep a write-ahead log in the directory.
    pub wal: bool,
    /// The store `dir` names, opened at first use and shared by every batch after it.
    pub store: StoreSlot,
}

/// A checkpoint location's store, opened once: an object store keeps its client and the
/// publication its owner builds on across batches (a fresh one per batch would forget
/// which pointer it read, and with it the fencing at the store).
#[derive(Clone, Debug, Default)]
pub struct StoreSlot(Arc<OnceLock<Arc<dyn CheckpointStore>>>);

impl StoreSlot {
    /// A slot holding `store` already (a cluster task's, shared with its [`Fence`]).
    pub fn with(store: Arc<dyn CheckpointStore>) -> Self {
        let slot = OnceLock::new();
        let _ = slot.set(store);
        StoreSlot(Arc::new(slot))
    }
}

impl CheckpointConfig {
    /// The checkpoint location, its store opened at the first call.
    pub fn open(&self) -> Result<CheckpointDir, StreamingError> {
        let store = match self.store.0.get() {
            Some(store) => store.clone(),
            None => {
                let opened = open_store(&self.dir)?;
                // One batch thread opens it; were there two, both would use the first.
                self.store.0.get_or_init(|| opened).clone()
            }
        };
        Ok(CheckpointDir::with_store(store, self.fingerprint))
    }
}

/// Spark's default checkpoint interval: the smallest multiple of the pipeline's slides
/// (batch interval and window slides) that is at least 10 seconds.
pub fn default_interval(slides_ms: &[u64]) -> u64 {
    let lcm = slides_ms
        .iter()
        .copied()
        .filter(|&s| s > 0)
        .fold(1u64, |acc, s| acc / gcd(acc, s) * s);
    lcm * 10_000u64.div_ceil(lcm).max(1)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Encodes the job's operator state, as the generated code hands it over: the list of its
/// stages' state types, then the stores (see [`decode_state`]).
pub fn encode_state<T: Serialize>(state: &T) -> Result<Vec<u8>, StreamingError> {
    postcard::to_stdvec(state)
        .map_err(|e| StreamingError::Custom(format!("checkpoint: encoding operator state: {e}")))
}

/// Decodes the job's operator state (the generated code assigns it to its stores). The
/// state starts with the Rust type of each stage's store (`std::any::type_name`), checked
/// against `expected` — (stage, type) pairs in the same order — so that a checkpoint whose
/// state type changed while the pipeline's text did not is refused with the stage named,
/// instead of decoding into garbage. (A Rust upgrade that prints a type differently is
/// refused the same way.)
pub fn decode_state<T: DeserializeOwned>(
    bytes: &[u8],
    expected: &[(&str, &str)],
) -> Result<T, StreamingError> {
    let fresh = "delete or move the checkpoint directory to start fresh";
    let (saved, rest) = postcard::take_from_bytes::<Vec<String>>(bytes).map_err(|e| {
        StreamingError::Config(format!(
            "checkpoint: the operator state has no readable type list ({e}); it was written by an older version or another build — {fresh}"
        ))
    })?;
    if saved.len() != expected.len() {
        return Err(StreamingError::Config(format!(
            "checkpoint: it holds the state of {} stage(s), this pipeline keeps {} — {fresh}",
            saved.len(),
            expected.len()
        )));
    }
    for (saved, (stage, now)) in saved.iter().zip(expected) {
        if saved != now {
            return Err(StreamingError::Config(format!(
                "checkpoint: the state of {stage} was saved as `{saved}`, but this build keeps `{now}` (its state type changed) — {fresh}"
            )));
        }
    }
    let started = std::time::Instant::now();
    let state = decode(rest)?;
    info!(
        bytes = rest.len(),
        ms = started.elapsed().as_millis() as u64,
        "restored the operator state"
    );
    Ok(state)
}

/// Decodes the job's operator state (the generated code assigns it to its stores).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StreamingError> {
    postcard::from_bytes(bytes).map_err(|e| {
        StreamingError::Config(format!(
            "checkpoint: the operator state does not decode ({e}); the pipeline's types changed — \
             delete or move the checkpoint directory to start fresh"
        ))
    })
}

/// Reads and checks one file: (fingerprint, time, payload).
pub fn read_file(path: &Path) -> Result<(u64, BatchTime, Vec<u8>), CorruptCheckpoint> {
    check_file(fs::read(path).map_err(|e| CorruptCheckpoint::Decode(e.to_string()))?)
}

/// Checks one file's bytes: (fingerprint, time, payload).
fn check_file(mut bytes: Vec<u8>) -> Result<(u64, BatchTime, Vec<u8>), CorruptCheckpoint> {
    if bytes.len() < HEADER_LEN {
        return Err(CorruptCheckpoint::Truncated(bytes.len()));
    }
    if &bytes[..8] != MAGIC {
        return Err(CorruptCheckpoint::BadMagic);
    }
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap_or_default());
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or_default());
    let version = u32_at(8);
    if version != FORMAT_VERSION {
        return Err(CorruptCheckpoint::Version(version));
    }
    let (fingerprint, time, len, crc) = (u64_at(12), u64_at(20), u64_at(28), u32_at(36));
    let payload = &bytes[HEADER_LEN..];
    if payload.len() as u64 != len {
        return Err(CorruptCheckpoint::Truncated(bytes.len()));
    }
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&bytes[..36]);
    hasher.update(payload);
    if hasher.finalize() != crc {
        return Err(CorruptCheckpoint::Checksum);
    }
    bytes.drain(..HEADER_LEN);
    Ok((fingerprint, BatchTime::from_millis(time), bytes))
}

/// A stable 64-bit fingerprint (FNV-1a) of a pipeline's text and types, computed by the
/// macro's generated code; stable across builds and platforms, unlike `std`'s hashers.
pub const fn fingerprint(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// Opens the store a `checkpoint "LOCATION"` names: `s3://bucket/prefix` is an object
/// store (with the feature `object-store`), anything else a local directory.
pub fn open_store(location: &Path) -> Result<Arc<dyn CheckpointStore>, StreamingError> {
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
    Ok(Arc::new(object::ObjectCheckpoints::open(url)?))
}

#[cfg(not(feature = "object-store"))]
fn open_url(url: &str) -> Result<Arc<dyn CheckpointStore>, StreamingError> {
    Err(StreamingError::Config(format!(
        "checkpoint {url:?}: an object store location needs the `object-store` feature of \
         the `streaming` crate"
    )))
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
    }
    use std::collections::BTreeMap;

    type State = (BTreeMap<String, i64>, u64);

    fn state(n: i64) -> State {
        (BTreeMap::from([("a".to_string(), n)]), n as u64)
    }

    fn t(ms: u64) -> BatchTime {
        BatchTime::from_millis(ms)
    }

    #[test]
    fn round_trip_keeps_the_newest_three() {
        let dir = tempfile::tempdir().unwrap();
        let cp = CheckpointDir::new(dir.path().join("cp"), fingerprint("pipeline"));
        assert!(
            cp.restore::<State>().unwrap().is_none(),
            "no checkpoint: start normally"
        );
        for i in 1..=5 {
            cp.write(t(i * 1000), &state(i as i64)).unwrap();
        }
        let r = cp.restore::<State>().unwrap().unwrap();
        assert_eq!((r.time, r.state), (t(5000), state(5)));
        assert_eq!(cp.files().len(), KEEP);
    }

    #[test]
    fn a_corrupt_newest_file_falls_back_to_the_previous_one() {
        let dir = tempfile::tempdir().unwrap();
        let cp = CheckpointDir::new(dir.path(), fingerprint("p"));
        cp.write(t(1000), &state(1)).unwrap();
        let newest = cp.write(t(2000), &state(2)).unwrap();
        // A flipped byte in the payload.
        let mut bytes = fs::read(&newest).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        fs::write(&newest, &bytes).unwrap();
        assert!(matches!(
            read_file(&newest),
            Err(CorruptCheckpoint::Checksum)
        ));
        assert_eq!(cp.restore::<State>().unwrap().unwrap().state, state(1));
        // Truncated.
        fs::write(&newest, &bytes[..10]).unwrap();
        assert!(matches!(
            read_file(&newest),
            Err(CorruptCheckpoint::Truncated(10))
        ));
        assert_eq!(cp.restore::<State>().unwrap().unwrap().time, t(1000));
    }

    #[test]
    fn a_checkpoint_of_another_format_is_refused_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let cp = CheckpointDir::new(dir.path(), fingerprint("p"));
        let file = cp.write(t(1000), &state(1)).unwrap();
        // Written by a build of format 1 (the version is read before the CRC is checked).
        let mut bytes = fs::read(&file).unwrap();
        bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
        fs::write(&file, &bytes).unwrap();
        let msg = cp.restore::<State>().unwrap_err().to_string();
        assert!(
            msg.contains("format 1") && msg.contains(&format!("format {FORMAT_VERSION}")),
            "{msg}"
        );
        assert!(msg.contains("start fresh"), "{msg}");
    }

    #[test]
    fn another_pipelines_checkpoint_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        CheckpointDir::new(dir.path(), fingerprint("one"))
            .write(t(1000), &state(1))
            .unwrap();
        let err = CheckpointDir::new(dir.path(), fingerprint("two"))
            .restore::<State>()
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("different pipeline") && msg.contains("start fresh"),
            "{msg}"
        );
    }

    #[test]
    fn an_unwritable_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        fs::write(&file, b"x").unwrap();
        let err = CheckpointDir::new(&file, 1)
            .write(t(1000), &state(1))
            .unwrap_err();
        assert!(err.to_string().contains("not-a-dir"), "{err}");
    }

    #[test]
    fn a_reader_racing_the_writer_never_sees_a_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let cp = CheckpointDir::new(dir.path(), fingerprint("race"));
        let big: BTreeMap<String, i64> = (0..20_000).map(|i| (format!("key{i}"), i)).collect();
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let reader = s.spawn(|| {
                let mut seen = 0;
                while !done.load(std::sync::atomic::Ordering::Acquire) {
                    for (_, path) in cp.files() {
                        match read_file(&path) {
                            Ok(_) => seen += 1,
                            // Pruned between listing and opening: fine; anything else is not.
                            Err(CorruptCheckpoint::Decode(e)) if e.contains("No such file") => {}
                            Err(e) => panic!("saw a partial checkpoint {}: {e}", path.display()),
                        }
                    }
                }
                seen
            });
            for i in 1..=40 {
                cp.write(t(i * 1000), &(big.clone(), i)).unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::Release);
            assert!(reader.join().unwrap() > 0);
        });
    }

    #[test]
    fn spark_default_interval() {
        assert_eq!(default_interval(&[1000]), 10_000);
        assert_eq!(default_interval(&[3000]), 12_000);
        assert_eq!(default_interval(&[1000, 4000, 6000]), 12_000);
        assert_eq!(default_interval(&[15_000]), 15_000);
    }

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(fingerprint(""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fingerprint("a"), fingerprint("b"));
    }
}
