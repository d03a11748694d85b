//! The store of `event_window`'s aggregates ([`EventWindows`]), kept in panes: what
//! [`super::windows`] defines (which windows a row falls in, when they close, what each emit
//! mode emits) computed so that a row costs one look-up however many windows cover it.

use std::collections::{BTreeMap, BTreeSet, btree_map};
use std::hash::Hash;

use hashbrown::hash_map::{Entry, EntryRef};

use super::windows::{Emit, EventAggregation, Results, WindowSpec};
use super::{Timestamp, Window};
use crate::keyed::KeyedMap;
use crate::run_vec;
use crate::state_stats::{StateCounters, StateSize, StateStats, table_bytes};

/// The state of an event-time window aggregation, kept in panes.
///
/// A pane is `gcd(length, slide)` long and aligned as the windows are, so a window is the
/// union of `length / pane` consecutive panes and a row falls in exactly one pane: a row
/// costs one hash look-up however many windows cover it (each bid of Nexmark's q5, 10 s
/// windows sliding by 2 s, was added to five windows), and a window is computed from its
/// panes once, when it is emitted (the "panes" of Li et al., *No pane, no gain*, SIGMOD
/// Record 2005). A window of one pane (tumbling windows) is its pane, moved out whole. A
/// pane's aggregates are a hash map, sorted by key only when emitted, so output stays in
/// window then key order. A pane is freed once every window covering it has closed.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct EventWindows<K: Hash + Eq, V> {
    spec: WindowSpec,
    emit: Emit,
    /// Panes holding rows, by start.
    panes: BTreeMap<i64, KeyedMap<K, V>>,
    /// Windows ending at or before this have closed (emitted in append mode).
    closed_through: i64,
    /// Rows dropped as late since the stage began.
    pub late_rows: u64,
    #[serde(skip)]
    counters: StateCounters,
}

impl<K: Hash + Ord + Clone, V: Clone> EventWindows<K, V> {
    /// No windows yet: windows as `spec` lays them out, emitted as `emit` says.
    pub fn new(spec: WindowSpec, emit: Emit) -> Self {
        EventWindows {
            spec,
            emit,
            panes: BTreeMap::new(),
            closed_through: i64::MIN,
            late_rows: 0,
            counters: StateCounters::default(),
        }
    }

    /// Windows held, with rows and not closed (all of them in complete mode): what the
    /// watermark bounds.
    pub fn open_windows(&self) -> usize {
        self.held().len()
    }

    /// The end of the earliest window held: after the watermark in append and update mode,
    /// whose closed windows are freed.
    pub fn earliest_end(&self) -> Option<Timestamp> {
        let start = self.held().into_iter().next()?;
        Some(Timestamp::from_millis(start + self.spec.length))
    }

    /// The starts of the windows held.
    fn held(&self) -> BTreeSet<i64> {
        let keep_all = self.emit == Emit::Complete;
        let (length, closed) = (self.spec.length, self.closed_through);
        self.panes
            .keys()
            .flat_map(|&p| self.spec.starts_covering(p))
            .filter(|s| keep_all || s + length > closed)
            .collect()
    }

    fn window(&self, start: i64) -> Window {
        Window {
            start: Timestamp::from_millis(start),
            end: Timestamp::from_millis(start + self.spec.length),
        }
    }

    /// Key `k`'s aggregate in the window starting at `start`, if it has rows there.
    fn value(&self, start: i64, k: &K, reduce: &mut impl FnMut(V, V) -> V) -> Option<V> {
        self.panes
            .range(start..start + self.spec.length)
            .filter_map(|(_, pane)| pane.get(k))
            .fold(None, |acc, v| {
                Some(match acc {
                    Some(acc) => reduce(acc, v.clone()),
                    None => v.clone(),
                })
            })
    }

    /// The window starting at `start`, from its panes, in key order. `last_use`: no window
    /// after this one reads its panes, so a window of one pane takes the pane itself.
    fn compute(
        &mut self,
        start: i64,
        last_use: bool,
        reduce: &mut impl FnMut(V, V) -> V,
    ) -> Results<K, V> {
        let w = self.window(start);
        let mut rows: Vec<(K, V)> = if last_use && self.spec.pane() == self.spec.length {
            self.panes
                .remove(&start)
                .map(|pane| pane.into_iter().collect())
                .unwrap_or_default()
        } else {
            let mut merged: KeyedMap<K, V> = KeyedMap::default();
            for (_, pane) in self.panes.range(start..start + self.spec.length) {
                merged.reserve(pane.len());
                for (k, v) in pane {
                    match merged.entry_ref(k) {
                        EntryRef::Occupied(e) => {
                            e.replace_entry_with(|_, old| Some(reduce(old, v.clone())));
                        }
                        EntryRef::Vacant(e) => {
                            e.insert_with_key(k.clone(), v.clone());
                        }
                    }
                }
            }
            merged.into_iter().collect()
        };
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        rows.into_iter().map(|(k, v)| ((w, k), v)).collect()
    }

    /// Closes the windows that end at or before `watermark` (returning their results when
    /// `emit`) and frees the panes no open window covers.
    fn close(
        &mut self,
        watermark: Timestamp,
        emit: bool,
        reduce: &mut impl FnMut(V, V) -> V,
    ) -> Results<K, V> {
        let (wm, length) = (watermark.as_millis(), self.spec.length);
        if wm <= self.closed_through {
            return Vec::new();
        }
        let mut out = Vec::new();
        if emit {
            let closing: BTreeSet<i64> = self
                .panes
                .keys()
                .flat_map(|&p| self.spec.starts_covering(p))
                .filter(|s| s + length > self.closed_through && s + length <= wm)
                .collect();
            for start in closing {
                run_vec::append(&mut out, self.compute(start, true, reduce));
            }
        }
        // A pane is done when the latest window covering it has closed.
        let spec = self.spec;
        self.panes
            .retain(|&p, _| spec.last_start_ms(p) + length > wm);
        self.closed_through = wm;
        out
    }
}

impl<K: Hash + Ord + Clone, V: Clone> EventWindows<K, V> {
    /// Adds rows already reduced by pane and key ([`PaneRuns`]) with the watermark before
    /// the batch (`current`) and after it (`next`); returns what the emit mode emits, in
    /// window then key order, and the number of rows dropped as late (a late pane's rows:
    /// every instant of a pane is late or none is, window ends being pane boundaries).
    pub fn add_folded(
        &mut self,
        runs: PaneRuns<K, V>,
        current: Timestamp,
        next: Timestamp,
        reduce: &mut impl FnMut(V, V) -> V,
    ) -> (Results<K, V>, u64) {
        let (spec, emit) = (self.spec, self.emit);
        let lateness = Lateness {
            current: current.as_millis(),
            keep_all: emit == Emit::Complete,
        };
        // Windows that closed by the watermark before this batch take none of its rows
        // (normally already closed at the end of the batch before).
        let mut out = match emit {
            Emit::Complete => Vec::new(),
            emit => self.close(current, emit == Emit::Append, reduce),
        };
        let mut changed: BTreeSet<(i64, K)> = BTreeSet::new();
        let mut late = 0;
        for (start, (rows, pane)) in runs.panes {
            if lateness.is_late(&spec, start) {
                late += rows;
                continue;
            }
            if emit == Emit::Update {
                for s in spec
                    .starts_covering(start)
                    .take_while(|s| s + spec.length > lateness.current)
                {
                    changed.extend(pane.keys().map(|k| (s, k.clone())));
                }
            }
            self.counters.updated += rows;
            self.counters.inserted += match self.panes.entry(start) {
                btree_map::Entry::Vacant(e) => e.insert(pane).len() as u64,
                btree_map::Entry::Occupied(mut e) => merge_into(e.get_mut(), pane, reduce),
            };
        }
        self.late_rows += late;
        match emit {
            Emit::Append => run_vec::append(&mut out, self.close(next, true, reduce)),
            Emit::Update => {
                for (start, k) in changed {
                    if let Some(v) = self.value(start, &k, reduce) {
                        out.push(((self.window(start), k), v));
                    }
                }
                let _ = self.close(next, false, reduce);
            }
            Emit::Complete => {
                for start in self.held() {
                    out.extend(self.compute(start, false, reduce));
                }
            }
        }
        (out, late)
    }
}

impl<K: Hash + Ord + Clone, V: Clone> EventAggregation<K, V> for EventWindows<K, V> {
    /// Adds a batch's rows `(event time, key, value)`: reduced by pane and key
    /// ([`PaneRuns`]), each late row handed to `late_row` on the way, then added
    /// ([`EventWindows::add_folded`]).
    fn add_batch<I, F, L>(
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
        let lateness = Lateness {
            current: current.as_millis(),
            keep_all: self.emit == Emit::Complete,
        };
        let mut late = 0;
        let runs = PaneRuns::fold_rows(rows, self.spec, Some(lateness), &mut reduce, |t, k, v| {
            late += 1;
            late_row(t, k, v);
        });
        self.late_rows += late;
        let (out, late_panes) = self.add_folded(runs, current, next, &mut reduce);
        (out, late + late_panes)
    }

    fn end_of_input<F: FnMut(V, V) -> V>(&mut self, mut reduce: F) -> Results<K, V> {
        if self.emit != Emit::Append {
            return Vec::new();
        }
        self.close(Timestamp::from_millis(i64::MAX), true, &mut reduce)
    }
}

/// Rows: a key in a pane (a key in two panes counts twice); updated: rows the batch
/// aggregated; evicted: rows of the panes freed. O(panes).
impl<K: Hash + Ord + Clone, V: Clone> StateSize for EventWindows<K, V> {
    fn state_stats(&mut self) -> Option<StateStats> {
        let (rows, bytes) = self.panes.values().fold((0, 0), |(r, b), p| {
            (r + p.len(), b + table_bytes::<K, V>(p.capacity()))
        });
        let open = self.open_windows() as u64;
        let mut stats = self.counters.take_from_rows(rows, bytes);
        stats.open_windows = Some(open);
        Some(stats)
    }
}

/// Reduces `from`'s values into `into`'s (`into`'s first, as they came first); returns
/// how many keys were new to `into`.
fn merge_into<K: Hash + Eq, V>(
    into: &mut KeyedMap<K, V>,
    from: KeyedMap<K, V>,
    reduce: &mut impl FnMut(V, V) -> V,
) -> u64 {
    into.reserve(from.len());
    let mut inserted = 0;
    for (k, v) in from {
        match into.entry(k) {
            Entry::Occupied(e) => {
                e.replace_entry_with(|_, old| Some(reduce(old, v)));
            }
            Entry::Vacant(e) => {
                e.insert(v);
                inserted += 1;
            }
        }
    }
    inserted
}

/// Which rows are late, when the watermark is known as rows are folded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lateness {
    /// The watermark before the batch, in ms.
    current: i64,
    /// Complete mode keeps every window: only a row between windows is late.
    keep_all: bool,
}

impl Lateness {
    /// Whether the rows of the pane starting at `start` are late: the latest window
    /// covering the pane has closed, or the pane falls in a gap between windows. (Window
    /// starts and ends are pane boundaries, so every instant of a pane has the same
    /// answer.)
    fn is_late(&self, spec: &WindowSpec, start: i64) -> bool {
        let end = spec.last_start_ms(start) + spec.length;
        end <= start || (!self.keep_all && end <= self.current)
    }
}

/// Rows reduced by pane and key before they reach the store: a batch's, or one run's of a
/// fused loop (`event_window` folds each run into one, as `reduce_by_key` folds into its
/// shards, so the rows are never materialised). Per pane: how many rows it took (to count
/// them if the pane turns out late) and their values reduced by key.
pub struct PaneRuns<K, V> {
    panes: BTreeMap<i64, (u64, KeyedMap<K, V>)>,
}

impl<K: Hash + Eq, V> PaneRuns<K, V> {
    /// Folds `rows`, handing those `lateness` finds late to `late_row` (with no
    /// `lateness`, late panes are found when the runs are added to the store).
    pub(crate) fn fold_rows<F, L>(
        rows: impl IntoIterator<Item = (Timestamp, K, V)>,
        spec: WindowSpec,
        lateness: Option<Lateness>,
        reduce: &mut F,
        mut late_row: L,
    ) -> Self
    where
        F: FnMut(V, V) -> V,
        L: FnMut(Timestamp, K, V),
    {
        let pane_length = spec.pane();
        let mut panes: BTreeMap<i64, (u64, KeyedMap<K, V>)> = BTreeMap::new();
        // The pane the last row went to: rows mostly come in time order, so most rows find
        // their pane (and its lateness) without a search or a division.
        let mut slot: Option<Slot<K, V>> = None;
        // Internal iteration (`for_each`, i.e. `fold`): the rows are a fused run's adapters
        // (a `flat_map` of the batch), which a `for` loop would drive by `next()`, copying
        // each element out and testing the adapters' states per row.
        rows.into_iter().for_each(|(t, k, v)| {
            let t_ms = t.as_millis();
            if slot
                .as_ref()
                .is_none_or(|s| t_ms < s.start || t_ms >= s.start + pane_length)
            {
                if let Some(old) = slot.take() {
                    old.flush(&mut panes, reduce);
                }
                let start = spec.pane_start(t_ms, pane_length);
                let late = lateness.is_some_and(|l| l.is_late(&spec, start));
                slot = Some(Slot {
                    start,
                    pane: (!late).then(|| panes.remove(&start).unwrap_or_default()),
                    pending: None,
                });
            }
            let Some(slot) = slot.as_mut() else { return };
            let Some(pane) = slot.pane.as_mut() else {
                late_row(t, k, v);
                return;
            };
            pane.0 += 1;
            // A run of rows of one key (a global aggregate's, a key's burst) is reduced
            // beside the table and goes in once.
            slot.pending = Some(match slot.pending.take() {
                Some((pk, pv)) if pk == k => (pk, reduce(pv, v)),
                Some(other) => {
                    slot.put(other, reduce);
                    (k, v)
                }
                None => (k, v),
            });
        });
        if let Some(old) = slot.take() {
            old.flush(&mut panes, reduce);
        }
        PaneRuns { panes }
    }

    /// Adds `other`'s panes (a later run's) to these.
    pub fn merge(&mut self, other: PaneRuns<K, V>, reduce: &mut impl FnMut(V, V) -> V) {
        for (start, (rows, pane)) in other.panes {
            match self.panes.entry(start) {
                btree_map::Entry::Vacant(e) => {
                    e.insert((rows, pane));
                }
                btree_map::Entry::Occupied(mut e) => {
                    let mine = e.get_mut();
                    mine.0 += rows;
                    let _ = merge_into(&mut mine.1, pane, reduce);
                }
            }
        }
    }
}

/// The pane rows are going to ([`PaneRuns::fold_rows`]): its row count and table, taken out
/// of the runs' panes while rows go to it (`None`: its rows are late), and the value of the
/// key of the rows just before, not yet in it.
struct Slot<K, V> {
    start: i64,
    pane: Option<(u64, KeyedMap<K, V>)>,
    pending: Option<(K, V)>,
}

impl<K: Hash + Eq, V> Slot<K, V> {
    /// Reduces `(k, v)` into the pane's table.
    fn put(&mut self, (k, v): (K, V), reduce: &mut impl FnMut(V, V) -> V) {
        if let Some((_, table)) = self.pane.as_mut() {
            match table.entry(k) {
                Entry::Occupied(e) => {
                    e.replace_entry_with(|_, old| Some(reduce(old, v)));
                }
                Entry::Vacant(e) => {
                    e.insert(v);
                }
            }
        }
    }

    /// Puts the pending value in and the pane back: the rows have moved on to another pane
    /// or ended.
    fn flush(
        mut self,
        panes: &mut BTreeMap<i64, (u64, KeyedMap<K, V>)>,
        reduce: &mut impl FnMut(V, V) -> V,
    ) {
        if let Some(pending) = self.pending.take() {
            self.put(pending, reduce);
        }
        if let Some(pane) = self.pane {
            panes.insert(self.start, pane);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_secs(s)
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
        assert_eq!(w.end_of_input(add).len(), 2);
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

    /// The windows as the definition reads: every row added to each open window covering
    /// it, a window emitted whole (append), per change (update) or always (complete).
    struct Naive {
        spec: WindowSpec,
        emit: Emit,
        windows: BTreeMap<i64, BTreeMap<u8, i64>>,
        emitted: BTreeSet<i64>,
    }

    impl Naive {
        fn apply(
            &mut self,
            rows: &[(i64, u8)],
            current: i64,
            next: i64,
        ) -> (Vec<(i64, u8, i64)>, u64) {
            let keep_all = self.emit == Emit::Complete;
            let (mut late, mut changed) = (0, BTreeSet::new());
            for &(t, k) in rows {
                let open: Vec<i64> = self
                    .spec
                    .windows_of(Timestamp::from_millis(t))
                    .map(|w| w.start.as_millis())
                    .filter(|s| keep_all || s + self.spec.length > current)
                    .collect();
                if open.is_empty() {
                    late += 1;
                }
                for s in open {
                    *self.windows.entry(s).or_default().entry(k).or_default() += 1;
                    changed.insert((s, k));
                }
            }
            let len = self.spec.length;
            let out = match self.emit {
                Emit::Append => {
                    let mut out = Vec::new();
                    for (&s, table) in &self.windows {
                        if s + len <= next && self.emitted.insert(s) {
                            out.extend(table.iter().map(|(&k, &n)| (s, k, n)));
                        }
                    }
                    out
                }
                Emit::Update => changed
                    .into_iter()
                    .map(|(s, k)| (s, k, self.windows[&s][&k]))
                    .collect(),
                Emit::Complete => self
                    .windows
                    .iter()
                    .flat_map(|(&s, t)| t.iter().map(move |(&k, &n)| (s, k, n)))
                    .collect(),
            };
            if self.emit != Emit::Complete {
                self.windows.retain(|&s, _| s + len > next);
            }
            (out, late)
        }
    }

    proptest::proptest! {
        /// Panes give what adding each row to every window covering it gives, in every emit
        /// mode, for windows that slide by a divisor of their length or not, with offsets and
        /// gaps (a slide longer than the window), late rows and a watermark that stalls.
        #[test]
        fn panes_equal_the_windows_as_defined(
            length in 1i64..12,
            slide in 1i64..12,
            offset in 0i64..12,
            emit in proptest::sample::select(vec![Emit::Append, Emit::Update, Emit::Complete]),
            batches in proptest::collection::vec(
                (proptest::collection::vec((0i64..60, 0u8..3), 0..12), 0i64..8),
                1..8,
            ),
        ) {
            let spec = WindowSpec::new(length as u64 * 1000, slide as u64 * 1000, (offset % slide) as u64 * 1000);
            let mut panes = EventWindows::new(spec, emit);
            let mut naive = Naive { spec, emit, windows: BTreeMap::new(), emitted: BTreeSet::new() };
            let mut watermark = 0i64;
            for (rows, advance) in batches {
                let rows: Vec<(i64, u8)> = rows.into_iter().map(|(t, k)| (t * 1000 + 500, k)).collect();
                let next = watermark + advance * 1000;
                let (got, got_late) = panes.apply(
                    rows.iter().map(|&(t, k)| (Timestamp::from_millis(t), k, 1i64)),
                    Timestamp::from_millis(watermark),
                    Timestamp::from_millis(next),
                    |a, b| a + b,
                );
                let got: Vec<(i64, u8, i64)> = got.into_iter().map(|((w, k), n)| (w.start.as_millis(), k, n)).collect();
                let (want, want_late) = naive.apply(&rows, watermark, next);
                proptest::prop_assert_eq!(got, want);
                proptest::prop_assert_eq!(got_late, want_late);
                watermark = next;
            }
        }
    }
}
