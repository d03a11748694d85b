//! [`Timestamp`] and [`Window`], shown as Spark shows them.

use std::fmt;

use crate::show::SparkDisplay;

/// When an event happened: milliseconds since the Unix epoch (UTC).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub const fn from_secs(s: i64) -> Self {
        Timestamp(s.saturating_mul(1000))
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }
}

/// `2026-12-01 11:50:00` (UTC; milliseconds shown only when there are some), as Spark
/// shows a timestamp.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        let secs = ms.div_euclid(1000);
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        )?;
        match ms.rem_euclid(1000) {
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
    pub start: Timestamp,
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
}
