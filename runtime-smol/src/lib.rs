//! The smol runtime for the SLS producer.
//!
//! ```text
//!  Producer::builder(config) ─► Producer (Clone) ──send──► engine ◄── driver (one task on smol)
//!         .build()                                                     │
//!                      SmolRuntime    OS clock + async-io timers, smol's global executor or yours
//!                      SmolTransport  hyper HTTP/1.1 on async-io sockets + futures-rustls, https by default
//! ```
//!
//! Add `sls-producer-smol` to `Cargo.toml`, then:
//!
//! ```rust,no_run
//! use std::time::Duration;
//! use sls_producer_smol::{Credentials, Log, Producer, ProducerBuilderExt as _, ProducerConfig, Route};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     smol::block_on(async {
//!         let config = ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"); // https
//!         let producer = Producer::builder(config)
//!             .with_credentials(Credentials::from_env()?) // ALIBABA_CLOUD_ACCESS_KEY_ID, …
//!             .build()?; // the driver runs on smol's global executor
//!         let route = Route::new("my-project", "my-logstore")?;
//!         let log = Log::from_unix_time(producer.unix_time()).with_content("msg", "hello");
//!         producer.send(&route, log)?;
//!         // `close` waits for every outcome (up to the deadline) and returns the final metrics.
//!         let metrics = producer.close(Some(Duration::from_secs(5))).await;
//!         println!("{} delivered, {} failed", metrics.delivered_logs, metrics.failed_logs);
//!         Ok(())
//!     })
//! }
//! ```
//!
//! The producer is the core's [`Producer`], the same type on every runtime; this crate
//! binds it to smol and async-io, without a tokio runtime:
//!
//! * [`ProducerBuilderExt`] — `build()`: the driver on smol's global executor (the same
//!   call as on tokio and wasm). For an executor of your own, use
//!   [`build_on`](ProducerBuilder::build_on)`(`[`SmolRuntime::with_executor`]`(executor))`.
//! * [`SmolRuntime`] — the core's runtime traits on smol: the OS clock and async-io
//!   timers, spawning on an executor, and the default transport. The blocking methods
//!   ([`send_blocking`](Producer::send_blocking), [`flush_blocking`](Producer::flush_blocking),
//!   [`close_blocking`](Producer::close_blocking)) are for plain threads; from a delivery
//!   callback they are refused with [`BlockingError::InsideDriver`].
//! * [`SmolTransport`] — HTTPS by default (rustls with the `ring` provider and the Mozilla
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
//! `Metrics::spool_lost_batches`). The file I/O runs on smol's blocking pool. Delivery is
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
mod io;
mod pool;
mod runtime;
mod spawner;
#[cfg(feature = "spool")]
pub mod spool;
mod transport;

pub use ext::ProducerBuilderExt;
pub use runtime::SmolRuntime;
pub use sls_producer_hyper::TransportConfig;
pub use transport::SmolTransport;
