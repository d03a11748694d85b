//! Joins of a stream's batch with another stream's batch for the same time, or with a
//! static `table(expr)` indexed once: `join`, `left_outer_join`, `right_outer_join`,
//! `full_outer_join`, `cogroup` (Spark's pair-DStream joins). Output order is unspecified.

use std::hash::Hash;

use hashbrown::hash_map::Entry;
use smallvec::SmallVec;

use crate::compact_buffer::CompactBuffer;
use crate::keyed::{KeyLookup, KeyedMap, Pair};

/// The other side of a join, by key; a key's values keep their order. Most keys of a
/// table (a dimension, a word list) have one value: it is kept in the index's own slot,
/// so a probe reads the value where it finds the key instead of following a pointer to a
/// list of one (`benches/key_lists.rs`).
pub type Index<K, W> = KeyedMap<K, Values<W>>;

/// A key's values on the other side of a join.
pub type Values<W> = SmallVec<[W; 1]>;

/// Indexes the other side (a batch, or a table given as any iterable of pairs).
pub fn index<I, K, W>(side: I) -> Index<K, W>
where
    I: IntoIterator<Item = (K, W)>,
    K: Hash + Eq,
{
    let side = side.into_iter();
    // Sized for the side up front: a batch's index is built once, and growing it would
    // rehash every key already in it at each doubling.
    let mut map: Index<K, W> =
        KeyedMap::with_capacity_and_hasher(side.size_hint().0, Default::default());
    for (k, w) in side {
        map.entry(k).or_default().push(w);
    }
    map
}

/// Pushes `(k, (v, wrap(w)))` for each of `ws`: the key and value are cloned for all but
/// the last match, which takes them, so a key with one match (most of them, in a join
/// with a dimension or with another query's groups) is never copied. `Err` gives them
/// back when there is no match.
#[inline]
fn push_matches<Kk: Clone, Vv: Clone, W: Clone, R>(
    out: &mut Vec<(Kk, (Vv, R))>,
    k: Kk,
    v: Vv,
    ws: &[W],
    wrap: impl Fn(W) -> R,
) -> Result<(), (Kk, Vv)> {
    let Some((last, rest)) = ws.split_last() else {
        return Err((k, v));
    };
    for w in rest {
        out.push((k.clone(), (v.clone(), wrap(w.clone()))));
    }
    out.push((k, (v, wrap(last.clone()))));
    Ok(())
}

type K<P> = <P as Pair>::Key;
type V<P> = <P as Pair>::Value;
/// A joined element: `(k, (left, right))`.
type Joined<P, L, R> = (K<P>, (L, R));

/// `join`: `(k, (v, w))` for every matching pair.
pub fn inner<P, TK, W>(batch: Vec<P>, other: &Index<TK, W>) -> Vec<Joined<P, V<P>, W>>
where
    P: Pair,
    K<P>: KeyLookup<TK> + Clone,
    V<P>: Clone,
    W: Clone,
{
    // Most joins match a key once or not at all: at most the smaller side's length.
    let mut out = Vec::with_capacity(batch.len().min(other.len()));
    for p in batch {
        let (k, v) = p.into_pair();
        if let Some(ws) = k.find(other) {
            let _matched = push_matches(&mut out, k, v, ws, |w| w);
        }
    }
    out
}

/// `left_outer_join`: every element of this side, with each match or `None`.
pub fn left_outer<P, TK, W>(batch: Vec<P>, other: &Index<TK, W>) -> Vec<Joined<P, V<P>, Option<W>>>
where
    P: Pair,
    K<P>: KeyLookup<TK> + Clone,
    V<P>: Clone,
    W: Clone,
{
    let mut out = Vec::new();
    for p in batch {
        let (k, v) = p.into_pair();
        let ws = k.find(other).map_or(&[][..], |ws| &ws[..]);
        if let Err((k, v)) = push_matches(&mut out, k, v, ws, Some) {
            out.push((k, (v, None)));
        }
    }
    out
}

/// Both sides grouped by key, every key of either side: the basis of the other joins.
fn cogrouped<Kk: Hash + Eq, Vv, W>(
    batch: Vec<(Kk, Vv)>,
    other: Index<Kk, W>,
) -> KeyedMap<Kk, (Vec<Vv>, Values<W>)> {
    let mut map: KeyedMap<Kk, (Vec<Vv>, Values<W>)> = KeyedMap::default();
    for (k, v) in batch {
        map.entry(k).or_default().0.push(v);
    }
    for (k, ws) in other {
        match map.entry(k) {
            Entry::Occupied(mut e) => e.get_mut().1 = ws,
            Entry::Vacant(e) => {
                e.insert((Vec::new(), ws));
            }
        }
    }
    map
}

fn pairs<P: Pair>(batch: Vec<P>) -> Vec<(K<P>, V<P>)> {
    batch.into_iter().map(Pair::into_pair).collect()
}

/// `right_outer_join`: every element of the other side, with each match or `None`.
pub fn right_outer<P, W>(batch: Vec<P>, other: Index<K<P>, W>) -> Vec<Joined<P, Option<V<P>>, W>>
where
    P: Pair,
    K<P>: Hash + Eq + Clone,
    V<P>: Clone,
    W: Clone,
{
    let mut out = Vec::new();
    for (k, (vs, ws)) in cogrouped(pairs(batch), other) {
        for w in ws {
            if vs.is_empty() {
                out.push((k.clone(), (None, w)));
            } else {
                out.extend(vs.iter().map(|v| (k.clone(), (Some(v.clone()), w.clone()))));
            }
        }
    }
    out
}

/// `full_outer_join`: every element of either side, matched where the key is on both.
pub fn full_outer<P, W>(
    batch: Vec<P>,
    other: Index<K<P>, W>,
) -> Vec<Joined<P, Option<V<P>>, Option<W>>>
where
    P: Pair,
    K<P>: Hash + Eq + Clone,
    V<P>: Clone,
    W: Clone,
{
    let mut out = Vec::new();
    for (k, (vs, ws)) in cogrouped(pairs(batch), other) {
        match (vs.is_empty(), ws.is_empty()) {
            (false, true) => out.extend(vs.into_iter().map(|v| (k.clone(), (Some(v), None)))),
            (true, false) => out.extend(ws.into_iter().map(|w| (k.clone(), (None, Some(w))))),
            _ => {
                for v in &vs {
                    out.extend(
                        ws.iter()
                            .map(|w| (k.clone(), (Some(v.clone()), Some(w.clone())))),
                    );
                }
            }
        }
    }
    out
}

/// `cogroup`: each key of either side with all its values from both.
pub fn cogroup<P, W>(
    batch: Vec<P>,
    other: Index<K<P>, W>,
) -> Vec<Joined<P, CompactBuffer<V<P>>, CompactBuffer<W>>>
where
    P: Pair,
    K<P>: Hash + Eq,
{
    cogrouped(pairs(batch), other)
        .into_iter()
        .map(|(k, (vs, ws))| (k, (CompactBuffer::from(vs), ws.into_iter().collect())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
        v.sort();
        v
    }

    #[test]
    fn joins_match_spark() {
        let left = vec![("a", 1), ("b", 2), ("a", 3)];
        let right = || index(vec![("a", 'x'), ("c", 'y')]);
        assert_eq!(
            sorted(inner(left.clone(), &right())),
            [("a", (1, 'x')), ("a", (3, 'x'))]
        );
        assert_eq!(
            sorted(left_outer(left.clone(), &right())),
            [
                ("a", (1, Some('x'))),
                ("a", (3, Some('x'))),
                ("b", (2, None))
            ]
        );
        assert_eq!(
            sorted(right_outer(left.clone(), right())),
            [
                ("a", (Some(1), 'x')),
                ("a", (Some(3), 'x')),
                ("c", (None, 'y'))
            ]
        );
        assert_eq!(
            sorted(full_outer(left.clone(), right())),
            [
                ("a", (Some(1), Some('x'))),
                ("a", (Some(3), Some('x'))),
                ("b", (Some(2), None)),
                ("c", (None, Some('y')))
            ]
        );
        let cg = sorted(cogroup(left, right()));
        assert_eq!(
            cg[0],
            (
                "a",
                (CompactBuffer::from([1, 3]), CompactBuffer::from(['x']))
            )
        );
        assert_eq!(cg.len(), 3);
    }

    #[test]
    fn borrowed_keys_find_owned_table_keys() {
        let table = index(vec![("happy".to_string(), 3), ("sad".to_string(), -2)]);
        assert_eq!(
            inner(vec![("happy", 1), ("meh", 1)], &table),
            [("happy", (1, 3))]
        );
    }
}
