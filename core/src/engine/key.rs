//! Routes: where a send goes, and the key that groups sends into batches.

use alloc::sync::Arc;
use core::fmt;

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
    shard_key: Option<ShardKey>,
}

impl Route {
    /// A route to `project`/`logstore` with empty topic and source and no shard key
    /// (the server load-balances across shards).
    ///
    /// Fails if a name does not follow the SLS naming rules, so a bad name is caught here,
    /// before any log is accepted.
    pub fn new(project: &str, logstore: &str) -> Result<Self, InvalidRoute> {
        validate_project(project)?;
        validate_logstore(logstore)?;
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
        self.shard_key = Some(key);
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
    pub fn shard_key(&self) -> Option<ShardKey> {
        self.shard_key
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
            d.field("shard_key", &key.as_str());
        }
        d.finish()
    }
}

/// Which name of a [`Route`] is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteField {
    /// The project name.
    Project,
    /// The logstore name.
    Logstore,
}

/// A project or logstore name breaks the SLS naming rules.
///
/// Projects: 3–63 characters of lowercase letters, digits and `-`, starting and ending with
/// a letter or digit. Logstores: 2–63 characters of lowercase letters, digits, `-` and `_`,
/// starting and ending with a letter or digit. Fix the name in the caller's configuration:
/// no request could ever succeed with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidRoute {
    field: RouteField,
}

impl InvalidRoute {
    /// The field that is invalid.
    pub fn field(&self) -> RouteField {
        self.field
    }
}

impl fmt::Display for InvalidRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            RouteField::Project => f.write_str(
                "invalid project name: expected 3-63 lowercase letters, digits or '-', starting and ending with a letter or digit",
            ),
            RouteField::Logstore => f.write_str(
                "invalid logstore name: expected 2-63 lowercase letters, digits, '-' or '_', starting and ending with a letter or digit",
            ),
        }
    }
}

impl core::error::Error for InvalidRoute {}

fn validate_project(name: &str) -> Result<(), InvalidRoute> {
    valid_name(name, 3, false)
        .then_some(())
        .ok_or(InvalidRoute {
            field: RouteField::Project,
        })
}

fn validate_logstore(name: &str) -> Result<(), InvalidRoute> {
    valid_name(name, 2, true).then_some(()).ok_or(InvalidRoute {
        field: RouteField::Logstore,
    })
}

// Interim: the shared validators of `crate::request` replace this once they exist.
fn valid_name(name: &str, min_len: usize, underscore: bool) -> bool {
    let b = name.as_bytes();
    let inner_ok = |c: u8| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || (underscore && c == b'_')
    };
    let edge_ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (min_len..=63).contains(&b.len())
        && b.iter().all(|&c| inner_ok(c))
        && b.first().is_some_and(edge_ok)
        && b.last().is_some_and(edge_ok)
}
