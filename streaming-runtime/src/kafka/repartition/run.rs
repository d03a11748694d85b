//! The *run* a shuffled record belongs to: one life of a job's checkpoint.
//!
//! A job is reset by stopping it and deleting its checkpoint directory, but the shuffle
//! topic keeps the records the earlier run wrote. Their units look like the new run's to
//! the reader (same writers, batch times and fence epochs starting again at 1), so the
//! reader could hand them on a second time, or take the new run's units for a fenced
//! owner's when the old epochs were higher. Every record therefore carries its run id, and
//! the reader skips (and counts) the records of any other run.
//!
//! A run id is born with the checkpoint and dies with it:
//!
//! - in a cluster, every task of the job writes to every partition of the topic, so the
//!   id is shared: a file `shuffle-run` in the cluster's checkpoint root, created by the
//!   first task that needs it ([`cluster_run`]) and read by all others;
//! - a single process keeps the id in the stage's checkpointed state, drawn afresh when
//!   there is no checkpoint ([`fresh_run`]).
//!
//! The reader still starts at the topic's first offset and skips the earlier runs'
//! records, rather than starting at the end the topic had when the run began: the tasks
//! of a cluster start at different moments, and a task starting "at the end" could miss
//! what another task's writer already sent in the new run. A reset reads the input topic
//! from its start as well, so reading the shuffle's retained records once costs about as
//! much again.

use std::path::Path;

use crate::checkpoint::CheckpointStore;
use crate::error::StreamingError;

/// The object in a cluster's checkpoint location holding its run id.
const FILE: &str = "shuffle-run";

/// A new run id: the time and the process id, hashed; never 0 (the id of records written
/// before runs existed, and of a stage that has not joined a run yet).
pub(super) fn fresh_run() -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = ahash::RandomState::new().build_hasher();
    std::time::SystemTime::now().hash(&mut h);
    std::process::id().hash(&mut h);
    h.finish().max(1)
}

/// The run id of the cluster whose shared checkpoint location is `root` (a directory or an
/// object store's prefix): read from `root/shuffle-run`, or created there when it is
/// missing (the job is new or was reset).
///
/// The record appears whole or not at all, and its creation is exclusive
/// ([`CheckpointStore::create`]: a hard link in a directory, `If-None-Match: *` on an
/// object store): two tasks starting together agree on one id, the loser reading the
/// winner's.
pub(super) fn cluster_run(root: &Path) -> Result<u64, StreamingError> {
    let store = crate::checkpoint::open_store(root)?;
    run_in(store.as_ref())
}

fn run_in(store: &dyn CheckpointStore) -> Result<u64, StreamingError> {
    if let Some(run) = read(store)? {
        return Ok(run);
    }
    let run = fresh_run();
    if store.create(FILE, format!("{run}\n").into_bytes())? {
        tracing::info!(location = %store.location(), run, "a new run of the job: the shuffle topic's earlier records will be skipped");
        return Ok(run);
    }
    // Another task created it first: its id is the run's.
    read(store)?.ok_or_else(|| {
        StreamingError::Custom(format!(
            "{}/{FILE}: vanished while it was being read",
            store.location()
        ))
    })
}

/// The run id in the store, `None` when there is none.
fn read(store: &dyn CheckpointStore) -> Result<Option<u64>, StreamingError> {
    let Some(bytes) = store.get(FILE)? else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&bytes);
    match text.trim().parse::<u64>() {
        Ok(run) if run != 0 => Ok(Some(run)),
        _ => Err(StreamingError::Custom(format!(
            "{}/{FILE}: not a run id: {text:?} (to reset the job, stop every process and delete the whole checkpoint location)",
            store.location()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn tasks_starting_together_join_one_run_and_a_reset_starts_another() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("checkpoint");
        // A creator killed before linking its file left one: the creation removes it.
        fs::create_dir_all(&root).unwrap();
        fs::write(root.join(format!(".{FILE}.tmp-1-2")), "2\n").unwrap();
        let barrier = std::sync::Barrier::new(8);
        let runs: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        cluster_run(&root).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(runs.iter().all(|&r| r == runs[0] && r != 0), "{runs:?}");
        assert_eq!(cluster_run(&root).unwrap(), runs[0], "it lasts");
        let left: Vec<_> = fs::read_dir(&root).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "no temporary file is left");
        fs::remove_dir_all(&root).unwrap();
        assert_ne!(cluster_run(&root).unwrap(), runs[0], "a reset is a new run");
    }

    #[test]
    fn a_damaged_run_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE), "").unwrap();
        let err = cluster_run(dir.path()).unwrap_err().to_string();
        assert!(err.contains(FILE) && err.contains("delete"), "{err}");
    }
}
