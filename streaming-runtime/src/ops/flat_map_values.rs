//! `flat_map_values(f)`: `(k, v)` becomes `(k, u)` for every `u` in `f(v)`.

use crate::keyed::Pair;

type K<I> = <<I as Iterator>::Item as Pair>::Key;
type V<I> = <<I as Iterator>::Item as Pair>::Value;

#[inline]
pub fn adapt<I, R, F>(it: I, mut f: F) -> impl Iterator<Item = (K<I>, R::Item)>
where
    I: Iterator,
    I::Item: Pair,
    K<I>: Clone,
    R: IntoIterator,
    F: FnMut(V<I>) -> R,
{
    it.flat_map(move |p| {
        let (k, v) = p.into_pair();
        f(v).into_iter().map(move |u| (k.clone(), u))
    })
}
