//! Where `print` writes: stdout, or an in-memory buffer for tests.

use std::io::{StdoutLock, Write};
use std::sync::{Arc, Mutex};

/// Where `print` writes.
pub(crate) enum Output {
    Stdout,
    Buffer(OutputBuffer),
}

impl Output {
    /// The writer of one batch (stdout is locked once for the batch, not once per line).
    pub(crate) fn writer(&self) -> OutputWriter {
        match self {
            Output::Stdout => OutputWriter::Stdout(std::io::stdout().lock()),
            Output::Buffer(b) => OutputWriter::Buffer(b.clone()),
        }
    }
}

/// A batch's [`Output`], open.
pub(crate) enum OutputWriter {
    Stdout(StdoutLock<'static>),
    Buffer(OutputBuffer),
}

impl Write for OutputWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            OutputWriter::Stdout(s) => s.write(buf),
            OutputWriter::Buffer(b) => b.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            OutputWriter::Stdout(s) => s.write_all(buf),
            OutputWriter::Buffer(b) => b.write_all(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            OutputWriter::Stdout(s) => s.flush(),
            OutputWriter::Buffer(b) => b.flush(),
        }
    }
}

/// An in-memory stdout for tests: `pipeline.print_to(buffer.clone())`, then read it.
#[derive(Clone, Default)]
pub struct OutputBuffer(Arc<Mutex<Vec<u8>>>);

impl OutputBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything written so far, lossily decoded.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// Everything written so far; the buffer is emptied.
    pub fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for OutputBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
