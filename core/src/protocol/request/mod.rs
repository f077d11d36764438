//! The PutLogs request as data, and the web-tracking (PutWebtracking) request.
//!
//! ```text
//!  once per batch:  LogGroup bytes ──PreparedBody::new──► compressed Bytes + raw size
//!                                                          + compression + BodyDigest
//!  per attempt:     put_logs_request(endpoint, target, &prepared) ──► unsigned HttpRequest
//!                   sign::sign_request(now)                      ──► signed HttpRequest
//! ```
//!
//! An unsigned PutLogs request is `POST` to
//!
//! * `/logstores/{logstore}` (no shard key),
//! * `/logstores/{logstore}/shards/route?key={key}` (shard key),
//! * either of them plus `processor={name}` (query keys sorted, form-encoded),
//! * `/prometheus/{project}/{metricstore}/api/v1/write` (metricstores; no key, no processor),
//!
//! with the headers `host` (`{project}.{endpoint}`), `content-type: application/x-protobuf`,
//! `user-agent`, `x-log-apiversion: 0.6.0`, `x-log-bodyrawsize` and `x-log-compresstype`
//! (absent when uncompressed). [`sign_request`](crate::protocol::sign::sign_request) adds the date,
//! digest and signature headers.

mod body;
mod name;
mod target;
#[cfg(test)]
mod tests;
mod track;

pub use body::{PreparedBody, put_logs_request};
pub use name::{InvalidName, InvalidNameReason, NameKind, validate_logstore, validate_project};
pub use target::PutLogsTarget;
pub use track::{TrackEncoder, TrackStyle, decode_tracked_logs, web_tracking_request};

/// The `x-log-apiversion` every request carries.
pub const API_VERSION: &str = "0.6.0";

/// `content-type` of a PutLogs body.
pub const CONTENT_TYPE_PROTOBUF: &str = "application/x-protobuf";

/// `content-type` of a web-tracking body sent with [`TrackStyle::Headers`].
pub const CONTENT_TYPE_JSON: &str = "application/json";

/// `content-type` of a web-tracking body sent with [`TrackStyle::CorsSimple`] (what
/// `navigator.sendBeacon` sends for a string).
pub const CONTENT_TYPE_TEXT: &str = "text/plain;charset=UTF-8";

/// The `user-agent` sent when none is configured.
pub const DEFAULT_USER_AGENT: &str = concat!("sls-producer-rs/", env!("CARGO_PKG_VERSION"));
