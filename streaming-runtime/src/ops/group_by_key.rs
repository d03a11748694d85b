//! `group_by_key`: per batch, each key with all its values, as Spark's `CompactBuffer`.

use std::hash::Hash;

pub use crate::compact_buffer::{CompactBuffer, Values};
use crate::keyed::{Keyed, KeyedMap};

type K<I> = <<I as Iterator>::Item as Keyed>::Key;
type V<I> = <<I as Iterator>::Item as Keyed>::Value;

pub fn fold<I>(it: I) -> KeyedMap<K<I>, Values<V<I>>>
where
    I: Iterator,
    I::Item: Keyed,
{
    let mut map: KeyedMap<K<I>, Values<V<I>>> = KeyedMap::default();
    for item in it {
        let (k, v) = item.into_key_value();
        map.entry(k).or_default().push(v);
    }
    map
}

pub fn merge<K: Hash + Eq, V>(a: &mut KeyedMap<K, Values<V>>, b: KeyedMap<K, Values<V>>) {
    for (k, vs) in b {
        a.entry(k).or_default().extend(vs);
    }
}

pub fn finish<K, V>(map: KeyedMap<K, Values<V>>) -> Vec<(K, CompactBuffer<V>)> {
    map.into_iter()
        .map(|(k, vs)| (k, CompactBuffer(vs)))
        .collect()
}
