//! The object file format: what `save_as_object_files` writes and `source object_files`
//! reads (Spark's `saveAsObjectFiles` / `objectFile`, with serde and postcard in place of
//! Java serialization).
//!
//! ```text
//!  header   magic "RSOBJECT" (8 bytes)  version u16 LE  type-name length u16 LE
//!           type name (UTF-8)           CRC32 of the header's bytes so far (u32 LE)
//!  blocks   payload length u32 LE (< u32::MAX)  record count u32 LE
//!           CRC32 of the count and payload (u32 LE)
//!           payload: the records' postcard encodings back to back (about 64 KiB)
//!  trailer  u32::MAX (end marker)       record count u64 LE             CRC32 of the count
//! ```
//!
//! Why this shape:
//!
//! - **postcard**: the most compact serde format at hand (varints, no field names), fast
//!   both ways, and already the checkpoints' format; it is not self-describing, so the
//!   header must say what the records are. A postcard record delimits itself given its
//!   type, so records need no length of their own.
//! - **The magic and version** make any other file, or a file of a later format, an error
//!   that says so instead of garbage decoded from it.
//! - **The element type's name** (`std::any::type_name::<T>()`) catches the common mistake,
//!   reading files of one stream as another's type: postcard would often decode those bytes
//!   "successfully" into wrong values (an `i64` reads any varint). It does not catch a type
//!   whose *fields* changed under the same name (add a version to the type's name, or a
//!   field, when that matters), and `type_name` is not promised to be stable across
//!   compiler versions or crate renames: files written by another build of a renamed type
//!   are refused (a clear error), never misread.
//! - **A CRC per block** of records finds a flipped or torn byte, at 12 bytes per 64 KiB
//!   rather than 8 per record (a CRC per record doubled the size of small records such as
//!   `(String, i64)`); crc32fast runs at several GB/s. **The trailer's count** finds a
//!   file cut at a block boundary, which the blocks' checks alone would take for a
//!   shorter, valid file. Files are published by an atomic rename (`sink::batch_dir`), so
//!   a torn file means corruption or a writer other than ours.
//!
//! Reading is all or nothing: a file with any fault yields an [`ObjectFileError`] and no
//! records, so a bad file is never half counted.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The first bytes of every object file.
pub const MAGIC: &[u8; 8] = b"RSOBJECT";
/// The format version this build writes and reads.
pub const VERSION: u16 = 1;
/// The record length that marks the trailer.
const END: u32 = u32::MAX;

/// Why a file could not be read as object files of a type.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ObjectFileError {
    /// The file does not start with [`MAGIC`].
    #[error("not an object file (no `RSOBJECT` header): was it written by save_as_object_files?")]
    NotAnObjectFile,
    /// The file's format version is not this build's.
    #[error(
        "object file format version {found}, this build reads version {VERSION} only: read it with the version of `streaming` that wrote it"
    )]
    Version {
        /// The file's version.
        found: u16,
    },
    /// The file holds elements of another type.
    #[error("holds elements of type `{found}`, not `{expected}`")]
    WrongType {
        /// The type named in the file.
        found: String,
        /// The type asked for.
        expected: String,
    },
    /// A checksum, a length or the trailer does not match: the file was damaged or cut.
    #[error("corrupt at byte {offset}: {what}")]
    Corrupt {
        /// Where, from the file's start.
        offset: usize,
        /// What does not match.
        what: String,
    },
    /// A block passed its checksum but its records are not postcard encodings of the type
    /// (its definition changed since the file was written).
    #[error(
        "record {index} is not a `{expected}`: {error} (did the type change since the file was written?)"
    )]
    Decode {
        /// The record's index in the file (from 0).
        index: u64,
        /// The type asked for.
        expected: String,
        /// postcard's error.
        error: String,
    },
    /// The file could not be read.
    #[error("cannot read it: {0}")]
    Io(String),
}

/// An [`ObjectFileError`] with the file it is about.
#[derive(Debug, thiserror::Error)]
#[error("object file {}: {error}", path.display())]
pub struct BadObjectFile {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub error: ObjectFileError,
}

/// The payload size at which a block is closed.
const BLOCK_BYTES: usize = 64 << 10;

/// Writes `items` as one object file to `w`. Returns the bytes written.
pub fn write<'a, T, I>(w: &mut dyn Write, items: I) -> io::Result<u64>
where
    T: Serialize + 'a,
    I: IntoIterator<Item = &'a T>,
{
    let header = header(std::any::type_name::<T>())?;
    w.write_all(&header)?;
    let mut bytes = header.len() as u64;
    let mut block = Vec::with_capacity(BLOCK_BYTES + 1024);
    let (mut in_block, mut count) = (0u32, 0u64);
    for item in items {
        block = postcard::to_extend(item, block).map_err(|e| {
            io::Error::other(format!(
                "encoding element {count} (a `{}`) with postcard: {e}",
                std::any::type_name::<T>()
            ))
        })?;
        in_block += 1;
        count += 1;
        if block.len() >= BLOCK_BYTES || in_block == u32::MAX {
            bytes += write_block(w, &block, in_block)?;
            block.clear();
            in_block = 0;
        }
    }
    if in_block > 0 {
        bytes += write_block(w, &block, in_block)?;
    }
    w.write_all(&END.to_le_bytes())?;
    w.write_all(&count.to_le_bytes())?;
    w.write_all(&crc32fast::hash(&count.to_le_bytes()).to_le_bytes())?;
    Ok(bytes + 16)
}

fn write_block(w: &mut dyn Write, payload: &[u8], records: u32) -> io::Result<u64> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&n| n != END)
        .ok_or_else(|| io::Error::other("an element encodes to 4 GiB or more"))?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&records.to_le_bytes());
    crc.update(payload);
    w.write_all(&len.to_le_bytes())?;
    w.write_all(&records.to_le_bytes())?;
    w.write_all(&crc.finalize().to_le_bytes())?;
    w.write_all(payload)?;
    Ok(12 + payload.len() as u64)
}

fn header(type_name: &str) -> io::Result<Vec<u8>> {
    let name_len = u16::try_from(type_name.len())
        .map_err(|_| io::Error::other(format!("type name `{type_name}` is too long")))?;
    let mut h = Vec::with_capacity(16 + type_name.len());
    h.extend_from_slice(MAGIC);
    h.extend_from_slice(&VERSION.to_le_bytes());
    h.extend_from_slice(&name_len.to_le_bytes());
    h.extend_from_slice(type_name.as_bytes());
    let crc = crc32fast::hash(&h);
    h.extend_from_slice(&crc.to_le_bytes());
    Ok(h)
}

/// Reads a whole object file of `T`s.
pub fn read_file<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, BadObjectFile> {
    let bad = |error| BadObjectFile {
        path: path.to_path_buf(),
        error,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(ObjectFileError::Io(e.to_string())))?;
    decode(&bytes).map_err(bad)
}

/// Decodes the bytes of a whole object file of `T`s: all its records, or the first fault.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<T>, ObjectFileError> {
    let expected = std::any::type_name::<T>();
    let mut r = Reader { bytes, at: 0 };
    if r.take(MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err(ObjectFileError::NotAnObjectFile);
    }
    let Some(version) = r.u16() else {
        return Err(r.corrupt("cut inside the header"));
    };
    // The version first: a later format may lay the rest of its header out differently.
    if version != VERSION {
        return Err(ObjectFileError::Version { found: version });
    }
    let name_len = r.u16().ok_or_else(|| r.corrupt("cut inside the header"))?;
    let name = r
        .take(usize::from(name_len))
        .ok_or_else(|| r.corrupt("cut inside the header"))?;
    let header_end = r.at;
    let crc = r.u32().ok_or_else(|| r.corrupt("cut inside the header"))?;
    if bytes.get(..header_end).map(crc32fast::hash) != Some(crc) {
        return Err(r.corrupt("the header's checksum does not match"));
    }
    if name != expected.as_bytes() {
        return Err(ObjectFileError::WrongType {
            found: String::from_utf8_lossy(name).into_owned(),
            expected: expected.to_string(),
        });
    }
    let mut items = Vec::new();
    loop {
        let at = r.at;
        let len = r.u32().ok_or_else(|| r.corrupt("cut before the trailer"))?;
        if len == END {
            break;
        }
        let (Some(records), Some(crc)) = (r.u32(), r.u32()) else {
            return Err(r.corrupt("cut inside a block's header"));
        };
        let mut payload = usize::try_from(len)
            .ok()
            .and_then(|len| r.take(len))
            .ok_or_else(|| Reader { bytes, at }.corrupt("a block's length runs past the end"))?;
        let mut check = crc32fast::Hasher::new();
        check.update(&records.to_le_bytes());
        check.update(payload);
        if check.finalize() != crc {
            return Err(Reader { bytes, at }.corrupt("a block's checksum does not match"));
        }
        // Bounded by the payload: a count is only trusted as far as bytes back it.
        items.reserve((records as usize).min(payload.len()));
        for _ in 0..records {
            let index = items.len() as u64;
            match postcard::take_from_bytes::<T>(payload) {
                Ok((item, rest)) => {
                    items.push(item);
                    payload = rest;
                }
                Err(e) => {
                    return Err(ObjectFileError::Decode {
                        index,
                        expected: expected.to_string(),
                        error: e.to_string(),
                    });
                }
            }
        }
        if !payload.is_empty() {
            return Err(ObjectFileError::Decode {
                index: items.len() as u64,
                expected: expected.to_string(),
                error: format!("{} bytes left over after a block's records", payload.len()),
            });
        }
    }
    let at = r.at;
    let (Some(count), Some(crc)) = (r.take(8), r.u32()) else {
        return Err(r.corrupt("cut inside the trailer"));
    };
    let mut le = [0u8; 8];
    le.copy_from_slice(count);
    if crc32fast::hash(count) != crc || u64::from_le_bytes(le) != items.len() as u64 {
        return Err(Reader { bytes, at }.corrupt(&format!(
            "the trailer does not say {} records: records are missing",
            items.len()
        )));
    }
    if r.at != bytes.len() {
        return Err(r.corrupt("bytes after the trailer"));
    }
    Ok(items)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    fn u16(&mut self) -> Option<u16> {
        let s = self.take(2)?;
        Some(u16::from_le_bytes([*s.first()?, *s.get(1)?]))
    }
    fn u32(&mut self) -> Option<u32> {
        let s = self.take(4)?;
        let mut le = [0u8; 4];
        le.copy_from_slice(s);
        Some(u32::from_le_bytes(le))
    }
    fn corrupt(&self, what: &str) -> ObjectFileError {
        ObjectFileError::Corrupt {
            offset: self.at,
            what: what.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode<T: Serialize>(items: &[T]) -> Vec<u8> {
        let mut out = Vec::new();
        let n = write(&mut out, items).unwrap();
        assert_eq!(n, out.len() as u64);
        out
    }

    #[test]
    fn round_trips() {
        let items = vec![(String::from("a"), 1i64), (String::from("ü"), -7)];
        assert_eq!(decode::<(String, i64)>(&encode(&items)).unwrap(), items);
        assert_eq!(decode::<u8>(&encode::<u8>(&[])).unwrap(), Vec::<u8>::new());
        // Several blocks, and a record larger than a block.
        let mut many: Vec<String> = (0..40_000).map(|i| format!("record {i}")).collect();
        many.insert(7, "x".repeat(BLOCK_BYTES * 2));
        let bytes = encode(&many);
        assert!(bytes.len() > 4 * BLOCK_BYTES);
        assert_eq!(decode::<String>(&bytes).unwrap(), many);
    }

    #[test]
    fn every_fault_is_named() {
        let good = encode(&[1u32, 2, 3]);
        assert_eq!(
            decode::<u64>(&good).unwrap_err(),
            ObjectFileError::WrongType {
                found: "u32".into(),
                expected: "u64".into()
            }
        );
        assert_eq!(
            decode::<u32>(b"hello\n").unwrap_err(),
            ObjectFileError::NotAnObjectFile
        );
        let mut v2 = good.clone();
        v2[8] = 2;
        assert_eq!(
            decode::<u32>(&v2).unwrap_err(),
            ObjectFileError::Version { found: 2 }
        );
        // Every cut and every flipped byte is an error, never fewer or other records.
        for cut in 0..good.len() {
            assert!(decode::<u32>(&good[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x10;
            assert!(decode::<u32>(&bad).is_err(), "flipped byte {i}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(decode::<u32>(&longer).is_err());
    }
}
