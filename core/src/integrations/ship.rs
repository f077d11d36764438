//! What the tracing layer and the `log` logger share: non-blocking shipping into a
//! producer, drop accounting and reporting, and the guards against the feedback loop.

use alloc::borrow::Cow;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::engine::{Route, SendError};
use crate::producer::Producer;
use crate::producer::diag::{self, Suppressed};
use crate::protocol::proto::Log;

/// Capacity of a shipped log's buffer: room for a few ordinary fields before it grows.
const FIRST_LOG_CAPACITY: usize = 256;

/// Target prefixes whose events are never shipped, whatever the configuration: the
/// producer's own crates (`sls_producer_core`, `sls_producer_tokio`, …).
pub const OWN_TARGET_PREFIX: &str = "sls_producer";

/// Targets ignored by default besides the producer's own: the HTTP, TLS and I/O crates the
/// runtimes send with. Shipping their events would make every request produce logs to send.
///
/// A target is ignored when it equals an entry or starts with the entry followed by `::`
/// or `_` (so `hyper` also covers `hyper_util` and `hyper_rustls`).
pub const DEFAULT_IGNORED_TARGETS: &[&str] = &[
    "hyper",
    "h2",
    "http_body",
    "rustls",
    "tokio_rustls",
    "futures_rustls",
    "webpki",
    "want",
    "mio",
    "async_io",
    "polling",
    "async_executor",
];

/// Counters of a shipping layer or logger since it was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShipStats {
    /// Events accepted by the producer (delivery is the producer's business: see
    /// [`Producer::metrics`]).
    pub shipped: u64,
    /// Events dropped because the producer's memory budget was full.
    pub dropped_buffer_full: u64,
    /// Events dropped because the producer was closed.
    pub dropped_closed: u64,
    /// Events dropped because they could never fit a batch.
    pub dropped_too_large: u64,
    /// Drops that were later reported into SLS by a summary log.
    pub drops_reported: u64,
}

impl ShipStats {
    /// Every dropped event, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_buffer_full + self.dropped_closed + self.dropped_too_large
    }
}

/// Reads the counters of a layer or logger; cheap to clone, usable after the layer moved
/// into a subscriber.
#[derive(Clone)]
pub struct ShipHandle {
    counters: Arc<Counters>,
}

impl ShipHandle {
    /// The counters now.
    pub fn stats(&self) -> ShipStats {
        self.counters.snapshot()
    }
}

impl fmt::Debug for ShipHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ShipHandle").field(&self.stats()).finish()
    }
}

#[derive(Default)]
struct Counters {
    shipped: AtomicU64,
    full: AtomicU64,
    closed: AtomicU64,
    too_large: AtomicU64,
    reported: AtomicU64,
    /// Drops not yet reported into SLS.
    unreported: AtomicU64,
    /// Between the first drop and the report that follows it.
    dropping: AtomicBool,
}

impl Counters {
    fn snapshot(&self) -> ShipStats {
        ShipStats {
            shipped: self.shipped.load(Ordering::Relaxed),
            dropped_buffer_full: self.full.load(Ordering::Relaxed),
            dropped_closed: self.closed.load(Ordering::Relaxed),
            dropped_too_large: self.too_large.load(Ordering::Relaxed),
            drops_reported: self.reported.load(Ordering::Relaxed),
        }
    }
}

/// Why an event was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DropReason {
    BufferFull,
    Closed,
    TooLarge,
}

impl DropReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::BufferFull => "producer memory budget full",
            Self::Closed => "producer closed",
            Self::TooLarge => "event too large for a batch",
        }
    }
}

/// Ships logs into one producer route without ever waiting.
pub(crate) struct Shipper {
    producer: Producer,
    route: Route,
    ignored: Vec<Cow<'static, str>>,
    counters: Arc<Counters>,
    /// The key of the target in summary logs, as the layer or logger names it.
    target_key: &'static str,
}

impl Shipper {
    pub(crate) fn new(
        producer: Producer,
        route: Route,
        ignored: Vec<Cow<'static, str>>,
        target_key: &'static str,
    ) -> Self {
        Self {
            producer,
            route,
            ignored,
            counters: Arc::default(),
            target_key,
        }
    }

    pub(crate) fn handle(&self) -> ShipHandle {
        ShipHandle {
            counters: self.counters.clone(),
        }
    }

    pub(crate) fn producer(&self) -> &Producer {
        &self.producer
    }

    /// Whether an event of `target` raised now must not be shipped: the producer's own,
    /// an ignored target, or raised inside the producer's driver or a shipping call.
    pub(crate) fn skips(&self, target: &str) -> bool {
        diag::is_suppressed()
            || target.starts_with(OWN_TARGET_PREFIX)
            || self.ignored.iter().any(|p| covers(p, target))
    }

    /// A log stamped with the producer's wall clock.
    pub(crate) fn new_log(&self) -> Log {
        let mut log = Log::from_unix_time(self.producer.unix_time());
        log.reserve(FIRST_LOG_CAPACITY);
        log
    }

    /// Send `log` without waiting; count it as shipped or dropped. A pending drop count is
    /// reported into SLS first, as soon as there is room again.
    pub(crate) fn ship(&self, log: Log) {
        // Nothing raised while sending may be shipped again (and the engine lock must
        // never be taken twice on this thread).
        let _quiet = Suppressed::enter();
        let c = &*self.counters;
        let unreported = c.unreported.load(Ordering::Acquire);
        if unreported > 0 && self.report_drops(unreported) {
            c.unreported.fetch_sub(unreported, Ordering::AcqRel);
            c.reported.fetch_add(unreported, Ordering::Relaxed);
            c.dropping.store(false, Ordering::Release);
            diag::shipping_resumed(unreported);
        }
        let reason = match self.producer.send(&self.route, log) {
            Ok(_) => {
                c.shipped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(SendError::BufferFull { .. }) => DropReason::BufferFull,
            Err(SendError::Closed { .. }) => DropReason::Closed,
            Err(_) => DropReason::TooLarge,
        };
        let counter = match reason {
            DropReason::BufferFull => &c.full,
            DropReason::Closed => &c.closed,
            DropReason::TooLarge => &c.too_large,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        c.unreported.fetch_add(1, Ordering::AcqRel);
        if !c.dropping.swap(true, Ordering::AcqRel) {
            diag::shipping_dropping(reason.as_str());
        }
    }

    /// Send the summary of `dropped` unreported drops; whether the producer took it.
    fn report_drops(&self, dropped: u64) -> bool {
        let log = self
            .new_log()
            .with_content("level", "WARN")
            .with_content(self.target_key, diag::TARGET)
            .with_content(
                "message",
                format!("{dropped} events were dropped before reaching SLS"),
            )
            .with_content("dropped", format!("{dropped}"));
        self.producer.send(&self.route, log).is_ok()
    }
}

impl fmt::Debug for Shipper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shipper")
            .field("route", &self.route)
            .field("ignored", &self.ignored)
            .field("stats", &self.counters.snapshot())
            .finish_non_exhaustive()
    }
}

/// [`DEFAULT_IGNORED_TARGETS`], owned.
pub(crate) fn default_ignored() -> Vec<Cow<'static, str>> {
    DEFAULT_IGNORED_TARGETS
        .iter()
        .map(|t| Cow::Borrowed(*t))
        .collect()
}

/// Whether the ignore entry `prefix` covers `target`.
fn covers(prefix: &str, target: &str) -> bool {
    match target.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with("::") || rest.starts_with('_'),
        None => false,
    }
}

/// Appends `name = value` to `log`, renaming keys the layer or logger sets itself.
pub(crate) fn push_field(log: &mut Log, reserved: &[&str], name: &str, value: &str) {
    log.push(field_key(reserved, name), value);
}

/// Appends `name = value` to `log`, the value formatted straight into it (renaming keys as
/// [`push_field`]). A value whose formatting fails is recorded as [`UNFORMATTABLE`].
pub(crate) fn push_field_fmt(
    log: &mut Log,
    reserved: &[&str],
    name: &str,
    value: fmt::Arguments<'_>,
) {
    let key = field_key(reserved, name);
    if log.push_fmt(&key, value).is_err() {
        log.push(key, UNFORMATTABLE);
    }
}

/// Appends `location = file:line` to `log`.
pub(crate) fn push_located(log: &mut Log, file: &str, line: u32) {
    push_field_fmt(log, &[], "location", format_args!("{file}:{line}"));
}

/// The value recorded for a field whose `Debug` or `Display` implementation failed.
const UNFORMATTABLE: &str = "<formatting failed>";

/// The key of field `name`: `field.{name}` if the layer or logger sets `name` itself.
fn field_key<'a>(reserved: &[&str], name: &'a str) -> Cow<'a, str> {
    if reserved.contains(&name) {
        Cow::Owned(format!("field.{name}"))
    } else {
        Cow::Borrowed(name)
    }
}

/// The target-filter setters of a shipping builder (`SlsLoggerBuilder`,
/// `SlsLayerBuilder`) with `location: bool` and `ignored: Vec<Cow<'static, str>>` fields;
/// `$one` / `$many` name what it ships ("record" / "records") in the docs.
macro_rules! ship_builder_setters {
    ($one:literal, $many:literal) => {
        #[doc = concat!("Add a `location` key with the ", $one, "'s `file:line`. Default off.")]
        pub fn with_location(mut self, yes: bool) -> Self {
            self.location = yes;
            self
        }

        #[doc = concat!(
            "Also ignore ", $many, " of `target` (an exact target, or a prefix followed by ",
            "`::` or `_`). Besides the producer's own targets, which are always ignored."
        )]
        pub fn ignore_target(mut self, target: impl Into<Cow<'static, str>>) -> Self {
            self.ignored.push(target.into());
            self
        }

        /// Replace [`DEFAULT_IGNORED_TARGETS`](crate::integrations::DEFAULT_IGNORED_TARGETS) with `targets` (the producer's own targets
        /// stay ignored). Only clear the defaults if the transport's libraries cannot log
        /// through this logger or subscriber.
        pub fn ignored_targets<I, T>(mut self, targets: I) -> Self
        where
            I: IntoIterator<Item = T>,
            T: Into<Cow<'static, str>>,
        {
            self.ignored = targets.into_iter().map(Into::into).collect();
            self
        }
    };
}

pub(crate) use ship_builder_setters;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_entries_cover_the_crate_and_its_siblings_only() {
        assert!(covers("hyper", "hyper"));
        assert!(covers("hyper", "hyper::client::pool"));
        assert!(covers("hyper", "hyper_util::client::legacy"));
        assert!(!covers("hyper", "hyperloop"));
        assert!(!covers("hyper", "my_app::hyper"));
    }
}
