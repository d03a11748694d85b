//! `reduce_by_key(f)`: per batch, one `(key, value)` per key, values combined with `f`.
//! Keys are kept as they come (a `&str` borrowed from the batch stays borrowed), so a
//! batch's aggregation allocates only for the map itself: an [`AppendOnlyMap`], whose
//! lookups are prefetched ahead of the pairs combined (a batch's map seldom fits in cache),
//! its table kept from one batch to the next in the stage's [`SizeHint`].

use hashbrown::hash_map::Entry;

use crate::append_only_map::AppendOnlyMap;
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

/// A batch's partial for `parallelism` > 1: its pairs split by key hash into one shard per
/// thread, so that shards are combined on all threads at once. How a run fills its shards
/// depends on how often keys repeat (from the last batch, [`SizeHint`]):
/// - often (words of a text): each run folds into its own map per shard, and the runs' maps
///   are merged shard by shard;
/// - seldom (hashtags: 1.8 occurrences per key in the tweets): a run's own maps would hold
///   nearly every pair, and merging them would insert most keys twice. The run only
///   appends its pairs to its shards' lists; each shard folds all runs' lists, in run
///   order, once, on its own thread.
pub struct Sharded<K, V> {
    shards: Vec<Shard<K, V>>,
    /// Pairs folded so far (for the next batch's choice).
    items: usize,
}

struct Shard<K, V> {
    map: AppendOnlyMap<K, V>,
    /// Runs' pairs not folded yet, in run order, with their hashes (by the stage's hasher,
    /// as the map's slots).
    pending: Vec<Vec<Hashed<K, V>>>,
}

/// A pair with its key's hash.
type Hashed<K, V> = (u64, K, V);

impl<K: std::hash::Hash + Eq, V> Shard<K, V> {
    /// Folds the pending pairs into the map, in run order.
    fn settle(&mut self, f: &impl Fn(V, V) -> V, capacity: usize, hint: &SizeHint) {
        if self.pending.is_empty() {
            return;
        }
        if self.map.is_empty() {
            self.map = hint.map(capacity);
        } else {
            self.map.reserve(capacity.saturating_sub(self.map.len()));
        }
        let runs = std::mem::take(&mut self.pending);
        self.map
            .combine_all_hashed(runs.into_iter().flatten(), &mut |a, b| f(a, b));
    }

    fn pending_len(&self) -> usize {
        self.pending.iter().map(Vec::len).sum()
    }
}

/// The shard of a key hashed to `h` (by the stage's hasher, [`SizeHint`]'s): from the
/// hash's high bits, which a map's slots take their tags from but not their places.
#[inline]
fn shard_of(h: u64, shards: usize) -> usize {
    if shards <= 1 {
        return 0;
    }
    ((h >> 32) as usize) % shards
}

/// `reduce_by_key` with `parallelism` > 1: folds a run into `shards` shards (sized from
/// the last batch, `hint`).
#[inline]
pub fn fold_sharded<I, F>(it: I, mut f: F, shards: usize, hint: &SizeHint) -> Sharded<K<I>, V<I>>
where
    I: Iterator,
    I::Item: Keyed,
    F: FnMut(V<I>, V<I>) -> V<I>,
{
    let shards = shards.max(1);
    let hasher = &hint.hasher;
    let mut items = 0;
    if shards > 1 && hint.keys_repeat_seldom() {
        // Each of about `shards` runs sends a `1/shards` part of its pairs to each shard.
        let capacity = hint.items() / shards / shards + 16;
        let mut lists: Vec<Vec<Hashed<K<I>, V<I>>>> =
            (0..shards).map(|_| Vec::with_capacity(capacity)).collect();
        for item in it {
            let (k, v) = item.into_key_value();
            items += 1;
            let h = hasher.hash_one(&k);
            if let Some(list) = lists.get_mut(shard_of(h, shards)) {
                list.push((h, k, v));
            }
        }
        let shards = lists
            .into_iter()
            .map(|list| Shard {
                map: hint.placeholder_map(),
                pending: vec![list],
            })
            .collect();
        return Sharded { shards, items };
    }
    // A run of a parallel batch sees part of the keys (each of `shards` runs, about two
    // thirds of them on text): sizing its shards for all would double every thread's
    // memory and its cache misses.
    let capacity = if shards == 1 {
        hint.keys()
    } else {
        hint.keys() * 2 / 3 / shards
    };
    let mut maps: Vec<AppendOnlyMap<K<I>, V<I>>> =
        (0..shards).map(|_| hint.map(capacity)).collect();
    if let [map] = &mut maps[..] {
        // One thread: the pairs straight into the map, each slot prefetched ahead.
        map.combine_all(
            it.map(|item| {
                items += 1;
                item.into_key_value()
            }),
            &mut f,
        );
    } else {
        for item in it {
            let (k, v) = item.into_key_value();
            items += 1;
            let h = hasher.hash_one(&k);
            if let Some(map) = maps.get_mut(shard_of(h, shards)) {
                map.combine_hashed(h, k, v, &mut f);
            }
        }
    }
    let shards = maps
        .into_iter()
        .map(|map| Shard {
            map,
            pending: Vec::new(),
        })
        .collect();
    Sharded { shards, items }
}

/// Merges run `b`'s partial into `a` (an earlier run's): pending pairs are queued behind
/// `a`'s, maps are merged, each shard on its own thread (when large enough).
pub fn merge_sharded<K, V, F>(a: &mut Sharded<K, V>, b: Sharded<K, V>, f: F)
where
    K: std::hash::Hash + Eq + Send,
    V: Send,
    F: Fn(V, V) -> V + Sync,
{
    a.items += b.items;
    let work: usize = b.shards.iter().map(|s| s.map.len()).sum();
    let threads = threads_for(work, a.shards.len());
    let pairs = a.shards.iter_mut().zip(b.shards).collect();
    on_threads(pairs, threads, |(x, y)| {
        x.pending.extend(y.pending);
        // One resize at most (many of `y`'s keys are new to `x`), not one per doubling.
        x.map.reserve(y.map.len());
        x.map.combine_all(y.map, &mut |a, b| f(a, b));
    });
}

/// Threads for work on `shards` shards holding `work` elements in all.
fn threads_for(work: usize, shards: usize) -> usize {
    if work < crate::par::MIN_ELEMENTS_PER_THREAD {
        1
    } else {
        shards
    }
}

/// Runs `work` on each of `items`, each on its own thread when `threads` > 1 (the first
/// on the calling thread); a panic is raised again on the calling thread.
fn on_threads<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    work: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    if threads <= 1 || items.len() <= 1 {
        return items.into_iter().map(work).collect();
    }
    let work = &work;
    std::thread::scope(|scope| {
        let mut rest = items.into_iter();
        let first = rest.next();
        let handles: Vec<_> = rest.map(|x| scope.spawn(move || work(x))).collect();
        let mut out = Vec::with_capacity(handles.len() + 1);
        out.extend(first.map(work));
        for h in handles {
            match h.join() {
                Ok(r) => out.push(r),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// Runs `then` on each shard after folding its pending pairs, the shards on their own
/// threads when there is enough to do; notes the batch's sizes in `hint` for the next.
fn settle<'a, K, V, F, R>(
    sharded: &'a mut Sharded<K, V>,
    f: &F,
    hint: &SizeHint,
    then: impl Fn(&'a AppendOnlyMap<K, V>) -> R + Sync,
    then_reads_all: bool,
) -> Vec<R>
where
    K: std::hash::Hash + Eq + Send + Sync,
    V: Send + Sync,
    F: Fn(V, V) -> V + Sync,
    R: Send,
{
    let shards = sharded.shards.len().max(1);
    let pending: usize = sharded.shards.iter().map(Shard::pending_len).sum();
    let keys: usize = sharded.shards.iter().map(|s| s.map.len()).sum();
    let threads = threads_for(
        if then_reads_all {
            pending + keys
        } else {
            pending
        },
        shards,
    );
    let capacity = hint.keys() / shards;
    let items = sharded.items;
    let out = on_threads(sharded.shards.iter_mut().collect(), threads, |s| {
        s.settle(f, capacity, hint);
        let s: &'a Shard<K, V> = s;
        (s.map.len(), then(&s.map))
    });
    hint.set(out.iter().map(|(keys, _)| keys).sum(), items);
    out.into_iter().map(|(_, r)| r).collect()
}

fn out_keys<K, V>(sharded: &Sharded<K, V>) -> usize {
    sharded.shards.iter().map(|s| s.map.len()).sum()
}

/// The batch's `(key, value)`s from all shards.
pub fn finish_sharded<K, V, F>(mut sharded: Sharded<K, V>, f: F, hint: &SizeHint) -> Vec<(K, V)>
where
    K: std::hash::Hash + Eq + Send + Sync,
    V: Send + Sync,
    F: Fn(V, V) -> V + Sync,
{
    settle(&mut sharded, &f, hint, |_| (), false);
    let mut out = Vec::with_capacity(out_keys(&sharded));
    for shard in sharded.shards {
        let (slots, entries) = shard.map.into_parts();
        out.extend(entries);
        hint.keep_slots(slots);
    }
    out
}

/// `reduce_by_key |> sort |> take(n)`: only the first `n` of the batch's `(key, value)`s in
/// `select`'s order, picked from references into each shard (on the shards' threads) and
/// copied; the same pairs, in the same order, as sorting all of them.
pub fn finish_selected<K, V, F, O>(
    mut sharded: Sharded<K, V>,
    f: F,
    hint: &SizeHint,
    select: &crate::order::Select<O>,
) -> Vec<(K, V)>
where
    K: std::hash::Hash + Eq + Send + Sync + Clone + PartialOrd,
    V: Send + Sync + Clone + PartialOrd,
    F: Fn(V, V) -> V + Sync,
    O: crate::order::PairOrder + Sync,
{
    // The first `n` of all are among the first `n` of each shard (the order is total and
    // a key lives in one shard).
    let firsts = settle(
        &mut sharded,
        &f,
        hint,
        |map| select.first_refs(map.iter().map(|(k, v)| (k, v.clone()))),
        true,
    );
    let first = select.pick(firsts.into_iter().flatten());
    for shard in sharded.shards {
        hint.keep_slots(shard.map.into_parts().0);
    }
    first
}

/// The sizes of a stage's last batch (distinct keys, pairs): the next batch's maps start at
/// that size instead of growing (and rehashing) from empty, and a parallel batch chooses
/// how to fold (see [`Sharded`]). It also keeps the last batch's map tables for the next
/// batch's maps (a table holds no keys, so it outlives the batch its keys borrowed from).
#[derive(Debug, Default)]
pub struct SizeHint {
    keys: std::sync::atomic::AtomicUsize,
    items: std::sync::atomic::AtomicUsize,
    spare_slots: std::sync::Mutex<Vec<Vec<u64>>>,
    /// The stage's hasher, its random keys chosen once: the runs of a batch agree on a
    /// key's shard, and a pair is hashed once, for its shard and its map's slot alike.
    hasher: ahash::RandomState,
}

impl SizeHint {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn keys(&self) -> usize {
        self.keys.load(std::sync::atomic::Ordering::Relaxed)
    }
    pub fn items(&self) -> usize {
        self.items.load(std::sync::atomic::Ordering::Relaxed)
    }
    pub fn set(&self, keys: usize, items: usize) {
        self.keys.store(keys, std::sync::atomic::Ordering::Relaxed);
        self.items
            .store(items, std::sync::atomic::Ordering::Relaxed);
    }
    /// A map for `keys` keys, on a spare table when there is one.
    fn map<K, V>(&self, keys: usize) -> AppendOnlyMap<K, V> {
        let spare = self
            .spare_slots
            .lock()
            .ok()
            .and_then(|mut spare| spare.pop());
        AppendOnlyMap::with_slots(keys, spare.unwrap_or_default(), self.hasher.clone())
    }

    /// An empty map without a table of its own yet (a shard whose pairs wait in lists:
    /// its settle takes a spare table sized for them), hashing as the stage does, as every
    /// map of the stage must for pairs hashed ahead to land in their slots.
    fn placeholder_map<K, V>(&self) -> AppendOnlyMap<K, V> {
        AppendOnlyMap::with_slots(0, Vec::new(), self.hasher.clone())
    }

    /// Keeps a finished map's table for the next batch.
    fn keep_slots(&self, slots: Vec<u64>) {
        if let Ok(mut spare) = self.spare_slots.lock() {
            spare.push(slots);
        }
    }

    /// Whether the last batch's keys came fewer than twice each on average (none seen yet:
    /// no).
    fn keys_repeat_seldom(&self) -> bool {
        let (keys, items) = (self.keys(), self.items());
        items > 0 && keys.saturating_mul(2) >= items
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::sort::{ByValue, Select};

    /// Runs folded into shards (either way: maps, or pending pairs when the last batch's
    /// keys repeated seldom) and merged give the plain fold's result, whatever the number
    /// of shards; the first `n` picked per shard equal the first `n` of the full sort.
    #[test]
    fn sharded_runs_merge_to_the_plain_result() {
        for distinct in [20_011u64, 50_000] {
            let items: Vec<(u64, i64)> = (0..60_000u64)
                .map(|i| ((i * 7919) % distinct, (i % 5) as i64))
                .collect();
            let mut plain: Vec<(u64, i64)> = finish(fold(items.iter().copied(), |a, b| a + b));
            plain.sort_unstable();
            let mut top = plain.clone();
            crate::ops::sort::by_value(&mut top, true, Some(10));
            for shards in 1..=4 {
                let hint = SizeHint::new();
                // The second batch is folded the way the first one's sizes choose.
                for batch in 0..2 {
                    let runs = || {
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
                        acc
                    };
                    let mut got = finish_sharded(runs(), |a, b| a + b, &hint);
                    got.sort_unstable();
                    assert_eq!(got, plain, "{shards} shards, batch {batch}");
                    assert_eq!((hint.keys(), hint.items()), (plain.len(), items.len()));
                    let select = Select::new(ByValue, true, 10);
                    let first = finish_selected(runs(), |a, b| a + b, &hint, &select);
                    assert_eq!(first, top, "{shards} shards, batch {batch}");
                }
                assert_eq!(
                    hint.keys_repeat_seldom(),
                    distinct * 2 >= items.len() as u64
                );
            }
        }
    }
}
