//! Reading request dates: the HTTP date of `Date` (and of v1's `x-log-date`),
//! `Wed, 25 Nov 2026 01:40:30 GMT`, and the ISO 8601 basic form of v4's `x-log-date`,
//! `20261125T014030Z`. Both are UTC; the result is seconds since the Unix epoch.
//!
//! The client only writes dates; reading them is the server's own code, written from the
//! two formats (RFC 7231 §7.1.1.1 and ISO 8601), so a date the client gets wrong is caught
//! here rather than read back by the same mistake.

use sls_producer_core::rt::UnixTime;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `Wed, 25 Nov 2026 01:40:30 GMT`. A one-digit day is read too (the Go SDK's signature
/// vector has one), and the weekday must be a weekday's name but is not compared with the
/// date (that vector's is wrong). `None` for anything else, or a date before 1970.
pub(crate) fn parse_http_date(s: &str) -> Option<UnixTime> {
    let mut fields = s.split_ascii_whitespace();
    let weekday = fields.next()?.strip_suffix(',')?;
    let day = digits(fields.next()?, 1..=2)?;
    let month_name = fields.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? + 1;
    let year = digits(fields.next()?, 4..=4)?;
    let time = fields.next()?;
    if fields.next()? != "GMT" || fields.next().is_some() || !WEEKDAYS.contains(&weekday) {
        return None;
    }
    let mut hms = time.split(':');
    let hour = digits(hms.next()?, 2..=2)?;
    let minute = digits(hms.next()?, 2..=2)?;
    let second = digits(hms.next()?, 2..=2)?;
    if hms.next().is_some() {
        return None;
    }
    to_unix(year, month as u64, day, hour, minute, second)
}

/// `YYYYMMDDTHHMMSSZ`, e.g. `20220808T032330Z`. `None` for anything else, or a date
/// before 1970.
pub(crate) fn parse_iso8601_basic(s: &str) -> Option<UnixTime> {
    let (date, time) = s.strip_suffix('Z')?.split_once('T')?;
    if date.len() != 8 || time.len() != 6 {
        return None;
    }
    let field = |s: &str, range: core::ops::Range<usize>| digits(s.get(range)?, 1..=4);
    to_unix(
        field(date, 0..4)?,
        field(date, 4..6)?,
        field(date, 6..8)?,
        field(time, 0..2)?,
        field(time, 2..4)?,
        field(time, 4..6)?,
    )
}

/// A decimal number of `len` ASCII digits (no sign, no spaces).
fn digits(s: &str, len: core::ops::RangeInclusive<usize>) -> Option<u64> {
    if !len.contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The calendar time as a Unix time; `None` if a field is out of range (a leap second, `60`,
/// is allowed) or the date is before 1970.
fn to_unix(
    year: u64,
    month: u64,
    day: u64,
    hour: u64,
    minute: u64,
    second: u64,
) -> Option<UnixTime> {
    if year < 1970
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_before_year(year) + days_before_month(year, month) + day - 1;
    Some(UnixTime::from_secs(
        days * 86_400 + hour * 3600 + minute * 60 + second,
    ))
}

fn is_leap_year(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to January 1st of `year` (≥ 1970).
fn days_before_year(year: u64) -> u64 {
    // Leap years among 1..=y.
    let leap_years = |y: u64| y / 4 - y / 100 + y / 400;
    365 * (year - 1970) + leap_years(year - 1) - leap_years(1969)
}

/// Days from January 1st to the first of `month` in `year`.
fn days_before_month(year: u64, month: u64) -> u64 {
    (1..month).map(|m| days_in_month(year, m)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(t: Option<UnixTime>) -> Option<u64> {
        t.map(UnixTime::as_secs)
    }

    #[test]
    fn known_dates() {
        // The Python SDK capture (infra recipes §5), and the Go v1 vector's one-digit day.
        assert_eq!(
            secs(parse_http_date("Wed, 25 Nov 2026 01:40:30 GMT")),
            Some(1_795_570_830)
        );
        assert_eq!(
            secs(parse_http_date("Mon, 3 Jan 2010 08:33:47 GMT")),
            Some(1_262_507_627)
        );
        assert_eq!(
            secs(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT")),
            Some(0)
        );
        // The Go v4 vector's date: 2022-08-08T03:23:30Z.
        assert_eq!(
            secs(parse_iso8601_basic("20220808T032330Z")),
            Some(1_659_929_010)
        );
        assert_eq!(
            secs(parse_iso8601_basic("20000229T235960Z")),
            Some(951_868_800)
        );
    }

    #[test]
    fn leap_years_follow_the_gregorian_rules() {
        assert!(parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT").is_some());
        assert!(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT").is_some());
        assert!(parse_http_date("Mon, 29 Feb 2100 00:00:00 GMT").is_none());
        assert!(parse_http_date("Sun, 29 Feb 2026 00:00:00 GMT").is_none());
        assert!(parse_iso8601_basic("21000229T000000Z").is_none());
        assert!(parse_iso8601_basic("20240229T000000Z").is_some());
    }

    /// Every day of three centuries, formatted by the client and read by the server: two
    /// implementations of the calendar agree.
    #[test]
    fn reads_what_the_client_writes() {
        for day in 0..(365 * 300) {
            let t = UnixTime::from_secs(day * 86_400 + 3723 + day % 86_400);
            assert_eq!(parse_http_date(&t.rfc1123()), Some(t), "{}", t.rfc1123());
            assert_eq!(
                parse_iso8601_basic(&t.iso8601_basic()),
                Some(t),
                "{}",
                t.iso8601_basic()
            );
        }
    }

    #[test]
    fn refuses_garbage() {
        for s in [
            "",
            "Wed, 25 Nov 2026 01:40:30",
            "Wed, 25 Foo 2026 01:40:30 GMT",
            "Wed, 32 Nov 2026 01:40:30 GMT",
            "Wed, 31 Nov 2026 01:40:30 GMT",
            "Wed, 0 Nov 2026 01:40:30 GMT",
            "Wed, 25 Nov 2026 24:00:00 GMT",
            "Wed, 25 Nov 2026 01:60:00 GMT",
            "Wed, 25 Nov 2026 1:40:30 GMT",
            "Wed, 25 Nov 2026 01:40:30:00 GMT",
            "Wed 25 Nov 2026 01:40:30 GMT",
            "Xyz, 25 Nov 2026 01:40:30 GMT",
            "Wed, 25 Nov 2026 01:40:30 UTC",
            "Wed, 25 Nov 2026 01:40:30 GMT extra",
            "Wed, +5 Nov 2026 01:40:30 GMT",
            "Wed, 25 Nov 26 01:40:30 GMT",
            "Wed, 25 Nov 1969 01:40:30 GMT",
            "yesterday",
        ] {
            assert_eq!(parse_http_date(s), None, "{s:?}");
        }
        for s in [
            "",
            "20221308T032330Z",
            "20220800T032330Z",
            "20220808T242330Z",
            "2022-8-08T03233Z",
            "20220808T032330",
            "2022080aT032330Z",
            "20220808 032330Z",
            "19691231T235959Z",
            "20220808T03233+Z",
            "20220808T0323300Z",
        ] {
            assert_eq!(parse_iso8601_basic(s), None, "{s:?}");
        }
    }
}
