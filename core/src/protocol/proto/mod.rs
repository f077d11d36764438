//! The `LogGroup` protobuf of SLS (`log.proto`, proto2) and a streaming encoder for it.
//!
//! Two ways to produce the same bytes:
//!
//! * the prost messages [`LogGroup`], [`LogContent`] and [`LogTag`] with [`Log`] (which
//!   keeps its pairs encoded, so it encodes by copying them), for decoding (servers, tests)
//!   and for callers that already hold whole messages;
//! * [`LogGroupEncoder`], the producer's hot path: each log is written exactly once, straight
//!   into the buffer that becomes the request body, without building a `LogGroup` first.
//!
//! Both emit fields in ascending field-number order and always write the topic (field 3) and
//! source (field 4) of a group, even when empty, as the Go producer does. The encoder's output
//! is byte-identical to prost's encoding of the equivalent `LogGroup` with `topic` and `source`
//! set to `Some(..)`.
//!
//! ```
//! use sls_producer_core::protocol::proto::{Log, LogGroupEncoder};
//!
//! let mut enc = LogGroupEncoder::new();
//! enc.push(&Log::new(1_700_000_000).with_content("k", "v"));
//! let body = enc.finish("", "", core::iter::empty::<(&str, &str)>());
//! assert_eq!(body, b"\x0a\x0e\x08\x80\xe2\xcf\xaa\x06\x12\x06\x0a\x01k\x12\x01v\x1a\x00\x22\x00");
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use prost::Message as _;
use prost::encoding::{encode_varint, encoded_len_varint};

mod log;
pub use log::{Contents, Log, LogDefect};

/// One key/value pair of a log (`LogContent` in `log.proto`).
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct LogContent {
    /// The field name (`Key`, required, tag 1).
    #[prost(string, required, tag = "1")]
    pub key: String,
    /// The field value (`Value`, required, tag 2).
    #[prost(string, required, tag = "2")]
    pub value: String,
}

impl LogContent {
    /// A key/value pair.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A tag attached to every log of a group (`LogTag` in `log.proto`), e.g. `__pack_id__`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct LogTag {
    /// Tag name (`Key`, required, tag 1).
    #[prost(string, required, tag = "1")]
    pub key: String,
    /// Tag value (`Value`, required, tag 2).
    #[prost(string, required, tag = "2")]
    pub value: String,
}

impl LogTag {
    /// A tag.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A batch of logs sharing topic, source and tags (`LogGroup` in `log.proto`): the body of a
/// PutLogs request before compression.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct LogGroup {
    /// The logs (`Logs`, repeated, tag 1).
    #[prost(message, repeated, tag = "1")]
    pub logs: Vec<Log>,
    /// `Category` (tag 2); documented by SLS as reserved. The producer never sets it.
    #[prost(string, optional, tag = "2")]
    pub category: Option<String>,
    /// `Topic` (tag 3). The producer always sets it, possibly to `""`.
    #[prost(string, optional, tag = "3")]
    pub topic: Option<String>,
    /// `Source` (tag 4). The producer always sets it, possibly to `""`.
    #[prost(string, optional, tag = "4")]
    pub source: Option<String>,
    /// `MachineUUID` (tag 5). The producer never sets it.
    #[prost(string, optional, tag = "5")]
    pub machine_uuid: Option<String>,
    /// `LogTags` (repeated, tag 6), in order.
    #[prost(message, repeated, tag = "6")]
    pub log_tags: Vec<LogTag>,
}

/// Decode a `LogGroup` from its (uncompressed) protobuf bytes.
///
/// Like prost, this does not reject messages that lack a required field: missing fields take
/// their default value.
pub fn decode_log_group(bytes: &[u8]) -> Result<LogGroup, DecodeError> {
    LogGroup::decode(bytes).map_err(|inner| DecodeError { inner })
}

/// Encode a whole `LogGroup` the way the producer does (its logs, then the topic and source,
/// written even when `None` or empty, then its tags), with [`LogGroupEncoder`]. The
/// `category` field is not written: the producer never sets it.
///
/// ```
/// use sls_producer_core::protocol::proto::{Log, LogGroup, decode_log_group, encode_log_group};
///
/// let group = LogGroup {
///     logs: vec![Log::new(1_700_000_000).with_content("k", "v")],
///     topic: Some("t".into()),
///     source: Some("s".into()),
///     ..LogGroup::default()
/// };
/// assert_eq!(decode_log_group(&encode_log_group(&group))?, group);
/// # Ok::<(), sls_producer_core::protocol::proto::DecodeError>(())
/// ```
pub fn encode_log_group(group: &LogGroup) -> Vec<u8> {
    let mut encoder = LogGroupEncoder::new();
    for log in &group.logs {
        encoder.push(log);
    }
    encoder.finish(
        group.topic.as_deref().unwrap_or(""),
        group.source.as_deref().unwrap_or(""),
        group
            .log_tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str())),
    )
}

/// The bytes are not a valid `LogGroup` protobuf: truncated, a bad varint or wire type, or a
/// string field that is not UTF-8.
///
/// The message names the offending field but never contains payload data. A server should
/// answer such a request with a client error (SLS: `PostBodyInvalid`); a test that sees it
/// has found an encoder bug.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError {
    inner: prost::DecodeError,
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DecodeError").field(&self.inner).finish()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid LogGroup protobuf: {}", self.inner)
    }
}

impl core::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(&self.inner)
    }
}

// Field keys (`field_number << 3 | wire_type`); every field number is below 16, so each key is
// one byte. Wire types: 0 varint, 2 length-delimited, 5 fixed32.
const GROUP_LOGS: u8 = 1 << 3 | 2;
const GROUP_TOPIC: u8 = 3 << 3 | 2;
const GROUP_SOURCE: u8 = 4 << 3 | 2;
const GROUP_LOG_TAGS: u8 = 6 << 3 | 2;
const LOG_TIME: u8 = 1 << 3;
const LOG_CONTENTS: u8 = 2 << 3 | 2;
const LOG_TIME_NS: u8 = 4 << 3 | 5;
const PAIR_KEY: u8 = 1 << 3 | 2;
const PAIR_VALUE: u8 = 2 << 3 | 2;

/// Bytes of `v` as a varint: the one-byte case (every key, value and pair length of an
/// ordinary log) without the general computation, which is most of the cost of sizing a
/// log when it runs three times per pair.
#[inline(always)]
const fn varint_len(v: u64) -> usize {
    if v < 0x80 { 1 } else { encoded_len_varint(v) }
}

/// Bytes of a length-delimited field with a one-byte key whose payload is `len` bytes.
#[inline]
const fn delimited_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// The payload length of a length-delimited field (one-byte key) of `entry` bytes in all:
/// the inverse of [`delimited_len`], which is strictly increasing.
#[inline]
fn payload_of_delimited(entry: usize) -> usize {
    (1..=10)
        .map(|prefix| entry.saturating_sub(1 + prefix))
        .find(|&payload| delimited_len(payload) == entry)
        .expect("entry is a delimited_len")
}

/// Payload length of a `LogContent` / `LogTag` message.
#[inline]
const fn pair_len(key: &str, value: &str) -> usize {
    delimited_len(key.len()) + delimited_len(value.len())
}

/// Payload length of a `Log` message.
fn log_body_len<'a>(
    time: u32,
    time_ns: Option<u32>,
    contents: impl Iterator<Item = (&'a str, &'a str)>,
) -> usize {
    let contents_len: usize = contents.map(|(k, v)| delimited_len(pair_len(k, v))).sum();
    frame_len(time, time_ns) + contents_len
}

/// Bytes of a `Log` message's fields other than its contents: time and `time_ns`.
#[inline]
const fn frame_len(time: u32, time_ns: Option<u32>) -> usize {
    let time_len = 1 + varint_len(time as u64);
    let time_ns_len = if time_ns.is_some() { 1 + 4 } else { 0 };
    time_len + time_ns_len
}

fn put_delimited(buf: &mut Vec<u8>, key: u8, bytes: &[u8]) {
    buf.push(key);
    encode_varint(bytes.len() as u64, buf);
    buf.extend_from_slice(bytes);
}

fn put_pair(buf: &mut Vec<u8>, key: u8, k: &str, v: &str) {
    buf.push(key);
    encode_varint(pair_len(k, v) as u64, buf);
    put_delimited(buf, PAIR_KEY, k.as_bytes());
    put_delimited(buf, PAIR_VALUE, v.as_bytes());
}

/// Encode the parts as [`LogGroupEncoder::push_parts`] would append them, into `out`, which
/// must be exactly [`LogGroupEncoder::encoded_parts_len`] bytes long.
pub(crate) fn encode_parts_into<K: AsRef<str>, V: AsRef<str>>(
    time: u32,
    time_ns: Option<u32>,
    contents: &[(K, V)],
    out: &mut [u8],
) {
    let body = log_body_len(time, time_ns, pairs_of(contents));
    write_entry(out, body, time, time_ns, pairs_of(contents));
}

/// Write one field-1 entry (a `Log` of `body` bytes) into `out`, exactly its size.
fn write_entry<'a>(
    out: &mut [u8],
    body: usize,
    time: u32,
    time_ns: Option<u32>,
    contents: impl Iterator<Item = (&'a str, &'a str)>,
) {
    let mut out = Writer { out, at: 0 };
    out.log_head(body, time);
    for (k, v) in contents {
        out.pair(k, v);
    }
    out.log_tail(time_ns);
    debug_assert_eq!(out.at, out.out.len(), "the entry fills its slice exactly");
}

/// The headers of a `Contents` entry of `pair < 0x80` bytes, whose lengths are all one-byte
/// varints: the one before the key (entry key and length, key field and length) and the
/// one between key and value (value field and length).
#[inline(always)]
const fn short_pair_heads(pair: usize, k: &str, v: &str) -> ([u8; 4], [u8; 2]) {
    debug_assert!(pair < 0x80);
    (
        [LOG_CONTENTS, pair as u8, PAIR_KEY, k.len() as u8],
        [PAIR_VALUE, v.len() as u8],
    )
}

/// Fills a slice sized in advance with one encoded log.
struct Writer<'a> {
    out: &'a mut [u8],
    at: usize,
}

// `#[inline]`: the generic encoders (`push_parts`, `encode_parts_into`) are compiled in the
// caller's crate, where these would otherwise be out-of-line calls per byte and per string.
impl Writer<'_> {
    #[inline]
    fn byte(&mut self, b: u8) {
        self.out[self.at] = b;
        self.at += 1;
    }

    #[inline]
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.byte(v as u8 | 0x80);
            v >>= 7;
        }
        self.byte(v as u8);
    }

    #[inline]
    fn bytes(&mut self, bytes: &[u8]) {
        self.out[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }

    /// A field-1 entry's key and length, then the `Log`'s time (field 1).
    #[inline(always)]
    fn log_head(&mut self, body: usize, time: u32) {
        self.byte(GROUP_LOGS);
        self.varint(body as u64);
        self.byte(LOG_TIME);
        self.varint(u64::from(time));
    }

    /// One `Contents` entry (field 2 of `Log`): key, length and the `LogContent`.
    // Always inlined: called once per pair, it is most of the encoder's work, and as a
    // call of its own it made `encode/push_log` ~20 % slower.
    #[inline(always)]
    fn pair(&mut self, k: &str, v: &str) {
        let pair = pair_len(k, v);
        if pair < 0x80 {
            // The usual short pair: every length is a one-byte varint, so each header is
            // one small fixed-size store.
            let (before_key, before_value) = short_pair_heads(pair, k, v);
            self.bytes(&before_key);
            self.bytes(k.as_bytes());
            self.bytes(&before_value);
        } else {
            self.pair_head(k, v.len());
        }
        self.bytes(v.as_bytes());
    }

    /// A `Contents` entry up to its value's bytes: key and length of the entry, the
    /// `LogContent`'s key field, then the key and length of its value of `value_len` bytes.
    #[inline]
    fn pair_head(&mut self, k: &str, value_len: usize) {
        self.byte(LOG_CONTENTS);
        self.varint((delimited_len(k.len()) + delimited_len(value_len)) as u64);
        self.byte(PAIR_KEY);
        self.varint(k.len() as u64);
        self.bytes(k.as_bytes());
        self.byte(PAIR_VALUE);
        self.varint(value_len as u64);
    }

    /// Bytes [`pair_head`](Self::pair_head) writes.
    const fn pair_head_len(k: &str, value_len: usize) -> usize {
        let pair = delimited_len(k.len()) + delimited_len(value_len);
        delimited_len(pair) - pair + delimited_len(k.len()) + 1 + varint_len(value_len as u64)
    }

    /// The `Log`'s `time_ns` (field 4), when it has one.
    #[inline(always)]
    fn log_tail(&mut self, time_ns: Option<u32>) {
        if let Some(ns) = time_ns {
            self.byte(LOG_TIME_NS);
            self.bytes(&ns.to_le_bytes());
        }
    }
}

/// Streaming `LogGroup` encoder: logs are appended one at a time to the final buffer.
///
/// Each [`push`](Self::push) writes field 1 (one `Log`) directly; [`finish`](Self::finish)
/// appends topic (field 3), source (field 4) and the tags (field 6) and hands back the
/// finished protobuf. No `Log` or `LogGroup` is built and nothing is allocated per log beyond
/// the growth of the one buffer. [`encoded_log_len`](Self::encoded_log_len) and
/// [`finished_len`](Self::finished_len) predict sizes exactly, so a caller can enforce a size
/// limit before it writes.
///
/// `Debug` shows sizes only, never log contents.
#[derive(Clone, Default)]
pub struct LogGroupEncoder {
    /// `buf[..len]` is the encoding so far. Past `len`, `buf` holds initialized bytes of no
    /// meaning (a reused buffer's old contents, or zeros), which later entries overwrite:
    /// an entry is written into bytes that are already initialized rather than zeroed
    /// first, one `memset` per log less.
    buf: Vec<u8>,
    len: usize,
    logs: usize,
}

/// Bytes a [`LogGroupEncoder`] initializes ahead of its encoding at once.
const INIT_STEP: usize = 64 * 1024;

impl PartialEq for LogGroupEncoder {
    fn eq(&self, other: &Self) -> bool {
        self.logs == other.logs && self.bytes() == other.bytes()
    }
}

impl Eq for LogGroupEncoder {}

impl LogGroupEncoder {
    /// An empty encoder.
    pub const fn new() -> Self {
        Self {
            buf: Vec::new(),
            len: 0,
            logs: 0,
        }
    }

    /// An empty encoder whose buffer can take `bytes` bytes before reallocating.
    pub fn with_capacity(bytes: usize) -> Self {
        Self::with_buffer(Vec::with_capacity(bytes))
    }

    /// An empty encoder that reuses `buf`'s allocation (its contents are overwritten, never
    /// read), e.g. the buffer of a batch that has been compressed and is no longer needed.
    pub fn with_buffer(buf: Vec<u8>) -> Self {
        Self {
            buf,
            len: 0,
            logs: 0,
        }
    }

    /// The encoding so far.
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The next `n` bytes after the encoding so far, to be filled; counted as written.
    #[inline]
    fn claim(&mut self, n: usize) -> &mut [u8] {
        let start = self.len;
        let end = start + n;
        if end > self.buf.len() {
            // Initialize what is missing a step ahead (up to the capacity), so that a new
            // buffer is zeroed in a few large pieces, and its pages are touched only as
            // logs arrive. A reused buffer is initialized already.
            let to = end.max((end + INIT_STEP).min(self.buf.capacity()));
            self.buf.resize(to, 0);
        }
        self.len = end;
        &mut self.buf[start..end]
    }

    /// Bytes [`push`](Self::push)ing `log` adds to the buffer: the whole field 1 entry, with
    /// its key and length prefix.
    pub fn encoded_log_len(log: &Log) -> usize {
        log.entry_len()
    }

    /// Bytes [`push_parts`](Self::push_parts) with the same arguments adds to the buffer.
    pub fn encoded_parts_len<K: AsRef<str>, V: AsRef<str>>(
        time: u32,
        time_ns: Option<u32>,
        contents: &[(K, V)],
    ) -> usize {
        delimited_len(log_body_len(time, time_ns, pairs_of(contents)))
    }

    /// Append one log given as borrowed parts: Unix seconds, optional sub-second nanoseconds
    /// and the key/value pairs in order. Encodes exactly as [`push`](Self::push) of the
    /// equivalent [`Log`].
    pub fn push_parts<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        time: u32,
        time_ns: Option<u32>,
        contents: &[(K, V)],
    ) {
        let entry = Self::encoded_parts_len(time, time_ns, contents);
        self.push_parts_sized(entry, time, time_ns, contents);
    }

    /// [`push_parts`](Self::push_parts) when its
    /// [`encoded_parts_len`](Self::encoded_parts_len) is known.
    pub(crate) fn push_parts_sized<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        entry: usize,
        time: u32,
        time_ns: Option<u32>,
        contents: &[(K, V)],
    ) {
        self.push_fields(entry, time, time_ns, pairs_of(contents));
    }

    /// Append the entry of `entry` bytes in all (its size, computed once by the caller).
    fn push_fields<'a>(
        &mut self,
        entry: usize,
        time: u32,
        time_ns: Option<u32>,
        contents: impl Iterator<Item = (&'a str, &'a str)>,
    ) {
        let body = payload_of_delimited(entry);
        // Claim the entry's bytes once, then fill them in place: no capacity check per byte.
        write_entry(self.claim(entry), body, time, time_ns, contents);
        self.logs += 1;
    }

    /// Append one log entry encoded earlier (by `Log::write_entry` or
    /// [`encode_parts_into`]) (e.g. outside a lock that guards this encoder).
    pub(crate) fn push_encoded(&mut self, entry: &[u8]) {
        self.claim(entry.len()).copy_from_slice(entry);
        self.logs += 1;
    }

    /// Bytes the buffer can hold before it reallocates.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Make the buffer's capacity exactly `capacity` bytes if it is smaller (reallocating
    /// once), so that the engine decides how a batch's buffer grows and counts it.
    pub(crate) fn grow_to(&mut self, capacity: usize) {
        if capacity > self.buf.capacity() {
            self.buf.reserve_exact(capacity - self.buf.len());
        }
    }

    /// Bytes written so far (all pushed logs).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no log has been pushed.
    pub fn is_empty(&self) -> bool {
        self.logs == 0
    }

    /// Number of logs pushed.
    pub fn log_count(&self) -> usize {
        self.logs
    }

    /// The size of the protobuf [`finish`](Self::finish) would return with these arguments.
    pub fn finished_len<I, K, V>(&self, topic: &str, source: &str, tags: I) -> usize
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.len + trailer_len(topic, source, tags)
    }

    /// Append topic (field 3) and source (field 4), both always written even when empty, then
    /// the tags (field 6) in the order given, and return the finished `LogGroup` protobuf.
    ///
    /// `tags` yields `(key, value)` pairs, so a batch's own tag can be chained after shared
    /// ones without collecting them:
    /// `shared.iter().map(|(k, v)| (k.as_str(), v.as_str())).chain([("__pack_id__", id)])`.
    pub fn finish<I, K, V>(self, topic: &str, source: &str, tags: I) -> Vec<u8>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut buf = self.buf;
        buf.truncate(self.len);
        buf.reserve(delimited_len(topic.len()) + delimited_len(source.len()));
        put_delimited(&mut buf, GROUP_TOPIC, topic.as_bytes());
        put_delimited(&mut buf, GROUP_SOURCE, source.as_bytes());
        for (k, v) in tags {
            put_pair(&mut buf, GROUP_LOG_TAGS, k.as_ref(), v.as_ref());
        }
        buf
    }
}

impl fmt::Debug for LogGroupEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogGroupEncoder")
            .field("len", &self.len)
            .field("log_count", &self.logs)
            .finish()
    }
}

fn pairs_of<K: AsRef<str>, V: AsRef<str>>(
    contents: &[(K, V)],
) -> impl Iterator<Item = (&str, &str)> + Clone {
    contents.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
}

fn trailer_len<I, K, V>(topic: &str, source: &str, tags: I) -> usize
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    trailer_len_with(topic, source, tags_len(tags))
}

/// Bytes the tags (field 6) add to a finished `LogGroup`.
pub(crate) fn tags_len<I, K, V>(tags: I) -> usize
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    tags.into_iter()
        .map(|(k, v)| delimited_len(pair_len(k.as_ref(), v.as_ref())))
        .sum()
}

/// Bytes [`LogGroupEncoder::finish`] appends for `topic`, `source` and tags of `tags_len`
/// bytes (see [`tags_len`]).
pub(crate) const fn trailer_len_with(topic: &str, source: &str, tags_len: usize) -> usize {
    delimited_len(topic.len()) + delimited_len(source.len()) + tags_len
}

#[cfg(test)]
mod tests;
