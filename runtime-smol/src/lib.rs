//! The smol runtime for the SLS producer.
//!
//! ```text
//!  Producer ──► driver (one future) ──► SmolTimer      OS clock, async_io::Timer::at
//!                     │                 SmolTransport  hyper HTTP/1.1 on async-io sockets + futures-rustls
//!                     └─ spawned by ──► SmolSpawner    smol's global executor or your own
//! ```
//!
//! This crate binds the runtime-agnostic [`sls_producer_core`] to smol and async-io,
//! without a tokio runtime:
//!
//! * [`SmolTimer`] — the core's `Clock` and `Timer` on the OS clock and async-io timers.
//! * [`SmolSpawner`] — fire-and-forget tasks on smol's global executor or an
//!   [`Executor`](smol::Executor) you own.
//! * [`SmolTransport`] — HTTPS by default (rustls with the `ring` provider and the Mozilla
//!   roots; no OpenSSL), keep-alive pooling, connect and request timeouts, a response size
//!   cap; configured with [`TransportConfig`].
//!
//! It re-exports the core as [`core`] so that one dependency is enough.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use sls_producer_core as core;

mod io;
mod pool;
mod spawner;
mod timer;
mod transport;

pub use sls_producer_hyper::TransportConfig;
pub use spawner::SmolSpawner;
pub use timer::SmolTimer;
pub use transport::SmolTransport;
