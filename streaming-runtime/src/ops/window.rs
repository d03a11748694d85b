//! `window(W, S)` and `window(W, S) reduce(f [, inv]) [keep |k, v| ..]`: the glue between
//! generated code and the window stores of [`crate::window`]. A window's store is created
//! at its first batch, when the pipeline's start time is known.

use std::hash::Hash;

use crate::context::BatchContext;
use crate::error::StreamingError;
use crate::keyed::KeyedMap;
use crate::owned::IntoOwned;
use crate::window::{KeyedWindow, WindowBuffer, WindowSpec};

/// A raw window keeps owned copies of its elements across batches.
#[inline]
pub fn fold<I>(it: I) -> Vec<<I::Item as IntoOwned>::Owned>
where
    I: Iterator,
    I::Item: IntoOwned,
{
    it.map(IntoOwned::into_owned).collect()
}

/// The window's element buffer, created on first use.
pub fn buffer<'w, T: Clone>(
    slot: &'w mut Option<WindowBuffer<T>>,
    ctx: &BatchContext<'_>,
    window_ms: u64,
    slide_ms: u64,
    parent_ms: u64,
) -> Result<&'w mut WindowBuffer<T>, StreamingError> {
    if slot.is_none() {
        *slot = Some(WindowBuffer::new(
            WindowSpec::new(window_ms, slide_ms, parent_ms)?,
            ctx.zero(),
        ));
    }
    slot.as_mut()
        .ok_or_else(|| StreamingError::Config("window store missing".into()))
}

/// The window's per-key panes, created on first use.
pub fn keyed<'w, K: Hash + Eq + Clone, V: Clone>(
    slot: &'w mut Option<KeyedWindow<K, V>>,
    ctx: &BatchContext<'_>,
    window_ms: u64,
    slide_ms: u64,
    parent_ms: u64,
    incremental: bool,
) -> Result<&'w mut KeyedWindow<K, V>, StreamingError> {
    if slot.is_none() {
        let spec = WindowSpec::new(window_ms, slide_ms, parent_ms)?;
        *slot = Some(KeyedWindow::new(spec, ctx.zero(), incremental));
    }
    slot.as_mut()
        .ok_or_else(|| StreamingError::Config("window store missing".into()))
}

/// A batch's per-key partials with owned keys (a borrowed `&str` key becomes a `String`
/// once per key and batch, not once per record).
#[inline]
pub fn owned_keys<K: IntoOwned, V>(map: KeyedMap<K, V>) -> impl Iterator<Item = (K::Owned, V)> {
    map.into_iter().map(|(k, v)| (k.into_owned(), v))
}

/// The "no inverse" argument of [`KeyedWindow::push`].
#[inline]
pub fn no_inverse<V>() -> Option<fn(V, V) -> V> {
    None
}

/// `keep |k, v| ..`: keeps the window results for which the function is true.
#[inline]
pub fn keep<K, V, F: FnMut(&K, &V) -> bool>(
    out: Option<Vec<(K, V)>>,
    mut f: F,
) -> Option<Vec<(K, V)>> {
    out.map(|v| v.into_iter().filter(|(k, x)| f(k, x)).collect())
}
