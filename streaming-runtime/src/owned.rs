//! Owned copies of elements, for `collect(handle)`.
//!
//! Elements flowing through a pipeline often borrow from the batch (`&str` words of a
//! line); a [`Collector`](crate::Collector) outlives the batch, so `collect` turns each
//! element into an owned value first: `&str` becomes `String`, `(&str, i64)` becomes
//! `(String, i64)`, and so on recursively through tuples, options and collections.
//!
//! Your own types: `streaming::into_owned_by_identity!(MyType)` for owned (`'static +
//! Send`) types; a reference `&MyType` is then collected by cloning if `MyType: Clone`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::Hash;
use std::rc::Rc;
use std::sync::Arc;

use crate::compact_buffer::CompactBuffer;
use crate::time::BatchTime;

/// An element that `collect` can store: converts itself into an owned, `Send + 'static`
/// value.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be turned into an owned value, which `collect`, windows and state keep of the elements",
    label = "elements of type `{Self}` are kept here",
    note = "strings, numbers, bools, chars, tuples, `Option`, `Vec`, maps, sets, `CompactBuffer` and references to them can be collected; map your elements to one of these first (e.g. `map |x| x.to_string()`)",
    note = "for your own `Send + 'static` type write `streaming::into_owned_by_identity!(YourType);` (and derive `Clone` to collect `&YourType`), or implement `streaming::IntoOwned` for it"
)]
pub trait IntoOwned {
    /// The owned form stored by a [`Collector`](crate::Collector).
    type Owned: Send + 'static;
    /// The owned copy of `self`.
    fn into_owned(self) -> Self::Owned;
}

/// Implements [`IntoOwned`] as the identity for owned (`Send + 'static`) types, so that
/// `collect` accepts them. A reference `&T` to such a type is then collected by cloning when
/// `T: Clone`.
///
/// Give it one or more concrete types defined in your crate (for a generic type, implement
/// [`IntoOwned`] by hand). The facade crate re-exports it as
/// `streaming::into_owned_by_identity!`.
///
/// ```
/// use streaming_runtime::IntoOwned;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Reading { sensor: u32, value: f64 }
///
/// streaming_runtime::into_owned_by_identity!(Reading);
///
/// let r = Reading { sensor: 1, value: 2.5 };
/// assert_eq!(("a", &r).into_owned(), ("a".to_string(), r.clone()));
/// ```
#[macro_export]
macro_rules! into_owned_by_identity {
    ($($t:ty),* $(,)?) => {
        $(
            impl $crate::owned::IntoOwned for $t {
                type Owned = $t;
                #[inline]
                fn into_owned(self) -> $t {
                    self
                }
            }
        )*
    };
}

into_owned_by_identity!(
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    f32,
    f64,
    bool,
    char,
    (),
    String,
    Box<str>,
    BatchTime,
    std::net::IpAddr,
    std::net::Ipv4Addr,
    std::net::Ipv6Addr,
    std::net::SocketAddr,
    std::time::Duration
);

impl IntoOwned for &str {
    type Owned = String;
    #[inline]
    fn into_owned(self) -> String {
        self.to_owned()
    }
}

impl IntoOwned for &mut str {
    type Owned = String;
    #[inline]
    fn into_owned(self) -> String {
        (*self).to_owned()
    }
}

impl IntoOwned for Cow<'_, str> {
    type Owned = String;
    #[inline]
    fn into_owned(self) -> String {
        Cow::into_owned(self)
    }
}

impl IntoOwned for Rc<str> {
    type Owned = String;
    #[inline]
    fn into_owned(self) -> String {
        String::from(&*self)
    }
}

/// Shared values stay shared (`Arc<str>` is collected as it is).
impl<T: ?Sized + Send + Sync + 'static> IntoOwned for Arc<T> {
    type Owned = Arc<T>;
    #[inline]
    fn into_owned(self) -> Arc<T> {
        self
    }
}

/// A reference is collected by cloning what it points to (`&String` becomes `String`,
/// `&(&str, i64)` becomes `(String, i64)`).
impl<T: IntoOwned + Clone> IntoOwned for &T {
    type Owned = T::Owned;
    #[inline]
    fn into_owned(self) -> T::Owned {
        T::clone(self).into_owned()
    }
}

impl<T: IntoOwned + Clone> IntoOwned for &mut T {
    type Owned = T::Owned;
    #[inline]
    fn into_owned(self) -> T::Owned {
        T::clone(self).into_owned()
    }
}

impl<T: IntoOwned + Clone> IntoOwned for &[T] {
    type Owned = Vec<T::Owned>;
    fn into_owned(self) -> Vec<T::Owned> {
        self.iter().cloned().map(IntoOwned::into_owned).collect()
    }
}

impl<T: IntoOwned> IntoOwned for Box<T> {
    type Owned = Box<T::Owned>;
    #[inline]
    fn into_owned(self) -> Box<T::Owned> {
        Box::new((*self).into_owned())
    }
}

impl<T: IntoOwned> IntoOwned for Option<T> {
    type Owned = Option<T::Owned>;
    #[inline]
    fn into_owned(self) -> Option<T::Owned> {
        self.map(IntoOwned::into_owned)
    }
}

impl<T: IntoOwned> IntoOwned for Vec<T> {
    type Owned = Vec<T::Owned>;
    fn into_owned(self) -> Vec<T::Owned> {
        self.into_iter().map(IntoOwned::into_owned).collect()
    }
}

impl<T: IntoOwned, const N: usize> IntoOwned for [T; N] {
    type Owned = [T::Owned; N];
    fn into_owned(self) -> [T::Owned; N] {
        self.map(IntoOwned::into_owned)
    }
}

impl<T: IntoOwned> IntoOwned for CompactBuffer<T> {
    type Owned = CompactBuffer<T::Owned>;
    fn into_owned(self) -> CompactBuffer<T::Owned> {
        self.into_iter().map(IntoOwned::into_owned).collect()
    }
}

impl<K, V, S> IntoOwned for HashMap<K, V, S>
where
    K: IntoOwned,
    K::Owned: Hash + Eq,
    V: IntoOwned,
{
    type Owned = HashMap<K::Owned, V::Owned>;
    fn into_owned(self) -> Self::Owned {
        self.into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

impl<K, V, S> IntoOwned for hashbrown::HashMap<K, V, S>
where
    K: IntoOwned,
    K::Owned: Hash + Eq,
    V: IntoOwned,
{
    type Owned = HashMap<K::Owned, V::Owned>;
    fn into_owned(self) -> Self::Owned {
        self.into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

impl<K, V> IntoOwned for BTreeMap<K, V>
where
    K: IntoOwned,
    K::Owned: Ord,
    V: IntoOwned,
{
    type Owned = BTreeMap<K::Owned, V::Owned>;
    fn into_owned(self) -> Self::Owned {
        self.into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

impl<T, S> IntoOwned for HashSet<T, S>
where
    T: IntoOwned,
    T::Owned: Hash + Eq,
{
    type Owned = HashSet<T::Owned>;
    fn into_owned(self) -> Self::Owned {
        self.into_iter().map(IntoOwned::into_owned).collect()
    }
}

impl<T> IntoOwned for BTreeSet<T>
where
    T: IntoOwned,
    T::Owned: Ord,
{
    type Owned = BTreeSet<T::Owned>;
    fn into_owned(self) -> Self::Owned {
        self.into_iter().map(IntoOwned::into_owned).collect()
    }
}

macro_rules! tuples {
    ($( ($($name:ident $idx:tt),+) )+) => {$(
        impl<$($name: IntoOwned),+> IntoOwned for ($($name,)+) {
            type Owned = ($($name::Owned,)+);
            #[inline]
            fn into_owned(self) -> Self::Owned {
                ($(self.$idx.into_owned(),)+)
            }
        }
    )+};
}

tuples! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
}

/// Owned copies of a run of a batch that read `input_len` elements: what `collect` hands
/// to a `Collector` and what a window keeps across batches.
#[inline]
pub fn collect_owned<I>(it: I, input_len: usize) -> Vec<<I::Item as IntoOwned>::Owned>
where
    I: Iterator,
    I::Item: IntoOwned,
{
    crate::run_vec::collect_run(it.map(IntoOwned::into_owned), input_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned<T: IntoOwned>(x: T) -> T::Owned {
        x.into_owned()
    }

    #[test]
    fn strings() {
        let s: String = owned("a");
        assert_eq!(s, "a");
        let text = String::from("b");
        let s: String = owned(&text);
        assert_eq!(s, "b");
        let s: String = owned(text.clone());
        assert_eq!(s, "b");
        let mut m = String::from("m");
        let s: String = owned(m.as_mut_str());
        assert_eq!(s, "m");
        let b: Box<str> = owned(Box::<str>::from("x"));
        assert_eq!(&*b, "x");
        let a: Arc<str> = owned(Arc::<str>::from("y"));
        assert_eq!(&*a, "y");
        let r: String = owned(Rc::<str>::from("z"));
        assert_eq!(r, "z");
        let c: String = owned(Cow::Borrowed("c"));
        assert_eq!(c, "c");
        let s: String = owned(&&"deep");
        assert_eq!(s, "deep");
    }

    #[test]
    fn plain_values() {
        assert_eq!(owned(1i64), 1);
        assert_eq!(owned(&7u8), 7);
        assert_eq!(owned(2.5f64), 2.5);
        assert!(owned(true));
        assert_eq!(owned('c'), 'c');
        owned(());
        assert_eq!(owned(BatchTime::from_millis(5)), BatchTime::from_millis(5));
    }

    #[test]
    fn tuples_recursively() {
        let line = String::from("to be");
        let words: Vec<&str> = line.split(' ').collect();
        let pairs: Vec<(String, i64)> = words.iter().map(|w| owned((*w, 1i64))).collect();
        assert_eq!(pairs, vec![("to".to_string(), 1), ("be".to_string(), 1)]);
        let t: (String,) = owned(("a",));
        assert_eq!(t.0, "a");
        let t = owned(("a", 1u8, 'c', true, 2.0f32, (), &"g", Some("h")));
        assert_eq!(
            t,
            (
                "a".to_string(),
                1,
                'c',
                true,
                2.0,
                (),
                "g".to_string(),
                Some("h".to_string())
            )
        );
        let nested = owned((("k", 1), &("v", 2)));
        assert_eq!(nested, (("k".to_string(), 1), ("v".to_string(), 2)));
    }

    #[test]
    fn options_and_collections() {
        assert_eq!(owned(Some("x")), Some("x".to_string()));
        assert_eq!(owned(None::<&str>), None);
        assert_eq!(
            owned(vec!["a", "b"]),
            vec!["a".to_string(), "b".to_string()]
        );
        assert_eq!(
            owned(&["a", "b"][..]),
            vec!["a".to_string(), "b".to_string()]
        );
        assert_eq!(owned(["a"]), ["a".to_string()]);
        assert_eq!(
            owned(("k", CompactBuffer::from(["v1", "v2"]))),
            (
                "k".to_string(),
                CompactBuffer::from(["v1".to_string(), "v2".to_string()])
            )
        );
        let cb = CompactBuffer::from([1, 2]);
        assert_eq!(owned(&cb), cb);
        let mut m = BTreeMap::new();
        m.insert("a", 1);
        let o: BTreeMap<String, i32> = owned(m);
        assert_eq!(o.get("a"), Some(&1));
        let mut h = hashbrown::HashMap::<_, _, ahash::RandomState>::default();
        h.insert("x", vec!["y"]);
        let o: HashMap<String, Vec<String>> = owned(h);
        assert_eq!(o["x"], vec!["y".to_string()]);
        let s: BTreeSet<String> = owned(["b", "a"].into_iter().collect::<BTreeSet<_>>());
        assert_eq!(s.into_iter().collect::<Vec<_>>(), vec!["a", "b"]);
        let b: Box<String> = owned(Box::new("q"));
        assert_eq!(*b, "q");
    }

    #[derive(Clone, Debug, PartialEq)]
    struct Reading {
        sensor: u32,
    }

    #[derive(Debug, PartialEq)]
    struct Opaque(u8);

    crate::into_owned_by_identity!(Reading, Opaque,);

    #[test]
    fn user_types() {
        let r = Reading { sensor: 3 };
        assert_eq!(owned(&r), r);
        assert_eq!(owned(("s", r.clone())), ("s".to_string(), r));
        assert_eq!(owned(Opaque(1)), Opaque(1));
    }

    fn assert_send_static<T: Send + 'static>(_: &T) {}

    #[test]
    fn owned_values_are_send_and_static() {
        let line = String::from("a b");
        let v = owned((line.as_str(), vec![Some(&line)]));
        assert_send_static(&v);
    }
}
