//! Orders of pairs shared by the operators that sort and by the window store: a total
//! order over `PartialOrd` values, the sorts by value and by key, and [`Select`], the first
//! `n` pairs a `sort |> take(n)` keeps. It sits below both [`crate::ops`] and
//! [`crate::window`] so that a window can pick a sort's first pairs from its store.
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

pub(crate) fn directed(o: Ordering, descending: bool) -> Ordering {
    if descending { o.reverse() } else { o }
}

/// Sorts with `cmp`, keeping only the first `n` elements when the next stage reads no
/// more (`sort |> take(n)`, `sort |> print`): a selection, then a sort of those `n` —
/// O(len + n log n) instead of O(len log len). `cmp` must be a total order in which equal
/// elements are indistinguishable (value, then key), so the result is exactly the first
/// `n` of the full sort.
pub(crate) fn sort_first<P>(
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
