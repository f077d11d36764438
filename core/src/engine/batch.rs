//! One batch: its accumulation while open, its sealed body, and where it is in its life.

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use super::attempt::{Attempt, AttemptHistory, AttemptId};
use super::charge::Fill;
use super::clock::ClockOffset;
use super::destination::DestinationId;
use super::encoder::BatchEncoder;
use super::events::Ticket;
use super::key::Route;
use super::wire::Sealed;
use crate::protocol::compress::Compression;
use crate::protocol::http::Bytes;
use crate::protocol::time::Instant;

/// Identifies a batch. Ids increase in creation order, which is what flush watermarks use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct BatchId(pub(crate) u64);

/// The smallest encoded log (`Log { time: 0 }`, no contents): key, length, time key, time.
pub(crate) const MIN_LOG_ENTRY: usize = 4;

/// A batch still taking logs.
#[derive(Debug)]
pub(crate) struct OpenBatch {
    pub(crate) encoder: BatchEncoder,
    /// Bytes `finish` adds after the logs at most: topic, source and tags (with the widest
    /// pack id). Room and capacity are kept for it.
    pub(crate) trailer_len: usize,
    /// The `__pack_id__` value, generated at creation.
    pub(crate) pack_id: Option<String>,
    /// When linger seals the batch.
    pub(crate) linger_deadline: Instant,
}

impl OpenBatch {
    /// Whether one more log of `entry_len` encoded bytes keeps the batch within limits.
    pub(crate) fn has_room(&self, entry_len: usize, max_bytes: usize, max_count: usize) -> bool {
        Fill::of(self).has_room(entry_len, (max_bytes, max_count))
    }

    /// Whether no further log could fit, so the batch should be sealed now.
    pub(crate) fn is_full(&self, max_bytes: usize, max_count: usize) -> bool {
        !self.has_room(MIN_LOG_ENTRY, max_bytes, max_count)
    }
}

/// Where a batch is in its life.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Taking logs.
    Open(OpenBatch),
    /// Sealed, waiting in the transmit queue.
    Queued,
    /// A request is outstanding.
    InFlight {
        attempt: AttemptId,
        started: Instant,
        credentials_generation: u64,
    },
    /// Waiting for a retry's backoff to pass.
    Backoff { until: Instant },
    /// Due for a retry, waiting for credentials newer than the ones the server rejected.
    AwaitingCredentials,
}

/// Who is told about a part of a send held in this batch.
#[derive(Debug)]
pub(crate) enum PartOwner<T> {
    /// The whole send is in this batch; its tag is here.
    Whole(T),
    /// The send spans batches; this is part number `index` (in log order) and the tag
    /// waits in the engine until every part has an outcome.
    Spanning { index: u32 },
}

/// The logs of one tagged send inside a batch.
#[derive(Debug)]
pub(crate) struct SendPart<T> {
    pub(crate) ticket: Ticket,
    /// Positions of the send's logs among the batch's logs.
    pub(crate) logs: Range<usize>,
    pub(crate) owner: PartOwner<T>,
}

/// What a batch holds to send once it is sealed.
#[derive(Debug)]
pub(crate) enum Body {
    /// Still open: the logs are in the open batch's encoder.
    Open,
    /// The finished LogGroup, waiting to be compressed (by a
    /// [`CompressJob`](super::CompressJob), or by `poll_transmit` if no job takes it).
    Raw(Bytes),
    /// A [`CompressJob`](super::CompressJob) is compressing it; the LogGroup is kept to
    /// hand the logs back should the batch fail meanwhile. `parked`: `poll_transmit` took the
    /// batch off the ready queue because it was not compressed yet, so the job's result puts
    /// it back.
    Compressing { raw: Bytes, parked: bool },
    /// Compressed and digested, with its unsigned request: ready to be signed and sent.
    Sealed(Sealed),
    /// Written to the disk spool and dropped from memory while the batch waited (see
    /// `evict.rs`): read back from the spool before its next attempt.
    #[cfg_attr(not(feature = "spool"), allow(dead_code, reason = "the spool's"))]
    Evicted {
        /// Bytes of the body as sent: what reading it back allocates.
        len: usize,
        /// Bytes of the uncompressed LogGroup.
        raw_len: usize,
        /// How the body is compressed.
        compression: Compression,
    },
}

/// A batch of one route.
#[derive(Debug)]
pub(crate) struct Batch<T> {
    pub(crate) route: Route,
    /// Where it goes (resolved from the route's project when the batch was created).
    pub(crate) to: DestinationId,
    pub(crate) phase: Phase,
    /// What is sent once the batch is sealed.
    pub(crate) body: Body,
    /// Logs in the batch.
    pub(crate) log_count: usize,
    /// Memory budget bytes held (see [`charge`](super::charge)): bookkeeping, tracked
    /// parts and `buffer`.
    pub(crate) charge: usize,
    /// The part of `charge` for the buffer: its capacity while the batch is open or
    /// waiting to be compressed, its body once compressed.
    pub(crate) buffer: usize,
    /// Tagged sends with logs in this batch, in log order.
    pub(crate) parts: Vec<SendPart<T>>,
    pub(crate) history: AttemptHistory,
    /// No attempt after this instant (from `delivery_timeout`), once sealed.
    pub(crate) delivery_deadline: Option<Instant>,
    /// The next attempt needs credentials of at least this generation (raised by a 401).
    pub(crate) min_credentials_generation: u64,
    /// The clock offset the last attempt was signed with.
    pub(crate) signed_offset: ClockOffset,
}

impl<T> Batch<T> {
    /// Record a finished attempt. Only a tracked send's result shows the earlier records, so
    /// a batch without one keeps the last record alone (see [`AttemptHistory::record`]).
    pub(crate) fn record_attempt(&mut self, attempt: Attempt) {
        self.history.record(attempt, self.parts.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::proto::Log;
    #[test]
    fn room_accounts_for_trailer_and_count() {
        let mut open = OpenBatch {
            encoder: BatchEncoder::new(
                crate::engine::Format::LogGroup(crate::engine::LogGroups::compiled().unwrap()),
                Vec::new(),
            ),
            trailer_len: 10,
            pack_id: None,
            linger_deadline: Instant::ZERO,
        };
        assert!(open.has_room(90, 100, 2));
        assert!(!open.has_room(91, 100, 2));
        open.encoder.push_log(&Log::new(0));
        open.encoder.push_log(&Log::new(0));
        assert!(!open.has_room(1, 1000, 2), "count limit reached");
        assert!(open.is_full(1000, 2));
    }
}
