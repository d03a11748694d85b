//! `count`: the number of elements of each batch (`[0]` for an empty batch), as Spark's Long.

#[inline]
pub fn fold<I: Iterator>(it: I) -> i64 {
    it.count() as i64
}

#[inline]
pub fn merge(a: &mut i64, b: i64) {
    *a += b;
}

#[inline]
pub fn finish(n: i64) -> Vec<i64> {
    vec![n]
}
