//! `sort [asc|desc]` (pairs by value, ties by key ascending, so output is deterministic),
//! `sort_by_key [asc|desc]` and `sort_by |x| key [asc|desc]`. The orders themselves, and
//! the first `n` a `sort |> take(n)` keeps, are [`crate::order`]'s.

use crate::keyed::Pair;
pub use crate::order::{ByKey, ByValue, PairOrder, Select};
use crate::order::{compare, directed, sort_first};

/// `sort asc|desc`: by value, ties by key ascending. `first`: the next stage reads only
/// that many elements (see `crate::order`'s `sort_first`).
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
