//! Retry classification: which outcomes are worth another attempt.
//!
//! The rules, deliberately close to the Go producer's but applied to the HTTP status
//! **whatever the body looks like** (Go turns non-JSON error bodies into a status-less
//! client error and so retries a proxy's HTML 404 forever):
//!
//! | Outcome | Verdict |
//! |---|---|
//! | HTTP 200 | delivered |
//! | status in `no_retry_status_codes` (default 400, 404) | not retryable |
//! | 413, or the SLS code `PostBodyTooLarge` / `InvalidLogSize` (any status) | not retryable: the request is too large and always will be |
//! | 401 to a signed request | retryable, after a credentials refresh |
//! | 401 to a web-tracking request | not retryable: web tracking is off on the logstore, and no credentials can change that |
//! | any other status (403 quota, 429, 5xx, other 2xx/3xx/4xx) | retryable |
//! | transport error (connect, timeout, I/O, …) | retryable |
//! | TLS certificate rejected ([`TransportErrorKind::Certificate`]) | unrecoverable |
//! | request could not be signed (`SignError`) | unrecoverable |
//!
//! Apart from the two "too large" codes, the SLS error code is not consulted:
//! retryability is a property of the status. An unrecoverable failure is a local one no
//! retry can heal: the batch fails after its first attempt
//! ([`DeliveryFailure::Unrecoverable`]), with the error in its attempt record.

use core::time::Duration;

use super::events::DeliveryFailure;
use crate::protocol::time::Instant;
use crate::rt::TransportErrorKind;

/// SLS error codes that say the request is too large: the Java SDK's names for a body
/// over the service's limit (`PostBodyTooLarge`) and over its hard cap (`InvalidLogSize`);
/// the service answers the former (see `docs/limits.md`).
const TOO_LARGE_CODES: [&str; 2] = ["PostBodyTooLarge", "InvalidLogSize"];

/// The class of one attempt's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Stored by the server.
    Delivered,
    /// Worth another attempt; `refresh_credentials` when the server rejected the signature
    /// or the credentials (401), so the next attempt should carry fresh ones.
    Retryable { refresh_credentials: bool },
    /// The server rejected the data for good.
    NotRetryable { http_status: u16 },
    /// A local failure no retry can heal (the request cannot be signed, the server's
    /// certificate is rejected).
    Unrecoverable,
}

/// Classify an HTTP status and the SLS error code of the answer, if it has one, to a
/// request that was `signed` (PutLogs) or anonymous (web tracking).
pub(crate) fn classify_status(
    status: u16,
    error_code: Option<&str>,
    no_retry_status_codes: &[u16],
    signed: bool,
) -> Verdict {
    if status == 200 {
        Verdict::Delivered
    } else if no_retry_status_codes.contains(&status)
        || status == 413
        || (status == 401 && !signed)
        || error_code.is_some_and(|code| TOO_LARGE_CODES.contains(&code))
    {
        Verdict::NotRetryable {
            http_status: status,
        }
    } else {
        Verdict::Retryable {
            refresh_credentials: status == 401,
        }
    }
}

/// Classify a failure without a response. Every transport error is retryable (none of
/// them proves the server rejected the data) except a rejected certificate, which the
/// next attempt would meet again.
pub(crate) const fn classify_transport_error(kind: TransportErrorKind) -> Verdict {
    match kind {
        TransportErrorKind::Certificate => Verdict::Unrecoverable,
        _ => Verdict::Retryable {
            refresh_credentials: false,
        },
    }
}

/// What to do after a retryable failure.
///
/// `failed_attempts` counts attempts made so far including the one that just failed;
/// the batch may make `1 + max_retries` attempts in all. The retry is due `backoff` after
/// `now`; it is not scheduled if it would start at or after the batch's delivery deadline
/// or the producer's close deadline.
pub(crate) fn schedule_retry(
    now: Instant,
    failed_attempts: u32,
    max_retries: u32,
    backoff: Duration,
    delivery_deadline: Option<Instant>,
    close_deadline: Option<Instant>,
) -> Result<Instant, DeliveryFailure> {
    if failed_attempts > max_retries {
        return Err(DeliveryFailure::RetriesExhausted);
    }
    let at = now.saturating_add(backoff);
    if delivery_deadline.is_some_and(|d| at >= d) {
        return Err(DeliveryFailure::DeliveryTimeout);
    }
    if close_deadline.is_some_and(|d| at >= d) {
        return Err(DeliveryFailure::Closed { in_flight: false });
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_NO_RETRY: &[u16] = &[400, 404];

    #[test]
    fn only_200_is_delivered() {
        assert_eq!(
            classify_status(200, None, DEFAULT_NO_RETRY, true),
            Verdict::Delivered
        );
        for s in [201, 204, 206] {
            assert!(matches!(
                classify_status(s, None, DEFAULT_NO_RETRY, true),
                Verdict::Retryable { .. }
            ));
        }
    }

    #[test]
    fn statuses_in_the_no_retry_list_are_final() {
        for s in [400, 404] {
            assert_eq!(
                classify_status(s, None, DEFAULT_NO_RETRY, true),
                Verdict::NotRetryable { http_status: s }
            );
        }
        assert_eq!(
            classify_status(503, None, &[503], true),
            Verdict::NotRetryable { http_status: 503 }
        );
        assert!(matches!(
            classify_status(404, None, &[], true),
            Verdict::Retryable { .. }
        ));
    }

    #[test]
    fn quota_throttle_server_errors_and_401_are_retried() {
        for s in [403, 429, 500, 502, 503, 504] {
            assert_eq!(
                classify_status(s, None, DEFAULT_NO_RETRY, true),
                Verdict::Retryable {
                    refresh_credentials: false
                },
                "{s}"
            );
        }
        assert_eq!(
            classify_status(401, None, DEFAULT_NO_RETRY, true),
            Verdict::Retryable {
                refresh_credentials: true
            }
        );
        assert_eq!(
            classify_status(401, None, DEFAULT_NO_RETRY, false),
            Verdict::NotRetryable { http_status: 401 },
            "an anonymous (web-tracking) request has no credentials to refresh"
        );
        assert_eq!(
            classify_status(503, None, DEFAULT_NO_RETRY, false),
            Verdict::Retryable {
                refresh_credentials: false
            }
        );
        for kind in [
            TransportErrorKind::Connect,
            TransportErrorKind::Timeout,
            TransportErrorKind::Io,
            TransportErrorKind::Canceled,
            TransportErrorKind::Other,
        ] {
            assert!(
                matches!(classify_transport_error(kind), Verdict::Retryable { .. }),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn too_large_answers_and_rejected_certificates_are_final() {
        assert_eq!(
            classify_status(413, None, &[], true),
            Verdict::NotRetryable { http_status: 413 }
        );
        for code in TOO_LARGE_CODES {
            assert_eq!(
                classify_status(500, Some(code), &[], true),
                Verdict::NotRetryable { http_status: 500 },
                "{code}"
            );
        }
        assert!(matches!(
            classify_status(500, Some("InternalServerError"), &[], true),
            Verdict::Retryable { .. }
        ));
        assert_eq!(
            classify_transport_error(TransportErrorKind::Certificate),
            Verdict::Unrecoverable
        );
    }

    #[test]
    fn retry_budget_allows_exactly_max_retries() {
        let now = Instant::from_secs(10);
        let d = Duration::from_millis(100);
        assert_eq!(
            schedule_retry(now, 10, 10, d, None, None),
            Ok(Instant::from_millis(10_100))
        );
        assert_eq!(
            schedule_retry(now, 11, 10, d, None, None),
            Err(DeliveryFailure::RetriesExhausted)
        );
        assert_eq!(
            schedule_retry(now, 1, 0, d, None, None),
            Err(DeliveryFailure::RetriesExhausted)
        );
    }

    #[test]
    fn retry_past_a_deadline_is_not_scheduled() {
        let now = Instant::from_secs(10);
        let d = Duration::from_secs(1);
        assert_eq!(
            schedule_retry(now, 1, 10, d, Some(Instant::from_secs(11)), None),
            Err(DeliveryFailure::DeliveryTimeout)
        );
        assert_eq!(
            schedule_retry(now, 1, 10, d, None, Some(Instant::from_secs(11))),
            Err(DeliveryFailure::Closed { in_flight: false })
        );
        assert_eq!(
            schedule_retry(now, 1, 10, d, Some(Instant::from_millis(11_001)), None),
            Ok(Instant::from_secs(11))
        );
    }

    #[test]
    fn huge_backoff_saturates() {
        let at = schedule_retry(Instant::from_secs(1), 1, 10, Duration::MAX, None, None);
        assert_eq!(at, Ok(Instant::MAX));
    }
}
