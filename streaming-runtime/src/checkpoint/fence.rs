//! Fencing a partition's task: who owns a partition's state and output now.
//!
//! Each partition's checkpoint directory holds an `epochs/` directory with one empty file
//! per claim, named by its epoch. A process that is assigned the partition claims the next
//! epoch before it restores anything, and its task checks before each batch, before
//! writing a checkpoint, and (through [`Fence::check`] in a sink) before writing output,
//! that no higher epoch exists. A process that was presumed dead (paused, cut off) and
//! comes back finds a higher epoch and stops that task without writing: the new owner's
//! state and output stay as they are.
//!
//! A claim is the *exclusive creation* of the next epoch's file (`O_CREAT | O_EXCL`), so two
//! processes racing for a partition never get the same epoch: the loser of a race for `n`
//! takes `n + 1`, and the higher claim wins. The file and the directory are fsynced before
//! the claim counts, so a power loss cannot roll an epoch back. (A read-then-rename of one
//! `epoch` file, as before, let two concurrent claims read the same value and both
//! believe they owned the partition.) A directory written by the older form keeps its
//! `epoch` file's value as the floor of the next claim.
//!
//! The claims are kept by the partition's [`CheckpointStore`]: the `epochs/` directory
//! above for a directory (`local.rs`), a conditional write of the pointer object on an object store
//! ([`Fence::acquire_in`], see `object.rs`).
//!
//! The epoch lives beside the checkpoint rather than being Kafka's group generation
//! because the generation is not exposed by the client, and because the checkpoint
//! directory is what every process already shares (on one machine, or on shared storage).

use std::path::Path;
use std::sync::Arc;

use super::local::LocalStore;
use super::store::CheckpointStore;
use crate::error::StreamingError;

/// One owner's claim on a partition's state (cheap to clone).
#[derive(Clone, Debug)]
pub struct Fence {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Where the claims are: the partition's directory, or an object store.
    claims: Arc<dyn CheckpointStore>,
    epoch: u64,
    what: String,
}

impl Fence {
    /// Claims `dir` (created if missing) for `what` (e.g. `"partition 3 of lines"`): the
    /// next epoch after the highest claimed, created exclusively and made durable.
    pub fn acquire(dir: &Path, what: impl Into<String>) -> Result<Fence, StreamingError> {
        Fence::acquire_in(Arc::new(LocalStore::new(dir)), what)
    }

    /// Claims the next epoch in a checkpoint store (a directory or an object store, see
    /// [`super::open_store`]). Give the pipeline the same store
    /// ([`crate::pipeline::PipelineConfig::with_checkpoint_store`]): on an object store
    /// the claim also moves the pointer its checkpoints are published by, so a previous
    /// owner's next publication is refused by the store itself.
    pub fn acquire_in(
        claims: Arc<dyn CheckpointStore>,
        what: impl Into<String>,
    ) -> Result<Fence, StreamingError> {
        let epoch = claims.claim_epoch()?;
        Ok(Fence {
            inner: Arc::new(Inner {
                claims,
                epoch,
                what: what.into(),
            }),
        })
    }

    /// This owner's epoch.
    pub fn epoch(&self) -> u64 {
        self.inner.epoch
    }

    /// `Ok` while no other process has claimed the partition since this one did.
    pub fn check(&self) -> Result<(), StreamingError> {
        let now = self.inner.claims.highest_epoch()?;
        if now <= self.inner.epoch {
            return Ok(());
        }
        Err(StreamingError::Fenced {
            what: self.inner.what.clone(),
            epoch: self.inner.epoch,
            owner: now,
        })
    }

    /// The error of a write this owner made after [`Fence::check`] passed: when another
    /// process has claimed the partition meanwhile, the write failed because of that claim
    /// (the new owner removes a fenced writer's temporary files before it restores, and an
    /// object store refuses the old owner's publication), and the error says so, as
    /// `check` would have; otherwise it is returned as it is.
    pub fn blame(&self, error: StreamingError) -> StreamingError {
        match self.check() {
            Err(fenced @ StreamingError::Fenced { .. }) => fenced,
            _ => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The race a paused process lost in CI: its check passed, the new owner claimed the
    /// partition and removed the old owner's temporary file, and the old owner's rename
    /// failed with NotFound. That is its fencing, not a failure of the process.
    #[test]
    fn a_write_failing_after_a_later_claim_is_blamed_on_the_fencing() {
        let dir = tempfile::tempdir().unwrap();
        let first = Fence::acquire(dir.path(), "t-0").unwrap();
        let lost_file = || {
            StreamingError::io(
                "checkpoint t-0: writing",
                std::io::Error::from(std::io::ErrorKind::NotFound),
            )
        };
        let alone = first.blame(lost_file());
        assert!(matches!(alone, StreamingError::Io { .. }), "{alone:?}");
        let _second = Fence::acquire(dir.path(), "t-0").unwrap();
        let raced = first.blame(lost_file());
        assert!(
            matches!(
                raced,
                StreamingError::Fenced {
                    epoch: 1,
                    owner: 2,
                    ..
                }
            ),
            "{raced:?}"
        );
    }

    #[test]
    fn a_later_claim_fences_the_earlier_owner() {
        let dir = tempfile::tempdir().unwrap();
        let first = Fence::acquire(dir.path(), "t-0").unwrap();
        assert_eq!(first.epoch(), 1);
        first.check().unwrap();
        let second = Fence::acquire(dir.path(), "t-0").unwrap();
        assert_eq!(second.epoch(), 2);
        second.check().unwrap();
        let err = first.check().unwrap_err().to_string();
        assert!(err.contains("t-0") && err.contains("epoch 2"), "{err}");
    }

    #[test]
    fn racing_claims_never_share_an_epoch_and_only_the_highest_owns() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let barrier = std::sync::Barrier::new(8);
            let fences: Vec<Fence> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            Fence::acquire(dir.path(), "t-0").unwrap()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let mut epochs: Vec<u64> = fences.iter().map(Fence::epoch).collect();
            epochs.sort();
            assert_eq!(epochs, (1..=8).collect::<Vec<_>>(), "distinct epochs");
            let owners = fences.iter().filter(|f| f.check().is_ok()).count();
            assert_eq!(owners, 1, "one owner");
        }
    }

    #[test]
    fn a_directory_fenced_by_the_old_epoch_file_continues_above_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("epoch"), "41").unwrap();
        assert_eq!(Fence::acquire(dir.path(), "t-0").unwrap().epoch(), 42);
    }

    #[test]
    fn old_claims_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let fences: Vec<Fence> = (0..20)
            .map(|_| Fence::acquire(dir.path(), "t-0").unwrap())
            .collect();
        let left = std::fs::read_dir(dir.path().join("epochs"))
            .unwrap()
            .count();
        assert!(
            left <= super::super::local::KEEP_CLAIMS as usize + 1,
            "{left} claims left"
        );
        assert!(fences[19].check().is_ok() && fences[0].check().is_err());
    }
}
