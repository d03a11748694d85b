//! `event_window(W, S [, offset O]) <aggregation> [emit ..]`: per-window aggregates by event
//! time, Spark's `groupBy(window(ts, W, S), key).agg(..)` with a watermark.
//!
//! Windows `[start, start + W)` are aligned to the Unix epoch (plus the offset) and slide by
//! `S`; a row falls in every window that covers it (`S` need not divide `W`). A batch adds
//! each row to its windows that are still open by the watermark from before the batch
//! (window end > watermark); a row none of whose windows is open is late: dropped and
//! counted. Then, by the watermark after the batch:
//! - `append` (default): windows it closes (end ≤ watermark) are emitted once and freed;
//! - `update`: every window changed in the batch is emitted, and closed windows are freed
//!   without being emitted;
//! - `complete`: the whole table is emitted every batch and nothing is freed (nor dropped
//!   as late: the table keeps everything, as Spark's complete mode).

use super::{Timestamp, Window};

/// How an event-time aggregation emits its results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Emit {
    /// `emit append`: each window once, when the watermark passes its end (the default).
    Append,
    /// `emit update`: every (window, key) the batch changed, each batch.
    Update,
    /// `emit complete`: the whole table every batch; nothing is freed or dropped.
    Complete,
}

/// Window length, slide and offset, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WindowSpec {
    pub(super) length: i64,
    pub(super) slide: i64,
    offset: i64,
}

impl WindowSpec {
    /// `event_window(length, slide, offset offset)` (the macro checks 0 < slide ≤ length
    /// and offset < slide for literals; here they are clamped to be usable).
    pub fn new(length_ms: u64, slide_ms: u64, offset_ms: u64) -> Self {
        let ms = |x: u64| i64::try_from(x).unwrap_or(i64::MAX);
        let slide = ms(slide_ms).max(1);
        WindowSpec {
            length: ms(length_ms).max(1),
            slide,
            offset: ms(offset_ms).rem_euclid(slide),
        }
    }

    /// The start of the latest window starting at or before `t` (which covers `t` unless
    /// `t` falls in a gap between windows shorter than their slide).
    pub(super) fn last_start(&self, t: Timestamp) -> i64 {
        self.last_start_ms(t.as_millis())
    }

    pub(super) fn last_start_ms(&self, t: i64) -> i64 {
        t - (t - self.offset).rem_euclid(self.slide)
    }

    /// The length of a pane: the largest span that windows' starts and ends never cut.
    pub(super) fn pane(&self) -> i64 {
        let (mut a, mut b) = (self.length, self.slide);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    }

    /// The start of the pane (of length `pane`, [`WindowSpec::pane`]) holding `t`.
    pub(super) fn pane_start(&self, t: i64, pane: i64) -> i64 {
        t - (t - self.offset).rem_euclid(pane)
    }

    /// The starts of the windows covering the pane (or instant) `p`, latest first.
    pub(super) fn starts_covering(&self, p: i64) -> impl Iterator<Item = i64> + use<> {
        let (length, slide) = (self.length, self.slide);
        std::iter::successors(Some(self.last_start_ms(p)), move |s| Some(s - slide))
            .take_while(move |s| s + length > p)
    }

    /// The windows covering `t`, latest start first.
    pub fn windows_of(&self, t: Timestamp) -> impl Iterator<Item = Window> + use<> {
        let last_start = self.last_start(t);
        let t = t.as_millis();
        let (length, slide) = (self.length, self.slide);
        (0..)
            .map(move |i: i64| last_start - i * slide)
            .take_while(move |&start| start + length > t)
            .map(move |start| Window {
                start: Timestamp::from_millis(start),
                end: Timestamp::from_millis(start + length),
            })
    }
}

/// Results of windows: `((window, key), aggregate)`.
pub type Results<K, V> = Vec<((Window, K), V)>;

/// An event-time aggregation's state: fixed windows ([`super::EventWindows`]) or sessions
/// ([`super::Sessions`]). Generic over the rows and closures (not `dyn`): a batch's rows
/// and the user's reduce inline into the store's loop.
pub trait EventAggregation<K, V> {
    /// Adds a batch's rows `(event time, key, value)` with the watermark before the batch
    /// and after it, handing each late row to `late`; returns what the emit mode emits and
    /// the rows dropped as late.
    fn add_batch<I, F, L>(
        &mut self,
        rows: I,
        current: Timestamp,
        next: Timestamp,
        reduce: F,
        late: L,
    ) -> (Results<K, V>, u64)
    where
        I: IntoIterator<Item = (Timestamp, K, V)>,
        F: FnMut(V, V) -> V,
        L: FnMut(Timestamp, K, V);

    /// [`EventAggregation::add_batch`] without keeping the late rows.
    fn apply<I, F>(
        &mut self,
        rows: I,
        current: Timestamp,
        next: Timestamp,
        reduce: F,
    ) -> (Results<K, V>, u64)
    where
        I: IntoIterator<Item = (Timestamp, K, V)>,
        F: FnMut(V, V) -> V,
    {
        self.add_batch(rows, current, next, reduce, |_, _, _| {})
    }

    /// The end of a finite input: what is still open, in append mode.
    fn end_of_input<F: FnMut(V, V) -> V>(&mut self, reduce: F) -> Results<K, V>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_secs(s)
    }

    fn starts(spec: WindowSpec, t: i64) -> Vec<i64> {
        spec.windows_of(ts(t))
            .map(|w| w.start.as_millis() / 1000)
            .collect()
    }

    #[test]
    fn a_row_falls_in_every_window_covering_it() {
        // 10 min windows sliding by 5 min.
        let spec = WindowSpec::new(600_000, 300_000, 0);
        assert_eq!(starts(spec, 720), [600, 300]);
        assert_eq!(starts(spec, 600), [600, 300], "a window includes its start");
        assert_eq!(starts(spec, 599), [300, 0], "and excludes its end");
        // A slide that does not divide the window: 10 s windows every 3 s.
        let spec = WindowSpec::new(10_000, 3_000, 0);
        assert_eq!(starts(spec, 10), [9, 6, 3], "[0, 10) ends before 10");
        // An offset shifts the grid.
        let spec = WindowSpec::new(60_000, 60_000, 15_000);
        assert_eq!(starts(spec, 70), [15]);
        assert_eq!(starts(spec, 14), [-45]);
    }
}
