//! `session_window(gap) count_by_value | reduce_by_key(f) [emit append | complete]`:
//! Structured Streaming's session windows. Each key's rows form sessions: a row at `t`
//! opens `[t, t + gap)`, and sessions of a key that overlap or touch merge into one (a row
//! can join two). A row whose own session would end at or before the watermark from
//! before the batch is late: dropped and counted. `append` emits a session once, when the
//! watermark after the batch passes its end, and frees it; `complete` emits every session
//! every batch. (`update` is refused at compile time, as the DSL's check says.)

use std::collections::BTreeMap;

use super::windows::{EventAggregation, Results};
use super::{Emit, Timestamp, Window};
use crate::state_stats::{StateCounters, StateSize, StateStats, tree_bytes};

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Session<V> {
    start: i64,
    end: i64,
    value: V,
}

/// The open sessions of every key.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Sessions<K: Ord, V> {
    gap: i64,
    emit: Emit,
    by_key: BTreeMap<K, Vec<Session<V>>>,
    /// Rows dropped as late since the stage began.
    pub late_rows: u64,
    #[serde(skip)]
    counters: StateCounters,
}

impl<K: Ord + Clone, V: Clone> Sessions<K, V> {
    /// No sessions yet: sessions close after `gap_ms` without a row, emitted as `emit` says.
    pub fn new(gap_ms: u64, emit: Emit) -> Self {
        Sessions {
            gap: i64::try_from(gap_ms).unwrap_or(i64::MAX).max(1),
            emit,
            by_key: BTreeMap::new(),
            late_rows: 0,
            counters: StateCounters::default(),
        }
    }

    /// Sessions held.
    pub fn open_sessions(&self) -> usize {
        self.by_key.values().map(Vec::len).sum()
    }

    /// Removes and returns the sessions ending at or before `watermark`.
    fn close(&mut self, watermark: i64) -> Results<K, V> {
        let mut out = Vec::new();
        self.by_key.retain(|k, sessions| {
            sessions.retain(|s| {
                if s.end <= watermark {
                    out.push(((window(s), k.clone()), s.value.clone()));
                    false
                } else {
                    true
                }
            });
            !sessions.is_empty()
        });
        out
    }
}

/// Rows: keys with open sessions (counting sessions would cost a walk over the keys);
/// bytes: one session per key; updated: rows added to a session; evicted: keys whose
/// sessions all closed.
impl<K: Ord, V> StateSize for Sessions<K, V> {
    fn state_stats(&mut self) -> Option<StateStats> {
        let rows = self.by_key.len();
        let mut stats = self.counters.take_from_rows(
            rows,
            tree_bytes::<K, Vec<Session<V>>>(rows) + tree_bytes::<(), Session<V>>(rows),
        );
        stats.open_windows = Some(rows as u64);
        Some(stats)
    }
}

fn window<V>(s: &Session<V>) -> Window {
    Window {
        start: Timestamp::from_millis(s.start),
        end: Timestamp::from_millis(s.end),
    }
}

impl<K: Ord + Clone, V: Clone> EventAggregation<K, V> for Sessions<K, V> {
    /// Adds a batch's rows `(event time, key, value)` (see the module's rules), handing
    /// each late row to `late_row`; returns what the emit mode emits, in key then start
    /// order, and the rows dropped as late.
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
        let mut late = 0;
        for (t, k, v) in rows {
            let (start, end) = (t.as_millis(), t.as_millis().saturating_add(self.gap));
            if self.emit != Emit::Complete && end <= current.as_millis() {
                late += 1;
                late_row(t, k, v);
                continue;
            }
            let sessions = self.by_key.entry(k).or_default();
            // A key held has sessions (closing drops a key with none): empty is new.
            self.counters.updated += 1;
            self.counters.inserted += u64::from(sessions.is_empty());
            let mut merged = Session {
                start,
                end,
                value: v,
            };
            // Every session this one overlaps or touches merges into it, in start order
            // so that values reduce in time order.
            let (mut touching, rest): (Vec<_>, Vec<_>) = std::mem::take(sessions)
                .into_iter()
                .partition(|s| s.start <= merged.end && merged.start <= s.end);
            touching.push(merged.clone());
            touching.sort_by_key(|s| s.start);
            let mut it = touching.into_iter();
            if let Some(first) = it.next() {
                merged = it.fold(first, |mut acc, s| {
                    acc.start = acc.start.min(s.start);
                    acc.end = acc.end.max(s.end);
                    acc.value = reduce(acc.value, s.value);
                    acc
                });
            }
            *sessions = rest;
            let at = sessions.partition_point(|s| s.start < merged.start);
            sessions.insert(at, merged);
        }
        self.late_rows += late;
        let out = match self.emit {
            Emit::Complete => self
                .by_key
                .iter()
                .flat_map(|(k, ss)| {
                    ss.iter()
                        .map(move |s| ((window(s), k.clone()), s.value.clone()))
                })
                .collect(),
            _ => self.close(next.as_millis()),
        };
        (out, late)
    }

    /// The end of a finite input: append mode emits every open session.
    fn end_of_input<F: FnMut(V, V) -> V>(&mut self, _reduce: F) -> Results<K, V> {
        if self.emit != Emit::Append {
            return Vec::new();
        }
        self.close(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_secs(s)
    }

    #[test]
    fn sessions_merge_when_they_overlap_or_touch_and_close_with_the_watermark() {
        let mut s = Sessions::new(10_000, Emit::Append);
        let add = |a: i64, b: i64| a + b;
        // a: [1, 11) and [30, 40); b: [5, 15)
        let (out, _) = s.apply(
            [(ts(1), "a", 1), (ts(30), "a", 1), (ts(5), "b", 1)],
            ts(0),
            ts(0),
            add,
        );
        assert!(out.is_empty());
        assert_eq!(s.open_sessions(), 3);
        let stats = |s: &mut Sessions<&str, i64>| {
            let st = s.state_stats().unwrap();
            (st.rows, st.updated, st.evicted)
        };
        // Rows are keys with sessions.
        assert_eq!(stats(&mut s), (2, 3, 0));
        // 11 touches [1, 11); 20 then bridges [1, 21) and [30, 40): one session [1, 40)
        // of 4 rows.
        let (out, _) = s.apply([(ts(20), "a", 1), (ts(11), "a", 1)], ts(0), ts(0), add);
        assert!(out.is_empty());
        assert_eq!(s.open_sessions(), 2);
        assert_eq!(stats(&mut s), (2, 2, 0));
        // The watermark reaches 40: both close.
        let (out, late) = s.apply([(ts(2), "c", 1)], ts(0), ts(40), add);
        assert_eq!(late, 0);
        let got: Vec<_> = out
            .iter()
            .map(|((w, k), v)| (*k, w.start.as_millis() / 1000, w.end.as_millis() / 1000, *v))
            .collect();
        assert_eq!(got, [("a", 1, 40, 4), ("b", 5, 15, 1), ("c", 2, 12, 1)]);
        // c came and went: three keys' sessions closed.
        assert_eq!(stats(&mut s), (0, 1, 3));
        // A row whose session would end by the watermark is late.
        let (_, late) = s.apply([(ts(25), "a", 1)], ts(40), ts(40), add);
        assert_eq!((late, s.late_rows), (1, 1));
    }
}
