//! `AppendOnlyMap` (what a batch's `reduce_by_key` combines into) against the plainest
//! oracle: a list of `(key, value)` searched from the front. The combining function does
//! not commute (it appends), so a pair combined out of its order shows; keys come from a
//! small range (many repeats) or a large one (most new, the table growing from any size),
//! and the pairs go in one at a time, all at once (prefetched ahead), or hashed first by
//! the map's own hasher's user (a stage's shards), in either case in order.

use proptest::prelude::*;
use streaming_runtime::append_only_map::AppendOnlyMap;

/// The oracle: each key's values in the order they came, keys in the order they first came.
fn oracle(pairs: &[(u32, String)]) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = Vec::new();
    for (k, v) in pairs {
        match out.iter_mut().find(|(key, _)| key == k) {
            Some((_, held)) => held.push_str(v),
            None => out.push((*k, v.clone())),
        }
    }
    out
}

fn pairs() -> impl Strategy<Value = Vec<(u32, String)>> {
    let key = prop_oneof![0u32..8, 0u32..100_000];
    prop::collection::vec((key, "[a-z]{0,3}"), 0..400)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn combines_in_order_as_the_oracle(pairs in pairs(), reserved in 0usize..64, how in 0u8..3) {
        let mut map = AppendOnlyMap::with_capacity(reserved);
        let mut append = |a: String, b: String| a + &b;
        match how {
            0 => {
                for (k, v) in pairs.iter().cloned() {
                    map.combine(k, v, &mut append);
                }
            }
            1 => map.combine_all(pairs.iter().cloned(), &mut append),
            _ => {
                let hasher = ahash::RandomState::new();
                let mut map2 = AppendOnlyMap::with_slots(reserved, Vec::new(), hasher.clone());
                map2.combine_all_hashed(
                    pairs.iter().cloned().map(|(k, v)| (hasher.hash_one(k), k, v)),
                    &mut append,
                );
                map = map2;
            }
        }
        prop_assert_eq!(map.len(), oracle(&pairs).len());
        prop_assert_eq!(map.into_iter().collect::<Vec<_>>(), oracle(&pairs));
    }
}
