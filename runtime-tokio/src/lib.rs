//! The tokio runtime for the SLS producer.
//!
//! ```text
//!  Producer ──► driver (one future) ──► TokioTimer      tokio's clock, tokio::time::sleep_until
//!                     │                 TokioTransport  hyper 1 + hyper-util pool + rustls (ring)
//!                     └─ spawned by ──► TokioSpawner    a runtime Handle, usable from any thread
//! ```
//!
//! This crate binds the runtime-agnostic [`sls_producer_core`] to tokio:
//!
//! * [`TokioTimer`] — the core's `Clock` and `Timer` on **tokio's** clock, so producer
//!   tests under `#[tokio::test(start_paused = true)]` run long linger and backoff
//!   schedules instantly and deterministically.
//! * [`TokioSpawner`] — fire-and-forget tasks on a runtime [`Handle`](tokio::runtime::Handle).
//! * [`TokioTransport`] — HTTPS by default (rustls with the `ring` provider and the Mozilla
//!   roots; no OpenSSL), keep-alive pooling, connect and request timeouts, a response size
//!   cap; configured with [`TransportConfig`].
//!
//! It re-exports the core as [`core`] so that one dependency is enough.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use sls_producer_core as core;

mod spawner;
mod timer;
mod transport;

pub use sls_producer_hyper::TransportConfig;
pub use spawner::TokioSpawner;
pub use timer::TokioTimer;
pub use transport::TokioTransport;
