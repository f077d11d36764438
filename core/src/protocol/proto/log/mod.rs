//! [`Log`]: one log entry, owned and kept in its wire form: one allocation however many
//! fields.

use alloc::vec::Vec;
use core::fmt;

use prost::bytes::{Buf, BufMut};
use prost::encoding::{self, DecodeContext, WireType};

use super::{
    LOG_CONTENTS, LogContent, LogGroupEncoder, PAIR_KEY, PAIR_VALUE, Writer, delimited_len,
    frame_len, pair_len, short_pair_heads,
};
use crate::protocol::limits::{self, KeyDefect, TimeDefect};
use crate::protocol::time::UnixTime;

/// Longest varint of a `usize` length (64 bits, 7 per byte).
const MAX_VARINT: usize = 10;

/// One log entry (`Log` in `log.proto`): a time, optional sub-second nanoseconds and
/// key/value pairs, kept in its protobuf encoding.
///
/// The pairs live in one buffer, already in the form they take in a batch: building a log
/// costs one allocation however many pairs it has (none when [`clear`](Self::clear)ed and
/// reused), sending it copies its bytes into the batch, and dropping it frees that one
/// buffer. [`push_fmt`](Self::push_fmt) formats a value straight into the buffer, without
/// a `String` in between. When the pairs are at hand as borrowed strings,
/// [`Producer::send_parts`] copies them into the batch without building a log at all.
///
/// ```
/// use sls_producer_core::protocol::proto::Log;
///
/// let mut log = Log::new(1_700_000_000).with_content("event", "login");
/// log.push("user", "alice");
/// log.push_fmt("attempt", format_args!("{}", 3))?;
/// assert_eq!(log.contents().collect::<Vec<_>>(), [("event", "login"), ("user", "alice"), ("attempt", "3")]);
/// assert_eq!(log.content_count(), 3);
/// # Ok::<(), core::fmt::Error>(())
/// ```
///
/// It is also the `Log` message of a decoded [`LogGroup`](super::LogGroup) (it implements
/// [`prost::Message`]): decoding checks each pair as prost checks a `LogContent` (UTF-8)
/// and stores it in the same form. Two logs are equal when their time, `time_ns` and pairs
/// (in order) are.
///
/// [`Producer::send_parts`]: crate::producer::Producer::send_parts
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Log {
    time: u32,
    time_ns: Option<u32>,
    /// The `Contents` entries (field 2 of `Log`) in order, each exactly as a batch holds it;
    /// only ever written from `&str`s, so every key and value in it is UTF-8.
    contents: Vec<u8>,
    pairs: usize,
    /// Some key is empty or starts with `_`: the only keys SLS may refuse
    /// ([`limits::content_key_defect`]), so only then are the keys looked at by
    /// [`Log::defect`].
    odd_keys: bool,
}

impl Log {
    /// A log at `time_secs` (Unix seconds) with no contents and no `time_ns`.
    pub const fn new(time_secs: u32) -> Self {
        Self {
            time: time_secs,
            time_ns: None,
            contents: Vec::new(),
            pairs: 0,
            odd_keys: false,
        }
    }

    /// A log at `time_secs` whose buffer takes `bytes` bytes of contents before it grows
    /// (each pair takes its key and value plus 4 bytes when both are shorter than 128 bytes).
    pub fn with_capacity(time_secs: u32, bytes: usize) -> Self {
        Self {
            contents: Vec::with_capacity(bytes),
            ..Self::new(time_secs)
        }
    }

    /// A log at wall-clock time `t`: its whole seconds (saturating at `u32::MAX`, i.e. in
    /// 2106) and its sub-second nanoseconds as `time_ns`.
    pub fn from_unix_time(t: UnixTime) -> Self {
        Self {
            time_ns: Some(t.subsec_nanos()),
            ..Self::new(u32::try_from(t.as_secs()).unwrap_or(u32::MAX))
        }
    }

    /// Make room for at least `bytes` more bytes of contents.
    pub fn reserve(&mut self, bytes: usize) {
        self.contents.reserve(bytes);
    }

    /// Unix time of the log, in whole seconds.
    pub fn time(&self) -> u32 {
        self.time
    }

    /// The sub-second nanoseconds, if set.
    pub fn time_ns(&self) -> Option<u32> {
        self.time_ns
    }

    /// Set the Unix time in whole seconds.
    pub fn set_time(&mut self, time_secs: u32) {
        self.time = time_secs;
    }

    /// Set or clear the sub-second nanoseconds.
    pub fn set_time_ns(&mut self, nanos: Option<u32>) {
        self.time_ns = nanos;
    }

    /// Set the sub-second nanoseconds (builder style).
    #[must_use]
    pub fn with_time_ns(mut self, nanos: u32) -> Self {
        self.time_ns = Some(nanos);
        self
    }

    /// Append a key/value pair.
    pub fn push(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) {
        let (key, value) = (key.as_ref(), value.as_ref());
        self.odd_keys |= limits::may_be_refused(key);
        let pair = pair_len(key, value);
        if pair < 0x80 {
            // The usual short pair, appended piece by piece: nothing zeroed first (which
            // made building a log ~40 % slower).
            let (before_key, before_value) = short_pair_heads(pair, key, value);
            self.contents.reserve(delimited_len(pair));
            self.contents.extend_from_slice(&before_key);
            self.contents.extend_from_slice(key.as_bytes());
            self.contents.extend_from_slice(&before_value);
            self.contents.extend_from_slice(value.as_bytes());
        } else {
            let start = self.contents.len();
            self.contents.resize(start + delimited_len(pair), 0);
            let mut out = Writer {
                out: &mut self.contents[start..],
                at: 0,
            };
            out.pair(key, value);
        }
        self.pairs += 1;
    }

    /// Append a key/value pair (builder style).
    #[must_use]
    pub fn with_content(mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.push(key, value);
        self
    }

    /// Append a pair whose value is formatted straight into the buffer, without a `String`
    /// in between: `log.push_fmt("elapsed", format_args!("{ms} ms"))`.
    ///
    /// # Errors
    ///
    /// [`fmt::Error`] if a formatting trait implementation of the value fails; the log is
    /// then left as it was.
    pub fn push_fmt(&mut self, key: &str, value: fmt::Arguments<'_>) -> fmt::Result {
        if let Some(literal) = value.as_str() {
            self.push(key, literal);
            return Ok(());
        }
        self.odd_keys |= limits::may_be_refused(key);
        // Room for the pair's header with the longest varints, then the value after it.
        let start = self.contents.len();
        let room = 1 + MAX_VARINT + delimited_len(key.len()) + 1 + MAX_VARINT;
        self.contents.resize(start + room, 0);
        let value_at = start + room;
        if fmt::write(&mut Appender(&mut self.contents), value).is_err() {
            self.contents.truncate(start);
            return Err(fmt::Error);
        }
        // Now that the value's length is known, write the real header (never longer than
        // the room left for it) and move the value up against it.
        let value_len = self.contents.len() - value_at;
        let head = Writer::pair_head_len(key, value_len);
        let mut out = Writer {
            out: &mut self.contents[start..start + head],
            at: 0,
        };
        out.pair_head(key, value_len);
        debug_assert_eq!(out.at, head);
        self.contents.copy_within(value_at.., start + head);
        self.contents.truncate(start + head + value_len);
        self.pairs += 1;
        Ok(())
    }

    /// The key/value pairs, in order.
    pub fn contents(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + fmt::Debug + '_ {
        self.pairs()
    }

    /// [`Log::contents`] as its named type.
    pub(crate) fn pairs(&self) -> Contents<'_> {
        Contents {
            rest: &self.contents,
            left: self.pairs,
        }
    }

    /// The value of the first pair whose key is `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.contents().find_map(|(k, v)| (k == key).then_some(v))
    }

    /// Number of key/value pairs.
    pub fn content_count(&self) -> usize {
        self.pairs
    }

    /// Remove every pair, keeping the buffer for the next log (time and `time_ns` stay).
    pub fn clear(&mut self) {
        self.contents.clear();
        self.pairs = 0;
        self.odd_keys = false;
    }

    /// What SLS would refuse in this log, if anything: its time (see
    /// [`limits::time_defect`]) or a key (the pair's position and why, see
    /// [`limits::content_key_defect`]). Cheap when every key is ordinary: the pairs are
    /// only read when one may be refused.
    pub fn defect(&self) -> Option<LogDefect> {
        if let Some(time) = limits::time_defect(self.time, self.time_ns) {
            return Some(LogDefect::Time(time));
        }
        if !self.odd_keys {
            return None;
        }
        self.pairs().enumerate().find_map(|(pair, (key, _))| {
            limits::content_key_defect(key).map(|key| LogDefect::Key { pair, key })
        })
    }

    /// Bytes this log adds to a batch: the whole `LogGroup` field-1 entry, with its key and
    /// length prefix.
    pub fn entry_len(&self) -> usize {
        delimited_len(self.body_len())
    }

    /// Length of the `Log` message.
    fn body_len(&self) -> usize {
        frame_len(self.time, self.time_ns) + self.contents.len()
    }

    /// Write the field-1 entry, of [`entry_len`](Self::entry_len) bytes, into `out`.
    pub(crate) fn write_entry(&self, out: &mut [u8]) {
        let mut out = Writer { out, at: 0 };
        out.log_head(self.body_len(), self.time);
        out.bytes(&self.contents);
        out.log_tail(self.time_ns);
        debug_assert_eq!(out.at, out.out.len(), "the entry fills its slice exactly");
    }
}

/// What SLS would refuse in one log ([`Log::defect`], [`LogDefect::of_parts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogDefect {
    /// The time or `time_ns` is out of range.
    Time(TimeDefect),
    /// The key of pair number `pair` (from 0) is empty or reserved.
    Key {
        /// Position of the pair in the log.
        pair: usize,
        /// What is wrong with its key.
        key: KeyDefect,
    },
}

impl LogDefect {
    /// [`Log::defect`] of a log given as parts, without building it.
    #[inline]
    pub fn of_parts<K: AsRef<str>, V>(
        time: u32,
        time_ns: Option<u32>,
        contents: &[(K, V)],
    ) -> Option<Self> {
        if let Some(time) = limits::time_defect(time, time_ns) {
            return Some(Self::Time(time));
        }
        contents.iter().enumerate().find_map(|(pair, (key, _))| {
            let key = key.as_ref();
            if limits::may_be_refused(key) {
                limits::content_key_defect(key).map(|key| Self::Key { pair, key })
            } else {
                None
            }
        })
    }
}

/// Appends each `(key, value)` pair in order, as [`Log::push`].
impl<K: AsRef<str>, V: AsRef<str>> Extend<(K, V)> for Log {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
        for (key, value) in pairs {
            self.push(key, value);
        }
    }
}

/// Shows the time, `time_ns` and the pairs, as a decoded protobuf message would.
impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Log")
            .field("time", &self.time)
            .field("time_ns", &self.time_ns)
            .field("contents", &ContentsDebug(self.pairs()))
            .finish()
    }
}

struct ContentsDebug<'a>(Contents<'a>);

impl fmt::Debug for ContentsDebug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.clone()).finish()
    }
}

/// The `Log` message of `log.proto`, so that a [`LogGroup`](super::LogGroup) of these
/// encodes and decodes with prost. Encoding writes the stored bytes; decoding takes each
/// `Contents` entry as a prost [`LogContent`] (a string that is not UTF-8 is an error, a
/// missing key or value is empty, unknown fields are skipped) and stores it as
/// [`push`](Log::push) does.
impl prost::Message for Log {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        encoding::uint32::encode(1, &self.time, buf);
        buf.put_slice(&self.contents);
        if let Some(ns) = &self.time_ns {
            encoding::fixed32::encode(4, ns, buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        match tag {
            1 => encoding::uint32::merge(wire_type, &mut self.time, buf, ctx),
            2 => {
                let mut pair = LogContent::default();
                encoding::message::merge(wire_type, &mut pair, buf, ctx)?;
                self.push(&pair.key, &pair.value);
                Ok(())
            }
            4 => {
                let mut ns = 0;
                encoding::fixed32::merge(wire_type, &mut ns, buf, ctx)?;
                self.time_ns = Some(ns);
                Ok(())
            }
            _ => encoding::skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        self.body_len()
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
}

impl LogGroupEncoder {
    /// Append one log: its bytes are copied, nothing is re-encoded.
    pub fn push(&mut self, log: &Log) {
        log.write_entry(self.claim(log.entry_len()));
        self.logs += 1;
    }
}

/// The key/value pairs of a [`Log`], in order ([`Log::contents`]).
#[derive(Clone)]
pub struct Contents<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Contents<'a> {
    /// Take one length-delimited field (`key` expected) off the front of `bytes`.
    fn field(bytes: &mut &'a [u8], key: u8) -> &'a [u8] {
        let (&found, rest) = bytes.split_first().expect("a Log's own encoding");
        debug_assert_eq!(found, key);
        *bytes = rest;
        let len = usize::try_from(read_varint(bytes))
            .unwrap_or_else(|_| unreachable!("a Log's own encoding"));
        let (field, rest) = bytes.split_at(len);
        *bytes = rest;
        field
    }

    fn text(bytes: &[u8]) -> &str {
        // Not `expect`: that would link `Utf8Error`'s `Debug` into every build.
        core::str::from_utf8(bytes)
            .unwrap_or_else(|_| unreachable!("a Log holds only the &str it was given"))
    }
}

impl<'a> Iterator for Contents<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let mut pair = Self::field(&mut self.rest, LOG_CONTENTS);
        let key = Self::field(&mut pair, PAIR_KEY);
        let value = Self::field(&mut pair, PAIR_VALUE);
        self.left -= 1;
        Some((Self::text(key), Self::text(value)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Contents<'_> {}

impl fmt::Debug for Contents<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Contents")
            .field("left", &self.left)
            .finish()
    }
}

/// Take a varint off the front of `bytes`, which a [`Log`] wrote itself (so it ends, in
/// at most 10 bytes).
///
/// Without the `signing` feature, [`own_varint`]: prost's `decode_varint`, with its
/// checks for untrusted input and its error type, is all of prost's decoding a
/// web-tracking-only build would otherwise link. With it, prost's, which decoding a
/// LogGroup links anyway (measured: the shipped signed package is 450 B gzip larger with
/// both).
fn read_varint(bytes: &mut &[u8]) -> u64 {
    #[cfg(feature = "signing")]
    return encoding::decode_varint(bytes)
        // Not `expect`: that would link prost's `DecodeError` `Debug`.
        .unwrap_or_else(|_| unreachable!("a Log's own encoding"));
    #[cfg(not(feature = "signing"))]
    own_varint(bytes)
}

/// A varint off the front of `bytes`, trusting it to end within 10 bytes.
#[cfg_attr(all(feature = "signing", not(test)), allow(dead_code))]
fn own_varint(bytes: &mut &[u8]) -> u64 {
    let mut value = 0;
    let mut shift = 0u32;
    while let Some((&byte, rest)) = bytes.split_first() {
        *bytes = rest;
        value |= u64::from(byte & 0x7f).wrapping_shl(shift);
        if byte < 0x80 {
            break;
        }
        shift += 7;
    }
    value
}

/// `fmt::Write` into the end of a byte buffer.
struct Appender<'a>(&'a mut Vec<u8>);

impl fmt::Write for Appender<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests;
