//! The tokio runtime for the SLS producer.
//!
//! ```text
//!  Producer::builder(config) ─► Producer (Clone) ──send──► engine ◄── driver (one task on your runtime)
//!         .build()                                                     │
//!                      TokioRuntime    tokio's clock and timer, a runtime Handle to spawn on
//!                      TokioTransport  hyper 1 + hyper-util pool + rustls (ring), https by default
//! ```
//!
//! Add `sls-producer-tokio` to `Cargo.toml`, then:
//!
//! ```rust,no_run
//! use std::time::Duration;
//! use sls_producer_tokio::{Credentials, Log, Producer, ProducerBuilderExt as _, ProducerConfig, Route};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let config = ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"); // https
//!     let producer = Producer::builder(config)
//!         .with_credentials(Credentials::from_env()?) // ALIBABA_CLOUD_ACCESS_KEY_ID, …
//!         .build()?; // the driver runs on this runtime
//!     let route = Route::new("my-project", "my-logstore")?;
//!     let log = Log::from_unix_time(producer.unix_time()).with_content("msg", "hello");
//!     producer.send(&route, log)?;
//!     // `close` waits for every outcome (up to the deadline) and returns the final metrics.
//!     let metrics = producer.close(Some(Duration::from_secs(5))).await;
//!     println!("{} delivered, {} failed", metrics.delivered_logs, metrics.failed_logs);
//!     Ok(())
//! }
//! ```
//!
//! The producer is the core's [`Producer`], the same type on every runtime; this crate
//! supplies what it runs on:
//!
//! * [`ProducerBuilderExt`] — `build()`: the driver on the tokio runtime of the calling
//!   context (the same call as on smol and wasm). From a thread outside the runtime, use
//!   [`build_on`](ProducerBuilder::build_on)`(`[`TokioRuntime::new`]`(handle))`.
//! * [`TokioRuntime`] — the core's runtime traits on a tokio runtime: **tokio's** clock
//!   (producer tests under `#[tokio::test(start_paused = true)]` run long linger and
//!   backoff schedules instantly and deterministically), spawning on a
//!   [`Handle`](tokio::runtime::Handle), and the default transport. The blocking methods
//!   ([`send_blocking`](Producer::send_blocking), [`flush_blocking`](Producer::flush_blocking),
//!   [`close_blocking`](Producer::close_blocking)) work on plain threads and are refused
//!   with [`BlockingError::InsideRuntime`] on a thread inside a tokio runtime.
//! * [`TokioTransport`] — HTTPS by default (rustls with the `ring` provider and the Mozilla
//!   roots; no OpenSSL), `http://` when the endpoint says so, IP and `localhost` endpoints
//!   with the virtual `Host` header, keep-alive pooling, connect and request timeouts, a
//!   response size cap; configured with [`TransportConfig`].
//!
//! # Disk spool (feature `spool`)
//!
//! `ProducerBuilderExt::with_spool(SpoolConfig::new(dir))` (types in `spool`) keeps every
//! sealed batch in a directory from before its first attempt until it is delivered or
//! given up, so a crash, a kill or a deploy loses nothing sealed: the next producer on
//! the directory sends those batches first, in order per route, with their pack ids
//! unchanged, counted in `Metrics::replayed_batches`. Off by default. You choose the cap
//! (`with_max_bytes`), when it syncs (`Durability::PerBatch`, `Interval`, `Os`) and what
//! a full spool does (`WhenFull::Refuse`: the batch fails with `DeliveryFailure::Spool`
//! and its logs are handed back; `DropOldest`: old batches are deleted and counted in
//! `Metrics::spool_lost_batches`). The file I/O runs on tokio's blocking pool. Delivery is
//! **at least once**: a batch the server stored just before a crash is sent again by the
//! next run (same pack id). A batch given up only by the close deadline stays on disk
//! for the next run. See `docs/adr/0011-disk-spool.md`.
//!
//! It re-exports the core as [`core`] and the core's [`prelude`](sls_producer_core::prelude)
//! at the top, so that one dependency is enough.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use sls_producer_core as core;
pub use sls_producer_core::prelude::*;

/// The producer's diagnostics to a rotating file (feature `diagnostics-file`): the
/// `sls-producer-diagnostics` crate.
#[cfg(feature = "diagnostics-file")]
pub use sls_producer_diagnostics as diagnostics;

mod ext;
mod runtime;
#[cfg(feature = "spool")]
pub mod spool;
mod transport;

pub use ext::ProducerBuilderExt;
pub use runtime::TokioRuntime;
pub use sls_producer_hyper::TransportConfig;
pub use transport::TokioTransport;
