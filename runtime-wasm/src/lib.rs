//! The wasm runtime for the SLS producer: browsers, web workers, Node and Cloudflare
//! Workers.
//!
//! ```text
//!  Producer ──► engine ──► HttpRequest ──► FetchTransport ──► globalThis.fetch ──► SLS
//!     ▲            ▲                                                   │
//!     │      WasmTimer (performance.now, setTimeout)                   │
//!     └──────────── delivery events ◄── HttpResponse ◄─────────────────┘
//!         driver task on LocalSpawner (spawn_local)
//! ```
//!
//! | Type | Implements | On |
//! |---|---|---|
//! | `WasmTimer` | [`Clock`], [`Timer`] | `performance.now()` / `Date.now()` / `setTimeout` of the global scope |
//! | `LocalSpawner` | [`Spawner`] | `wasm_bindgen_futures::spawn_local` |
//! | `FetchTransport` | [`HttpTransport`] | the global `fetch`, with `AbortController` timeouts and optional `keepalive` |
//! | `PageLifeTransport` | [`HttpTransport`] | `FetchTransport`, with `keepalive` while the page is hidden, within the 64 KiB quota |
//! | [`WebTrackingTransport`] | [`HttpTransport`] | any transport: PutLogs rewritten as anonymous web tracking (`/track`) |
//! | `JsCredentialsProvider` | [`CredentialsProvider`] | an async JS function returning STS credentials |
//!
//! And the wiring: `spawn_producer` (a producer on these, signing with `x-log-date`),
//! `flush_on_page_hide` / `PageLifeListener` (`pagehide`, `visibilitychange`), and
//! `WaitUntil` (Cloudflare Workers: deliver a request's logs after its response through
//! `ctx.waitUntil`). The JS class of the npm package is in `runtime-wasm/js`.
//!
//! Everything goes through the **global scope** (`globalThis`), never `window`: the same
//! code runs in pages, dedicated and service workers, Node ≥ 18 and workerd.
//!
//! The JS-facing types exist only on `wasm32-unknown-unknown`. On other targets this crate
//! re-exports the core and offers the target-independent `WebTrackingTransport` (so that
//! `cargo check --workspace` works anywhere).
//!
//! [`Clock`]: sls_producer_core::rt::Clock
//! [`Timer`]: sls_producer_core::rt::Timer
//! [`Spawner`]: sls_producer_core::rt::Spawner
//! [`HttpTransport`]: sls_producer_core::rt::HttpTransport
//! [`CredentialsProvider`]: sls_producer_core::rt::CredentialsProvider
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The pure helpers are used by the JS-facing modules only, which exist only on wasm.
#![cfg_attr(not(wasm_browser), allow(dead_code))]

pub use sls_producer_core as core;

mod classify;
mod delay;
mod headers;
mod keepalive;
mod tracking;

pub use headers::FORWARDED_HOST;
pub use keepalive::KEEPALIVE_QUOTA;
pub use tracking::WebTrackingTransport;

#[cfg(wasm_browser)]
mod credentials;
#[cfg(wasm_browser)]
mod fetch;
#[cfg(wasm_browser)]
mod page;
#[cfg(wasm_browser)]
mod spawner;
#[cfg(wasm_browser)]
mod start;
#[cfg(wasm_browser)]
mod timer;
#[cfg(wasm_browser)]
mod workers;

#[cfg(wasm_browser)]
pub use credentials::{JsCredentialsProvider, credentials_from_js};
#[cfg(wasm_browser)]
pub use fetch::FetchTransport;
#[cfg(wasm_browser)]
pub use page::{PageLifeListener, PageLifeTransport, PageVisibility, flush_on_page_hide};
#[cfg(wasm_browser)]
pub use spawner::LocalSpawner;
#[cfg(wasm_browser)]
pub use start::spawn_producer;
#[cfg(wasm_browser)]
pub use timer::WasmTimer;
#[cfg(wasm_browser)]
pub use workers::{NotAnExecutionContext, WaitUntil};
