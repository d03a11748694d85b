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
}
