//! The aggregates' accumulators: one per aggregate of a query, the query's accumulator a
//! tuple of them. Each row starts one (`count_star()`, `sum(v)`, ...), `reduce_by_key`
//! merges them per group ([`SqlAcc::merge`]) and the output row takes their results
//! ([`SqlAcc::finish`]). NULLs as in SQL: COUNT(*) counts every row, the other aggregates
//! skip NULLs, and SUM, AVG, MIN and MAX of no value are NULL.

use std::collections::HashSet;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::expr::SqlNum;
use super::value::{KeyDouble, KeyStr, SqlOwned};
use crate::owned::IntoOwned;

/// An aggregate's accumulator.
pub trait SqlAcc: Sized {
    /// The aggregate's result (`None`: NULL).
    type Out;
    /// Both accumulators' rows together.
    fn merge(self, other: Self) -> Self;
    /// The result.
    fn finish(self) -> Self::Out;
    /// The result so far, the accumulator kept (ORDER BY .. LIMIT picks groups by it
    /// before their rows are built).
    fn result(&self) -> Self::Out;
}

/// Merges two accumulators (the generated reducer calls it for each aggregate).
#[inline]
pub fn merge<A: SqlAcc>(a: A, b: A) -> A {
    a.merge(b)
}

/// The result of an accumulator.
#[inline]
pub fn finish<A: SqlAcc>(a: A) -> A::Out {
    a.finish()
}

/// COUNT(*) and COUNT(x).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Count(pub i64);

/// COUNT(*) of one row.
#[inline]
pub fn count_star() -> Count {
    Count(1)
}

/// COUNT(x) of one row: 1 unless x is NULL.
#[inline]
pub fn count<V>(v: &Option<V>) -> Count {
    Count(i64::from(v.is_some()))
}

impl SqlAcc for Count {
    type Out = Option<i64>;
    #[inline]
    fn merge(self, other: Count) -> Count {
        Count(self.0 + other.0)
    }
    #[inline]
    fn finish(self) -> Option<i64> {
        Some(self.0)
    }
    #[inline]
    fn result(&self) -> Option<i64> {
        Some(self.0)
    }
}

/// SUM(x): BIGINT for integers (wrapping, as Spark's non-ANSI mode), DOUBLE for floats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sum<N>(pub Option<N>);

/// SUM(x) of one row.
#[inline]
pub fn sum<N: SqlNum>(v: Option<N>) -> Sum<N> {
    Sum(v)
}

impl<N: SqlNum> SqlAcc for Sum<N> {
    type Out = Option<N>;
    #[inline]
    fn merge(self, other: Self) -> Self {
        Sum(match (self.0, other.0) {
            (Some(a), Some(b)) => Some(a.plus(b)),
            (a, b) => a.or(b),
        })
    }
    #[inline]
    fn finish(self) -> Option<N> {
        self.0
    }
    #[inline]
    fn result(&self) -> Option<N> {
        self.0
    }
}

/// AVG(x): always a DOUBLE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Avg {
    sum: f64,
    n: i64,
}

/// AVG(x) of one row.
#[inline]
pub fn avg<N: SqlNum>(v: Option<N>) -> Avg {
    match v {
        Some(v) => Avg {
            sum: v.as_f64(),
            n: 1,
        },
        None => Avg::default(),
    }
}

impl SqlAcc for Avg {
    type Out = Option<f64>;
    #[inline]
    fn merge(self, other: Avg) -> Avg {
        Avg {
            sum: self.sum + other.sum,
            n: self.n + other.n,
        }
    }
    #[inline]
    fn finish(self) -> Option<f64> {
        self.result()
    }
    #[inline]
    fn result(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

/// MIN(x).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Min<T>(pub Option<T>);

/// MAX(x).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Max<T>(pub Option<T>);

/// A value MIN and MAX can order.
#[diagnostic::on_unimplemented(
    message = "MIN and MAX need values with an order, and `{Self}` has none",
    label = "in this query"
)]
pub trait SqlOrdered: PartialOrd + Clone {}
impl SqlOrdered for i64 {}
impl SqlOrdered for f64 {}
impl SqlOrdered for bool {}
impl SqlOrdered for String {}
impl SqlOrdered for crate::event_time::Timestamp {}

/// MIN(x) of one row.
#[inline]
pub fn min<V: SqlOwned>(v: Option<V>) -> Min<V::Owned>
where
    V::Owned: SqlOrdered,
{
    Min(v.map(SqlOwned::owned))
}

/// MAX(x) of one row.
#[inline]
pub fn max<V: SqlOwned>(v: Option<V>) -> Max<V::Owned>
where
    V::Owned: SqlOrdered,
{
    Max(v.map(SqlOwned::owned))
}

/// MIN and MAX: the two accumulators differ only in which of two values they keep.
macro_rules! extremes {
    ($($acc:ident keeps $b:ident over $a:ident when $keep:expr;)*) => {$(
        impl<T: SqlOrdered> SqlAcc for $acc<T> {
            type Out = Option<T>;
            #[inline]
            fn merge(self, other: Self) -> Self {
                $acc(match (self.0, other.0) {
                    (Some($a), Some($b)) => Some(if $keep { $b } else { $a }),
                    (a, b) => a.or(b),
                })
            }
            #[inline]
            fn finish(self) -> Option<T> {
                self.0
            }
            #[inline]
            fn result(&self) -> Option<T> {
                self.0.clone()
            }
        }
    )*};
}
extremes! {
    Min keeps b over a when b < a;
    Max keeps b over a when b > a;
}

/// COUNT(DISTINCT x): the distinct values seen (NULL is not one).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "K: Serialize", deserialize = "K: Deserialize<'de>"))]
pub struct Distinct<K: Hash + Eq>(pub HashSet<K>);

/// A value COUNT(DISTINCT ..) and GROUP BY can tell apart, and the value its group's
/// expressions compute with after grouping (a DOUBLE's key is `KeyDouble`, its value the
/// `f64`, so that `HAVING x > 1` and `x * 2` read it as any DOUBLE).
#[diagnostic::on_unimplemented(
    message = "COUNT(DISTINCT ..) and GROUP BY need values that can be told apart exactly, and `{Self}` cannot",
    label = "in this query",
    note = "keys can be BIGINT, DOUBLE, STRING, BOOLEAN or TIMESTAMP values"
)]
pub trait SqlKey: Hash + Eq {
    /// The value after grouping.
    type Value;
    /// The value after grouping.
    fn value(&self) -> Self::Value;
}

macro_rules! key_value_as_is {
    ($($t:ty),*) => {$(
        impl SqlKey for $t {
            type Value = $t;
            #[inline]
            fn value(&self) -> $t {
                self.clone()
            }
        }
    )*};
}
key_value_as_is!(i64, bool, String, KeyStr, crate::event_time::Timestamp);

impl<'a> SqlKey for &'a str {
    type Value = &'a str;
    #[inline]
    fn value(&self) -> &'a str {
        self
    }
}

impl SqlKey for KeyDouble {
    type Value = f64;
    #[inline]
    fn value(&self) -> f64 {
        self.get()
    }
}

/// A group's key part as its expressions read it after grouping.
#[inline]
pub fn grouped<K: SqlKey>(k: &Option<K>) -> Option<K::Value> {
    k.as_ref().map(SqlKey::value)
}

/// COUNT(DISTINCT x) of one row.
#[inline]
pub fn count_distinct<V: SqlKeyValue>(v: Option<V>) -> Distinct<V::Key> {
    Distinct(v.map(SqlKeyValue::key).into_iter().collect())
}

impl<K: Hash + Eq> SqlAcc for Distinct<K> {
    type Out = Option<i64>;
    #[inline]
    fn merge(mut self, mut other: Self) -> Self {
        if self.0.len() < other.0.len() {
            std::mem::swap(&mut self, &mut other);
        }
        self.0.extend(other.0);
        self
    }
    #[inline]
    fn finish(self) -> Option<i64> {
        Some(self.0.len() as i64)
    }
    #[inline]
    fn result(&self) -> Option<i64> {
        Some(self.0.len() as i64)
    }
}

/// A value as a GROUP BY key (or a COUNT(DISTINCT ..) value) holds it: owned, and for
/// strings inline when short ([`KeyStr`]), so a row's key allocates nothing.
#[diagnostic::on_unimplemented(
    message = "GROUP BY, DISTINCT and join keys need values that can be told apart exactly, and `{Self}` cannot",
    label = "in this query",
    note = "keys can be BIGINT, DOUBLE, STRING, BOOLEAN or TIMESTAMP values"
)]
pub trait SqlKeyValue {
    /// The key's type.
    type Key: SqlKey;
    /// The key.
    fn key(self) -> Self::Key;
}

macro_rules! key_as_is {
    ($($t:ty),*) => {$(
        impl SqlKeyValue for $t {
            type Key = $t;
            #[inline]
            fn key(self) -> $t {
                self
            }
        }
    )*};
}
key_as_is!(i64, bool, crate::event_time::Timestamp, KeyStr, KeyDouble);

/// Spark groups -0.0 with 0.0 and every NaN together.
impl SqlKeyValue for f64 {
    type Key = KeyDouble;
    #[inline]
    fn key(self) -> KeyDouble {
        KeyDouble::new(self)
    }
}

impl SqlKeyValue for &str {
    type Key = KeyStr;
    #[inline]
    fn key(self) -> KeyStr {
        KeyStr::new(self)
    }
}

impl SqlKeyValue for String {
    type Key = KeyStr;
    #[inline]
    fn key(self) -> KeyStr {
        KeyStr::from(self)
    }
}

impl SqlKeyValue for std::borrow::Cow<'_, str> {
    type Key = KeyStr;
    #[inline]
    fn key(self) -> KeyStr {
        KeyStr::new(&self)
    }
}

/// A stream's element as a GROUP BY key when the key is the whole element: taken by
/// value, so a borrowed string stays borrowed (no copy per row) and an owned one is kept.
#[diagnostic::on_unimplemented(
    message = "GROUP BY needs values that can be told apart exactly, and `{Self}` cannot",
    label = "in this query",
    note = "keys can be BIGINT, DOUBLE, STRING, BOOLEAN or TIMESTAMP values"
)]
pub trait SqlElemKey {
    /// The key's type.
    type Key: SqlKey;
    /// The key; `None` is NULL.
    fn elem_key(self) -> Option<Self::Key>;
}

impl<'a> SqlElemKey for &'a str {
    type Key = &'a str;
    #[inline]
    fn elem_key(self) -> Option<&'a str> {
        Some(self)
    }
}

impl<'a> SqlElemKey for &'a String {
    type Key = &'a str;
    #[inline]
    fn elem_key(self) -> Option<&'a str> {
        Some(self)
    }
}

impl<'a> SqlElemKey for &&'a str {
    type Key = &'a str;
    #[inline]
    fn elem_key(self) -> Option<&'a str> {
        Some(*self)
    }
}

impl SqlElemKey for String {
    type Key = KeyStr;
    #[inline]
    fn elem_key(self) -> Option<KeyStr> {
        Some(KeyStr::from(self))
    }
}

macro_rules! elem_key_ints {
    ($($t:ty),*) => {$(
        impl SqlElemKey for $t {
            type Key = i64;
            #[inline]
            fn elem_key(self) -> Option<i64> {
                Some(self as i64)
            }
        }
    )*};
}
elem_key_ints!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

macro_rules! elem_key_floats {
    ($($t:ty),*) => {$(
        impl SqlElemKey for $t {
            type Key = KeyDouble;
            #[inline]
            fn elem_key(self) -> Option<KeyDouble> {
                Some(KeyDouble::new(f64::from(self)))
            }
        }
    )*};
}
elem_key_floats!(f32, f64);

impl SqlElemKey for bool {
    type Key = bool;
    #[inline]
    fn elem_key(self) -> Option<bool> {
        Some(self)
    }
}

impl<T: SqlElemKey> SqlElemKey for Option<T> {
    type Key = T::Key;
    #[inline]
    fn elem_key(self) -> Option<T::Key> {
        self.and_then(SqlElemKey::elem_key)
    }
}

/// The element itself as a GROUP BY key.
#[inline]
pub fn elem_key<E: SqlElemKey>(e: E) -> Option<E::Key> {
    e.elem_key()
}

/// A GROUP BY key part.
#[inline]
pub fn key<V: SqlKeyValue>(v: Option<V>) -> Option<V::Key> {
    v.map(SqlKeyValue::key)
}

// Stores (event-time windows, checkpoints) keep owned accumulators: they are owned already.
macro_rules! owned {
    ($($t:ident $(<$p:ident $(: $b:path)?>)?),*) => {$(
        impl$(<$p: Send + 'static $(+ $b)?>)? IntoOwned for $t$(<$p>)? {
            type Owned = Self;
            #[inline]
            fn into_owned(self) -> Self {
                self
            }
        }
    )*};
}
owned!(Count, Avg, Sum<N>, Min<T>, Max<T>, Distinct<K: KeyBound>);

/// What `Distinct` requires of its values.
pub trait KeyBound: Hash + Eq {}
impl<K: Hash + Eq> KeyBound for K {}

/// A query's accumulator: one per aggregate, merged and finished together.
macro_rules! tuples {
    ($( ($($a:ident $i:tt),*) )*) => {$(
        impl<$($a: SqlAcc),*> SqlAcc for ($($a,)*) {
            type Out = ($($a::Out,)*);
            #[inline]
            #[allow(clippy::unused_unit)]
            fn merge(self, _other: Self) -> Self {
                ($(self.$i.merge(_other.$i),)*)
            }
            #[inline]
            #[allow(clippy::unused_unit)]
            fn finish(self) -> Self::Out {
                ($(self.$i.finish(),)*)
            }
            #[inline]
            #[allow(clippy::unused_unit)]
            fn result(&self) -> Self::Out {
                ($(self.$i.result(),)*)
            }
        }
    )*};
}
tuples! {
    ()
    (A0 0)
    (A0 0, A1 1)
    (A0 0, A1 1, A2 2)
    (A0 0, A1 1, A2 2, A3 3)
    (A0 0, A1 1, A2 2, A3 3, A4 4)
    (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5)
    (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6)
    (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7)
    (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7, A8 8)
    (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7, A8 8, A9 9)
    (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7, A8 8, A9 9, A10 10)
    (A0 0, A1 1, A2 2, A3 3, A4 4, A5 5, A6 6, A7 7, A8 8, A9 9, A10 10, A11 11)
}

/// A query without GROUP BY: its batch's accumulators merged into one, the empty one for
/// an empty batch (SQL gives one row even then: COUNT(*) 0, SUM NULL).
pub fn fold_all<A: SqlAcc + Default, I: IntoIterator<Item = A>>(batch: I) -> A {
    batch.into_iter().fold(A::default(), SqlAcc::merge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_as_sql() {
        let s = sum(Some(2i64)).merge(sum(None)).merge(sum(Some(3)));
        assert_eq!(s.finish(), Some(5));
        assert_eq!(sum::<i64>(None).merge(sum(None)).finish(), None);
        assert_eq!(avg::<f64>(None).finish(), None);
        assert_eq!(avg(Some(1i64)).merge(avg(Some(2i64))).finish(), Some(1.5));
        assert_eq!(count(&None::<i64>).merge(count_star()).finish(), Some(1));
        assert_eq!(
            min(Some("b")).merge(min(Some("a"))).finish(),
            Some("a".into())
        );
        assert_eq!(max(Some(1i64)).merge(max(None::<i64>)).finish(), Some(1));
        let d = count_distinct(Some("a")).merge(count_distinct(Some("a")));
        assert_eq!(d.merge(count_distinct(None::<&str>)).finish(), Some(1));
    }

    #[test]
    fn doubles_group_and_count_distinct_as_spark() {
        let d = [0.0, -0.0, f64::NAN, -f64::NAN, 1.5]
            .into_iter()
            .map(|v| count_distinct(Some(v)))
            .fold(Distinct(HashSet::new()), SqlAcc::merge);
        assert_eq!(d.finish(), Some(3));
        let k = key(Some(-0.0f64));
        assert_eq!(k, key(Some(0.0f64)));
        assert_eq!(grouped(&k).map(f64::to_bits), Some(0));
        assert_eq!(elem_key(Some(2.5f32)), key(Some(2.5f64)));
        assert!(grouped(&key(Some(f64::NAN))).is_some_and(f64::is_nan));
    }
}
