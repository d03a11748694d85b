//! [`AppendOnlyMap`]: the map a batch's `reduce_by_key` combines into, named after Spark's
//! own (`org.apache.spark.util.collection.AppendOnlyMap`, what `combineByKey` aggregates
//! into): keys are added and their values combined, never removed.
//!
//! Why not the general [`crate::keyed::KeyedMap`]: a batch's keys are many and most are new
//! (the tweets' hashtags: 116,602 pairs, 63,678 keys), so the map is larger than a core's
//! cache and nearly every pair's lookup misses it. One after another, those misses were
//! most of the hashtag job's time. Here a pair's hash is computed, and its slot prefetched,
//! [`AHEAD`] pairs before it is combined, so that several lookups wait on memory at once;
//! and the table a lookup probes holds 8-byte slots (a tag and an index into the entries,
//! as Python's compact dict and the `indexmap` crate do), a third of a slot holding the pair
//! itself, so more of it stays in cache. The entries are a dense vector in the order keys
//! first came. Pairs are combined in the order they come, so `f` need not commute.
//!
//! Hashing is `ahash` with per-map random keys, as for `KeyedMap`: keys come from the
//! network, and a hasher whose seeds an attacker knows would let them collide.

use std::hash::Hash;

/// How many pairs ahead of the one combined a pair's slot is prefetched: enough misses in
/// flight to cover memory's latency, few enough that the slots are still in cache.
const AHEAD: usize = 8;

/// A map that combines values per key, in the order pairs come; see the module's docs.
#[derive(Clone, Debug)]
pub struct AppendOnlyMap<K, V> {
    /// Open addressing with linear probing, at most half full. A slot is 0 when free,
    /// else the hash's high 32 bits (a tag that turns away most other keys without
    /// reading their entry) above the entry's index plus one.
    slots: Vec<u64>,
    entries: Vec<(K, V)>,
    hasher: ahash::RandomState,
}

impl<K, V> Default for AppendOnlyMap<K, V> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<K, V> AppendOnlyMap<K, V> {
    /// An empty map that takes `keys` keys before it grows.
    pub fn with_capacity(keys: usize) -> Self {
        AppendOnlyMap {
            slots: vec![0; slots_for(keys)],
            entries: Vec::with_capacity(keys),
            hasher: ahash::RandomState::new(),
        }
    }

    /// An empty map that takes `keys` keys before it grows, its table in `slots` (a spare
    /// one from an earlier map, [`into_parts`](Self::into_parts): a batch's table is large,
    /// and one allocated anew each batch costs the kernel's fresh zeroed pages each time),
    /// hashing with `hasher` (shared with whoever hashes keys for [`combine_hashed`]
    /// (Self::combine_hashed)).
    pub fn with_slots(keys: usize, mut slots: Vec<u64>, hasher: ahash::RandomState) -> Self {
        slots.clear();
        slots.resize(slots_for(keys), 0);
        AppendOnlyMap {
            slots,
            entries: Vec::with_capacity(keys),
            hasher,
        }
    }

    /// The table, for another map's [`with_slots`](Self::with_slots), and the entries in
    /// the order keys first came.
    pub fn into_parts(self) -> (Vec<u64>, Vec<(K, V)>) {
        (self.slots, self.entries)
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `(key, value)`s, in the order keys first came.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// Asks the cache for the slot a key with hash `h` is looked up at first.
    #[inline(always)]
    fn prefetch(&self, h: u64) {
        let i = h as usize & self.mask();
        #[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
        if let Some(slot) = self.slots.get(i) {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            // SAFETY: SSE is enabled for this build; a prefetch reads nothing the program
            // sees, and the address is a slot of the table.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(slot).cast()) };
        }
        #[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
        let _ = i;
    }
}

/// The slots for `keys` keys: a power of two, at most half full.
fn slots_for(keys: usize) -> usize {
    keys.saturating_mul(2).next_power_of_two().max(16)
}

/// A slot's tag: the hash's high 32 bits.
#[inline(always)]
fn tag(h: u64) -> u64 {
    h >> 32
}

impl<K: Hash + Eq, V> AppendOnlyMap<K, V> {
    /// Makes room for `more` keys beyond those held without growing.
    pub fn reserve(&mut self, more: usize) {
        let want = slots_for(self.entries.len().saturating_add(more));
        if want > self.slots.len() {
            self.rehash(want);
        }
        self.entries.reserve(more);
    }

    /// Combines `(k, v)` into the map: `v` for a new key, else `f(value held, v)`.
    #[inline]
    pub fn combine(&mut self, k: K, v: V, f: &mut impl FnMut(V, V) -> V) {
        let h = self.hasher.hash_one(&k);
        self.combine_hashed(h, k, v, f);
    }

    /// [`combine`](Self::combine) for each pair, in order; each pair's slot is prefetched
    /// [`AHEAD`] pairs before the pair is combined.
    #[inline]
    pub fn combine_all(
        &mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
        f: &mut impl FnMut(V, V) -> V,
    ) {
        let hasher = self.hasher.clone();
        let hashed = pairs.into_iter().map(|(k, v)| (hasher.hash_one(&k), k, v));
        self.combine_all_hashed(hashed, f);
    }

    /// [`combine_all`](Self::combine_all) for pairs hashed already, with this map's hasher.
    #[inline]
    pub fn combine_all_hashed(
        &mut self,
        pairs: impl IntoIterator<Item = (u64, K, V)>,
        f: &mut impl FnMut(V, V) -> V,
    ) {
        let mut waiting: [Option<(u64, K, V)>; AHEAD] = std::array::from_fn(|_| None);
        let mut n = 0usize;
        for (h, k, v) in pairs {
            self.prefetch(h);
            // The pair that came `AHEAD` before this one waits in this place.
            if let Some((h, k, v)) = waiting[n % AHEAD].replace((h, k, v)) {
                self.combine_hashed(h, k, v, f);
            }
            n += 1;
        }
        // The last few, in the order they came.
        for i in n..n + AHEAD {
            if let Some((h, k, v)) = waiting[i % AHEAD].take() {
                self.combine_hashed(h, k, v, f);
            }
        }
    }

    /// [`combine`](Self::combine) for a pair hashed already, `h`, with this map's hasher.
    #[inline(always)]
    pub fn combine_hashed(&mut self, h: u64, k: K, v: V, f: &mut impl FnMut(V, V) -> V) {
        let mask = self.mask();
        let mut i = h as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                break;
            }
            if slot >> 32 == tag(h) {
                let at = (slot as u32 - 1) as usize;
                if self.entries[at].0 == k {
                    combine_at(&mut self.entries, at, v, f);
                    return;
                }
            }
            i = (i + 1) & mask;
        }
        // A new key: into the free slot found, unless the table would be over half full.
        if (self.entries.len() + 1) * 2 > self.slots.len() {
            self.rehash(self.slots.len() * 2);
            return self.combine_hashed(h, k, v, f);
        }
        self.slots[i] = tag(h) << 32 | entry_number(self.entries.len());
        self.entries.push((k, v));
    }

    /// Rebuilds the slots at `len` (a power of two) from the entries.
    #[cold]
    fn rehash(&mut self, len: usize) {
        self.slots = vec![0; len];
        let mask = len - 1;
        for (at, (k, _)) in self.entries.iter().enumerate() {
            let h = self.hasher.hash_one(k);
            let mut i = h as usize & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = tag(h) << 32 | entry_number(at);
        }
    }
}

/// What a slot holds for entry `at`: its index plus one (0 is a free slot).
fn entry_number(at: usize) -> u64 {
    assert!(
        at < u32::MAX as usize,
        "more than 4 billion keys in one map"
    );
    at as u64 + 1
}

/// `entries[at].1 = f(entries[at].1, v)`, in place: `f` takes the value it combines by value
/// (a `String` concatenated is not copied), and `V` need not have a default to leave behind.
#[inline(always)]
fn combine_at<K, V>(entries: &mut Vec<(K, V)>, at: usize, v: V, f: &mut impl FnMut(V, V) -> V) {
    let len = entries.len();
    assert!(at < len);
    // SAFETY: `at < len`, so the entry is initialised. While `f` runs the vector's length is
    // `at`: if `f` panics, the entries from `at` on (the one whose value was moved out among
    // them) are leaked, never dropped twice; and `f` cannot reach the vector, borrowed here.
    // Once `f` returns, the value is written back before the length is restored.
    unsafe {
        entries.set_len(at);
        let value = &raw mut (*entries.as_mut_ptr().add(at)).1;
        let combined = f(value.read(), v);
        value.write(combined);
        entries.set_len(len);
    }
}

impl<K, V> IntoIterator for AppendOnlyMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    /// The `(key, value)`s, in the order keys first came.
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a plain fold into `std`'s map, with an `f` that does not commute (so the
    /// order pairs are combined in shows) and values that own memory, through growth from
    /// empty and from a reserved size.
    #[test]
    fn combines_as_a_fold_in_order() {
        for (keys, pairs) in [
            (1usize, 5usize),
            (10, 100),
            (3_000, 5_000),
            (40_000, 60_000),
        ] {
            let input: Vec<(u64, String)> = (0..pairs)
                .map(|i| (((i * 7919) % keys) as u64, format!("{}", i % 10)))
                .collect();
            let mut want: std::collections::HashMap<u64, String> = Default::default();
            for (k, v) in input.iter().cloned() {
                match want.remove(&k) {
                    Some(old) => want.insert(k, old + &v),
                    None => want.insert(k, v),
                };
            }
            for reserved in [0, keys] {
                for all in [true, false] {
                    let mut map = AppendOnlyMap::with_capacity(reserved);
                    let mut f = |a: String, b: String| a + &b;
                    if all {
                        map.combine_all(input.iter().cloned(), &mut f);
                    } else {
                        for (k, v) in input.iter().cloned() {
                            map.combine(k, v, &mut f);
                        }
                    }
                    assert_eq!(map.len(), want.len());
                    let got: std::collections::HashMap<u64, String> = map.into_iter().collect();
                    assert_eq!(got, want, "{keys} keys, {pairs} pairs, reserved {reserved}");
                }
            }
        }
    }

    #[test]
    fn keys_come_out_in_the_order_they_first_came() {
        let mut map = AppendOnlyMap::default();
        for k in ["b", "a", "b", "c", "a"] {
            map.combine(k, 1, &mut |a, b| a + b);
        }
        assert_eq!(
            map.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(),
            [("b", 2), ("a", 2), ("c", 1)]
        );
    }

    /// A panicking `f` leaves nothing dropped twice (Miri would say; here the test checks
    /// that the map can be dropped after the panic).
    #[test]
    fn a_panic_in_f_leaks_rather_than_drops_twice() {
        let mut map = AppendOnlyMap::default();
        map.combine("k", String::from("v"), &mut |a, b| a + &b);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            map.combine("k", String::from("w"), &mut |_, _| panic!("user's f"));
        }));
        assert!(caught.is_err());
        drop(map);
    }
}
