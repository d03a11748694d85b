//! `reduce_by_key(f)`: per batch, one `(key, value)` per key, values combined with `f`.
//! Keys are kept as they come (a `&str` borrowed from the batch stays borrowed), so a
//! batch's aggregation allocates only for the map itself.

use hashbrown::hash_map::Entry;

use crate::keyed::{Keyed, KeyedMap};

type K<I> = <<I as Iterator>::Item as Keyed>::Key;
type V<I> = <<I as Iterator>::Item as Keyed>::Value;

#[inline]
pub fn fold<I, F>(it: I, mut f: F) -> KeyedMap<K<I>, V<I>>
where
    I: Iterator,
    I::Item: Keyed,
    F: FnMut(V<I>, V<I>) -> V<I>,
{
    let mut map = KeyedMap::default();
    for item in it {
        let (k, v) = item.into_key_value();
        combine(&mut map, k, v, &mut f);
    }
    map
}

#[inline]
fn combine<K: std::hash::Hash + Eq, V>(
    map: &mut KeyedMap<K, V>,
    k: K,
    v: V,
    f: &mut impl FnMut(V, V) -> V,
) {
    match map.entry(k) {
        Entry::Occupied(e) => {
            e.replace_entry_with(|_, old| Some(f(old, v)));
        }
        Entry::Vacant(e) => {
            e.insert(v);
        }
    }
}

pub fn merge<K, V, F>(a: &mut KeyedMap<K, V>, b: KeyedMap<K, V>, mut f: F)
where
    K: std::hash::Hash + Eq,
    F: FnMut(V, V) -> V,
{
    for (k, v) in b {
        combine(a, k, v, &mut f);
    }
}

pub fn finish<K, V>(map: KeyedMap<K, V>) -> Vec<(K, V)> {
    map.into_iter().collect()
}
