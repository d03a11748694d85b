//! `window(W, S)` and `window(W, S) reduce(f [, inv]) [keep |k, v| ..]`: the glue between
//! generated code and the window stores of [`crate::window`]. A window's store is created
//! at its first batch, when the pipeline's start time is known.

use std::hash::Hash;

use crate::context::BatchContext;
use crate::error::StreamingError;
use crate::keyed::KeyedMap;
use crate::owned::IntoOwned;
use crate::window::{KeyedWindow, WindowBuffer, WindowSpec};

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
    out: Option<Vec<(&K, V)>>,
    mut f: F,
) -> Option<Vec<(&K, V)>> {
    out.map(|v| v.into_iter().filter(|(k, x)| f(k, x)).collect())
}

/// `count_by_window(W, S)`: the number of elements in each window (`[0]` for an empty one,
/// as `count` gives for an empty batch). One running count, updated incrementally.
pub fn count(
    slot: &mut Option<KeyedWindow<(), i64>>,
    ctx: &BatchContext<'_>,
    (window_ms, slide_ms, parent_ms): (u64, u64, u64),
    n: i64,
) -> Result<Option<Vec<i64>>, StreamingError> {
    let w = keyed(slot, ctx, window_ms, slide_ms, parent_ms, true)?;
    let out = w.push(
        ctx.time(),
        [((), n)],
        |a, b| a + b,
        Some(|a: i64, b: i64| a - b),
    );
    Ok(out.map(|v| vec![v.into_iter().map(|(_, n)| n).sum()]))
}

/// `reduce_by_window(f [, inv], W, S)`: one element per window (nothing for an empty one).
#[allow(clippy::too_many_arguments)]
pub fn reduce<T: Clone, F, G>(
    slot: &mut Option<KeyedWindow<(), T>>,
    ctx: &BatchContext<'_>,
    (window_ms, slide_ms, parent_ms): (u64, u64, u64),
    batch: Option<T>,
    f: F,
    inv: Option<G>,
) -> Result<Option<Vec<T>>, StreamingError>
where
    F: FnMut(T, T) -> T,
    G: FnMut(T, T) -> T,
{
    let w = keyed(slot, ctx, window_ms, slide_ms, parent_ms, inv.is_some())?;
    let out = w.push(ctx.time(), batch.map(|x| ((), x)), f, inv);
    Ok(out.map(|v| v.into_iter().map(|(_, x)| x).collect()))
}

/// `group_by_key_and_window(W, S)`: each key with all its values in the window.
pub fn group<K: Hash + Eq, V>(
    window: Option<Vec<(K, V)>>,
) -> Option<Vec<(K, crate::CompactBuffer<V>)>> {
    window.map(|v| crate::ops::group_by_key::finish(crate::ops::group_by_key::fold(v.into_iter())))
}
