//! `fusion off;`: operator-at-a-time stages. Each stateless operator is its own stage that
//! materialises its whole output batch before the next runs, and calls the stage's function
//! through a boxed `dyn FnMut` for every element (as an operator-at-a-time engine calls a
//! virtual `apply`), so nothing is inlined or fused across stages. The same pipeline text
//! with fusion on compiles into one loop; benchmarks compare the two.

use crate::keyed::Pair;

type K<T> = <T as Pair>::Key;
type V<T> = <T as Pair>::Value;

pub fn map<T, U>(batch: Vec<T>, f: impl FnMut(T) -> U) -> Vec<U> {
    let mut f: Box<dyn FnMut(T) -> U + '_> = Box::new(f);
    let mut out = Vec::with_capacity(batch.len());
    for x in batch {
        out.push(f(x));
    }
    out
}

pub fn filter<T>(batch: Vec<T>, f: impl FnMut(&T) -> bool) -> Vec<T> {
    let mut f: Box<dyn FnMut(&T) -> bool + '_> = Box::new(f);
    let mut out = Vec::new();
    for x in batch {
        if f(&x) {
            out.push(x);
        }
    }
    out
}

pub fn flat_map<T, R: IntoIterator>(batch: Vec<T>, f: impl FnMut(T) -> R) -> Vec<R::Item> {
    let mut f: Box<dyn FnMut(T) -> R + '_> = Box::new(f);
    let mut out = Vec::new();
    for x in batch {
        out.extend(f(x));
    }
    out
}

pub fn map_values<T: Pair, U>(batch: Vec<T>, f: impl FnMut(V<T>) -> U) -> Vec<(K<T>, U)> {
    let mut f: Box<dyn FnMut(V<T>) -> U + '_> = Box::new(f);
    let mut out = Vec::with_capacity(batch.len());
    for p in batch {
        let (k, v) = p.into_pair();
        out.push((k, f(v)));
    }
    out
}

pub fn flat_map_values<T, R>(batch: Vec<T>, f: impl FnMut(V<T>) -> R) -> Vec<(K<T>, R::Item)>
where
    T: Pair,
    K<T>: Clone,
    R: IntoIterator,
{
    let mut f: Box<dyn FnMut(V<T>) -> R + '_> = Box::new(f);
    let mut out = Vec::new();
    for p in batch {
        let (k, v) = p.into_pair();
        out.extend(f(v).into_iter().map(|u| (k.clone(), u)));
    }
    out
}
