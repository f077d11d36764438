//! Producer configuration: every option of the Go producer (with our names), its default,
//! and validation that names the field and the allowed range.
//!
//! Nothing is clamped silently: a value outside its range is a [`ConfigError`], never
//! quietly replaced (the Go producer turns `LingerMs = 99` into 2000 and `Buckets = 100`
//! into 64 without a word).
//!
//! | Option | Default | Range | Go name |
//! |---|---|---|---|
//! | [`memory_budget`](ProducerConfig::memory_budget) | 100 MiB | ≥ `max_batch_bytes` | `TotalSizeLnBytes` |
//! | [`max_block`](ProducerConfig::max_block) | 60 s | any (0 = fail fast) | `MaxBlockSec` |
//! | [`max_in_flight`](ProducerConfig::max_in_flight) | 50 | 1 ..= 10 000 | `MaxIoWorkerCount` |
//! | [`max_batch_bytes`](ProducerConfig::max_batch_bytes) | 512 KiB | 1 KiB ..= 5 MiB (SLS's log group limit) | `MaxBatchSize` (≤ 30 MiB) |
//! | [`max_batch_count`](ProducerConfig::max_batch_count) | 4096 | 1 ..= 40 960 (SLS SDKs' limit) | `MaxBatchCount` |
//! | [`linger`](ProducerConfig::linger) | 2 s | 1 ms ..= 1 day | `LingerMs` |
//! | [`max_retries`](ProducerConfig::max_retries) | 10 | 0 ..= 1 000 | `Retries` |
//! | [`max_reserved_attempts`](ProducerConfig::max_reserved_attempts) | 11 | 1 ..= 1 000 | `MaxReservedAttempts` |
//! | [`backoff`](ProducerConfig::backoff) base | 100 ms | 1 ms ..= 1 h | `BaseRetryBackoffMs` |
//! | [`backoff`](ProducerConfig::backoff) max | 50 s | base ..= 1 day | `MaxRetryBackoffMs` |
//! | [`backoff`](ProducerConfig::backoff) jitter | none | none / full / equal | — |
//! | [`delivery_timeout`](ProducerConfig::delivery_timeout) | none | ≥ 1 ms | — |
//! | [`no_retry_status_codes`](ProducerConfig::no_retry_status_codes) | \[400, 404\] | 100 ..= 599 each | `NoRetryStatusCodeList` |
//! | [`wire`](ProducerConfig::wire) | PutLogs | PutLogs / web tracking | — |
//! | [`compression`](ProducerConfig::compression) | LZ4 | LZ4 / zstd / none | `CompressType` |
//! | [`zstd_level`](ProducerConfig::zstd_level) | 1 | 1 ..= 22; other than 1 needs `zstd-native` | — (the Go SDK's `SpeedFastest`) |
//! | [`endpoint`](ProducerConfig::endpoint) | required | `[scheme://]host[:port]` | `Endpoint` |
//! | [`signature_version`](ProducerConfig::signature_version) | v1 | v1 / v4 | `AuthVersion` |
//! | [`region`](ProducerConfig::region) | from endpoint | required for v4; ASCII letters, digits, `-`, `_` | `Region` |
//! | [`date_header`](ProducerConfig::date_header) | `Auto` | `Auto` / `Date` / `x-log-date` | — |
//! | [`user_agent`](ProducerConfig::user_agent) | `sls-producer-rs/<version>` | non-empty, visible ASCII | `UserAgent` |
//! | [`log_tags`](ProducerConfig::log_tags) | none | keys non-empty, not `__pack_id__` (with `generate_pack_id`), `__client_ip__` or `__receive_time__` | `LogTags` |
//! | [`generate_pack_id`](ProducerConfig::generate_pack_id) | **true** | | `GeneratePackId` (false) |
//! | [`use_metric_store_url`](ProducerConfig::use_metric_store_url) | false | | `UseMetricStoreURL` |
//! | [`processor`](ProducerConfig::processor) | none | | `Processor` |
//! | [`connect_timeout`](ProducerConfig::connect_timeout) | 10 s | 1 ms ..= 10 min | `HTTPClient` |
//! | [`request_timeout`](ProducerConfig::request_timeout) | 60 s | 1 ms ..= 1 h | `HTTPClient` |
//! | [`seed`](ProducerConfig::seed) | 0 | any | — |
//!
//! Projects may have an endpoint, credentials and signature settings of their own: see
//! [`ProjectConfig`].
//! The limits SLS itself enforces (a log group's size and log count, reserved keys, log
//! times) and their sources are in `docs/limits.md`; the ranges above keep every request
//! within them.
//!
//! Credentials are not part of this struct: the runtime crates take static keys, the
//! environment or a [`CredentialsProvider`](crate::credentials::CredentialsProvider). Go's local
//! logging options (`AllowLogLevel`, `LogFileName`, …) are not here either: the producer's
//! diagnostics go through the application's own `tracing` subscriber, and the
//! `sls-producer-diagnostics` crate writes them to a rotating file with those six options
//! (the README maps every Go option). Go's periodic metrics line has no equivalent.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

pub use crate::engine::backoff::{BackoffPolicy, Jitter};
pub use crate::protocol::compress::Compression;
use crate::protocol::compress::ZstdLevel;
use crate::protocol::endpoint::Endpoint;
pub use crate::protocol::endpoint::EndpointError;
use crate::protocol::limits::{MAX_LOG_GROUP_BYTES, MAX_LOG_GROUP_LOGS, SERVICE_TAG_KEYS};
use crate::protocol::pack_id::PACK_ID_KEY;
pub use crate::protocol::sign::{DateHeader, SignatureVersion};
pub use project::ProjectConfig;
pub use wire_mode::{TrackStyle, WireMode};

mod project;
mod wire_mode;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// The producer's configuration. Build it with [`ProducerConfig::new`] and the `with_*`
/// setters, then check it with [`ProducerConfig::validate`] (the producer constructors do
/// that for you).
///
/// ```
/// use core::time::Duration;
/// use sls_producer_core::config::ProducerConfig;
///
/// let config = ProducerConfig::new("cn-hangzhou.log.aliyuncs.com")
///     .with_linger(Duration::from_millis(500))
///     .with_max_batch_count(1024);
/// assert!(config.validate().is_ok());
/// assert!(ProducerConfig::new("x.com").with_max_batch_count(0).validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ProducerConfig {
    /// SLS endpoint, e.g. `cn-hangzhou.log.aliyuncs.com` (https) or
    /// `http://127.0.0.1:8080`. A bare host means https. Required: `[scheme://]host[:port]`
    /// with scheme `http` or `https`, no path.
    pub endpoint: String,
    /// Bytes of memory the producer may hold for logs without an outcome (open batches,
    /// queued, in flight and awaiting retry): each batch's buffer by its capacity (its
    /// compressed body once compressed), 2 KiB of bookkeeping per batch, each tracked
    /// send's handle and outcome, and spare buffers kept for reuse (see ADR 0008). A send
    /// that would exceed it is refused (or waits, see
    /// [`max_block`](Self::max_block)); if open batches then hold more than half of the
    /// budget, the oldest are sealed at once (without waiting for their linger) until they
    /// hold at most half, so that a budget smaller than routes × batch size keeps turning
    /// over. Default 100 MiB; at least [`max_batch_bytes`](Self::max_batch_bytes).
    pub memory_budget: usize,
    /// How long an async send waits for room in the memory budget before handing the log
    /// back. `Duration::ZERO` fails at once. The non-blocking `send` never waits. Default 60 s;
    /// any duration.
    pub max_block: Duration,
    /// Requests in flight at once, retries included. Default 50; 1 ..= 10 000.
    pub max_in_flight: usize,
    /// Upper bound of one request's uncompressed LogGroup, in bytes. A batch is sealed
    /// before a log would push it over; a log that cannot fit an empty batch is refused at
    /// `send`. Default 512 KiB; 1 KiB ..= 5 MiB (the largest log group SLS documents; the
    /// Go producer allows 30 MiB).
    pub max_batch_bytes: usize,
    /// Upper bound of logs in one request. Default 4096; 1 ..= 40 960.
    pub max_batch_count: usize,
    /// The longest a batch stays open after its first log. Default 2 s; 1 ms ..= 1 day.
    pub linger: Duration,
    /// Retries after the first attempt (so `max_retries + 1` attempts in all). Default 10;
    /// 0 ..= 1 000.
    pub max_retries: u32,
    /// How many attempts a [`DeliveryResult`](crate::engine::DeliveryResult) keeps: the most
    /// recent ones. Default 11; 1 ..= 1 000.
    pub max_reserved_attempts: usize,
    /// Backoff between attempts. Default 100 ms doubling to 50 s, no jitter. The base is
    /// 1 ms ..= 1 hour, the maximum base ..= 1 day.
    pub backoff: BackoffPolicy,
    /// Give up on a batch this long after it was sealed, whatever the retry count.
    /// Default none; at least 1 ms.
    pub delivery_timeout: Option<Duration>,
    /// HTTP statuses that are never retried (whatever the body says). Default 400 and 404;
    /// each in 100 ..= 599, not 200.
    pub no_retry_status_codes: Vec<u16>,
    /// Which SLS API requests use: signed PutLogs (default) or anonymous web tracking.
    pub wire: WireMode,
    /// Body compression. Default LZ4; LZ4, zstd (feature `zstd`) or none.
    pub compression: Compression,
    /// The zstd level, when [`compression`](Self::compression) is zstd: from 1 (fastest) to
    /// 22 (smallest bodies, most CPU). Default 1, the level SLS's Go, Python and Rust SDKs
    /// use (the Java SDK uses 3).
    ///
    /// Levels are the reference library's (libzstd, feature `zstd-native`, on by default
    /// in the tokio and smol crates). The pure-Rust encoder of builds without it (wasm,
    /// `no_std`) has a single level, its fastest, which compresses less than libzstd's
    /// level 1: there, 1 selects it, and any other level is a
    /// [`ConfigError::FeatureDisabled`] rather than silently ignored.
    pub zstd_level: u8,
    /// Request signature version. Default v1 (HMAC-SHA1); v4 needs a region. Ignored by
    /// web tracking, which signs nothing.
    pub signature_version: SignatureVersion,
    /// Region for signature v4, e.g. `cn-hangzhou`. Default: taken from a standard
    /// `{region}.log.aliyuncs.com` endpoint. If set, only ASCII letters, digits, `-` and
    /// `_` (it goes into every v4 signature).
    pub region: Option<String>,
    /// Where a v1 signature's request date goes: the standard `Date` header (default), or
    /// `x-log-date` for environments whose HTTP client may not set `Date` (browsers and
    /// every other `fetch`-based runtime). v4 always uses `x-log-date`.
    pub date_header: DateHeader,
    /// `User-Agent` header. Default [`DEFAULT_USER_AGENT`] (`sls-producer-rs/<crate version>`);
    /// non-empty printable ASCII.
    pub user_agent: String,
    /// Tags added to every LogGroup (before the pack id). Default none; keys non-empty and
    /// none SLS sets itself: `__client_ip__`, `__receive_time__`, and `__pack_id__` when
    /// [`generate_pack_id`](Self::generate_pack_id) is on.
    pub log_tags: Vec<(String, String)>,
    /// Add a `__pack_id__` tag to every LogGroup, for context browsing in the console.
    /// Default **true** (Go: false; the Java, C and official Rust producers always do).
    pub generate_pack_id: bool,
    /// Send to the MetricStore remote-write path instead of PutLogs. Default false.
    pub use_metric_store_url: bool,
    /// Ingest processor name, sent as the `processor` query parameter. Default none; if set,
    /// non-empty.
    pub processor: Option<String>,
    /// TCP + TLS connect timeout, applied by the transport. Default 10 s; 1 ms ..= 10 min.
    pub connect_timeout: Duration,
    /// Whole-request timeout, applied by the transport. Default 60 s; 1 ms ..= 1 hour.
    pub request_timeout: Duration,
    /// Seed of the producer's PRNG (backoff jitter, pack-id prefixes). Runtime crates mix
    /// it with entropy unless asked for reproducibility; the simulation uses it as is.
    /// Default 0; any value.
    pub seed: u64,
}

pub use crate::protocol::request::DEFAULT_USER_AGENT;

impl Default for ProducerConfig {
    /// The defaults with an empty endpoint (which [`validate`](Self::validate) rejects).
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            memory_budget: 100 * MIB,
            max_block: Duration::from_secs(60),
            max_in_flight: 50,
            max_batch_bytes: 512 * KIB,
            max_batch_count: 4096,
            linger: Duration::from_millis(2000),
            max_retries: 10,
            max_reserved_attempts: 11,
            backoff: BackoffPolicy::default(),
            delivery_timeout: None,
            no_retry_status_codes: vec![400, 404],
            wire: WireMode::PutLogs,
            compression: Compression::Lz4,
            zstd_level: ZstdLevel::DEFAULT.get(),
            signature_version: SignatureVersion::V1,
            region: None,
            date_header: DateHeader::Auto,
            user_agent: String::from(DEFAULT_USER_AGENT),
            log_tags: Vec::new(),
            generate_pack_id: true,
            use_metric_store_url: false,
            processor: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            seed: 0,
        }
    }
}

macro_rules! setters {
    ($($(#[$m:meta])* $name:ident($field:ident: $ty:ty);)*) => {
        $(
            $(#[$m])*
            #[must_use]
            pub fn $name(mut self, $field: $ty) -> Self {
                self.$field = $field;
                self
            }
        )*
    };
}

impl ProducerConfig {
    /// The defaults for `endpoint`.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            ..Self::default()
        }
    }

    setters! {
        /// Set [`memory_budget`](Self::memory_budget).
        with_memory_budget(memory_budget: usize);
        /// Set [`max_block`](Self::max_block).
        with_max_block(max_block: Duration);
        /// Set [`max_in_flight`](Self::max_in_flight).
        with_max_in_flight(max_in_flight: usize);
        /// Set [`max_batch_bytes`](Self::max_batch_bytes).
        with_max_batch_bytes(max_batch_bytes: usize);
        /// Set [`max_batch_count`](Self::max_batch_count).
        with_max_batch_count(max_batch_count: usize);
        /// Set [`linger`](Self::linger).
        with_linger(linger: Duration);
        /// Set [`max_retries`](Self::max_retries).
        with_max_retries(max_retries: u32);
        /// Set [`max_reserved_attempts`](Self::max_reserved_attempts).
        with_max_reserved_attempts(max_reserved_attempts: usize);
        /// Set [`backoff`](Self::backoff).
        with_backoff(backoff: BackoffPolicy);
        /// Set [`no_retry_status_codes`](Self::no_retry_status_codes).
        with_no_retry_status_codes(no_retry_status_codes: Vec<u16>);
        /// Set [`wire`](Self::wire).
        with_wire(wire: WireMode);
        /// Set [`compression`](Self::compression).
        with_compression(compression: Compression);
        /// Set [`zstd_level`](Self::zstd_level).
        with_zstd_level(zstd_level: u8);
        /// Set [`signature_version`](Self::signature_version).
        with_signature_version(signature_version: SignatureVersion);
        /// Set [`date_header`](Self::date_header).
        with_date_header(date_header: DateHeader);
        /// Set [`generate_pack_id`](Self::generate_pack_id).
        with_generate_pack_id(generate_pack_id: bool);
        /// Set [`use_metric_store_url`](Self::use_metric_store_url).
        with_use_metric_store_url(use_metric_store_url: bool);
        /// Set [`connect_timeout`](Self::connect_timeout).
        with_connect_timeout(connect_timeout: Duration);
        /// Set [`request_timeout`](Self::request_timeout).
        with_request_timeout(request_timeout: Duration);
        /// Set [`seed`](Self::seed).
        with_seed(seed: u64);
    }

    /// Set the backoff's base and cap, keeping its jitter.
    #[must_use]
    pub fn with_retry_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff.base = base;
        self.backoff.max = max;
        self
    }

    /// Set the backoff jitter.
    #[must_use]
    pub fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.backoff.jitter = jitter;
        self
    }

    /// Set [`delivery_timeout`](Self::delivery_timeout).
    #[must_use]
    pub fn with_delivery_timeout(mut self, timeout: Duration) -> Self {
        self.delivery_timeout = Some(timeout);
        self
    }

    /// Set [`region`](Self::region).
    #[must_use]
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Set [`user_agent`](Self::user_agent).
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Add one LogGroup tag to [`log_tags`](Self::log_tags).
    #[must_use]
    pub fn with_log_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.log_tags.push((key.into(), value.into()));
        self
    }

    /// Set [`processor`](Self::processor).
    #[must_use]
    pub fn with_processor(mut self, processor: impl Into<String>) -> Self {
        self.processor = Some(processor.into());
        self
    }

    /// The parsed endpoint.
    pub(crate) fn parsed_endpoint(&self) -> Result<Endpoint, ConfigError> {
        Endpoint::parse(&self.endpoint).map_err(|e| ConfigError::InvalidEndpoint {
            endpoint: self.endpoint.clone(),
            reason: e,
        })
    }

    /// [`zstd_level`](Self::zstd_level), if it is a level.
    pub(crate) fn checked_zstd_level(&self) -> Result<ZstdLevel, ConfigError> {
        ZstdLevel::new(self.zstd_level).ok_or(ConfigError::OutOfRange {
            field: "zstd_level",
            value: u64::from(self.zstd_level),
            allowed: "[1, 22]",
        })
    }

    /// The region signature v4 uses: the configured one, or the endpoint's.
    pub fn effective_region(&self) -> Option<String> {
        self.region.clone().or_else(|| {
            Endpoint::parse(&self.endpoint)
                .ok()
                .and_then(|e| e.region_hint().map(String::from))
        })
    }

    /// The signature version actually used: v4 when configured or when the endpoint
    /// requires it (`-acdr-ut-` regions), else v1.
    pub fn effective_signature_version(&self) -> SignatureVersion {
        match Endpoint::parse(&self.endpoint) {
            Ok(e) if e.requires_v4() => SignatureVersion::V4,
            _ => self.signature_version,
        }
    }

    /// Check every field. The first problem found is returned; it names the field, the
    /// value and what is allowed.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.parsed_endpoint()?;
        range(
            "max_batch_bytes",
            self.max_batch_bytes,
            KIB,
            MAX_LOG_GROUP_BYTES,
            "[1 KiB, 5 MiB] (SLS refuses larger log groups)",
        )?;
        range(
            "max_batch_count",
            self.max_batch_count,
            1,
            MAX_LOG_GROUP_LOGS,
            "[1, 40960]",
        )?;
        if self.memory_budget < self.max_batch_bytes {
            return Err(ConfigError::OutOfRange {
                field: "memory_budget",
                value: self.memory_budget as u64,
                allowed: "at least max_batch_bytes",
            });
        }
        range("max_in_flight", self.max_in_flight, 1, 10_000, "[1, 10000]")?;
        range_ms("linger", self.linger, 1, 86_400_000, "[1 ms, 1 day]")?;
        range(
            "max_retries",
            self.max_retries as usize,
            0,
            1000,
            "[0, 1000]",
        )?;
        range(
            "max_reserved_attempts",
            self.max_reserved_attempts,
            1,
            1000,
            "[1, 1000]",
        )?;
        range_ms(
            "backoff.base",
            self.backoff.base,
            1,
            3_600_000,
            "[1 ms, 1 hour]",
        )?;
        if self.backoff.max < self.backoff.base || self.backoff.max > Duration::from_secs(86_400) {
            return Err(ConfigError::OutOfRange {
                field: "backoff.max",
                value: millis(self.backoff.max),
                allowed: "[backoff.base, 1 day] (milliseconds)",
            });
        }
        if let Some(t) = self.delivery_timeout {
            range_ms("delivery_timeout", t, 1, u64::MAX, "at least 1 ms")?;
        }
        if let Some(&code) = self
            .no_retry_status_codes
            .iter()
            .find(|c| !(100..=599).contains(*c))
        {
            return Err(ConfigError::OutOfRange {
                field: "no_retry_status_codes",
                value: u64::from(code),
                allowed: "HTTP statuses in [100, 599]",
            });
        }
        if self.no_retry_status_codes.contains(&200) {
            return Err(ConfigError::OutOfRange {
                field: "no_retry_status_codes",
                value: 200,
                allowed: "statuses other than 200 (200 is success)",
            });
        }
        #[cfg(not(feature = "zstd"))]
        if self.compression == Compression::Zstd {
            return Err(ConfigError::FeatureDisabled {
                field: "compression",
                feature: "zstd",
            });
        }
        if self
            .region
            .as_deref()
            .is_some_and(|r| !r.bytes().all(is_region_byte))
        {
            return Err(ConfigError::InvalidText {
                field: "region",
                allowed: "ASCII letters, digits, `-` and `_` (e.g. \"cn-hangzhou\")",
            });
        }
        self.checked_zstd_level()?;
        // The pure-Rust encoder has one level: only the default selects it.
        #[cfg(not(feature = "zstd-native"))]
        if self.compression == Compression::Zstd && self.zstd_level != ZstdLevel::DEFAULT.get() {
            return Err(ConfigError::FeatureDisabled {
                field: "zstd_level",
                feature: "zstd-native",
            });
        }
        // Signature settings matter only to signed requests.
        if self.wire.signs().is_some()
            && self.effective_signature_version() == SignatureVersion::V4
            && self.effective_region().is_none_or(|r| r.is_empty())
        {
            return Err(ConfigError::RegionRequired);
        }
        if self.user_agent.is_empty() || !self.user_agent.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(ConfigError::InvalidText {
                field: "user_agent",
                allowed: "non-empty printable ASCII",
            });
        }
        if self.log_tags.iter().any(|(k, _)| k.is_empty()) {
            return Err(ConfigError::InvalidText {
                field: "log_tags",
                allowed: "non-empty tag keys",
            });
        }
        if self.log_tags.iter().any(|(k, _)| {
            SERVICE_TAG_KEYS.contains(&k.as_str()) || (self.generate_pack_id && k == PACK_ID_KEY)
        }) {
            return Err(ConfigError::InvalidText {
                field: "log_tags",
                allowed: "tag keys other than those SLS sets: `__client_ip__`, \
                          `__receive_time__`, and `__pack_id__` with generate_pack_id",
            });
        }
        if self.processor.as_deref().is_some_and(str::is_empty) {
            return Err(ConfigError::InvalidText {
                field: "processor",
                allowed: "a non-empty processor name, or none",
            });
        }
        self.wire.check(self)?;
        range_ms(
            "connect_timeout",
            self.connect_timeout,
            1,
            600_000,
            "[1 ms, 10 min]",
        )?;
        range_ms(
            "request_timeout",
            self.request_timeout,
            1,
            3_600_000,
            "[1 ms, 1 hour]",
        )?;
        Ok(())
    }
}

/// A byte of a region name (as signature v4 accepts it).
fn is_region_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn range(
    field: &'static str,
    value: usize,
    min: usize,
    max: usize,
    allowed: &'static str,
) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            value: value as u64,
            allowed,
        })
    }
}

fn range_ms(
    field: &'static str,
    value: Duration,
    min_ms: u64,
    max_ms: u64,
    allowed: &'static str,
) -> Result<(), ConfigError> {
    let ms = millis(value);
    if value >= Duration::from_millis(min_ms) && ms <= max_ms {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            value: ms,
            allowed,
        })
    }
}

/// A configuration value the producer cannot work with. Fix the named field.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A number outside its range. `value` is in the field's unit (bytes, count, or
    /// milliseconds for durations).
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The rejected value.
        value: u64,
        /// What is allowed.
        allowed: &'static str,
    },
    /// The endpoint does not parse.
    InvalidEndpoint {
        /// The configured endpoint.
        endpoint: String,
        /// Why it was rejected.
        reason: EndpointError,
    },
    /// Signature v4 is used but no region is configured and the endpoint names none.
    /// Set [`ProducerConfig::region`].
    RegionRequired,
    /// A text field is empty or contains characters that cannot be sent.
    InvalidText {
        /// The field.
        field: &'static str,
        /// What is allowed.
        allowed: &'static str,
    },
    /// The option needs a cargo feature of this crate that is not enabled.
    FeatureDisabled {
        /// The field.
        field: &'static str,
        /// The feature to enable.
        feature: &'static str,
    },
    /// The option's value cannot work with the transport or runtime the producer is built
    /// on.
    Unsupported {
        /// The field.
        field: &'static str,
        /// Why, and what to use instead.
        reason: &'static str,
    },
    /// The configuration of one project ([`ProjectConfig`]) is invalid, or its name is not
    /// a project name. Fix that project's entry.
    Project {
        /// The project.
        project: String,
        /// What is wrong: a field of its [`ProjectConfig`] (e.g. `endpoint`, `region`), or
        /// `InvalidText { field: "project", .. }` for the name itself.
        error: Box<Self>,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfRange {
                field,
                value,
                allowed,
            } => write!(f, "invalid `{field}` = {value}: must be {allowed}"),
            Self::InvalidEndpoint { endpoint, reason } => {
                write!(f, "invalid `endpoint` = {endpoint:?}: {reason}")
            }
            Self::RegionRequired => f.write_str(
                "signature v4 needs a region: set `region` (e.g. \"cn-hangzhou\") or use a \
                 {region}.log.aliyuncs.com endpoint",
            ),
            Self::InvalidText { field, allowed } => {
                write!(f, "invalid `{field}`: must be {allowed}")
            }
            Self::FeatureDisabled { field, feature } => write!(
                f,
                "`{field}` needs the `{feature}` feature of sls-producer-core"
            ),
            Self::Unsupported { field, reason } => write!(f, "unsupported `{field}`: {reason}"),
            Self::Project { project, error } => {
                write!(f, "invalid configuration of project `{project}`: {error}")
            }
        }
    }
}

impl core::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::InvalidEndpoint { reason, .. } => Some(reason),
            Self::Project { error, .. } => Some(&**error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
