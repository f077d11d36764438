//! Credentials: the sources an engine signs with (the producer's, and those of configured
//! projects), each with its own refresh schedule, and what fresh credentials release.
//!
//! Only an engine that signs (PutLogs, [`Format::log_groups`](super::Format)) fetches,
//! takes or refreshes credentials: without the `signing` feature none of it is linked.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::batch::BatchId;
use super::destination::DestinationId;
use super::{Decision, Engine, Phase};
use crate::credentials::refresh::RefreshSchedule;
use crate::credentials::{Credentials, CredentialsError, FetchReason};
use crate::protocol::time::{Instant, UnixTime};

/// Identifies one credentials source of an [`Engine`]: [`CredentialsId::DEFAULT`], the
/// credentials (or provider) the engine was created with, or one added with
/// [`Engine::add_credentials`]. Each source has its own refresh schedule; one fetch runs
/// at a time per source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CredentialsId(pub(crate) u32);

impl CredentialsId {
    /// The source given to [`Engine::new`].
    pub const DEFAULT: Self = Self(0);

    /// The source's number: `0` for the default, then in the order they were added.
    pub const fn get(self) -> u32 {
        self.0
    }

    fn index(self) -> usize {
        self.0 as usize
    }
}

/// A credentials fetch the engine asks for ([`Engine::poll_credentials_fetch`]): ask the
/// provider of `source`, then report with [`Engine::handle_credentials`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CredentialsFetch {
    /// Whose provider to ask.
    pub source: CredentialsId,
    /// Why now.
    pub reason: FetchReason,
}

/// One credentials source: what signs now, its generation, its schedule, and the batches
/// waiting for newer credentials than the ones the server rejected.
#[derive(Debug)]
pub(crate) struct Source {
    credentials: Option<Credentials>,
    /// Raised by every installation; a batch rejected with generation `g` waits for `g + 1`.
    pub(crate) generation: u64,
    refresh: RefreshSchedule,
    awaiting: Vec<BatchId>,
}

impl Source {
    fn new(fixed: Option<Credentials>) -> Self {
        Self {
            generation: u64::from(fixed.is_some()),
            refresh: if fixed.is_some() {
                RefreshSchedule::fixed()
            } else {
                RefreshSchedule::provider()
            },
            credentials: fixed,
            awaiting: Vec::new(),
        }
    }

    /// The credentials that sign now, if any arrived yet.
    pub(crate) fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Whether credentials come from a provider (and may be fetched again).
    pub(crate) fn is_provider(&self) -> bool {
        self.refresh.is_provider()
    }

    /// Hold batch `id` until credentials of this source arrive.
    pub(crate) fn hold(&mut self, id: BatchId) {
        self.awaiting.push(id);
    }
}

/// Every credentials source of an engine, by [`CredentialsId`].
#[derive(Debug)]
pub(crate) struct Sources(Vec<Source>);

impl Sources {
    /// The default source: `fixed` credentials, or (`None`) a provider's.
    pub(crate) fn new(fixed: Option<Credentials>) -> Self {
        Self(Vec::from([Source::new(fixed)]))
    }

    /// The default source of an engine that signs nothing (web tracking): no credentials,
    /// never fetched.
    pub(crate) fn anonymous() -> Self {
        Self(Vec::from([Source {
            credentials: None,
            generation: 0,
            refresh: RefreshSchedule::fixed(),
            awaiting: Vec::new(),
        }]))
    }

    pub(crate) fn get(&self, id: CredentialsId) -> &Source {
        &self.0[id.index()]
    }

    pub(crate) fn get_mut(&mut self, id: CredentialsId) -> &mut Source {
        &mut self.0[id.index()]
    }

    /// The earliest instant at which a source's fetch is due (of an engine that signs:
    /// [`Engine::poll_timeout`] asks only then).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.0.iter().filter_map(|s| s.refresh.deadline()).min()
    }
}

impl<T> Engine<T> {
    /// Add a credentials source for [`Engine::add_project`]: `fixed` credentials, or
    /// (`None`) credentials from a provider, which [`Engine::poll_credentials_fetch`] asks
    /// for under the returned id (at once, then on the source's own schedule).
    pub fn add_credentials(&mut self, fixed: Option<Credentials>) -> CredentialsId {
        let id = CredentialsId(u32::try_from(self.sources.0.len()).expect("fewer than 2^32"));
        self.sources.0.push(Source::new(fixed));
        id
    }

    /// Whether to fetch credentials from a source's provider now, which, and why: at start,
    /// before the credentials in use expire, and after the server rejected them; never
    /// while that source's fetch runs or a failed one is cooling down (see the
    /// `credentials` module). Once a fetch is returned it counts as running until
    /// [`Engine::handle_credentials`] for its source. Call it until `None`: sources with a
    /// provider each have their own schedule. Sources of fixed credentials are never
    /// fetched, nor any source of an engine that signs nothing (web tracking).
    pub fn poll_credentials_fetch(&mut self, now: Instant) -> Option<CredentialsFetch> {
        self.settings.format.log_groups()?;
        self.sources
            .0
            .iter_mut()
            .enumerate()
            .find_map(|(index, source)| {
                let reason = source.refresh.start(now)?;
                let source = CredentialsId(u32::try_from(index).expect("fewer than 2^32"));
                Some(CredentialsFetch { source, reason })
            })
    }

    /// The outcome of a credentials fetch for `source` (at `now` / `wall`), or new
    /// credentials for it from anywhere (a rotation). Fresh credentials sign every request
    /// of that source from now on, including pending retries, and release retries held
    /// back after a 401; a failed fetch keeps the previous credentials and schedules
    /// another fetch after the configured backoff. Credentials the service would refuse
    /// whatever their signature (see [`Credentials::defect`]: an empty AccessKey ID or
    /// secret, a character that cannot go in a header) count as a failed fetch whose error
    /// names the defect (never the secret): nothing is signed with them. An engine that
    /// signs nothing (web tracking) ignores them.
    ///
    /// # Panics
    ///
    /// If `source` is not one of this engine's.
    pub fn handle_credentials(
        &mut self,
        now: Instant,
        wall: UnixTime,
        source: CredentialsId,
        result: Result<Credentials, CredentialsError>,
    ) {
        if self.settings.format.log_groups().is_none() {
            return;
        }
        let result = result.and_then(usable);
        let projects = self.destinations.projects_signing_with(source);
        let refresh = &mut self.sources.get_mut(source).refresh;
        match result {
            Ok(credentials) => {
                refresh.fetched(now, wall, &credentials);
                self.decide(Decision::CredentialsRefreshed {
                    projects,
                    access_key_id: credentials.access_key_id.clone(),
                    expires_in: credentials.expiration.map(|e| {
                        Duration::from_nanos(e.as_nanos().saturating_sub(wall.as_nanos()))
                    }),
                });
                self.install_credentials(source, credentials);
            }
            Err(error) => {
                let backoff = self.settings.backoff;
                let (failures, retry_in) = refresh.failed(now, |n| backoff.ceiling(n));
                self.decide(Decision::CredentialsFailed {
                    projects,
                    error,
                    failures,
                    retry_in,
                });
            }
        }
    }

    /// The credentials source of destination `to`.
    pub(super) fn source_of(&self, to: DestinationId) -> CredentialsId {
        self.destinations.get(to).credentials
    }

    /// The server rejected `source`'s credentials: fetch fresh ones from its provider, or,
    /// if they are fixed, put the same ones back so that the retries waiting for them go on.
    pub(super) fn credentials_rejected(&mut self, source: CredentialsId) {
        if self.settings.format.log_groups().is_none() {
            return; // nothing signed, nothing to reject
        }
        let s = self.sources.get_mut(source);
        if s.refresh.is_provider() {
            s.refresh.reject();
        } else if let Some(same) = s.credentials.clone() {
            self.install_credentials(source, same);
        }
    }

    /// Sign `source`'s requests with `credentials` from now on; release its retries held
    /// back for new ones.
    fn install_credentials(&mut self, source: CredentialsId, credentials: Credentials) {
        let s = self.sources.get_mut(source);
        s.credentials = Some(credentials);
        s.generation += 1;
        for id in core::mem::take(&mut s.awaiting) {
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

/// `credentials`, unless they have a [`defect`](Credentials::defect): then the fetch that
/// returned them failed, with an error naming the defect.
fn usable(credentials: Credentials) -> Result<Credentials, CredentialsError> {
    match credentials.defect() {
        None => Ok(credentials),
        Some(defect) => {
            let mut message = String::from("the provider returned unusable credentials: ");
            message.push_str(defect);
            Err(CredentialsError::new(message))
        }
    }
}
