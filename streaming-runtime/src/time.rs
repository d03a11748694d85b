//! Batch time: milliseconds on the pipeline's clock, shown as Spark shows `Time`.

use std::fmt;
use std::time::Duration;

/// The time of a batch in milliseconds, like Spark's `Time`. With the real clock it is the
/// Unix time at the end of the batch interval; with the manual clock batch `k` has time
/// `k × interval`, counted from 0.
///
/// It is processing time, and a type apart from the event time records carry
/// ([`Timestamp`](crate::Timestamp)) although both count milliseconds: a batch time is
/// unsigned, names a batch (checkpoints, the batch log, sinks' file names are keyed by it)
/// and with the manual clock is not an instant at all, while a timestamp is signed, read
/// from the data and compared with watermarks. Kept apart, a window over one is never
/// compared with a time of the other by mistake; [`BatchTime::to_timestamp`] converts where
/// a job means to compare them.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct BatchTime(u64);

impl BatchTime {
    /// Time 0, where the manual clock starts.
    pub const ZERO: BatchTime = BatchTime(0);

    /// The batch time `ms` milliseconds on the pipeline's clock.
    pub const fn from_millis(ms: u64) -> Self {
        BatchTime(ms)
    }

    /// The batch time in milliseconds.
    pub const fn milliseconds(self) -> u64 {
        self.0
    }

    /// `self + d`, saturating.
    pub fn plus(self, d: Duration) -> Self {
        BatchTime(self.0.saturating_add(duration_ms(d)))
    }

    /// The time as an offset from the Unix epoch (meaningful for the real clock only).
    pub fn as_duration(self) -> Duration {
        Duration::from_millis(self.0)
    }

    /// The batch time as an event-time [`Timestamp`](crate::Timestamp), to compare a
    /// record's time with the batch it arrived in (meaningful for the real clock only: with
    /// the manual clock batch `k` is `k × interval` after the epoch).
    pub fn to_timestamp(self) -> crate::Timestamp {
        crate::Timestamp::from_millis(i64::try_from(self.0).unwrap_or(i64::MAX))
    }
}

/// Spark prints a `Time` as `1475052703000 ms`.
impl fmt::Display for BatchTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0)
    }
}

impl From<BatchTime> for u64 {
    fn from(t: BatchTime) -> u64 {
        t.0
    }
}

/// Whole milliseconds of `d`, saturating at `u64::MAX`.
pub fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
