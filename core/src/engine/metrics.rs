//! A point-in-time view of a producer's counters and gauges: the one metrics type.
//!
//! [`Producer::metrics`](crate::Producer::metrics) (or [`Engine::metrics`](super::Engine::metrics))
//! takes one under the producer's lock (a copy of a few integers), so it is cheap enough to
//! read on every scrape of a metrics endpoint or every tick of a progress bar;
//! [`Producer::close`](crate::Producer::close) resolves to the last one. The producer itself
//! never exports anything: publish the fields with the metrics library of your choice.

/// Counters since the producer was created, and gauges of its current state.
///
/// ```
/// # use sls_producer_core::Metrics;
/// fn report(m: &Metrics) {
///     println!(
///         "{} of {} logs delivered, {} failed, {} pending, {} retries, {:.0}% of the buffer in use",
///         m.delivered_logs,
///         m.accepted_logs,
///         m.failed_logs,
///         m.pending_logs(),
///         m.retries,
///         m.buffer_use() * 100.0,
///     );
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Logs accepted by a send (refused sends are not counted: the caller got them back),
    /// and logs of batches replayed from a disk spool.
    pub accepted_logs: u64,
    /// Logs the server stored.
    pub delivered_logs: u64,
    /// Logs that failed for good (retries exhausted, not retryable, timed out, closed).
    pub failed_logs: u64,
    /// Failed logs handed back to a tracked send's handle or callback (part of
    /// `failed_logs`; the rest came from untracked sends and were dropped).
    pub handed_back_logs: u64,
    /// Failed logs given up because the close deadline passed (part of `failed_logs`).
    pub closed_logs: u64,
    /// Batches created.
    pub batches: u64,
    /// HTTP requests started, retries included.
    pub requests: u64,
    /// Failed requests that were scheduled again.
    pub retries: u64,
    /// Uncompressed LogGroup bytes of delivered batches (`x-log-bodyrawsize`).
    pub delivered_raw_bytes: u64,
    /// Request body bytes of delivered batches, as sent (compressed).
    pub delivered_body_bytes: u64,
    /// Times a server refused a request for its date (`RequestTimeExpired`) and its `Date`
    /// taught the producer a new offset for that server's clock.
    pub clock_corrections: u64,
    /// The clock offset learned last, in milliseconds: the server's clock minus the
    /// producer's (positive when the server is ahead). `0` until a correction.
    pub clock_offset_ms: i64,
    /// Delivery callbacks ([`DeliveryHandle::on_complete`](crate::DeliveryHandle::on_complete))
    /// that panicked. The panic is caught (with `std`), reported as a diagnostic, and the
    /// producer goes on.
    pub callback_panics: u64,
    /// Sealed batches written to the disk spool (0 without one).
    pub spooled_batches: u64,
    /// Batches the spool could not take (full with `WhenFull::Refuse`, or an I/O error):
    /// they failed with [`DeliveryFailure::Spool`](super::DeliveryFailure::Spool) and
    /// their logs were handed back.
    pub spool_failed_batches: u64,
    /// Batches of earlier runs the spool deleted to make room (`WhenFull::DropOldest`)
    /// before they were sent: lost.
    pub spool_lost_batches: u64,
    /// Batches of earlier runs read back from the spool and sent again (part of
    /// `batches`; their logs are part of `accepted_logs`).
    pub replayed_batches: u64,
    /// Logs in `replayed_batches`.
    pub replayed_logs: u64,
    /// Spool records skipped because they failed their checksum (torn by a crash or
    /// damaged) or could not be read back.
    pub spool_skipped_records: u64,
    /// Bodies of written batches dropped from memory while they waited for an attempt
    /// (the budget was short, typically during an outage): they are read back from the
    /// spool before their next attempt.
    pub evicted_batches: u64,
    /// Bytes of the bodies in `evicted_batches` (compressed, as sent).
    pub evicted_bytes: u64,
    /// Evicted bodies read back from the spool for an attempt.
    pub read_back_batches: u64,
    /// Evicted batches whose body could not be read back (a damaged record, or one
    /// deleted by `WhenFull::DropOldest`): they failed with
    /// [`DeliveryFailure::Spool`](super::DeliveryFailure::Spool).
    pub spool_read_failed_batches: u64,
    /// Requests outstanding now (gauge).
    pub in_flight: usize,
    /// Batches without an outcome now: open, queued, in flight or waiting to retry (gauge).
    pub pending_batches: usize,
    /// Tracked sends whose outcome is decided and not delivered yet: handles not resolved
    /// yet, callbacks not run yet (gauge). In the metrics a
    /// [`close`](crate::Producer::close) with a deadline returns, the outcomes it left to
    /// be delivered after it returned.
    pub undelivered_outcomes: usize,
    /// Bytes of the memory budget held now by batches of logs without an outcome, or whose
    /// outcome's callback has not run yet (gauge): each batch's buffer capacity (its
    /// compressed body once compressed), its bookkeeping and its tracked sends' tags. Spare
    /// buffers kept for reuse are charged to the budget too but not shown here: a send that
    /// needs their room frees them first.
    pub buffered_bytes: usize,
    /// The memory budget, `memory_budget` of the configuration.
    pub memory_budget: usize,
}

impl Metrics {
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

/// Spool counters, part of [`Metrics`] (zero without a spool).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct SpoolCounters {
    pub(super) spooled_batches: u64,
    pub(super) spool_failed_batches: u64,
    pub(super) spool_lost_batches: u64,
    pub(super) replayed_batches: u64,
    pub(super) replayed_logs: u64,
    pub(super) spool_skipped_records: u64,
    pub(super) evicted_batches: u64,
    pub(super) evicted_bytes: u64,
    pub(super) read_back_batches: u64,
    pub(super) read_failed_batches: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_values() {
        let m = Metrics {
            accepted_logs: 10,
            delivered_logs: 6,
            failed_logs: 3,
            delivered_raw_bytes: 900,
            delivered_body_bytes: 300,
            buffered_bytes: 25,
            memory_budget: 100,
            ..Metrics::default()
        };
        assert_eq!(m.pending_logs(), 1);
        assert_eq!(m.buffer_use(), 0.25);
        assert_eq!(m.compression_ratio(), Some(3.0));
        let empty = Metrics::default();
        assert_eq!(empty.buffer_use(), 0.0);
        assert_eq!(empty.compression_ratio(), None);
        assert_eq!(empty.pending_logs(), 0);
    }
}
