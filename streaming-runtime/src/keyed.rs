//! Keys: how elements become `(key, value)` pairs for keyed operators.
//!
//! A stream of pairs is keyed as it is. A stream of bare elements (a word, a URL, a number)
//! given to a keyed reduction counts them: each element `x` acts as `(x, 1)`, which is why
//! `filter starts_with("#") |> reduce_by_key(+)` counts hashtags.

use std::hash::Hash;

/// The hash map keyed operators aggregate into.
pub type KeyedMap<K, V> = hashbrown::HashMap<K, V, ahash::RandomState>;

/// An element a keyed reduction can take: a `(key, value)` pair, or a bare key counted as 1.
#[diagnostic::on_unimplemented(
    message = "keyed operators take `(key, value)` pairs or bare keys to count; `{Self}` is neither",
    label = "elements of this type reach a keyed operator",
    note = "map the elements to pairs first, e.g. `map |x| (x.key, 1)`"
)]
pub trait Keyed {
    type Key: Hash + Eq;
    type Value;
    fn into_key_value(self) -> (Self::Key, Self::Value);
}

impl<K: Hash + Eq, V> Keyed for (K, V) {
    type Key = K;
    type Value = V;
    #[inline]
    fn into_key_value(self) -> (K, V) {
        self
    }
}

macro_rules! bare_keys {
    ($($t:ty),* $(,)?) => {$(
        impl Keyed for $t {
            type Key = $t;
            type Value = i64;
            #[inline]
            fn into_key_value(self) -> ($t, i64) {
                (self, 1)
            }
        }
    )*};
}

bare_keys!(String, Box<str>, std::sync::Arc<str>, char, bool);
bare_keys!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl<'a> Keyed for &'a str {
    type Key = &'a str;
    type Value = i64;
    #[inline]
    fn into_key_value(self) -> (&'a str, i64) {
        (self, 1)
    }
}

impl<'a> Keyed for &'a String {
    type Key = &'a str;
    type Value = i64;
    #[inline]
    fn into_key_value(self) -> (&'a str, i64) {
        (self.as_str(), 1)
    }
}

/// A `(key, value)` pair, for operators that only make sense on pairs (`map_values`,
/// `sort`, joins).
#[diagnostic::on_unimplemented(
    message = "this operator works on `(key, value)` pairs; `{Self}` is not a pair",
    label = "elements of this type reach an operator on pairs",
    note = "map the elements to pairs first, e.g. `map |x| (x, 1)`, or use `sort_by |x| ...` to sort other elements"
)]
pub trait Pair {
    type Key;
    type Value;
    fn into_pair(self) -> (Self::Key, Self::Value);
    fn key(&self) -> &Self::Key;
    fn value(&self) -> &Self::Value;
}

impl<K, V> Pair for (K, V) {
    type Key = K;
    type Value = V;
    #[inline]
    fn into_pair(self) -> (K, V) {
        self
    }
    #[inline]
    fn key(&self) -> &K {
        &self.0
    }
    #[inline]
    fn value(&self) -> &V {
        &self.1
    }
}

/// `#[serde(deserialize_with = "crate::keyed::presized")]` for a store's [`KeyedMap`]: the
/// map is allocated at the size the checkpoint says, once, instead of growing (and
/// rehashing every key) from serde's cautious 1 MiB guess. The checkpoint's length is
/// trusted up to a bound (its CRC was checked), so a damaged length cannot ask for more
/// than `MAX_PRESIZED` entries up front.
pub fn presized<'de, D, K, V>(deserializer: D) -> Result<KeyedMap<K, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: serde::Deserialize<'de> + Hash + Eq,
    V: serde::Deserialize<'de>,
{
    struct Presized<K, V>(std::marker::PhantomData<(K, V)>);

    impl<'de, K, V> serde::de::Visitor<'de> for Presized<K, V>
    where
        K: serde::Deserialize<'de> + Hash + Eq,
        V: serde::Deserialize<'de>,
    {
        type Value = KeyedMap<K, V>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut access: A,
        ) -> Result<Self::Value, A::Error> {
            let len = access.size_hint().unwrap_or(0).min(MAX_PRESIZED);
            let mut map = KeyedMap::with_capacity_and_hasher(len, ahash::RandomState::new());
            while let Some((k, v)) = access.next_entry()? {
                map.insert(k, v);
            }
            Ok(map)
        }
    }

    deserializer.deserialize_map(Presized(std::marker::PhantomData))
}

/// The most entries [`presized`] allocates before it has read them.
const MAX_PRESIZED: usize = 1 << 26;
