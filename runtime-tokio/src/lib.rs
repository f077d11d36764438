//! The tokio runtime for the SLS producer.
//!
//! ```text
//!  Producer::builder(config) ─► Producer (Clone) ──send──► engine ◄── driver (one task on your runtime)
//!                                                                      │
//!                      TokioTimer      tokio's clock, tokio::time::sleep_until
//!                      TokioTransport  hyper 1 + hyper-util pool + rustls (ring), https by default
//!                      TokioSpawner    a runtime Handle, usable from any thread
//! ```
//!
//! Add `sls-producer-tokio` to `Cargo.toml`, then:
//!
//! ```no_run
//! use std::time::Duration;
//! use sls_producer_tokio::{Credentials, Log, Producer, ProducerConfig, Route};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let config = ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"); // https
//!     let producer = Producer::builder(config)
//!         .with_credentials(Credentials::from_env()?) // ALIBABA_CLOUD_ACCESS_KEY_ID, …
//!         .build()?; // the driver runs on this runtime
//!     let route = Route::new("my-project", "my-logstore")?;
//!     producer.send(&route, Log::new(1_700_000_000).with_content("msg", "hello"))?;
//!     // `close` hands back whatever could not be delivered within the deadline.
//!     let report = producer.close(Some(Duration::from_secs(5))).await;
//!     println!("{report:?}");
//!     Ok(())
//! }
//! ```
//!
//! * [`Producer`] / [`ProducerBuilder`] — the producer on a tokio runtime: `send`,
//!   `send_list`, [`send_with`](sls_producer_core::producer::Producer::send_with) (topic, source, shard hash),
//!   callbacks and awaitable handles, `flush().await`, `close(deadline).await`, and a
//!   blocking facade ([`flush_blocking`](Producer::flush_blocking),
//!   [`close_blocking`](Producer::close_blocking)) for threads outside the runtime.
//! * [`TokioTimer`] — the core's `Clock` and `Timer` on **tokio's** clock, so producer
//!   tests under `#[tokio::test(start_paused = true)]` run long linger and backoff
//!   schedules instantly and deterministically.
//! * [`TokioSpawner`] — fire-and-forget tasks on a runtime [`Handle`](tokio::runtime::Handle).
//! * [`TokioTransport`] — HTTPS by default (rustls with the `ring` provider and the Mozilla
//!   roots; no OpenSSL), `http://` when the endpoint says so, IP and `localhost` endpoints
//!   with the virtual `Host` header, keep-alive pooling, connect and request timeouts, a
//!   response size cap; configured with [`TransportConfig`].
//!
//! It re-exports the core as [`core`], and its most used types at the top, so that one
//! dependency is enough.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use sls_producer_core as core;

mod block;
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
pub use spawner::TokioSpawner;
pub use timer::TokioTimer;
pub use transport::TokioTransport;
