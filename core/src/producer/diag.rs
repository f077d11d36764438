//! The producer's own diagnostics: `tracing` events (feature `tracing`) and the scope in
//! which events must not be shipped back into a producer.
//!
//! Nothing here prints or writes files (the `sls-producer-diagnostics` crate writes these
//! events to a rotating file). Without the `tracing` feature every function is an empty
//! inline stub, so the driver calls them unconditionally; `send` raises none.
//!
//! | Event (target [`TARGET`]) | Level |
//! |---|---|
//! | an attempt failed, a retry is scheduled | `WARN` |
//! | an attempt failed, the batch is given up | `ERROR` |
//! | an attempt delivered its batch | `TRACE` |
//! | a credentials fetch starts / succeeds | `DEBUG` / `INFO` |
//! | a credentials fetch failed (previous credentials stay in use) | `WARN` |
//! | a server refused the request time; a clock offset was learned | `WARN` |
//! | the driver finished: close summary | `INFO` |
//! | the driver was dropped before every send had its outcome | `WARN` |
//! | a delivery callback panicked (caught; the producer goes on) | `ERROR` |
//! | handed-back logs could not be read back from their batch (a bug) | `ERROR` |
//! | the disk spool opened with batches of earlier runs, or skipped damaged records | `INFO` / `WARN` |
//! | every batch of earlier runs was handed out for sending | `INFO` |
//! | the disk spool could not write a batch (it fails) or dropped old batches | `ERROR` / `WARN` |
//! | the disk spool could not acknowledge batches (they will be sent again) | `WARN` |
//!
//! Field values never include secrets: the AccessKey id is logged, never the secret, the
//! token or a signature.
//!
//! # The feedback trap
//!
//! A tracing layer or logger that ships events *through a producer* would see the
//! producer's own diagnostics (and those of the HTTP stack under it) and ship them too: a
//! failing endpoint then turns every failure into more logs to send. Two guards prevent
//! that: these events carry targets under `sls_producer`, which the shipping layer and
//! logger ignore; and (with `std`) the driver marks its thread as [`Suppressed`] while it
//! is polled, so events raised synchronously inside it (transport libraries, delivery
//! callbacks) are not shipped either.

#[cfg(feature = "std")]
use core::cell::Cell;
use core::marker::PhantomData;

use crate::credentials::FetchReason;
use crate::engine::{Decision, Metrics};

/// The target of every diagnostic event.
#[cfg_attr(
    not(any(feature = "tracing", feature = "tracing-layer", feature = "log")),
    allow(dead_code)
)]
pub(crate) const TARGET: &str = "sls_producer_core::producer::diag";

#[cfg(feature = "std")]
std::thread_local! {
    /// How many [`Suppressed`] guards are alive on this thread.
    static SUPPRESSED: Cell<u32> = const { Cell::new(0) };
}

/// While alive, events and log records raised on this thread are not shipped by the SLS
/// tracing layer or logger (they still reach every other layer). Not `Send`: the guard
/// belongs to the thread that made it. Without `std` it does nothing.
pub(crate) struct Suppressed {
    _thread_bound: PhantomData<*const ()>,
}

impl Suppressed {
    /// Enter the suppressed scope until the guard is dropped. Nests.
    pub(crate) fn enter() -> Self {
        #[cfg(feature = "std")]
        SUPPRESSED.with(|n| n.set(n.get().saturating_add(1)));
        Self {
            _thread_bound: PhantomData,
        }
    }
}

impl Drop for Suppressed {
    fn drop(&mut self) {
        #[cfg(feature = "std")]
        SUPPRESSED.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

/// Whether a [`Suppressed`] guard is alive on this thread.
#[cfg(any(feature = "tracing-layer", feature = "log"))]
#[cfg_attr(
    wasm_browser,
    allow(dead_code, reason = "the layer and the logger are native-only")
)]
pub(crate) fn is_suppressed() -> bool {
    SUPPRESSED.with(|n| n.get() > 0)
}

/// A credentials fetch starts.
#[cfg_attr(not(feature = "tracing"), inline(always))]
pub(crate) fn credentials_fetch_started(reason: FetchReason) {
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: TARGET,
        reason = match reason {
            FetchReason::Scheduled => "scheduled",
            FetchReason::Rejected => "server rejected the credentials in use",
        },
        "fetching credentials"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = reason;
}

/// Report what the engine decided.
#[cfg_attr(not(feature = "tracing"), inline(always))]
pub(crate) fn decided(decision: &Decision) {
    #[cfg(feature = "tracing")]
    event::decided(decision);
    #[cfg(not(feature = "tracing"))]
    let _ = decision;
}

/// The driver finished: every send has its outcome.
#[cfg_attr(not(feature = "tracing"), inline(always))]
pub(crate) fn closed(metrics: &Metrics) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: TARGET,
        accepted_logs = metrics.accepted_logs,
        delivered_logs = metrics.delivered_logs,
        failed_logs = metrics.failed_logs,
        handed_back_logs = metrics.handed_back_logs,
        closed_logs = metrics.closed_logs,
        batches = metrics.batches,
        requests = metrics.requests,
        retries = metrics.retries,
        "producer closed"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = metrics;
}

/// The driver was dropped while sends were still waiting; `decisions` are what the engine
/// decided then (every waiting batch given up as closed).
#[cfg_attr(not(feature = "tracing"), inline(always))]
pub(crate) fn driver_dropped(decisions: &[Decision]) {
    #[cfg(feature = "tracing")]
    {
        let failed_logs: usize = decisions
            .iter()
            .map(|d| match d {
                Decision::GaveUp { logs, .. } => *logs,
                _ => 0,
            })
            .sum();
        if failed_logs > 0 {
            tracing::warn!(
                target: TARGET,
                failed_logs,
                "producer driver dropped before every send had its outcome; pending logs failed as closed"
            );
        }
    }
    #[cfg(not(feature = "tracing"))]
    let _ = decisions;
}

/// A delivery callback panicked with `message`; the panic was caught and counted.
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(
    not(feature = "std"),
    allow(dead_code, reason = "panics are caught with std only")
)]
pub(crate) fn callback_panicked(message: &str) {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: TARGET,
        panic = message,
        "a delivery callback panicked; the panic was caught and the producer goes on"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = message;
}

/// Logs handed back on failure could not be read back from their batch's body (a bug:
/// the producer encoded it): `unreadable` of the `handed_back` logs are missing from the
/// list given to the caller.
pub(crate) fn logs_unreadable(unreadable: usize, handed_back: usize) {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: TARGET,
        unreadable,
        handed_back,
        "handed-back logs could not be read back from their failed batch (a producer bug)"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (unreadable, handed_back);
}

/// A shipping layer or logger started dropping events (`reason`); raised once per
/// episode, for the application's other layers.
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(
    any(not(any(feature = "tracing-layer", feature = "log")), wasm_browser),
    allow(dead_code)
)]
pub(crate) fn shipping_dropping(reason: &str) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: TARGET,
        reason,
        "dropping events instead of shipping them to SLS"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = reason;
}

/// A shipping layer or logger could send again and reported `dropped` events into SLS.
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(
    any(not(any(feature = "tracing-layer", feature = "log")), wasm_browser),
    allow(dead_code)
)]
pub(crate) fn shipping_resumed(dropped: u64) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: TARGET,
        dropped,
        "shipping events to SLS again"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = dropped;
}

/// A producer opened a disk spool that holds `recovered` from earlier runs.
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg(feature = "spool")]
pub(crate) fn spool_opened(recovered: crate::durable::Recovered) {
    #[cfg(feature = "tracing")]
    {
        if recovered.batches > 0 {
            tracing::info!(
                target: TARGET,
                batches = recovered.batches,
                "the disk spool holds batches of an earlier run: sending them first"
            );
        }
        if recovered.corrupt > 0 {
            tracing::warn!(
                target: TARGET,
                records = recovered.corrupt,
                "the disk spool skipped records that failed their checksum (torn by a crash or damaged)"
            );
        }
    }
    #[cfg(not(feature = "tracing"))]
    let _ = recovered;
}

/// Every batch of earlier runs was handed to the engine.
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg(feature = "spool")]
pub(crate) fn spool_replayed() {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: TARGET,
        "every batch of earlier runs is queued: new batches are sent again"
    );
}

/// Replay skipped `records` whose body or metadata could not be read back.
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg(feature = "spool")]
pub(crate) fn spool_skipped(records: u64) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: TARGET,
        records,
        "the disk spool skipped records of earlier runs that could not be read back"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = records;
}

/// A batch could not be written to the spool; it fails.
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg(feature = "spool")]
pub(crate) fn spool_write_failed(error: &crate::durable::StoreError) {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: TARGET,
        kind = ?error.kind,
        error = %error,
        "a batch could not be written to the disk spool: it fails and its logs are handed back"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = error;
}

/// A body that left memory during an outage could not be read back from the spool.
#[cfg(feature = "spool")]
pub(crate) fn spool_read_failed(error: &crate::durable::StoreError) {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: TARGET,
        kind = ?error.kind,
        error = %error,
        "a batch's body could not be read back from the disk spool: the batch fails"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = error;
}

/// The spool deleted `batches` old batches to make room (`WhenFull::DropOldest`).
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg(feature = "spool")]
pub(crate) fn spool_dropped(batches: usize) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: TARGET,
        batches,
        "the disk spool is full: the oldest batches were deleted to make room"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = batches;
}

/// Acknowledgements could not be written: those batches will be sent again by the next
/// run.
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg(feature = "spool")]
pub(crate) fn spool_ack_failed(error: &crate::durable::StoreError) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: TARGET,
        error = %error,
        "delivered batches could not be acknowledged in the disk spool: the next run sends them again"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = error;
}

#[cfg(feature = "tracing")]
mod event {
    use super::TARGET;
    use crate::engine::{Attempt, Decision};

    fn millis(d: core::time::Duration) -> u64 {
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
    }

    pub(super) fn decided(decision: &Decision) {
        match decision {
            Decision::Delivered {
                attempt, record, ..
            } => tracing::trace!(
                target: TARGET,
                attempt = attempt.get(),
                request_id = record.request_id.as_deref(),
                "delivered"
            ),
            Decision::Retry {
                attempt,
                attempts,
                delay,
                refresh_credentials,
                record,
            } => {
                let Attempt {
                    http_status,
                    request_id,
                    error_code,
                    error_message,
                    ..
                } = record;
                tracing::warn!(
                    target: TARGET,
                    attempt = attempt.map(|a| a.get()),
                    attempts,
                    http_status,
                    request_id = request_id.as_deref(),
                    error_code = error_code.as_deref(),
                    error_message = error_message.as_deref(),
                    retry_in_ms = millis(*delay),
                    decision = if *refresh_credentials {
                        "retry with refreshed credentials"
                    } else {
                        "retry after backoff"
                    },
                    "attempt failed"
                );
            }
            Decision::GaveUp {
                attempt,
                logs,
                failure,
                record,
            } => {
                let record = record.as_ref();
                tracing::error!(
                    target: TARGET,
                    attempt = attempt.map(|a| a.get()),
                    http_status = record.and_then(|r| r.http_status),
                    request_id = record.and_then(|r| r.request_id.as_deref()),
                    error_code = record.and_then(|r| r.error_code.as_deref()),
                    error_message = record.and_then(|r| r.error_message.as_deref()),
                    failure = %failure,
                    failed_logs = logs,
                    decision = "give up",
                    "batch given up"
                );
            }
            Decision::LateAnswer { attempt } => tracing::debug!(
                target: TARGET,
                attempt = attempt.get(),
                decision = "ignored: batch already given up",
                "late attempt outcome"
            ),
            Decision::CredentialsRefreshed {
                projects,
                access_key_id,
                expires_in,
            } => tracing::info!(
                target: TARGET,
                projects = ?projects,
                access_key_id = access_key_id.as_str(),
                expires_in_secs = expires_in.map(|d| d.as_secs()),
                "credentials refreshed"
            ),
            Decision::CredentialsFailed {
                projects,
                error,
                failures,
                retry_in,
            } => tracing::warn!(
                target: TARGET,
                projects = ?projects,
                error = %error,
                consecutive_failures = failures,
                retry_in_ms = millis(*retry_in),
                "credentials fetch failed; the previous credentials (if any) stay in use"
            ),
            Decision::ClockCorrected {
                attempt,
                project,
                previous,
                offset,
            } => tracing::warn!(
                target: TARGET,
                attempt = attempt.get(),
                project = project.as_str(),
                previous_offset_ms = previous.as_millis(),
                offset_ms = offset.as_millis(),
                decision = "re-sign with the server's time and retry at once",
                "server refused the request time: clock offset learned"
            ),
        }
    }
}
