//! What a stream is like to the stages reading it: how often it has data (windows check
//! their durations against it, and give theirs to the stages after them), whether its
//! elements are stamped, whether it exists at every batch. [`crate::props`] works it out.

use crate::duration::Duration;

/// How often a stream has data: the batch interval, or a window's slide.
#[derive(Clone)]
pub struct Slide {
    pub duration: Duration,
    /// For messages: "the batch interval", "the previous window's slide".
    pub what: String,
}

/// A stream, as the stages reading it see it.
#[derive(Clone, Default)]
pub struct StreamProps {
    /// How often it has data (`None`: not known, because the stream it comes from is not
    /// defined, is defined in terms of itself, or the pipeline has no batch interval; the
    /// checks that need it are skipped, the cause is reported elsewhere).
    pub slide: Option<Slide>,
    /// Its elements are stamped, `(Timestamp, x)`: an `event_time` stage upstream, whose
    /// watermark the path carries.
    pub stamped: bool,
    /// It exists only at some batches (after a window, at its slide times; after `global`,
    /// in one task), so the stages reading it run only when it does.
    pub windowed: bool,
}
