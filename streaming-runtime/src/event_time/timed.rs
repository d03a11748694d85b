//! Stateless stages over stamped records `(Timestamp, x)`: the function sees `x`, the
//! timestamp stays with what it returns (`map`, `filter`, `flat_map`, `map_values`,
//! `flat_map_values` after `event_time`). Each takes the iterator first, so that rustc
//! knows the element type before it checks the user's closure.

use super::Timestamp;

/// `map` over stamped records: `f` sees the element, the stamp stays.
pub fn map<I, T, U, F>(it: I, mut f: F) -> impl Iterator<Item = (Timestamp, U)>
where
    I: Iterator<Item = (Timestamp, T)>,
    F: FnMut(T) -> U,
{
    it.map(move |(t, x)| (t, f(x)))
}

/// `filter` over stamped records: `f` sees the element, kept records keep their stamp.
pub fn filter<I, T, F>(it: I, mut f: F) -> impl Iterator<Item = (Timestamp, T)>
where
    I: Iterator<Item = (Timestamp, T)>,
    F: FnMut(&T) -> bool,
{
    it.filter(move |(_, x)| f(x))
}

/// `flat_map` over stamped records: every element `f` returns gets the record's stamp.
pub fn flat_map<I, T, U, F>(it: I, mut f: F) -> impl Iterator<Item = (Timestamp, U::Item)>
where
    I: Iterator<Item = (Timestamp, T)>,
    F: FnMut(T) -> U,
    U: IntoIterator,
{
    it.flat_map(move |(t, x)| f(x).into_iter().map(move |y| (t, y)))
}

/// `map_values` over stamped pairs: `f` sees the value, the stamp and key stay.
pub fn map_values<I, K, V, W, F>(it: I, mut f: F) -> impl Iterator<Item = (Timestamp, (K, W))>
where
    I: Iterator<Item = (Timestamp, (K, V))>,
    F: FnMut(V) -> W,
{
    it.map(move |(t, (k, v))| (t, (k, f(v))))
}

/// `flat_map_values` over stamped pairs: every value `f` returns gets the key and stamp.
pub fn flat_map_values<I, K, V, U, F>(
    it: I,
    mut f: F,
) -> impl Iterator<Item = (Timestamp, (K, U::Item))>
where
    I: Iterator<Item = (Timestamp, (K, V))>,
    K: Clone,
    F: FnMut(V) -> U,
    U: IntoIterator,
{
    it.flat_map(move |(t, (k, v))| f(v).into_iter().map(move |w| (t, (k.clone(), w))))
}
