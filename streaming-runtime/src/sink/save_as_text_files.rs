//! STUB (helper fills in): `save_as_text_files(prefix[, suffix])`.
use crate::{BatchContext, StreamingError, show::SparkDisplay};
pub fn finish<T: SparkDisplay>(
    _ctx: &mut BatchContext<'_>,
    _prefix: &str,
    _suffix: Option<&str>,
    _batch: &[T],
) -> Result<(), StreamingError> {
    Ok(())
}
