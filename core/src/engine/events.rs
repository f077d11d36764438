//! What the engine reports: one outcome per send, with the logs handed back on failure.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use super::attempt::Attempt;
use super::handback::HandedBack;
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

/// Why a send was not delivered. Every variant hands the logs back through
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
    /// The producer has a disk spool and could not write the batch to it before its first
    /// attempt: the spool is full and refuses new batches (`WhenFull::Refuse`), or the
    /// disk failed (`kind` says which). Nothing was sent; the logs are handed back.
    ///
    /// Also the failure of an untracked batch whose body had left memory during an
    /// outage (it waited for a retry on disk only) and could not be read back: its record
    /// was damaged or deleted (`kind` is then `Io`, or `Full` for a record
    /// `WhenFull::DropOldest` deleted).
    Spool {
        /// Why the spool did not take the batch.
        kind: crate::durable::StoreErrorKind,
    },
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
            Self::Spool { kind } => match kind {
                crate::durable::StoreErrorKind::Full => {
                    f.write_str("the disk spool is full and refuses new batches")
                }
                _ => f.write_str("the batch could not be written to or read back from the disk spool"),
            },
        }
    }
}

impl core::error::Error for DeliveryFailure {}

/// The outcome of one send.
///
/// All sends in one batch share the same attempt records (one `Arc`). On failure, the
/// result hands back exactly the logs of this send through [`logs`](Self::logs) and
/// [`into_logs`](Self::into_logs); on success there are none.
///
/// The handed-back logs are decoded lazily. A failed batch keeps its encoded body (the only
/// copy the producer has), shared by the results of every send in it, and each result
/// keeps the positions of its own logs in it: giving up a batch, which `close` does for
/// every pending batch when its deadline passes, costs no work per log. The body is
/// decompressed and decoded the first time any of its sends asks for its logs, and kept
/// decoded for the other sends of the batch while any of their results lives.
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
    /// The send's logs, handed back on failure (undecoded); none on success.
    pub(super) handed_back: HandedBack,
}

impl DeliveryResult {
    pub(crate) fn delivered(attempts: Arc<[Attempt]>, attempt_count: u32) -> Self {
        Self {
            failure: None,
            attempts,
            attempt_count,
            handed_back: HandedBack::default(),
        }
    }

    pub(crate) fn failed(
        failure: DeliveryFailure,
        attempts: Arc<[Attempt]>,
        attempt_count: u32,
        handed_back: HandedBack,
    ) -> Self {
        Self {
            failure: Some(failure),
            attempts,
            attempt_count,
            handed_back,
        }
    }

    /// Whether the handed-back logs were decoded already (by a result of any send in the
    /// same batch asking for its logs). Not part of the API: tests use it to check that
    /// giving a batch up decodes nothing.
    #[cfg(feature = "__internals")]
    #[doc(hidden)]
    pub fn handed_back_is_decoded(&self) -> bool {
        self.handed_back.is_decoded()
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

    /// How many logs are handed back (this send's logs on failure, 0 on success), without
    /// decoding them.
    pub fn handed_back_count(&self) -> usize {
        self.handed_back.len()
    }

    /// The send's logs, handed back on failure, in the order they were sent; empty on
    /// success.
    ///
    /// The first call for any send of a failed batch decompresses and decodes the batch's
    /// body; later calls for sends of the same batch reuse the decoded logs. Should a body
    /// not read back (a producer bug: debug builds panic on it), its logs are missing here
    /// while [`handed_back_count`](Self::handed_back_count) still counts them, and an
    /// `ERROR` diagnostic says how many.
    pub fn logs(&self) -> Vec<Log> {
        self.handed_back.logs()
    }

    /// Take the handed-back logs: [`logs`](Self::logs), consuming the result.
    pub fn into_logs(self) -> Vec<Log> {
        self.handed_back.logs()
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
