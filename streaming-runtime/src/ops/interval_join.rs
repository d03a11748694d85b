//! `interval_join(s, lower, upper)`: a join of two streams across batches, bounded by event
//! time (Flink's interval join; Spark's stream–stream inner join with a time-range
//! condition). A row of this side at time `t` and a row of `s` at time `u`, both keyed
//! `k`, are joined when `lower ≤ u − t ≤ upper`, whichever batches they arrive in.
//!
//! Each side keeps its rows until the watermark shows that no row still to come can match
//! them. As everywhere in event time, a time at or below the watermark is too old (Spark's
//! `<=`): a row arriving later is on time if its time is above the watermark from before
//! its batch (a window's results, at the window's end, come in the batch whose watermark
//! reaches it, so they are on time). So a row of this side is freed once the watermark
//! after the batch reaches `t + upper`, a row of `s` once it reaches `u − lower`, and every
//! pair of rows on time meets. A row at or below the watermark from before its batch is
//! late: it is still joined with what is kept, but may have missed rows freed before it
//! came, so it is counted (where Spark drops it).
//!
//! This side's rows are kept as they came, a chunk per batch with its earliest and latest
//! time: a row of `s` reads only the chunks its range overlaps, and a chunk is freed whole
//! once the watermark passes its latest row's last chance (rows are neither copied again
//! nor shifted while they wait). Matching scans when one side holds few rows (a windowed
//! aggregate's results: one or two per window) and indexes the smaller side by key
//! otherwise, so joining many rows against a window's handful costs a comparison per row,
//! not a hash look-up.

use std::hash::Hash;

use crate::context::BatchContext;
use crate::event_time::{Timestamp, Watermark, min_watermark};
use crate::keyed::KeyedMap;
use crate::ops::event_window::LateCount;
use crate::owned::IntoOwned;
use crate::state_stats::{StateCounters, StateSize, StateStats};

/// The rows each side keeps: this side's in a chunk per batch, the other's (few, in the
/// joins this serves) as `(time, key, value)` in arrival order.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct IntervalJoin<K, V, W> {
    /// `lower ≤ u − t ≤ upper`, in milliseconds.
    lower: i64,
    upper: i64,
    left: Vec<Chunk<K, V>>,
    right: Vec<(Timestamp, K, W)>,
    #[serde(skip)]
    counters: StateCounters,
}

/// One batch's rows of this side, with the span of their times: what the fused loop folds
/// each run into ([`fold`]), runs merged in order ([`merge`]), and what the store keeps.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Chunk<K, V> {
    rows: Vec<(Timestamp, K, V)>,
    earliest: i64,
    latest: i64,
}

/// Folds a run of stamped pairs into a chunk, each owned as it is read where it lies in the
/// batch (the run is never collected as it came, then copied again).
#[inline]
pub fn fold<I, KB, VB, K, V>(it: I, input_len: usize) -> Chunk<K, V>
where
    I: Iterator<Item = (Timestamp, (KB, VB))>,
    KB: IntoOwned<Owned = K>,
    VB: IntoOwned<Owned = V>,
{
    let mut chunk = Chunk {
        rows: Vec::with_capacity(it.size_hint().0.max(input_len)),
        earliest: i64::MAX,
        latest: i64::MIN,
    };
    it.for_each(|(t, (k, v))| {
        chunk.earliest = chunk.earliest.min(t.as_millis());
        chunk.latest = chunk.latest.max(t.as_millis());
        chunk.rows.push((t, k.into_owned(), v.into_owned()));
    });
    chunk
}

/// Puts run `b`'s chunk behind run `a`'s.
#[inline]
pub fn merge<K, V>(a: &mut Chunk<K, V>, b: Chunk<K, V>) {
    crate::run_vec::append(&mut a.rows, b.rows);
    a.earliest = a.earliest.min(b.earliest);
    a.latest = a.latest.max(b.latest);
}

impl<K, V, W> IntervalJoin<K, V, W> {
    /// A join of rows whose times differ by `lower ..= upper` milliseconds (the other
    /// side's time less this side's).
    pub fn new(lower_ms: i64, upper_ms: i64) -> Self {
        IntervalJoin {
            lower: lower_ms,
            upper: upper_ms,
            left: Vec::new(),
            right: Vec::new(),
            counters: StateCounters::default(),
        }
    }

    /// Rows kept, this side's and the other's.
    pub fn len(&self) -> usize {
        self.left.iter().map(|c| c.rows.len()).sum::<usize>() + self.right.len()
    }

    /// Whether no row is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What `time(f)` may give for a row of the other side: its time, or none (SQL's NULL: the
/// row never meets any). An integer is milliseconds since the epoch.
pub trait JoinTime {
    fn join_time(self) -> Option<Timestamp>;
}

impl JoinTime for Timestamp {
    #[inline]
    fn join_time(self) -> Option<Timestamp> {
        Some(self)
    }
}

impl JoinTime for i64 {
    #[inline]
    fn join_time(self) -> Option<Timestamp> {
        Some(Timestamp::from_millis(self))
    }
}

impl JoinTime for u64 {
    #[inline]
    fn join_time(self) -> Option<Timestamp> {
        i64::try_from(self).ok().map(Timestamp::from_millis)
    }
}

impl<T: JoinTime> JoinTime for Option<T> {
    #[inline]
    fn join_time(self) -> Option<Timestamp> {
        self.and_then(JoinTime::join_time)
    }
}

/// `time(f)`: the other side's pairs `(k, w)` stamped with `f(&w)` (rows without a time
/// dropped); a stamped other side's own stamps are dropped first (`restamp_by`).
pub fn stamp_by<K, W, T: JoinTime>(
    other: impl IntoIterator<Item = (K, W)>,
    mut f: impl FnMut(&W) -> T,
) -> Vec<(Timestamp, (K, W))> {
    other
        .into_iter()
        .filter_map(|(k, w)| Some((f(&w).join_time()?, (k, w))))
        .collect()
}

/// `time(f)` over a stamped other side: its stamps replaced by `f(&w)`.
pub fn restamp_by<K, W, T: JoinTime>(
    other: Vec<(Timestamp, (K, W))>,
    f: impl FnMut(&W) -> T,
) -> Vec<(Timestamp, (K, W))> {
    stamp_by(other.into_iter().map(|(_, pair)| pair), f)
}

/// One side's rows with fewer than this many on the other side are matched by scanning
/// them; more, and the smaller side is indexed by key.
const SCAN: usize = 8;

/// Pushes `(k, (v, w))` for every pair of `lefts` (chunks of this side) × `rights` with
/// equal keys and `lower ≤ u − t ≤ upper`.
fn pairs<K, V, W>(
    lefts: &[&[(Timestamp, K, V)]],
    rights: &[(Timestamp, K, W)],
    (lower, upper): (i64, i64),
    out: &mut Vec<(K, (V, W))>,
) where
    K: Hash + Eq + Clone,
    V: Clone,
    W: Clone,
{
    let n_left: usize = lefts.iter().map(|c| c.len()).sum();
    if n_left == 0 || rights.is_empty() {
        return;
    }
    let within = |t: Timestamp, u: Timestamp| {
        let d = u.as_millis().saturating_sub(t.as_millis());
        lower <= d && d <= upper
    };
    let mut push = |(t, k, v): &(Timestamp, K, V), (u, k2, w): &(Timestamp, K, W)| {
        if k == k2 && within(*t, *u) {
            out.push((k.clone(), (v.clone(), w.clone())));
        }
    };
    let all_left = || lefts.iter().flat_map(|c| c.iter());
    if rights.len() < SCAN {
        for r in rights {
            all_left().for_each(|l| push(l, r));
        }
    } else if n_left < SCAN {
        for l in all_left() {
            rights.iter().for_each(|r| push(l, r));
        }
    } else if rights.len() <= n_left {
        let index = index(rights.iter().map(|(_, k, _)| k), rights.len());
        for l in all_left() {
            for &i in index.get(&l.1).map_or(&[][..], |v| &v[..]) {
                push(l, &rights[i]);
            }
        }
    } else {
        let lefts_flat: Vec<&(Timestamp, K, V)> = all_left().collect();
        let index = index(lefts_flat.iter().map(|(_, k, _)| k), lefts_flat.len());
        for r in rights {
            for &i in index.get(&r.1).map_or(&[][..], |v| &v[..]) {
                push(lefts_flat[i], r);
            }
        }
    }
}

/// Positions of each key among `keys` (`n` of them).
fn index<'k, K: Hash + Eq + 'k>(
    keys: impl Iterator<Item = &'k K>,
    n: usize,
) -> KeyedMap<&'k K, smallvec::SmallVec<[usize; 1]>> {
    let mut map: KeyedMap<&K, smallvec::SmallVec<[usize; 1]>> =
        KeyedMap::with_capacity_and_hasher(n, Default::default());
    for (i, k) in keys.enumerate() {
        map.entry(k).or_default().push(i);
    }
    map
}

/// One batch: this side's rows (its runs folded into one chunk) and the other stream's
/// batch for the same time (`(time, (key, value))`) joined with each other and with what
/// both sides kept; then each side frees what the watermark after the batch shows cannot
/// match again.
pub fn run<KO, WO, K, V, W>(
    state: &mut IntervalJoin<K, V, W>,
    ctx: &mut BatchContext<'_>,
    late: LateCount<'_>,
    chunk: Chunk<K, V>,
    other: Vec<(Timestamp, (KO, WO))>,
    marks: &[&Watermark],
) -> Vec<(K, (V, W))>
where
    KO: IntoOwned<Owned = K>,
    WO: IntoOwned<Owned = W>,
    K: Hash + Eq + Clone,
    V: Clone,
    W: Clone,
{
    let (current, next) = min_watermark(marks);
    let bounds = (state.lower, state.upper);
    let (lower, upper) = bounds;
    let mut out = Vec::new();
    let mut late_rows = 0u64;

    // The other side's new rows meet this side's rows kept from earlier batches, in the
    // chunks their ranges overlap...
    let old_right = state.right.len();
    state.right.reserve(other.len());
    for (u, (k, w)) in other {
        late_rows += u64::from(u <= current);
        state.right.push((u, k.into_owned(), w.into_owned()));
    }
    let new_right = &state.right[old_right..];
    if let (Some(first), Some(last)) = (
        new_right.iter().map(|r| r.0.as_millis()).min(),
        new_right.iter().map(|r| r.0.as_millis()).max(),
    ) {
        // Rows at t meet rows at u for t in u − upper ..= u − lower.
        let (from, to) = (first.saturating_sub(upper), last.saturating_sub(lower));
        let chunks: Vec<&[(Timestamp, K, V)]> = state
            .left
            .iter()
            .filter(|c| c.earliest <= to && c.latest >= from)
            .map(|c| &c.rows[..])
            .collect();
        pairs(&chunks, new_right, bounds, &mut out);
    }

    // ...and this side's new rows, a chunk of their own, meet every row the other side
    // keeps, new ones included.
    if !chunk.rows.is_empty() {
        if chunk.earliest <= current.as_millis() {
            late_rows += chunk.rows.iter().filter(|(t, ..)| *t <= current).count() as u64;
        }
        pairs(&[&chunk.rows[..]], &state.right, bounds, &mut out);
        state.counters.updated += chunk.rows.len() as u64;
        state.left.push(chunk);
    }
    state.counters.updated += (state.right.len() - old_right) as u64;
    late.add_joined(ctx, late_rows);

    // Free what no row still to come can match: a chunk once its latest row is past.
    let before = state.len();
    // A row of this side at t meets rows of the other up to t + upper, and the other's at
    // u rows of this side from u − lower: once that is at or below the watermark, no row
    // on time can reach it.
    state
        .left
        .retain(|c| c.latest.saturating_add(upper) > next.as_millis());
    state
        .right
        .retain(|(u, ..)| u.as_millis().saturating_sub(lower) > next.as_millis());
    state.counters.evicted += (before - state.len()) as u64;
    out
}

impl<K, V, W> StateSize for IntervalJoin<K, V, W> {
    fn state_stats(&mut self) -> Option<StateStats> {
        let left: usize = self.left.iter().map(|c| c.rows.capacity()).sum();
        let bytes = left * std::mem::size_of::<(Timestamp, K, V)>()
            + self.left.capacity() * std::mem::size_of::<Chunk<K, V>>()
            + self.right.capacity() * std::mem::size_of::<(Timestamp, K, W)>();
        let rows = self.len();
        Some(self.counters.take(rows, bytes as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::BatchTime;

    fn ts(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    /// Runs one batch with a watermark moved to `seen` (delay 0).
    fn batch(
        state: &mut IntervalJoin<u32, String, String>,
        mark: &mut Watermark,
        left: Vec<(i64, u32, &'static str)>,
        right: Vec<(i64, u32, &'static str)>,
        late_seen: &mut u64,
    ) -> Vec<(u32, (String, String))> {
        for &(t, ..) in left.iter().chain(&right) {
            mark.observe(ts(t));
        }
        let mut sink = Vec::new();
        let mut ctx = BatchContext::new(BatchTime::ZERO, BatchTime::ZERO, 1, &mut sink);
        let late = LateCount {
            stage: "interval_join",
            source: None,
        };
        let left: Vec<_> = left.into_iter().map(|(t, k, v)| (ts(t), (k, v))).collect();
        let n = left.len();
        let mut out = run(
            state,
            &mut ctx,
            late,
            fold(left.into_iter(), n),
            right.into_iter().map(|(t, k, w)| (ts(t), (k, w))).collect(),
            &[&*mark],
        );
        *late_seen += ctx.late_rows().iter().map(|(_, n)| n).sum::<u64>();
        mark.advance();
        out.sort();
        out
    }

    fn pair(k: u32, v: &str, w: &str) -> (u32, (String, String)) {
        (k, (v.to_owned(), w.to_owned()))
    }

    #[test]
    fn rows_meet_across_batches_within_the_bounds_and_are_freed_after() {
        // The other side's time is 0 to 10 s after this side's (a window's end after its
        // rows).
        let mut s = IntervalJoin::new(0, 10_000);
        let mut mark = Watermark::new(0);
        let mut late = 0;
        let out = batch(
            &mut s,
            &mut mark,
            vec![(1_000, 1, "a"), (2_000, 2, "b")],
            vec![],
            &mut late,
        );
        assert!(out.is_empty());
        // A row of the other side 9 s later meets "a" (key 1), not "b" (key 2).
        let out = batch(&mut s, &mut mark, vec![], vec![(10_000, 1, "x")], &mut late);
        assert_eq!(out, vec![pair(1, "a", "x")]);
        // Both sides' rows also meet within one batch; 12.001 s is too far from "b".
        let out = batch(
            &mut s,
            &mut mark,
            vec![(11_000, 2, "c")],
            vec![(12_001, 2, "y"), (12_002, 2, "z")],
            &mut late,
        );
        assert_eq!(out, vec![pair(2, "c", "y"), pair(2, "c", "z")]);
        assert_eq!(late, 0);
        // The watermark at 12.002 s freed "a" and "b" (their last chance was 11 s and 12 s)
        // and the other side's rows (a row of this side on time is after 12.002 s): "c"
        // is kept until 21 s.
        assert_eq!(s.left.iter().map(|c| c.rows.len()).sum::<usize>(), 1);
        assert_eq!(s.right.len(), 0);
        // A row of this side behind what was freed is late: counted, still joined.
        let out = batch(&mut s, &mut mark, vec![(1_500, 1, "d")], vec![], &mut late);
        assert!(out.is_empty());
        assert_eq!(late, 1);
    }

    #[test]
    fn many_rows_on_both_sides_match_as_a_scan_would() {
        let mut indexed = Vec::new();
        let lefts: Vec<(Timestamp, u32, u32)> = (0..100)
            .map(|i| (ts(i * 10), i as u32 % 7, i as u32))
            .collect();
        let rights: Vec<(Timestamp, u32, u32)> = (0..50)
            .map(|i| (ts(i * 17), i as u32 % 5, i as u32))
            .collect();
        pairs(
            &[&lefts[..40], &lefts[40..]],
            &rights,
            (-30, 40),
            &mut indexed,
        );
        let mut naive = Vec::new();
        for (t, k, v) in &lefts {
            for (u, k2, w) in &rights {
                let d = u.as_millis() - t.as_millis();
                if k == k2 && (-30..=40).contains(&d) {
                    naive.push((*k, (*v, *w)));
                }
            }
        }
        indexed.sort();
        naive.sort();
        assert!(!naive.is_empty());
        assert_eq!(indexed, naive);
        // The other way round (more rows on the other side).
        let mut flipped = Vec::new();
        pairs(&[&lefts[..20]], &rights, (-30, 40), &mut flipped);
        let mut naive_flipped: Vec<_> = naive
            .iter()
            .copied()
            .filter(|(_, (v, _))| *v < 20)
            .collect();
        flipped.sort();
        naive_flipped.sort();
        assert_eq!(flipped, naive_flipped);
    }
}
