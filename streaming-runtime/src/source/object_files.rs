//! `object_files::<T>(dir)`: every object file (or `save_as_object_files` batch directory)
//! moved into `dir` becomes input once, like Spark's `objectFile` over a file stream: its
//! elements, decoded as `T`. The directory watching is [`super::files`]'s; the format is
//! [`crate::object_file`]'s.
//!
//! A file that is not an object file of `T` (another type, another format version, a
//! damaged file) is bad input: it is skipped whole, counted in the source's errors and
//! logged with its name and what is wrong, and the pipeline goes on, as with an unreadable
//! text file. [`crate::object_file::read_file`] gives the same error as a value.

use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::files::{FileFormat, FilesSource};
use crate::metrics::SourceMetrics;

/// New object files of a directory, one batch's worth at a time. Build it with
/// [`object_files`].
pub type ObjectFilesSource<T> = FilesSource<ObjectFormat<T>>;

/// Object files of `T` (the [`FileFormat`] of `object_files`).
pub struct ObjectFormat<T>(PhantomData<fn() -> T>);

/// A source reading the elements of each object file of `T`, or batch directory of them,
/// that appears in `dir` after its creation.
pub fn object_files<T>(dir: impl AsRef<Path>) -> ObjectFilesSource<T>
where
    T: DeserializeOwned + Send + 'static,
{
    FilesSource::new(dir.as_ref().to_path_buf(), ObjectFormat(PhantomData))
}

impl<T: DeserializeOwned + Send + 'static> FileFormat for ObjectFormat<T> {
    type Batch = Vec<T>;
    const KIND: &'static str = "object_files";
    const BATCH_DIRS: bool = true;

    fn read(&mut self, path: &Path, _: &Arc<SourceMetrics>) -> Result<(Vec<T>, u64), String> {
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        let items = crate::object_file::decode(&bytes).map_err(|e| e.to_string())?;
        Ok((items, bytes.len() as u64))
    }
}
