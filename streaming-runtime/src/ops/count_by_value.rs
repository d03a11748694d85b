//! `count_by_value`: each distinct element with how often it occurred in the batch.

use std::hash::Hash;

use crate::keyed::KeyedMap;

pub fn fold<I>(it: I) -> KeyedMap<I::Item, i64>
where
    I: Iterator,
    I::Item: Hash + Eq,
{
    let mut map = KeyedMap::default();
    for x in it {
        *map.entry(x).or_insert(0) += 1;
    }
    map
}

pub fn merge<T: Hash + Eq>(a: &mut KeyedMap<T, i64>, b: KeyedMap<T, i64>) {
    for (x, n) in b {
        *a.entry(x).or_insert(0) += n;
    }
}

pub fn finish<T>(map: KeyedMap<T, i64>) -> Vec<(T, i64)> {
    map.into_iter().collect()
}
