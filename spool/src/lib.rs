//! A crash-safe disk spool for the SLS producer.
//!
//! The producer keeps accepted logs in memory; a crash, a deploy that kills the process or
//! an outage longer than the memory budget would lose them. With a spool, every sealed
//! batch (its compressed body and the metadata needed to resend it) is appended to a file
//! before its first attempt and acknowledged when SLS accepts it (or when the producer
//! gives it up and hands its logs back). A producer opened on the directory of an earlier
//! run gets the unacknowledged batches back ([`Recovery`]) and sends them first.
//!
//! Delivery is **at least once**: a batch SLS accepted just before a crash, whose
//! acknowledgement did not reach the disk, is sent again after restart (with the same
//! pack id, so duplicates can be recognised).
//!
//! # Format
//!
//! The directory holds a `lock` file (held while a [`Spool`] is open: a second producer
//! on the same directory is refused with [`SpoolError::Locked`]) and numbered segments.
//! A segment is an append-only file of frames: magic, length, CRC-32, payload;
//! its acknowledgements are appended to an ack file beside it, and both files are
//! deleted when every batch in the segment is acknowledged. A record a crash cut short,
//! or one damaged later, fails its checksum and is skipped and reported; reading resumes
//! at the next verified record. Each run writes to new segments only, so nothing is ever
//! written after a damaged tail. The design and its crash-consistency argument are in
//! `docs/adr/0011-disk-spool.md`.
//!
//! # Example
//!
//! ```
//! use sls_producer_spool::{Spool, SpoolConfig};
//!
//! # fn main() -> Result<(), Box<dyn core::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let config = SpoolConfig::new(dir.path()).with_max_bytes(64 << 20);
//! let (mut spool, recovery) = Spool::open(config.clone())?;
//! assert!(recovery.batches.is_empty());
//! let seq = spool.append(b"project/logstore", b"compressed body")?.seq;
//! drop(spool); // a crash, as far as the directory can tell
//!
//! let (mut spool, recovery) = Spool::open(config)?;
//! assert_eq!(recovery.batches[0].seq, seq);
//! let batch = spool.read(seq)?;
//! assert_eq!(batch.body, b"compressed body");
//! spool.ack(seq)?; // SLS accepted it
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod error;
mod frame;
mod record;
mod recovery;
mod segment;
mod spool;
#[cfg(feature = "producer")]
mod store;

pub use config::{ConfigError, Durability, MIN_SEGMENT_BYTES, SpoolConfig, WhenFull};
pub use error::{AppendError, Op, SpoolError};
pub use recovery::{Damage, DamageKind, Recovered, Recovery};
pub use spool::{Appended, Spool, StoredBatch};
#[cfg(feature = "producer")]
pub use store::{SpoolStore, Unblock};

/// A batch's sequence number in a spool: increasing in append order; a reopened spool
/// continues after the largest one its directory holds, so a number is never given to two
/// batches on disk at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seq(pub u64);
