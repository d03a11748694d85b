//! Windows (Spark's `window`, `reduceByKeyAndWindow`, ...).
//!
//! A window of length `W` sliding every `S` emits at batch times `t = zero + k·S` (k ≥ 1,
//! `zero` being the pipeline's start) the data of the batches in `(t − W, t]`; windows at
//! the start are partial. Data is kept in *panes* of `gcd(W, S)`, so `W` need not be a
//! multiple of `S`: a window is always a whole number of panes and every slide ends on a
//! pane boundary.
//!
//! - [`WindowBuffer`] keeps each pane's elements (`window(W, S)`: later stages see them all).
//! - [`KeyedWindow`] keeps one partial aggregate per key per pane (`window(W, S) reduce(f)`):
//!   a window's result combines its panes' partials, never the raw elements; with an
//!   inverse (`reduce(f, inv)`) it keeps a running result, adds the entering pane and
//!   subtracts the leaving one, so a slide costs what the two panes hold, whatever `W` is.
//!   A key is dropped when no pane in the window holds it any more, so the inverse form
//!   always equals the plain one (Spark instead keeps zero-valued keys unless filtered).

use std::collections::VecDeque;
use std::hash::Hash;

use hashbrown::hash_map::Entry;

use crate::error::StreamingError;
use crate::keyed::KeyedMap;
use crate::run_vec;
use crate::state_map::StateMap;
use crate::state_stats::{StateCounters, StateSize, StateStats, table_bytes};
use crate::time::BatchTime;

/// Window length, slide and the slide of the stream it applies to, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WindowSpec {
    pub window_ms: u64,
    pub slide_ms: u64,
    pub parent_ms: u64,
}

impl WindowSpec {
    /// Checks Spark's rules (the macro checks literals at compile time; this catches
    /// durations given as const expressions).
    pub fn new(window_ms: u64, slide_ms: u64, parent_ms: u64) -> Result<Self, StreamingError> {
        let bad = |what: &str, v: u64| {
            StreamingError::Config(format!(
                "window {what} {v}ms is not a positive multiple of the stream's slide {parent_ms}ms"
            ))
        };
        if parent_ms == 0 {
            return Err(StreamingError::Config(
                "the stream's slide must be positive".into(),
            ));
        }
        if window_ms == 0 || window_ms % parent_ms != 0 {
            return Err(bad("length", window_ms));
        }
        if slide_ms == 0 || slide_ms % parent_ms != 0 {
            return Err(bad("slide", slide_ms));
        }
        Ok(WindowSpec {
            window_ms,
            slide_ms,
            parent_ms,
        })
    }

    fn pane_ms(&self) -> u64 {
        gcd(self.window_ms, self.slide_ms)
    }

    fn panes_per_window(&self) -> usize {
        (self.window_ms / self.pane_ms()) as usize
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Where a batch falls: does it end a pane, and does it end a slide (emit)?
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Clock {
    spec: WindowSpec,
    zero: u64,
}

impl Clock {
    fn since_zero(&self, time: BatchTime) -> u64 {
        time.milliseconds().saturating_sub(self.zero)
    }
    fn ends_pane(&self, time: BatchTime) -> bool {
        self.since_zero(time) % self.spec.pane_ms() == 0
    }
    fn ends_slide(&self, time: BatchTime) -> bool {
        let t = self.since_zero(time);
        t > 0 && t % self.spec.slide_ms == 0
    }
}

/// `window(W, S)`: the elements of the batches in each window.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct WindowBuffer<T> {
    clock: Clock,
    open: Vec<T>,
    panes: VecDeque<Vec<T>>,
    #[serde(skip)]
    counters: StateCounters,
}

impl<T: Clone> WindowBuffer<T> {
    /// `zero` is the pipeline's start (the batch before the first one).
    pub fn new(spec: WindowSpec, zero: BatchTime) -> Self {
        WindowBuffer {
            clock: Clock {
                spec,
                zero: zero.milliseconds(),
            },
            open: Vec::new(),
            panes: VecDeque::new(),
            counters: StateCounters::default(),
        }
    }

    /// Adds the batch at `time`; at a slide time returns the window's elements (oldest first).
    pub fn push(&mut self, time: BatchTime, batch: Vec<T>) -> Option<Vec<T>> {
        self.counters.updated += batch.len() as u64;
        self.counters.inserted += batch.len() as u64;
        // A pane's first batch is kept as it is, not copied.
        run_vec::append(&mut self.open, batch);
        if self.clock.ends_pane(time) {
            let mut pane = std::mem::take(&mut self.open);
            // Kept for the window's length: a batch that a selective filter left mostly
            // empty (a run's vec is sized by its input) gives its spare capacity back.
            if pane.len() < pane.capacity() / 2 {
                pane.shrink_to_fit();
            }
            self.panes.push_back(pane);
            while self.panes.len() > self.clock.spec.panes_per_window() {
                self.panes.pop_front();
            }
        }
        self.clock
            .ends_slide(time)
            .then(|| self.panes.iter().flatten().cloned().collect())
    }
}

/// A key's partial aggregate and how many panes of the window contributed to it.
type Partial<V> = (V, u32);

/// `window(W, S) reduce(f [, inv])`: per-key results over each window.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(bound(
    serialize = "K: serde::Serialize + Hash + Eq, V: serde::Serialize",
    deserialize = "K: serde::de::DeserializeOwned + Hash + Eq + Send, V: serde::de::DeserializeOwned + Send"
))]
pub struct KeyedWindow<K, V> {
    clock: Clock,
    open: StateMap<K, V>,
    panes: VecDeque<StateMap<K, V>>,
    /// The running window result, kept only with an inverse.
    running: Option<StateMap<K, Partial<V>>>,
    #[serde(skip)]
    counters: StateCounters,
}

impl<K: Hash + Eq + Clone, V: Clone> KeyedWindow<K, V> {
    /// `incremental`: an inverse function will be given to every [`KeyedWindow::push`].
    pub fn new(spec: WindowSpec, zero: BatchTime, incremental: bool) -> Self {
        KeyedWindow {
            clock: Clock {
                spec,
                zero: zero.milliseconds(),
            },
            open: StateMap::new(),
            panes: VecDeque::new(),
            running: incremental.then(StateMap::new),
            counters: StateCounters::default(),
        }
    }

    /// Adds one batch's per-key partials (`(key, value)`s, keys owned or convertible), and at
    /// a slide time returns the window's `(key, value)`s: keys by reference into the window
    /// (the stages after a window read its result in place instead of copying every key
    /// each slide), values copied. `inv` must be `Some` exactly when the window was made
    /// incremental.
    pub fn push<I, F, G>(
        &mut self,
        time: BatchTime,
        batch: I,
        mut f: F,
        inv: Option<G>,
    ) -> Option<Vec<(&K, V)>>
    where
        I: IntoIterator<Item = (K, V)>,
        F: FnMut(V, V) -> V,
        G: FnMut(V, V) -> V,
    {
        if !self.update(time, batch, &mut f, inv) {
            return None;
        }
        Some(self.result(f).collect())
    }

    /// Like [`KeyedWindow::push`], but returns only the first `select.n` results in the
    /// order of the `sort` after the window (`sort desc |> take(n)`): a slide costs a pass
    /// over the window's keys and a short list.
    pub fn push_select<I, F, G, O>(
        &mut self,
        time: BatchTime,
        batch: I,
        mut f: F,
        inv: Option<G>,
        select: &crate::order::Select<O>,
    ) -> Option<Vec<(&K, V)>>
    where
        I: IntoIterator<Item = (K, V)>,
        F: FnMut(V, V) -> V,
        G: FnMut(V, V) -> V,
        K: PartialOrd,
        V: PartialOrd,
        O: crate::order::PairOrder,
    {
        if !self.update(time, batch, &mut f, inv) {
            return None;
        }
        Some(select.first_refs(self.result(f)))
    }

    /// Like [`KeyedWindow::push`], but returns only the first `n` results (`window .. |>
    /// print` or `|> take(n)`: the next stage reads no more), the same ones `push` would
    /// list first.
    pub fn push_first<I, F, G>(
        &mut self,
        time: BatchTime,
        batch: I,
        mut f: F,
        inv: Option<G>,
        n: usize,
    ) -> Option<Vec<(&K, V)>>
    where
        I: IntoIterator<Item = (K, V)>,
        F: FnMut(V, V) -> V,
        G: FnMut(V, V) -> V,
    {
        if !self.update(time, batch, &mut f, inv) {
            return None;
        }
        Some(self.result(f).take(n).collect())
    }

    /// Adds a batch; true when `time` ends a slide (the window has a result).
    fn update<I, F, G>(&mut self, time: BatchTime, batch: I, mut f: F, mut inv: Option<G>) -> bool
    where
        I: IntoIterator<Item = (K, V)>,
        F: FnMut(V, V) -> V,
        G: FnMut(V, V) -> V,
    {
        let keys = self.open.len();
        for (k, v) in batch {
            self.counters.updated += 1;
            combine(&mut self.open, k, v, &mut f);
        }
        self.counters.inserted += (self.open.len() - keys) as u64;
        if self.clock.ends_pane(time) {
            let pane = std::mem::take(&mut self.open);
            if let Some(running) = &mut self.running {
                for (k, v) in &pane {
                    // Look up by reference: a key already in the window is not copied again.
                    if let Some((acc, n)) = running.get_mut(k) {
                        replace_with(acc, |a| f(a, v.clone()));
                        *n += 1;
                    } else {
                        running.insert(k.clone(), (v.clone(), 1));
                    }
                }
            }
            self.panes.push_back(pane);
            while self.panes.len() > self.clock.spec.panes_per_window() {
                let Some(leaving) = self.panes.pop_front() else {
                    break;
                };
                if let (Some(running), Some(inv)) = (&mut self.running, inv.as_mut()) {
                    for (k, v) in leaving {
                        if let Entry::Occupied(mut e) = running.entry(k) {
                            let (acc, n) = e.get_mut();
                            *n -= 1;
                            if *n == 0 {
                                e.remove();
                            } else {
                                replace_with(acc, |a| inv(a, v));
                            }
                        }
                    }
                }
            }
        }
        self.clock.ends_slide(time)
    }

    /// The current window's `(key, value)`s, keys by reference: from the running result
    /// (with an inverse), else combined anew from the panes with `f` (the keys still
    /// borrowed from the panes).
    fn result<F>(&self, mut f: F) -> impl Iterator<Item = (&K, V)>
    where
        F: FnMut(V, V) -> V,
    {
        let combined = self.running.is_none().then(|| {
            let mut window: KeyedMap<&K, V> = KeyedMap::default();
            for pane in &self.panes {
                for (k, v) in pane {
                    combine(&mut window, k, v.clone(), &mut f);
                }
            }
            window
        });
        let running = self.running.iter().flatten();
        running
            .map(|(k, (v, _))| (k, v.clone()))
            .chain(combined.into_iter().flatten())
    }

    /// Keys held by the running result (incremental) or by all panes.
    pub fn keys_held(&self) -> usize {
        match &self.running {
            Some(r) => r.len(),
            None => self.panes.iter().map(|p| p.len()).sum(),
        }
    }
}

/// Rows: the elements in the window's panes; updated: the batch's elements; evicted: those
/// of the panes that left the window. O(panes).
impl<T> StateSize for WindowBuffer<T> {
    fn state_stats(&mut self) -> Option<StateStats> {
        let (rows, capacity) = (self.panes.iter())
            .chain(std::iter::once(&self.open))
            .fold((0, 0), |(r, c), p| (r + p.len(), c + p.capacity()));
        let bytes = (capacity * std::mem::size_of::<T>()) as u64;
        Some(self.counters.take_from_rows(rows, bytes))
    }
}

/// Rows: a key's partial in a pane (a key in three panes counts three times); updated: the
/// batch's `(key, value)`s combined; evicted: partials of the panes that left the window;
/// bytes include the running result kept with an inverse function. O(panes).
impl<K, V> StateSize for KeyedWindow<K, V> {
    fn state_stats(&mut self) -> Option<StateStats> {
        let (rows, bytes) = (self.panes.iter())
            .chain(std::iter::once(&self.open))
            .fold((0, 0), |(r, b), p| {
                (r + p.len(), b + table_bytes::<K, V>(p.capacity()))
            });
        let running = self.running.as_ref().map_or(0, |r| r.capacity());
        let bytes = bytes + table_bytes::<K, Partial<V>>(running);
        Some(self.counters.take_from_rows(rows, bytes))
    }
}

fn combine<K: Hash + Eq, V>(map: &mut KeyedMap<K, V>, k: K, v: V, f: &mut impl FnMut(V, V) -> V) {
    match map.entry(k) {
        Entry::Occupied(e) => {
            e.replace_entry_with(|_, old| Some(f(old, v)));
        }
        Entry::Vacant(e) => {
            e.insert(v);
        }
    }
}

/// `*slot = f(*slot)` for a non-`Default` value.
fn replace_with<V: Clone>(slot: &mut V, f: impl FnOnce(V) -> V) {
    let old = slot.clone();
    *slot = f(old);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> BatchTime {
        BatchTime::from_millis(s * 1000)
    }

    #[test]
    fn spec_rejects_non_multiples() {
        assert!(WindowSpec::new(7000, 2000, 2000).is_err());
        assert!(WindowSpec::new(6000, 3000, 2000).is_err());
        assert!(WindowSpec::new(6000, 4000, 2000).is_ok());
    }

    #[test]
    fn window_emits_at_slides_over_partial_then_full_windows() {
        let mut w = WindowBuffer::new(WindowSpec::new(3000, 2000, 1000).unwrap(), BatchTime::ZERO);
        let out: Vec<_> = (1..=6).map(|k| w.push(t(k), vec![k])).collect();
        assert_eq!(
            out,
            [
                None,
                Some(vec![1, 2]),
                None,
                Some(vec![2, 3, 4]),
                None,
                Some(vec![4, 5, 6])
            ]
        );
    }

    #[test]
    fn a_kept_pane_holds_no_spare_capacity_and_one_batch_is_not_copied() {
        // Panes of 1 s (the batch interval): every batch ends one.
        let mut w = WindowBuffer::new(WindowSpec::new(2000, 1000, 1000).unwrap(), BatchTime::ZERO);
        // A filtered run's vec: sized by its input, mostly empty.
        let mut filtered = Vec::with_capacity(1000);
        filtered.extend([1, 2, 3]);
        let full = vec![4; 8];
        let full_ptr = full.as_ptr();
        w.push(t(1), filtered);
        w.push(t(2), full);
        let capacities: Vec<_> = w.panes.iter().map(Vec::capacity).collect();
        assert_eq!(capacities, [3, 8]);
        assert_eq!(
            w.panes[1].as_ptr(),
            full_ptr,
            "a pane of one batch is that batch's vec"
        );
    }

    #[test]
    fn slide_longer_than_window_skips_batches() {
        let mut w = WindowBuffer::new(WindowSpec::new(1000, 3000, 1000).unwrap(), BatchTime::ZERO);
        let out: Vec<_> = (1..=6).map(|k| w.push(t(k), vec![k])).collect();
        assert_eq!(out, [None, None, Some(vec![3]), None, None, Some(vec![6])]);
    }

    /// A slide's result with its keys copied out of the window.
    fn owned(out: Option<Vec<(&String, i64)>>) -> Option<Vec<(String, i64)>> {
        out.map(|v| v.into_iter().map(|(k, v)| (k.clone(), v)).collect())
    }

    #[test]
    fn a_window_restored_from_a_checkpoint_continues_identically() {
        let spec = WindowSpec::new(3000, 1000, 1000).unwrap();
        let batches: Vec<Vec<(String, i64)>> =
            (0..8).map(|i| vec![(format!("k{}", i % 3), i)]).collect();
        let add = |a: i64, b: i64| a + b;
        let sub = Some(|a: i64, b: i64| a - b);
        let mut straight = KeyedWindow::new(spec, BatchTime::ZERO, true);
        let mut outputs = Vec::new();
        for (k, b) in batches.iter().enumerate() {
            outputs.push(owned(straight.push(t(k as u64 + 1), b.clone(), add, sub)));
        }
        let mut first = KeyedWindow::new(spec, BatchTime::ZERO, true);
        let mut resumed_outputs = Vec::new();
        for (k, b) in batches.iter().enumerate().take(4) {
            resumed_outputs.push(owned(first.push(t(k as u64 + 1), b.clone(), add, sub)));
        }
        let bytes = postcard::to_stdvec(&first).unwrap();
        let mut resumed: KeyedWindow<String, i64> = postcard::from_bytes(&bytes).unwrap();
        for (k, b) in batches.iter().enumerate().skip(4) {
            resumed_outputs.push(owned(resumed.push(t(k as u64 + 1), b.clone(), add, sub)));
        }
        let sorted = |v: Vec<Option<Vec<(String, i64)>>>| {
            v.into_iter()
                .map(|o| {
                    o.map(|mut x| {
                        x.sort();
                        x
                    })
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(sorted(outputs), sorted(resumed_outputs));
    }

    #[test]
    fn state_stats_count_a_batchs_partials_and_the_panes_that_left() {
        let spec = WindowSpec::new(3000, 1000, 1000).unwrap();
        let mut w = KeyedWindow::new(spec, BatchTime::ZERO, false);
        let batches: Vec<Vec<(&str, i64)>> = vec![
            vec![("a", 1), ("b", 1), ("a", 1)],
            vec![("a", 1)],
            vec![],
            vec![],
        ];
        let stats: Vec<(u64, u64, u64)> = (batches.into_iter().enumerate())
            .map(|(k, b)| {
                let add = |x: i64, y: i64| x + y;
                let _ = w.push(t(k as u64 + 1), b, add, None::<fn(i64, i64) -> i64>);
                let s = w.state_stats().unwrap();
                assert!(s.bytes > 0);
                (s.rows, s.updated, s.evicted)
            })
            .collect();
        // At 4 s the first pane (a, b) leaves the 3 s window.
        assert_eq!(stats, [(2, 3, 0), (3, 1, 0), (3, 0, 0), (1, 0, 2)]);
    }

    #[test]
    fn inverse_equals_plain_and_drops_keys_that_left() {
        let spec = WindowSpec::new(3000, 1000, 1000).unwrap();
        let mut plain = KeyedWindow::new(spec, BatchTime::ZERO, false);
        let mut inc = KeyedWindow::new(spec, BatchTime::ZERO, true);
        let batches: Vec<Vec<(&str, i64)>> = vec![
            vec![("a", 1), ("b", -1)],
            vec![("b", 1)],
            vec![],
            vec![("a", 2)],
            vec![],
            vec![],
            vec![],
        ];
        for (k, b) in batches.into_iter().enumerate() {
            let time = t(k as u64 + 1);
            let add = |x: i64, y: i64| x + y;
            let mut p = plain
                .push(time, b.clone(), add, None::<fn(i64, i64) -> i64>)
                .unwrap();
            let mut i = inc
                .push(time, b, add, Some(|x: i64, y: i64| x - y))
                .unwrap();
            p.sort();
            i.sort();
            assert_eq!(p, i, "at {time}");
        }
        assert_eq!(inc.keys_held(), 0, "everything left the window");
    }
}
