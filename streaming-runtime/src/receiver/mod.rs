//! Receivers: long-running tasks that bring data in, like Spark's `Receiver`.
//!
//! Implement [`Receiver`] for a custom source and use it with `source receiver(expr)`.

use std::future::Future;
use std::sync::Arc;

use crate::block::Block;
use crate::error::StreamingError;
use crate::store::Store;

pub mod lines;
pub mod socket;
pub mod stdin;

/// A custom source. `receive` runs on the pipeline's tokio runtime and pushes records into
/// `store` until its input ends (return `Ok`) or [`Store::is_stopping`] becomes true.
/// `store.push(..).await` waits while the pipeline's buffer is full: that is how a fast
/// producer is slowed down.
///
/// ```ignore
/// struct Ticks(u64);
/// impl Receiver for Ticks {
///     type Block = Vec<u64>;
///     fn name(&self) -> String { "ticks".into() }
///     async fn receive(self, store: Arc<Store<Vec<u64>>>) -> Result<(), StreamingError> {
///         for i in 0..self.0 { store.push(vec![i]).await; }
///         Ok(())
///     }
/// }
/// ```
pub trait Receiver: Send + 'static {
    /// What the receiver fills: [`crate::LineBlock`] for text, `Vec<T>` for typed records.
    type Block: Block;

    /// A name for logs and metrics, e.g. `socket localhost:9999`.
    fn name(&self) -> String;

    /// Receives until the input ends or the store asks to stop.
    fn receive(
        self,
        store: Arc<Store<Self::Block>>,
    ) -> impl Future<Output = Result<(), StreamingError>> + Send;
}
