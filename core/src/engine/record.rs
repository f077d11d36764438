//! What a push carries in, and the typed refusal that hands it back.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::encoder::{BatchEncoder, Format};
use crate::protocol::limits::KeyDefect;
use crate::protocol::proto::{self, Log, LogDefect};
use crate::protocol::time::UnixTime;

/// The logs of one send: a single [`Log`] or a list.
///
/// A list is accepted or refused as a whole, and has one outcome (one
/// [`DeliveryEvent`](super::DeliveryEvent)), even when it spans several batches.
#[derive(Clone, PartialEq, Eq)]
pub enum Record {
    /// One log.
    Log(Log),
    /// A list of logs, in order (may be empty).
    List(Vec<Log>),
}

impl Record {
    /// Number of logs.
    pub fn len(&self) -> usize {
        match self {
            Self::Log(_) => 1,
            Self::List(logs) => logs.len(),
        }
    }

    /// Whether there is no log at all (an empty list).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The logs, in order.
    pub fn as_slice(&self) -> &[Log] {
        match self {
            Self::Log(log) => core::slice::from_ref(log),
            Self::List(logs) => logs,
        }
    }

    /// The logs, in order.
    pub fn into_logs(self) -> Vec<Log> {
        match self {
            Self::Log(log) => vec![log],
            Self::List(logs) => logs,
        }
    }
}

impl From<Log> for Record {
    fn from(log: Log) -> Self {
        Self::Log(log)
    }
}

impl From<Vec<Log>> for Record {
    fn from(logs: Vec<Log>) -> Self {
        Self::List(logs)
    }
}

/// `Debug` shows the number of logs, never their contents.
impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Record({} logs)", self.len())
    }
}

/// The logs of one push, however the caller holds them: each is encoded straight into a
/// batch, never copied into another owned form first.
pub(crate) trait LogSource {
    /// Number of logs.
    fn count(&self) -> usize;
    /// Bytes log `index` adds to a batch of `format` (for a `LogGroup`, see
    /// [`LogGroupEncoder::encoded_log_len`](crate::protocol::proto::LogGroupEncoder::encoded_log_len)).
    fn encoded_len(&self, index: usize, format: Format) -> usize;
    /// Append log `index`, of [`LogSource::encoded_len`] `entry`, to `encoder`.
    fn encode_into(&self, index: usize, entry: usize, encoder: &mut BatchEncoder);
    /// Encode log `index` as a `LogGroup` entry into `out`, exactly
    /// [`LogSource::encoded_len`] bytes long.
    fn encode_to_slice(&self, index: usize, out: &mut [u8]);
    /// Whether log `index` is held in its wire form already, so that encoding it ahead of
    /// the engine lock would only copy it once more.
    fn is_encoded(&self, _index: usize) -> bool {
        false
    }
    /// What SLS would refuse in log `index` (a reserved or empty key, a time out of
    /// range), if anything. Allocates nothing.
    fn defect(&self, index: usize) -> Option<LogDefect>;
}

impl LogSource for Record {
    fn count(&self) -> usize {
        self.len()
    }

    fn encoded_len(&self, index: usize, format: Format) -> usize {
        format.log_len(&self.as_slice()[index])
    }

    fn encode_into(&self, index: usize, _entry: usize, encoder: &mut BatchEncoder) {
        encoder.push_log(&self.as_slice()[index]);
    }

    fn encode_to_slice(&self, index: usize, out: &mut [u8]) {
        self.as_slice()[index].write_entry(out);
    }

    fn is_encoded(&self, _index: usize) -> bool {
        true
    }

    fn defect(&self, index: usize) -> Option<LogDefect> {
        self.as_slice()[index].defect()
    }
}

/// One log as borrowed parts, for [`Producer::send_parts`](crate::Producer::send_parts):
/// Unix seconds, optional sub-second nanoseconds, the key/value pairs in order, and
/// optionally a topic and a source that replace the route's for this log. The pairs are
/// encoded straight into the batch, so an accepted send allocates nothing; the same log as
/// a [`Log`] encodes to the same bytes.
///
/// ```
/// use sls_producer_core::LogParts;
///
/// let user = String::from("alice");
/// let pairs = [("event", "login"), ("user", user.as_str())];
/// let parts = LogParts::new(1_700_000_000, &pairs)
///     .with_time_ns(250_000_000)
///     .with_topic("auth");
/// # let _ = parts;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LogParts<'a, K, V> {
    pub(crate) time: u32,
    pub(crate) time_ns: Option<u32>,
    pub(crate) topic: Option<&'a str>,
    pub(crate) source: Option<&'a str>,
    pub(crate) contents: &'a [(K, V)],
}

impl<'a, K, V> LogParts<'a, K, V> {
    /// A log at `time` (Unix seconds) with these pairs, on its route's topic and source.
    pub fn new(time: u32, contents: &'a [(K, V)]) -> Self {
        Self {
            time,
            time_ns: None,
            topic: None,
            source: None,
            contents,
        }
    }

    /// A log at wall-clock time `t` (e.g. [`Producer::unix_time`](crate::Producer::unix_time))
    /// with these pairs: its whole seconds and its nanoseconds, as
    /// [`Log::from_unix_time`].
    pub fn from_unix_time(t: UnixTime, contents: &'a [(K, V)]) -> Self {
        Self::new(u32::try_from(t.as_secs()).unwrap_or(u32::MAX), contents)
            .with_time_ns(t.subsec_nanos())
    }

    /// The nanoseconds within the second (builder style).
    #[must_use]
    pub fn with_time_ns(mut self, time_ns: u32) -> Self {
        self.time_ns = Some(time_ns);
        self
    }

    /// Send with this topic instead of the route's (builder style). The log goes to the
    /// batch of the route with this topic; no `Route` is built for it unless it opens a
    /// batch.
    #[must_use]
    pub fn with_topic(mut self, topic: &'a str) -> Self {
        self.topic = Some(topic);
        self
    }

    /// Send with this source instead of the route's (builder style); see
    /// [`LogParts::with_topic`].
    #[must_use]
    pub fn with_source(mut self, source: &'a str) -> Self {
        self.source = Some(source);
        self
    }
}

impl<K: AsRef<str>, V: AsRef<str>> LogParts<'_, K, V> {
    /// The owned log, for handing a refused send back.
    pub(crate) fn to_log(&self) -> Log {
        let mut log = Log::new(self.time);
        log.set_time_ns(self.time_ns);
        log.extend(self.contents.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
        log
    }
}

impl<K: AsRef<str>, V: AsRef<str>> LogSource for LogParts<'_, K, V> {
    fn count(&self) -> usize {
        1
    }

    fn encoded_len(&self, _index: usize, format: Format) -> usize {
        format.parts_len(self.time, self.time_ns, self.contents)
    }

    fn encode_into(&self, _index: usize, entry: usize, encoder: &mut BatchEncoder) {
        encoder.push_parts(entry, self.time, self.time_ns, self.contents);
    }

    fn encode_to_slice(&self, _index: usize, out: &mut [u8]) {
        proto::encode_parts_into(self.time, self.time_ns, self.contents, out);
    }

    fn defect(&self, _index: usize) -> Option<LogDefect> {
        LogDefect::of_parts(self.time, self.time_ns, self.contents)
    }
}

/// One log already encoded as a `LogGroup` entry (by [`LogSource::encode_to_slice`]),
/// e.g. before taking the lock that guards the engine, so that only a copy is made under
/// it. Only for engines that write `LogGroup`s.
pub(crate) struct Encoded<'a>(pub(crate) &'a [u8]);

impl LogSource for Encoded<'_> {
    fn count(&self) -> usize {
        1
    }

    fn encoded_len(&self, _index: usize, format: Format) -> usize {
        debug_assert!(matches!(format, Format::LogGroup(_)), "a LogGroup entry");
        self.0.len()
    }

    fn encode_into(&self, _index: usize, _entry: usize, encoder: &mut BatchEncoder) {
        encoder.push_encoded(self.0);
    }

    fn encode_to_slice(&self, _index: usize, out: &mut [u8]) {
        out.copy_from_slice(self.0);
    }

    fn is_encoded(&self, _index: usize) -> bool {
        true
    }

    /// Never: an `Encoded` is only made from a log that was checked before it was encoded.
    fn defect(&self, _index: usize) -> Option<LogDefect> {
        None
    }
}

/// A send was refused. Nothing was accepted; the record is handed back unchanged
/// ([`SendError::into_record`]).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The producer is closing or closed and accepts no more logs. Deliver the record some
    /// other way, or drop it knowingly.
    Closed {
        /// The refused record.
        record: Record,
    },
    /// The memory budget (`memory_budget`) has no room for the record right now. Retry once
    /// earlier sends completed (the driver's `send_async` waits for that), or drop it.
    BufferFull {
        /// The refused record.
        record: Record,
        /// Encoded bytes the record needs.
        bytes: usize,
    },
    /// One log of the record is larger, once encoded, than a whole batch may be
    /// (`max_batch_bytes`, including the batch's topic, source and tags). It can never be
    /// sent: split or shorten the log.
    LogTooLarge {
        /// The refused record.
        record: Record,
        /// Position of the first oversized log in the record.
        index: usize,
        /// Encoded size of that log.
        log_bytes: usize,
        /// Room for logs in an empty batch of this route.
        room: usize,
    },
    /// The record alone needs more than the whole memory budget (`memory_budget`). It can
    /// never be accepted: send it in smaller lists.
    ExceedsBuffer {
        /// The refused record.
        record: Record,
        /// Encoded bytes the record needs.
        bytes: usize,
        /// The memory budget.
        memory_budget: usize,
    },
    /// A content key of log `index` is empty: SLS refuses a whole request that holds such
    /// a log (keys are 1 to 128 bytes), failing every other log of its batch with it. Give
    /// the pair a key.
    EmptyKey {
        /// The refused record.
        record: Record,
        /// Position of the log in the record.
        index: usize,
        /// Position of the pair in the log.
        pair: usize,
    },
    /// A content key of log `index` is one SLS reserves (`__time__`, `__topic__`,
    /// `__source__`, … or a `__tag__:` field; see `docs/limits.md`): SLS refuses a whole
    /// request that holds such a log. Rename the key.
    ReservedKey {
        /// The refused record.
        record: Record,
        /// Position of the log in the record.
        index: usize,
        /// Position of the pair in the log.
        pair: usize,
        /// The reserved name (for a `__tag__:` field, that prefix).
        key: &'static str,
    },
    /// The `time` or `time_ns` of log `index` is out of range: `time_ns` is the part of a
    /// second (at most 999,999,999), and `time` can be neither 0 (never set) nor
    /// `u32::MAX` (a time past 2106, saturated). Fix the log's time.
    InvalidTime {
        /// The refused record.
        record: Record,
        /// Position of the log in the record.
        index: usize,
        /// `"time"` or `"time_ns"`.
        field: &'static str,
        /// The refused value.
        value: u32,
        /// What is allowed.
        allowed: &'static str,
    },
    /// `send_blocking` was called where blocking could stall the very progress it would
    /// wait for (see [`BlockingError`](crate::BlockingError)). Use `send_async` there.
    CannotBlock {
        /// The refused record.
        record: Record,
        /// Where the call was made.
        reason: crate::BlockingError,
    },
}

impl SendError {
    /// The refused record.
    pub fn record(&self) -> &Record {
        match self {
            Self::Closed { record }
            | Self::BufferFull { record, .. }
            | Self::LogTooLarge { record, .. }
            | Self::ExceedsBuffer { record, .. }
            | Self::EmptyKey { record, .. }
            | Self::ReservedKey { record, .. }
            | Self::InvalidTime { record, .. }
            | Self::CannotBlock { record, .. } => record,
        }
    }

    /// Take the refused record back.
    pub fn into_record(self) -> Record {
        match self {
            Self::Closed { record }
            | Self::BufferFull { record, .. }
            | Self::LogTooLarge { record, .. }
            | Self::ExceedsBuffer { record, .. }
            | Self::EmptyKey { record, .. }
            | Self::ReservedKey { record, .. }
            | Self::InvalidTime { record, .. }
            | Self::CannotBlock { record, .. } => record,
        }
    }

    /// Whether the same send may succeed later (only [`SendError::BufferFull`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::BufferFull { .. })
    }
}

/// Why a push was refused, without the record: what the engine decides under the
/// producer's lock, so that the record can be handed back (or dropped) after the lock is
/// released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    Closed,
    BufferFull {
        bytes: usize,
    },
    LogTooLarge {
        index: usize,
        log_bytes: usize,
        room: usize,
    },
    ExceedsBuffer {
        bytes: usize,
        memory_budget: usize,
    },
    InvalidLog {
        index: usize,
        defect: LogDefect,
    },
}

impl Refusal {
    /// The [`SendError`] handing `record` back.
    pub(crate) fn with_record(self, record: Record) -> SendError {
        match self {
            Self::Closed => SendError::Closed { record },
            Self::BufferFull { bytes } => SendError::BufferFull { record, bytes },
            Self::LogTooLarge {
                index,
                log_bytes,
                room,
            } => SendError::LogTooLarge {
                record,
                index,
                log_bytes,
                room,
            },
            Self::ExceedsBuffer {
                bytes,
                memory_budget,
            } => SendError::ExceedsBuffer {
                record,
                bytes,
                memory_budget,
            },
            Self::InvalidLog {
                index,
                defect: LogDefect::Key { pair, key },
            } => match key {
                KeyDefect::Empty => SendError::EmptyKey {
                    record,
                    index,
                    pair,
                },
                KeyDefect::Reserved(key) => SendError::ReservedKey {
                    record,
                    index,
                    pair,
                    key,
                },
            },
            Self::InvalidLog {
                index,
                defect: LogDefect::Time(time),
            } => SendError::InvalidTime {
                record,
                index,
                field: time.field,
                value: time.value,
                allowed: time.allowed,
            },
        }
    }
}

/// `Debug` never shows log contents.
impl fmt::Debug for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed { record } => f.debug_struct("Closed").field("record", record).finish(),
            Self::BufferFull { record, bytes } => f
                .debug_struct("BufferFull")
                .field("record", record)
                .field("bytes", bytes)
                .finish(),
            Self::LogTooLarge {
                record,
                index,
                log_bytes,
                room,
            } => f
                .debug_struct("LogTooLarge")
                .field("record", record)
                .field("index", index)
                .field("log_bytes", log_bytes)
                .field("room", room)
                .finish(),
            Self::ExceedsBuffer {
                record,
                bytes,
                memory_budget,
            } => f
                .debug_struct("ExceedsBuffer")
                .field("record", record)
                .field("bytes", bytes)
                .field("memory_budget", memory_budget)
                .finish(),
            Self::EmptyKey {
                record,
                index,
                pair,
            } => f
                .debug_struct("EmptyKey")
                .field("record", record)
                .field("index", index)
                .field("pair", pair)
                .finish(),
            Self::ReservedKey {
                record,
                index,
                pair,
                key,
            } => f
                .debug_struct("ReservedKey")
                .field("record", record)
                .field("index", index)
                .field("pair", pair)
                .field("key", key)
                .finish(),
            Self::InvalidTime {
                record,
                index,
                field,
                value,
                allowed,
            } => f
                .debug_struct("InvalidTime")
                .field("record", record)
                .field("index", index)
                .field("field", field)
                .field("value", value)
                .field("allowed", allowed)
                .finish(),
            Self::CannotBlock { record, reason } => f
                .debug_struct("CannotBlock")
                .field("record", record)
                .field("reason", reason)
                .finish(),
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed { .. } => f.write_str("the producer is closed and accepts no more logs"),
            Self::BufferFull { bytes, .. } => write!(
                f,
                "the producer's memory budget has no room for {bytes} more bytes right now"
            ),
            Self::LogTooLarge {
                index,
                log_bytes,
                room,
                ..
            } => write!(
                f,
                "log #{index} encodes to {log_bytes} bytes, more than the {room} bytes a batch can hold"
            ),
            Self::ExceedsBuffer {
                bytes,
                memory_budget,
                ..
            } => write!(
                f,
                "the record needs {bytes} bytes, more than the whole {memory_budget}-byte memory budget"
            ),
            Self::EmptyKey { index, pair, .. } => write!(
                f,
                "log #{index}: the key of pair #{pair} is empty; SLS refuses keys outside 1 to 128 bytes"
            ),
            Self::ReservedKey {
                index, pair, key, ..
            } => write!(
                f,
                "log #{index}: the key of pair #{pair} is `{key}`, a name SLS reserves"
            ),
            Self::InvalidTime {
                index,
                field,
                value,
                allowed,
                ..
            } => write!(
                f,
                "log #{index}: `{field}` = {value} is out of range: must be {allowed}"
            ),
            Self::CannotBlock { reason, .. } => write!(f, "send_blocking refused: {reason}"),
        }
    }
}

impl core::error::Error for SendError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::CannotBlock { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Outcome;
    use super::super::batch::SendPart;
    use super::super::charge::{BATCH_COST, DEFAULT_TAG_HEAP};
    use super::super::{Engine, Route};
    use super::LogParts;
    use crate::config::ProducerConfig;
    use crate::credentials::Credentials;
    use crate::protocol::http::HttpResponse;
    use crate::protocol::proto::LogGroupEncoder;
    use crate::protocol::time::{Instant, UnixTime};

    #[test]
    fn tagged_parts_are_tracked_like_a_log_and_counted_by_their_encoded_size() {
        let config = ProducerConfig::new("http://127.0.0.1:8080").with_generate_pack_id(false);
        let (now, wall) = (Instant::from_secs(1), UnixTime::from_secs(1_700_000_000));
        let mut e: Engine<u8> =
            Engine::new(&config, wall, Some(Credentials::new("i", "s"))).unwrap();
        let route = Route::new("proj", "store").unwrap();
        let contents = [("k", "v"), ("msg", "hi")];
        e.push_parts(
            now,
            &route,
            &LogParts::new(9, &contents).with_time_ns(1),
            Some(4),
        )
        .unwrap();
        // The batch's bookkeeping, its buffer (the log, then room for the empty topic and
        // source: 2 bytes each) and the tracked part.
        let entry = LogGroupEncoder::encoded_parts_len(9, Some(1), &contents);
        // A tracked send: its part and its outcome's slot, each twice (vectors grow by
        // doubling), and its tag's heap.
        let part = 2 * (size_of::<SendPart<u8>>() + size_of::<Outcome<u8>>()) + DEFAULT_TAG_HEAP;
        let expected = BATCH_COST + entry + 4 + part;
        assert_eq!(e.metrics().buffered_bytes, expected);
        e.flush(now);
        let t = e.poll_transmit(now, wall).unwrap();
        e.handle_response(now, wall, t.attempt, Ok(HttpResponse::new(200)));
        let event = e.poll_event().unwrap();
        assert_eq!((event.tag, event.result.is_success()), (4, true));
        assert_eq!(e.metrics().buffered_bytes, 0);
    }
}
