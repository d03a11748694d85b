//! `update_state_by_key(f) [initial(expr)]`, Spark's `updateStateByKey`: every batch,
//! `f(new_values, old_state)` runs for every key that has state or new values (keys without
//! new data get an empty vec); `None` removes the key; the whole state is the batch's output.
//! An initial state is merged into the first batch (its keys are updated like any other).

use std::hash::Hash;

use crate::keyed::KeyedMap;
use crate::owned::IntoOwned;
use crate::state_map::StateMap;
use crate::state_stats::{StateCounters, StateSize, StateStats, table_bytes};

/// The state of every key, kept across batches with owned keys.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(bound(
    serialize = "K: serde::Serialize + Hash + Eq, S: serde::Serialize",
    deserialize = "K: serde::de::DeserializeOwned + Hash + Eq + Send, S: serde::de::DeserializeOwned + Send"
))]
pub struct State<K, S> {
    state: StateMap<K, S>,
    #[serde(skip)]
    counters: StateCounters,
}

impl<K: Hash + Eq + Clone, S: Clone> State<K, S> {
    pub fn new() -> Self {
        State {
            state: StateMap::new(),
            counters: StateCounters::default(),
        }
    }

    /// `initial(expr)`: the state before the first batch.
    pub fn with_initial<I: IntoIterator<Item = (K, S)>>(initial: I) -> Self {
        State {
            state: initial.into_iter().collect(),
            counters: StateCounters::default(),
        }
    }

    /// Applies one batch's values (grouped by key, in arrival order) and returns the whole
    /// state: each key by reference into the store (the stages after read it in place, as
    /// after a window, instead of a copy of every key every batch), each state a copy.
    pub fn update<Kb, V, F>(
        &mut self,
        batch: KeyedMap<Kb, crate::compact_buffer::Values<V>>,
        mut f: F,
    ) -> Vec<(&K, S)>
    where
        Kb: IntoOwned<Owned = K>,
        F: FnMut(Vec<V>, Option<S>) -> Option<S>,
    {
        let mut next = self.state.empty_like(self.state.len() + batch.len());
        for (k, values) in batch {
            let k = k.into_owned();
            let old = self.state.remove(&k);
            // Spark's function takes the values as a sequence: a `Vec` here.
            let had = old.is_some();
            if let Some(s) = f(values.into_vec(), old) {
                next.insert(k, s);
                self.counters.updated += 1;
            } else if had {
                self.counters.evicted += 1;
            }
        }
        // Keys with state but no new values this batch.
        for (k, old) in self.state.drain() {
            if let Some(s) = f(Vec::new(), Some(old)) {
                next.insert(k, s);
            } else {
                self.counters.evicted += 1;
            }
        }
        self.state = next;
        self.state.iter().map(|(k, s)| (k, s.clone())).collect()
    }

    pub fn len(&self) -> usize {
        self.state.len()
    }

    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }
}

/// Rows updated: keys given new values that kept state; evicted: keys whose update
/// returned `None`.
impl<K, S> StateSize for State<K, S> {
    fn state_stats(&mut self) -> Option<StateStats> {
        let bytes = table_bytes::<K, S>(self.state.capacity());
        Some(self.counters.take(self.state.len(), bytes))
    }
}

impl<K: Hash + Eq + Clone, S: Clone> Default for State<K, S> {
    fn default() -> Self {
        Self::new()
    }
}
