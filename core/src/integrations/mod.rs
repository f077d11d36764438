//! Shipping an application's own events to SLS through a producer: a `tracing` layer and a
//! `log` logger (native targets: both need a `Send + Sync` producer).

// The layer and the logger need a `Send + Sync` producer: native targets only (on
// `wasm32-unknown-unknown` the producer is deliberately not `Send`).
#[cfg(all(feature = "log", not(wasm_browser)))]
pub mod log_logger;
#[cfg(all(any(feature = "tracing-layer", feature = "log"), not(wasm_browser)))]
mod ship;
#[cfg(all(feature = "tracing-layer", not(wasm_browser)))]
pub mod tracing_layer;

#[cfg(all(any(feature = "tracing-layer", feature = "log"), not(wasm_browser)))]
pub use ship::{DEFAULT_IGNORED_TARGETS, OWN_TARGET_PREFIX, ShipHandle, ShipStats};
