//! Delivery attempts: what happened to each HTTP request of a batch.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
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
    recent: VecDeque<Attempt>,
    capacity: usize,
    total: u32,
}

impl AttemptHistory {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            recent: VecDeque::new(),
            capacity,
            total: 0,
        }
    }

    /// Record a finished attempt, forgetting the oldest record beyond the capacity.
    pub(crate) fn record(&mut self, attempt: Attempt) {
        self.total = self.total.saturating_add(1);
        if self.capacity == 0 {
            return;
        }
        if self.recent.len() == self.capacity {
            self.recent.pop_front();
        }
        self.recent.push_back(attempt);
    }

    /// Attempts made so far, including forgotten ones.
    pub(crate) const fn total(&self) -> u32 {
        self.total
    }

    /// The latest record, if any is kept.
    pub(crate) fn last(&self) -> Option<&Attempt> {
        self.recent.back()
    }

    /// The kept records, oldest first, as one shareable slice.
    pub(crate) fn to_shared(&self) -> Arc<[Attempt]> {
        self.recent.iter().cloned().collect()
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
            h.record(failed(n));
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
        let mut h = AttemptHistory::new(0);
        h.record(failed(1));
        assert_eq!(h.total(), 1);
        assert!(h.to_shared().is_empty());
    }
}
