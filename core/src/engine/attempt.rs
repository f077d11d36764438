//! Delivery attempts: what happened to each HTTP request of a batch.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use crate::protocol::time::UnixTime;

/// Identifies one HTTP request of the engine (a batch's first try or one of its retries).
///
/// Returned in every [`Transmit`](super::Transmit) and handed back to
/// [`Engine::handle_response`](super::Engine::handle_response) with the outcome.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttemptId(pub(crate) u64);

impl AttemptId {
    /// The raw number (unique per engine, increasing in the order requests were made).
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for AttemptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AttemptId({})", self.0)
    }
}

/// The record of one finished HTTP request of a batch.
///
/// A successful attempt has `success = true`, `http_status = Some(200)` and no error fields;
/// its `request_id` is the server's `x-log-requestid` when it sent one.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Attempt {
    /// Whether the server stored the batch (HTTP 200).
    pub success: bool,
    /// The HTTP status, or `None` when no response arrived (connection error, timeout).
    pub http_status: Option<u16>,
    /// The server's request id (`x-log-requestid`), when a response carried one.
    pub request_id: Option<String>,
    /// The SLS error code (`WriteQuotaExceed`, …), or the transport error kind
    /// (`Timeout`, `ConnectError`, …) when no response arrived. `None` on success, and for
    /// an error response whose body was not an SLS error document (a proxy's HTML page).
    pub error_code: Option<String>,
    /// The server's or transport's error message. `None` on success.
    pub error_message: Option<String>,
    /// Wall-clock time when the attempt finished.
    pub timestamp: UnixTime,
    /// How long the request took, from hand-off to the transport until its outcome.
    pub duration: Duration,
}

impl Attempt {
    pub(crate) fn success(
        request_id: Option<String>,
        timestamp: UnixTime,
        duration: Duration,
    ) -> Self {
        Self {
            success: true,
            http_status: Some(200),
            request_id,
            error_code: None,
            error_message: None,
            timestamp,
            duration,
        }
    }

    pub(crate) fn failure(
        http_status: Option<u16>,
        request_id: Option<String>,
        error_code: Option<String>,
        error_message: String,
        timestamp: UnixTime,
        duration: Duration,
    ) -> Self {
        Self {
            success: false,
            http_status,
            request_id,
            error_code,
            error_message: Some(error_message),
            timestamp,
            duration,
        }
    }
}

/// The attempts of one batch: the total count and the most recent `capacity` records.
///
/// Keeping the most recent attempts (the Java producer's rule, and what the Go README
/// promises) means the last record always describes the final outcome. The Go code keeps
/// the *first* N instead, so a success after many failures can report a stale error there.
#[derive(Clone, Debug)]
pub(crate) struct AttemptHistory {
    recent: Vec<Attempt>,
    capacity: usize,
    total: u32,
}

impl AttemptHistory {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            recent: Vec::new(),
            capacity,
            total: 0,
        }
    }

    /// Record a finished attempt, forgetting the oldest record beyond the capacity, or
    /// beyond the last one with `only_last`: a batch no caller awaits or has a callback
    /// for (no tracked send) needs the last record only, for the engine's decision and
    /// diagnostics; its earlier ones would be memory nobody reads. A batch retried for
    /// minutes during an outage would otherwise hold `capacity` records (with their
    /// error strings, ~3 KiB) beside the bookkeeping the memory budget charges.
    pub(crate) fn record(&mut self, attempt: Attempt, only_last: bool) {
        self.total = self.total.saturating_add(1);
        let keep = if only_last {
            self.capacity.min(1)
        } else {
            self.capacity
        };
        if keep == 0 {
            return;
        }
        // At most `capacity` records (a handful) are kept: shifting them is cheap.
        while self.recent.len() >= keep {
            self.recent.remove(0);
        }
        // Exact growth: at most `capacity` records are ever kept, so the `Vec`'s usual
        // doubling (to 4, 8, 16) would only leave slots empty.
        if self.recent.len() == self.recent.capacity() {
            self.recent.reserve_exact(1);
        }
        self.recent.push(attempt);
    }

    /// Attempts made so far, including forgotten ones.
    pub(crate) const fn total(&self) -> u32 {
        self.total
    }

    /// The latest record, if any is kept.
    pub(crate) fn last(&self) -> Option<&Attempt> {
        self.recent.last()
    }

    /// The kept records, oldest first, as one shareable slice.
    pub(crate) fn to_shared(&self) -> Arc<[Attempt]> {
        self.recent.as_slice().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec::Vec;

    fn failed(n: u64) -> Attempt {
        Attempt::failure(
            Some(500),
            None,
            Some(format!("E{n}")),
            String::new(),
            UnixTime::from_secs(n),
            Duration::ZERO,
        )
    }

    #[test]
    fn keeps_the_most_recent_n_and_counts_all() {
        let mut h = AttemptHistory::new(3);
        for n in 1..=5 {
            h.record(failed(n), false);
        }
        assert_eq!(h.total(), 5);
        let codes: Vec<_> = h
            .to_shared()
            .iter()
            .map(|a| a.error_code.clone().unwrap())
            .collect();
        assert_eq!(codes, ["E3", "E4", "E5"]);
    }

    #[test]
    fn zero_capacity_counts_but_keeps_nothing() {
        for only_last in [false, true] {
            let mut h = AttemptHistory::new(0);
            h.record(failed(1), only_last);
            assert_eq!(h.total(), 1);
            assert!(h.to_shared().is_empty());
            assert!(h.last().is_none());
        }
    }

    #[test]
    fn only_last_keeps_one_record_in_one_slot_and_counts_all() {
        let mut h = AttemptHistory::new(11);
        for n in 1..=20 {
            h.record(failed(n), true);
            assert_eq!(h.recent.len(), 1);
            assert_eq!(h.recent.capacity(), 1, "no spare slots");
        }
        assert_eq!(h.total(), 20);
        assert_eq!(h.last().unwrap().error_code.as_deref(), Some("E20"));
        // A batch that gains a tracked send keeps records from then on.
        h.record(failed(21), false);
        h.record(failed(22), false);
        assert_eq!(h.to_shared().len(), 3);
    }

    /// Through the engine: a batch retried 20 times keeps one record unless a send in it
    /// is tracked, which then sees the most recent `max_reserved_attempts`.
    #[test]
    fn an_untracked_batch_keeps_its_last_attempt_only() {
        use crate::config::ProducerConfig;
        use crate::credentials::Credentials;
        use crate::engine::{Engine, Route};
        use crate::protocol::compress::Compressor;
        use crate::protocol::http::HttpResponse;
        use crate::protocol::proto::Log;
        use crate::protocol::time::Instant;

        let config = ProducerConfig::new("http://127.0.0.1:8080").with_max_retries(100);
        let wall = UnixTime::from_secs(1_700_000_000);
        let mut e: Engine<u32> =
            Engine::new(&config, wall, Some(Credentials::new("id", "secret"))).unwrap();
        let mut now = Instant::from_secs(1);
        let route = Route::new("proj", "store").unwrap();
        e.push(now, Log::new(1_700_000_000), &route, None).unwrap();
        e.push(
            now,
            Log::new(1_700_000_000),
            &route.clone().with_topic("t"),
            Some(7),
        )
        .unwrap();
        e.flush(now);
        let mut compressor = Compressor::new();
        while let Some(job) = e.poll_compress() {
            e.handle_compressed(job.run(&mut compressor));
        }
        for _ in 0..20 {
            let mut sent = 0;
            while let Some(t) = e.poll_transmit(now, wall) {
                e.handle_response(now, wall, t.attempt, Ok(HttpResponse::new(500)));
                sent += 1;
            }
            assert_eq!(sent, 2);
            now = now.saturating_add(Duration::from_secs(3600));
            e.handle_timeout(now);
        }
        let kept: Vec<(bool, usize, u32)> = e
            .batches
            .values()
            .map(|b| {
                (
                    b.parts.is_empty(),
                    b.history.recent.len(),
                    b.history.total(),
                )
            })
            .collect();
        assert_eq!(kept.len(), 2);
        assert!(kept.contains(&(true, 1, 20)), "{kept:?}");
        assert!(kept.contains(&(false, 11, 20)), "{kept:?}");
    }

    #[test]
    fn a_full_history_grows_to_exactly_its_capacity() {
        let mut h = AttemptHistory::new(11);
        for n in 1..=30 {
            h.record(failed(n), false);
            assert!(h.recent.capacity() <= 11, "{}", h.recent.capacity());
        }
        assert_eq!(h.recent.len(), 11);
    }
}
