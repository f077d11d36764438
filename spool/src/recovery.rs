//! What opening a spool found: the batches an earlier run left unacknowledged, and the
//! damage it skipped.

use core::ops::Range;
use std::path::PathBuf;

use crate::Seq;

/// What [`Spool::open`](crate::Spool::open) found in the directory.
#[derive(Debug, Default)]
pub struct Recovery {
    /// The batches an earlier run appended and did not acknowledge, oldest first (in
    /// sequence order, so in order per route). Their bodies stay on disk: read each with
    /// [`Spool::read`](crate::Spool::read), acknowledge it once SLS accepts it.
    pub batches: Vec<Recovered>,
    /// What could not be read back, each skipped without losing the records around it.
    pub damage: Vec<Damage>,
}

/// A batch found by [`Spool::open`](crate::Spool::open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// Its sequence number, for [`Spool::read`](crate::Spool::read) and
    /// [`Spool::ack`](crate::Spool::ack).
    pub seq: Seq,
    /// The metadata it was appended with.
    pub meta: Vec<u8>,
    /// Bytes of its body.
    pub body_len: usize,
}

/// Bytes of a spool file that held no verifiable record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The file.
    pub path: PathBuf,
    /// The byte range skipped.
    pub range: Range<u64>,
    /// What it was.
    pub kind: DamageKind,
}

/// What kind of damage a [`Damage`] was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DamageKind {
    /// A record damaged in place, with verified records after it: its batch is lost.
    Corrupt,
    /// The end of a file, cut in the middle of a record: a write a crash interrupted.
    /// The batch it held was never acknowledged to the owner as spooled (with
    /// [`Durability::PerBatch`](crate::Durability::PerBatch)) or was among the last
    /// writes before a power loss.
    Torn,
    /// A segment file too short to hold its header (a crash right after creating it):
    /// deleted.
    Empty,
    /// A file named like a segment that is not one: renamed to `*.foreign` and left alone.
    Foreign,
    /// Damage in an ack file: the acknowledgements it held are lost, so their batches are
    /// replayed again (duplicates, never losses).
    Acks,
}
