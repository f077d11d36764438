//! Time without `std`: a monotonic [`Instant`], a wall-clock [`UnixTime`], and the two
//! calendar formats SLS needs (RFC 1123 for `Date`, ISO-8601 basic for `x-log-date`), which
//! the client writes. It reads one date: the `Date` of a response that refuses a request
//! for its time ([`UnixTime::from_http_date`]), to learn how far the server's clock is.
//!
//! Neither type can read a clock: values come from a runtime's `Clock` (or, in tests, are
//! written down literally). That keeps every decision in the core reproducible.

use alloc::string::String;
use core::fmt::{self, Write as _};
use core::ops::{Add, AddAssign};
use core::time::Duration;

/// A point on a monotonic clock, in nanoseconds since the clock's own origin.
///
/// The origin is arbitrary (a runtime's start, or `0` in a simulation); only differences
/// between instants of the same clock mean anything. Arithmetic saturates instead of
/// wrapping, so a far-future deadline is never turned into a past one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The clock's origin.
    pub const ZERO: Self = Self(0);
    /// The largest representable instant ("never").
    pub const MAX: Self = Self(u64::MAX);

    /// An instant `nanos` nanoseconds after the origin.
    pub const fn from_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    /// An instant `millis` milliseconds after the origin (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis.saturating_mul(1_000_000))
    }

    /// An instant `secs` seconds after the origin (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1_000_000_000))
    }

    /// An instant `d` after the origin (saturating): what a runtime's clock returns for
    /// the time elapsed since its own starting point.
    pub fn from_duration(d: Duration) -> Self {
        Self(duration_nanos(d))
    }

    /// Nanoseconds since the origin.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Time since the origin.
    pub const fn since_origin(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    /// `self + d`, saturating at [`Instant::MAX`].
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(duration_nanos(d)))
    }

    /// `self - earlier`, or zero if `earlier` is later than `self`.
    pub fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Self;
    fn add(self, rhs: Duration) -> Self {
        self.saturating_add(rhs)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = self.saturating_add(rhs);
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Instant({:?})", Duration::from_nanos(self.0))
    }
}

/// A duration as whole nanoseconds, saturating at `u64::MAX` (about 584 years).
pub(crate) fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Wall-clock time: nanoseconds since 1970-01-01T00:00:00Z (UTC, no leap seconds).
///
/// Used for the `Date` / `x-log-date` headers, for log timestamps and for the timestamps of
/// delivery attempts. It may jump (NTP), so it is never used to measure durations.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixTime(u64);

impl UnixTime {
    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: Self = Self(0);

    /// From nanoseconds since the epoch.
    pub const fn from_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    /// From milliseconds since the epoch (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis.saturating_mul(1_000_000))
    }

    /// From whole seconds since the epoch (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1_000_000_000))
    }

    /// `d` after the epoch (saturating), e.g. `SystemTime::duration_since(UNIX_EPOCH)`.
    pub fn from_duration(d: Duration) -> Self {
        Self(duration_nanos(d))
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000_000
    }

    /// Whole seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.0 / 1_000_000_000
    }

    /// The sub-second part, in nanoseconds (`0..1_000_000_000`).
    pub const fn subsec_nanos(self) -> u32 {
        (self.0 % 1_000_000_000) as u32
    }

    /// `self + d`, saturating.
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(duration_nanos(d)))
    }

    /// The calendar date and time of this instant, in UTC.
    pub(crate) fn to_civil(self) -> CivilDateTime {
        CivilDateTime::from_unix_secs(self.as_secs())
    }

    /// RFC 1123 form used by the SLS v1 `Date` header: `Wed, 25 Nov 2026 01:40:30 GMT`
    /// (two-digit zero-padded day, as Go's `http.TimeFormat`).
    pub fn rfc1123(self) -> String {
        let mut s = String::with_capacity(29);
        // Writing into a String cannot fail.
        let _ = self.to_civil().write_rfc1123(&mut s);
        s
    }

    /// ISO-8601 basic form used by the SLS v4 `x-log-date` header: `20220808T032330Z`.
    pub fn iso8601_basic(self) -> String {
        let c = self.to_civil();
        let mut s = String::with_capacity(16);
        let _ = write!(
            s,
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        );
        s
    }

    /// Read the preferred HTTP date form (RFC 9110 `IMF-fixdate`), as servers send it in
    /// `Date`: `Wed, 25 Nov 2026 01:40:30 GMT`. The weekday must be a weekday's name but is
    /// not checked against the date. `None` for the obsolete forms (RFC 850, asctime), a
    /// malformed or impossible date (`31 Nov`), or one before 1970.
    pub fn from_http_date(s: &str) -> Option<Self> {
        let mut fields = s.split_ascii_whitespace();
        let weekday = fields.next()?.strip_suffix(',')?;
        let (day, month, year) = (fields.next()?, fields.next()?, fields.next()?);
        let (time, zone) = (fields.next()?, fields.next()?);
        if !WEEKDAYS.contains(&weekday) || zone != "GMT" || fields.next().is_some() {
            return None;
        }
        let mut hms = time.split(':');
        let (hour, minute, second) = (hms.next()?, hms.next()?, hms.next()?);
        if hms.next().is_some() || day.len() != 2 || year.len() != 4 {
            return None;
        }
        let number = |s: &str| -> Option<u8> {
            (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
        };
        let civil = CivilDateTime {
            year: year
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| year.parse().ok())??,
            month: u8::try_from(MONTHS.iter().position(|m| *m == month)? + 1).ok()?,
            day: number(day)?,
            hour: number(hour)?,
            minute: number(minute)?,
            second: number(second)?,
            weekday: 0,
        };
        if civil.hour > 23 || civil.minute > 59 || civil.second > 59 {
            return None;
        }
        let secs = civil.to_unix_secs()?;
        // `to_unix_secs` rolls `31 Nov` over into December: refuse what does not read back.
        let back = CivilDateTime::from_unix_secs(secs);
        ((back.year, back.month, back.day) == (civil.year, civil.month, civil.day))
            .then(|| Self::from_secs(secs))
    }

    /// The `YYYYMMDD` date used in the v4 credential scope.
    pub fn yyyymmdd(self) -> String {
        let c = self.to_civil();
        let mut s = String::with_capacity(8);
        let _ = write!(s, "{:04}{:02}{:02}", c.year, c.month, c.day);
        s
    }
}

impl fmt::Debug for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.to_civil();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
            c.year,
            c.month,
            c.day,
            c.hour,
            c.minute,
            c.second,
            self.subsec_nanos()
        )
    }
}

/// A UTC calendar date and time of day (proleptic Gregorian calendar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilDateTime {
    /// Year, e.g. `2026`.
    pub year: i64,
    /// Month, `1..=12`.
    pub month: u8,
    /// Day of the month, `1..=31`.
    pub day: u8,
    /// Hour, `0..=23`.
    pub hour: u8,
    /// Minute, `0..=59`.
    pub minute: u8,
    /// Second, `0..=59`.
    pub second: u8,
    /// Day of the week, `0` = Sunday … `6` = Saturday.
    pub weekday: u8,
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl CivilDateTime {
    /// The UTC calendar time `secs` seconds after the Unix epoch.
    pub fn from_unix_secs(secs: u64) -> Self {
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        let (year, month, day) = civil_from_days(days);
        Self {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
            // 1970-01-01 was a Thursday (4).
            weekday: ((days + 4).rem_euclid(7)) as u8,
        }
    }

    /// Seconds since the Unix epoch of this calendar time (inverse of
    /// [`CivilDateTime::from_unix_secs`]; `weekday` is ignored). `None` before 1970.
    pub fn to_unix_secs(self) -> Option<u64> {
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        u64::try_from(secs).ok()
    }

    fn write_rfc1123(&self, w: &mut impl fmt::Write) -> fmt::Result {
        write!(
            w,
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
            WEEKDAYS[usize::from(self.weekday)],
            self.day,
            MONTHS[usize::from(self.month - 1)],
            self.year,
            self.hour,
            self.minute,
            self.second
        )
    }
}

/// Days since 1970-01-01 → (year, month, day). Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) → days since 1970-01-01. Inverse of [`civil_from_days`].
fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1123_matches_python_sdk_capture() {
        // Date header of the request captured from aliyun-log-python-sdk (recipes §5).
        assert_eq!(
            UnixTime::from_secs(1_795_570_830).rfc1123(),
            "Wed, 25 Nov 2026 01:40:30 GMT"
        );
    }

    #[test]
    fn rfc1123_zero_pads_the_day_like_go() {
        // 2010-01-03 08:33:47 UTC, the day of the Go signature vector.
        assert_eq!(
            UnixTime::from_secs(1_262_507_627).rfc1123(),
            "Sun, 03 Jan 2010 08:33:47 GMT"
        );
        assert_eq!(UnixTime::EPOCH.rfc1123(), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn http_dates_read_back_what_rfc1123_writes() {
        assert_eq!(
            UnixTime::from_http_date("Wed, 25 Nov 2026 01:40:30 GMT"),
            Some(UnixTime::from_secs(1_795_570_830))
        );
        assert_eq!(
            UnixTime::from_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UnixTime::EPOCH)
        );
        for days in (0..365 * 200).step_by(7) {
            let t = UnixTime::from_secs(days * 86_400 + (days * 37) % 86_400);
            assert_eq!(UnixTime::from_http_date(&t.rfc1123()), Some(t), "{t:?}");
        }
    }

    #[test]
    fn http_dates_in_other_forms_or_impossible_are_refused() {
        for s in [
            "",
            "Wed, 25 Nov 2026 01:40:30",
            "Wed, 25 Nov 2026 01:40:30 UTC",
            "Wed, 25 Nov 2026 01:40:30 GMT trailing",
            "Wednesday, 25-Nov-26 01:40:30 GMT",
            "Wed Nov 25 01:40:30 2026",
            "Wed 25 Nov 2026 01:40:30 GMT",
            "Xyz, 25 Nov 2026 01:40:30 GMT",
            "Wed, 5 Nov 2026 01:40:30 GMT",
            "Wed, 31 Nov 2026 01:40:30 GMT",
            "Sun, 29 Feb 2026 01:40:30 GMT",
            "Wed, 25 Nvb 2026 01:40:30 GMT",
            "Wed, 25 Nov 26 01:40:30 GMT",
            "Wed, 25 Nov +026 01:40:30 GMT",
            "Wed, 25 Nov 2026 24:00:00 GMT",
            "Wed, 25 Nov 2026 01:60:30 GMT",
            "Wed, 25 Nov 2026 01:40:60 GMT",
            "Wed, 25 Nov 2026 1:40:30 GMT",
            "Wed, 25 Nov 2026 01:40:30:00 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
        ] {
            assert_eq!(UnixTime::from_http_date(s), None, "{s:?}");
        }
        assert!(UnixTime::from_http_date("Thu, 29 Feb 2024 12:00:00 GMT").is_some());
    }

    #[test]
    fn iso8601_basic_matches_v4_vector_date() {
        let u = UnixTime::from_secs(1_659_929_010);
        assert_eq!(u.iso8601_basic(), "20220808T032330Z");
        assert_eq!(u.yyyymmdd(), "20220808");
        assert_eq!(u.to_civil().weekday, 1); // a Monday
    }

    #[test]
    fn leap_days_and_century_rules() {
        for (y, m, d) in [
            (2000, 2, 29),
            (2024, 2, 29),
            (2100, 3, 1),
            (1970, 1, 1),
            (2038, 1, 19),
            (2106, 2, 7),
        ] {
            let days = days_from_civil(y, m, d);
            assert_eq!(civil_from_days(days), (y, m, d));
        }
        // 2100 is no leap year, 2000 is.
        assert_eq!(
            civil_from_days(days_from_civil(2100, 2, 28) + 1),
            (2100, 3, 1)
        );
        assert_eq!(
            civil_from_days(days_from_civil(2000, 2, 28) + 1),
            (2000, 2, 29)
        );
    }

    #[test]
    fn every_day_for_three_centuries_round_trips() {
        let mut prev_weekday = None;
        for days in 0..(365 * 300) {
            let secs = days as u64 * 86_400 + 3723;
            let c = CivilDateTime::from_unix_secs(secs);
            assert_eq!(c.to_unix_secs(), Some(secs));
            if let Some(p) = prev_weekday {
                assert_eq!(c.weekday, (p + 1) % 7);
            }
            prev_weekday = Some(c.weekday);
        }
    }

    #[test]
    fn instant_arithmetic_saturates() {
        let t = Instant::from_millis(5);
        assert_eq!(t + Duration::from_millis(3), Instant::from_millis(8));
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(
            Instant::from_millis(1).saturating_duration_since(Instant::from_millis(9)),
            Duration::ZERO
        );
        assert_eq!(Instant::ZERO + Duration::MAX, Instant::MAX);
    }
}
