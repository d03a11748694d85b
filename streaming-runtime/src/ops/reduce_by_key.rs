//! `reduce_by_key(f)`: per batch, one `(key, value)` per key, values combined with `f`.
//! Keys are kept as they come (a `&str` borrowed from the batch stays borrowed), so a
//! batch's aggregation allocates only for the map itself.

use hashbrown::hash_map::Entry;

use crate::keyed::{Keyed, KeyedMap};

type K<I> = <<I as Iterator>::Item as Keyed>::Key;
type V<I> = <<I as Iterator>::Item as Keyed>::Value;

#[inline]
pub fn fold<I, F>(it: I, mut f: F) -> KeyedMap<K<I>, V<I>>
where
    I: Iterator,
    I::Item: Keyed,
    F: FnMut(V<I>, V<I>) -> V<I>,
{
    let mut map = KeyedMap::default();
    for item in it {
        let (k, v) = item.into_key_value();
        combine(&mut map, k, v, &mut f);
    }
    map
}

#[inline]
fn combine<K: std::hash::Hash + Eq, V>(
    map: &mut KeyedMap<K, V>,
    k: K,
    v: V,
    f: &mut impl FnMut(V, V) -> V,
) {
    match map.entry(k) {
        Entry::Occupied(e) => {
            e.replace_entry_with(|_, old| Some(f(old, v)));
        }
        Entry::Vacant(e) => {
            e.insert(v);
        }
    }
}

pub fn merge<K, V, F>(a: &mut KeyedMap<K, V>, b: KeyedMap<K, V>, mut f: F)
where
    K: std::hash::Hash + Eq,
    F: FnMut(V, V) -> V,
{
    // One resize at most (many of `b`'s keys are new to `a`), not one per doubling.
    a.reserve(b.len());
    for (k, v) in b {
        combine(a, k, v, &mut f);
    }
}

pub fn finish<K, V>(map: KeyedMap<K, V>) -> Vec<(K, V)> {
    map.into_iter().collect()
}

/// A run's partial for a parallel batch: its per-key aggregates split by key hash into one
/// map per thread, so that the runs' partials are merged shard by shard on all threads at
/// once instead of one after the other on one.
pub struct Sharded<K, V> {
    shards: Vec<KeyedMap<K, V>>,
}

/// The hasher that assigns keys to shards (fixed seeds: the runs of a batch must agree).
fn shard_hasher() -> ahash::RandomState {
    ahash::RandomState::with_seeds(0x5eed, 0x5ca1e, 0xba7c4, 0x5a4d)
}

#[inline]
fn shard_of<K: std::hash::Hash>(by: &ahash::RandomState, k: &K, shards: usize) -> usize {
    if shards <= 1 {
        return 0;
    }
    // The high bits: the shard maps hash with other seeds, so this does not skew them.
    ((by.hash_one(k) >> 32) as usize) % shards
}

/// `reduce_by_key` with `parallelism` > 1: folds a run into `shards` maps (sized from the
/// last batch, `hint`).
#[inline]
pub fn fold_sharded<I, F>(it: I, mut f: F, shards: usize, hint: &SizeHint) -> Sharded<K<I>, V<I>>
where
    I: Iterator,
    I::Item: Keyed,
    F: FnMut(V<I>, V<I>) -> V<I>,
{
    let shards = shards.max(1);
    // A run of a parallel batch sees part of the keys (each of `shards` runs, about two
    // thirds of them on text): sizing its shards for all would double every thread's
    // memory and its cache misses.
    let capacity = if shards == 1 {
        hint.get()
    } else {
        hint.get() * 2 / 3 / shards
    };
    let by = shard_hasher();
    let mut maps: Vec<KeyedMap<K<I>, V<I>>> = (0..shards)
        .map(|_| KeyedMap::with_capacity_and_hasher(capacity, ahash::RandomState::new()))
        .collect();
    for item in it {
        let (k, v) = item.into_key_value();
        let i = shard_of(&by, &k, shards);
        if let Some(map) = maps.get_mut(i) {
            combine(map, k, v, &mut f);
        }
    }
    Sharded { shards: maps }
}

/// Merges run `b`'s partial into `a`, each shard on its own thread (when large enough).
pub fn merge_sharded<K, V, F>(a: &mut Sharded<K, V>, b: Sharded<K, V>, f: F)
where
    K: std::hash::Hash + Eq + Send,
    V: Send,
    F: Fn(V, V) -> V + Sync,
{
    let work: usize = b.shards.iter().map(|m| m.len()).sum();
    let serial = work < crate::par::MIN_ELEMENTS_PER_THREAD || a.shards.len() < 2;
    let pairs = a.shards.iter_mut().zip(b.shards);
    if serial {
        for (x, y) in pairs {
            merge(x, y, &f);
        }
        return;
    }
    let f = &f;
    std::thread::scope(|scope| {
        let mut pairs = pairs;
        let first = pairs.next();
        let handles: Vec<_> = pairs
            .map(|(x, y)| scope.spawn(move || merge(x, y, f)))
            .collect();
        if let Some((x, y)) = first {
            merge(x, y, f);
        }
        for h in handles {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// The batch's `(key, value)`s from all shards; remembers their number for the next batch.
pub fn finish_sharded<K, V>(sharded: Sharded<K, V>, hint: &SizeHint) -> Vec<(K, V)> {
    let len = sharded.shards.iter().map(|m| m.len()).sum();
    hint.set(len);
    let mut out = Vec::with_capacity(len);
    for map in sharded.shards {
        out.extend(map);
    }
    out
}

/// The number of distinct keys of a stage's last batch: the next batch's maps start at that
/// size instead of growing (and rehashing) from empty.
#[derive(Debug, Default)]
pub struct SizeHint(std::sync::atomic::AtomicUsize);

impl SizeHint {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
    pub fn set(&self, n: usize) {
        self.0.store(n, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs folded into shards and merged shard by shard (in parallel past the threshold)
    /// give the plain fold's result, whatever the number of shards.
    #[test]
    fn sharded_runs_merge_to_the_plain_result() {
        let items: Vec<(u64, i64)> = (0..60_000u64).map(|i| ((i * 7919) % 20_011, 1)).collect();
        let mut plain: Vec<(u64, i64)> = finish(fold(items.iter().copied(), |a, b| a + b));
        plain.sort_unstable();
        for shards in 1..=4 {
            let hint = SizeHint::new();
            let runs: Vec<_> = items
                .chunks(17_000)
                .map(|c| fold_sharded(c.iter().copied(), |a, b| a + b, shards, &hint))
                .collect();
            let mut runs = runs.into_iter();
            let Some(mut acc) = runs.next() else {
                panic!("no runs")
            };
            for r in runs {
                merge_sharded(&mut acc, r, |a, b| a + b);
            }
            let mut got = finish_sharded(acc, &hint);
            got.sort_unstable();
            assert_eq!(got, plain, "{shards} shards");
            assert_eq!(
                hint.get(),
                plain.len(),
                "the next batch is sized from this one"
            );
        }
    }
}
