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
//! This crate is organised in three layers:
//!
//! 1. **Protocol** — pure functions with golden-vector tests: [`proto`] (LogGroup messages
//!    and the streaming encoder), [`compress`], [`sign`], [`request`] (PutLogs as data),
//!    [`endpoint`], [`response`] (SLS error bodies), [`shard`] (shard-hash bucketing),
//!    [`pack_id`], [`backoff`], [`time`] (instants and calendar dates without `std`),
//!    [`config`] and [`credentials`].
//! 2. **Engine** — [`engine::Engine`], a sans-IO state machine fed explicit instants: it
//!    batches, seals, builds each body once, signs each attempt, classifies responses,
//!    schedules retries and reports one outcome per send. No futures, no clock reads.
//! 3. **Driver and handle** — [`producer::Producer`] is the cheap `Clone` handle your code
//!    sends through; [`driver::Driver`] is the one future that runs the engine on a runtime's
//!    [`rt::Timer`] and [`rt::HttpTransport`].
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
//! use sls_producer_core::http::HttpResponse;
//! use sls_producer_core::proto::Log;
//! use sls_producer_core::time::{Instant, UnixTime};
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

pub mod backoff;
pub mod compress;
pub mod config;
pub mod credentials;
mod diag;
pub mod driver;
pub mod endpoint;
pub mod engine;
pub mod http;
mod json;
// The layer and the logger need a `Send + Sync` producer: native targets only (on
// `wasm32-unknown-unknown` the producer is deliberately not `Send`).
#[cfg(all(feature = "log", not(wasm_browser)))]
pub mod log_logger;
pub mod metrics;
pub mod pack_id;
pub mod producer;
pub mod proto;
pub mod request;
pub mod response;
pub mod rt;
pub mod shard;
#[cfg(all(any(feature = "tracing-layer", feature = "log"), not(wasm_browser)))]
mod ship;
pub mod sign;
#[cfg(feature = "sim")]
pub mod sim;
pub mod time;
#[cfg(all(feature = "tracing-layer", not(wasm_browser)))]
pub mod tracing_layer;
