//! Elements shown as Scala shows them, so that `print` and `save_as_text_files` write what
//! Spark Streaming writes.
//!
//! | Rust value | shown as |
//! |---|---|
//! | `"a"`, `String`, `char`, `Box<str>`, `Arc<str>`, `Cow<str>` | `a` (unquoted) |
//! | `42`, `true` | `42`, `true` |
//! | `1.0`, `0.5`, `1e7`, `1.234e-5`, `f64::NAN`, `f64::INFINITY` | `1.0`, `0.5`, `1.0E7`, `1.234E-5`, `NaN`, `Infinity` (Java's `Double.toString`) |
//! | `("a", 1)`, `(1,)`, `()` | `(a,1)`, `(1)`, `()` |
//! | `Some(1)`, `None` | `Some(1)`, `None` |
//! | `vec![1, 2]`, `[1, 2]`, `&[1, 2][..]` | `List(1, 2)` |
//! | `CompactBuffer::from([1, 2])` | `CompactBuffer(1, 2)` |
//! | maps (`HashMap`, `BTreeMap`) | `Map(a -> 1, b -> 2)` |
//! | sets (`HashSet`, `BTreeSet`) | `Set(a, b)` |
//! | `BatchTime` | `1000 ms` |
//!
//! References, `Box`, `Rc` and `Arc` show what they point to.
//!
//! Your own types: implement [`SparkDisplay`], or, when their `Display` already shows them
//! the way you want, use [`spark_display_via_display!`](crate::spark_display_via_display).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::rc::Rc;
use std::sync::Arc;

use crate::compact_buffer::CompactBuffer;
use crate::time::BatchTime;

/// How an element is shown by `print` and written by `save_as_text_files`: the way Scala's
/// `toString` shows the corresponding Scala value, as Spark does.
#[diagnostic::on_unimplemented(
    message = "`print` and `save_as_text_files` show elements the way Spark does, and `{Self}` has no Spark form",
    label = "elements of type `{Self}` are shown here",
    note = "strings, numbers, bools, chars, tuples, `Option`, `Vec`, slices, maps, sets and `CompactBuffer` can be shown; map your elements to one of these first (e.g. `map |x| x.to_string()`)",
    note = "or make your type printable: if its `Display` shows it as you want, write `streaming::spark_display_via_display!(YourType);`, otherwise implement `streaming::SparkDisplay` for it"
)]
pub trait SparkDisplay {
    /// Records (a `#[derive(Record)]` struct, a SQL query's rows): their columns' names.
    /// `print` then shows a batch as a table, as Structured Streaming's console sink does
    /// (see `sql::table`); `None` for every other type.
    const COLUMNS: Option<&'static [&'static str]> = None;

    /// Writes `self` as Scala's `toString` would show it.
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;

    /// Records: each column's cell as the table shows it, pushed in the order of
    /// [`COLUMNS`](Self::COLUMNS).
    fn cells(&self, _out: &mut Vec<String>) {}
}

/// Wraps a value so that `{}` shows it as Spark would: `format!("{}", Spark(&("a", 1)))` is
/// `(a,1)`.
pub struct Spark<'a, T: ?Sized>(pub &'a T);

impl<T: SparkDisplay + ?Sized> fmt::Display for Spark<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_spark(f)
    }
}

/// Implements [`SparkDisplay`] for types through their [`Display`](std::fmt::Display), so
/// that `print` and `save_as_text_files` accept them and show them as `Display` does.
///
/// Give it one or more concrete types defined in your crate (for a generic type, implement
/// [`SparkDisplay`] by hand). The facade crate re-exports it as
/// `streaming::spark_display_via_display!`.
///
/// ```
/// use std::fmt;
///
/// struct Celsius(f64);
///
/// impl fmt::Display for Celsius {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         write!(f, "{:.1}°C", self.0)
///     }
/// }
///
/// streaming_runtime::spark_display_via_display!(Celsius);
///
/// use streaming_runtime::show::Spark;
/// assert_eq!(format!("{}", Spark(&("kitchen", Celsius(21.0)))), "(kitchen,21.0°C)");
/// ```
#[macro_export]
macro_rules! spark_display_via_display {
    ($($t:ty),* $(,)?) => {
        $(
            impl $crate::show::SparkDisplay for $t {
                fn fmt_spark(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    ::std::fmt::Display::fmt(self, f)
                }
            }
        )*
    };
}

// ---------------------------------------------------------------------------------------
// Strings and plain values.

impl SparkDisplay for str {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl SparkDisplay for String {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl SparkDisplay for char {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char(*self)
    }
}

impl SparkDisplay for bool {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if *self { "true" } else { "false" })
    }
}

impl SparkDisplay for () {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("()")
    }
}

/// Spark prints a `Time` as `1000 ms`.
impl SparkDisplay for BatchTime {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

macro_rules! integers {
    ($($t:ty),* $(,)?) => {$(
        impl SparkDisplay for $t {
            fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    )*};
}

integers!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

spark_display_via_display!(
    std::net::IpAddr,
    std::net::Ipv4Addr,
    std::net::Ipv6Addr,
    std::net::SocketAddr
);

// ---------------------------------------------------------------------------------------
// Floats, as Java's `Double.toString` / `Float.toString`.

macro_rules! floats {
    ($($t:ty),*) => {$(
        impl SparkDisplay for $t {
            fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let x = *self;
                if x.is_nan() {
                    return f.write_str("NaN");
                }
                let a = x.abs();
                // Rust's `{:e}` gives the shortest digits that round-trip, as Java 19+ does.
                let mut digits = SmallBuf::new();
                write!(digits, "{a:e}")?;
                if a.is_finite() && a != 0.0 {
                    // Java shows at least two digits and, of the decimals of that length
                    // that round-trip, the one nearest the exact value, ties to even:
                    // 4.9E-324 (not 5.0E-324), 3357558.2 for 3357558.25f32. Rust's exact
                    // formatting rounds half to even, so try that and keep it if it
                    // round-trips.
                    let len = digits.as_str().find('e').unwrap_or(0);
                    let sig = if len > 1 { len - 1 } else { len };
                    let mut near = SmallBuf::new();
                    write!(near, "{a:.prec$e}", prec = sig.max(2) - 1)?;
                    if near.as_str().parse::<$t>() == Ok(a) {
                        digits = near;
                    }
                }
                write_java_float(f, x.is_sign_negative(), x.is_infinite(), digits.as_str())
            }
        }
    )*};
}

floats!(f32, f64);

/// Rearranges Rust's shortest (or two-digit) `{:e}` form of `|x|` (`"1.234e-5"`, `"1e7"`, `"0e0"`) into
/// Java's: decimal with at least one fractional digit for `10⁻³ ≤ |x| < 10⁷`, otherwise
/// `d.dddE<exp>` with at least one fractional digit.
fn write_java_float(
    f: &mut fmt::Formatter<'_>,
    negative: bool,
    infinite: bool,
    sci: &str,
) -> fmt::Result {
    if negative {
        f.write_char('-')?;
    }
    if infinite {
        return f.write_str("Infinity");
    }
    let (mantissa, exp) = sci.split_once('e').ok_or(fmt::Error)?;
    let exp: i32 = exp.parse().map_err(|_| fmt::Error)?;
    let (lead, rest) = match mantissa.split_once('.') {
        Some((lead, rest)) => (lead, rest),
        None => (mantissa, ""),
    };
    let rest = rest.trim_end_matches('0');
    if lead == "0" {
        // Zero (the only value whose leading digit is 0).
        return f.write_str("0.0");
    }
    if (-3..7).contains(&exp) {
        if exp < 0 {
            // 0.00ddd
            f.write_str("0.")?;
            for _ in 0..(-exp - 1) {
                f.write_char('0')?;
            }
            f.write_str(lead)?;
            f.write_str(rest)
        } else {
            // `exp` (0..7) digits of `rest` go before the point.
            let int_from_rest = exp as usize;
            f.write_str(lead)?;
            if rest.len() > int_from_rest {
                f.write_str(&rest[..int_from_rest])?;
                f.write_char('.')?;
                f.write_str(&rest[int_from_rest..])
            } else {
                f.write_str(rest)?;
                for _ in rest.len()..int_from_rest {
                    f.write_char('0')?;
                }
                f.write_str(".0")
            }
        }
    } else {
        f.write_str(lead)?;
        f.write_char('.')?;
        f.write_str(if rest.is_empty() { "0" } else { rest })?;
        write!(f, "E{exp}")
    }
}

/// A stack buffer for one float's `{:e}` form (at most ~25 bytes).
struct SmallBuf {
    bytes: [u8; 48],
    len: usize,
}

impl SmallBuf {
    fn new() -> Self {
        SmallBuf {
            bytes: [0; 48],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever appended, so this cannot fail.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for SmallBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Pointers delegate.

macro_rules! pointers {
    ($($p:ty),*) => {$(
        impl<T: SparkDisplay + ?Sized> SparkDisplay for $p {
            const COLUMNS: Option<&'static [&'static str]> = T::COLUMNS;
            fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                (**self).fmt_spark(f)
            }
            fn cells(&self, out: &mut Vec<String>) {
                (**self).cells(out)
            }
        }
    )*};
}
pointers!(&T, &mut T, Box<T>, Arc<T>, Rc<T>);

impl<B: SparkDisplay + ToOwned + ?Sized> SparkDisplay for Cow<'_, B> {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt_spark(f)
    }
}

// ---------------------------------------------------------------------------------------
// Tuples: `(a,b)`, no space after the comma (Scala's `Tuple2.toString`).

macro_rules! tuples {
    ($( ($($name:ident $idx:tt),+) )+) => {$(
        impl<$($name: SparkDisplay),+> SparkDisplay for ($($name,)+) {
            fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_char('(')?;
                let mut _first = true;
                $(
                    if !_first {
                        f.write_char(',')?;
                    }
                    _first = false;
                    self.$idx.fmt_spark(f)?;
                )+
                f.write_char(')')
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

// ---------------------------------------------------------------------------------------
// Options and collections: `Some(x)`, `List(a, b)`, `Map(k -> v)` (comma and space).

impl<T: SparkDisplay> SparkDisplay for Option<T> {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Some(x) => {
                f.write_str("Some(")?;
                x.fmt_spark(f)?;
                f.write_char(')')
            }
            None => f.write_str("None"),
        }
    }
}

fn write_seq<I>(f: &mut fmt::Formatter<'_>, name: &str, items: I) -> fmt::Result
where
    I: IntoIterator,
    I::Item: SparkDisplay,
{
    f.write_str(name)?;
    f.write_char('(')?;
    for (i, x) in items.into_iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        x.fmt_spark(f)?;
    }
    f.write_char(')')
}

fn write_map<'a, K, V, I>(f: &mut fmt::Formatter<'_>, entries: I) -> fmt::Result
where
    K: SparkDisplay + 'a,
    V: SparkDisplay + 'a,
    I: IntoIterator<Item = (&'a K, &'a V)>,
{
    f.write_str("Map(")?;
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        k.fmt_spark(f)?;
        f.write_str(" -> ")?;
        v.fmt_spark(f)?;
    }
    f.write_char(')')
}

impl<T: SparkDisplay> SparkDisplay for [T] {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_seq(f, "List", self)
    }
}

impl<T: SparkDisplay, const N: usize> SparkDisplay for [T; N] {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_seq(f, "List", self)
    }
}

impl<T: SparkDisplay> SparkDisplay for Vec<T> {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_seq(f, "List", self)
    }
}

impl<T: SparkDisplay> SparkDisplay for CompactBuffer<T> {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_seq(f, "CompactBuffer", self)
    }
}

impl<K: SparkDisplay, V: SparkDisplay, S> SparkDisplay for HashMap<K, V, S> {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_map(f, self)
    }
}

impl<K: SparkDisplay, V: SparkDisplay, S> SparkDisplay for hashbrown::HashMap<K, V, S> {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_map(f, self)
    }
}

impl<K: SparkDisplay, V: SparkDisplay> SparkDisplay for BTreeMap<K, V> {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_map(f, self)
    }
}

impl<T: SparkDisplay, S> SparkDisplay for HashSet<T, S> {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_seq(f, "Set", self)
    }
}

impl<T: SparkDisplay, S> SparkDisplay for hashbrown::HashSet<T, S> {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_seq(f, "Set", self)
    }
}

impl<T: SparkDisplay> SparkDisplay for BTreeSet<T> {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_seq(f, "Set", self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show<T: SparkDisplay + ?Sized>(x: &T) -> String {
        Spark(x).to_string()
    }

    #[test]
    fn strings_are_unquoted() {
        assert_eq!(show("a b"), "a b");
        assert_eq!(show(&"x"), "x");
        assert_eq!(show(&String::from("s")), "s");
        assert_eq!(show(&Box::<str>::from("b")), "b");
        assert_eq!(show(&Arc::<str>::from("a")), "a");
        assert_eq!(show(&Rc::<str>::from("r")), "r");
        assert_eq!(show(&Cow::Borrowed("c")), "c");
        assert_eq!(show(&Cow::<str>::Owned("o".into())), "o");
        assert_eq!(show(&'z'), "z");
        assert_eq!(show(&""), "");
    }

    #[test]
    fn plain_values() {
        assert_eq!(show(&42i64), "42");
        assert_eq!(show(&-7i32), "-7");
        assert_eq!(show(&255u8), "255");
        assert_eq!(show(&u128::MAX), u128::MAX.to_string());
        assert_eq!(show(&0usize), "0");
        assert_eq!(show(&true), "true");
        assert_eq!(show(&false), "false");
        assert_eq!(show(&()), "()");
        assert_eq!(show(&BatchTime::from_millis(1000)), "1000 ms");
        let ip: std::net::IpAddr = [127, 0, 0, 1].into();
        assert_eq!(show(&ip), "127.0.0.1");
    }

    #[test]
    fn tuples_have_no_space_after_commas() {
        assert_eq!(show(&(1,)), "(1)");
        assert_eq!(show(&("a", 1)), "(a,1)");
        assert_eq!(show(&("a", 1, 2.5)), "(a,1,2.5)");
        assert_eq!(show(&(1, 2, 3, 4)), "(1,2,3,4)");
        assert_eq!(show(&(1, 2, 3, 4, 5)), "(1,2,3,4,5)");
        assert_eq!(show(&(1, 2, 3, 4, 5, 6)), "(1,2,3,4,5,6)");
        assert_eq!(show(&(1, 2, 3, 4, 5, 6, 7)), "(1,2,3,4,5,6,7)");
        assert_eq!(
            show(&(1, "b", 'c', true, 5u8, 6.0, (), "h")),
            "(1,b,c,true,5,6.0,(),h)"
        );
        assert_eq!(show(&(("a", 1), 2)), "((a,1),2)");
        assert_eq!(show(&(&"a", &mut 3)), "(a,3)");
    }

    #[test]
    fn options() {
        assert_eq!(show(&Some(1)), "Some(1)");
        assert_eq!(show(&None::<i32>), "None");
        assert_eq!(show(&Some(("a", Some(2.0)))), "Some((a,Some(2.0)))");
        assert_eq!(show(&("k", (Some(1), None::<&str>))), "(k,(Some(1),None))");
    }

    #[test]
    fn sequences_are_lists() {
        assert_eq!(show(&vec![1, 2, 3]), "List(1, 2, 3)");
        assert_eq!(show(&Vec::<i32>::new()), "List()");
        assert_eq!(show(&[1, 2]), "List(1, 2)");
        assert_eq!(show(&[1, 2][..]), "List(1, 2)");
        assert_eq!(show(&vec!["a", "b"]), "List(a, b)");
        assert_eq!(show(&vec![("a", 1), ("b", 2)]), "List((a,1), (b,2))");
        assert_eq!(show(&Box::new(vec![1])), "List(1)");
        assert_eq!(show(&Arc::new(5)), "5");
        assert_eq!(show(&Rc::new("x")), "x");
    }

    #[test]
    fn compact_buffers() {
        assert_eq!(
            show(&("a", CompactBuffer::from([1, 2]))),
            "(a,CompactBuffer(1, 2))"
        );
        assert_eq!(show(&CompactBuffer::<i32>::new()), "CompactBuffer()");
        assert_eq!(
            show(&CompactBuffer::from(["x".to_string()])),
            "CompactBuffer(x)"
        );
    }

    #[test]
    fn maps_and_sets() {
        let mut m = BTreeMap::new();
        m.insert("a", 1);
        m.insert("b", 2);
        assert_eq!(show(&m), "Map(a -> 1, b -> 2)");
        assert_eq!(show(&BTreeMap::<i32, i32>::new()), "Map()");
        let mut h = HashMap::new();
        h.insert("k", vec![1.5]);
        assert_eq!(show(&h), "Map(k -> List(1.5))");
        let mut hb = hashbrown::HashMap::<_, _, ahash::RandomState>::default();
        hb.insert(1, "one");
        assert_eq!(show(&hb), "Map(1 -> one)");
        let s: BTreeSet<_> = [3, 1, 2].into_iter().collect();
        assert_eq!(show(&s), "Set(1, 2, 3)");
        let hs: HashSet<_> = ["x"].into_iter().collect();
        assert_eq!(show(&hs), "Set(x)");
    }

    fn d(x: f64) -> String {
        show(&x)
    }

    fn fl(x: f32) -> String {
        show(&x)
    }

    #[test]
    fn doubles_as_java() {
        // Special values.
        assert_eq!(d(f64::NAN), "NaN");
        assert_eq!(d(-f64::NAN), "NaN");
        assert_eq!(d(f64::INFINITY), "Infinity");
        assert_eq!(d(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(d(0.0), "0.0");
        assert_eq!(d(-0.0), "-0.0");
        // Decimal range [1e-3, 1e7).
        assert_eq!(d(1.0), "1.0");
        assert_eq!(d(-1.0), "-1.0");
        assert_eq!(d(0.5), "0.5");
        assert_eq!(d(2.5), "2.5");
        assert_eq!(d(10.0), "10.0");
        assert_eq!(d(100.0), "100.0");
        assert_eq!(d(123.456), "123.456");
        assert_eq!(d(0.1), "0.1");
        assert_eq!(d(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(d(0.001), "0.001");
        assert_eq!(d(0.00123), "0.00123");
        assert_eq!(d(0.0123), "0.0123");
        assert_eq!(d(1234567.0), "1234567.0");
        assert_eq!(d(9999999.0), "9999999.0");
        assert_eq!(d(9999999.5), "9999999.5");
        assert_eq!(d(1000000.0), "1000000.0");
        assert_eq!(d(12.0), "12.0");
        assert_eq!(d(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(d(2.0 / 3.0), "0.6666666666666666");
        assert_eq!(d(std::f64::consts::PI), "3.141592653589793");
        assert_eq!(d(-42.75), "-42.75");
        // Scientific outside it.
        assert_eq!(d(1e7), "1.0E7");
        assert_eq!(d(-1e7), "-1.0E7");
        assert_eq!(d(1.5e7), "1.5E7");
        assert_eq!(d(12345678.0), "1.2345678E7");
        assert_eq!(d(123456789.0), "1.23456789E8");
        assert_eq!(d(1e10), "1.0E10");
        assert_eq!(d(1e100), "1.0E100");
        assert_eq!(d(1.234e-5), "1.234E-5");
        assert_eq!(d(0.0009), "9.0E-4");
        assert_eq!(d(0.000999), "9.99E-4");
        assert_eq!(d(1e-4), "1.0E-4");
        assert_eq!(d(-2.5e-10), "-2.5E-10");
        assert_eq!(d(f64::MAX), "1.7976931348623157E308");
        assert_eq!(d(f64::MIN_POSITIVE), "2.2250738585072014E-308");
        assert_eq!(d(5e-324), "4.9E-324");
        assert_eq!(d(1e21), "1.0E21");
        // Java 19+ (shortest digits); Java 8-18 showed 9.999999999999999E22.
        assert_eq!(d(1e23), "1.0E23");
        assert_eq!(d(1e-323), "9.9E-324");
        assert_eq!(d(-5e-324), "-4.9E-324");
        assert_eq!(d(2e-3), "0.002");
        // Just below the thresholds.
        assert_eq!(d(f64::from_bits(1e7f64.to_bits() - 1)), "9999999.999999998");
        assert_eq!(
            d(f64::from_bits(1e-3f64.to_bits() - 1)),
            "9.999999999999998E-4"
        );
    }

    #[test]
    fn floats_as_java() {
        assert_eq!(fl(f32::NAN), "NaN");
        assert_eq!(fl(f32::INFINITY), "Infinity");
        assert_eq!(fl(f32::NEG_INFINITY), "-Infinity");
        assert_eq!(fl(0.0), "0.0");
        assert_eq!(fl(-0.0), "-0.0");
        assert_eq!(fl(1.0), "1.0");
        assert_eq!(fl(0.1), "0.1");
        assert_eq!(fl(0.5), "0.5");
        assert_eq!(fl(3.4), "3.4");
        assert_eq!(fl(1.0e7), "1.0E7");
        assert_eq!(fl(1.0e10), "1.0E10");
        assert_eq!(fl(1.234e-5), "1.234E-5");
        assert_eq!(fl(f32::MAX), "3.4028235E38");
        // Java 19+; Java 8-18 showed 1.17549435E-38.
        assert_eq!(fl(f32::MIN_POSITIVE), "1.1754944E-38");
        assert_eq!(fl(1.4e-45), "1.4E-45");
        assert_eq!(fl(1234567.0), "1234567.0");
        assert_eq!(fl(16777216.0), "1.6777216E7");
        assert_eq!(fl(0.001), "0.001");
        assert_eq!(fl(std::f32::consts::PI), "3.1415927");
    }

    #[test]
    fn floats_inside_structures() {
        assert_eq!(show(&("avg", 2.0)), "(avg,2.0)");
        assert_eq!(show(&vec![1.0, 1e7]), "List(1.0, 1.0E7)");
        assert_eq!(show(&Some(f64::NAN)), "Some(NaN)");
    }

    struct Celsius(i32);

    impl fmt::Display for Celsius {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}C", self.0)
        }
    }

    struct Kelvin(u32);

    impl fmt::Display for Kelvin {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}K", self.0)
        }
    }

    crate::spark_display_via_display!(Celsius, Kelvin,);

    #[test]
    fn user_types_via_display() {
        assert_eq!(show(&("t", Celsius(21))), "(t,21C)");
        assert_eq!(show(&vec![Kelvin(1)]), "List(1K)");
    }
}
