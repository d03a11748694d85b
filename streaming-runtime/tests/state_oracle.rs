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
            let mut grouped: KeyedMap<u8, streaming_runtime::ops::group_by_key::Values<i64>> = KeyedMap::default();
            for &(k, v) in batch {
                grouped.entry(k).or_default().push(v);
            }
            let out: BTreeMap<u8, i64> = state.update(grouped, f).into_iter().map(|(k, v)| (*k, v)).collect();

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

/// `map_with_state` with a running sum per key that is removed when negative, and a
/// timeout, against a naive replay: once per record in order, then one last call per
/// timed-out key.
mod map_with_state_oracle {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use streaming_runtime::BatchTime;
    use streaming_runtime::ops::map_with_state::{MapWithState, StateHandle};

    type Out = (u8, i64, bool);

    fn f(k: &u8, v: Option<i64>, s: &mut StateHandle<'_, i64>) -> Out {
        let total = s.get().copied().unwrap_or(0) + v.unwrap_or(0);
        if s.is_timing_out() {
            return (*k, total, true);
        }
        if total < 0 {
            s.remove();
        } else {
            s.update(total);
        }
        (*k, total, false)
    }

    proptest! {
        #[test]
        fn map_with_state_equals_a_naive_replay(
            timeout_batches in 1u64..4,
            input in prop::collection::vec(prop::collection::vec((0u8..4, -3i64..5), 0..5), 1..20),
        ) {
            let timeout = timeout_batches * 1000;
            let mut store: MapWithState<u8, i64> = MapWithState::new(Some(timeout));
            let mut naive: BTreeMap<u8, (i64, u64)> = BTreeMap::new();
            for (i, batch) in input.iter().enumerate() {
                let now = (i as u64 + 1) * 1000;
                let mut got = store.process(BatchTime::from_millis(now), batch.clone(), f);

                let mut expected: Vec<Out> = Vec::new();
                for &(k, v) in batch {
                    let total = naive.get(&k).map_or(0, |s| s.0) + v;
                    if total < 0 {
                        naive.remove(&k);
                    } else {
                        naive.insert(k, (total, now));
                    }
                    expected.push((k, total, false));
                }
                let records = expected.len();
                let expired: Vec<u8> = naive.iter().filter(|(_, (_, seen))| now - seen >= timeout).map(|(k, _)| *k).collect();
                for k in expired {
                    if let Some((s, _)) = naive.remove(&k) {
                        expected.push((k, s, true));
                    }
                }
                // Records keep their order; timed-out keys follow in any order.
                prop_assert_eq!(&got[..records], &expected[..records]);
                got[records..].sort();
                expected[records..].sort();
                prop_assert_eq!(got, expected);
            }
        }
    }
}
