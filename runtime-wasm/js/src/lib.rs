//! The SLS producer for JavaScript: the `Producer` class of the `sls-producer-js` npm
//! package, for web pages, web workers, Node ≥ 18 and Cloudflare Workers.
//!
//! ```text
//!  new Producer(options) ─► options.rs ─► ProducerConfig + Route + credentials mode
//!  send(object, target?) ─► log.rs ─► Log, target.rs ─► Route ─► core Producer ─► engine
//!      ─► PutLogs, or web tracking (`webTracking: true`) ─► PageLifeTransport ─► fetch ─► SLS
//! ```
//!
//! The JS API (see the package README and `index.d.ts`):
//!
//! ```ts
//! const producer = new Producer({ endpoint, project, logstore, webTracking: true });
//! producer.send({ event: "click", target: "#buy" });
//! producer.sendList([{ a: "1" }, { a: "2" }], { logstore: "other", topic: "t" });
//! const result = await producer.sendTracked({ event: "buy" }); // Delivered | DeliveryFailure
//! await producer.flush();
//! const report = await producer.close();
//! ```
//!
//! Everything lives on `wasm32-unknown-unknown`; elsewhere this crate is empty.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(any(wasm_browser, test))]
mod describe;
#[cfg(wasm_browser)]
mod error;
#[cfg(wasm_browser)]
mod js;
#[cfg(wasm_browser)]
mod log;
#[cfg(wasm_browser)]
mod options;
#[cfg(wasm_browser)]
mod outcome;
#[cfg(wasm_browser)]
mod producer;
#[cfg(wasm_browser)]
mod target;
#[cfg(wasm_browser)]
mod types;

/// The package's allocator: talc, a few KB smaller than the standard library's dlmalloc.
#[cfg(wasm_browser)]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(wasm_browser)]
pub use producer::JsProducer;
#[cfg(wasm_browser)]
pub use types::{
    CloseReportObject, DeliveryFailureObject, LogObject, ProducerOptions, SendTargetObject,
    StatsObject,
};
