//! What the engine decided, as data: for diagnostics, never inferred from counters.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::attempt::{Attempt, AttemptId};
use super::clock::ClockOffset;
use super::events::DeliveryFailure;
use crate::credentials::CredentialsError;

/// Unread decisions the engine keeps at most; older ones are dropped first. A driver reads
/// them after every step, so the bound only matters to an engine nobody reads.
pub(crate) const MAX_UNREAD: usize = 1024;

/// One decision of the engine, in the order it was taken. Read them with
/// [`Engine::poll_decision`](super::Engine::poll_decision); the producer's driver turns
/// each into a diagnostic event (feature `tracing`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// An attempt stored its batch.
    Delivered {
        /// The request.
        attempt: AttemptId,
        /// Logs in the batch.
        logs: usize,
        /// What the attempt saw (request id, duration).
        record: Attempt,
    },
    /// An attempt failed, or could not be made, and the batch will be tried again.
    Retry {
        /// The failed request (`None` when the request could not even be signed).
        attempt: Option<AttemptId>,
        /// Attempts made so far, the failed one included.
        attempts: u32,
        /// How long the batch waits before its next attempt.
        delay: Duration,
        /// The server rejected the credentials (HTTP 401) and they come from a provider:
        /// the next attempt waits for fresh ones. (Fixed credentials are put back, and the
        /// retry waits only for its backoff.)
        refresh_credentials: bool,
        /// What the failed attempt saw (status, error code and message, request id).
        record: Attempt,
    },
    /// The batch was given up: every send in it fails with `failure`.
    GaveUp {
        /// The last request, if the batch was given up because of its answer.
        attempt: Option<AttemptId>,
        /// Logs in the batch.
        logs: usize,
        /// Why.
        failure: DeliveryFailure,
        /// What the last attempt saw, if there was one.
        record: Option<Attempt>,
    },
    /// An answer arrived for a batch that was already given up (at the close deadline); it
    /// changes nothing.
    LateAnswer {
        /// The request.
        attempt: AttemptId,
    },
    /// Fresh credentials are in use from now on.
    CredentialsRefreshed {
        /// The configured projects that sign with these credentials; empty for the
        /// producer's own, which sign for every other project.
        projects: Vec<String>,
        /// Their AccessKey id (never the secret).
        access_key_id: String,
        /// How long they are valid, if they expire.
        expires_in: Option<Duration>,
    },
    /// A credentials fetch failed; the previous credentials (if any) stay in use.
    CredentialsFailed {
        /// The configured projects whose credentials these are; empty for the producer's
        /// own.
        projects: Vec<String>,
        /// Why.
        error: CredentialsError,
        /// Consecutive failed fetches.
        failures: u32,
        /// When the next fetch may start.
        retry_in: Duration,
    },
    /// The server refused a request for its date (`RequestTimeExpired`) and its `Date`
    /// showed its clock this far from ours: requests to its endpoint are signed with the
    /// corrected time from now on, and the batch is retried at once (a
    /// [`Decision::Retry`] follows). Log times are not changed.
    ClockCorrected {
        /// The refused request.
        attempt: AttemptId,
        /// Its project (the correction holds for every project on the same endpoint).
        project: String,
        /// The offset the request was signed with.
        previous: ClockOffset,
        /// The offset from now on: the server's clock minus ours.
        offset: ClockOffset,
    },
}
