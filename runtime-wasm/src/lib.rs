//! The wasm runtime for the SLS producer: browsers, web workers, Node and Cloudflare
//! Workers.
//!
//! ```text
//!  Producer::builder(config) ─► Producer (Clone) ──send──► engine ◄── driver (spawn_local)
//!         .build()                                              │
//!                                 HttpRequest ──► FetchTransport ──► globalThis.fetch ──► SLS
//!                       WasmRuntime: performance.now, Date.now, setTimeout, spawn_local
//! ```
//!
//! ```ignore
//! use sls_producer_wasm::{Credentials, Log, Producer, ProducerBuilderExt as _, ProducerConfig, Route};
//!
//! let producer = Producer::builder(ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"))
//!     .with_credentials(Credentials::new(access_key_id, access_key_secret))
//!     .build()?; // the driver runs on this page's, worker's or Worker's event loop
//! let route = Route::new("my-project", "my-logstore")?;
//! producer.send(&route, Log::from_unix_time(producer.unix_time()).with_content("msg", "hi"))?;
//! let metrics = producer.close(Some(Duration::from_secs(5))).await;
//! ```
//!
//! The producer is the core's [`Producer`], the same type on every runtime; this crate
//! supplies what it runs on in JS environments:
//!
//! | Item | What |
//! |---|---|
//! | `ProducerBuilderExt` | `build()`: the producer on `WasmRuntime` (the same call as on tokio and smol) |
//! | `WasmRuntime` | the core's [`Runtime`]: `performance.now()` / `Date.now()` / `setTimeout` of the global scope, `spawn_local`, `FetchTransport` by default |
//! | `FetchTransport` | [`HttpTransport`] over the global `fetch`, with `AbortController` timeouts and optional `keepalive` |
//! | `PageLifeTransport` | [`HttpTransport`]: `FetchTransport` with `keepalive` while the page is hidden, within the 64 KiB quota |
//! | `JsCredentialsProvider` | [`CredentialsProvider`]: an async JS function returning STS credentials |
//! | `flush_on_page_hide`, `PageLifeListener` | flush when the page is hidden (`pagehide`, `visibilitychange`) |
//! | `WaitUntil` | Cloudflare Workers: deliver a request's logs after its response through `ctx.waitUntil` |
//!
//! The JS class of the npm package is in `runtime-wasm/js`.
//!
//! Everything goes through the **global scope** (`globalThis`), never `window`: the same
//! code runs in pages, dedicated and service workers, Node ≥ 18 and workerd.
//!
//! It re-exports the core as [`core`] and the core's [`prelude`](sls_producer_core::prelude)
//! at the top ([`Producer`], [`ProducerConfig`], [`Credentials`], [`Log`], [`Route`],
//! [`Metrics`], …), so that one dependency and one `use` line are enough.
//!
//! Anonymous web tracking is a wire mode of the core
//! ([`WireMode::WebTracking`](sls_producer_core::config::WireMode::WebTracking)): the
//! producer then needs no credentials and sends `POST /logstores/{logstore}/track`.
//!
//! The JS-facing items exist only on `wasm32-unknown-unknown`. On other targets this crate
//! re-exports the core (so that `cargo check --workspace` works anywhere).
//!
//! [`Runtime`]: sls_producer_core::rt::Runtime
//! [`HttpTransport`]: sls_producer_core::rt::HttpTransport
//! [`CredentialsProvider`]: sls_producer_core::credentials::CredentialsProvider
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The pure helpers are used by the JS-facing modules only, which exist only on wasm.
#![cfg_attr(not(wasm_browser), allow(dead_code))]

pub use sls_producer_core as core;
pub use sls_producer_core::prelude::*;

mod classify;
mod delay;
mod headers;
mod keepalive;

pub use headers::FORWARDED_HOST;
pub use keepalive::KEEPALIVE_QUOTA;

#[cfg(wasm_browser)]
mod credentials;
#[cfg(wasm_browser)]
mod ext;
#[cfg(wasm_browser)]
mod fetch;
#[cfg(wasm_browser)]
mod page;
#[cfg(wasm_browser)]
mod runtime;
#[cfg(wasm_browser)]
mod workers;

#[cfg(wasm_browser)]
pub use credentials::{JsCredentialsProvider, credentials_from_js};
#[cfg(wasm_browser)]
pub use ext::ProducerBuilderExt;
#[cfg(wasm_browser)]
pub use fetch::FetchTransport;
#[cfg(wasm_browser)]
pub use page::{PageLifeListener, PageLifeTransport, PageVisibility, flush_on_page_hide};
#[cfg(wasm_browser)]
pub use runtime::WasmRuntime;
#[cfg(wasm_browser)]
pub use workers::{NotAnExecutionContext, WaitUntil};
