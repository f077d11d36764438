//! A local SLS-compatible server for tests, examples and benchmarks.
//!
//! ```text
//!  TCP ─► hyper HTTP/1.1 (keep-alive) ─► route (method, path, query)
//!           │ OPTIONS ─► CORS preflight        /_sls_local/* ─► control API (faults, stats, logs)
//!           ▼ PutLogs / web tracking
//!         read body (limit) ─► fault script, latency, rate limit
//!           ─► Host ⇒ project ─► x-log-apiversion ─► signature v1/v4, Content-MD5, STS token,
//!              time skew (`auth`) ─► logstore ─► decompress (`decompress`) ─►
//!              check LogGroup (wire walk) ─► limits ─► decode (core) / JSON ─► store
//!              ─► 200 + x-log-requestid     (counting mode: walk, limits, count; no decode)
//! ```
//!
//! In counting mode a server can check deeply only a sample of PutLogs requests
//! ([`LocalSlsBuilder::deep_check_every`]): the others skip comparing the body digest
//! and walking each log, and are still authenticated, decompressed, limited and counted.
//!
//! Every refusal is an [`SlsError`]: SLS's status, a JSON `errorCode`/`errorMessage` body and
//! an `x-log-requestid` header. Start one with [`LocalSls::builder`].

mod auth;
mod body;
mod buffers;
mod builder;
mod clock;
mod config;
mod content;
mod control;
mod cors;
#[cfg(test)]
mod count_tests;
mod date;
mod decompress;
mod depth;
mod error;
mod faults;
mod handle;
mod host;
mod ingest;
mod listener;
mod query;
mod received;
mod registry;
mod request_id;
mod route;
mod service;
mod store;
mod webtrack;
mod wire;

use sls_producer_core::config::Compression;

pub use builder::LocalSlsBuilder;
pub use clock::{ClockSkew, ManualClock, ServerClock, SystemClock};
pub use config::{AuthMode, Limits, LogstoreOptions, StoreMode};
pub use error::SlsError;
pub use faults::{Fault, Faults, RateLimit};
pub use handle::LocalSls;
pub use host::{FORWARDED_HOST, project_from_host};
pub use received::{AuthKind, Ingest, ReceivedLogGroup};
pub use route::ShardTarget;

/// The number of logs in an uncompressed `LogGroup` body, counted by walking only the
/// group's own fields, as the counting server does for a request it does not deep-check
/// ([`LocalSlsBuilder::deep_check_every`]); `None` if those fields are malformed.
pub fn count_group_logs(body: &[u8]) -> Option<usize> {
    wire::count_top_level_logs(body).ok()
}

/// A received body decompressed as the server decompresses one: exactly `raw_size` bytes
/// (`x-log-bodyrawsize`), or `None` when `raw_size` is above `max_raw_size` (nothing is
/// allocated then) or the body does not decode to that size.
pub fn decompress_body(
    compression: Compression,
    body: &[u8],
    raw_size: usize,
    max_raw_size: usize,
) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    decompress::decompress_into(compression, body, raw_size, max_raw_size, &mut raw).ok()?;
    Some(raw)
}
pub use store::{LogstoreStats, Stats};
