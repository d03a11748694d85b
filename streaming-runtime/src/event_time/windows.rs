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

use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hash;

use hashbrown::hash_map::{Entry, EntryRef};

use super::{Timestamp, Window};
use crate::keyed::KeyedMap;

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
    length: i64,
    slide: i64,
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

    /// The start of the latest window covering `t`.
    fn last_start(&self, t: Timestamp) -> i64 {
        let t = t.as_millis();
        t - (t - self.offset).rem_euclid(self.slide)
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

/// An event-time aggregation's state: fixed windows ([`EventWindows`]) or sessions
/// ([`super::Sessions`]).
pub trait EventAggregation<K, V> {
    /// Adds a batch's rows `(event time, key, value)` with the watermark before the batch
    /// and after it; returns what the emit mode emits and the rows dropped as late.
    fn add_batch(
        &mut self,
        rows: &mut dyn Iterator<Item = (Timestamp, K, V)>,
        current: Timestamp,
        next: Timestamp,
        reduce: &mut dyn FnMut(V, V) -> V,
        late: &mut dyn FnMut(Timestamp, K, V),
    ) -> (Results<K, V>, u64);

    /// [`EventAggregation::add_batch`] without keeping the late rows.
    fn apply<I, F>(
        &mut self,
        rows: I,
        current: Timestamp,
        next: Timestamp,
        mut reduce: F,
    ) -> (Results<K, V>, u64)
    where
        Self: Sized,
        I: IntoIterator<Item = (Timestamp, K, V)>,
        F: FnMut(V, V) -> V,
    {
        self.add_batch(
            &mut rows.into_iter(),
            current,
            next,
            &mut reduce,
            &mut |_, _, _| {},
        )
    }

    /// The end of a finite input: what is still open, in append mode.
    fn end_of_input(&mut self) -> Results<K, V>;
}

/// Both kinds delegate to their own `apply_with_late` and `flush`.
macro_rules! event_aggregation {
    ($($t:ident)::+, $($bound:tt)+) => {
        impl<K: $($bound)+, V: Clone> EventAggregation<K, V> for $($t)::+<K, V> {
            fn add_batch(
                &mut self,
                rows: &mut dyn Iterator<Item = (Timestamp, K, V)>,
                current: Timestamp,
                next: Timestamp,
                reduce: &mut dyn FnMut(V, V) -> V,
                late: &mut dyn FnMut(Timestamp, K, V),
            ) -> (Results<K, V>, u64) {
                self.apply_with_late(rows, current, next, reduce, late)
            }
            fn end_of_input(&mut self) -> Results<K, V> {
                self.flush()
            }
        }
    };
}

event_aggregation!(EventWindows, Hash + Ord + Clone);
event_aggregation!(super::Sessions, Ord + Clone);

/// The state of an event-time window aggregation: open windows' aggregates by key.
///
/// A window's aggregates are a hash map, sorted by key only when the window is emitted:
/// a row costs one hash look-up per window it falls in (an ordered map cost a search of
/// `log n` comparisons each, the most of q5's time), and output stays in key order.
/// Checkpoints are unchanged by this: a map serialises as its pairs either way.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct EventWindows<K: Hash + Eq, V> {
    spec: WindowSpec,
    emit: Emit,
    /// Open windows by start, each window's aggregates by key.
    windows: BTreeMap<i64, KeyedMap<K, V>>,
    /// Rows dropped as late since the stage began.
    pub late_rows: u64,
}

impl<K: Hash + Ord + Clone, V: Clone> EventWindows<K, V> {
    /// No windows yet: windows as `spec` lays them out, emitted as `emit` says.
    pub fn new(spec: WindowSpec, emit: Emit) -> Self {
        EventWindows {
            spec,
            emit,
            windows: BTreeMap::new(),
            late_rows: 0,
        }
    }

    /// Windows held (open, or all in complete mode): what the watermark bounds.
    pub fn open_windows(&self) -> usize {
        self.windows.len()
    }

    /// The end of the earliest window held: after the watermark in append and update mode,
    /// whose closed windows are freed.
    pub fn earliest_end(&self) -> Option<Timestamp> {
        let start = self.windows.keys().next()?;
        Some(Timestamp::from_millis(start + self.spec.length))
    }

    fn window(&self, start: i64) -> Window {
        Window {
            start: Timestamp::from_millis(start),
            end: Timestamp::from_millis(start + self.spec.length),
        }
    }

    /// Adds a batch's rows `(event time, key, value)` with the watermark before the batch
    /// (`current`) and after it (`next`), handing each late row to `late_row`; returns what
    /// the emit mode emits, in window then key order, and the number of rows dropped as
    /// late.
    pub fn apply_with_late<I, F, L>(
        &mut self,
        rows: I,
        current: Timestamp,
        next: Timestamp,
        mut reduce: F,
        mut late_row: L,
    ) -> (Results<K, V>, u64)
    where
        I: IntoIterator<Item = (Timestamp, K, V)>,
        F: FnMut(V, V) -> V,
        L: FnMut(Timestamp, K, V),
    {
        let mut changed: BTreeSet<(i64, K)> = BTreeSet::new();
        let mut late = 0;
        let keep_all = self.emit == Emit::Complete;
        let length = self.spec.length;
        for (t, k, v) in rows {
            // The row's windows still open (a window that closed before this batch takes
            // nothing), latest start first: both conditions fail from some start on, so the
            // open windows are a prefix of `windows_of`. The last gets the row's own value,
            // the others a clone.
            let open = |start: i64| {
                start + length > t.as_millis() && (keep_all || start + length > current.as_millis())
            };
            let mut start = self.spec.last_start(t);
            if !open(start) {
                late += 1;
                late_row(t, k, v);
                continue;
            }
            loop {
                if self.emit == Emit::Update {
                    changed.insert((start, k.clone()));
                }
                let earlier = start - self.spec.slide;
                if !open(earlier) {
                    self.add_owned(start, k, v, &mut reduce);
                    break;
                }
                self.add(start, &k, v.clone(), &mut reduce);
                start = earlier;
            }
        }
        self.late_rows += late;
        let out = match self.emit {
            Emit::Append => self.close(next),
            Emit::Update => {
                let out = changed
                    .into_iter()
                    .filter_map(|(start, k)| {
                        let v = self.windows.get(&start)?.get(&k)?.clone();
                        Some(((self.window(start), k), v))
                    })
                    .collect();
                let _ = self.close(next);
                out
            }
            Emit::Complete => self
                .windows
                .iter()
                .flat_map(|(&start, table)| {
                    let w = self.window(start);
                    let mut rows: Vec<(K, V)> =
                        table.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                    rows.into_iter().map(move |(k, v)| ((w, k), v))
                })
                .collect(),
        };
        (out, late)
    }

    /// Reduces `v` into key `k`'s aggregate in the window starting at `start`.
    #[inline]
    fn add_owned(&mut self, start: i64, k: K, v: V, reduce: &mut impl FnMut(V, V) -> V) {
        match self.windows.entry(start).or_default().entry(k) {
            Entry::Occupied(e) => {
                e.replace_entry_with(|_, old| Some(reduce(old, v)));
            }
            Entry::Vacant(e) => {
                e.insert(v);
            }
        }
    }

    /// [`Self::add_owned`] with a borrowed key, cloned only when it is new to the window.
    #[inline]
    fn add(&mut self, start: i64, k: &K, v: V, reduce: &mut impl FnMut(V, V) -> V) {
        let table = self.windows.entry(start).or_default();
        match table.entry_ref(k) {
            EntryRef::Occupied(e) => {
                e.replace_entry_with(|_, old| Some(reduce(old, v)));
            }
            EntryRef::Vacant(e) => {
                e.insert_with_key(k.clone(), v);
            }
        }
    }

    /// Removes the windows that end at or before `watermark`, returning their results.
    fn close(&mut self, watermark: Timestamp) -> Results<K, V> {
        let length = self.spec.length;
        let closed: Vec<i64> = self
            .windows
            .keys()
            .copied()
            .take_while(|&start| start + length <= watermark.as_millis())
            .collect();
        let mut out = Vec::new();
        for start in closed {
            let w = self.window(start);
            if let Some(table) = self.windows.remove(&start) {
                let from = out.len();
                out.extend(table.into_iter().map(|(k, v)| ((w, k), v)));
                out[from..].sort_unstable_by(|a, b| a.0.1.cmp(&b.0.1));
            }
        }
        out
    }

    /// The end of a finite input: append mode emits every open window (Spark never emits
    /// the last windows of a finished stream; here `run()` does, as the DStream windows).
    pub fn flush(&mut self) -> Results<K, V> {
        if self.emit != Emit::Append {
            return Vec::new();
        }
        self.close(Timestamp::from_millis(i64::MAX))
    }
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

    #[test]
    fn append_emits_a_window_once_when_the_watermark_passes_its_end() {
        let mut w = EventWindows::new(WindowSpec::new(10_000, 10_000, 0), Emit::Append);
        let add = |a: i64, b: i64| a + b;
        let (out, late) = w.apply(
            [(ts(1), "a", 1), (ts(12), "a", 1), (ts(3), "b", 1)],
            ts(0),
            ts(9),
            add,
        );
        assert!(out.is_empty() && late == 0);
        // The watermark reaches 10: [0, 10) closes.
        let (out, _) = w.apply([(ts(5), "a", 1)], ts(9), ts(10), add);
        assert_eq!(
            out.iter()
                .map(|((w, k), v)| (w.start.as_millis(), *k, *v))
                .collect::<Vec<_>>(),
            [(0, "a", 2), (0, "b", 1)]
        );
        // A row for the closed window is late by the window's end, not the row's time.
        let (out, late) = w.apply([(ts(9), "a", 1), (ts(11), "c", 1)], ts(10), ts(10), add);
        assert!(out.is_empty());
        assert_eq!((late, w.late_rows, w.open_windows()), (1, 1, 1));
        assert_eq!(w.flush().len(), 2);
    }

    #[test]
    fn update_and_complete_emit_what_changed_and_everything() {
        let add = |a: i64, b: i64| a + b;
        let mut u = EventWindows::new(WindowSpec::new(10_000, 10_000, 0), Emit::Update);
        let (out, _) = u.apply([(ts(1), "a", 1), (ts(2), "b", 1)], ts(0), ts(0), add);
        assert_eq!(out.len(), 2);
        let (out, _) = u.apply([(ts(3), "a", 1)], ts(0), ts(20), add);
        assert_eq!(out.len(), 1, "only the changed key");
        assert_eq!(out[0].1, 2);
        assert_eq!(u.open_windows(), 0, "closed windows are freed silently");
        let mut c = EventWindows::new(WindowSpec::new(10_000, 10_000, 0), Emit::Complete);
        c.apply([(ts(1), "a", 1)], ts(0), ts(30), add);
        let (out, late) = c.apply([(ts(2), "a", 1)], ts(30), ts(30), add);
        assert_eq!(
            (out.len(), out[0].1, late),
            (1, 2, 0),
            "complete mode keeps everything"
        );
    }
}
