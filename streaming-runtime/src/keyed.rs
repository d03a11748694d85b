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
    /// What the operator groups by.
    type Key: Hash + Eq;
    /// What it aggregates per key (the count, `i64`, for a bare key).
    type Value;
    /// The element as a `(key, value)` pair.
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

/// Finds a batch key in a keyed map whose keys may be owned versions of it (a `&str` word in a
/// `String`-keyed table) without allocating.
pub trait KeyLookup<TK> {
    fn find<'m, W>(&self, index: &'m KeyedMap<TK, W>) -> Option<&'m W>;
    /// The stored key and its value, for updating in place.
    fn find_mut<'m, W>(&self, index: &'m mut KeyedMap<TK, W>) -> Option<(&'m TK, &'m mut W)>;
    /// Whether this is the stored key `stored` (a run of one key then needs one look-up).
    fn is(&self, stored: &TK) -> bool;
}

impl<K: Hash + Eq> KeyLookup<K> for K {
    #[inline]
    fn find<'m, W>(&self, index: &'m KeyedMap<K, W>) -> Option<&'m W> {
        index.get(self)
    }
    #[inline]
    fn find_mut<'m, W>(&self, index: &'m mut KeyedMap<K, W>) -> Option<(&'m K, &'m mut W)> {
        index.get_key_value_mut(self)
    }
    #[inline]
    fn is(&self, stored: &K) -> bool {
        self == stored
    }
}

impl KeyLookup<String> for &str {
    #[inline]
    fn find<'m, W>(&self, index: &'m KeyedMap<String, W>) -> Option<&'m W> {
        index.get(*self)
    }
    #[inline]
    fn find_mut<'m, W>(
        &self,
        index: &'m mut KeyedMap<String, W>,
    ) -> Option<(&'m String, &'m mut W)> {
        index.get_key_value_mut(*self)
    }
    #[inline]
    fn is(&self, stored: &String) -> bool {
        *self == stored
    }
}

impl KeyLookup<String> for &String {
    #[inline]
    fn find<'m, W>(&self, index: &'m KeyedMap<String, W>) -> Option<&'m W> {
        index.get(self.as_str())
    }
    #[inline]
    fn find_mut<'m, W>(
        &self,
        index: &'m mut KeyedMap<String, W>,
    ) -> Option<(&'m String, &'m mut W)> {
        index.get_key_value_mut(self.as_str())
    }
    #[inline]
    fn is(&self, stored: &String) -> bool {
        *self == stored
    }
}
