//! `take(n)`: the first `n` elements of each batch.

#[inline]
pub fn fold<I: Iterator>(it: I, n: usize) -> Vec<I::Item> {
    it.take(n).collect()
}

#[inline]
pub fn merge<T>(a: &mut Vec<T>, mut b: Vec<T>, n: usize) {
    if a.len() < n {
        a.append(&mut b);
        a.truncate(n);
    }
}
