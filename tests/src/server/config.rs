//! Server settings: limits, logstore options, what to keep of accepted logs.

use core::time::Duration;

use sls_producer_core::protocol::limits::{MAX_LOG_GROUP_BYTES, MAX_LOG_GROUP_LOGS};

/// Request limits, checked the way SLS checks them. Defaults follow the SLS documentation
/// and the service's own answers (sources in `docs/limits.md`); every field can be changed
/// for a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest body on the wire (compressed), in bytes, read before anything else is
    /// checked. Larger ⇒ `PostBodyTooLarge`.
    pub max_body_bytes: usize,
    /// Largest uncompressed body, the LogGroup (`x-log-bodyrawsize` and the actual size),
    /// in bytes. Larger ⇒ `PostBodyTooLarge`.
    pub max_raw_body_bytes: usize,
    /// Most logs in one request. More ⇒ `PostBodyTooLarge`.
    pub max_logs_per_request: usize,
    /// Largest query string of a web-tracking GET, in bytes. Larger ⇒ `PostBodyTooLarge`.
    pub max_track_query_bytes: usize,
    /// Largest accepted distance between the request date and the server clock.
    /// Farther ⇒ `RequestTimeExpired`.
    pub max_time_skew: Duration,
}

impl Limits {
    /// A 5 MiB LogGroup ("a log group has a maximum size of 5 MB"; the service's own
    /// answer "body size … must little than 5M"), 10 MiB on the wire (the PutLogs page's
    /// 10 MB per request, which a compressed 5 MiB group never reaches), 40,960 logs,
    /// 16 KiB GET query, 15 minutes of skew.
    pub const SLS: Self = Self {
        max_body_bytes: 10 * 1024 * 1024,
        max_raw_body_bytes: MAX_LOG_GROUP_BYTES,
        max_logs_per_request: MAX_LOG_GROUP_LOGS,
        max_track_query_bytes: 16 * 1024,
        max_time_skew: Duration::from_secs(15 * 60),
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::SLS
    }
}

/// Per-logstore settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogstoreOptions {
    /// Accept anonymous web tracking (`/logstores/{ls}/track`), like a logstore created
    /// with `enable_tracking`.
    pub web_tracking: bool,
}

impl LogstoreOptions {
    /// A logstore that accepts anonymous web tracking.
    pub const fn web_tracking() -> Self {
        Self { web_tracking: true }
    }
}

/// What the server keeps of each accepted log group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StoreMode {
    /// Keep every decoded log group (tests read them back).
    #[default]
    Keep,
    /// Keep only counters per logstore (benchmarks with millions of logs). Protobuf
    /// bodies are checked as strictly as in `Keep` mode but not decoded (unless an
    /// observer is set with `LocalSlsBuilder::on_log_group`); with
    /// `LocalSlsBuilder::deep_check_every` only a sample of them gets every check.
    CountOnly,
}

/// How requests are authenticated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthMode {
    /// Every PutLogs request must carry a valid v1 or v4 signature of a configured
    /// AccessKey or STS credential (the default, like SLS).
    #[default]
    Strict,
    /// Signatures are not checked (the quickstart's "any AccessKey" mode). Dates, bodies
    /// and everything else are still checked.
    AcceptAny,
}
