//! `stdin`: lines from standard input; the source ends at EOF (so a pipeline fed by
//! `cat file | app` stops once the file is processed).

use std::io::{self, Read};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::lines::{DEFAULT_MAX_LINE_BYTES, LineDecoder};
use crate::block::LineBlock;
use crate::error::StreamingError;
use crate::receiver::Receiver;
use crate::store::Store;

/// Bytes read at once; one block is pushed per read.
const READ_BUFFER_BYTES: usize = 256 << 10;

/// Standard input as a source of lines. Build it with [`stdin`].
#[derive(Clone, Debug)]
pub struct StdinReceiver {
    max_line_bytes: usize,
}

/// Lines from standard input.
pub fn stdin() -> StdinReceiver {
    StdinReceiver {
        max_line_bytes: DEFAULT_MAX_LINE_BYTES,
    }
}

impl StdinReceiver {
    /// Longer lines are cut to `max` bytes (default [`DEFAULT_MAX_LINE_BYTES`]).
    pub fn max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max;
        self
    }
}

impl Receiver for StdinReceiver {
    type Block = LineBlock;

    fn name(&self) -> String {
        "stdin".into()
    }

    async fn receive(self, store: Arc<Store<LineBlock>>) -> Result<(), StreamingError> {
        let metrics = Arc::clone(store.metrics());
        let mut decoder = LineDecoder::new(metrics).with_max_line_bytes(self.max_line_bytes);
        let mut chunks = spawn_reader()?;
        loop {
            if store.is_stopping() {
                return Ok(());
            }
            let chunk = match chunks.recv().await {
                None => break, // EOF
                Some(Ok(chunk)) => chunk,
                Some(Err(e)) => {
                    // Keep what was read; the source then ends with the error logged.
                    let mut block = LineBlock::new();
                    decoder.finish(&mut block);
                    store.push(block).await;
                    return Err(StreamingError::io("reading stdin", e));
                }
            };
            store.metrics().add_bytes(chunk.len() as u64);
            let mut block = LineBlock::new();
            decoder.feed(&chunk, &mut block);
            store.push(block).await;
        }
        // A last line without a newline is normal for piped files, so not counted partial.
        let mut block = LineBlock::new();
        decoder.end_of_input(&mut block);
        store.push(block).await;
        Ok(())
    }
}

/// Reads stdin on a plain thread. A blocking read of stdin cannot be cancelled: on tokio's
/// blocking pool it would keep the runtime from shutting down until the user hits enter,
/// while a detached thread simply ends with the process. The channel is bounded, so a full
/// store still stops the reading.
fn spawn_reader() -> Result<mpsc::Receiver<io::Result<Vec<u8>>>, StreamingError> {
    let (tx, rx) = mpsc::channel(2);
    std::thread::Builder::new()
        .name("stdin reader".into())
        .spawn(move || {
            let mut input = io::stdin().lock();
            loop {
                let mut buf = vec![0u8; READ_BUFFER_BYTES];
                let msg = match input.read(&mut buf) {
                    Ok(0) => return, // EOF: dropping `tx` ends the receiver's loop
                    Ok(n) => {
                        buf.truncate(n);
                        Ok(buf)
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(e),
                };
                let failed = msg.is_err();
                // An error from `blocking_send` means the receiver is gone.
                if tx.blocking_send(msg).is_err() || failed {
                    return;
                }
            }
        })
        .map_err(|e| StreamingError::io("starting the stdin reader thread", e))?;
    Ok(rx)
}
