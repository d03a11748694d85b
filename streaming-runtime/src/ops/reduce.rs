//! `reduce(f)`: one element per batch, `f` applied pairwise; nothing for an empty batch.

#[inline]
pub fn fold<I, F>(it: I, f: F) -> Option<I::Item>
where
    I: Iterator,
    F: FnMut(I::Item, I::Item) -> I::Item,
{
    it.reduce(f)
}

#[inline]
pub fn merge<T, F: FnMut(T, T) -> T>(a: &mut Option<T>, b: Option<T>, mut f: F) {
    *a = match (a.take(), b) {
        (Some(x), Some(y)) => Some(f(x, y)),
        (x, y) => x.or(y),
    };
}

#[inline]
pub fn finish<T>(r: Option<T>) -> Vec<T> {
    r.into_iter().collect()
}
