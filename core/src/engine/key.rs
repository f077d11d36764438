//! Routes: where a send goes, and the key that groups sends into batches.

use alloc::sync::Arc;
use core::fmt;

use crate::request::{self, InvalidName};
use crate::shard::ShardKey;

/// The destination of a send: project, logstore, topic, source and optional shard key.
///
/// A route is also the batch key: sends with equal routes share a batch, sends that differ
/// in any one field never do. It is a tuple of separate fields, not a joined string (the Go
/// producer joins with `|` and so mixes up e.g. topic `a|b` with topic `a` + key `b`).
///
/// Cheap to clone (reference-counted strings): build one per destination and reuse it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Route {
    project: Arc<str>,
    logstore: Arc<str>,
    topic: Arc<str>,
    source: Arc<str>,
    shard_key: Option<Arc<str>>,
}

impl Route {
    /// A route to `project`/`logstore` with empty topic and source and no shard key
    /// (the server load-balances across shards).
    ///
    /// # Errors
    ///
    /// [`InvalidName`] if a name breaks the SLS naming rules (see
    /// [`validate_project`](crate::request::validate_project) and
    /// [`validate_logstore`](crate::request::validate_logstore)): a bad name is caught here,
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
        })
    }

    /// Set the topic (builder style). Empty by default; it is sent even when empty.
    #[must_use]
    pub fn with_topic(mut self, topic: &str) -> Self {
        self.topic = topic.into();
        self
    }

    /// Set the source (builder style). Empty by default; there is no implicit default such
    /// as the local IP.
    #[must_use]
    pub fn with_source(mut self, source: &str) -> Self {
        self.source = source.into();
        self
    }

    /// Route to the shard whose range holds `key` (builder style); see
    /// [`adjust_hash`](crate::shard::adjust_hash) to derive one from any string.
    #[must_use]
    pub fn with_shard_key(mut self, key: ShardKey) -> Self {
        self.shard_key = Some(key.as_str().into());
        self
    }

    /// Route with `key` sent verbatim as the `key` query parameter (builder style), as the
    /// Go producer does with `AdjustShargHash = false`. SLS expects a 32-hex-digit value
    /// inside a shard's range; an empty key means no routing.
    #[must_use]
    pub fn with_raw_shard_key(mut self, key: &str) -> Self {
        self.shard_key = (!key.is_empty()).then(|| key.into());
        self
    }

    /// Remove the shard key (builder style): the server picks a shard.
    #[must_use]
    pub fn without_shard_key(mut self) -> Self {
        self.shard_key = None;
        self
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
