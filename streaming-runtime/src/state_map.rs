//! [`StateMap`]: a keyed store kept across batches (the state of `update_state_by_key`,
//! `map_with_state` and keyed windows), named after Spark's `StateMap`, and laid out so that
//! restoring a large one from a checkpoint is fast.
//!
//! Restoring a million keys used to cost about four times what reading and decoding them
//! does: each insert landed at a random place in a table far larger than the CPU caches,
//! and each key's allocation came in random order, so dropping the map later was as slow.
//! A `StateMap` therefore remembers the seeds of its hasher and writes them into the
//! checkpoint with the entries *in table order*. Restoring rebuilds the table with the same
//! seeds, so the entries arrive in the order of their slots: every insert writes just after
//! the previous one, front to back through memory. Decoding (the parse and each key's
//! allocation) runs on a second thread, a chunk ahead of the inserts.
//!
//! Correctness never depends on the order: a checkpoint written on a machine whose hasher
//! differs (ahash without AES instructions, another ahash version) restores the same
//! entries, only at the speed of random inserts.
//!
//! In the checkpoint a `StateMap` is the tuple `(seeds: [u64; 4], len: u64, entries: bytes)`,
//! where `entries` is every `(key, value)` in postcard, one after another.

use std::hash::Hash;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use serde::de::{self, DeserializeOwned, DeserializeSeed, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::keyed::KeyedMap;

/// A [`KeyedMap`] that knows its hasher's seeds, so that it checkpoints in an order that
/// restores fast (see the module's documentation). It dereferences to the map.
pub struct StateMap<K, V> {
    seeds: [u64; 4],
    map: KeyedMap<K, V>,
}

/// Below this many entries a restore decodes on the calling thread: a second thread only
/// pays off for large stores.
const DECODE_ON_A_THREAD_FROM: usize = 1 << 14;
/// Entries per hand-over from the decoding thread to the inserting one.
const CHUNK: usize = 4096;
/// A restore of a store this large or larger logs its progress every this many entries.
const PROGRESS_EVERY: usize = 1 << 23;
/// The most entries a restore allocates before it has read them (the length is trusted only
/// up to this, since the checkpoint's CRC guards against damage, not against a bug).
const MAX_PRESIZED: usize = 1 << 26;

impl<K, V> StateMap<K, V> {
    /// An empty store with fresh random seeds (as `ahash::RandomState::new()` has: keys from
    /// the network cannot be chosen to collide).
    pub fn new() -> Self {
        Self::with_seeds(random_seeds(), 0)
    }

    /// An empty store with room for `capacity` entries and this store's seeds: a store
    /// rebuilt from this one (as `update_state_by_key` does each batch) keeps the layout
    /// that restores fast.
    pub fn empty_like(&self, capacity: usize) -> Self {
        Self::with_seeds(self.seeds, capacity)
    }

    fn with_seeds(seeds: [u64; 4], capacity: usize) -> Self {
        let [a, b, c, d] = seeds;
        StateMap {
            seeds,
            map: KeyedMap::with_capacity_and_hasher(
                capacity,
                ahash::RandomState::with_seeds(a, b, c, d),
            ),
        }
    }
}

fn random_seeds() -> [u64; 4] {
    let random = ahash::RandomState::new();
    std::array::from_fn(|i| random.hash_one(i))
}

impl<K, V> Default for StateMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> Deref for StateMap<K, V> {
    type Target = KeyedMap<K, V>;
    fn deref(&self) -> &KeyedMap<K, V> {
        &self.map
    }
}

impl<K, V> DerefMut for StateMap<K, V> {
    fn deref_mut(&mut self) -> &mut KeyedMap<K, V> {
        &mut self.map
    }
}

impl<K: Hash + Eq, V> FromIterator<(K, V)> for StateMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut store = Self::new();
        store.map.extend(iter);
        store
    }
}

impl<K, V> IntoIterator for StateMap<K, V> {
    type Item = (K, V);
    type IntoIter = hashbrown::hash_map::IntoIter<K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a StateMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = hashbrown::hash_map::Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

impl<K: Clone, V: Clone> Clone for StateMap<K, V> {
    fn clone(&self) -> Self {
        StateMap {
            seeds: self.seeds,
            map: self.map.clone(),
        }
    }
}

impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for StateMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.map.fmt(f)
    }
}

impl<K: Serialize, V: Serialize> Serialize for StateMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The entries in table order (`iter` walks the slots front to back).
        let mut entries = Vec::new();
        for entry in self.map.iter() {
            postcard::serialize_with_flavor(&entry, Append(&mut entries))
                .map_err(serde::ser::Error::custom)?;
        }
        let mut t = serializer.serialize_tuple(3)?;
        t.serialize_element(&self.seeds)?;
        t.serialize_element(&(self.map.len() as u64))?;
        t.serialize_element(&Bytes(&entries))?;
        t.end()
    }
}

/// A postcard output that appends to a `Vec` a slice at a time (`postcard::to_extend` goes
/// through `Extend<u8>`, which made writing a large store a quarter slower).
struct Append<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Append<'_> {
    type Output = ();

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Serialised as bytes (one length and the bytes), not as a sequence of `u8`s.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

impl<'de, K, V> Deserialize<'de> for StateMap<K, V>
where
    K: DeserializeOwned + Hash + Eq + Send,
    V: DeserializeOwned + Send,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_tuple(3, StateMapVisitor(PhantomData))
    }
}

struct StateMapVisitor<K, V>(PhantomData<(K, V)>);

impl<'de, K, V> Visitor<'de> for StateMapVisitor<K, V>
where
    K: DeserializeOwned + Hash + Eq + Send,
    V: DeserializeOwned + Send,
{
    type Value = StateMap<K, V>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a state map: seeds, length and entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let seeds: [u64; 4] = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let len: u64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        let len = usize::try_from(len).map_err(de::Error::custom)?;
        seq.next_element_seed(Entries {
            seeds,
            len,
            kv: PhantomData,
        })?
        .ok_or_else(|| de::Error::invalid_length(2, &self))
    }
}

/// Decodes the entries' bytes straight into the table (no copy of the bytes when the
/// format lends them, as postcard reading a slice does).
struct Entries<K, V> {
    seeds: [u64; 4],
    len: usize,
    kv: PhantomData<(K, V)>,
}

impl<'de, K, V> DeserializeSeed<'de> for Entries<K, V>
where
    K: DeserializeOwned + Hash + Eq + Send,
    V: DeserializeOwned + Send,
{
    type Value = StateMap<K, V>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_bytes(self)
    }
}

impl<'de, K, V> Visitor<'de> for Entries<K, V>
where
    K: DeserializeOwned + Hash + Eq + Send,
    V: DeserializeOwned + Send,
{
    type Value = StateMap<K, V>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the entries of a state map, as bytes")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Self::Value, E> {
        restore(bytes, self.seeds, self.len).map_err(E::custom)
    }

    /// Formats without a bytes type (JSON) write bytes as a sequence of numbers.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
        while let Some(b) = seq.next_element::<u8>()? {
            bytes.push(b);
        }
        self.visit_bytes(&bytes)
    }
}

/// Rebuilds a store from its checkpointed entries: `len` entries in `bytes`, nothing after.
fn restore<K, V>(bytes: &[u8], seeds: [u64; 4], len: usize) -> Result<StateMap<K, V>, String>
where
    K: DeserializeOwned + Hash + Eq + Send,
    V: DeserializeOwned + Send,
{
    // Every entry takes at least a byte (a map with a zero-sized key holds one at most), so
    // a length the bytes cannot hold does not get its table allocated.
    let capacity = len.min(MAX_PRESIZED).min(bytes.len().max(1));
    let mut store = StateMap::with_seeds(seeds, capacity);
    let mut insert = |chunk: Vec<(K, V)>| {
        let before = store.map.len();
        store.map.extend(chunk);
        // Long restores show how far they are (a million keys take about 0.1 s).
        if len >= PROGRESS_EVERY && store.map.len() / PROGRESS_EVERY > before / PROGRESS_EVERY {
            tracing::info!(
                restored = store.map.len(),
                of = len,
                "restoring keyed state"
            );
        }
    };
    let threaded = len >= DECODE_ON_A_THREAD_FROM && decode_beside(bytes, len, &mut insert)?;
    if !threaded {
        decode(bytes, len, |chunk| {
            insert(chunk);
            true
        })?;
    }
    if store.map.len() != len {
        return Err(format!(
            "a state map holds {} distinct keys, its checkpoint says {len}",
            store.map.len()
        ));
    }
    Ok(store)
}

/// Decodes on a second thread while this one inserts: the two halves of the work cost
/// about the same, so the restore takes about as long as the slower one. `Ok(false)`: no
/// thread to be had, nothing done.
fn decode_beside<K, V>(
    bytes: &[u8],
    len: usize,
    insert: &mut impl FnMut(Vec<(K, V)>),
) -> Result<bool, String>
where
    K: DeserializeOwned + Send,
    V: DeserializeOwned + Send,
{
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(K, V)>>(4);
        let Ok(decoder) = std::thread::Builder::new()
            .name("checkpoint-decode".into())
            .spawn_scoped(scope, move || {
                decode(bytes, len, |chunk| tx.send(chunk).is_ok())
            })
        else {
            return Ok(false);
        };
        for chunk in rx {
            insert(chunk);
        }
        decoder
            .join()
            .map_err(|_| "the decoding thread panicked".to_string())??;
        Ok(true)
    })
}

/// Decodes `len` entries from `bytes` and hands them to `sink` in chunks of [`CHUNK`];
/// stops early when `sink` returns false (the receiver gave up).
fn decode<K, V>(
    mut bytes: &[u8],
    len: usize,
    mut sink: impl FnMut(Vec<(K, V)>) -> bool,
) -> Result<(), String>
where
    K: DeserializeOwned,
    V: DeserializeOwned,
{
    let mut left = len;
    while left > 0 {
        let n = left.min(CHUNK);
        let mut chunk = Vec::with_capacity(n);
        for _ in 0..n {
            let (entry, rest) = postcard::take_from_bytes::<(K, V)>(bytes)
                .map_err(|e| format!("entry {} of a state map: {e}", len - left + chunk.len()))?;
            chunk.push(entry);
            bytes = rest;
        }
        left -= n;
        if !sink(chunk) {
            return Ok(());
        }
    }
    if !bytes.is_empty() {
        return Err(format!(
            "{} bytes after the {len} entries of a state map",
            bytes.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip<K, V>(store: &StateMap<K, V>) -> StateMap<K, V>
    where
        K: Serialize + DeserializeOwned + Hash + Eq + Send,
        V: Serialize + DeserializeOwned + Send,
    {
        let bytes = postcard::to_stdvec(store).unwrap_or_else(|e| panic!("{e}"));
        postcard::from_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn small_and_large_stores_restore_every_entry_and_their_seeds() {
        for n in [0usize, 1, 100, DECODE_ON_A_THREAD_FROM + 4 * CHUNK + 7] {
            let store: StateMap<String, i64> =
                (0..n).map(|i| (format!("key-{i}"), i as i64)).collect();
            let back = roundtrip(&store);
            assert_eq!(back.len(), n);
            assert_eq!(back.seeds, store.seeds);
            for (k, v) in store.iter() {
                assert_eq!(back.get(k), Some(v), "{k}");
            }
        }
    }

    #[test]
    fn a_store_rebuilt_with_empty_like_keeps_its_seeds() {
        let store: StateMap<u32, u32> = (0..10).map(|i| (i, i)).collect();
        let mut next = store.empty_like(20);
        next.extend(store.iter().map(|(k, v)| (*k, *v)));
        assert_eq!(next.seeds, store.seeds);
        assert_eq!(roundtrip(&next).len(), 10);
    }

    #[test]
    fn damaged_entries_are_errors_not_panics() {
        let n = DECODE_ON_A_THREAD_FROM + 10;
        let store: StateMap<String, i64> = (0..n).map(|i| (format!("k{i}"), 1)).collect();
        let bytes = postcard::to_stdvec(&store).unwrap_or_else(|e| panic!("{e}"));
        // Cut short: the last entries are missing.
        let cut = &bytes[..bytes.len() - 50];
        assert!(postcard::from_bytes::<StateMap<String, i64>>(cut).is_err());
        // A length that claims more entries than there are (the length is the varint after
        // the 4 seeds, each a varint of up to 10 bytes: rewrite it through a re-encode).
        let (seeds, len, entries): ([u64; 4], u64, serde_bytes_like::Buf) =
            postcard::from_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(len, n as u64);
        // (A length far beyond what the bytes hold must not get its table allocated.)
        for wrong in [len + 1, len - 1, 0, 1 << 40] {
            let bad = postcard::to_stdvec(&(seeds, wrong, Bytes(&entries.0)))
                .unwrap_or_else(|e| panic!("{e}"));
            let err = postcard::from_bytes::<StateMap<String, i64>>(&bad);
            assert!(err.is_err(), "len {wrong} accepted");
        }
        // Duplicate keys: two entries for one key.
        let mut dup = Vec::new();
        for _ in 0..2 {
            postcard::serialize_with_flavor(&("same".to_string(), 1i64), Append(&mut dup))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let bad =
            postcard::to_stdvec(&(seeds, 2u64, Bytes(&dup))).unwrap_or_else(|e| panic!("{e}"));
        assert!(postcard::from_bytes::<StateMap<String, i64>>(&bad).is_err());
    }

    /// Reads the entries back as plain bytes, for tests that rewrite the length.
    mod serde_bytes_like {
        pub struct Buf(pub Vec<u8>);
        impl<'de> serde::Deserialize<'de> for Buf {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = Buf;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("bytes")
                    }
                    fn visit_bytes<E>(self, v: &[u8]) -> Result<Buf, E> {
                        Ok(Buf(v.to_vec()))
                    }
                }
                d.deserialize_bytes(V)
            }
        }
    }
}
