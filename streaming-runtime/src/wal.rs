//! The write-ahead log of a receiver (`checkpoint "dir" wal;`): every block a socket or
//! stdin receiver accepts is appended (and fsynced) before it enters the pipeline, with a
//! marker at each batch seal. A checkpoint of batch `T` makes everything up to `T`'s seal
//! redundant, so the log is truncated there; after a crash, the records after the restored
//! checkpoint's seal are replayed, so a line the receiver accepted is never lost.
//!
//! Record: kind `u8` (1 data, 2 seal) | length `u32` | payload | CRC32 `u32` (of kind, length
//! and payload). Data payloads are as the block kind writes them ([`LogFormat`]: lines joined
//! by `\n`); seal payloads a batch time `u64`.
//!
//! A torn record (a crash mid-append, a full disk) can only be the last: an append or a
//! seal that fails cuts the file back to where it began, and the store accepts nothing
//! after a failed one (see [`crate::store::Store`]), so no record is ever written after a
//! torn one, where a replay (which stops at the first bad record) would not see it. At a
//! restart the log is rewritten with the records before the tear.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::block::{Block, LogFormat};
use crate::time::BatchTime;

const DATA: u8 = 1;
const SEAL: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Record {
    Data(Vec<u8>),
    Seal(u64),
}

/// An append-only log file of blocks of kind `B`.
pub struct Wal<B> {
    path: PathBuf,
    file: File,
    /// The file's length after the last complete record.
    len: u64,
    format: LogFormat<B>,
}

fn encode(kind: u8, payload: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.push(kind);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

fn decode(bytes: &[u8]) -> Vec<Record> {
    let mut records = Vec::new();
    let mut i = 0;
    while i + 9 <= bytes.len() {
        let kind = bytes[i];
        let len =
            u32::from_le_bytes([bytes[i + 1], bytes[i + 2], bytes[i + 3], bytes[i + 4]]) as usize;
        let end = i + 5 + len;
        if end + 4 > bytes.len() {
            break; // torn tail
        }
        let crc = u32::from_le_bytes([bytes[end], bytes[end + 1], bytes[end + 2], bytes[end + 3]]);
        if crc32fast::hash(&bytes[i..end]) != crc {
            break; // torn or damaged: nothing after it can be trusted
        }
        let payload = &bytes[i + 5..end];
        match kind {
            DATA => records.push(Record::Data(payload.to_vec())),
            SEAL if len == 8 => {
                let mut t = [0u8; 8];
                t.copy_from_slice(payload);
                records.push(Record::Seal(u64::from_le_bytes(t)));
            }
            _ => break,
        }
        i = end + 4;
    }
    records
}

impl<B: Block> Wal<B> {
    /// Opens the log at `path` after a restart: the data recorded after the seal of
    /// `restored` (the restored checkpoint's batch; `None` on a fresh start, when an old log
    /// is discarded) is returned for replay, and the log is rewritten to hold just that.
    pub fn open(
        path: impl Into<PathBuf>,
        restored: Option<BatchTime>,
        format: LogFormat<B>,
    ) -> io::Result<(Wal<B>, B)> {
        let path = path.into();
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut replay = B::default();
        if let (Some(t), Ok(bytes)) = (restored, fs::read(&path)) {
            let records = decode(&bytes);
            // Data after the last seal at or before the checkpoint was not in its state.
            let from = records
                .iter()
                .rposition(|r| matches!(r, Record::Seal(s) if *s <= t.milliseconds()))
                .map_or(0, |i| i + 1);
            for r in &records[from..] {
                if let Record::Data(d) = r {
                    replay.append((format.decode)(d));
                }
            }
        }
        let wal = Wal::rewrite(&path, &replay, format)?;
        Ok((wal, replay))
    }

    /// Replaces the log with one data record (or nothing), atomically.
    fn rewrite(path: &Path, keep: &B, format: LogFormat<B>) -> io::Result<Wal<B>> {
        let tmp = path.with_extension("tmp");
        {
            let mut f = File::create(&tmp)?;
            if keep.records() > 0 {
                let mut buf = Vec::new();
                encode(DATA, &(format.encode)(keep), &mut buf);
                f.write_all(&buf)?;
            }
            f.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        if let Some(parent) = path.parent() {
            let _ = File::open(parent).and_then(|d| d.sync_all());
        }
        Wal::opened(path, format)
    }

    /// The log at `path`, opened for appending after its last complete record.
    fn opened(path: &Path, format: LogFormat<B>) -> io::Result<Wal<B>> {
        let file = OpenOptions::new().append(true).open(path)?;
        let len = file.metadata()?.len();
        Ok(Wal {
            path: path.to_path_buf(),
            file,
            len,
            format,
        })
    }

    /// Appends one encoded record; on failure cuts the file back to where the record
    /// began, so no torn record stays in the middle of the log.
    fn write_record(&mut self, record: &[u8], sync: bool) -> io::Result<()> {
        let written = self
            .file
            .write_all(record)
            .and_then(|()| if sync { self.file.sync_data() } else { Ok(()) });
        match written {
            Ok(()) => {
                self.len += record.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Shrinking needs no space; if even that fails the caller stops using
                // the log anyway (and a restart keeps what came before the tear).
                let _ = self.file.set_len(self.len);
                Err(e)
            }
        }
    }

    /// Appends a block of accepted records, durably.
    pub fn append(&mut self, block: &B) -> io::Result<()> {
        let mut buf = Vec::new();
        encode(DATA, &(self.format.encode)(block), &mut buf);
        self.write_record(&buf, true)
    }

    /// Marks the data so far as belonging to batches up to `time` (not fsynced: a lost
    /// seal only makes a replay start earlier, which the checkpoint's time corrects; the
    /// next append's fsync makes it durable with it).
    pub fn seal(&mut self, time: BatchTime) -> io::Result<()> {
        let mut buf = Vec::new();
        encode(SEAL, &time.milliseconds().to_le_bytes(), &mut buf);
        self.write_record(&buf, false)
    }

    /// Batch `time` is checkpointed: drops everything up to its seal.
    pub fn truncate_through(&mut self, time: BatchTime) -> io::Result<()> {
        self.file.sync_data()?;
        let records = decode(&fs::read(&self.path)?);
        let from = records
            .iter()
            .rposition(|r| matches!(r, Record::Seal(s) if *s <= time.milliseconds()))
            .map_or(0, |i| i + 1);
        let mut keep = Vec::new();
        for r in &records[from..] {
            match r {
                Record::Data(d) => encode(DATA, d, &mut keep),
                Record::Seal(s) => encode(SEAL, &s.to_le_bytes(), &mut keep),
            }
        }
        let tmp = self.path.with_extension("tmp");
        {
            let mut f = File::create(&tmp)?;
            f.write_all(&keep)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &self.path)?;
        *self = Wal::opened(&self.path, self.format)?;
        Ok(())
    }
}

/// A block log the store writes through (implemented by [`Wal`]).
pub trait BlockLog<B>: Send {
    fn append(&mut self, block: &B) -> io::Result<()>;
    fn seal(&mut self, time: BatchTime) -> io::Result<()>;
    fn truncate_through(&mut self, time: BatchTime) -> io::Result<()>;
}

impl<B: Block> BlockLog<B> for Wal<B> {
    fn append(&mut self, block: &B) -> io::Result<()> {
        Wal::append(self, block)
    }
    fn seal(&mut self, time: BatchTime) -> io::Result<()> {
        Wal::seal(self, time)
    }
    fn truncate_through(&mut self, time: BatchTime) -> io::Result<()> {
        Wal::truncate_through(self, time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::LineBlock;

    fn open(path: &Path, restored: Option<BatchTime>) -> (Wal<LineBlock>, LineBlock) {
        let format = LineBlock::log_format().expect("lines can be logged");
        Wal::open(path, restored, format).unwrap()
    }

    fn lines(b: &LineBlock) -> Vec<String> {
        b.iter().map(str::to_string).collect()
    }

    fn block(xs: &[&str]) -> LineBlock {
        xs.iter().collect()
    }

    #[test]
    fn replays_what_came_after_the_checkpointed_seal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal-0");
        let (mut wal, replay) = open(&path, None);
        assert!(replay.is_empty());
        wal.append(&block(&["a", "b"])).unwrap();
        wal.seal(BatchTime::from_millis(1000)).unwrap();
        wal.append(&block(&["c"])).unwrap();
        wal.seal(BatchTime::from_millis(2000)).unwrap();
        wal.append(&block(&["d", ""])).unwrap();
        drop(wal); // crash: checkpoint of batch 1000 is the newest

        let (wal, replay) = open(&path, Some(BatchTime::from_millis(1000)));
        assert_eq!(lines(&replay), ["c", "d", ""]);
        // Crash again before any checkpoint: the same lines come back once.
        drop(wal);
        let (mut wal, replay) = open(&path, Some(BatchTime::from_millis(1000)));
        assert_eq!(lines(&replay), ["c", "d", ""]);
        wal.seal(BatchTime::from_millis(3000)).unwrap();
        wal.append(&block(&["e"])).unwrap();
        wal.truncate_through(BatchTime::from_millis(3000)).unwrap();
        drop(wal);
        let (_, replay) = open(&path, Some(BatchTime::from_millis(3000)));
        assert_eq!(lines(&replay), ["e"]);
    }

    #[test]
    fn a_torn_tail_is_ignored_and_a_fresh_start_discards_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal-0");
        let (mut wal, _) = open(&path, None);
        wal.append(&block(&["kept"])).unwrap();
        wal.append(&block(&["torn"])).unwrap();
        drop(wal);
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let (_, replay) = open(&path, Some(BatchTime::ZERO));
        assert_eq!(lines(&replay), ["kept"]);
        let (_, replay) = open(&path, None);
        assert!(replay.is_empty());
    }

    #[test]
    fn a_failed_append_is_cut_back_and_what_follows_is_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal-0");
        let (mut wal, _) = open(&path, None);
        wal.append(&block(&["before"])).unwrap();
        // Half a record, as a write cut short by a full disk leaves it.
        let mut buf = Vec::new();
        encode(DATA, b"torn", &mut buf);
        wal.file.write_all(&buf[..5]).unwrap();
        // What write_record does when the write fails: back to the last whole record.
        wal.file.set_len(wal.len).unwrap();
        wal.append(&block(&["after"])).unwrap();
        drop(wal);
        let (_, replay) = open(&path, Some(BatchTime::ZERO));
        assert_eq!(lines(&replay), ["before", "after"]);
    }
}
