//! A [`log`] logger that ships records to SLS through a producer (feature `log`; native
//! targets, where the producer is `Send`).
//!
//! Each record becomes one log with the keys `level`, `target`, `message`, `location`
//! (`file:line`, with [`SlsLoggerBuilder::with_location`]) and one key per structured
//! key-value pair (`log::info!(user = 42; "login")`); a pair named like one of the fixed
//! keys is stored as `field.{name}`. The log's time is the producer's wall clock.
//!
//! ```no_run
//! # fn demo(producer: sls_producer_core::producer::Producer) -> Result<(), Box<dyn std::error::Error>> {
//! use sls_producer_core::engine::Route;
//! use sls_producer_core::integrations::log_logger::SlsLogger;
//!
//! let shipping = SlsLogger::builder(producer, Route::new("my-project", "app-logs")?)
//!     .max_level(log::LevelFilter::Info)
//!     .build()
//!     .install()?;
//! log::info!(user = 42; "login");
//! println!("dropped so far: {}", shipping.stats().dropped());
//! # Ok(()) }
//! ```
//!
//! Like the tracing layer (feature `tracing-layer`), the logger never waits (a full buffer drops
//! and counts the record, and the count is reported into SLS once there is room) and never
//! ships the producer's own records, those of the HTTP and TLS crates in
//! [`DEFAULT_IGNORED_TARGETS`](super::DEFAULT_IGNORED_TARGETS), or anything logged on a thread while the producer's driver
//! runs. [`log::Log::flush`] starts sending every open batch without waiting for it; await
//! [`Producer::flush`] or [`Producer::close`] to wait.

use alloc::borrow::Cow;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use log::kv::{self, VisitSource};
use log::{LevelFilter, Metadata, Record};

use crate::engine::Route;
use crate::integrations::ship::{Shipper, default_ignored, push_field_fmt, push_located};
use crate::producer::Producer;
use crate::protocol::proto::Log;

use crate::integrations::ship::ShipHandle;

/// Keys the logger writes itself; key-value pairs with these names get a `field.` prefix.
const RESERVED: &[&str] = &["level", "target", "message", "location"];

/// Configures an [`SlsLogger`]; from [`SlsLogger::builder`].
#[derive(Debug)]
#[must_use]
pub struct SlsLoggerBuilder {
    producer: Producer,
    route: Route,
    max_level: LevelFilter,
    location: bool,
    ignored: Vec<Cow<'static, str>>,
}

impl SlsLoggerBuilder {
    /// Ship records up to this level. Default [`LevelFilter::Info`].
    pub fn max_level(mut self, level: LevelFilter) -> Self {
        self.max_level = level;
        self
    }

    crate::integrations::ship::ship_builder_setters!("record", "records");

    /// The logger.
    pub fn build(self) -> SlsLogger {
        SlsLogger {
            shipper: Arc::new(Shipper::new(
                self.producer,
                self.route,
                self.ignored,
                "target",
            )),
            max_level: self.max_level,
            location: self.location,
        }
    }
}

/// A [`log::Log`] that ships every record it sees to one producer route. See the
/// [module docs](self).
pub struct SlsLogger {
    shipper: Arc<Shipper>,
    max_level: LevelFilter,
    location: bool,
}

impl SlsLogger {
    /// Configure a logger that sends through `producer` to `route` (project, logstore,
    /// topic, source).
    pub fn builder(producer: Producer, route: Route) -> SlsLoggerBuilder {
        SlsLoggerBuilder {
            producer,
            route,
            max_level: LevelFilter::Info,
            location: false,
            ignored: default_ignored(),
        }
    }

    /// A handle to the logger's counters.
    pub fn handle(&self) -> ShipHandle {
        self.shipper.handle()
    }

    /// Make this the global logger (and raise `log`'s global maximum level to this
    /// logger's), returning the handle to its counters.
    ///
    /// # Errors
    ///
    /// [`log::SetLoggerError`] if a global logger is already installed.
    pub fn install(self) -> Result<ShipHandle, log::SetLoggerError> {
        let handle = self.handle();
        let level = self.max_level;
        log::set_boxed_logger(alloc::boxed::Box::new(self))?;
        if log::max_level() < level {
            log::set_max_level(level);
        }
        Ok(handle)
    }

    fn record_log(&self, record: &Record<'_>) -> Log {
        let mut log = self
            .shipper
            .new_log()
            .with_content("level", record.level().as_str())
            .with_content("target", record.target());
        if self.location {
            if let (Some(file), Some(line)) = (record.file(), record.line()) {
                push_located(&mut log, file, line);
            }
        }
        push_field_fmt(&mut log, &[], "message", *record.args());
        let _ = record.key_values().visit(&mut PairWriter(&mut log));
        log
    }
}

impl fmt::Debug for SlsLogger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlsLogger")
            .field("shipper", &self.shipper)
            .field("max_level", &self.max_level)
            .field("location", &self.location)
            .finish()
    }
}

impl log::Log for SlsLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.max_level && !self.shipper.skips(metadata.target())
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let log = self.record_log(record);
        self.shipper.ship(log);
    }

    fn flush(&self) {
        // Seal and start sending open batches; waiting is the async API's job.
        drop(self.shipper.producer().flush());
    }
}

/// Appends a record's key-value pairs to a log.
struct PairWriter<'a>(&'a mut Log);

impl<'kvs> VisitSource<'kvs> for PairWriter<'_> {
    fn visit_pair(&mut self, key: kv::Key<'kvs>, value: kv::Value<'kvs>) -> Result<(), kv::Error> {
        push_field_fmt(self.0, RESERVED, key.as_str(), format_args!("{value}"));
        Ok(())
    }
}
