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
    sort_first(batch, first, |a, b| ByValue.compare(a, b, descending));
}

/// `sort_by_key asc|desc`: by key, ties by value ascending. `first` as for [`by_value`].
pub fn by_key<P>(batch: &mut Vec<P>, descending: bool, first: Option<usize>)
where
    P: Pair,
    P::Key: PartialOrd,
    P::Value: PartialOrd,
{
    sort_first(batch, first, |a, b| ByKey.compare(a, b, descending));
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
        if n <= SMALL_FIRST {
            *batch = best_of(std::mem::take(batch), n, &mut cmp);
            return;
        }
        batch.select_nth_unstable_by(n - 1, &mut cmp);
        batch.truncate(n);
    }
    // Equal elements are indistinguishable under `cmp`, so the unstable sort gives the
    // stable one's result (with less code to compile).
    batch.sort_unstable_by(cmp);
}

/// Up to this many first elements are kept with one pass and a short sorted list rather
/// than a selection: most elements are turned away by one comparison with the list's last
/// (usually of values only, where a selection's partitions compare many ties by key).
const SMALL_FIRST: usize = 32;

/// The first `n` of `items` in `cmp`'s order, in that order: one pass keeping a short
/// sorted list.
fn best_of<P>(
    items: impl IntoIterator<Item = P>,
    n: usize,
    cmp: &mut impl FnMut(&P, &P) -> Ordering,
) -> Vec<P> {
    let mut best: Vec<P> = Vec::with_capacity(n + 1);
    if n == 0 {
        return best;
    }
    for x in items {
        if best.len() == n && best.last().is_some_and(|w| cmp(&x, w) != Ordering::Less) {
            continue;
        }
        let at = best.partition_point(|b| cmp(b, &x) != Ordering::Greater);
        best.insert(at, x);
        best.truncate(n);
    }
    best
}

/// What a `sort` followed by `take(n)` (or `print(n)`) keeps: the first `n` pairs by value
/// ([`ByValue`]) or by key ([`ByKey`]). A window before such a sort picks them itself from
/// references into its store ([`crate::window::KeyedWindow::push_select`]) and copies only
/// those. The order is a type, so a pipeline compiles only the sort it uses.
#[derive(Clone, Copy, Debug)]
pub struct Select<O> {
    order: O,
    descending: bool,
    n: usize,
}

/// An order of pairs for [`Select`].
pub trait PairOrder: Copy {
    fn compare<P>(self, a: &P, b: &P, descending: bool) -> Ordering
    where
        P: Pair,
        P::Key: PartialOrd,
        P::Value: PartialOrd;
}

/// `sort`: by value, ties by key.
#[derive(Clone, Copy, Debug, Default)]
pub struct ByValue;

/// `sort_by_key`: by key, ties by value.
#[derive(Clone, Copy, Debug, Default)]
pub struct ByKey;

impl PairOrder for ByValue {
    #[inline]
    fn compare<P>(self, a: &P, b: &P, descending: bool) -> Ordering
    where
        P: Pair,
        P::Key: PartialOrd,
        P::Value: PartialOrd,
    {
        directed(compare(a.value(), b.value()), descending).then_with(|| compare(a.key(), b.key()))
    }
}

impl PairOrder for ByKey {
    #[inline]
    fn compare<P>(self, a: &P, b: &P, descending: bool) -> Ordering
    where
        P: Pair,
        P::Key: PartialOrd,
        P::Value: PartialOrd,
    {
        directed(compare(a.key(), b.key()), descending).then_with(|| compare(a.value(), b.value()))
    }
}

impl<O: PairOrder> Select<O> {
    /// `sort [desc] |> take(n)` with `order: ByValue`, `sort_by_key [desc] |> take(n)` with
    /// `ByKey`.
    pub fn new(order: O, descending: bool, n: usize) -> Self {
        Select {
            order,
            descending,
            n,
        }
    }

    /// The first `n` of pairs with borrowed keys in this order, the keys copied. (Values
    /// come copied already: comparing them in place beats chasing a pointer per comparison.)
    pub fn pick<'a, K, V>(&self, pairs: impl IntoIterator<Item = (&'a K, V)>) -> Vec<(K, V)>
    where
        K: Clone + PartialOrd + 'a,
        V: PartialOrd,
    {
        self.first_refs(pairs)
            .into_iter()
            .map(|(k, v)| (k.clone(), v))
            .collect()
    }

    /// The first `n` of pairs with borrowed keys in this order, still borrowed.
    pub fn first_refs<'a, K, V>(
        &self,
        pairs: impl IntoIterator<Item = (&'a K, V)>,
    ) -> Vec<(&'a K, V)>
    where
        K: PartialOrd + 'a,
        V: PartialOrd,
    {
        let (order, descending) = (self.order, self.descending);
        let mut cmp = |a: &(&K, V), b: &(&K, V)| order.compare(a, b, descending);
        if self.n <= SMALL_FIRST {
            // No list of all the references: the few best are kept as they pass.
            return best_of(pairs, self.n, &mut cmp);
        }
        let mut all: Vec<_> = pairs.into_iter().collect();
        sort_first(&mut all, Some(self.n), cmp);
        all
    }
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
    fn the_first_few_equal_the_full_sort_for_any_order_of_input() {
        for len in [0usize, 1, 2, 5, 33, 200] {
            let base: Vec<(String, i64)> = (0..len)
                .map(|i| (format!("k{}", (i * 7) % 13), (i % 4) as i64))
                .collect();
            for rotation in [0, len / 3, len.saturating_sub(1)] {
                let mut input = base.clone();
                input.rotate_left(rotation.min(len));
                let mut full = input.clone();
                by_value(&mut full, true, None);
                for n in [0usize, 1, 3, 10, 32, 33, 250] {
                    let mut got = input.clone();
                    by_value(&mut got, true, Some(n));
                    assert_eq!(got[..], full[..n.min(len)], "len {len} n {n}");
                }
            }
        }
    }

    #[test]
    fn nan_sorts_last_without_panicking() {
        let mut v = vec![("x", f64::NAN), ("y", 1.0), ("z", 3.0)];
        by_value(&mut v, false, None);
        assert_eq!(v[0].0, "y");
        assert_eq!(v[2].0, "x");
    }
}
