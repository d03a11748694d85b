//! `update_state_by_key` against a naive replay: every batch, every key with state or new
//! values gets `f(new_values, old)`; `None` removes it.

use std::collections::BTreeMap;

use proptest::prelude::*;
use streaming_runtime::KeyedMap;
use streaming_runtime::ops::update_state_by_key::State;

/// Sum of the values; a key is removed when its sum goes negative.
fn f(new: Vec<i64>, old: Option<i64>) -> Option<i64> {
    let s = old.unwrap_or(0) + new.iter().sum::<i64>();
    (s >= 0).then_some(s)
}

proptest! {
    #[test]
    fn state_equals_a_naive_replay(input in prop::collection::vec(prop::collection::vec((0u8..5, -4i64..6), 0..6), 1..25)) {
        let mut state: State<u8, i64> = State::new();
        let mut naive: BTreeMap<u8, i64> = BTreeMap::new();
        for batch in &input {
            let mut grouped: KeyedMap<u8, Vec<i64>> = KeyedMap::default();
            for &(k, v) in batch {
                grouped.entry(k).or_default().push(v);
            }
            let out: BTreeMap<u8, i64> = state.update(grouped, f).into_iter().collect();

            let mut keys: Vec<u8> = naive.keys().copied().collect();
            keys.extend(batch.iter().map(|(k, _)| *k));
            keys.sort();
            keys.dedup();
            let mut next = BTreeMap::new();
            for k in keys {
                let new: Vec<i64> = batch.iter().filter(|(x, _)| *x == k).map(|(_, v)| *v).collect();
                if let Some(s) = f(new, naive.get(&k).copied()) {
                    next.insert(k, s);
                }
            }
            naive = next;
            prop_assert_eq!(&out, &naive);
        }
    }
}
