//! The object file format: what `save_as_object_files` writes and `source object_files`
//! reads (Spark's `saveAsObjectFiles` / `objectFile`, with serde and postcard in place of
//! Java serialization).
//!
//! ```text
//!  header   magic "RSOBJECT" (8 bytes)  version u16 LE  type-name length u16 LE
//!           type name (UTF-8)           CRC32 of the header's bytes so far (u32 LE)
//!  records  length u32 LE (< u32::MAX)  CRC32 of the payload (u32 LE)  payload (postcard)
//!  trailer  u32::MAX (end marker)       record count u64 LE             CRC32 of the count
//! ```
//!
//! Why this shape:
//!
//! - **postcard**: the most compact serde format at hand (varints, no field names), fast
//!   both ways, and already the checkpoints' format; it is not self-describing, so the
//!   header must say what the records are.
//! - **The magic and version** make any other file, or a file of a later format, an error
//!   that says so instead of garbage decoded from it.
//! - **The element type's name** (`std::any::type_name::<T>()`) catches the common mistake,
//!   reading files of one stream as another's type: postcard would often decode those bytes
//!   "successfully" into wrong values (an `i64` reads any varint). It does not catch a type
//!   whose *fields* changed under the same name (add a version to the type's name, or a
//!   field, when that matters), and `type_name` is not promised to be stable across
//!   compiler versions or crate renames: files written by another build of a renamed type
//!   are refused (a clear error), never misread.
//! - **A CRC per record** finds a flipped or torn byte where it is and costs little
//!   (crc32fast runs at several GB/s); **the trailer's count** finds a file cut at a
//!   record boundary, which per-record checks alone would take for a shorter, valid file.
//!   Files are published by an atomic rename (`sink::batch_dir`), so a torn file means
//!   corruption or a writer other than ours.
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
    /// A record passed its checksum but is not a postcard encoding of the type (its
    /// definition changed since the file was written).
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

/// Writes `items` as one object file to `w` (buffer `w`: it gets a few small writes per
/// record). Returns the bytes written.
pub fn write<'a, T, I>(w: &mut dyn Write, items: I) -> io::Result<u64>
where
    T: Serialize + 'a,
    I: IntoIterator<Item = &'a T>,
{
    let header = header(std::any::type_name::<T>())?;
    w.write_all(&header)?;
    let mut bytes = header.len() as u64;
    let mut scratch = Vec::with_capacity(256);
    let mut count = 0u64;
    for item in items {
        scratch.clear();
        scratch = postcard::to_extend(item, scratch).map_err(|e| {
            io::Error::other(format!(
                "encoding element {count} (a `{}`) with postcard: {e}",
                std::any::type_name::<T>()
            ))
        })?;
        let len = u32::try_from(scratch.len())
            .ok()
            .filter(|&n| n != END)
            .ok_or_else(|| io::Error::other(format!("element {count} encodes to 4 GiB or more")))?;
        w.write_all(&len.to_le_bytes())?;
        w.write_all(&crc32fast::hash(&scratch).to_le_bytes())?;
        w.write_all(&scratch)?;
        bytes += 8 + scratch.len() as u64;
        count += 1;
    }
    w.write_all(&END.to_le_bytes())?;
    w.write_all(&count.to_le_bytes())?;
    w.write_all(&crc32fast::hash(&count.to_le_bytes()).to_le_bytes())?;
    Ok(bytes + 16)
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
        let crc = r.u32().ok_or_else(|| r.corrupt("cut inside a record"))?;
        let payload = usize::try_from(len)
            .ok()
            .and_then(|len| r.take(len))
            .ok_or_else(|| Reader { bytes, at }.corrupt("a record's length runs past the end"))?;
        if crc32fast::hash(payload) != crc {
            return Err(Reader { bytes, at }.corrupt("a record's checksum does not match"));
        }
        let index = items.len() as u64;
        let decode_err = |error: String| ObjectFileError::Decode {
            index,
            expected: expected.to_string(),
            error,
        };
        match postcard::take_from_bytes::<T>(payload) {
            Ok((item, [])) => items.push(item),
            Ok((_, rest)) => {
                return Err(decode_err(format!("{} bytes left over", rest.len())));
            }
            Err(e) => return Err(decode_err(e.to_string())),
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
