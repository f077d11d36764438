//! The SLS producer for JavaScript: the `Producer` class of the `sls-producer-js` npm
//! package, for web pages, web workers, Node ≥ 18 and Cloudflare Workers.
//!
//! ```text
//!  new Producer(options) ─► options.rs ─► ProducerConfig + Route + credentials mode
//!  send(object) ─► log.rs ─► Log ─► core Producer ─► engine ─► PutLogs
//!      ─► [WebTrackingTransport] ─► PageLifeTransport ─► fetch ─► SLS
//! ```
//!
//! The JS API (see the package README and `index.d.ts`):
//!
//! ```ts
//! const producer = new Producer({ endpoint, project, logstore, webTracking: true });
//! producer.send({ event: "click", target: "#buy" });
//! producer.sendList([{ a: "1" }, { a: "2" }]);
//! await producer.flush();
//! const report = await producer.close();
//! ```
//!
//! Everything lives on `wasm32-unknown-unknown`; elsewhere this crate is empty.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(all(target_family = "wasm", target_os = "unknown"))]
mod error;
#[cfg(all(target_family = "wasm", target_os = "unknown"))]
mod log;
#[cfg(all(target_family = "wasm", target_os = "unknown"))]
mod options;
#[cfg(all(target_family = "wasm", target_os = "unknown"))]
mod producer;
#[cfg(all(target_family = "wasm", target_os = "unknown"))]
mod types;

#[cfg(all(target_family = "wasm", target_os = "unknown"))]
pub use producer::JsProducer;
#[cfg(all(target_family = "wasm", target_os = "unknown"))]
pub use types::{
    CloseReportObject, DeliveryFailureObject, LogObject, ProducerOptions, StatsObject,
};
