//! The hyper glue shared by the SLS producer's native HTTP transports.
//!
//! ```text
//!  core HttpRequest ──► to_hyper_request ──► hyper client (runtime-specific) ──► Response<Incoming>
//!                                                                                     │
//!  core HttpResponse ◄── read_response (capped) ◄─────────────────────────────────────┘
//!  hyper / I/O errors ──► hyper_error_kind, find_source, error_chain ──► TransportError
//! ```
//!
//! `sls-producer-tokio` (hyper-util's pooled client on tokio) and `sls-producer-smol`
//! (hyper's HTTP/1.1 connection on async-io) differ in how they connect, pool and time
//! out; everything else lives here, once:
//!
//! * [`TransportConfig`] — connect/request timeouts, pooling, the response cap, and TLS
//!   (rustls with the `ring` provider and the Mozilla roots of `webpki-roots` by default).
//! * [`to_hyper_request`], [`absolute_uri`], [`origin_uri`] — the core's request as a
//!   hyper request, body shared, not copied.
//! * [`read_response`] — the whole response, failing past [`TransportConfig::max_response_body`].
//! * [`hyper_error_kind`], [`find_source`], [`error_chain`] — hyper's errors as the core's
//!   [`TransportErrorKind`](sls_producer_core::rt::TransportErrorKind), with messages that
//!   name the cause.
//!
//! This crate enables no hyper runtime feature and no async runtime: it is plain
//! message conversion, so an adapter for any runtime can use it. Error messages built here
//! name headers but never carry header values (`authorization` and
//! `x-acs-security-token` are secrets).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod error;
mod request;
mod response;

pub use config::TransportConfig;
pub use error::{
    connect_failure, error_chain, find_source, hyper_error_kind, is_certificate_rejected,
};
pub use request::{absolute_uri, origin_uri, to_hyper_request};
pub use response::read_response;
