//! # sls-producer-core
//!
//! The `no_std` + `alloc` heart of an asynchronous batching producer for Alibaba Cloud
//! Simple Log Service (SLS).
//!
//! ```text
//!  send(log) ──► engine: batch per (project, logstore, topic, source, shard key)
//!                 │  streaming protobuf encode into the batch buffer (once per log)
//!                 ▼  seal on size / count / linger
//!               LogGroup bytes ──► compress (LZ4 / zstd / none) ──► body (built once)
//!                 │
//!                 ▼  per attempt: Date + Content-MD5 + signature (v1 HMAC-SHA1 / v4)
//!               HttpRequest ──► HttpTransport ──► response ──► retry / backoff / result
//! ```
//!
//! The module tree shows the layers, from the wire up:
//!
//! 1. **[`protocol`]** — pure functions with golden-vector tests: the `LogGroup` protobuf
//!    and its streaming encoder, compression, signatures v1/v4, PutLogs requests, endpoints,
//!    SLS error bodies, shard keys, pack ids, calendar dates without `std`.
//! 2. **[`engine`]** — [`engine::Engine`], a sans-IO state machine fed explicit instants: it
//!    batches, seals, builds each body once, signs each attempt, classifies responses,
//!    schedules retries (with [`engine::backoff`]) and reports one outcome per send. No
//!    futures, no clock reads.
//! 3. **[`producer`]** — [`producer::Producer`] is the cheap `Clone` handle your code sends
//!    through; [`producer::Driver`] is the one future that runs the engine on a runtime's
//!    [`rt::Timer`] and [`rt::HttpTransport`].
//!
//! Beside them: [`config`] and [`credentials`] (what a producer is built from), [`rt`] (the
//! runtime traits), [`integrations`] (a `tracing` layer and a `log` logger that ship an
//! application's events) and `sim` (a deterministic runtime for tests).
//!
//! The runtime crates (`sls-producer-tokio`, `sls-producer-smol`, `sls-producer-wasm`) provide
//! the [`rt`] implementations; the `sim` feature provides a manual clock, a run-until-stalled
//! executor and a scripted transport for deterministic tests of your own code.
//!
//! Nothing in this crate reads a clock or does I/O on its own: every read of time goes
//! through the runtime's [`rt::Clock`], which is what makes simulation tests exact.
//!
//! # Features
//!
//! | Feature | Default | What it adds |
//! |---|---|---|
//! | `std` | yes | a real mutex for the engine lock, `Credentials::from_env` |
//! | `zstd` | yes | zstd bodies (pure Rust, `no_std`) |
//! | `zstd-native` | no (yes in the tokio and smol crates) | zstd bodies compressed by the reference library, libzstd (C, built with `cc`), at `ProducerConfig::zstd_level` (native targets) |
//! | `sim` | no | the `sim` module: manual clock, executor, scripted transport |
//! | `tracing` | no | the producer's own diagnostics as `tracing` events (works without `std`) |
//! | `tracing-layer` | no | `tracing_layer::SlsLayer`, shipping application events to SLS (native targets) |
//! | `log` | no | `log_logger::SlsLogger`, shipping `log` records to SLS (native targets) |
//!
//! # The engine in ten lines
//!
//! ```
//! use sls_producer_core::config::ProducerConfig;
//! use sls_producer_core::credentials::Credentials;
//! use sls_producer_core::engine::{Engine, Route};
//! use sls_producer_core::protocol::http::HttpResponse;
//! use sls_producer_core::protocol::proto::Log;
//! use sls_producer_core::protocol::time::{Instant, UnixTime};
//!
//! let config = ProducerConfig::new("http://127.0.0.1:8080");
//! let wall = UnixTime::from_secs(1_700_000_000);
//! let mut engine: Engine<()> =
//!     Engine::new(&config, wall, Some(Credentials::new("id", "secret"))).unwrap();
//! let route = Route::new("my-project", "app-logs").unwrap();
//! engine.push(Instant::ZERO, Log::new(1_700_000_000).with_content("msg", "hello"), &route, Some(())).unwrap();
//!
//! // Nothing is due before the linger (2 s) expires.
//! let due = engine.poll_timeout().unwrap();
//! engine.handle_timeout(due);
//! let transmit = engine.poll_transmit(due, wall).unwrap();
//! assert_eq!(transmit.request.path(), "/logstores/app-logs");
//! assert_eq!(transmit.request.header("host"), Some("my-project.127.0.0.1:8080"));
//!
//! engine.handle_response(due, wall, transmit.attempt, Ok(HttpResponse::new(200)));
//! let event = engine.poll_event().unwrap();
//! assert!(event.result.is_success());
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod config;
pub mod credentials;
pub mod durable;
pub mod engine;
pub mod integrations;
pub mod producer;
// The protocol layer is the crate's own business: the types users name are re-exported at
// the root and in `config` and `rt`. The tests crate's local server (and, until web
// tracking moves into the core, the wasm adapter) reach inside through the doc-hidden
// `__internals` feature, which is not part of the API.
#[cfg(feature = "__internals")]
#[doc(hidden)]
pub mod protocol;
#[cfg(not(feature = "__internals"))]
mod protocol;
pub mod rt;
#[cfg(feature = "sim")]
pub mod sim;
mod sync;

/// The types a program that sends logs names, to `use` in one line (the runtime crates
/// re-export them at their root).
pub mod prelude {
    pub use crate::{
        Attempt, BlockingError, BuildError, ConfigError, Credentials, CredentialsSource,
        DeliveryFailure, DeliveryHandle, DeliveryResult, InvalidName, Log, LogParts, Metrics,
        Producer, ProducerBuilder, ProducerConfig, ProjectConfig, Record, Route, SendError,
        ShardKey, Ticket,
    };
}

pub use config::{ConfigError, ProducerConfig, ProjectConfig};
pub use credentials::{Credentials, CredentialsSource};
pub use engine::{
    Attempt, DeliveryFailure, DeliveryResult, LogParts, Metrics, Record, Route, SendError, Ticket,
};
pub use producer::{BlockingError, BuildError, DeliveryHandle, Producer, ProducerBuilder};
pub use protocol::proto::Log;
pub use protocol::request::{InvalidName, InvalidNameReason, NameKind};
pub use protocol::shard::{Buckets, ShardKey};
