//! `group_by_key`: per batch, each key with all its values, as Spark's `CompactBuffer`.

use std::hash::Hash;
use std::ops::{Deref, DerefMut};

use crate::keyed::{Keyed, KeyedMap};

/// A key's values, in arrival order. Prints as Spark prints them: `CompactBuffer(1, 2)`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CompactBuffer<T>(pub Vec<T>);

impl<T> CompactBuffer<T> {
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

impl<T> Deref for CompactBuffer<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T> DerefMut for CompactBuffer<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<T> IntoIterator for CompactBuffer<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a CompactBuffer<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T> From<Vec<T>> for CompactBuffer<T> {
    fn from(v: Vec<T>) -> Self {
        CompactBuffer(v)
    }
}

type K<I> = <<I as Iterator>::Item as Keyed>::Key;
type V<I> = <<I as Iterator>::Item as Keyed>::Value;

pub fn fold<I>(it: I) -> KeyedMap<K<I>, Vec<V<I>>>
where
    I: Iterator,
    I::Item: Keyed,
{
    let mut map: KeyedMap<K<I>, Vec<V<I>>> = KeyedMap::default();
    for item in it {
        let (k, v) = item.into_key_value();
        map.entry(k).or_default().push(v);
    }
    map
}

pub fn merge<K: Hash + Eq, V>(a: &mut KeyedMap<K, Vec<V>>, b: KeyedMap<K, Vec<V>>) {
    for (k, mut vs) in b {
        a.entry(k).or_default().append(&mut vs);
    }
}

pub fn finish<K, V>(map: KeyedMap<K, Vec<V>>) -> Vec<(K, CompactBuffer<V>)> {
    map.into_iter()
        .map(|(k, vs)| (k, CompactBuffer(vs)))
        .collect()
}
