//! The SLS producer's own diagnostics (retries, given-up batches, credential refreshes,
//! caught callback panics, the close summary: `tracing` events under the target
//! `sls_producer_core`) written to a file that rotates by size, the way the Go producer's
//! log options do.
//!
//! ```no_run
//! use sls_producer_diagnostics::{DiagnosticsFile, Level};
//!
//! # fn main() -> Result<(), sls_producer_diagnostics::DiagnosticsError> {
//! DiagnosticsFile::new("/var/log/my-app/sls-producer.log")
//!     .with_level(Level::INFO)        // AllowLogLevel
//!     .with_json(false)               // IsJsonType
//!     .with_max_size(10 << 20)        // LogMaxSize (bytes here, MB in Go)
//!     .with_max_backups(10)           // LogMaxBackups
//!     .with_compress(true)            // LogCompress
//!     .init()?;                       // or .layer()? next to your own layers
//! # Ok(())
//! # }
//! ```
//!
//! | Go `ProducerConfig` | Here | Default (as Go's) |
//! |---|---|---|
//! | `LogFileName` | [`DiagnosticsFile::new`]`(path)`; for stdout, any `tracing` subscriber instead | – |
//! | `AllowLogLevel` | [`with_level`](DiagnosticsFile::with_level) | `INFO` |
//! | `IsJsonType` | [`with_json`](DiagnosticsFile::with_json): one JSON object a line, else text | text |
//! | `LogMaxSize` | [`with_max_size`](DiagnosticsFile::with_max_size), in bytes | 10 MiB |
//! | `LogMaxBackups` | [`with_max_backups`](DiagnosticsFile::with_max_backups) | 10 |
//! | `LogCompress` | [`with_compress`](DiagnosticsFile::with_compress): rotated files gzipped | off |
//!
//! Rotation: once the file has reached the size (after the event that crossed it, so an
//! event is never cut in two), it is renamed `<name>.1` (`<name>.1.gz` with compression),
//! older backups move up one number, and only the newest `max_backups` are kept. Writes are
//! synchronous, on the thread that raised the event (usually the producer's driver);
//! diagnostics are rare (failures, refreshes, close), so they stay off the send path.
//!
//! Without this crate the events still go to whatever subscriber the application installs
//! (the runtime crates turn the core's `tracing` feature on by default; without a
//! subscriber they cost a relaxed atomic load each, and `send` raises none).
//!
//! Why a crate of its own: the helper is not HTTP (so not the hyper glue), it needs `std`
//! file I/O, gzip and `tracing-subscriber`'s formatters (so not the `no_std` core), and it
//! is the same for tokio and smol (so not copied into each); both re-export it as
//! `diagnostics` with their `diagnostics-file` feature.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use core::fmt;
use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

pub use tracing::Level;

/// The target prefix of the producer's diagnostics: the events this file receives.
pub const TARGET: &str = "sls_producer_core";

/// A boxed layer, as [`DiagnosticsFile::layer`] returns it.
pub type BoxedLayer<S> = Box<dyn Layer<S> + Send + Sync + 'static>;

/// Where and how to write the producer's diagnostics: see the [crate docs](crate).
#[derive(Clone, Debug)]
pub struct DiagnosticsFile {
    path: PathBuf,
    level: Level,
    json: bool,
    max_size: usize,
    max_backups: usize,
    compress: bool,
}

impl DiagnosticsFile {
    /// Diagnostics to the file at `path` (its directory is created if missing), with the Go
    /// producer's defaults: `INFO`, text, 10 MiB per file, 10 backups, no compression.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            level: Level::INFO,
            json: false,
            max_size: 10 << 20,
            max_backups: 10,
            compress: false,
        }
    }

    /// Keep events at `level` and more severe (Go `AllowLogLevel`).
    #[must_use]
    pub fn with_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// One JSON object per line (`true`) or text lines (Go `IsJsonType`).
    #[must_use]
    pub fn with_json(mut self, json: bool) -> Self {
        self.json = json;
        self
    }

    /// Rotate the file once it has reached `bytes` (Go `LogMaxSize`, given in MB there).
    /// Must be at least 1.
    #[must_use]
    pub fn with_max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// Keep at most `backups` rotated files; older ones are deleted (Go `LogMaxBackups`).
    #[must_use]
    pub fn with_max_backups(mut self, backups: usize) -> Self {
        self.max_backups = backups;
        self
    }

    /// Gzip rotated files (`<name>.N.gz`; Go `LogCompress`).
    #[must_use]
    pub fn with_compress(mut self, compress: bool) -> Self {
        self.compress = compress;
        self
    }

    /// The path of the current file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A layer that writes the producer's diagnostics to the file, to add to your own
    /// subscriber next to your other layers. It only sees events under [`TARGET`].
    ///
    /// # Errors
    ///
    /// [`DiagnosticsError::ZeroMaxSize`] for a size of 0;
    /// [`DiagnosticsError::Open`] if the directory cannot be created or the file opened.
    pub fn layer<S>(self) -> Result<BoxedLayer<S>, DiagnosticsError>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let writer = Mutex::new(self.open()?);
        let filter = Targets::new().with_target(TARGET, self.level);
        let format = tracing_subscriber::fmt::layer().with_writer(writer);
        Ok(if self.json {
            format.json().with_filter(filter).boxed()
        } else {
            format.with_filter(filter).boxed()
        })
    }

    /// Install a global subscriber with only this file's layer.
    ///
    /// # Errors
    ///
    /// As [`layer`](Self::layer), and [`DiagnosticsError::AlreadyInitialized`] if a
    /// global subscriber is already set (add [`layer`](Self::layer) to it instead).
    pub fn init(self) -> Result<(), DiagnosticsError> {
        let layer = self.layer()?;
        tracing_subscriber::registry()
            .with(layer)
            .try_init()
            .map_err(|_| DiagnosticsError::AlreadyInitialized)
    }

    /// Check what `file-rotate` would panic on (a size of 0, a directory or file that cannot
    /// be made), then open the rotating file.
    fn open(&self) -> Result<FileRotate<AppendCount>, DiagnosticsError> {
        if self.max_size == 0 {
            return Err(DiagnosticsError::ZeroMaxSize);
        }
        let open_error = |source| DiagnosticsError::Open {
            path: self.path.clone(),
            source,
        };
        let path = if self.path.is_absolute() {
            self.path.clone()
        } else {
            std::env::current_dir()
                .map_err(open_error)?
                .join(&self.path)
        };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(open_error)?;
        }
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(open_error)?;
        let compression = if self.compress {
            Compression::OnRotate(0)
        } else {
            Compression::None
        };
        Ok(FileRotate::new(
            path,
            AppendCount::new(self.max_backups),
            ContentLimit::BytesSurpassed(self.max_size),
            compression,
            None,
        ))
    }
}

/// Why the diagnostics file could not be set up.
#[derive(Debug)]
#[non_exhaustive]
pub enum DiagnosticsError {
    /// `max_size` was 0; give at least 1 byte.
    ZeroMaxSize,
    /// The file's directory could not be created or the file opened.
    Open {
        /// The configured path.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A global `tracing` subscriber is already installed: add
    /// [`DiagnosticsFile::layer`] to it instead of calling `init`.
    AlreadyInitialized,
}

impl fmt::Display for DiagnosticsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroMaxSize => f.write_str("diagnostics file max_size must be at least 1 byte"),
            Self::Open { path, source } => {
                write!(
                    f,
                    "cannot open diagnostics file {}: {source}",
                    path.display()
                )
            }
            Self::AlreadyInitialized => f.write_str(
                "a global tracing subscriber is already set; add DiagnosticsFile::layer to it",
            ),
        }
    }
}

impl core::error::Error for DiagnosticsError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Open { source, .. } => Some(source),
            _ => None,
        }
    }
}
