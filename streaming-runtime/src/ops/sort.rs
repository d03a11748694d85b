//! `sort [asc|desc]` (pairs by value, ties by key ascending, so output is deterministic),
//! `sort_by_key [asc|desc]` and `sort_by |x| key [asc|desc]`.
//!
//! Values only need `PartialOrd` so that float scores sort; NaN sorts after every number.

use std::cmp::Ordering;

use crate::keyed::Pair;

/// A total order over `PartialOrd` values: incomparable values (NaN) sort last.
#[inline]
pub fn compare<T: PartialOrd>(a: &T, b: &T) -> Ordering {
    match a.partial_cmp(b) {
        Some(o) => o,
        #[allow(clippy::eq_op)] // `x != x` is how a NaN-like value shows itself
        None => (a != a).cmp(&(b != b)),
    }
}

fn directed(o: Ordering, descending: bool) -> Ordering {
    if descending { o.reverse() } else { o }
}

/// `sort asc|desc`: by value, ties by key ascending. `first`: the next stage reads only
/// that many elements (see [`sort_first`]).
pub fn by_value<P>(batch: &mut Vec<P>, descending: bool, first: Option<usize>)
where
    P: Pair,
    P::Key: PartialOrd,
    P::Value: PartialOrd,
{
    sort_first(batch, first, |a, b| {
        directed(compare(a.value(), b.value()), descending).then_with(|| compare(a.key(), b.key()))
    });
}

/// `sort_by_key asc|desc`: by key, ties by value ascending. `first` as for [`by_value`].
pub fn by_key<P>(batch: &mut Vec<P>, descending: bool, first: Option<usize>)
where
    P: Pair,
    P::Key: PartialOrd,
    P::Value: PartialOrd,
{
    sort_first(batch, first, |a, b| {
        directed(compare(a.key(), b.key()), descending).then_with(|| compare(a.value(), b.value()))
    });
}

/// Sorts with `cmp`, keeping only the first `n` elements when the next stage reads no
/// more (`sort |> take(n)`, `sort |> print`): a selection, then a sort of those `n` —
/// O(len + n log n) instead of O(len log len). `cmp` must be a total order in which equal
/// elements are indistinguishable (value, then key), so the result is exactly the first
/// `n` of the full sort.
fn sort_first<P>(
    batch: &mut Vec<P>,
    first: Option<usize>,
    mut cmp: impl FnMut(&P, &P) -> Ordering,
) {
    if let Some(n) = first.filter(|&n| n < batch.len()) {
        if n == 0 {
            batch.clear();
            return;
        }
        batch.select_nth_unstable_by(n - 1, &mut cmp);
        batch.truncate(n);
    }
    batch.sort_by(cmp);
}

/// `sort_by |x| key asc|desc`: stable, by the key `f` computes.
pub fn by<T, K, F>(batch: &mut [T], mut f: F, descending: bool)
where
    K: PartialOrd,
    F: FnMut(&T) -> K,
{
    batch.sort_by(|a, b| directed(compare(&f(a), &f(b)), descending));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desc_by_value_ties_by_key() {
        let mut v = vec![("b", 2), ("a", 2), ("c", 5), ("d", 1)];
        by_value(&mut v, true, None);
        assert_eq!(v, [("c", 5), ("a", 2), ("b", 2), ("d", 1)]);
        by_key(&mut v, true, None);
        assert_eq!(v, [("d", 1), ("c", 5), ("b", 2), ("a", 2)]);
    }

    #[test]
    fn nan_sorts_last_without_panicking() {
        let mut v = vec![("x", f64::NAN), ("y", 1.0), ("z", 3.0)];
        by_value(&mut v, false, None);
        assert_eq!(v[0].0, "y");
        assert_eq!(v[2].0, "x");
    }
}
