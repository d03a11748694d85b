//! Fencing a partition's task: who owns a partition's state and output now.
//!
//! Each partition's checkpoint directory holds an `epoch` file. A process that is assigned
//! the partition raises the epoch by one before it restores anything, and its task checks
//! the file before each batch, before writing a checkpoint, and (through [`Fence::check`]
//! in a sink) before writing output. A process that was presumed dead (paused, cut off)
//! and comes back finds a higher epoch and stops that task without writing: the new owner's
//! state and output stay as they are.
//!
//! The epoch lives beside the checkpoint rather than being Kafka's group generation
//! because the generation is not exposed by the client, and because the checkpoint
//! directory is what every process already shares (on one machine, or on shared storage).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::StreamingError;

/// One owner's claim on a partition's state (cheap to clone).
#[derive(Clone, Debug)]
pub struct Fence {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: PathBuf,
    epoch: u64,
    what: String,
}

impl Fence {
    /// Claims `dir` (created if missing) for `what` (e.g. `"words-3"`): the stored epoch
    /// plus one, written atomically (a temporary file renamed over the old one).
    pub fn acquire(dir: &Path, what: impl Into<String>) -> Result<Fence, StreamingError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StreamingError::io(format!("creating {}", dir.display()), e))?;
        let file = dir.join("epoch");
        let epoch = read_epoch(&file)? + 1;
        let tmp = dir.join(format!(".epoch-{}.tmp", std::process::id()));
        std::fs::write(&tmp, epoch.to_string())
            .and_then(|()| std::fs::rename(&tmp, &file))
            .map_err(|e| StreamingError::io(format!("writing {}", file.display()), e))?;
        Ok(Fence {
            inner: Arc::new(Inner {
                file,
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
        let now = read_epoch(&self.inner.file)?;
        if now == self.inner.epoch {
            return Ok(());
        }
        Err(StreamingError::Fenced {
            what: self.inner.what.clone(),
            epoch: self.inner.epoch,
            owner: now,
        })
    }
}

/// The stored epoch (0 when there is none yet).
fn read_epoch(file: &Path) -> Result<u64, StreamingError> {
    match std::fs::read_to_string(file) {
        Ok(text) => text.trim().parse().map_err(|_| StreamingError::BadPath {
            path: file.to_path_buf(),
            reason: format!("not an epoch number: {text:?}"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(StreamingError::io(format!("reading {}", file.display()), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
