//! `map_with_state(|key, value, state| ..) [timeout D]`, Spark's `mapWithState`: the function
//! runs once per record with `Some(value)` and the key's [`StateHandle`]; its results form
//! the output stream. With a timeout, a key that received no record for `D` gets one last
//! call with `None` (and [`StateHandle::is_timing_out`] true), then is removed.

use std::hash::Hash;

use crate::keyed::{KeyLookup, Pair};
use crate::owned::IntoOwned;
use crate::state_map::StateMap;
use crate::state_stats::{StateCounters, StateSize, StateStats, table_bytes};
use crate::time::BatchTime;

/// A key's state as the function sees it: read, replace or remove it.
#[derive(Debug)]
pub struct StateHandle<'s, S> {
    state: &'s mut Option<S>,
    timing_out: bool,
}

impl<S> StateHandle<'_, S> {
    pub fn exists(&self) -> bool {
        self.state.is_some()
    }
    pub fn get(&self) -> Option<&S> {
        self.state.as_ref()
    }
    /// The state to change in place (a large state need not be cloned to be updated).
    pub fn get_mut(&mut self) -> Option<&mut S> {
        self.state.as_mut()
    }
    /// The state to change in place, made with `f` when the key has none.
    pub fn get_or_insert_with(&mut self, f: impl FnOnce() -> S) -> &mut S {
        self.state.get_or_insert_with(f)
    }
    /// Replaces the state (ignored in a key's last, timing-out call: it is removed anyway).
    pub fn update(&mut self, state: S) {
        *self.state = Some(state);
    }
    pub fn remove(&mut self) {
        *self.state = None;
    }
    /// True in the last call for a key that timed out.
    pub fn is_timing_out(&self) -> bool {
        self.timing_out
    }
}

/// Every key's state and the time it last received a record.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(bound(
    serialize = "K: serde::Serialize + Hash + Eq, S: serde::Serialize",
    deserialize = "K: serde::de::DeserializeOwned + Hash + Eq + Send, S: serde::de::DeserializeOwned + Send"
))]
pub struct MapWithState<K, S> {
    state: StateMap<K, (Option<S>, BatchTime)>,
    timeout_ms: Option<u64>,
    #[serde(skip)]
    counters: StateCounters,
}

type Kb<P> = <P as Pair>::Key;

impl<K: Hash + Eq, S> MapWithState<K, S> {
    pub fn new(timeout_ms: Option<u64>) -> Self {
        MapWithState {
            state: StateMap::new(),
            timeout_ms,
            counters: StateCounters::default(),
        }
    }

    /// Runs `f` for each record of the batch at `time` (in order), then for each timed-out
    /// key; returns the results.
    pub fn process<P, U, F>(&mut self, time: BatchTime, batch: Vec<P>, mut f: F) -> Vec<U>
    where
        P: Pair,
        Kb<P>: KeyLookup<K> + IntoOwned<Owned = K>,
        F: FnMut(&K, Option<P::Value>, &mut StateHandle<'_, S>) -> U,
    {
        let mut out = Vec::with_capacity(batch.len());
        let mut updated = 0;
        let mut batch = batch.into_iter().peekable();
        while let Some(p) = batch.next() {
            let (k, v) = p.into_pair();
            if let Some((key, (state, seen))) = k.find_mut(&mut self.state) {
                *seen = time;
                let mut handle = StateHandle {
                    state,
                    timing_out: false,
                };
                out.push(f(key, Some(v), &mut handle));
                updated += 1;
                // The records right after it with the same key (one key for a whole
                // stream, as in `map |e| ((), e)`, or keys that come in runs) go to the
                // same entry without a look-up (a removed state stays in the table, as
                // `None`, until the batch ends, as it would be found by one).
                while let Some(p) = batch.next_if(|p| p.key().is(key)) {
                    out.push(f(key, Some(p.into_pair().1), &mut handle));
                    updated += 1;
                }
            } else {
                // A new key: the only place a key is copied into the state.
                let key = k.into_owned();
                let mut state = None;
                out.push(f(
                    &key,
                    Some(v),
                    &mut StateHandle {
                        state: &mut state,
                        timing_out: false,
                    },
                ));
                if state.is_some() {
                    self.state.insert(key, (state, time));
                    updated += 1;
                }
            }
        }
        // Removed and timed-out keys, from the lengths: no count in the closures.
        let before = self.state.len();
        self.state.retain(|_, (s, _)| s.is_some());
        if let Some(timeout) = self.timeout_ms {
            let expired = |seen: BatchTime| {
                time.milliseconds().saturating_sub(seen.milliseconds()) >= timeout
            };
            self.state.retain(|key, (state, seen)| {
                if !expired(*seen) {
                    return true;
                }
                out.push(f(
                    key,
                    None,
                    &mut StateHandle {
                        state,
                        timing_out: true,
                    },
                ));
                false
            });
        }
        self.counters.updated += updated;
        self.counters.evicted += (before - self.state.len()) as u64;
        out
    }

    /// Keys with state.
    pub fn len(&self) -> usize {
        self.state.len()
    }

    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }
}

/// Rows updated: records whose key had state or got some; evicted: keys removed or timed
/// out.
impl<K, S> StateSize for MapWithState<K, S> {
    fn state_stats(&mut self) -> Option<StateStats> {
        let bytes = table_bytes::<K, (Option<S>, BatchTime)>(self.state.capacity());
        Some(self.counters.take(self.state.len(), bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_per_record_and_times_out_idle_keys() {
        let mut m: MapWithState<String, i64> = MapWithState::new(Some(2000));
        let run = |m: &mut MapWithState<String, i64>, t: u64, batch: Vec<(&str, i64)>| {
            m.process(
                BatchTime::from_millis(t),
                batch,
                |k: &String, v: Option<i64>, s: &mut StateHandle<'_, i64>| {
                    let total = s.get().copied().unwrap_or(0) + v.unwrap_or(0);
                    if !s.is_timing_out() {
                        s.update(total);
                    }
                    (k.clone(), total, s.is_timing_out())
                },
            )
        };
        assert_eq!(
            run(&mut m, 1000, vec![("a", 1), ("a", 2), ("b", 5)]).len(),
            3,
            "once per record"
        );
        assert_eq!(
            run(&mut m, 2000, vec![("a", 1)]),
            [("a".to_string(), 4, false)]
        );
        // b last seen at 1000: times out at 3000 with one last call.
        assert_eq!(run(&mut m, 3000, vec![]), [("b".to_string(), 5, true)]);
        assert_eq!(m.len(), 1);
        assert_eq!(run(&mut m, 4000, vec![]), [("a".to_string(), 4, true)]);
        assert!(m.is_empty());
        // Over the four batches: 4 records updated state, and both keys timed out.
        let s = m.state_stats().unwrap();
        assert_eq!((s.rows, s.updated, s.evicted), (0, 4, 2));
    }
}
