//! `text_files(dir)`: every file moved into `dir` becomes input once, like Spark's
//! `textFileStream`: its lines. The directory watching is [`super::files`]'s.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use super::files::{FileFormat, FilesSource};
use crate::block::LineBlock;
use crate::metrics::SourceMetrics;
use crate::receiver::lines::{DEFAULT_MAX_LINE_BYTES, LineDecoder};

/// Bytes read from a file at once.
const READ_BUFFER_BYTES: usize = 256 << 10;

/// New files of a directory as lines, one batch's worth at a time. Build it with
/// [`text_files`].
pub type TextFilesSource = FilesSource<LineFormat>;

/// Files as lines (the [`FileFormat`] of `text_files`).
pub struct LineFormat {
    max_line_bytes: usize,
}

/// A source reading the lines of each file that appears in `dir` after its creation. A
/// missing or unreadable directory is logged and counted, and listed again at every batch;
/// an unreadable file is logged, counted and skipped.
pub fn text_files(dir: impl AsRef<Path>) -> TextFilesSource {
    FilesSource::new(
        dir.as_ref().to_path_buf(),
        LineFormat {
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        },
    )
}

impl TextFilesSource {
    /// Longer lines are cut to `max` bytes (default [`DEFAULT_MAX_LINE_BYTES`]).
    pub fn max_line_bytes(mut self, max: usize) -> Self {
        self.format.max_line_bytes = max;
        self
    }
}

impl FileFormat for LineFormat {
    type Batch = LineBlock;
    const KIND: &'static str = "text_files";
    // Spark's textFileStream reads files only; a subdirectory is not input.
    const BATCH_DIRS: bool = false;

    fn read(
        &mut self,
        path: &Path,
        metrics: &Arc<SourceMetrics>,
    ) -> Result<(LineBlock, u64), String> {
        self.read_lines(path, metrics).map_err(|e| e.to_string())
    }
}

impl LineFormat {
    /// Reads one file's lines.
    fn read_lines(
        &self,
        path: &Path,
        metrics: &Arc<SourceMetrics>,
    ) -> io::Result<(LineBlock, u64)> {
        let mut file = File::open(path)?;
        let mut decoder =
            LineDecoder::new(Arc::clone(metrics)).with_max_line_bytes(self.max_line_bytes);
        let mut buf = vec![0u8; READ_BUFFER_BYTES];
        let mut block = LineBlock::new();
        let mut bytes = 0u64;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            bytes += n as u64;
            decoder.feed(buf.get(..n).unwrap_or_default(), &mut block);
        }
        decoder.end_of_input(&mut block);
        Ok((block, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;
    use crate::time::BatchTime;
    use std::time::SystemTime;

    #[test]
    fn resumes_from_a_recorded_position_reading_each_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.txt");
        std::fs::write(&old, "ignored\n").unwrap();
        // Modified before the program started: already there.
        File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000))
            .unwrap();
        let t = BatchTime::from_millis;
        let mut src = text_files(dir.path());
        let control = src.control();
        control.record_positions();
        std::fs::write(dir.path().join("a.txt"), "a\n").unwrap();
        control.seal(t(1000));
        assert_eq!(
            src.next_batch(t(1000)).unwrap().iter().collect::<Vec<_>>(),
            ["a"]
        );
        let pos = control.position(t(1000)).unwrap();
        // More files arrive and are read, then the process "crashes".
        std::fs::write(dir.path().join("b.txt"), "b\n").unwrap();
        control.seal(t(2000));
        assert_eq!(src.next_batch(t(2000)).unwrap().len(), 1);

        // A new process restores the checkpoint of batch 1000: `b` is read again (its batch
        // was lost with the crash), `a` and the pre-existing file are not.
        let mut resumed = text_files(dir.path());
        let rc = resumed.control();
        rc.restore_position(&pos).unwrap();
        rc.seal(t(2000));
        assert_eq!(
            resumed
                .next_batch(t(2000))
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            ["b"]
        );
    }
}
