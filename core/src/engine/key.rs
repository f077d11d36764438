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
///
/// ```
/// use sls_producer_core::{Route, ShardKey};
///
/// let route = Route::new("my-project", "my-logstore")?
///     .with_topic("checkout")
///     .with_source("10.0.0.7")
///     .with_shard_key(ShardKey::from_hash("order-1234"));
/// assert_eq!(route.topic(), "checkout");
/// # Ok::<(), sls_producer_core::InvalidName>(())
/// ```
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
    /// The hash's state after project and logstore, to hash the same route with another
    /// topic or source (a [`RouteRef`]) without going over them again.
    prefix: u64,
}

/// Compares shared strings (a route and its clones, the usual case) by pointer first.
/// `Arc`'s own `==` does not: its pointer shortcut needs a sized `T`, so `Arc<str>`
/// compares bytes.
fn same(a: &str, b: &str) -> bool {
    core::ptr::eq(a, b) || a == b
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        RouteRef::from(self).is(other)
    }
}

impl Eq for Route {}

impl core::hash::Hash for Route {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.digest);
    }
}

/// FNV-1a over each field, each followed by 0xFF (never part of UTF-8), so that moving
/// bytes from one field into the next changes the digest.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    const START: Self = Self(0xcbf2_9ce4_8422_2325);

    fn eat(self, bytes: &[u8]) -> Self {
        let mut h = self.0;
        for &b in bytes.iter().chain(&[0xFF]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        Self(h)
    }

    /// The digest of a route whose project and logstore gave `self`.
    fn finish(self, topic: &str, source: &str, shard_key: Option<&str>) -> u64 {
        let h = self.eat(topic.as_bytes()).eat(source.as_bytes());
        match shard_key {
            None => h.eat(b""),
            Some(key) => h.eat(b"k").eat(key.as_bytes()),
        }
        .0
    }
}

impl Route {
    /// A route to `project`/`logstore` with empty topic and source and no shard key
    /// (the server load-balances across shards).
    ///
    /// # Errors
    ///
    /// [`InvalidName`] if a name breaks the SLS naming rules (projects: 3 to 63 lowercase
    /// letters, digits and hyphens, starting and ending with a letter or digit; logstores:
    /// 2 to 63 of those and underscores): a bad name is caught here, before any log is
    /// accepted, since no request to it could ever succeed.
    pub fn new(project: &str, logstore: &str) -> Result<Self, InvalidName> {
        request::validate_project(project)?;
        request::validate_logstore(logstore)?;
        let prefix = Fnv::START
            .eat(project.as_bytes())
            .eat(logstore.as_bytes())
            .0;
        Ok(Self {
            project: project.into(),
            logstore: logstore.into(),
            topic: Arc::from(""),
            source: Arc::from(""),
            shard_key: None,
            digest: 0,
            prefix,
        }
        .rehashed())
    }

    /// The same route with `digest` recomputed from its fields.
    fn rehashed(mut self) -> Self {
        self.digest = Fnv(self.prefix).finish(&self.topic, &self.source, self.shard_key.as_deref());
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

    /// Send to the shard [`ShardKey`] names (builder style): the one way to route by shard
    /// hash. An empty key routes nowhere (the server picks a shard).
    #[must_use]
    pub fn with_shard_key(mut self, key: ShardKey) -> Self {
        self.shard_key = (!key.as_str().is_empty()).then(|| key.into_shared());
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

/// A route as one send names it: a [`Route`], with the topic and source of a
/// [`LogParts`](super::LogParts) in place of the route's own when the send carries them.
/// The engine finds the send's open batch by it without building a `Route`; one is built
/// only when the send opens a batch.
#[derive(Clone, Copy)]
pub(crate) struct RouteRef<'a> {
    route: &'a Route,
    topic: &'a str,
    source: &'a str,
    digest: u64,
}

impl<'a> RouteRef<'a> {
    /// `route` with `topic` and `source`, where given, in place of its own.
    pub(crate) fn new(route: &'a Route, topic: Option<&'a str>, source: Option<&'a str>) -> Self {
        let (topic, source) = (
            topic.unwrap_or(&route.topic),
            source.unwrap_or(&route.source),
        );
        let digest = if same(topic, &route.topic) && same(source, &route.source) {
            route.digest
        } else {
            Fnv(route.prefix).finish(topic, source, route.shard_key.as_deref())
        };
        Self {
            route,
            topic,
            source,
            digest,
        }
    }

    /// The digest of the route it names (equal to that `Route`'s).
    pub(crate) fn digest(&self) -> u64 {
        self.digest
    }

    /// The topic.
    pub(crate) fn topic(&self) -> &'a str {
        self.topic
    }

    /// The source.
    pub(crate) fn source(&self) -> &'a str {
        self.source
    }

    /// The shard key.
    pub(crate) fn shard_key(&self) -> Option<&'a str> {
        self.route.shard_key.as_deref()
    }

    /// Whether it names `other`.
    pub(crate) fn is(&self, other: &Route) -> bool {
        let r = self.route;
        self.digest == other.digest
            && same(&r.project, &other.project)
            && same(&r.logstore, &other.logstore)
            && same(self.topic, &other.topic)
            && same(self.source, &other.source)
            && match (&r.shard_key, &other.shard_key) {
                (None, None) => true,
                (Some(a), Some(b)) => same(a, b),
                _ => false,
            }
    }

    /// The route it names, as an owned `Route` (sharing the base route's strings).
    pub(crate) fn to_route(self) -> Route {
        let r = self.route;
        let share = |own: &Arc<str>, given: &str| {
            if same(own, given) {
                own.clone()
            } else {
                Arc::from(given)
            }
        };
        Route {
            topic: share(&r.topic, self.topic),
            source: share(&r.source, self.source),
            digest: self.digest,
            ..r.clone()
        }
    }
}

impl<'a> From<&'a Route> for RouteRef<'a> {
    fn from(route: &'a Route) -> Self {
        Self {
            route,
            topic: &route.topic,
            source: &route.source,
            digest: route.digest,
        }
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
            .with_shard_key(ShardKey::exact("k"))
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
                base.clone().with_shard_key(ShardKey::exact("k")),
                base.clone().with_source("k"),
            ),
            (
                base.clone(),
                base.clone().with_shard_key(ShardKey::exact("")),
            ),
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

    #[test]
    fn a_route_ref_with_a_topic_or_source_is_the_route_with_them() {
        let base = Route::new("proj", "store")
            .unwrap()
            .with_topic("t")
            .with_shard_key(ShardKey::exact("k"));
        let cases = [
            (None, None, base.clone()),
            (Some("t"), None, base.clone()),
            (Some("u"), None, base.clone().with_topic("u")),
            (None, Some("s"), base.clone().with_source("s")),
            (
                Some(""),
                Some("s"),
                base.clone().with_topic("").with_source("s"),
            ),
        ];
        for (topic, source, want) in cases {
            let r = RouteRef::new(&base, topic, source);
            assert_eq!(r.digest(), want.digest(), "{topic:?} {source:?}");
            assert!(r.is(&want), "{topic:?} {source:?}");
            assert_eq!(r.to_route(), want);
            assert_eq!((r.topic(), r.source()), (want.topic(), want.source()));
            let other = want.clone().with_topic("other");
            assert!(!r.is(&other));
        }
    }
}
