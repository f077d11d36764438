//! The producer's own diagnostics: `tracing` events (feature `tracing`) and the scope in
//! which events must not be shipped back into a producer.
//!
//! Nothing here prints or writes files. Without the `tracing` feature every function is an
//! empty inline stub, so the driver calls them unconditionally.
//!
//! | Event (target [`TARGET`]) | Level |
//! |---|---|
//! | an attempt failed, a retry is scheduled | `WARN` |
//! | an attempt failed, the batch is given up | `ERROR` |
//! | an attempt delivered its batch | `TRACE` |
//! | a credentials fetch starts / succeeds | `DEBUG` / `INFO` |
//! | a credentials fetch failed (previous credentials stay in use) | `WARN` |
//! | the driver finished: close summary | `INFO` |
//! | the driver was dropped before every send had its outcome | `WARN` |
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

use crate::engine::{AttemptId, EngineStats};
use crate::protocol::http::HttpResponse;
use crate::rt::TransportError;

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

/// Why a credentials fetch starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FetchReason {
    /// Scheduled: at start, before expiry, or after a failed fetch.
    Scheduled,
    /// The server rejected the credentials in use (HTTP 401).
    Rejected,
}

/// What was seen of one finished attempt before the engine consumed it: only what a
/// subscriber asked for, so nothing is parsed when nobody listens.
pub(crate) struct AttemptSeen {
    #[cfg(feature = "tracing")]
    inner: Option<seen::Seen>,
}

impl AttemptSeen {
    /// Look at `outcome` of `attempt` (cheap when no subscriber wants the events).
    #[cfg_attr(not(feature = "tracing"), inline(always))]
    pub(crate) fn new(attempt: AttemptId, outcome: &Result<HttpResponse, TransportError>) -> Self {
        #[cfg(feature = "tracing")]
        {
            Self {
                inner: seen::Seen::new(attempt, outcome),
            }
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = (attempt, outcome);
            Self {}
        }
    }

    /// Report the attempt with the engine's decision, read from its counters before and
    /// after the response was handled.
    #[cfg_attr(not(feature = "tracing"), inline(always))]
    pub(crate) fn decided(self, before: &EngineStats, after: &EngineStats) {
        #[cfg(feature = "tracing")]
        if let Some(seen) = self.inner {
            seen.decided(before, after);
        }
        #[cfg(not(feature = "tracing"))]
        let _ = (before, after);
    }
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

/// A credentials fetch succeeded; `expires_in_secs` is `None` for long-lived keys.
#[cfg_attr(not(feature = "tracing"), inline(always))]
pub(crate) fn credentials_fetched(access_key_id: &str, expires_in_secs: Option<u64>) {
    #[cfg(feature = "tracing")]
    tracing::info!(target: TARGET, access_key_id, expires_in_secs, "credentials refreshed");
    #[cfg(not(feature = "tracing"))]
    let _ = (access_key_id, expires_in_secs);
}

/// A credentials fetch failed; the next one starts in `retry_in_ms`.
#[cfg_attr(not(feature = "tracing"), inline(always))]
pub(crate) fn credentials_failed(error: &dyn core::fmt::Display, failures: u32, retry_in_ms: u64) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: TARGET,
        error = %error,
        consecutive_failures = failures,
        retry_in_ms,
        "credentials fetch failed; the previous credentials (if any) stay in use"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (error, failures, retry_in_ms);
}

/// The driver finished: every send has its outcome.
#[cfg_attr(not(feature = "tracing"), inline(always))]
pub(crate) fn closed(stats: &EngineStats) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: TARGET,
        accepted_logs = stats.accepted_logs,
        delivered_logs = stats.delivered_logs,
        failed_logs = stats.failed_logs,
        handed_back_logs = stats.handed_back_logs,
        closed_logs = stats.closed_logs,
        batches = stats.batches,
        requests = stats.requests,
        retries = stats.retries,
        "producer closed"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = stats;
}

/// The driver was dropped while sends were still waiting; they failed as closed.
#[cfg_attr(not(feature = "tracing"), inline(always))]
pub(crate) fn driver_dropped(before: &EngineStats, after: &EngineStats) {
    #[cfg(feature = "tracing")]
    {
        let failed_logs = after.failed_logs.saturating_sub(before.failed_logs);
        if failed_logs > 0 {
            tracing::warn!(
                target: TARGET,
                failed_logs,
                "producer driver dropped before every send had its outcome; pending logs failed as closed"
            );
        }
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (before, after);
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

#[cfg(feature = "tracing")]
mod seen {
    use alloc::string::String;

    use tracing::Level;

    use super::TARGET;

    use crate::engine::{AttemptId, EngineStats};
    use crate::protocol::http::HttpResponse;
    use crate::protocol::response::{REQUEST_ID_HEADER, ServerError};
    use crate::rt::TransportError;

    pub(super) enum Seen {
        Delivered {
            attempt: u64,
            request_id: Option<String>,
        },
        Failed {
            attempt: u64,
            http_status: Option<u16>,
            request_id: Option<String>,
            error_code: Option<String>,
            error_message: String,
        },
    }

    impl Seen {
        pub(super) fn new(
            attempt: AttemptId,
            outcome: &Result<HttpResponse, TransportError>,
        ) -> Option<Self> {
            let attempt = attempt.get();
            match outcome {
                Ok(response) if response.status == 200 => {
                    tracing::enabled!(target: TARGET, Level::TRACE).then(|| Self::Delivered {
                        attempt,
                        request_id: response.header(REQUEST_ID_HEADER).map(String::from),
                    })
                }
                Ok(response) => tracing::enabled!(target: TARGET, Level::WARN).then(|| {
                    let error = ServerError::from_response(response);
                    Self::Failed {
                        attempt,
                        http_status: Some(error.status),
                        request_id: error.request_id,
                        error_code: error.code,
                        error_message: error.message,
                    }
                }),
                Err(error) => {
                    tracing::enabled!(target: TARGET, Level::WARN).then(|| Self::Failed {
                        attempt,
                        http_status: None,
                        request_id: None,
                        error_code: Some(String::from(error.kind().as_str())),
                        error_message: String::from(error.message()),
                    })
                }
            }
        }

        pub(super) fn decided(self, before: &EngineStats, after: &EngineStats) {
            let Self::Failed {
                attempt,
                http_status,
                request_id,
                error_code,
                error_message,
            } = self
            else {
                if let Self::Delivered {
                    attempt,
                    request_id,
                } = self
                {
                    tracing::trace!(target: TARGET, attempt, request_id = request_id.as_deref(), "delivered");
                }
                return;
            };
            let request_id = request_id.as_deref();
            let error_code = error_code.as_deref();
            if after.retries > before.retries {
                let decision = if http_status == Some(401) {
                    "retry with refreshed credentials"
                } else {
                    "retry after backoff"
                };
                tracing::warn!(
                    target: TARGET,
                    attempt,
                    http_status,
                    request_id,
                    error_code,
                    error_message,
                    decision,
                    "attempt failed"
                );
            } else if after.failed_logs > before.failed_logs {
                tracing::error!(
                    target: TARGET,
                    attempt,
                    http_status,
                    request_id,
                    error_code,
                    error_message,
                    decision = "give up",
                    failed_logs = after.failed_logs - before.failed_logs,
                    "attempt failed; batch given up"
                );
            } else {
                // The batch was already given up (close deadline) when the answer came.
                tracing::debug!(
                target: TARGET,
                            attempt,
                            http_status,
                            request_id,
                            error_code,
                            error_message,
                            decision = "ignored: batch already given up",
                            "late attempt outcome"
                        );
            }
        }
    }
}
