//! Destinations: where a batch goes and how it is signed. The producer's own (the
//! default) and one per configured project, each a [`Wire`] (endpoint, signature
//! settings), a credentials source, and the clock offset learned from its endpoint.
//!
//! A batch's destination is resolved once, when the batch is created, from its project:
//! sends that append to an open batch look nothing up, and an engine without configured
//! projects does not even consult the (empty) map.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::clock::ClockOffset;
use super::credentials::CredentialsId;
use super::sorted::VecMap;
use super::wire::Wire;

/// Identifies a destination of one engine; [`DestinationId::DEFAULT`] is the producer's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DestinationId(u32);

impl DestinationId {
    /// The producer's own endpoint, signature settings and credentials.
    pub(crate) const DEFAULT: Self = Self(0);

    fn index(self) -> usize {
        self.0 as usize
    }
}

/// One destination.
#[derive(Debug)]
pub(crate) struct Destination {
    pub(crate) wire: Arc<Wire>,
    pub(crate) credentials: CredentialsId,
    /// Index of the destination's endpoint among `Destinations::offsets`: destinations
    /// with the same endpoint share its clock.
    clock: usize,
}

/// Every destination of an engine.
#[derive(Debug)]
pub(crate) struct Destinations {
    /// `[0]` is the default.
    all: Vec<Destination>,
    by_project: VecMap<String, DestinationId>,
    /// The learned clock offset of each distinct endpoint.
    offsets: Vec<ClockOffset>,
}

impl Destinations {
    /// The producer's own destination, signing with [`CredentialsId::DEFAULT`].
    pub(crate) fn new(default: Wire) -> Self {
        Self {
            all: Vec::from([Destination {
                wire: Arc::new(default),
                credentials: CredentialsId::DEFAULT,
                clock: 0,
            }]),
            by_project: VecMap::new(),
            offsets: Vec::from([ClockOffset::ZERO]),
        }
    }

    /// The producer's own wire (whose LogGroup tags every wire shares).
    pub(crate) fn default_wire(&self) -> &Wire {
        &self.all[0].wire
    }

    /// Send `project`'s batches created from now on through `wire`, signed with
    /// `credentials`; replaces an earlier destination of the project.
    pub(crate) fn add(&mut self, project: &str, wire: Wire, credentials: CredentialsId) {
        let clock = match self
            .all
            .iter()
            .find(|d| d.wire.endpoint() == wire.endpoint())
        {
            Some(same_endpoint) => same_endpoint.clock,
            None => {
                self.offsets.push(ClockOffset::ZERO);
                self.offsets.len() - 1
            }
        };
        let id = DestinationId(u32::try_from(self.all.len()).expect("fewer than 2^32 projects"));
        self.all.push(Destination {
            wire: Arc::new(wire),
            credentials,
            clock,
        });
        self.by_project.insert(String::from(project), id);
    }

    /// Where a batch of `project` goes. Called when a batch is created, never per send.
    pub(crate) fn resolve(&self, project: &str) -> DestinationId {
        if self.by_project.is_empty() {
            return DestinationId::DEFAULT;
        }
        self.by_project
            .get(project)
            .copied()
            .unwrap_or(DestinationId::DEFAULT)
    }

    pub(crate) fn get(&self, id: DestinationId) -> &Destination {
        &self.all[id.index()]
    }

    /// The clock offset of `id`'s endpoint.
    pub(crate) fn offset(&self, id: DestinationId) -> ClockOffset {
        self.offsets[self.get(id).clock]
    }

    /// Sign requests to `id`'s endpoint with `offset` from now on.
    pub(crate) fn set_offset(&mut self, id: DestinationId, offset: ClockOffset) {
        let clock = self.get(id).clock;
        self.offsets[clock] = offset;
    }

    /// The configured projects that sign with `credentials`, in name order: empty for the
    /// producer's own credentials, which sign for every other project too.
    pub(crate) fn projects_signing_with(&self, credentials: CredentialsId) -> Vec<String> {
        if credentials == CredentialsId::DEFAULT {
            return Vec::new();
        }
        self.by_project
            .iter()
            .filter(|(_, id)| self.get(**id).credentials == credentials)
            .map(|(project, _)| project.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ProducerConfig, ProjectConfig};

    fn wire(endpoint: &str) -> Wire {
        let config = ProducerConfig::new("http://127.0.0.1:8080");
        let default = Wire::new(&config).unwrap();
        default
            .for_project(&ProjectConfig::new(endpoint), config.signature_version)
            .unwrap()
    }

    #[test]
    fn projects_resolve_to_their_destination_and_the_rest_to_the_default() {
        let mut d = Destinations::new(wire("http://127.0.0.1:8080"));
        assert_eq!(d.resolve("any"), DestinationId::DEFAULT);
        d.add("alpha", wire("http://127.0.0.2:8080"), CredentialsId(1));
        d.add("beta", wire("http://127.0.0.3:8080"), CredentialsId(1));
        let (alpha, beta) = (d.resolve("alpha"), d.resolve("beta"));
        assert_ne!(alpha, DestinationId::DEFAULT);
        assert_ne!(alpha, beta);
        assert_eq!(d.resolve("gamma"), DestinationId::DEFAULT);
        assert_eq!(d.get(beta).credentials, CredentialsId(1));
        assert_eq!(d.projects_signing_with(CredentialsId(1)), ["alpha", "beta"]);
        assert!(d.projects_signing_with(CredentialsId::DEFAULT).is_empty());
        // A project given again is sent to its new destination.
        d.add("alpha", wire("http://127.0.0.4:8080"), CredentialsId(2));
        assert_eq!(d.get(d.resolve("alpha")).credentials, CredentialsId(2));
        assert_eq!(d.projects_signing_with(CredentialsId(1)), ["beta"]);
    }

    #[test]
    fn destinations_of_one_endpoint_share_its_clock() {
        let mut d = Destinations::new(wire("http://127.0.0.1:8080"));
        d.add("same", wire("http://127.0.0.1:8080"), CredentialsId(1));
        d.add(
            "other",
            wire("http://127.0.0.2:8080"),
            CredentialsId::DEFAULT,
        );
        let ahead = ClockOffset::from_nanos(3_600_000_000_000);
        d.set_offset(d.resolve("same"), ahead);
        assert_eq!(d.offset(DestinationId::DEFAULT), ahead);
        assert_eq!(d.offset(d.resolve("other")), ClockOffset::ZERO);
    }
}
