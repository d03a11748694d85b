//! Where a checkpoint location keeps its things: one trait, [`CheckpointStore`], for what
//! the checkpoint directory holds (checkpoints and the newest one's publication, the batch
//! log, the fencing epochs), so that [`super::CheckpointDir`] (the file format, restore and
//! replay) and [`super::Fence`] are the same over a local directory and an object store.
//!
//! - [`LocalStore`] (`local.rs`): a directory, exactly today's layout (see ARCHITECTURE.md, "The
//!   checkpoint directory"): a file is published by rename, the newest name wins, epochs are
//!   files created with `O_EXCL`.
//! - `ObjectStore` (feature `object-store`, [`super::object`]): an object store has no
//!   rename, so a checkpoint is a new object published by a conditional write of a small
//!   pointer object, which also holds the fencing epoch (see that module).
//!
//! [`super::open_store`] picks one by the location's text: `s3://bucket/prefix` is an
//! object store, anything else a directory.

use std::fmt::Debug;
use std::path::Path;

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

pub(crate) const PREFIX: &str = "checkpoint-";
pub(crate) const BATCH_PREFIX: &str = "batch-";

/// The batch time a name `<prefix><ms>[-suffix]` carries.
pub(crate) fn time_of(name: &str, prefix: &str) -> Option<u64> {
    let rest = name.strip_prefix(prefix)?;
    let digits = rest.split_once('-').map_or(rest, |(d, _)| d);
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_names_batch_time() {
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
