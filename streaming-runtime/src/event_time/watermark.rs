//! `event_time(f) watermark D`: the watermark of one path, Spark's `withWatermark`.

use std::sync::atomic::{AtomicI64, Ordering};

use super::Timestamp;

/// The watermark of an `event_time` stage. It starts at 0 and, after each batch, becomes
/// max(old, max event time seen in the batch − delay); a batch judges lateness by the
/// watermark from before it ([`Watermark::current`]) and closes windows by the one after it
/// ([`Watermark::next`]). Checkpointed (the current value).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Watermark {
    delay_ms: i64,
    current: i64,
    /// The latest event time stamped in this batch (parallel runs stamp concurrently).
    #[serde(skip, default = "unseen")]
    seen: AtomicI64,
}

fn unseen() -> AtomicI64 {
    AtomicI64::new(i64::MIN)
}

impl Watermark {
    /// A watermark trailing the latest event time by `delay_ms`.
    pub fn new(delay_ms: u64) -> Self {
        Watermark {
            delay_ms: i64::try_from(delay_ms).unwrap_or(i64::MAX),
            current: 0,
            seen: unseen(),
        }
    }

    /// How far the watermark trails the latest event time, in milliseconds.
    pub fn delay_ms(&self) -> i64 {
        self.delay_ms
    }

    /// Notes an event time of this batch.
    #[inline]
    pub fn observe(&self, t: Timestamp) {
        self.seen.fetch_max(t.as_millis(), Ordering::Relaxed);
    }

    /// The watermark from before this batch: what lateness is judged by.
    pub fn current(&self) -> Timestamp {
        Timestamp::from_millis(self.current)
    }

    /// The watermark once this batch is done: what closes windows in it.
    pub fn next(&self) -> Timestamp {
        let seen = self.seen.load(Ordering::Relaxed);
        if seen == i64::MIN {
            return self.current();
        }
        Timestamp::from_millis(self.current.max(seen.saturating_sub(self.delay_ms)))
    }

    /// Ends the batch: the watermark moves to [`Watermark::next`].
    pub fn advance(&mut self) {
        self.current = self.next().as_millis();
        self.seen.store(i64::MIN, Ordering::Relaxed);
    }
}

/// A watermark keeps no rows: its stage reports its time instead (`report_watermark`).
impl crate::state_stats::StateSize for Watermark {
    fn state_stats(&mut self) -> Option<crate::state_stats::StateStats> {
        None
    }
}

/// With several inputs, Spark's global watermark is the minimum of theirs (the slowest
/// input decides): `(current, next)`.
pub fn min_watermark(marks: &[&Watermark]) -> (Timestamp, Timestamp) {
    let current = marks.iter().map(|w| w.current()).min().unwrap_or_default();
    let next = marks.iter().map(|w| w.next()).min().unwrap_or_default();
    (current, next)
}

/// Stamps each element of `it` with `f(&x)` (the `event_time` stage's adapter).
pub fn stamp<'w, I, F>(
    it: I,
    watermark: &'w Watermark,
    mut f: F,
) -> impl Iterator<Item = (Timestamp, I::Item)> + 'w
where
    I: Iterator + 'w,
    F: FnMut(&I::Item) -> Timestamp + 'w,
{
    // The run's latest time so far, kept here: the shared (atomic) maximum is only raised
    // when this one is, not for every element (an atomic read-modify-write per element was
    // a tenth of a cheap query's instructions on in-order input).
    let mut latest = i64::MIN;
    it.map(move |x| {
        let t = f(&x);
        if t.as_millis() > latest {
            latest = t.as_millis();
            watermark.observe(t);
        }
        (t, x)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watermark_only_moves_forward_and_trails_by_the_delay() {
        let mut w = Watermark::new(10_000);
        assert_eq!(w.current(), Timestamp::from_millis(0));
        w.observe(Timestamp::from_secs(25));
        w.observe(Timestamp::from_secs(12));
        assert_eq!(
            w.current(),
            Timestamp::from_millis(0),
            "unchanged within the batch"
        );
        assert_eq!(w.next(), Timestamp::from_secs(15));
        w.advance();
        assert_eq!(w.current(), Timestamp::from_secs(15));
        // An older batch maximum does not move it back; an empty batch keeps it.
        w.observe(Timestamp::from_secs(20));
        w.advance();
        assert_eq!(w.current(), Timestamp::from_secs(15));
        w.advance();
        assert_eq!(w.current(), Timestamp::from_secs(15));
        let mut other = Watermark::new(0);
        other.observe(Timestamp::from_secs(3));
        other.advance();
        assert_eq!(min_watermark(&[&w, &other]).0, Timestamp::from_secs(3));
    }
}
