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

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write as _};
use std::path::Path;

use crate::error::StreamingError;

/// The file in a cluster's checkpoint root holding its run id.
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

/// The run id of the cluster whose shared checkpoint directory is `root`: read from
/// `root/shuffle-run`, or created there when it is missing (the job is new or was reset).
///
/// The file appears whole or not at all: the id is written to a temporary file, made
/// durable, and linked to its name, a step that fails when another task linked first (then
/// its id is read). Two tasks starting together therefore agree on one id.
pub(super) fn cluster_run(root: &Path) -> Result<u64, StreamingError> {
    let path = root.join(FILE);
    if let Some(run) = read(&path)? {
        remove_temporary_files(root);
        return Ok(run);
    }
    fs::create_dir_all(root)
        .map_err(|e| StreamingError::io(format!("creating {}", root.display()), e))?;
    // Tasks of one process may race here too: each its own temporary file.
    let run = fresh_run();
    let tmp = root.join(format!(".{FILE}.tmp-{}-{run}", std::process::id()));
    let written = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        writeln!(f, "{run}")?;
        f.sync_all()?;
        match fs::hard_link(&tmp, &path) {
            Ok(()) => {
                fs::File::open(root)?.sync_all()?;
                Ok(true)
            }
            // (NotFound: the run file existed, and a task that read it removed this
            // temporary file as a killed creator's.)
            Err(e) if matches!(e.kind(), ErrorKind::AlreadyExists | ErrorKind::NotFound) => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    })();
    let _ = fs::remove_file(&tmp);
    match written {
        Ok(true) => {
            tracing::info!(file = %path.display(), run, "a new run of the job: the shuffle topic's earlier records will be skipped");
            Ok(run)
        }
        // Another task created it first: its id is the run's.
        Ok(false) => read(&path)?.ok_or_else(|| StreamingError::BadPath {
            path: path.clone(),
            reason: "vanished while it was being read".into(),
        }),
        Err(e) => Err(StreamingError::io(
            format!("creating {}", path.display()),
            e,
        )),
    }
}

/// Removes the temporary files of creators killed before they linked theirs. Once the run
/// file exists every other one is a killed creator's or a loser's, which then reads the
/// run file (see the `NotFound` above).
fn remove_temporary_files(root: &Path) {
    let prefix = format!(".{FILE}.tmp-");
    for entry in fs::read_dir(root).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The run id in `path`, `None` when there is no such file.
fn read(path: &Path) -> Result<Option<u64>, StreamingError> {
    match fs::read_to_string(path) {
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(run) if run != 0 => Ok(Some(run)),
            _ => Err(StreamingError::BadPath {
                path: path.to_path_buf(),
                reason: format!(
                    "not a run id: {text:?} (to reset the job, stop every process and delete the whole checkpoint directory)"
                ),
            }),
        },
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StreamingError::io(format!("reading {}", path.display()), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_starting_together_join_one_run_and_a_reset_starts_another() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("checkpoint");
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
        // A creator killed before linking its file left one: the next task removes it.
        fs::write(root.join(format!(".{FILE}.tmp-1-2")), "2\n").unwrap();
        cluster_run(&root).unwrap();
        assert_eq!(fs::read_dir(&root).unwrap().count(), 1);
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
