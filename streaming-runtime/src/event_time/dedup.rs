//! `drop_duplicates [by |x| key] [within_watermark]`: Structured Streaming's
//! `dropDuplicates` / `dropDuplicatesWithinWatermark` over stamped records.
//!
//! A record whose key was seen before is dropped; so is one whose event time is at or below
//! the watermark from before the batch (late: counted). A key is remembered from the event
//! time it was first seen at until the watermark reaches that time (`drop_duplicates`:
//! Spark's rule when the event time is part of the key) or that time plus the watermark's
//! delay (`within_watermark`: a repeat within the delay of the first occurrence is dropped
//! however late it comes). Either way the state is bounded by the watermark.
//!
//! Both comparisons are Spark's: a row or a key is too old when its time is `<=` the
//! watermark (`WatermarkSupport.watermarkExpression`; `dropDuplicatesWithinWatermark`
//! evicts when `watermark >= expiresAt`). `tests/watermark_boundaries.rs` pins them.

use std::hash::Hash;

use super::{Timestamp, Watermark};
use crate::state_map::StateMap;
use crate::state_stats::{StateCounters, StateSize, StateStats, table_bytes};

/// The keys remembered, each with the time it may be forgotten at.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(bound(
    serialize = "K: serde::Serialize",
    deserialize = "K: serde::de::DeserializeOwned + Send"
))]
pub struct Dedup<K: Eq + Hash> {
    within_watermark: bool,
    seen: StateMap<K, i64>,
    /// Records dropped as late since the stage began.
    pub late_rows: u64,
    /// Records dropped as repeats since the stage began.
    pub duplicates: u64,
    #[serde(skip)]
    counters: StateCounters,
}

impl<K: Eq + Hash> Dedup<K> {
    /// An empty store of seen keys; `within_watermark` keeps a key for the watermark's delay
    /// beyond its first event time (`dropDuplicatesWithinWatermark`).
    pub fn new(within_watermark: bool) -> Self {
        Dedup {
            within_watermark,
            seen: StateMap::new(),
            late_rows: 0,
            duplicates: 0,
            counters: StateCounters::default(),
        }
    }

    /// Keys remembered.
    pub fn keys(&self) -> usize {
        self.seen.len()
    }

    /// The batch's first occurrences of keys not seen before; the rows dropped as late.
    /// Then forgets the keys the watermark after the batch has passed.
    pub fn apply<T>(
        &mut self,
        rows: Vec<(Timestamp, T)>,
        mut key: impl FnMut(&T) -> K,
        marks: &[&Watermark],
    ) -> (Vec<(Timestamp, T)>, u64) {
        let (current, next) = super::min_watermark(marks);
        let current = current.as_millis();
        let keep_for = match marks.iter().map(|m| m.delay_ms()).max() {
            Some(d) if self.within_watermark => d,
            _ => 0,
        };
        let mut late = 0;
        let mut out = Vec::with_capacity(rows.len());
        for (t, x) in rows {
            if t.as_millis() <= current {
                late += 1;
                continue;
            }
            let k = key(&x);
            if self.seen.contains_key(&k) {
                self.duplicates += 1;
                continue;
            }
            self.seen.insert(k, t.as_millis().saturating_add(keep_for));
            out.push((t, x));
        }
        let next = next.as_millis();
        self.counters.updated += out.len() as u64;
        let before = self.seen.len();
        self.seen.retain(|_, until| *until > next);
        self.counters.evicted += (before - self.seen.len()) as u64;
        self.late_rows += late;
        (out, late)
    }
}

/// Updated: keys seen for the first time; evicted: keys the watermark forgot.
impl<K: Eq + Hash> StateSize for Dedup<K> {
    fn state_stats(&mut self) -> Option<StateStats> {
        let bytes = table_bytes::<K, i64>(self.seen.capacity());
        Some(self.counters.take(self.seen.len(), bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(xs: &[(i64, &'static str)]) -> Vec<(Timestamp, &'static str)> {
        xs.iter()
            .map(|&(t, x)| (Timestamp::from_secs(t), x))
            .collect()
    }

    fn batch(
        d: &mut Dedup<&'static str>,
        mark: &mut Watermark,
        xs: &[(i64, &'static str)],
    ) -> Vec<&'static str> {
        for (t, _) in xs {
            mark.observe(Timestamp::from_secs(*t));
        }
        let (out, _) = d.apply(rows(xs), |x| *x, &[mark]);
        mark.advance();
        out.into_iter().map(|(_, x)| x).collect()
    }

    #[test]
    fn repeats_are_dropped_until_the_watermark_forgets_the_key() {
        // Watermark 10 s behind.
        let (mut plain, mut within) = (Dedup::new(false), Dedup::new(true));
        let (mut m1, mut m2) = (Watermark::new(10_000), Watermark::new(10_000));
        for (d, m) in [(&mut plain, &mut m1), (&mut within, &mut m2)] {
            assert_eq!(
                batch(d, m, &[(100, "a"), (101, "a"), (102, "b")]),
                ["a", "b"]
            );
        }
        // The watermark reaches 105: plain forgets a (first seen at 100), within keeps it
        // until 110; a repeat of `a` at 106 is new to one and a duplicate to the other.
        assert_eq!(batch(&mut plain, &mut m1, &[(115, "c")]), ["c"]);
        assert_eq!(batch(&mut within, &mut m2, &[(115, "c")]), ["c"]);
        assert_eq!(batch(&mut plain, &mut m1, &[(106, "a")]), ["a"]);
        assert_eq!(
            batch(&mut within, &mut m2, &[(106, "a")]),
            Vec::<&str>::new()
        );
        // Older than the watermark (105): late.
        assert!(batch(&mut within, &mut m2, &[(104, "z")]).is_empty());
        assert_eq!(within.late_rows, 1);
        // Plain: a, b, c, then a again; the watermark at 105 forgot a (100) and b (102);
        // a (106) and c (115) remain.
        let s = plain.state_stats().unwrap();
        assert_eq!((s.rows, s.updated, s.evicted), (2, 4, 2));
        assert!(plain.keys() <= 3 && within.keys() <= 3);
    }
}
