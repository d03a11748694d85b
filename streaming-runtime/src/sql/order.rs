//! ORDER BY keys: each a value with its direction and where its NULLs go, so that one
//! `sort_by` orders by several keys in mixed directions. Spark's defaults: NULLs first when
//! ascending, last when descending.

use std::cmp::Ordering;

use super::value::SqlOwned;
use crate::event_time::Timestamp;

/// A value ORDER BY can sort by: a total order (floats as Spark sorts them: -0.0 equal to
/// 0.0, every NaN equal and above every number).
#[diagnostic::on_unimplemented(
    message = "ORDER BY cannot sort by `{Self}`",
    label = "in this query"
)]
pub trait SqlSort {
    /// The total order.
    fn sort_cmp(&self, other: &Self) -> Ordering;
}

macro_rules! sort_by_ord {
    ($($t:ty),*) => {$(
        impl SqlSort for $t {
            #[inline]
            fn sort_cmp(&self, other: &Self) -> Ordering {
                self.cmp(other)
            }
        }
    )*};
}
sort_by_ord!(
    i64,
    bool,
    String,
    Timestamp,
    super::value::KeyStr,
    super::value::KeyDouble,
    &str
);

impl SqlSort for f64 {
    #[inline]
    fn sort_cmp(&self, other: &f64) -> Ordering {
        // As GROUP BY keys order (Spark's `compareDoubles`), so that -NaN does not sort
        // first as IEEE's total order would put it.
        super::value::KeyDouble::new(*self).cmp(&super::value::KeyDouble::new(*other))
    }
}

/// One ORDER BY key of a row.
#[derive(Clone, Debug)]
pub struct SortKey<T> {
    value: Option<T>,
    descending: bool,
    nulls_first: bool,
}

/// The key for `value` sorted `descending` or not, NULLs first or last (`None`: Spark's
/// default for the direction).
#[inline]
pub fn sort_key<V: SqlOwned>(
    value: Option<V>,
    descending: bool,
    nulls_first: Option<bool>,
) -> SortKey<V::Owned> {
    SortKey {
        value: value.map(SqlOwned::owned),
        descending,
        nulls_first: nulls_first.unwrap_or(!descending),
    }
}

/// The same, keeping the value as it is (a group's key, borrowed or inline).
#[inline]
pub fn sort_key_as_is<V: SqlSort>(
    value: Option<V>,
    descending: bool,
    nulls_first: Option<bool>,
) -> SortKey<V> {
    SortKey {
        value,
        descending,
        nulls_first: nulls_first.unwrap_or(!descending),
    }
}

impl<T: SqlSort> Ord for SortKey<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.value, &other.value) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) if self.nulls_first => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) if self.nulls_first => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) if self.descending => b.sort_cmp(a),
            (Some(a), Some(b)) => a.sort_cmp(b),
        }
    }
}

impl<T: SqlSort> PartialOrd for SortKey<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: SqlSort> PartialEq for SortKey<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl<T: SqlSort> Eq for SortKey<T> {}

/// ORDER BY .. LIMIT `n`: the batch's first `n` rows by `key`, in order. Only those are
/// sorted: the rest are left unsorted by a selection.
pub fn first<T, K: Ord, F: FnMut(&T) -> K>(mut batch: Vec<T>, n: usize, mut key: F) -> Vec<T> {
    if n == 0 {
        return Vec::new();
    }
    if batch.len() > n {
        batch.select_nth_unstable_by(n - 1, |a, b| key(a).cmp(&key(b)));
        batch.truncate(n);
    }
    batch.sort_by_cached_key(key);
    batch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_and_nulls_as_spark() {
        let mut v = vec![Some(2i64), None, Some(1), Some(3)];
        v.sort_by_key(|x| sort_key(*x, false, None));
        assert_eq!(v, [None, Some(1), Some(2), Some(3)]);
        v.sort_by_key(|x| sort_key(*x, true, None));
        assert_eq!(v, [Some(3), Some(2), Some(1), None]);
        v.sort_by_key(|x| sort_key(*x, true, Some(true)));
        assert_eq!(v, [None, Some(3), Some(2), Some(1)]);
    }

    #[test]
    fn doubles_sort_as_spark() {
        let mut v = [Some(f64::NAN), Some(1.0), Some(-f64::NAN), Some(-0.0), None];
        v.sort_by_key(|x| sort_key(*x, false, None));
        let shown: Vec<String> = v.iter().map(|x| format!("{x:?}")).collect();
        assert_eq!(
            shown,
            ["None", "Some(-0.0)", "Some(1.0)", "Some(NaN)", "Some(NaN)"]
        );
        assert_eq!(0.0f64.sort_cmp(&-0.0), Ordering::Equal);
    }

    #[test]
    fn first_n_in_order() {
        let v: Vec<i64> = vec![5, 1, 4, 2, 3];
        assert_eq!(first(v.clone(), 2, |x| *x), [1, 2]);
        assert_eq!(first(v.clone(), 9, |x| *x), [1, 2, 3, 4, 5]);
        assert!(first(v, 0, |x| *x).is_empty());
    }
}
