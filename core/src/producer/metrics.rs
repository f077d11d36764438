//! A point-in-time view of a producer's counters and gauges.
//!
//! [`Producer::metrics`](crate::producer::Producer::metrics) takes one under the
//! producer's lock (a copy of a few integers), so it is cheap enough to read on every
//! scrape of a metrics endpoint or every tick of a progress bar. The producer itself never
//! exports anything: publish the fields with the metrics library of your choice.

use crate::engine::Engine;

/// Counters since the producer was created, and gauges of its current state.
///
/// ```
/// # use sls_producer_core::producer::metrics::MetricsSnapshot;
/// fn report(m: &MetricsSnapshot) {
///     println!(
///         "{} of {} logs delivered, {} failed, {} retries, {:.0}% of the buffer in use",
///         m.delivered_logs,
///         m.accepted_logs,
///         m.failed_logs,
///         m.retries,
///         m.buffer_use() * 100.0,
///     );
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Logs accepted by a send (refused sends are not counted: the caller got them back).
    pub accepted_logs: u64,
    /// Logs the server stored.
    pub delivered_logs: u64,
    /// Logs that failed for good (retries exhausted, not retryable, timed out, closed).
    pub failed_logs: u64,
    /// Failed logs handed back to a callback or completion handle (part of `failed_logs`).
    pub handed_back_logs: u64,
    /// Batches created.
    pub batches: u64,
    /// HTTP requests started, retries included.
    pub requests: u64,
    /// Failed requests that were scheduled again.
    pub retries: u64,
    /// Uncompressed LogGroup bytes of delivered batches.
    pub delivered_raw_bytes: u64,
    /// Request body bytes of delivered batches, as sent (compressed).
    pub delivered_body_bytes: u64,
    /// Requests outstanding now (gauge).
    pub in_flight: usize,
    /// Batches without an outcome now: open, queued, in flight or waiting to retry (gauge).
    pub pending_batches: usize,
    /// Bytes of the memory budget held now by logs without an outcome (gauge).
    pub buffered_bytes: usize,
    /// The memory budget, `memory_budget` of the configuration.
    pub memory_budget: usize,
}

impl MetricsSnapshot {
    pub(crate) fn of<T>(engine: &Engine<T>) -> Self {
        let s = engine.stats();
        Self {
            accepted_logs: s.accepted_logs,
            delivered_logs: s.delivered_logs,
            failed_logs: s.failed_logs,
            handed_back_logs: s.handed_back_logs,
            batches: s.batches,
            requests: s.requests,
            retries: s.retries,
            delivered_raw_bytes: s.delivered_raw_bytes,
            delivered_body_bytes: s.delivered_body_bytes,
            in_flight: engine.in_flight(),
            pending_batches: engine.pending_batches(),
            buffered_bytes: engine.buffered_bytes(),
            memory_budget: engine.memory_budget(),
        }
    }

    /// Logs accepted that have no outcome yet.
    pub fn pending_logs(&self) -> u64 {
        self.accepted_logs
            .saturating_sub(self.delivered_logs)
            .saturating_sub(self.failed_logs)
    }

    /// The part of the memory budget in use, from `0.0` to `1.0`.
    pub fn buffer_use(&self) -> f64 {
        if self.memory_budget == 0 {
            return 0.0;
        }
        self.buffered_bytes as f64 / self.memory_budget as f64
    }

    /// Delivered raw bytes per delivered body byte (`None` before anything was delivered).
    pub fn compression_ratio(&self) -> Option<f64> {
        (self.delivered_body_bytes > 0)
            .then(|| self.delivered_raw_bytes as f64 / self.delivered_body_bytes as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_values() {
        let m = MetricsSnapshot {
            accepted_logs: 10,
            delivered_logs: 6,
            failed_logs: 3,
            delivered_raw_bytes: 900,
            delivered_body_bytes: 300,
            buffered_bytes: 25,
            memory_budget: 100,
            ..MetricsSnapshot::default()
        };
        assert_eq!(m.pending_logs(), 1);
        assert_eq!(m.buffer_use(), 0.25);
        assert_eq!(m.compression_ratio(), Some(3.0));
        let empty = MetricsSnapshot::default();
        assert_eq!(empty.buffer_use(), 0.0);
        assert_eq!(empty.compression_ratio(), None);
        assert_eq!(empty.pending_logs(), 0);
    }
}
