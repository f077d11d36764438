//! Logs handed back on failure, decoded only when the caller asks for them.
//!
//! Giving a batch up (a close deadline, retries exhausted, …) must not cost work per log:
//! `close(deadline)` gives up every pending batch at once, and decoding hundreds of
//! thousands of logs there would break its deadline. So a failed batch's body (the raw
//! LogGroup, or the sealed compressed body) moves into one shared [`FailedBatch`], and each
//! send's result keeps a [`HandedBack`]: that handle plus the positions of its logs.
//! The logs are decompressed and decoded on the first [`HandedBack::logs`] of any send of
//! the batch, and kept decoded for the other sends of the same batch, so handing back a
//! batch's logs to its many sends decodes the batch once.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use super::encoder::Format;
use crate::protocol::compress::{self, Compression};
use crate::protocol::http::Bytes;
use crate::protocol::proto::{self, Log};
use crate::protocol::request::{self, PreparedBody};
use crate::sync::Lock;

/// The body of a batch that failed, shared by the results of every send in it.
pub(crate) struct FailedBatch {
    body: FailedBody,
    format: Format,
    /// The batch's logs, once a send asked for its own.
    decoded: Lock<Decoded>,
}

/// Whether a failed batch's body was read back yet, and what came of it.
enum Decoded {
    /// No send asked for its logs yet.
    NotYet,
    /// The batch's logs.
    Logs(Arc<[Log]>),
    /// The body could not be decompressed or decoded: a bug (the producer encoded it),
    /// never bad input.
    Unreadable,
}

/// What the batch held when it failed.
enum FailedBody {
    /// The uncompressed LogGroup.
    Raw(Bytes),
    /// The body as sealed (possibly compressed).
    Sealed(PreparedBody),
}

impl FailedBatch {
    /// A failed batch of `format` whose body was not compressed yet.
    pub(crate) fn raw(raw: Bytes, format: Format) -> Arc<Self> {
        Self::new(FailedBody::Raw(raw), format)
    }

    /// A failed batch of `format` with its sealed body.
    pub(crate) fn sealed(body: PreparedBody, format: Format) -> Arc<Self> {
        Self::new(FailedBody::Sealed(body), format)
    }

    fn new(body: FailedBody, format: Format) -> Arc<Self> {
        Arc::new(Self {
            body,
            format,
            decoded: Lock::new(Decoded::NotYet),
        })
    }

    /// Whether the logs were decoded (by a caller asking for them).
    #[cfg(any(test, feature = "__internals"))]
    fn is_decoded(&self) -> bool {
        !matches!(*self.decoded.lock(), Decoded::NotYet)
    }

    /// The batch's logs, decoded once; `None` if the body cannot be read back, which is a
    /// bug (asserted in debug builds).
    fn logs(&self) -> Option<Arc<[Log]>> {
        let mut decoded = self.decoded.lock();
        match &*decoded {
            Decoded::Logs(logs) => return Some(Arc::clone(logs)),
            Decoded::Unreadable => return None,
            Decoded::NotYet => {}
        }
        let logs: Option<Arc<[Log]>> = self.decode().map(Into::into);
        debug_assert!(logs.is_some(), "a failed batch's body cannot be read back");
        *decoded = logs.clone().map_or(Decoded::Unreadable, Decoded::Logs);
        logs
    }

    fn decode(&self) -> Option<Vec<Log>> {
        let raw = match &self.body {
            FailedBody::Raw(raw) => raw.clone(),
            FailedBody::Sealed(sealed) => match sealed.compression() {
                Compression::None => sealed.body().clone(),
                c => Bytes::from(compress::decompress(c, sealed.body(), sealed.raw_len()).ok()?),
            },
        };
        match self.format {
            Format::LogGroup(_) => proto::decode_log_group(&raw).ok().map(|group| group.logs),
            Format::Track => request::decode_tracked_logs(&raw),
        }
    }
}

/// The logs of one send handed back on failure, not decoded yet.
///
/// Cheap to create and to clone: it holds shared handles to the failed batches' bodies
/// (one per batch the send's logs were in) and the positions of the send's logs in each.
/// A send in one batch (nearly all of them) has one slice, kept inline: building its
/// result allocates nothing, so giving up a batch of many sends allocates nothing per send.
#[derive(Clone, Default)]
pub(crate) struct HandedBack {
    slices: Slices,
}

/// The slices of a [`HandedBack`], as small as the list they replace (24 bytes), so that
/// a result, which every waiting handle holds room for, does not grow.
#[derive(Clone, Default)]
enum Slices {
    #[default]
    None,
    One(Slice),
    /// A send spanning batches: a slice per batch, in log order.
    Many(Box<[Slice]>),
}

#[derive(Clone)]
struct Slice {
    batch: Arc<FailedBatch>,
    /// Positions among the batch's logs (at most 40,960: `max_batch_count`'s limit).
    start: u32,
    end: u32,
}

impl Slice {
    fn logs(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl HandedBack {
    /// The logs at `logs` among `batch`'s.
    pub(crate) fn new(batch: Arc<FailedBatch>, logs: Range<usize>) -> Self {
        let position = |i: usize| u32::try_from(i).expect("a batch holds at most 40,960 logs");
        Self {
            slices: Slices::One(Slice {
                batch,
                start: position(logs.start),
                end: position(logs.end),
            }),
        }
    }

    /// Append `other`'s logs after these (parts of one send, in log order).
    pub(crate) fn extend(&mut self, other: Self) {
        let mut list = match core::mem::take(&mut self.slices) {
            Slices::None => {
                self.slices = other.slices;
                return;
            }
            Slices::One(slice) => alloc::vec![slice],
            Slices::Many(list) => list.into_vec(),
        };
        match other.slices {
            Slices::None => {}
            Slices::One(slice) => list.push(slice),
            Slices::Many(more) => list.extend(more.into_vec()),
        }
        self.slices = Slices::Many(list.into_boxed_slice());
    }

    fn slices(&self) -> &[Slice] {
        match &self.slices {
            Slices::None => &[],
            Slices::One(slice) => core::slice::from_ref(slice),
            Slices::Many(list) => list,
        }
    }

    /// How many logs are handed back, without decoding them.
    pub(crate) fn len(&self) -> usize {
        self.slices().iter().map(|slice| slice.logs().len()).sum()
    }

    /// Decode the logs (each batch at most once across all its sends' results).
    ///
    /// A batch whose body cannot be read back (a bug, asserted in debug builds) gives
    /// none of its logs: they are missing from the list, [`len`](Self::len) still counts
    /// them, and the count of missing ones is reported as a diagnostic.
    pub(crate) fn logs(&self) -> Vec<Log> {
        let (logs, unreadable) = self.read();
        if unreadable > 0 {
            crate::producer::diag::logs_unreadable(unreadable, self.len());
        }
        logs
    }

    /// The logs that could be read back, and how many could not.
    fn read(&self) -> (Vec<Log>, usize) {
        let mut out = Vec::with_capacity(self.len());
        let mut unreadable = 0;
        for slice in self.slices() {
            let batch = slice.batch.logs();
            match batch.as_deref().and_then(|logs| logs.get(slice.logs())) {
                Some(logs) => out.extend_from_slice(logs),
                None => unreadable += slice.logs().len(),
            }
        }
        (out, unreadable)
    }

    /// Whether any of the logs were decoded already.
    #[cfg(any(test, feature = "__internals"))]
    pub(crate) fn is_decoded(&self) -> bool {
        self.slices().iter().any(|slice| slice.batch.is_decoded())
    }
}

/// Equal if they hand back the same logs (decoding both).
impl PartialEq for HandedBack {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.read() == other.read()
    }
}

impl Eq for HandedBack {}

/// `Debug` shows how many logs, never their contents.
impl fmt::Debug for HandedBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandedBack")
            .field("logs", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::LogGroups;
    use crate::protocol::proto::LogGroupEncoder;
    use alloc::vec;

    fn raw_batch(count: u32) -> Arc<FailedBatch> {
        let mut encoder = LogGroupEncoder::new();
        for time in 0..count {
            encoder.push(&Log::new(time));
        }
        FailedBatch::raw(
            Bytes::from(encoder.finish("", "", [("k", "v")])),
            Format::LogGroup(LogGroups::compiled().unwrap()),
        )
    }

    fn times(handed_back: &HandedBack) -> Vec<u32> {
        handed_back.logs().iter().map(Log::time).collect()
    }

    #[test]
    fn each_send_gets_exactly_its_logs_decoded_on_demand() {
        let batch = raw_batch(6);
        let parts = [0..1, 2..4, 5..6].map(|logs| HandedBack::new(batch.clone(), logs));
        assert!(!batch.is_decoded(), "nothing decoded before a caller asks");
        assert_eq!(
            parts.iter().map(HandedBack::len).collect::<Vec<_>>(),
            [1, 2, 1]
        );
        assert!(!batch.is_decoded(), "counting does not decode");
        assert_eq!(times(&parts[1]), [2, 3]);
        assert!(
            batch.is_decoded(),
            "decoded once, for every send of the batch"
        );
        assert_eq!(times(&parts[0]), [0]);
        assert_eq!(times(&parts[2]), [5]);
    }

    #[test]
    fn a_result_is_no_larger_than_a_list_of_slices() {
        assert_eq!(size_of::<HandedBack>(), size_of::<Vec<Slice>>());
    }

    #[test]
    fn a_send_spanning_batches_gets_its_parts_in_order() {
        let (first, second) = (raw_batch(3), raw_batch(2));
        let mut send = HandedBack::new(first, 1..3);
        send.extend(HandedBack::new(second, 0..2));
        assert_eq!(send.len(), 4);
        assert_eq!(times(&send), vec![1, 2, 0, 1]);
        assert_eq!(HandedBack::default().logs(), []);
    }

    /// A body that cannot be read back is a bug: debug builds stop at it; release builds
    /// hand back what can be read and keep counting the rest.
    #[test]
    #[cfg_attr(debug_assertions, should_panic(expected = "cannot be read back"))]
    fn an_unreadable_body_is_asserted_and_its_logs_stay_counted() {
        let good = raw_batch(2);
        let broken = FailedBatch::raw(
            Bytes::from_static(&[0xff, 0xff]),
            Format::LogGroup(LogGroups::compiled().unwrap()),
        );
        let mut send = HandedBack::new(good, 0..2);
        send.extend(HandedBack::new(broken, 0..3));
        assert_eq!(send.read().1, 3, "the unreadable logs are counted");
        assert_eq!(send.len(), 5, "and still handed back");
        assert_eq!(times(&send), [0, 1]);
    }
}
