//! Clock skew: what a server's refusal of a request for its time teaches about the
//! server's clock, and the immediate, re-signed retry that follows.
//!
//! SLS refuses a request whose date is more than 15 minutes from its own clock with
//! `400 RequestTimeExpired` (S3-style servers say `RequestTimeTooSkewed`), and its `Date`
//! header tells its time. The engine keeps one [`ClockOffset`] per endpoint and signs
//! with `wall + offset`:
//!
//! * a refusal whose `Date` is at least [`MIN_CORRECTION`] from the offset the request was
//!   signed with teaches a new offset ([`Decision::ClockCorrected`]), and the batch is
//!   retried at once, re-signed;
//! * a refusal of a request signed before another answer taught the current offset is
//!   retried at once with it, teaching nothing;
//! * a refusal that agrees with the offset the request was signed with teaches nothing
//!   and is classified like any other answer (400 is not retried by default): a server
//!   that keeps refusing does not make the producer loop.
//!
//! Every immediate retry is an attempt like any other: it counts against `max_retries`
//! and respects the delivery and close deadlines. Log times are never changed here.
//!
//! Only signed requests (PutLogs) are looked at: web tracking's carry no date of the
//! producer's, so without the `signing` feature none of this is linked.

use core::time::Duration;

use super::batch::{BatchId, Phase};
use super::retry;
use super::{AttemptId, Decision, Engine};
use crate::protocol::http::HttpResponse;
use crate::protocol::response::parse_error_body;
use crate::protocol::time::{Instant, UnixTime, duration_nanos};

/// The SLS error codes that refuse a request for its date.
const TIME_REFUSALS: [&str; 2] = ["RequestTimeExpired", "RequestTimeTooSkewed"];

/// A refusal whose server date is closer than this to the offset the request was signed
/// with teaches nothing: the `Date` header has a one-second resolution and the answer
/// travelled for a while, so such a difference cannot explain the refusal (SLS tolerates
/// 15 minutes), and correcting by it would only invite another refusal.
pub(crate) const MIN_CORRECTION: Duration = Duration::from_secs(5);

/// How far a server's clock is from the producer's wall clock: positive when the server is
/// ahead. The engine signs requests to that server with the producer's time plus this.
///
/// ```
/// use sls_producer_core::engine::ClockOffset;
/// use sls_producer_core::rt::UnixTime;
///
/// let ours = UnixTime::from_secs(1_000);
/// let offset = ClockOffset::between(ours, UnixTime::from_secs(4_600));
/// assert_eq!(offset.as_millis(), 3_600_000);
/// assert_eq!(offset.apply(ours), UnixTime::from_secs(4_600));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockOffset(i64);

impl ClockOffset {
    /// The clocks agree.
    pub const ZERO: Self = Self(0);

    /// An offset of `nanos` nanoseconds (negative: the server is behind).
    pub const fn from_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    /// How far `server` is from `local` (saturating at ±292 years).
    pub fn between(local: UnixTime, server: UnixTime) -> Self {
        let (l, s) = (local.as_nanos(), server.as_nanos());
        let magnitude = i64::try_from(l.abs_diff(s)).unwrap_or(i64::MAX);
        Self(if s >= l { magnitude } else { -magnitude })
    }

    /// The offset in nanoseconds.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// The offset in whole milliseconds (rounded toward zero).
    pub const fn as_millis(self) -> i64 {
        self.0 / 1_000_000
    }

    /// How large the offset is, whichever way.
    pub const fn magnitude(self) -> Duration {
        Duration::from_nanos(self.0.unsigned_abs())
    }

    /// `local` moved by the offset: the server's time when ours is `local` (saturating at
    /// the epoch and at the largest time).
    pub fn apply(self, local: UnixTime) -> UnixTime {
        let moved = if self.0 >= 0 {
            local.as_nanos().saturating_add(self.0.unsigned_abs())
        } else {
            local.as_nanos().saturating_sub(self.0.unsigned_abs())
        };
        UnixTime::from_nanos(moved)
    }
}

/// The server's time from an answer that refuses a request for its date: the `Date` of
/// a 4xx `RequestTimeExpired` or `RequestTimeTooSkewed`. `None` for any other answer, and
/// for one without a readable `Date` (a browser's `fetch` hides it unless the server
/// exposes it to CORS).
pub(crate) fn refusal_date(response: &HttpResponse) -> Option<UnixTime> {
    if !(400..500).contains(&response.status) {
        return None;
    }
    let date = UnixTime::from_http_date(response.header("date")?)?;
    let error = parse_error_body(&response.body)?;
    TIME_REFUSALS.contains(&error.code.as_str()).then_some(date)
}

/// What a refusal for time teaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lesson {
    /// Another answer changed the offset since the request was signed: retry with it.
    AlreadyLearned,
    /// The server's clock is this far from ours: sign with it from now on, and retry.
    Learn(ClockOffset),
    /// The request was signed with the offset the server's date shows: nothing to learn.
    Nothing,
}

/// What a refusal for time, answered with the server's `server` date when our clock read
/// `local`, teaches about a request signed with `signed_with` while the endpoint's offset
/// is now `current`.
pub(crate) fn lesson(
    signed_with: ClockOffset,
    current: ClockOffset,
    local: UnixTime,
    server: UnixTime,
) -> Lesson {
    if signed_with != current {
        return Lesson::AlreadyLearned;
    }
    let shown = ClockOffset::between(local, server);
    let change = shown.0.abs_diff(signed_with.0);
    if change >= duration_nanos(MIN_CORRECTION) {
        Lesson::Learn(shown)
    } else {
        Lesson::Nothing
    }
}

impl<T> Engine<T> {
    /// The server refused `attempt` of batch `id` for its date, answering at `server` (its
    /// clock) when ours read `wall`. Learn the endpoint's offset if the answer teaches one,
    /// and retry the batch at once if it may be (see the module docs). Returns whether it
    /// is retried; if not, the answer is classified as usual.
    pub(super) fn time_refused(
        &mut self,
        now: Instant,
        wall: UnixTime,
        attempt: AttemptId,
        id: BatchId,
        server: UnixTime,
    ) -> bool {
        let Some(batch) = self.batches.get(&id) else {
            return false;
        };
        let current = self.destinations.offset(batch.to);
        let lesson = lesson(batch.signed_offset, current, wall, server);
        if let Lesson::Learn(offset) = lesson {
            self.destinations.set_offset(batch.to, offset);
            self.stats.clock_corrections += 1;
            self.stats.clock_offset = offset;
            self.decide(Decision::ClockCorrected {
                attempt,
                project: batch.route.project().into(),
                previous: current,
                offset,
            });
        }
        if lesson == Lesson::Nothing {
            return false;
        }
        let batch = self.batches.get_mut(&id).expect("checked above");
        let attempts = batch.history.total();
        let close_deadline = self.closing.and_then(|c| c.deadline);
        let allowed = retry::schedule_retry(
            now,
            attempts,
            self.settings.max_retries,
            Duration::ZERO,
            batch.delivery_deadline,
            close_deadline,
        );
        if allowed.is_err() {
            return false;
        }
        batch.phase = Phase::Queued;
        let record = batch.history.last().cloned();
        self.ready.push_back(id);
        self.stats.retries += 1;
        if let Some(record) = record {
            self.decide(Decision::Retry {
                attempt: Some(attempt),
                attempts,
                delay: Duration::ZERO,
                refresh_credentials: false,
                record,
            });
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    const LOCAL: UnixTime = UnixTime::from_secs(1_700_000_000);

    fn secs(n: i64) -> ClockOffset {
        ClockOffset::from_nanos(n * 1_000_000_000)
    }

    fn refusal(status: u16, code: &str, date: Option<&str>) -> HttpResponse {
        let body = format!(r#"{{"errorCode":"{code}","errorMessage":"m"}}"#);
        let response = HttpResponse::new(status).with_body(body);
        match date {
            Some(date) => response.with_header("Date", date),
            None => response,
        }
    }

    #[test]
    fn offsets_move_times_either_way_and_saturate() {
        assert_eq!(ClockOffset::between(LOCAL, LOCAL), ClockOffset::ZERO);
        let behind = ClockOffset::between(LOCAL, UnixTime::from_secs(1_699_996_400));
        assert_eq!(behind, secs(-3600));
        assert_eq!(behind.magnitude(), Duration::from_secs(3600));
        assert_eq!(behind.apply(LOCAL), UnixTime::from_secs(1_699_996_400));
        assert_eq!(secs(-1).apply(UnixTime::EPOCH), UnixTime::EPOCH);
        assert_eq!(
            secs(1).apply(UnixTime::from_nanos(u64::MAX)),
            UnixTime::from_nanos(u64::MAX)
        );
    }

    #[test]
    fn only_time_refusals_with_a_date_tell_the_servers_time() {
        let date = "Tue, 14 Nov 2023 23:13:20 GMT";
        let server = UnixTime::from_secs(1_700_003_600);
        assert_eq!(
            refusal_date(&refusal(400, "RequestTimeExpired", Some(date))),
            Some(server)
        );
        assert_eq!(
            refusal_date(&refusal(403, "RequestTimeTooSkewed", Some(date))),
            Some(server)
        );
        assert_eq!(
            refusal_date(&refusal(400, "RequestTimeExpired", None)),
            None
        );
        assert_eq!(
            refusal_date(&refusal(400, "RequestTimeExpired", Some("yesterday"))),
            None
        );
        assert_eq!(refusal_date(&refusal(400, "InvalidTime", Some(date))), None);
        assert_eq!(
            refusal_date(&refusal(500, "RequestTimeExpired", Some(date))),
            None
        );
        let html = HttpResponse::new(400)
            .with_header("date", date)
            .with_body("<html>");
        assert_eq!(refusal_date(&html), None);
    }

    #[test]
    fn a_refusal_teaches_an_offset_once() {
        let server = LOCAL.saturating_add(Duration::from_secs(3600));
        // Signed with the offset in force: the server's date teaches a new one.
        assert_eq!(
            lesson(ClockOffset::ZERO, ClockOffset::ZERO, LOCAL, server),
            Lesson::Learn(secs(3600))
        );
        // Signed with that offset and refused again: nothing new, no retry loop.
        assert_eq!(
            lesson(secs(3600), secs(3600), LOCAL, server),
            Lesson::Nothing
        );
        // Within the date's resolution and the answer's travel: nothing to learn.
        let close = LOCAL.saturating_add(Duration::from_secs(3604));
        assert_eq!(
            lesson(secs(3600), secs(3600), LOCAL, close),
            Lesson::Nothing
        );
        let far = LOCAL.saturating_add(Duration::from_secs(3605));
        assert_eq!(
            lesson(secs(3600), secs(3600), LOCAL, far),
            Lesson::Learn(secs(3605))
        );
        // Signed before another answer taught the current offset: retry with it.
        assert_eq!(
            lesson(ClockOffset::ZERO, secs(3600), LOCAL, server),
            Lesson::AlreadyLearned
        );
        // The server's clock moved back: a new offset again.
        assert_eq!(
            lesson(secs(3600), secs(3600), LOCAL, LOCAL),
            Lesson::Learn(ClockOffset::ZERO)
        );
    }
}
