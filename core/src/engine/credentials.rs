//! Credentials: the refresh schedule the engine follows, and what fresh credentials
//! release.

use core::time::Duration;

use super::{Decision, Engine, Phase};
use crate::credentials::{Credentials, CredentialsError, FetchReason};
use crate::protocol::time::{Instant, UnixTime};

impl<T> Engine<T> {
    /// Whether to fetch credentials from the provider now, and why: at start, before the
    /// credentials in use expire, and after the server rejected them, never while a fetch
    /// runs or a failed one is cooling down (see the `credentials` module). Once `Some` is
    /// returned the fetch counts as running until [`Engine::handle_credentials`]. Always
    /// `None` for an engine created with fixed credentials.
    pub fn poll_credentials_fetch(&mut self, now: Instant) -> Option<FetchReason> {
        self.refresh.start(now)
    }

    /// The outcome of a credentials fetch (at `now` / `wall`), or new credentials from any
    /// source (a rotation). Fresh credentials sign every request from now on, including
    /// pending retries, and release retries held back after a 401; a failed fetch keeps the
    /// previous credentials and schedules another fetch after the configured backoff.
    pub fn handle_credentials(
        &mut self,
        now: Instant,
        wall: UnixTime,
        result: Result<Credentials, CredentialsError>,
    ) {
        match result {
            Ok(credentials) => {
                self.refresh.fetched(now, wall, &credentials);
                self.decide(Decision::CredentialsRefreshed {
                    access_key_id: credentials.access_key_id.clone(),
                    expires_in: credentials.expiration.map(|e| {
                        Duration::from_nanos(e.as_nanos().saturating_sub(wall.as_nanos()))
                    }),
                });
                self.install_credentials(credentials);
            }
            Err(error) => {
                let backoff = self.settings.backoff;
                let (failures, retry_in) = self.refresh.failed(now, |n| backoff.ceiling(n));
                self.decide(Decision::CredentialsFailed {
                    error,
                    failures,
                    retry_in,
                });
            }
        }
    }

    /// The server rejected the credentials in use: fetch fresh ones from the provider, or,
    /// if they are fixed, put the same ones back so that the retries waiting for them go on.
    pub(super) fn credentials_rejected(&mut self) {
        if self.refresh.is_provider() {
            self.refresh.reject();
        } else if let Some(same) = self.credentials.clone() {
            self.install_credentials(same);
        }
    }

    /// Sign with `credentials` from now on; release the retries held back for new ones.
    pub(super) fn install_credentials(&mut self, credentials: Credentials) {
        self.credentials = Some(credentials);
        self.credentials_generation += 1;
        for id in core::mem::take(&mut self.awaiting_credentials) {
            let Some(batch) = self.batches.get_mut(&id) else {
                continue;
            };
            if matches!(batch.phase, Phase::AwaitingCredentials) {
                batch.phase = Phase::Queued;
                self.ready.push_back(id);
            }
        }
    }
}
