//! SQL values as the generated code computes them: every expression is an `Option<V>`
//! (`None` is SQL's NULL) of one of a few value types, read from a record's fields by
//! [`SqlColumn`] and turned back into owned fields by [`SqlOwned`].
//!
//! | field type | SQL type | value while computing |
//! |---|---|---|
//! | `i8` … `i64`, `u8` … `u32`, `isize` | BIGINT | `i64` |
//! | `u64`, `usize` | BIGINT | `i64` (wrapping above `i64::MAX`, as a cast) |
//! | `f32`, `f64` | DOUBLE | `f64` |
//! | `bool` | BOOLEAN | `bool` |
//! | `String`, `&str`, `Box<str>`, `Cow<str>`, `Arc<str>` | STRING | `&str` (borrowed from the record) |
//! | `Timestamp` | TIMESTAMP | `Timestamp` |
//! | `Option<T>` | T, nullable | T's |

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::event_time::Timestamp;

/// A record field a query can read: its value as SQL computes with it (`None`: NULL).
#[diagnostic::on_unimplemented(
    message = "a SQL query cannot read a column of type `{Self}`",
    label = "this query reads it",
    note = "columns can be integers, floats, `bool`, strings (`String`, `&str`, `Cow<str>`), `Timestamp`, or `Option` of these"
)]
pub trait SqlColumn {
    /// The value while computing (`&str` for strings, borrowed from the record).
    type Value<'a>: Copy
    where
        Self: 'a;
    /// The field's value; `None` is NULL.
    fn sql(&self) -> Option<Self::Value<'_>>;
}

macro_rules! ints {
    ($($t:ty),*) => {$(
        impl SqlColumn for $t {
            type Value<'a> = i64;
            #[inline]
            fn sql(&self) -> Option<i64> {
                Some(*self as i64)
            }
        }
    )*};
}
ints!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

macro_rules! floats {
    ($($t:ty),*) => {$(
        impl SqlColumn for $t {
            type Value<'a> = f64;
            #[inline]
            fn sql(&self) -> Option<f64> {
                Some(f64::from(*self))
            }
        }
    )*};
}
floats!(f32, f64);

impl SqlColumn for bool {
    type Value<'a> = bool;
    #[inline]
    fn sql(&self) -> Option<bool> {
        Some(*self)
    }
}

impl SqlColumn for Timestamp {
    type Value<'a> = Timestamp;
    #[inline]
    fn sql(&self) -> Option<Timestamp> {
        Some(*self)
    }
}

macro_rules! strings {
    ($($t:ty),*) => {$(
        impl SqlColumn for $t {
            type Value<'a> = &'a str where Self: 'a;
            #[inline]
            fn sql(&self) -> Option<&str> {
                Some(self)
            }
        }
    )*};
}
strings!(str, String, Box<str>, Arc<str>, Cow<'_, str>);

impl<T: SqlColumn + ?Sized> SqlColumn for &T {
    type Value<'a>
        = T::Value<'a>
    where
        Self: 'a;
    #[inline]
    fn sql(&self) -> Option<T::Value<'_>> {
        (**self).sql()
    }
}

impl<T: SqlColumn> SqlColumn for Option<T> {
    type Value<'a>
        = T::Value<'a>
    where
        Self: 'a;
    #[inline]
    fn sql(&self) -> Option<T::Value<'_>> {
        self.as_ref().and_then(T::sql)
    }
}

/// A value that can leave the record it was computed from, as a field of a query's output
/// row: `&str` becomes `String`, the rest stay as they are.
pub trait SqlOwned {
    /// The output row's field type.
    type Owned;
    /// The owned value.
    fn owned(self) -> Self::Owned;
}

macro_rules! owned_as_is {
    ($($t:ty),*) => {$(
        impl SqlOwned for $t {
            type Owned = $t;
            #[inline]
            fn owned(self) -> $t {
                self
            }
        }
    )*};
}
owned_as_is!(i64, f64, bool, Timestamp, String, crate::event_time::Window);

impl SqlOwned for &str {
    type Owned = String;
    #[inline]
    fn owned(self) -> String {
        self.to_owned()
    }
}

impl SqlOwned for Cow<'_, str> {
    type Owned = String;
    #[inline]
    fn owned(self) -> String {
        self.into_owned()
    }
}

/// A string as a GROUP BY key holds it: inline up to 24 bytes, so grouping words or tags
/// allocates nothing per row (a `String` key would allocate for every row).
pub type KeyStr = compact_str::CompactString;

// Keys are owned already: stores (event-time windows) keep them as they are.
crate::into_owned_by_identity!(KeyStr);

impl SqlOwned for KeyStr {
    type Owned = String;
    #[inline]
    fn owned(self) -> String {
        self.into_string()
    }
}

impl SqlText for KeyStr {
    #[inline]
    fn text(&self) -> &str {
        self
    }
}

/// A DOUBLE as a GROUP BY, DISTINCT or join key holds it. `f64` is neither `Eq` nor
/// `Hash`; Spark groups doubles after normalising them: -0.0 is 0.0 and every NaN is one NaN,
/// equal to itself. The key keeps the normalised value, so equal keys have equal bits, and
/// orders as Spark sorts doubles (NaN above every number). It is written to checkpoints as
/// the `f64` it holds, and normalised again when read.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(from = "f64", into = "f64")]
pub struct KeyDouble(f64);

impl KeyDouble {
    /// The key of `v`: -0.0 as 0.0, any NaN as the one NaN.
    #[inline]
    pub fn new(v: f64) -> KeyDouble {
        KeyDouble(if v.is_nan() {
            f64::NAN
        } else if v == 0.0 {
            0.0
        } else {
            v
        })
    }

    /// The (normalised) value.
    #[inline]
    pub fn get(self) -> f64 {
        self.0
    }
}

impl From<f64> for KeyDouble {
    #[inline]
    fn from(v: f64) -> KeyDouble {
        KeyDouble::new(v)
    }
}

impl From<KeyDouble> for f64 {
    #[inline]
    fn from(k: KeyDouble) -> f64 {
        k.0
    }
}

impl PartialEq for KeyDouble {
    #[inline]
    fn eq(&self, other: &KeyDouble) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for KeyDouble {}

impl std::hash::Hash for KeyDouble {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl PartialOrd for KeyDouble {
    #[inline]
    fn partial_cmp(&self, other: &KeyDouble) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyDouble {
    /// IEEE total order, which on normalised values is Spark's: -0.0 is gone, and the one
    /// NaN (positive) sorts above infinity.
    #[inline]
    fn cmp(&self, other: &KeyDouble) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

crate::into_owned_by_identity!(KeyDouble);

impl SqlOwned for KeyDouble {
    type Owned = f64;
    #[inline]
    fn owned(self) -> f64 {
        self.0
    }
}

/// A column's value, `None` for NULL (what the generated code reads a column with).
#[inline]
pub fn col<T: SqlColumn + ?Sized>(field: &T) -> Option<T::Value<'_>> {
    field.sql()
}

/// An owned copy of a value, for an output row.
#[inline]
pub fn owned<V: SqlOwned>(v: Option<V>) -> Option<V::Owned> {
    v.map(SqlOwned::owned)
}

/// A string value, as text.
pub trait SqlText {
    /// The text.
    fn text(&self) -> &str;
}

impl SqlText for &str {
    #[inline]
    fn text(&self) -> &str {
        self
    }
}

impl SqlText for String {
    #[inline]
    fn text(&self) -> &str {
        self
    }
}

impl SqlText for Cow<'_, str> {
    #[inline]
    fn text(&self) -> &str {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_as_sql_values() {
        assert_eq!(col(&3u8), Some(3i64));
        assert_eq!(col(&1.5f32), Some(1.5f64));
        assert_eq!(col(&String::from("a")), Some("a"));
        assert_eq!(col(&Some(2i32)), Some(2i64));
        assert_eq!(col(&None::<i32>), None);
        assert_eq!(col(&&&"x"), Some("x"));
        assert_eq!(owned(Some("s")), Some(String::from("s")));
    }

    #[test]
    fn double_keys_group_as_spark() {
        use std::collections::HashSet;
        let keys: HashSet<KeyDouble> = [0.0, -0.0, f64::NAN, -f64::NAN, 1.5, 1.5]
            .into_iter()
            .map(KeyDouble::new)
            .collect();
        assert_eq!(keys.len(), 3);
        assert_eq!(KeyDouble::new(-0.0).get().to_bits(), 0.0f64.to_bits());
        assert_eq!(KeyDouble::new(f64::NAN), KeyDouble::new(-f64::NAN));
        let mut sorted: Vec<KeyDouble> = [f64::NAN, 2.0, f64::INFINITY, -0.0, -1.0]
            .into_iter()
            .map(KeyDouble::new)
            .collect();
        sorted.sort();
        let shown: Vec<f64> = sorted.into_iter().map(KeyDouble::get).collect();
        assert_eq!(shown[..4], [-1.0, 0.0, 2.0, f64::INFINITY]);
        assert!(shown[4].is_nan());
        // A checkpoint holds the value and normalises it again when read.
        let bytes = postcard::to_stdvec(&KeyDouble::new(2.5)).unwrap_or_default();
        let back: Option<KeyDouble> = postcard::from_bytes(&bytes).ok();
        assert_eq!(back, Some(KeyDouble::new(2.5)));
        let bytes = postcard::to_stdvec(&-0.0f64).unwrap_or_default();
        let back: Option<KeyDouble> = postcard::from_bytes(&bytes).ok();
        assert_eq!(back.map(|k| k.get().to_bits()), Some(0));
    }
}
