//! When to ask a [`CredentialsProvider`](super::CredentialsProvider) for fresh credentials:
//! the schedule the engine follows, as a pure state machine fed explicit instants.
//!
//! * A provider is asked at once, then shortly before the credentials it gave expire
//!   ([`REFRESH_MARGIN`] before, or at half the remaining lifetime if that is shorter),
//!   and whenever the server rejects the credentials in use (HTTP 401).
//! * One fetch runs at a time.
//! * A failed fetch is retried after the producer's backoff for that many consecutive
//!   failures (at least [`MIN_REFRESH_INTERVAL`]); until then no fetch starts, not even
//!   for a rejection, so a failing provider is never called in a tight loop.
//! * Static credentials are never fetched.

use core::time::Duration;

use super::Credentials;
use crate::protocol::time::{Instant, UnixTime};

/// Credentials are refreshed this long before they expire (or at half their remaining
/// lifetime, if that is shorter).
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Scheduled refreshes are at least this far apart, even for credentials that arrive
/// already (almost) expired; so are retries of a failed fetch.
pub(crate) const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// Why the producer asks its provider for credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchReason {
    /// On schedule: at start, before the credentials expire, or again after a failed
    /// fetch.
    Scheduled,
    /// The server rejected the credentials in use (HTTP 401).
    Rejected,
}

/// The refresh schedule of one producer.
#[derive(Clone, Debug)]
pub(crate) struct RefreshSchedule {
    /// Credentials come from a provider; static ones are never fetched.
    provider: bool,
    /// When the next scheduled fetch is due.
    next_fetch: Option<Instant>,
    /// After a failed fetch, no fetch starts before this, not even for a rejection.
    cool_down: Option<Instant>,
    /// The server rejected the credentials in use and no fetch has answered since.
    rejected: bool,
    /// A fetch is running.
    fetching: bool,
    /// Consecutive failed fetches.
    failures: u32,
}

impl RefreshSchedule {
    /// Static credentials: nothing is ever fetched.
    pub(crate) fn fixed() -> Self {
        Self {
            provider: false,
            next_fetch: None,
            cool_down: None,
            rejected: false,
            fetching: false,
            failures: 0,
        }
    }

    /// Credentials from a provider: the first fetch is due at once.
    pub(crate) fn provider() -> Self {
        Self {
            provider: true,
            next_fetch: Some(Instant::ZERO),
            ..Self::fixed()
        }
    }

    /// Whether credentials come from a provider.
    pub(crate) fn is_provider(&self) -> bool {
        self.provider
    }

    /// Start a fetch if one is due at `now`: the reason, and the fetch counts as running
    /// until [`fetched`](Self::fetched) or [`failed`](Self::failed).
    pub(crate) fn start(&mut self, now: Instant) -> Option<FetchReason> {
        if !self.provider || self.fetching || self.cool_down.is_some_and(|t| t > now) {
            return None;
        }
        let reason = if self.rejected {
            FetchReason::Rejected
        } else if self.next_fetch.is_some_and(|t| t <= now) {
            FetchReason::Scheduled
        } else {
            return None;
        };
        self.fetching = true;
        self.next_fetch = None;
        Some(reason)
    }

    /// The server rejected the credentials in use: fetch as soon as allowed.
    pub(crate) fn reject(&mut self) {
        if self.provider {
            self.rejected = true;
        }
    }

    /// A fetch at `now` / `wall` returned `credentials`: schedule the next one before
    /// they expire (none for credentials that do not expire).
    pub(crate) fn fetched(&mut self, now: Instant, wall: UnixTime, credentials: &Credentials) {
        self.fetching = false;
        self.rejected = false;
        self.failures = 0;
        self.cool_down = None;
        self.next_fetch = self
            .provider
            .then(|| refresh_time(now, wall, credentials))
            .flatten();
    }

    /// A fetch failed at `now`; `backoff` gives the delay after so many consecutive
    /// failures. Returns the consecutive failures and when the next fetch may start.
    pub(crate) fn failed(
        &mut self,
        now: Instant,
        backoff: impl FnOnce(u32) -> Duration,
    ) -> (u32, Duration) {
        self.fetching = false;
        self.failures = self.failures.saturating_add(1);
        let delay = backoff(self.failures).max(MIN_REFRESH_INTERVAL);
        let retry_at = now.saturating_add(delay);
        self.cool_down = Some(retry_at);
        self.next_fetch = Some(retry_at);
        (self.failures, delay)
    }

    /// The next instant at which [`start`](Self::start) may return a reason (for the
    /// engine's `poll_timeout`): `None` while a fetch runs or none is scheduled.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        if !self.provider || self.fetching {
            return None;
        }
        match (self.rejected, self.cool_down, self.next_fetch) {
            (true, Some(cool), _) => Some(cool),
            (true, None, _) => Some(Instant::ZERO),
            (false, _, next) => next,
        }
    }
}

/// When to refresh `credentials` received at `now` / `wall`: before they expire, never in
/// a tight loop. `None` for credentials that do not expire.
fn refresh_time(now: Instant, wall: UnixTime, credentials: &Credentials) -> Option<Instant> {
    let expiration = credentials.expiration?;
    let remaining = Duration::from_nanos(expiration.as_nanos().saturating_sub(wall.as_nanos()));
    let margin = REFRESH_MARGIN.min(remaining / 2);
    let wait = (remaining - margin).max(MIN_REFRESH_INTERVAL);
    Some(now.saturating_add(wait))
}

#[cfg(test)]
mod tests;
