//! `socket(host, port)`: a TCP client reading text lines, like Spark's `socketTextStream`.
//!
//! The server going away is normal (think `nc -lk 9999` restarted): the receiver keeps the
//! partial line, waits with exponential backoff and reconnects, forever, until the pipeline
//! stops. While the store is full the socket is not read, so TCP slows the sender down.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tracing::{debug, info, warn};

use super::lines::{DEFAULT_MAX_LINE_BYTES, LineDecoder};
use crate::block::LineBlock;
use crate::error::StreamingError;
use crate::receiver::Receiver;
use crate::store::{DEFAULT_BUFFER_BYTES, Store};

/// Bytes read from the socket at once; one block is pushed per read.
const READ_BUFFER_BYTES: usize = 256 << 10;

/// How often a backoff wait checks whether the pipeline is stopping.
const STOP_POLL: Duration = Duration::from_millis(50);

/// A TCP client source of lines. Build it with [`socket`].
#[derive(Clone, Debug)]
pub struct SocketReceiver {
    host: String,
    port: u16,
    max_line_bytes: usize,
    pub(crate) buffer_bytes: usize,
    backoff_min: Duration,
    backoff_max: Duration,
}

/// Lines read from a TCP server at `host:port`, like Spark's `socketTextStream`.
pub fn socket(host: impl Into<String>, port: u16) -> SocketReceiver {
    SocketReceiver {
        host: host.into(),
        port,
        max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        buffer_bytes: DEFAULT_BUFFER_BYTES,
        backoff_min: Duration::from_millis(100),
        backoff_max: Duration::from_secs(5),
    }
}

/// Why a connection ended.
enum Ended {
    Eof,
    Failed(io::Error),
    Stopping,
}

impl SocketReceiver {
    /// Longer lines are cut to `max` bytes (default [`DEFAULT_MAX_LINE_BYTES`]).
    pub fn max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max;
        self
    }

    /// Capacity of the receiver's buffer (default [`DEFAULT_BUFFER_BYTES`]); when it is
    /// full the socket is not read until a batch takes data.
    pub fn buffer_bytes(mut self, bytes: usize) -> Self {
        self.buffer_bytes = bytes;
        self
    }

    /// Wait between reconnect attempts: starts at `min`, doubles up to `max`, and is reset
    /// by a connection that delivered data (defaults 100 ms and 5 s).
    pub fn reconnect_backoff(mut self, min: Duration, max: Duration) -> Self {
        // A zero wait would retry in a busy loop.
        self.backoff_min = min.max(Duration::from_millis(1));
        self.backoff_max = max.max(self.backoff_min);
        self
    }
}

/// Reads one connection until it ends, pushing one block per read. Also returns the bytes
/// read, so that a server that accepts and closes at once does not reset the backoff.
async fn read_connection(
    stream: &mut TcpStream,
    decoder: &mut LineDecoder,
    buf: &mut [u8],
    store: &Store<LineBlock>,
) -> (Ended, u64) {
    let mut total = 0u64;
    loop {
        if store.is_stopping() {
            return (Ended::Stopping, total);
        }
        // Under a rate limit, read about a tenth of a second's worth at a time, so that one
        // read's lines do not hold the receiver for long after the limit rises.
        let len = match store.rate_limit() {
            Some(rate) => limited_read_len(store.metrics(), rate, buf.len()),
            None => buf.len(),
        };
        let n = match stream.read(buf.get_mut(..len).unwrap_or_default()).await {
            Ok(0) => return (Ended::Eof, total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (Ended::Failed(e), total),
        };
        total += n as u64;
        store.metrics().add_bytes(n as u64);
        let mut block = LineBlock::new();
        decoder.feed(buf.get(..n).unwrap_or_default(), &mut block);
        // Waits while the store is full: the socket is not read meanwhile.
        store.push(block).await;
    }
}

/// Bytes to read at once under a limit of `rate` lines per second: a tenth of a second of
/// lines at the average length seen so far (100 bytes before any), at least 4 KiB.
fn limited_read_len(metrics: &crate::metrics::SourceMetrics, rate: u64, max: usize) -> usize {
    let snapshot = (metrics.bytes(), metrics.records());
    let line = match snapshot {
        (bytes, records) if records > 0 => (bytes / records).max(1),
        _ => 100,
    };
    let len = rate.saturating_mul(line) / 10;
    usize::try_from(len)
        .unwrap_or(max)
        .max(4096)
        .min(max)
        .max(1)
}

impl Receiver for SocketReceiver {
    type Block = LineBlock;

    fn name(&self) -> String {
        format!("socket {}:{}", self.host, self.port)
    }

    async fn receive(self, store: Arc<Store<LineBlock>>) -> Result<(), StreamingError> {
        let metrics = Arc::clone(store.metrics());
        let name = self.name();
        let mut decoder =
            LineDecoder::new(Arc::clone(&metrics)).with_max_line_bytes(self.max_line_bytes);
        let mut buf = vec![0u8; READ_BUFFER_BYTES];
        let mut backoff = self.backoff_min;
        // Attempts without data since data last arrived: only the first is logged loudly.
        let mut failures = 0u64;
        loop {
            if store.is_stopping() {
                return Ok(());
            }
            match TcpStream::connect((self.host.as_str(), self.port)).await {
                Ok(mut stream) => {
                    metrics.add_connects(1);
                    if failures == 0 {
                        info!(source = %name, "connected");
                    } else {
                        debug!(source = %name, "connected");
                    }
                    let (ended, bytes) =
                        read_connection(&mut stream, &mut decoder, &mut buf, &store).await;
                    let mut block = LineBlock::new();
                    decoder.finish(&mut block);
                    store.push(block).await;
                    if matches!(ended, Ended::Stopping) {
                        return Ok(());
                    }
                    metrics.add_disconnects(1);
                    if bytes > 0 {
                        backoff = self.backoff_min;
                        failures = 0;
                    }
                    failures += 1;
                    let error = match &ended {
                        Ended::Failed(e) => Some(e.to_string()),
                        _ => None,
                    };
                    if failures == 1 {
                        warn!(source = %name, error = ?error, "connection closed; reconnecting");
                    } else {
                        debug!(source = %name, error = ?error, "connection closed without data");
                    }
                }
                Err(e) => {
                    metrics.add_disconnects(1);
                    failures += 1;
                    if failures == 1 {
                        warn!(source = %name, error = %e, "cannot connect; retrying with backoff");
                    } else {
                        debug!(source = %name, error = %e, attempt = failures, "cannot connect");
                    }
                }
            }
            if !sleep_unless_stopping(&store, backoff).await {
                return Ok(());
            }
            backoff = backoff.saturating_mul(2).min(self.backoff_max);
        }
    }
}

/// Waits `d`; false if the store was asked to stop meanwhile.
async fn sleep_unless_stopping(store: &Store<LineBlock>, d: Duration) -> bool {
    // An absurd backoff (past the end of time) just means "wait until stopped".
    let deadline = tokio::time::Instant::now().checked_add(d);
    loop {
        if store.is_stopping() {
            return false;
        }
        let now = tokio::time::Instant::now();
        let left = match deadline {
            Some(deadline) if now >= deadline => return true,
            Some(deadline) => deadline - now,
            None => STOP_POLL,
        };
        tokio::time::sleep(left.min(STOP_POLL)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limited_read_is_a_tenth_of_a_second_of_lines() {
        let m = crate::metrics::SourceMetrics::new("t");
        // No lines yet: 100 bytes a line; 1000 lines/s -> 10 000 bytes.
        assert_eq!(limited_read_len(&m, 1000, 1 << 18), 10_000);
        m.add_bytes(5000);
        m.add_records(100); // 50 bytes a line
        assert_eq!(limited_read_len(&m, 1000, 1 << 18), 5000);
        assert_eq!(limited_read_len(&m, 1, 1 << 18), 4096, "at least 4 KiB");
        assert_eq!(
            limited_read_len(&m, u64::MAX, 1 << 18),
            1 << 18,
            "at most the buffer"
        );
        assert_eq!(
            limited_read_len(&m, 1, 100),
            100,
            "a small buffer is not overrun"
        );
    }
}
