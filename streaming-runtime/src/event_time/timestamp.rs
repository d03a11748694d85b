//! [`Timestamp`] and [`Window`], shown as Spark shows them, read as Spark reads them.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use crate::show::SparkDisplay;

/// When an event happened: milliseconds since the Unix epoch (UTC), Spark's `TimestampType`
/// at millisecond precision.
///
/// It is event time, which a record carries: `event_time(f)` reads it, event-time windows
/// and the watermark compare it. The batch clock's [`BatchTime`](crate::BatchTime) is a
/// different quantity on purpose: processing time, unsigned, and with the manual clock of
/// the tests (`run_batches`) not an instant at all (batch `k` at `k × interval` from 0), so
/// the two are separate types and a window in one is never compared with a time in the
/// other by mistake. [`BatchTime::to_timestamp`](crate::BatchTime::to_timestamp) converts
/// a real-clock batch time when a job wants to compare them (the lag of its input, say).
///
/// Reading one ([`Timestamp::parse`], [`FromStr`], serde from JSON or CSV) accepts what
/// Spark's casts and its JSON/CSV readers accept, without a session time zone (text with
/// no offset is UTC):
///
/// - ISO-8601 / RFC 3339 text: `2026-12-01T11:50:00Z`, `2026-12-01 11:50:00.250`,
///   `2026-12-01T11:50:00+01:00`, `2026-12-01T11:50`, a date alone (`2026-12-01`, midnight);
/// - a number: seconds since the epoch, as Spark reads a JSON number or casts a number to a
///   timestamp (`1764590400`, `1764590400.25`), in JSON as a number or as text.
///
/// Serialised, a timestamp is RFC 3339 text (`2026-12-01T11:50:00Z`, with `.250` when it
/// has milliseconds) in human-readable formats (JSON) and its milliseconds in binary ones
/// (the checkpoint's postcard), so a checkpoint keeps the form it always had.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The Unix epoch, 1970-01-01 00:00:00 UTC.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// The instant `ms` milliseconds after the epoch (before it when negative).
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// The instant `s` seconds after the epoch (before it when negative), saturating.
    pub const fn from_secs(s: i64) -> Self {
        Timestamp(s.saturating_mul(1000))
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch, rounded down (a time before the epoch rounds away
    /// from it, as Spark's `unix_seconds` does).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// The system clock's time now.
    pub fn now() -> Self {
        Timestamp::from(SystemTime::now())
    }

    /// Reads ISO-8601 / RFC 3339 text or a number of seconds since the epoch (see the
    /// type's documentation for the forms).
    pub fn parse(text: &str) -> Result<Self, ParseTimestampError> {
        parse(text.trim()).ok_or_else(|| ParseTimestampError(text.to_string()))
    }

    /// `self + d`, or `None` past the range of milliseconds an `i64` holds.
    pub fn checked_add(self, d: Duration) -> Option<Self> {
        let ms = i64::try_from(d.as_millis()).ok()?;
        self.0.checked_add(ms).map(Timestamp)
    }

    /// `self - d`, or `None` past the range of milliseconds an `i64` holds.
    pub fn checked_sub(self, d: Duration) -> Option<Self> {
        let ms = i64::try_from(d.as_millis()).ok()?;
        self.0.checked_sub(ms).map(Timestamp)
    }

    /// How long after `earlier` this is, or `None` when it is before it (as
    /// `SystemTime::duration_since`).
    pub fn duration_since(self, earlier: Timestamp) -> Option<Duration> {
        let ms = self.0.checked_sub(earlier.0)?;
        u64::try_from(ms).ok().map(Duration::from_millis)
    }
}

/// Whole milliseconds of `d` as an `i64`, saturating.
fn millis_i64(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// `t + d`, saturating at the ends of the range (as the watermark's arithmetic does).
impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(millis_i64(d)))
    }
}

/// `t - d`, saturating at the ends of the range.
impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(millis_i64(d)))
    }
}

impl AddAssign<Duration> for Timestamp {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl SubAssign<Duration> for Timestamp {
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => Timestamp(millis_i64(after)),
            Err(before) => Timestamp(millis_i64(before.duration()).saturating_neg()),
        }
    }
}

/// Text that is no timestamp (see [`Timestamp`] for the forms read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a timestamp: expected ISO-8601 text such as `2026-12-01T11:50:00Z` or \
     `2026-12-01 11:50:00`, or seconds since the Unix epoch"
)]
pub struct ParseTimestampError(String);

impl FromStr for Timestamp {
    type Err = ParseTimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

/// The forms of [`Timestamp::parse`], on trimmed text.
fn parse(text: &str) -> Option<Timestamp> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    if text.is_empty() {
        return None;
    }
    if let Some(t) = epoch_seconds(text) {
        return Some(t);
    }
    // RFC 3339 (`T` or a space between date and time, `Z` or an offset).
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(Timestamp(t.timestamp_millis()));
    }
    // ISO-8601 forms RFC 3339 leaves out: an offset without a colon, no offset (UTC), no
    // seconds, a date alone.
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(Timestamp(t.timestamp_millis()));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        let utc = text.strip_suffix(['Z', 'z']).unwrap_or(text);
        if let Ok(t) = NaiveDateTime::parse_from_str(utc, format) {
            return Some(Timestamp(t.and_utc().timestamp_millis()));
        }
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(Timestamp(
        date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis(),
    ))
}

/// `1764590400` or `-1.5`: seconds since the epoch, to the millisecond.
fn epoch_seconds(text: &str) -> Option<Timestamp> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if let Ok(s) = text.parse::<i64>() {
        return Some(Timestamp::from_secs(s));
    }
    seconds_f64(text.parse::<f64>().ok()?)
}

fn seconds_f64(s: f64) -> Option<Timestamp> {
    let ms = (s * 1000.0).round();
    // i64's range, as an f64 can hold it: anything beyond is not a time.
    (ms.is_finite() && ms.abs() < 9.2e18).then_some(Timestamp(ms as i64))
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(&format_args!("{}", Rfc3339(*self)))
        } else {
            // A newtype around its milliseconds, the form checkpoints have always held.
            serializer.serialize_newtype_struct("Timestamp", &self.0)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(TimestampVisitor)
        } else {
            deserializer.deserialize_newtype_struct("Timestamp", TimestampVisitor)
        }
    }
}

/// Text, seconds as a number (JSON), or the milliseconds of a binary format.
struct TimestampVisitor;

impl<'de> serde::de::Visitor<'de> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp: ISO-8601 text or seconds since the Unix epoch")
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Timestamp, D::Error> {
        let ms = <i64 as serde::Deserialize>::deserialize(deserializer)?;
        Ok(Timestamp(ms))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
        Timestamp::parse(v).map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Timestamp, E> {
        Ok(Timestamp::from_secs(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Timestamp, E> {
        Ok(Timestamp::from_secs(i64::try_from(v).unwrap_or(i64::MAX)))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Timestamp, E> {
        seconds_f64(v).ok_or_else(|| E::custom(format!("{v} seconds is not a timestamp")))
    }
}

/// RFC 3339 in UTC: `2026-12-01T11:50:00Z`, `.250` before the `Z` when there are
/// milliseconds.
struct Rfc3339(Timestamp);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, ms) = civil(self.0);
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")?;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        f.write_str("Z")
    }
}

/// Year, month, day, hour, minute, second and millisecond of `t` in UTC.
fn civil(t: Timestamp) -> (i64, u32, u32, i64, i64, i64, i64) {
    let ms = t.0;
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    (
        y,
        m,
        d,
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        ms.rem_euclid(1000),
    )
}

/// `2026-12-01 11:50:00` (UTC; milliseconds shown only when there are some), as Spark
/// shows a timestamp.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, ms) = civil(*self);
        write!(f, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")?;
        match ms {
            0 => Ok(()),
            frac => write!(f, ".{frac:03}"),
        }
    }
}

impl SparkDisplay for Timestamp {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// An event-time window `[start, end)`: it holds the events at or after `start` and before
/// `end`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Window {
    /// The first instant in the window.
    pub start: Timestamp,
    /// The first instant after the window (`end` is excluded).
    pub end: Timestamp,
}

/// `[2026-12-01 11:50:00, 2026-12-01 12:00:00]`, Spark's way of showing a window.
impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}]", self.start, self.end)
    }
}

impl SparkDisplay for Window {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

crate::into_owned_by_identity!(Timestamp, Window);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_windows_show_as_utc_date_times() {
        assert_eq!(Timestamp::from_secs(0).to_string(), "1970-01-01 00:00:00");
        assert_eq!(
            Timestamp::from_millis(1_764_590_400_250).to_string(),
            "2025-12-01 12:00:00.250"
        );
        assert_eq!(
            Timestamp::from_secs(951_782_400).to_string(),
            "2000-02-29 00:00:00"
        );
        assert_eq!(Timestamp::from_secs(-1).to_string(), "1969-12-31 23:59:59");
        let w = Window {
            start: Timestamp::from_secs(600),
            end: Timestamp::from_secs(1200),
        };
        assert_eq!(w.to_string(), "[1970-01-01 00:10:00, 1970-01-01 00:20:00]");
    }

    #[test]
    fn seconds_round_down_and_durations_add_and_subtract() {
        assert_eq!(Timestamp::from_millis(1_999).as_secs(), 1);
        assert_eq!(Timestamp::from_millis(-1).as_secs(), -1);
        let t = Timestamp::from_secs(100);
        assert_eq!(
            t + Duration::from_millis(250),
            Timestamp::from_millis(100_250)
        );
        assert_eq!(t - Duration::from_secs(101), Timestamp::from_secs(-1));
        let mut u = t;
        u += Duration::from_secs(5);
        u -= Duration::from_secs(1);
        assert_eq!(u, Timestamp::from_secs(104));
        assert_eq!(u.duration_since(t), Some(Duration::from_secs(4)));
        assert_eq!(t.duration_since(u), None);
        assert_eq!(
            Timestamp::from_millis(i64::MAX) + Duration::from_secs(1),
            Timestamp::from_millis(i64::MAX)
        );
        assert_eq!(
            Timestamp::from_millis(i64::MAX).checked_add(Duration::from_millis(1)),
            None
        );
        assert_eq!(
            Timestamp::from(SystemTime::UNIX_EPOCH + Duration::from_millis(7)),
            Timestamp::from_millis(7)
        );
    }

    #[test]
    fn iso_8601_text_and_epoch_seconds_parse_as_spark_reads_them() {
        let noon = Timestamp::from_millis(1_764_590_400_000); // 2025-12-01 12:00:00 UTC
        for text in [
            "2025-12-01T12:00:00Z",
            "2025-12-01T12:00:00.000Z",
            "2025-12-01 12:00:00",
            "2025-12-01T12:00:00",
            "2025-12-01T12:00",
            "2025-12-01 12:00Z",
            "2025-12-01T13:00:00+01:00",
            "2025-12-01T13:00:00+0100",
            "2025-12-01 07:00:00-05:00",
            "  2025-12-01T12:00:00Z ",
            "1764590400",
            "1764590400.0",
        ] {
            assert_eq!(Timestamp::parse(text), Ok(noon), "{text}");
        }
        assert_eq!(
            "2025-12-01T12:00:00.25Z".parse::<Timestamp>(),
            Ok(Timestamp::from_millis(1_764_590_400_250))
        );
        assert_eq!(
            Timestamp::parse("1764590400.25"),
            Ok(Timestamp::from_millis(1_764_590_400_250))
        );
        assert_eq!(
            Timestamp::parse("2025-12-01"),
            Ok(Timestamp::from_secs(1_764_547_200))
        );
        assert_eq!(Timestamp::parse("-1"), Ok(Timestamp::from_secs(-1)));
        for bad in [
            "",
            "yesterday",
            "2025-13-01",
            "2025-12-01T25:00:00Z",
            "12:00",
            "1.2.3",
            "NaN",
        ] {
            let err = Timestamp::parse(bad).unwrap_err();
            assert!(
                err.to_string().contains("is not a timestamp"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn json_reads_text_and_seconds_and_writes_rfc_3339() {
        #[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
        struct Event {
            time: Timestamp,
        }
        let read = |json: &str| serde_json::from_str::<Event>(json).map(|e| e.time);
        let t = Timestamp::from_millis(1_764_590_400_250);
        assert_eq!(read(r#"{"time":"2025-12-01T12:00:00.250Z"}"#).unwrap(), t);
        assert_eq!(read(r#"{"time":"2025-12-01 12:00:00.250"}"#).unwrap(), t);
        assert_eq!(read(r#"{"time":1764590400.25}"#).unwrap(), t);
        assert_eq!(
            read(r#"{"time":1764590400}"#).unwrap(),
            Timestamp::from_secs(1_764_590_400)
        );
        assert_eq!(
            read(r#"{"time":"1764590400"}"#).unwrap(),
            Timestamp::from_secs(1_764_590_400)
        );
        let err = read(r#"{"time":"soon"}"#).unwrap_err().to_string();
        assert!(err.contains("`soon` is not a timestamp"), "{err}");
        assert_eq!(
            serde_json::to_string(&Event { time: t }).unwrap(),
            r#"{"time":"2025-12-01T12:00:00.250Z"}"#
        );
        assert_eq!(
            serde_json::to_string(&Timestamp::from_secs(0)).unwrap(),
            r#""1970-01-01T00:00:00Z""#
        );
        // Round trip through both forms.
        for ms in [0, 1, -1, 1_764_590_400_250, -86_400_001] {
            let t = Timestamp::from_millis(ms);
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(
                serde_json::from_str::<Timestamp>(&json).unwrap(),
                t,
                "{json}"
            );
        }
    }

    #[test]
    fn checkpoints_keep_a_timestamp_as_its_milliseconds() {
        let t = Timestamp::from_millis(-1_764_590_400_250);
        let bytes = postcard::to_allocvec(&t).unwrap();
        // The bytes of the bare i64: the form a checkpoint held before serde was written by
        // hand (the derived newtype).
        assert_eq!(bytes, postcard::to_allocvec(&t.as_millis()).unwrap());
        assert_eq!(postcard::from_bytes::<Timestamp>(&bytes).unwrap(), t);
        let w = Window {
            start: t,
            end: Timestamp::from_millis(5),
        };
        let bytes = postcard::to_allocvec(&w).unwrap();
        assert_eq!(postcard::from_bytes::<Window>(&bytes).unwrap(), w);
    }
}
