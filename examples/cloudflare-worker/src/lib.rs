//! A Cloudflare Worker, in Rust, that ships a log of every request it serves to SLS.
//!
//! ```text
//!  fetch(request, env, ctx)
//!   ├─ producer for this request (Producer::builder(..).build(): fetch, setTimeout, spawn_local)
//!   ├─ answer the request
//!   ├─ producer.send(log of the request)
//!   ├─ WaitUntil::close(producer)  ── ctx.waitUntil(...) ── delivered after the response
//!   └─ return the response
//! ```
//!
//! `worker.mjs` is the Worker's entry module: it instantiates this crate's wasm (built with
//! `wasm-bindgen --target web`) and forwards `fetch`. Configuration comes from the
//! Worker's environment bindings: `SLS_ENDPOINT`, `SLS_PROJECT`, `SLS_LOGSTORE`,
//! `SLS_ACCESS_KEY_ID` and `SLS_ACCESS_KEY_SECRET` (a secret: `wrangler secret put`).
//! A Worker's code is not public, so a static AccessKey from its secrets is fine here,
//! unlike in a web page.
//!
//! `test/` runs it in workerd (`workerd test`) against the local SLS server; see the
//! README.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(wasm_browser)]
mod worker;

#[cfg(wasm_browser)]
pub use worker::fetch;

/// The Worker's allocator: talc, a few KB smaller than the standard library's dlmalloc.
#[cfg(wasm_browser)]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
