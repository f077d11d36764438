//! # sls-producer-core
//!
//! The `no_std` + `alloc` heart of an asynchronous batching producer for Alibaba Cloud
//! Simple Log Service (SLS).
//!
//! ```text
//!  send(log) ──► engine: batch per (project, logstore, topic, source, shard key)
//!                 │  streaming protobuf encode into the batch buffer (once per log)
//!                 ▼  seal on size / count / linger
//!               LogGroup bytes ──► compress (LZ4 / zstd / none) ──► body (built once)
//!                 │
//!                 ▼  per attempt: Date + Content-MD5 + signature (v1 HMAC-SHA1 / v4)
//!               HttpRequest ──► HttpTransport ──► response ──► retry / backoff / result
//! ```
//!
//! This crate is organised in layers:
//!
//! * **Protocol** — pure functions with golden-vector tests: [`proto`] (LogGroup messages
//!   and the streaming encoder), [`compress`], [`sign`], [`request`] (PutLogs as data),
//!   [`endpoint`], [`response`] (SLS error bodies), [`shard`] (shard-hash bucketing),
//!   [`pack_id`], [`backoff`], [`time`] (instants and calendar dates without `std`),
//!   [`config`] and [`credentials`].
//! * **Engine and driver** — the sans-IO producer state machine and the one future that
//!   runs it on a runtime's timer and HTTP transport.
//!
//! Nothing in this crate reads a clock or does I/O on its own: every read of time goes
//! through the runtime's `Clock`, which is what makes simulation tests exact.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod backoff;
pub mod compress;
pub mod config;
pub mod credentials;
pub mod driver;
pub mod endpoint;
pub mod engine;
pub mod http;
mod json;
pub mod pack_id;
pub mod producer;
pub mod proto;
pub mod request;
pub mod response;
pub mod rt;
pub mod shard;
pub mod sign;
#[cfg(feature = "sim")]
pub mod sim;
pub mod time;
