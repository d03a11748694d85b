//! How often a stream has data. Windows check their durations against the slide of the
//! stream they read, and give theirs to the stages after them.

use crate::duration::Duration;

/// How often a stream has data: the batch interval, or a window's slide.
#[derive(Clone)]
pub struct Slide {
    pub duration: Duration,
    /// For messages: "the batch interval", "the previous window's slide".
    pub what: String,
}
