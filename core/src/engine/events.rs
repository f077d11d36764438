//! What the engine reports: one outcome per send, with the logs handed back on failure.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use super::attempt::Attempt;
use crate::protocol::proto::Log;

/// Identifies one accepted send (one log or one list of logs).
///
/// Tickets increase in the order sends were accepted, across all routes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub(crate) u64);

impl Ticket {
    /// The raw number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ticket({})", self.0)
    }
}

/// Why a send was not delivered. Every variant hands the logs back in
/// [`DeliveryResult::logs`], so the caller can store, re-send or drop them knowingly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryFailure {
    /// The server rejected the batch with a status listed in the configuration's
    /// `no_retry_status_codes` (default 400 and 404: malformed data, unknown project or
    /// logstore). Retrying would fail the same way: fix the data or the destination.
    NotRetryable {
        /// The HTTP status the server answered.
        http_status: u16,
    },
    /// A local failure no retry can heal, met on the first attempt: the request could not
    /// be signed (e.g. a security token or region with a control character) or the
    /// server's TLS certificate was rejected. The last attempt in
    /// [`DeliveryResult::attempts`] carries the error (`error_code` `SignError` or
    /// `CertificateError`) and its cause (`error_message`).
    Unrecoverable,
    /// Every allowed attempt failed (`1 + max_retries` attempts). The last attempt in
    /// [`DeliveryResult::attempts`] says why; the logs may be re-sent later.
    RetriesExhausted,
    /// The batch had no successful attempt within the configured `delivery_timeout` after
    /// it was sealed.
    DeliveryTimeout,
    /// The producer closed and its close deadline passed before the batch was delivered.
    /// If `in_flight` is true, a request was still outstanding: the server may have stored
    /// the logs anyway, so re-sending them can duplicate them.
    Closed {
        /// A request for this batch was outstanding when it was given up.
        in_flight: bool,
    },
    /// The producer's driver was dropped before the send had an outcome; no logs could be
    /// handed back. Keep the driver running until `close` completes.
    Abandoned,
}

impl fmt::Display for DeliveryFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotRetryable { http_status } => write!(
                f,
                "rejected by the server with HTTP {http_status}, which is configured as not retryable"
            ),
            Self::Unrecoverable => {
                f.write_str("a local error that no retry can fix (see the last attempt)")
            }
            Self::RetriesExhausted => f.write_str("every allowed attempt failed"),
            Self::DeliveryTimeout => f.write_str("not delivered within the delivery timeout"),
            Self::Closed { in_flight: false } => {
                f.write_str("the producer closed before the logs could be delivered")
            }
            Self::Closed { in_flight: true } => f.write_str(
                "the producer closed while a request was in flight; the server may have stored the logs",
            ),
            Self::Abandoned => {
                f.write_str("the producer's driver was dropped before the send had an outcome")
            }
        }
    }
}

impl core::error::Error for DeliveryFailure {}

/// The outcome of one send.
///
/// All sends in one batch share the same attempt records (one `Arc`). On failure, `logs`
/// holds exactly the logs of this send (decoded from the batch's encoded body, which is the
/// only copy the producer keeps); on success it is empty.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryResult {
    /// `None` if the logs were delivered; otherwise why not.
    pub failure: Option<DeliveryFailure>,
    /// The most recent attempts of the batch (at most `max_reserved_attempts`), oldest first.
    /// Empty if no request was ever made (e.g. an empty send, or a close that came first).
    pub attempts: Arc<[Attempt]>,
    /// How many attempts were made in total (may exceed `attempts.len()`).
    pub attempt_count: u32,
    /// The send's logs, handed back on failure; empty on success.
    pub logs: Vec<Log>,
}

impl DeliveryResult {
    pub(crate) fn delivered(attempts: Arc<[Attempt]>, attempt_count: u32) -> Self {
        Self {
            failure: None,
            attempts,
            attempt_count,
            logs: Vec::new(),
        }
    }

    pub(crate) fn failed(
        failure: DeliveryFailure,
        attempts: Arc<[Attempt]>,
        attempt_count: u32,
        logs: Vec<Log>,
    ) -> Self {
        Self {
            failure: Some(failure),
            attempts,
            attempt_count,
            logs,
        }
    }

    /// Whether the logs were delivered.
    pub fn is_success(&self) -> bool {
        self.failure.is_none()
    }

    /// The last attempt, which describes the final outcome.
    pub fn last_attempt(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// The last attempt's error code (SLS code or transport error kind).
    pub fn error_code(&self) -> Option<&str> {
        self.last_attempt()?.error_code.as_deref()
    }

    /// The last attempt's error message.
    pub fn error_message(&self) -> Option<&str> {
        self.last_attempt()?.error_message.as_deref()
    }

    /// The last attempt's server request id.
    pub fn request_id(&self) -> Option<&str> {
        self.last_attempt()?.request_id.as_deref()
    }

    /// The last attempt's HTTP status.
    pub fn http_status(&self) -> Option<u16> {
        self.last_attempt()?.http_status
    }

    /// Take the handed-back logs.
    pub fn into_logs(self) -> Vec<Log> {
        self.logs
    }
}

/// The outcome of one send that asked for one, with the caller's tag.
#[derive(Debug)]
#[non_exhaustive]
pub struct DeliveryEvent<T> {
    /// The send's ticket (as returned by [`Engine::push`](super::Engine::push)).
    pub ticket: Ticket,
    /// The tag given to [`Engine::push`](super::Engine::push).
    pub tag: T,
    /// What happened.
    pub result: DeliveryResult,
}
