//! The smol runtime for the SLS producer.
//!
//! ```text
//!  Producer::builder(config) ─► Producer (Clone) ──send──► engine ◄── driver (one task on smol)
//!                                                                      │
//!                      SmolTimer      OS clock, async_io::Timer::at
//!                      SmolTransport  hyper HTTP/1.1 on async-io sockets + futures-rustls, https by default
//!                      SmolSpawner    smol's global executor or your own
//! ```
//!
//! Add `sls-producer-smol` to `Cargo.toml`, then:
//!
//! ```no_run
//! use std::time::Duration;
//! use sls_producer_smol::{Credentials, Log, Producer, ProducerConfig, Route};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     smol::block_on(async {
//!         let config = ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"); // https
//!         let producer = Producer::builder(config)
//!             .with_credentials(Credentials::from_env()?) // ALIBABA_CLOUD_ACCESS_KEY_ID, …
//!             .build()?; // the driver runs on smol's global executor
//!         let route = Route::new("my-project", "my-logstore")?;
//!         producer.send(&route, Log::new(1_700_000_000).with_content("msg", "hello"))?;
//!         // `close` hands back whatever could not be delivered within the deadline.
//!         let report = producer.close(Some(Duration::from_secs(5))).await;
//!         println!("{report:?}");
//!         Ok(())
//!     })
//! }
//! ```
//!
//! This crate binds the runtime-agnostic [`sls_producer_core`] to smol and async-io,
//! without a tokio runtime:
//!
//! * [`Producer`] / [`ProducerBuilder`] — the producer on smol: `send`, `send_list`,
//!   [`send_with`](sls_producer_core::producer::Producer::send_with) (topic, source, shard hash), callbacks and
//!   awaitable handles, `flush().await`, `close(deadline).await`, and a blocking facade
//!   ([`flush_blocking`](Producer::flush_blocking),
//!   [`close_blocking`](Producer::close_blocking)) for plain threads.
//! * [`SmolTimer`] — the core's `Clock` and `Timer` on the OS clock and async-io timers.
//! * [`SmolSpawner`] — fire-and-forget tasks on smol's global executor or an
//!   [`Executor`](smol::Executor) you own.
//! * [`SmolTransport`] — HTTPS by default (rustls with the `ring` provider and the Mozilla
//!   roots; no OpenSSL), `http://` when the endpoint says so, IP and `localhost` endpoints
//!   with the virtual `Host` header, keep-alive pooling, connect and request timeouts, a
//!   response size cap; configured with [`TransportConfig`].
//!
//! It re-exports the core as [`core`], and its most used types at the top, so that one
//! dependency is enough.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use sls_producer_core as core;

mod io;
mod pool;
mod producer;
mod spawner;
mod timer;
mod transport;

pub use producer::{BlockingError, BuildError, Producer, ProducerBuilder};
pub use sls_producer_core::config::ProducerConfig;
pub use sls_producer_core::credentials::Credentials;
pub use sls_producer_core::engine::{DeliveryFailure, DeliveryResult, Route};
pub use sls_producer_core::producer::{CloseReport, SendError};
pub use sls_producer_core::producer::{CredentialsSource, DeliveryHandle};
pub use sls_producer_core::protocol::proto::Log;
pub use sls_producer_hyper::{TransportConfig, default_compress_helpers};
pub use spawner::SmolSpawner;
pub use timer::SmolTimer;
pub use transport::SmolTransport;
