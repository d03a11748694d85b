//! [`CompactBuffer`], a key's values as Spark's `group_by_key`, `cogroup` and
//! `group_by_key_and_window` hand them out. It sits below the operators because collecting
//! ([`crate::owned`]) and printing ([`crate::show`]) a grouped stream need it too.

use std::ops::{Deref, DerefMut};

use smallvec::SmallVec;

/// A key's values, in arrival order. Prints as Spark prints them: `CompactBuffer(1, 2)`.
///
/// Like Spark's, it is made for the common case of a key with few values: up to two are
/// kept inline, with no allocation of their own (`group_by_key` over many keys with one or
/// two values each is 1.4–1.7× faster than with a `Vec` per key: `benches/key_lists.rs`).
/// It reads as a slice (`len`, `iter`, indexing, `sort`), iterates by value or by
/// reference, and converts from and to a `Vec`: build one with
/// `CompactBuffer::from(vec![1, 2])` or `CompactBuffer::from([1, 2])`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CompactBuffer<T>(pub(crate) Values<T>);

/// The storage of a [`CompactBuffer`] and of a key's values while a batch is grouped.
pub type Values<T> = SmallVec<[T; 2]>;

impl<T> CompactBuffer<T> {
    /// An empty buffer.
    pub fn new() -> Self {
        CompactBuffer(SmallVec::new())
    }

    /// Appends a value.
    pub fn push(&mut self, value: T) {
        self.0.push(value);
    }

    /// The values as a `Vec` (no copy when there are more than two).
    pub fn into_vec(self) -> Vec<T> {
        self.0.into_vec()
    }
}

impl<T> Deref for CompactBuffer<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> DerefMut for CompactBuffer<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T> IntoIterator for CompactBuffer<T> {
    type Item = T;
    type IntoIter = smallvec::IntoIter<[T; 2]>;
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
        CompactBuffer(SmallVec::from_vec(v))
    }
}

impl<T, const N: usize> From<[T; N]> for CompactBuffer<T> {
    fn from(values: [T; N]) -> Self {
        values.into_iter().collect()
    }
}

impl<T> FromIterator<T> for CompactBuffer<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        CompactBuffer(iter.into_iter().collect())
    }
}

impl<T> Extend<T> for CompactBuffer<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl<T: PartialEq> PartialEq<Vec<T>> for CompactBuffer<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.0.as_slice() == other.as_slice()
    }
}
