//! `receiver(expr)` and every receiver-based source (socket, stdin): the receiver runs as a
//! tokio task pushing into a bounded [`Store`]; batches take what was sealed for them.

use std::sync::{Arc, Mutex};

use tracing::{error, info};

use super::{IntoSource, Source, SourceControl};
use crate::block::Block;
use crate::error::StreamingError;
use crate::metrics::SourceMetrics;
use crate::receiver::Receiver;
use crate::receiver::socket::SocketReceiver;
use crate::receiver::stdin::StdinReceiver;
use crate::store::{DEFAULT_BUFFER_BYTES, Store};
use crate::time::BatchTime;
use crate::wal::Wal;

/// A [`Receiver`] wired to a bounded store.
pub struct ReceiverSource<R: Receiver> {
    shared: Arc<Shared<R>>,
}

struct Shared<R: Receiver> {
    store: Arc<Store<R::Block>>,
    receiver: Mutex<Option<R>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// A source running `receiver`, buffering at most [`DEFAULT_BUFFER_BYTES`].
pub fn receiver<R: Receiver>(receiver: R) -> ReceiverSource<R> {
    ReceiverSource::with_buffer(receiver, DEFAULT_BUFFER_BYTES)
}

impl<R: Receiver> ReceiverSource<R> {
    /// A source running `receiver`, whose pushes wait once `bytes` are buffered.
    pub fn with_buffer(receiver: R, bytes: usize) -> Self {
        let metrics = Arc::new(SourceMetrics::new(receiver.name()));
        ReceiverSource {
            shared: Arc::new(Shared {
                store: Arc::new(Store::new(bytes, metrics)),
                receiver: Mutex::new(Some(receiver)),
                task: Mutex::new(None),
            }),
        }
    }

    /// The store the receiver pushes into.
    pub fn store(&self) -> &Arc<Store<R::Block>> {
        &self.shared.store
    }
}

impl<R: Receiver> Source for ReceiverSource<R> {
    type Batch = R::Block;

    fn control(&self) -> Arc<dyn SourceControl> {
        self.shared.clone()
    }

    fn next_batch(&mut self, time: BatchTime) -> Result<R::Block, StreamingError> {
        Ok(self.shared.store.take(time))
    }
}

impl<R: Receiver> SourceControl for Shared<R> {
    fn start(&self, runtime: &tokio::runtime::Handle) -> Result<(), StreamingError> {
        let Some(receiver) = self
            .receiver
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        else {
            return Ok(()); // already started
        };
        let store = Arc::clone(&self.store);
        let name = receiver.name();
        let task = runtime.spawn(async move {
            info!(source = %name, "receiver started");
            match receiver.receive(Arc::clone(&store)).await {
                Ok(()) => info!(source = %name, "receiver ended"),
                Err(e) => {
                    store.metrics().add_errors(1);
                    error!(source = %name, error = %e, "receiver failed; the source ends here");
                }
            }
            store.close();
        });
        *self.task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
        Ok(())
    }

    fn seal(&self, time: BatchTime) {
        self.store.seal(time);
    }

    fn is_finished(&self) -> bool {
        self.store.is_finished()
    }

    fn stop(&self) {
        self.store.stop();
        if let Some(task) = self.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            task.abort();
        }
    }

    fn metrics(&self) -> Arc<SourceMetrics> {
        Arc::clone(self.store.metrics())
    }

    fn enable_wal(
        &self,
        path: &std::path::Path,
        restored: Option<BatchTime>,
    ) -> Result<(), StreamingError> {
        match R::Block::log_format().map(|format| Wal::open(path, restored, format)) {
            Some(Ok((wal, replay))) => {
                if replay.records() > 0 {
                    info!(source = %self.store.metrics().name(), lines = replay.records(), "write-ahead log: replaying lines received after the checkpoint");
                }
                self.store.enable_wal(Box::new(wal), replay);
                Ok(())
            }
            Some(Err(e)) => Err(StreamingError::io(
                format!("write-ahead log {}", path.display()),
                e,
            )),
            None => {
                tracing::warn!(source = %self.store.metrics().name(), "this receiver's records cannot be write-ahead logged (only lines can); continuing without");
                Ok(())
            }
        }
    }

    fn checkpointed(&self, time: BatchTime) {
        self.store.checkpointed(time);
    }

    /// A failed write-ahead log fails the batch before it runs: everything it holds is
    /// in the log and comes back after a restart, but nothing more can be accepted.
    fn prepare(&self, _time: BatchTime) -> Result<(), StreamingError> {
        match self.store.wal_failure() {
            None => Ok(()),
            Some(why) => Err(StreamingError::Custom(format!(
                "the write-ahead log of source {} failed ({why}); its receiver stopped \
                 reading, and every line it accepted is in the log: fix the disk and \
                 restart, the lines after the last checkpoint are replayed",
                self.store.metrics().name()
            ))),
        }
    }

    fn set_rate_limit(&self, records_per_second: Option<u64>) {
        self.store.set_rate_limit(records_per_second);
    }
}

/// A source for one of this crate's receivers, compiled here once: its receiving task, store
/// and control are not instantiated again in every program that uses it (they were most of
/// what `source socket(..)` added to a release build).
macro_rules! compiled_here {
    ($(#[$doc:meta])* $name:ident, $receiver:ty, $block:ty) => {
        $(#[$doc])*
        pub struct $name(ReceiverSource<$receiver>);

        impl $name {
            pub(crate) fn new(source: ReceiverSource<$receiver>) -> Self {
                $name(source)
            }

            /// The store the receiver pushes into.
            pub fn store(&self) -> &Arc<Store<$block>> {
                self.0.store()
            }
        }

        // Not inlined into other crates, which would instantiate the receiver there again.
        impl Source for $name {
            type Batch = $block;
            #[inline(never)]
            fn control(&self) -> Arc<dyn SourceControl> {
                self.0.control()
            }
            #[inline(never)]
            fn next_batch(&mut self, time: BatchTime) -> Result<$block, StreamingError> {
                self.0.next_batch(time)
            }
        }
    };
}

compiled_here!(
    /// `source socket(host, port)`.
    SocketSource,
    SocketReceiver,
    crate::block::LineBlock
);
compiled_here!(
    /// `source stdin`.
    StdinSource,
    StdinReceiver,
    crate::block::LineBlock
);

// A receiver given as a source (`source socket(..)`, `source stdin`) becomes the source
// compiled here for it.
impl IntoSource for SocketReceiver {
    type Source = SocketSource;
    fn into_source(self) -> Self::Source {
        let bytes = self.buffer_bytes;
        SocketSource::new(ReceiverSource::with_buffer(self, bytes))
    }
}

impl IntoSource for StdinReceiver {
    type Source = StdinSource;
    fn into_source(self) -> Self::Source {
        StdinSource::new(receiver(self))
    }
}
