//! Checkpoints and fencing epochs on an object store (`checkpoint "s3://bucket/prefix"`,
//! feature `object-store`), through the `object_store` crate.
//!
//! An object store has no rename and no exclusive create of a file in a directory, so the
//! local directory's protocol (ARCHITECTURE.md, "The checkpoint directory") becomes:
//!
//! ```text
//! <prefix>/checkpoint-<ms>-<nonce>   a checkpoint, written once under a name no other
//!                                    writer uses (never overwritten: a zombie cannot
//!                                    damage a published one)
//! <prefix>/_pointer                  JSON: {"epoch", "owner", "checkpoints": [newest first],
//!                                    "logs": [the batch logs after the newest checkpoint]}
//! ```
//!
//! - **Publish** = write the checkpoint object, then a *conditional* write of the pointer:
//!   `PutMode::Update` with the e-tag of the pointer this owner last read or wrote
//!   (`PutMode::Create` for the first; S3's `If-Match` / `If-None-Match: *`). A restore
//!   reads the pointer, so only published checkpoints are ever read.
//! - **Batch logs** (a batch's input positions, written before it runs) live in the
//!   pointer too, written by the same conditional write, and a publication drops those it
//!   covers: one request per batch, as an object of its own would be, and a fenced
//!   owner's late log is refused.
//! - **Fencing**: the epoch lives in the pointer and is raised by the same conditional
//!   write, so of two owners racing for it exactly one wins (the other reads again and
//!   takes the next). Raising it changes the pointer's e-tag, so the previous owner's next
//!   publication is refused *by the store*, not by a check that a paused process could
//!   pass just before the new owner's claim.
//! - A conditional write whose answer was lost (the store applied it, then the connection
//!   broke) is retried and refused; the pointer is then read again, and if it is this
//!   owner's write, the publication stands.
//! - **Retries**: every request is retried with exponential backoff (object_store's
//!   `RetryConfig`, each retry logged by it) for up to [`RETRY_TIMEOUT`]; past that the
//!   batch fails with the store's error.
//! - **Clean-up**: the pointer lists the newest [`super::KEEP`] checkpoints; one that falls
//!   off the list is deleted once the pointer no longer names it, and checkpoint objects
//!   the pointer never named (a crash between the two writes, a fenced owner) are found by
//!   a listing (paginated by object_store) and deleted.
//!
//! The calls are blocking (the batch thread's protocol is); the requests run on one
//! runtime of this module's own, never on the caller's: the caller waits on a channel, so
//! no `block_on` runs inside a tokio worker.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig,
    UpdateVersion,
};
use tracing::{info, warn};

use super::store::{BATCH_PREFIX, CheckpointStore, PREFIX, time_of};
use crate::error::StreamingError;

/// How long a request is retried before the batch fails: a store restarting or briefly
/// unreachable is waited for this long.
pub const RETRY_TIMEOUT: Duration = Duration::from_secs(30);
const POINTER: &str = "_pointer";
/// Conditional writes lost to other owners before a claim gives up.
const CLAIM_ATTEMPTS: usize = 64;

/// The pointer object: who owns the location and which checkpoints are published.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Pointer {
    /// The fencing epoch (0: never claimed; a pipeline outside a cluster keeps 0).
    epoch: u64,
    /// A nonce of the owner that wrote it, so that two owners' pointers differ even when
    /// their epochs and lists do (their e-tags must differ).
    owner: String,
    /// Published checkpoints' object names, newest first.
    checkpoints: Vec<String>,
    /// The batch logs after the newest checkpoint: (batch ms, the log in hex), oldest
    /// first. A log lives in the pointer, not in an object of its own, so that writing it
    /// is the same conditional write as a claim or a publication: a fenced owner's late
    /// log is refused by the store (as an object, it could replace the new owner's log of
    /// the same batch, and a later restore would replay other input than ran).
    #[serde(default)]
    logs: Vec<(u64, String)>,
}

/// The pointer as this owner last read or wrote it.
#[derive(Clone, Debug, Default)]
struct Seen {
    /// `None`: there was no pointer (the next write creates it).
    version: Option<UpdateVersion>,
    pointer: Pointer,
}

/// A checkpoint location in an object store.
#[derive(Debug)]
pub struct ObjectCheckpoints {
    url: String,
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    /// This owner's nonce: in its checkpoints' names and its pointers.
    nonce: String,
    seen: Mutex<Option<Seen>>,
}

impl ObjectCheckpoints {
    /// Opens `s3://bucket/prefix` (S3 and the stores that speak its API),
    /// `gs://bucket/prefix` (Google Cloud Storage) or `az://container/prefix` (Azure Blob
    /// Storage; `abfs[s]://` URLs too), configured from the environment as `object_store`'s
    /// builders read it: `AmazonS3Builder::from_env` (`AWS_ENDPOINT`, `AWS_ALLOW_HTTP`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, ...),
    /// `GoogleCloudStorageBuilder::from_env` (`GOOGLE_SERVICE_ACCOUNT`, ...),
    /// `MicrosoftAzureBuilder::from_env` (`AZURE_STORAGE_ACCOUNT_NAME`,
    /// `AZURE_STORAGE_ACCOUNT_KEY`, ...). All three support the conditional writes the
    /// pointer needs.
    pub fn open(url: &str) -> Result<Self, StreamingError> {
        let config =
            |e: &dyn std::fmt::Display| StreamingError::Config(format!("checkpoint {url:?}: {e}"));
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(config(&"not a URL"));
        };
        let prefix = rest.split_once('/').map_or("", |(_, p)| p);
        // The HTTP client's TLS takes the process's default crypto provider (the crate is
        // built with ring and no provider of its own, Cargo.toml says why). Installing
        // fails only when one is installed already (by us or the application): either
        // way there is one. rustls deprecates ring's provider for lacking post-quantum key
        // exchange; an application that wants it installs aws-lc-rs's provider first
        // (README, "Checkpoints on an object store"), and this one then stays unused.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(50),
                max_backoff: Duration::from_secs(2),
                base: 2.0,
            },
            max_retries: 30,
            retry_timeout: RETRY_TIMEOUT,
        };
        let store: Arc<dyn ObjectStore> = match scheme {
            "s3" | "s3a" => Arc::new(
                AmazonS3Builder::from_env()
                    .with_url(url)
                    .with_retry(retry)
                    .build()
                    .map_err(|e| config(&e))?,
            ),
            "gs" => Arc::new(
                GoogleCloudStorageBuilder::from_env()
                    .with_url(url)
                    .with_retry(retry)
                    .build()
                    .map_err(|e| config(&e))?,
            ),
            "az" | "azure" | "abfs" | "abfss" => Arc::new(
                MicrosoftAzureBuilder::from_env()
                    .with_url(url)
                    .with_retry(retry)
                    .build()
                    .map_err(|e| config(&e))?,
            ),
            other => {
                return Err(config(&format!(
                    "no object store is called {other}://: s3:// (S3 and stores that speak \
                     its API), gs:// (Google Cloud Storage) or az:// (Azure Blob Storage)"
                )));
            }
        };
        Ok(ObjectCheckpoints {
            url: url.trim_end_matches('/').to_string(),
            store,
            prefix: ObjectPath::from(prefix),
            nonce: format!("{:016x}", nonce()),
            seen: Mutex::new(None),
        })
    }

    fn path(&self, name: &str) -> ObjectPath {
        self.prefix.clone().join(name)
    }

    fn error(&self, what: &str, e: impl std::fmt::Display) -> StreamingError {
        StreamingError::Custom(format!("checkpoint {}: {what}: {e}", self.url))
    }

    /// Reads the pointer and remembers it as the one this owner builds on.
    pub fn read_pointer(&self) -> Result<u64, StreamingError> {
        let seen = self.fetch_pointer()?;
        let epoch = seen.pointer.epoch;
        self.remember(seen);
        Ok(epoch)
    }

    fn fetch_pointer(&self) -> Result<Seen, StreamingError> {
        let store = self.store.clone();
        let path = self.path(POINTER);
        let got = run(async move {
            match store.get(&path).await {
                Ok(got) => {
                    let version = UpdateVersion {
                        e_tag: got.meta.e_tag.clone(),
                        version: got.meta.version.clone(),
                    };
                    Ok(Some((version, got.bytes().await?)))
                }
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })?
        .map_err(|e| self.error("reading the pointer", e))?;
        let Some((version, bytes)) = got else {
            return Ok(Seen::default());
        };
        let pointer = serde_json::from_slice(&bytes)
            .map_err(|e| self.error("the pointer does not decode", e))?;
        Ok(Seen {
            version: Some(version),
            pointer,
        })
    }

    fn remember(&self, seen: Seen) {
        if let Ok(mut slot) = self.seen.lock() {
            *slot = Some(seen);
        }
    }

    fn last_seen(&self) -> Result<Seen, StreamingError> {
        let seen = self.seen.lock().ok().and_then(|s| s.clone());
        match seen {
            Some(seen) => Ok(seen),
            None => {
                let seen = self.fetch_pointer()?;
                self.remember(seen.clone());
                Ok(seen)
            }
        }
    }

    /// Writes `pointer` on condition that the store still holds the one `on` read:
    /// `Ok(false)` when another writer changed it since.
    fn swap_pointer(&self, on: &Seen, pointer: Pointer) -> Result<bool, StreamingError> {
        let bytes =
            serde_json::to_vec(&pointer).map_err(|e| self.error("encoding the pointer", e))?;
        let mode = match &on.version {
            Some(version) => PutMode::Update(version.clone()),
            None => PutMode::Create,
        };
        let put = self.put_conditional(POINTER, bytes, mode)?;
        match put {
            Ok(result) => {
                self.remember(Seen {
                    version: Some(UpdateVersion {
                        e_tag: result.e_tag,
                        version: result.version,
                    }),
                    pointer,
                });
                Ok(true)
            }
            Err(object_store::Error::Precondition { .. })
            | Err(object_store::Error::AlreadyExists { .. }) => {
                // Refused: either another writer's, or this one's own write applied before
                // its answer was lost and the retry found it done.
                let now = self.fetch_pointer()?;
                if now.pointer == pointer {
                    self.remember(now);
                    return Ok(true);
                }
                Ok(false)
            }
            Err(e) => Err(self.error("writing the pointer", e)),
        }
    }

    /// Keeps the pointer's batch logs whose batch time `keep` accepts (one conditional
    /// write, none when every log stays).
    fn keep_logs(&self, keep: impl Fn(u64) -> bool) -> Result<(), StreamingError> {
        let seen = self.last_seen()?;
        if seen.pointer.logs.iter().all(|(t, _)| keep(*t)) {
            return Ok(());
        }
        let mut pointer = seen.pointer.clone();
        pointer.owner = self.nonce.clone();
        pointer.logs.retain(|(t, _)| keep(*t));
        if !self.swap_pointer(&seen, pointer)? {
            return Err(self.refused(&seen, "removal of batch logs"));
        }
        Ok(())
    }

    /// A conditional write of `name`, retried with backoff for up to [`RETRY_TIMEOUT`]
    /// when it fails for another reason than its condition. `object_store` retries only
    /// what is safe to send twice, and a conditional write is not to it; here it is: a
    /// write applied whose answer was lost is refused when sent again, and the callers
    /// read the object then to see whose write stands.
    fn put_conditional(
        &self,
        name: &str,
        bytes: Vec<u8>,
        mode: PutMode,
    ) -> Result<object_store::Result<object_store::PutResult>, StreamingError> {
        let payload = PutPayload::from(bytes);
        let deadline = std::time::Instant::now() + RETRY_TIMEOUT;
        let mut backoff = Duration::from_millis(50);
        loop {
            let (store, path) = (self.store.clone(), self.path(name));
            let (payload, options) = (payload.clone(), PutOptions::from(mode.clone()));
            let put = run(async move { store.put_opts(&path, payload, options).await })?;
            match put {
                Err(e @ object_store::Error::Generic { .. })
                    if std::time::Instant::now() + backoff < deadline =>
                {
                    warn!(location = %self.url, object = name, error = %e, backoff_ms = backoff.as_millis() as u64, "a conditional write failed; retrying");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
                other => return Ok(other),
            }
        }
    }

    /// Why the store refused a conditional write of the pointer built on `seen`: another
    /// owner claimed the location since ([`StreamingError::Fenced`]), or another writer
    /// of the same epoch wrote it (two pipelines sharing a location).
    fn refused(&self, seen: &Seen, what: &str) -> StreamingError {
        match self.fetch_pointer() {
            Ok(now) if now.pointer.epoch > seen.pointer.epoch => StreamingError::Fenced {
                what: self.url.clone(),
                epoch: seen.pointer.epoch,
                owner: now.pointer.epoch,
            },
            Ok(_) => StreamingError::Custom(format!(
                "checkpoint {}: another writer changed the location since this pipeline \
                 read it (two pipelines share it?); the store refused this one's {what}",
                self.url
            )),
            Err(e) => e,
        }
    }

    /// One attempt at claiming the epoch after the pointer this owner last read, without
    /// reading it again: `Ok(None)` when another owner wrote the pointer since (it won).
    pub fn try_claim(&self) -> Result<Option<u64>, StreamingError> {
        let seen = self.last_seen()?;
        let mut pointer = seen.pointer.clone();
        pointer.epoch += 1;
        pointer.owner = self.nonce.clone();
        let epoch = pointer.epoch;
        Ok(self.swap_pointer(&seen, pointer)?.then_some(epoch))
    }

    fn put_object(&self, name: &str, bytes: Vec<u8>) -> Result<String, StreamingError> {
        let store = self.store.clone();
        let path = self.path(name);
        run(async move { store.put(&path, PutPayload::from(bytes)).await })?
            .map_err(|e| self.error(&format!("writing {name}"), e))?;
        Ok(format!("{}/{name}", self.url))
    }
}

impl CheckpointStore for ObjectCheckpoints {
    fn location(&self) -> String {
        self.url.clone()
    }

    fn publish_checkpoint(&self, ms: u64, bytes: Vec<u8>) -> Result<String, StreamingError> {
        let name = format!("{PREFIX}{ms:020}-{}", self.nonce);
        let written = self.put_object(&name, bytes)?;
        let seen = self.last_seen()?;
        let mut pointer = seen.pointer.clone();
        pointer.owner = self.nonce.clone();
        pointer.checkpoints.retain(|n| n != &name);
        pointer.checkpoints.insert(0, name.clone());
        let dropped = pointer
            .checkpoints
            .split_off(super::KEEP.min(pointer.checkpoints.len()));
        // The logs of the batches it covers are no longer needed.
        pointer.logs.retain(|(t, _)| *t > ms);
        if !self.swap_pointer(&seen, pointer)? {
            // Ours was never published: nobody reads it.
            let _ = self.delete(&name);
            return Err(self.refused(&seen, "checkpoint"));
        }
        for old in dropped {
            if let Err(e) = self.delete(&old) {
                warn!(object = %old, error = %e, "could not remove an old checkpoint");
            }
        }
        Ok(written)
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>, StreamingError> {
        let seen = self.fetch_pointer()?;
        let list = (seen.pointer.checkpoints.iter())
            .filter_map(|name| Some((time_of(name, PREFIX)?, name.clone())))
            .collect();
        self.remember(seen);
        Ok(list)
    }

    /// The pointer keeps the newest [`super::KEEP`] (older ones are deleted as they fall
    /// off it); this removes the checkpoint objects it never named and that are older than
    /// its newest (a crash between the object and the pointer, a fenced owner's).
    fn prune_checkpoints(&self, _keep: usize) {
        let Ok(seen) = self.last_seen() else { return };
        let published = &seen.pointer.checkpoints;
        let Some(newest) = published.first().and_then(|n| time_of(n, PREFIX)) else {
            return;
        };
        let listed = match self.list(PREFIX) {
            Ok(listed) => listed,
            Err(e) => {
                warn!(error = %e, "could not list old checkpoints to remove");
                return;
            }
        };
        for name in listed {
            let orphan =
                !published.contains(&name) && time_of(&name, PREFIX).is_some_and(|ms| ms < newest);
            if orphan {
                if let Err(e) = self.delete(&name) {
                    warn!(object = %name, error = %e, "could not remove an unpublished checkpoint");
                }
            }
        }
    }

    /// A conditional write of the pointer with the log added (see the module's docs).
    fn write_log(&self, ms: u64, bytes: Vec<u8>) -> Result<String, StreamingError> {
        let seen = self.last_seen()?;
        let mut pointer = seen.pointer.clone();
        pointer.owner = self.nonce.clone();
        pointer.logs.retain(|(t, _)| *t != ms);
        pointer.logs.push((ms, hex(&bytes)));
        pointer.logs.sort_by_key(|(t, _)| *t);
        if !self.swap_pointer(&seen, pointer)? {
            return Err(self.refused(&seen, "batch log"));
        }
        Ok(format!("{}/{POINTER} ({BATCH_PREFIX}{ms})", self.url))
    }

    /// Drops the logs the newest publication covers (it dropped them already) or, at a
    /// fresh start, every log a previous life of the location left.
    fn prune_logs(&self, through_ms: u64) -> Result<(), StreamingError> {
        self.keep_logs(|t| t > through_ms)
    }

    /// The logs in the pointer as it is now (read at a restore).
    fn logs(&self) -> Result<Vec<(u64, String)>, StreamingError> {
        let seen = self.fetch_pointer()?;
        let logs = (seen.pointer.logs.iter().rev())
            .map(|(ms, _)| (*ms, format!("{BATCH_PREFIX}{ms:020}")))
            .collect();
        self.remember(seen);
        Ok(logs)
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StreamingError> {
        if let Some(ms) = time_of(name, BATCH_PREFIX) {
            // A batch log: from the pointer [`CheckpointStore::logs`] read.
            let seen = self.last_seen()?;
            let Some((_, text)) = seen.pointer.logs.iter().find(|(t, _)| *t == ms) else {
                return Ok(None);
            };
            return unhex(text)
                .map(Some)
                .ok_or_else(|| self.error("a batch log in the pointer", "not hex"));
        }
        let store = self.store.clone();
        let path = self.path(name);
        let got = run(async move {
            match store.get(&path).await {
                Ok(got) => got.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })?;
        got.map(|b| b.map(|b| b.to_vec()))
            .map_err(|e| self.error(&format!("reading {name}"), e))
    }

    fn put(&self, name: &str, bytes: Vec<u8>) -> Result<(), StreamingError> {
        self.put_object(name, bytes).map(drop)
    }

    /// `If-None-Match: *` (`PutMode::Create`): the store refuses all but the first.
    fn create(&self, name: &str, bytes: Vec<u8>) -> Result<bool, StreamingError> {
        let put = self.put_conditional(name, bytes, PutMode::Create)?;
        match put {
            Ok(_) => Ok(true),
            // (A retried create whose first answer was lost is refused too: the caller
            // reads the object, which holds its own bytes then.)
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => Ok(false),
            Err(e) => Err(self.error(&format!("creating {name}"), e)),
        }
    }

    /// The objects directly under the prefix (a delimited listing: the objects of the
    /// locations below it, a cluster's partitions under its root, are not its own).
    fn list(&self, prefix: &str) -> Result<Vec<String>, StreamingError> {
        let store = self.store.clone();
        let under = self.prefix.clone();
        let listed = run(async move { store.list_with_delimiter(Some(&under)).await })?
            .map_err(|e| self.error("listing", e))?;
        Ok((listed.objects.into_iter())
            .filter_map(|meta| meta.location.filename().map(str::to_string))
            .filter(|name| name.starts_with(prefix))
            .collect())
    }

    fn delete(&self, name: &str) -> Result<(), StreamingError> {
        if let Some(ms) = time_of(name, BATCH_PREFIX) {
            // A batch log is in the pointer: dropped from it by a conditional write.
            return self.keep_logs(|t| t != ms);
        }
        let store = self.store.clone();
        let path = self.path(name);
        match run(async move { store.delete(&path).await })? {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error(&format!("removing {name}"), e)),
        }
    }

    fn claim_epoch(&self) -> Result<u64, StreamingError> {
        for _ in 0..CLAIM_ATTEMPTS {
            self.read_pointer()?;
            if let Some(epoch) = self.try_claim()? {
                info!(location = %self.url, epoch, "claimed the checkpoint location");
                return Ok(epoch);
            }
        }
        Err(StreamingError::Custom(format!(
            "checkpoint {}: lost {CLAIM_ATTEMPTS} claims in a row to other owners",
            self.url
        )))
    }

    fn highest_epoch(&self) -> Result<u64, StreamingError> {
        Ok(self.fetch_pointer()?.pointer.epoch)
    }
}

/// Runs `fut` on this module's runtime and waits for it on the calling thread.
fn run<T: Send + 'static>(
    fut: impl Future<Output = T> + Send + 'static,
) -> Result<T, StreamingError> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    let runtime = RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("object-store")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| StreamingError::Custom(format!("object store: starting its runtime: {e}")))?;
    let (tx, rx) = mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .map_err(|_| StreamingError::Custom("object store: a request was dropped".into()))
}

/// A random 64-bit number (std's hasher keys are random per process and per call).
fn nonce() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// Bytes as lowercase hex (a batch log in the pointer's JSON: tens of bytes).
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// [`hex`] read back; `None` when the text is not hex.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_names_its_store_by_the_url_scheme() {
        // Opening builds a client and reads no object: no server is needed.
        let gcs = ObjectCheckpoints::open("gs://bucket/jobs/word-count").unwrap();
        assert_eq!(gcs.location(), "gs://bucket/jobs/word-count");
        assert_eq!(gcs.prefix.as_ref(), "jobs/word-count");
        let err = ObjectCheckpoints::open("ftp://host/dir")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("s3://") && err.contains("gs://") && err.contains("az://"),
            "{err}"
        );
        assert_eq!(
            unhex(&hex(b"\x00\x7f\xff log")).unwrap(),
            b"\x00\x7f\xff log"
        );
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
