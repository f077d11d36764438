//! The tokio runtime for the SLS producer.
//!
//! This crate binds the runtime-agnostic [`sls_producer_core`] to tokio. It re-exports the
//! core so that one dependency is enough.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use sls_producer_core as core;
