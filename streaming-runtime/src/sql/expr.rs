//! The functions a query's expressions compile to, with Spark SQL's semantics (its default,
//! non-ANSI mode): NULL in, NULL out; `/` always gives a DOUBLE and NULL when dividing by
//! zero; integer overflow wraps; a failed CAST is NULL. The type rules are traits, so a
//! query mixing types that SQL does not mix fails to compile with a message naming them.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::value::{KeyStr, SqlText};
use crate::event_time::Timestamp;

/// Arithmetic between two SQL types.
#[diagnostic::on_unimplemented(
    message = "SQL arithmetic needs numbers: it cannot combine `{Self}` with `{Rhs}`",
    label = "in this query",
    note = "BIGINT (integers) and DOUBLE (floats) mix; strings, booleans and timestamps take no arithmetic (CAST them first)"
)]
pub trait SqlArith<Rhs>: Copy {
    /// The result's type (DOUBLE if either side is).
    type Out: Copy;
    /// `+`
    fn add(self, rhs: Rhs) -> Self::Out;
    /// `-`
    fn sub(self, rhs: Rhs) -> Self::Out;
    /// `*`
    fn mul(self, rhs: Rhs) -> Self::Out;
    /// `%`, NULL when `rhs` is zero.
    fn rem(self, rhs: Rhs) -> Option<Self::Out>;
}

impl SqlArith<i64> for i64 {
    type Out = i64;
    fn add(self, rhs: i64) -> i64 {
        self.wrapping_add(rhs)
    }
    fn sub(self, rhs: i64) -> i64 {
        self.wrapping_sub(rhs)
    }
    fn mul(self, rhs: i64) -> i64 {
        self.wrapping_mul(rhs)
    }
    fn rem(self, rhs: i64) -> Option<i64> {
        (rhs != 0).then(|| self.wrapping_rem(rhs))
    }
}

macro_rules! float_arith {
    ($($a:ty, $b:ty);*) => {$(
        impl SqlArith<$b> for $a {
            type Out = f64;
            fn add(self, rhs: $b) -> f64 {
                self as f64 + rhs as f64
            }
            fn sub(self, rhs: $b) -> f64 {
                self as f64 - rhs as f64
            }
            fn mul(self, rhs: $b) -> f64 {
                self as f64 * rhs as f64
            }
            fn rem(self, rhs: $b) -> Option<f64> {
                (rhs as f64 != 0.0).then(|| self as f64 % rhs as f64)
            }
        }
    )*};
}
float_arith!(f64, f64; f64, i64; i64, f64);

/// A number, for `/`, SUM, AVG and unary minus.
#[diagnostic::on_unimplemented(
    message = "SQL needs a number here, and `{Self}` is not one",
    label = "in this query",
    note = "SUM, AVG, `/` and unary `-` take BIGINT or DOUBLE columns; CAST a string first"
)]
pub trait SqlNum: Copy + Default + PartialOrd {
    /// As a DOUBLE.
    fn as_f64(self) -> f64;
    /// `self + other`, wrapping for integers.
    fn plus(self, other: Self) -> Self;
    /// `self - other`, wrapping for integers.
    fn minus(self, other: Self) -> Self;
    /// `-self`, wrapping for integers.
    fn negate(self) -> Self;
}

impl SqlNum for i64 {
    fn as_f64(self) -> f64 {
        self as f64
    }
    fn plus(self, other: i64) -> i64 {
        self.wrapping_add(other)
    }
    fn minus(self, other: i64) -> i64 {
        self.wrapping_sub(other)
    }
    fn negate(self) -> i64 {
        self.wrapping_neg()
    }
}

impl SqlNum for f64 {
    fn as_f64(self) -> f64 {
        self
    }
    fn plus(self, other: f64) -> f64 {
        self + other
    }
    fn minus(self, other: f64) -> f64 {
        self - other
    }
    fn negate(self) -> f64 {
        -self
    }
}

/// `a + b`
#[inline]
pub fn add<A: SqlArith<B>, B>(a: Option<A>, b: Option<B>) -> Option<A::Out> {
    Some(a?.add(b?))
}
/// `a - b`
#[inline]
pub fn sub<A: SqlArith<B>, B>(a: Option<A>, b: Option<B>) -> Option<A::Out> {
    Some(a?.sub(b?))
}
/// `a * b`
#[inline]
pub fn mul<A: SqlArith<B>, B>(a: Option<A>, b: Option<B>) -> Option<A::Out> {
    Some(a?.mul(b?))
}
/// `a % b` (NULL when `b` is zero)
#[inline]
pub fn rem<A: SqlArith<B>, B>(a: Option<A>, b: Option<B>) -> Option<A::Out> {
    a?.rem(b?)
}
/// `a / b`: always a DOUBLE, as in Spark (`7 / 2` is `3.5`); NULL when `b` is zero.
#[inline]
pub fn div<A: SqlNum, B: SqlNum>(a: Option<A>, b: Option<B>) -> Option<f64> {
    let b = b?.as_f64();
    (b != 0.0).then(|| a.map(|a| a.as_f64() / b)).flatten()
}
/// `-a`
#[inline]
pub fn neg<A: SqlNum>(a: Option<A>) -> Option<A> {
    a.map(SqlNum::negate)
}

/// Comparison between two SQL types.
#[diagnostic::on_unimplemented(
    message = "SQL cannot compare `{Self}` with `{Rhs}`",
    label = "in this query",
    note = "numbers compare with numbers, strings with strings, booleans with booleans, timestamps with timestamps; CAST one side to compare across"
)]
pub trait SqlCmp<Rhs> {
    /// The order of the two values (`None`: they have none, and every comparison is false).
    fn sql_cmp(&self, rhs: &Rhs) -> Option<Ordering>;
}

macro_rules! cmp_same {
    ($($t:ty),*) => {$(
        impl SqlCmp<$t> for $t {
            #[inline]
            fn sql_cmp(&self, rhs: &$t) -> Option<Ordering> {
                self.partial_cmp(rhs)
            }
        }
    )*};
}
cmp_same!(i64, bool, Timestamp);

/// Doubles compare as Spark compares them (`SQLOrderingUtil.compareDoubles`): NaN equals
/// NaN and is above every number, -0.0 equals 0.0; so `NaN = NaN` is true, as GROUP BY and
/// ORDER BY already treat them.
#[inline]
fn spark_double_cmp(a: f64, b: f64) -> Ordering {
    super::value::KeyDouble::new(a).cmp(&super::value::KeyDouble::new(b))
}

impl SqlCmp<f64> for f64 {
    #[inline]
    fn sql_cmp(&self, rhs: &f64) -> Option<Ordering> {
        Some(spark_double_cmp(*self, *rhs))
    }
}
impl SqlCmp<f64> for i64 {
    #[inline]
    fn sql_cmp(&self, rhs: &f64) -> Option<Ordering> {
        Some(spark_double_cmp(*self as f64, *rhs))
    }
}
impl SqlCmp<i64> for f64 {
    #[inline]
    fn sql_cmp(&self, rhs: &i64) -> Option<Ordering> {
        Some(spark_double_cmp(*self, *rhs as f64))
    }
}

macro_rules! cmp_text {
    ($($a:ty, $b:ty);*) => {$(
        impl SqlCmp<$b> for $a {
            #[inline]
            fn sql_cmp(&self, rhs: &$b) -> Option<Ordering> {
                Some(self.text().cmp(rhs.text()))
            }
        }
    )*};
}
cmp_text!(&str, &str; &str, String; String, &str; String, String;
    Cow<'_, str>, &str; &str, Cow<'_, str>; Cow<'_, str>, String; String, Cow<'_, str>;
    Cow<'_, str>, Cow<'_, str>;
    KeyStr, KeyStr; KeyStr, &str; &str, KeyStr; KeyStr, String; String, KeyStr;
    KeyStr, Cow<'_, str>; Cow<'_, str>, KeyStr);

macro_rules! comparisons {
    ($($name:ident $doc:literal => $test:expr;)*) => {$(
        #[doc = $doc]
        #[inline]
        pub fn $name<A: SqlCmp<B>, B>(a: Option<A>, b: Option<B>) -> Option<bool> {
            let o = a?.sql_cmp(&b?);
            #[allow(clippy::redundant_closure_call)]
            Some(o.is_some_and($test))
        }
    )*};
}
comparisons! {
    eq "`a = b`" => |o: Ordering| o.is_eq();
    ne "`a <> b`" => |o: Ordering| o.is_ne();
    lt "`a < b`" => |o: Ordering| o.is_lt();
    le "`a <= b`" => |o: Ordering| o.is_le();
    gt "`a > b`" => |o: Ordering| o.is_gt();
    ge "`a >= b`" => |o: Ordering| o.is_ge();
}

/// `a AND b`, three-valued: FALSE wins over NULL.
#[inline]
pub fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}
/// `a OR b`, three-valued: TRUE wins over NULL.
#[inline]
pub fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}
/// `NOT a`
#[inline]
pub fn not(a: Option<bool>) -> Option<bool> {
    a.map(|a| !a)
}
/// A WHERE or HAVING condition holds only when TRUE (not NULL).
#[inline]
pub fn holds(a: Option<bool>) -> bool {
    a == Some(true)
}
/// `a IS NULL`
#[inline]
pub fn is_null<A>(a: &Option<A>) -> Option<bool> {
    Some(a.is_none())
}

/// A condition's value must be a boolean.
#[diagnostic::on_unimplemented(
    message = "a SQL condition must be a boolean, and this is `{Self}`",
    label = "in this query"
)]
pub trait SqlBoolValue: Copy {
    /// The boolean.
    fn boolean(self) -> bool;
}
impl SqlBoolValue for bool {
    #[inline]
    fn boolean(self) -> bool {
        self
    }
}
/// A condition (checked to be boolean).
#[inline]
pub fn condition<B: SqlBoolValue>(b: Option<B>) -> Option<bool> {
    b.map(SqlBoolValue::boolean)
}

/// `lower(s)`
pub fn lower<S: SqlText>(s: Option<S>) -> Option<String> {
    s.map(|s| s.text().to_lowercase())
}
/// `upper(s)`
pub fn upper<S: SqlText>(s: Option<S>) -> Option<String> {
    s.map(|s| s.text().to_uppercase())
}
/// `length(s)`: characters, as Spark counts them.
pub fn length<S: SqlText>(s: Option<S>) -> Option<i64> {
    s.map(|s| s.text().chars().count() as i64)
}
/// `concat(a, b, ..)`: NULL if any argument is. Numbers, booleans and timestamps are shown
/// as `CAST(x AS STRING)` shows them (Spark casts them: `concat('n', 1.0)` is `n1.0`),
/// written straight into the result.
pub fn concat(parts: &[Option<ConcatPart<'_>>]) -> Option<String> {
    use std::fmt::Write as _;
    let mut out = String::new();
    for p in parts {
        // Writing into a `String` cannot fail.
        let _ = write!(out, "{}", (*p)?);
    }
    Some(out)
}

/// An argument of `concat`: a string borrowed as it is, or a value shown when written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConcatPart<'a> {
    /// A string, not copied before it is written.
    Text(&'a str),
    /// A BIGINT.
    BigInt(i64),
    /// A DOUBLE, shown as Spark shows it (`1.0`, `1.0E7`).
    Double(f64),
    /// A BOOLEAN: `true` or `false`.
    Boolean(bool),
    /// A TIMESTAMP: `2024-01-01 10:00:00`.
    Timestamp(Timestamp),
}

/// How SQL shows a value as text: `CAST(x AS STRING)` and `concat` both write it so.
impl std::fmt::Display for ConcatPart<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConcatPart::Text(t) => f.write_str(t),
            ConcatPart::BigInt(v) => write!(f, "{v}"),
            ConcatPart::Double(v) => write!(f, "{}", crate::show::Spark(v)),
            ConcatPart::Boolean(v) => write!(f, "{v}"),
            ConcatPart::Timestamp(v) => write!(f, "{v}"),
        }
    }
}

/// A value `concat` and `||` can take.
#[diagnostic::on_unimplemented(
    message = "SQL `concat` cannot show `{Self}` as text",
    label = "in this query",
    note = "concat takes strings, numbers, booleans and timestamps"
)]
pub trait SqlConcat {
    /// The value as a part of the result.
    fn part(&self) -> ConcatPart<'_>;
}

macro_rules! concat_text {
    ($($t:ty),*) => {$(
        impl SqlConcat for $t {
            #[inline]
            fn part(&self) -> ConcatPart<'_> {
                ConcatPart::Text(self.text())
            }
        }
    )*};
}
concat_text!(&str, String, Cow<'_, str>, KeyStr);

macro_rules! concat_shown {
    ($($t:ty => $v:ident),*) => {$(
        impl SqlConcat for $t {
            #[inline]
            fn part(&self) -> ConcatPart<'_> {
                ConcatPart::$v(*self)
            }
        }
    )*};
}
concat_shown!(i64 => BigInt, f64 => Double, bool => Boolean, Timestamp => Timestamp);

/// An argument of `concat`, by reference (a string is not copied).
#[inline]
pub fn text_of<S: SqlConcat>(s: &Option<S>) -> Option<ConcatPart<'_>> {
    s.as_ref().map(SqlConcat::part)
}

/// The type of a CASE's result, built from its branches' types without computing them: a
/// branch is a closure, called only when chosen; [`witness`] takes its type and
/// [`widen`] folds the branches' types into the one they widen to, as Spark does (BIGINT
/// and DOUBLE branches give a DOUBLE). [`widened`] calls the chosen branch and converts
/// its value. Zero-sized: nothing of it is left at run time.
pub struct Witness<T>(std::marker::PhantomData<fn() -> T>);

impl<T> Clone for Witness<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Witness<T> {}

/// The type of a CASE branch (the closure is not called).
#[inline]
pub fn witness<T, F: FnOnce() -> Option<T>>(_branch: &F) -> Witness<T> {
    Witness(std::marker::PhantomData)
}

/// The type two CASE branches' types widen to. (One argument, a pair: with two, rustc
/// would take `B` from `A`'s only impl before reading the second argument, and a STRING
/// branch against a BIGINT one would be a bare "mismatched types" instead of the
/// message of [`SqlWiden`].)
#[inline]
pub fn widen<P: WidenPair>(_pair: P) -> Witness<P::Out> {
    Witness(std::marker::PhantomData)
}

/// Two branches' witnesses, for [`widen`].
pub trait WidenPair {
    /// The type both widen to.
    type Out;
}

impl<A: SqlWiden<B>, B> WidenPair for (Witness<A>, Witness<B>) {
    type Out = A::Out;
}

/// The chosen branch's value (the branch called here), as the CASE's type.
#[inline]
pub fn widened<T, V: SqlInto<T>, F: FnOnce() -> Option<V>>(_t: Witness<T>, branch: F) -> Option<T> {
    branch().map(SqlInto::into_sql)
}

/// The type two CASE branches (or other values SQL puts in one column) widen to.
#[diagnostic::on_unimplemented(
    message = "the branches of a SQL CASE must have one type, and `{Self}` does not mix with `{B}`",
    label = "in this query",
    note = "BIGINT and DOUBLE branches give a DOUBLE; other types mix only with themselves (CAST a branch to the other's type)"
)]
pub trait SqlWiden<B> {
    /// The common type.
    type Out;
}

/// A value converted into the type a CASE's branches widen to.
#[diagnostic::on_unimplemented(
    message = "a SQL CASE branch of type `{Self}` cannot be a `{T}`",
    label = "in this query",
    note = "BIGINT and DOUBLE branches give a DOUBLE; other types mix only with themselves (CAST a branch to the other's type)"
)]
pub trait SqlInto<T> {
    /// The value as `T`.
    fn into_sql(self) -> T;
}

macro_rules! widen_same {
    ($($t:ty),*) => {$(
        impl SqlWiden<$t> for $t {
            type Out = $t;
        }
        impl SqlInto<$t> for $t {
            #[inline]
            fn into_sql(self) -> $t {
                self
            }
        }
    )*};
}
widen_same!(i64, f64, bool, String, Timestamp, crate::event_time::Window);

impl SqlWiden<f64> for i64 {
    type Out = f64;
}
impl SqlWiden<i64> for f64 {
    type Out = f64;
}
impl SqlInto<f64> for i64 {
    #[inline]
    fn into_sql(self) -> f64 {
        self as f64
    }
}

/// `substring(s, pos [, len])` as Spark: 1-based, `pos` 0 counts as 1, a negative `pos`
/// counts from the end; characters, not bytes.
pub fn substring<S: SqlText>(s: Option<S>, pos: Option<i64>, len: Option<i64>) -> Option<String> {
    let s = s?;
    let chars: Vec<char> = s.text().chars().collect();
    let n = chars.len() as i64;
    let start = match pos? {
        p if p > 0 => p - 1,
        0 => 0,
        p => n + p,
    };
    let end = match len {
        Some(l) if l < 0 => return Some(String::new()),
        Some(l) => start.saturating_add(l),
        None => n,
    };
    let (start, end) = (start.clamp(0, n), end.clamp(0, n));
    Some(
        chars[start as usize..end.max(start) as usize]
            .iter()
            .collect(),
    )
}
/// `substring` without a length.
pub fn substring_from<S: SqlText>(s: Option<S>, pos: Option<i64>) -> Option<String> {
    match pos {
        Some(_) => substring(s, pos, None),
        None => None,
    }
}

/// `s LIKE pattern`: `%` any run of characters, `_` one character, `\` escapes.
pub fn like<S: SqlText>(s: Option<S>, pattern: &str) -> Option<bool> {
    let s = s?;
    let text: Vec<char> = s.text().chars().collect();
    let pat: Vec<char> = pattern.chars().collect();
    Some(like_match(&text, &pat))
}

fn like_match(text: &[char], pat: &[char]) -> bool {
    // Iterative matching with one backtrack point for the last `%` (linear in practice).
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some('%') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some('\\') if p + 1 < pat.len() && pat[p + 1] == text[t] => {
                p += 2;
                t += 1;
                continue;
            }
            Some('_') => {
                p += 1;
                t += 1;
                continue;
            }
            Some(&c) if c != '\\' && c == text[t] => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&c| c == '%')
}

/// CAST targets. (Not `Copy`: a computed string, such as `CAST(CAST(a AS STRING) AS
/// BIGINT)`'s inner value, is a `String`.)
pub trait SqlCast {
    /// `CAST(x AS BIGINT)`: floats truncate toward zero, strings parse (NULL if they do not),
    /// booleans are 0 or 1.
    fn to_bigint(self) -> Option<i64>;
    /// `CAST(x AS DOUBLE)`
    fn to_double(self) -> Option<f64>;
    /// `CAST(x AS STRING)`, as Spark shows the value.
    fn to_string_sql(self) -> String;
    /// `CAST(x AS BOOLEAN)`
    fn to_boolean(self) -> Option<bool>;
}

impl SqlCast for i64 {
    fn to_bigint(self) -> Option<i64> {
        Some(self)
    }
    fn to_double(self) -> Option<f64> {
        Some(self as f64)
    }
    fn to_string_sql(self) -> String {
        ConcatPart::BigInt(self).to_string()
    }
    fn to_boolean(self) -> Option<bool> {
        Some(self != 0)
    }
}

impl SqlCast for f64 {
    fn to_bigint(self) -> Option<i64> {
        self.is_finite().then_some(self as i64)
    }
    fn to_double(self) -> Option<f64> {
        Some(self)
    }
    fn to_string_sql(self) -> String {
        ConcatPart::Double(self).to_string()
    }
    fn to_boolean(self) -> Option<bool> {
        Some(self != 0.0)
    }
}

impl SqlCast for bool {
    fn to_bigint(self) -> Option<i64> {
        Some(i64::from(self))
    }
    fn to_double(self) -> Option<f64> {
        Some(if self { 1.0 } else { 0.0 })
    }
    fn to_string_sql(self) -> String {
        ConcatPart::Boolean(self).to_string()
    }
    fn to_boolean(self) -> Option<bool> {
        Some(self)
    }
}

impl SqlCast for &str {
    fn to_bigint(self) -> Option<i64> {
        let t = self.trim();
        t.parse::<i64>()
            .ok()
            .or_else(|| t.parse::<f64>().ok().and_then(f64::to_bigint))
    }
    fn to_double(self) -> Option<f64> {
        self.trim().parse().ok()
    }
    fn to_string_sql(self) -> String {
        self.to_owned()
    }
    fn to_boolean(self) -> Option<bool> {
        match self.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" => Some(true),
            "false" | "f" | "no" | "n" | "0" => Some(false),
            _ => None,
        }
    }
}

/// A grouped string casts as its text does.
impl SqlCast for KeyStr {
    fn to_bigint(self) -> Option<i64> {
        self.as_str().to_bigint()
    }
    fn to_double(self) -> Option<f64> {
        self.as_str().to_double()
    }
    fn to_string_sql(self) -> String {
        self.into_string()
    }
    fn to_boolean(self) -> Option<bool> {
        self.as_str().to_boolean()
    }
}

/// A computed string (`lower(s)`, `concat(..)`, a CAST's result) casts as its text does.
impl SqlCast for String {
    fn to_bigint(self) -> Option<i64> {
        self.as_str().to_bigint()
    }
    fn to_double(self) -> Option<f64> {
        self.as_str().to_double()
    }
    fn to_string_sql(self) -> String {
        self
    }
    fn to_boolean(self) -> Option<bool> {
        self.as_str().to_boolean()
    }
}

impl SqlCast for Timestamp {
    fn to_bigint(self) -> Option<i64> {
        Some(self.as_millis().div_euclid(1000))
    }
    fn to_double(self) -> Option<f64> {
        Some(self.as_millis() as f64 / 1000.0)
    }
    fn to_string_sql(self) -> String {
        ConcatPart::Timestamp(self).to_string()
    }
    fn to_boolean(self) -> Option<bool> {
        None
    }
}

/// `CAST(x AS BIGINT)`
#[inline]
pub fn cast_bigint<A: SqlCast>(a: Option<A>) -> Option<i64> {
    a?.to_bigint()
}
/// `CAST(x AS DOUBLE)`
#[inline]
pub fn cast_double<A: SqlCast>(a: Option<A>) -> Option<f64> {
    a?.to_double()
}
/// `CAST(x AS STRING)`
#[inline]
pub fn cast_string<A: SqlCast>(a: Option<A>) -> Option<String> {
    a.map(SqlCast::to_string_sql)
}
/// `CAST(x AS BOOLEAN)`
#[inline]
pub fn cast_boolean<A: SqlCast>(a: Option<A>) -> Option<bool> {
    a?.to_boolean()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_propagate_and_division_is_double() {
        assert_eq!(add(Some(1i64), Some(2i64)), Some(3));
        assert_eq!(add(Some(1i64), None::<i64>), None);
        assert_eq!(add(Some(1i64), Some(0.5f64)), Some(1.5));
        assert_eq!(div(Some(7i64), Some(2i64)), Some(3.5));
        assert_eq!(div(Some(7i64), Some(0i64)), None);
        assert_eq!(rem(Some(7i64), Some(0i64)), None);
        assert_eq!(rem(Some(-7i64), Some(2i64)), Some(-1));
    }

    #[test]
    fn three_valued_logic() {
        assert_eq!(and(None, Some(false)), Some(false));
        assert_eq!(and(None, Some(true)), None);
        assert_eq!(or(None, Some(true)), Some(true));
        assert_eq!(or(None, Some(false)), None);
        assert_eq!(not(None), None);
        assert_eq!(lt(Some(1i64), None::<i64>), None);
        assert_eq!(lt(Some(1i64), Some(1.5f64)), Some(true));
        assert_eq!(eq(Some("a"), Some(String::from("a"))), Some(true));
        // Spark: NaN = NaN, NaN above every number, -0.0 = 0.0.
        assert_eq!(eq(Some(f64::NAN), Some(f64::NAN)), Some(true));
        assert_eq!(gt(Some(f64::NAN), Some(f64::INFINITY)), Some(true));
        assert_eq!(lt(Some(1i64), Some(f64::NAN)), Some(true));
        assert_eq!(eq(Some(-0.0f64), Some(0i64)), Some(true));
    }

    #[test]
    fn strings_as_spark() {
        assert_eq!(
            substring(Some("Spark SQL"), Some(5), None),
            Some("k SQL".into())
        );
        assert_eq!(
            substring(Some("Spark SQL"), Some(-3), None),
            Some("SQL".into())
        );
        assert_eq!(
            substring(Some("Spark SQL"), Some(5), Some(1)),
            Some("k".into())
        );
        assert_eq!(
            substring(Some("Spark"), Some(0), Some(2)),
            Some("Sp".into())
        );
        assert_eq!(substring(Some("Spark"), Some(10), Some(2)), Some("".into()));
        let (a, b) = (Some("a"), Some(String::from("b")));
        assert_eq!(concat(&[text_of(&a), text_of(&b)]), Some("ab".into()));
        assert_eq!(concat(&[text_of(&a), text_of(&None::<&str>)]), None);
        assert_eq!(length(Some("héllo")), Some(5));
        assert_eq!(upper(Some("ab")), Some("AB".into()));
    }

    #[test]
    fn concat_shows_numbers_booleans_and_timestamps_as_cast_does() {
        let name = Some("n");
        let parts = [
            text_of(&name),
            text_of(&Some("-")),
            text_of(&Some(3i64)),
            text_of(&Some(1.0f64)),
            text_of(&Some(1e7f64)),
            text_of(&Some(true)),
        ];
        assert_eq!(concat(&parts), Some("n-31.01.0E7true".into()));
        let t = Timestamp::from_millis(0);
        assert_eq!(
            concat(&[text_of(&Some(t))]),
            cast_string(Some(t)),
            "as CAST shows it"
        );
        assert_eq!(concat(&[text_of(&Some(2i64)), text_of(&None::<f64>)]), None);
        // A string is borrowed, not copied.
        assert_eq!(text_of(&name), Some(ConcatPart::Text("n")));
    }

    #[test]
    fn case_branches_widen_bigint_to_double() {
        let (a, b) = (|| Some(2i64), || Some(0.5f64));
        let w = widen((witness(&a), witness(&b)));
        let v: Option<f64> = widened(w, a);
        assert_eq!(v, Some(2.0));
        assert_eq!(widened(w, b), Some(0.5));
        assert_eq!(widened(w, || None::<i64>), None);
        let s = || Some(String::from("x"));
        let same = widen((witness(&s), witness(&s)));
        assert_eq!(widened(same, s), Some(String::from("x")));
        assert_eq!(std::mem::size_of_val(&w), 0);
    }

    #[test]
    fn like_patterns() {
        let l = |s: &str, p: &str| like(Some(s), p) == Some(true);
        assert!(l("spark", "sp%"));
        assert!(l("spark", "%ark"));
        assert!(l("spark", "s_ark"));
        assert!(l("spark", "%"));
        assert!(!l("spark", "s_rk"));
        assert!(l("a%b", "a\\%b"));
        assert!(!l("axb", "a\\%b"));
        assert!(l("", "%"));
        assert!(!l("", "_"));
        assert!(l("abcabc", "%a%c"));
    }

    #[test]
    fn casts() {
        assert_eq!(cast_bigint(Some(" 42 ")), Some(42));
        assert_eq!(cast_bigint(Some("4.7")), Some(4));
        assert_eq!(cast_bigint(Some("x")), None);
        assert_eq!(cast_bigint(Some(-4.7f64)), Some(-4));
        assert_eq!(cast_double(Some(3i64)), Some(3.0));
        assert_eq!(cast_string(Some(1.0f64)), Some("1.0".into()));
        assert_eq!(cast_boolean(Some("true")), Some(true));
    }
}
