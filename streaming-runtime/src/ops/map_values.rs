//! `map_values(f)`: `(k, v)` becomes `(k, f(v))`.

use crate::keyed::Pair;

type K<I> = <<I as Iterator>::Item as Pair>::Key;
type V<I> = <<I as Iterator>::Item as Pair>::Value;

#[inline]
pub fn adapt<I, U, F>(it: I, mut f: F) -> impl Iterator<Item = (K<I>, U)>
where
    I: Iterator,
    I::Item: Pair,
    F: FnMut(V<I>) -> U,
{
    it.map(move |p| {
        let (k, v) = p.into_pair();
        (k, f(v))
    })
}
