//! Test support for the SLS producer.
//!
//! * [`server`]: a local SLS-compatible HTTP server ([`server::LocalSls`]) that checks what
//!   SLS checks (signatures, digests, compression, protobuf, limits, projects and
//!   logstores), stores what it accepts for tests to read back, and injects faults. The
//!   `sls-local` binary runs it from the command line.
//! * [`client`]: a minimal HTTP/1.1 client that sends the core's `HttpRequest`s, for
//!   tests that check the server's answers byte by byte.
//! * [`suite`]: the integration suite every native runtime adapter runs against the
//!   server, written once over [`suite::RuntimeUnderTest`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod proc_stats;
pub mod server;
pub mod suite;
