//! The one error type a pipeline reports.

use std::io;
use std::path::PathBuf;

/// Everything that can stop a pipeline. Bad *input* is never one of these: it is decoded
/// lossily or cut, counted in [`crate::SourceMetrics`] and logged, and the pipeline goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamingError {
    /// An output operation (or a source reading files) hit an I/O error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done: the file or directory and the operation.
        context: String,
        /// The error the operating system reported.
        #[source]
        source: io::Error,
    },
    /// A path given to a source or sink is unusable.
    #[error("{path}: {reason}")]
    BadPath {
        /// The path as given.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// The pipeline was configured wrongly at run time (e.g. a zero batch interval from a const).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A user function or sink panicked while processing a batch.
    #[error("batch {time} failed: {message}")]
    BatchPanicked {
        /// The batch that failed.
        time: crate::BatchTime,
        /// The panic's message.
        message: String,
    },
    /// A `parse .. failfast` stage met a row that is not JSON or CSV of its type.
    #[error(
        "batch {time} failed: {stage} (failfast) met a malformed row, row {index} of the batch's input of the stage: {error}; the row: {text}"
    )]
    MalformedRow {
        /// The batch that failed.
        time: crate::BatchTime,
        /// The stage, e.g. `parse (pipeline statement 1)`.
        stage: String,
        /// The row's index in the batch's input of the stage (from 0).
        index: u64,
        /// Why it could not be parsed.
        error: String,
        /// The row's text, cut to a few hundred characters.
        text: String,
    },
    /// A custom receiver or output function reported an error.
    #[error("{0}")]
    Custom(String),
    /// `print`'s reader went away (stdout is a closed pipe: `... | head`). `run` stops
    /// quietly and returns `Ok`, as Unix tools do; other write errors stay errors.
    #[error("stdout was closed by its reader")]
    OutputClosed,
    /// Another process took over this task's partition (a cluster task that was presumed
    /// dead and came back): it stops without writing state or output.
    #[error(
        "{what} was taken over by another process (epoch {owner}; this task holds epoch {epoch}); stopping it without writing"
    )]
    Fenced {
        /// What the fence guards, e.g. `partition 0 of lines`.
        what: String,
        /// The epoch this task holds.
        epoch: u64,
        /// The newer epoch another process claimed.
        owner: u64,
    },
}

impl StreamingError {
    /// An I/O error with what was being done when it happened.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        StreamingError::Io {
            context: context.into(),
            source,
        }
    }

    /// A free-form error, for custom receivers and `foreach_batch` functions.
    pub fn custom(message: impl Into<String>) -> Self {
        StreamingError::Custom(message.into())
    }
}
