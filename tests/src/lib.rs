//! Test support for the SLS producer.
//!
//! * [`server`]: a local SLS-compatible HTTP server ([`server::LocalSls`]) that checks what
//!   SLS checks (signatures, digests, compression, protobuf, limits, projects and
//!   logstores), stores what it accepts for tests to read back, and injects faults. The
//!   `sls-local` binary runs it from the command line.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod server;
