//! Routes: where a send goes, and the key that groups sends into batches.

use alloc::sync::Arc;
use core::fmt;

use crate::protocol::request::{self, InvalidName};
use crate::protocol::shard::ShardKey;

/// The destination of a send: project, logstore, topic, source and optional shard key.
///
/// A route is also the batch key: sends with equal routes share a batch, sends that differ
/// in any one field never do. It is a tuple of separate fields, not a joined string (the Go
/// producer joins with `|` and so mixes up e.g. topic `a|b` with topic `a` + key `b`).
///
/// Cheap to clone (reference-counted strings): build one per destination and reuse it.
/// Routes order lexicographically by project, logstore, topic, source and shard key.
#[derive(Clone, PartialOrd, Ord)]
pub struct Route {
    project: Arc<str>,
    logstore: Arc<str>,
    topic: Arc<str>,
    source: Arc<str>,
    shard_key: Option<Arc<str>>,
    /// A hash of the fields above, kept up to date by every constructor: the engine finds a
    /// route's open batch by it, without comparing strings on every send.
    digest: u64,
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        // Different digests: certainly different. Equal ones: compare the fields, shared
        // strings (a route and its clones, the usual case) by pointer only. `Arc`'s own `==`
        // does not: its pointer shortcut needs a sized `T`, so `Arc<str>` compares bytes.
        fn same(a: &Arc<str>, b: &Arc<str>) -> bool {
            Arc::ptr_eq(a, b) || a == b
        }
        self.digest == other.digest
            && same(&self.project, &other.project)
            && same(&self.logstore, &other.logstore)
            && same(&self.topic, &other.topic)
            && same(&self.source, &other.source)
            && match (&self.shard_key, &other.shard_key) {
                (None, None) => true,
                (Some(a), Some(b)) => same(a, b),
                _ => false,
            }
    }
}

impl Eq for Route {}

impl core::hash::Hash for Route {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.digest);
    }
}

impl Route {
    /// A route to `project`/`logstore` with empty topic and source and no shard key
    /// (the server load-balances across shards).
    ///
    /// # Errors
    ///
    /// [`InvalidName`] if a name breaks the SLS naming rules (see
    /// [`validate_project`](crate::protocol::request::validate_project) and
    /// [`validate_logstore`](crate::protocol::request::validate_logstore)): a bad name is caught here,
    /// before any log is accepted, since no request to it could ever succeed.
    pub fn new(project: &str, logstore: &str) -> Result<Self, InvalidName> {
        request::validate_project(project)?;
        request::validate_logstore(logstore)?;
        Ok(Self {
            project: project.into(),
            logstore: logstore.into(),
            topic: Arc::from(""),
            source: Arc::from(""),
            shard_key: None,
            digest: 0,
        }
        .rehashed())
    }

    /// The same route with `digest` recomputed from its fields.
    fn rehashed(mut self) -> Self {
        // FNV-1a over each field, each followed by 0xFF (never part of UTF-8), so that
        // moving bytes from one field into the next changes the digest.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes.iter().chain(&[0xFF]) {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        eat(self.project.as_bytes());
        eat(self.logstore.as_bytes());
        eat(self.topic.as_bytes());
        eat(self.source.as_bytes());
        match &self.shard_key {
            None => eat(b""),
            Some(key) => {
                eat(b"k");
                eat(key.as_bytes());
            }
        }
        self.digest = h;
        self
    }

    /// The hash the engine finds the route's open batch by.
    pub(crate) fn digest(&self) -> u64 {
        self.digest
    }

    /// The route with a forced digest, to test digest collisions.
    #[cfg(test)]
    pub(crate) fn with_digest(mut self, digest: u64) -> Self {
        self.digest = digest;
        self
    }

    /// Set the topic (builder style). Empty by default; it is sent even when empty.
    #[must_use]
    pub fn with_topic(mut self, topic: &str) -> Self {
        self.topic = topic.into();
        self.rehashed()
    }

    /// Set the source (builder style). Empty by default; there is no implicit default such
    /// as the local IP.
    #[must_use]
    pub fn with_source(mut self, source: &str) -> Self {
        self.source = source.into();
        self.rehashed()
    }

    /// Route to the shard whose range holds `key` (builder style); see
    /// [`adjust_hash`](crate::protocol::shard::adjust_hash) to derive one from any string.
    #[must_use]
    pub fn with_shard_key(mut self, key: ShardKey) -> Self {
        self.shard_key = Some(key.as_str().into());
        self.rehashed()
    }

    /// Route with `key` sent verbatim as the `key` query parameter (builder style), as the
    /// Go producer does with `AdjustShargHash = false`. SLS expects a 32-hex-digit value
    /// inside a shard's range; an empty key means no routing.
    #[must_use]
    pub fn with_raw_shard_key(mut self, key: &str) -> Self {
        self.shard_key = (!key.is_empty()).then(|| key.into());
        self.rehashed()
    }

    /// Remove the shard key (builder style): the server picks a shard.
    #[must_use]
    pub fn without_shard_key(mut self) -> Self {
        self.shard_key = None;
        self.rehashed()
    }

    /// The project.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// The logstore.
    pub fn logstore(&self) -> &str {
        &self.logstore
    }

    /// The topic (possibly empty).
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The source (possibly empty).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The shard key, if the route names one.
    pub fn shard_key(&self) -> Option<&str> {
        self.shard_key.as_deref()
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Route");
        d.field("project", &&*self.project)
            .field("logstore", &&*self.logstore)
            .field("topic", &&*self.topic)
            .field("source", &&*self.source);
        if let Some(key) = &self.shard_key {
            d.field("shard_key", &&**key);
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_routes_have_equal_digests_however_they_were_built() {
        let a = Route::new("proj", "store")
            .unwrap()
            .with_topic("t")
            .with_source("s");
        let b = Route::new("proj", "store")
            .unwrap()
            .with_source("s")
            .with_topic("x")
            .with_topic("t")
            .with_raw_shard_key("k")
            .without_shard_key();
        assert_eq!(a, b);
        assert_eq!(a.digest(), b.digest());
    }

    #[test]
    fn moving_bytes_between_fields_changes_route_and_digest() {
        let base = Route::new("proj", "store").unwrap();
        let pairs = [
            (
                base.clone().with_topic("ab"),
                base.clone().with_topic("a").with_source("b"),
            ),
            (
                base.clone().with_raw_shard_key("k"),
                base.clone().with_source("k"),
            ),
            (base.clone(), base.clone().with_raw_shard_key("")),
        ];
        for (i, (x, y)) in pairs.iter().enumerate() {
            if i < 2 {
                assert_ne!(x, y, "pair {i}");
                assert_ne!(x.digest(), y.digest(), "pair {i}");
            } else {
                assert_eq!(x, y, "an empty raw key is no key");
            }
        }
        // Ordering stays lexicographic by field, whatever the digests.
        let (a, b) = (base.clone().with_topic("a"), base.clone().with_topic("b"));
        assert!(a < b);
    }
}
