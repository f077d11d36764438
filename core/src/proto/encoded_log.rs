//! [`EncodedLog`]: an owned log kept in its wire form, one allocation however many fields.

use alloc::vec::Vec;
use core::fmt;

use prost::encoding::decode_varint;

use super::{
    LOG_CONTENTS, Log, LogContent, LogGroupEncoder, PAIR_KEY, PAIR_VALUE, Writer, contents_of,
    delimited_len, frame_len, pair_len, short_pair_heads,
};
use crate::time::UnixTime;

/// Longest varint of a `usize` length (64 bits, 7 per byte).
const MAX_VARINT: usize = 10;

/// An owned log kept in its protobuf encoding: its key/value pairs live in one buffer,
/// already in the form they take in a batch.
///
/// Building one costs one allocation (none when [`clear`](Self::clear)ed and reused) however
/// many pairs it has, where a [`Log`] allocates twice per pair; sending it copies its bytes
/// into the batch and frees that one buffer. Use it where a log must be owned (built in one
/// place and sent from another, handed back on refusal) and sending is hot; when the pairs
/// are at hand as borrowed strings, [`Producer::send_parts`] copies them straight into the
/// batch without any owned log.
///
/// A `Log` and an `EncodedLog` with the same time, `time_ns` and pairs encode to the same
/// bytes; [`to_log`](Self::to_log) and `From<&Log>` convert between them.
///
/// ```
/// use sls_producer_core::proto::{EncodedLog, Log};
///
/// let mut log = EncodedLog::new(1_700_000_000).with_content("event", "login");
/// log.push("user", "alice");
/// log.push_fmt("attempt", format_args!("{}", 3))?;
/// assert_eq!(log.contents().collect::<Vec<_>>(), [("event", "login"), ("user", "alice"), ("attempt", "3")]);
/// assert_eq!(
///     log.to_log(),
///     Log::new(1_700_000_000)
///         .with_content("event", "login")
///         .with_content("user", "alice")
///         .with_content("attempt", "3")
/// );
/// # Ok::<(), core::fmt::Error>(())
/// ```
///
/// `Debug` shows the time and sizes, never the contents.
///
/// [`Producer::send_parts`]: crate::producer::Producer::send_parts
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct EncodedLog {
    time: u32,
    time_ns: Option<u32>,
    /// The `Contents` entries (field 2 of `Log`) in order, each exactly as a batch holds it;
    /// only ever written from `&str`s, so every key and value in it is UTF-8.
    contents: Vec<u8>,
    pairs: usize,
}

impl EncodedLog {
    /// A log at `time_secs` (Unix seconds) with no contents and no `time_ns`.
    pub const fn new(time_secs: u32) -> Self {
        Self {
            time: time_secs,
            time_ns: None,
            contents: Vec::new(),
            pairs: 0,
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
    /// 2106) and sub-second nanoseconds, as [`Log::from_unix_time`].
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
    pub fn contents(&self) -> Contents<'_> {
        Contents {
            rest: &self.contents,
            left: self.pairs,
        }
    }

    /// Number of key/value pairs.
    pub fn content_count(&self) -> usize {
        self.pairs
    }

    /// Remove every pair, keeping the buffer for the next log (time and `time_ns` stay).
    pub fn clear(&mut self) {
        self.contents.clear();
        self.pairs = 0;
    }

    /// Bytes this log adds to a batch: the whole `LogGroup` field-1 entry, as
    /// [`LogGroupEncoder::encoded_log_len`] of the equivalent [`Log`].
    pub fn entry_len(&self) -> usize {
        delimited_len(self.body_len())
    }

    /// Length of the `Log` message.
    fn body_len(&self) -> usize {
        frame_len(self.time, self.time_ns) + self.contents.len()
    }

    /// The same log as a [`Log`] (each key and value copied into its own `String`).
    pub fn to_log(&self) -> Log {
        Log {
            time: self.time,
            contents: self
                .contents()
                .map(|(k, v)| LogContent::new(k, v))
                .collect(),
            time_ns: self.time_ns,
        }
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

impl From<&Log> for EncodedLog {
    fn from(log: &Log) -> Self {
        let bytes = contents_of(log)
            .map(|(k, v)| delimited_len(pair_len(k, v)))
            .sum();
        let mut encoded = Self::with_capacity(log.time, bytes);
        encoded.time_ns = log.time_ns;
        encoded.extend(contents_of(log));
        encoded
    }
}

impl From<Log> for EncodedLog {
    fn from(log: Log) -> Self {
        Self::from(&log)
    }
}

/// Appends each `(key, value)` pair in order, as [`EncodedLog::push`].
impl<K: AsRef<str>, V: AsRef<str>> Extend<(K, V)> for EncodedLog {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
        for (key, value) in pairs {
            self.push(key, value);
        }
    }
}

impl From<EncodedLog> for Log {
    fn from(log: EncodedLog) -> Self {
        log.to_log()
    }
}

impl fmt::Debug for EncodedLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodedLog")
            .field("time", &self.time)
            .field("time_ns", &self.time_ns)
            .field("content_count", &self.pairs)
            .field("bytes", &self.contents.len())
            .finish()
    }
}

impl LogGroupEncoder {
    /// Append one [`EncodedLog`]: its bytes are copied, nothing is re-encoded.
    pub fn push_encoded_log(&mut self, log: &EncodedLog) {
        log.write_entry(self.claim(log.entry_len()));
        self.logs += 1;
    }
}

/// The key/value pairs of an [`EncodedLog`], in order ([`EncodedLog::contents`]).
#[derive(Clone)]
pub struct Contents<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Contents<'a> {
    /// Take one length-delimited field (`key` expected) off the front of `bytes`.
    fn field(bytes: &mut &'a [u8], key: u8) -> &'a [u8] {
        let (&found, rest) = bytes.split_first().expect("an EncodedLog's own encoding");
        debug_assert_eq!(found, key);
        *bytes = rest;
        let len = decode_varint(bytes).expect("an EncodedLog's own encoding") as usize;
        let (field, rest) = bytes.split_at(len);
        *bytes = rest;
        field
    }

    fn text(bytes: &[u8]) -> &str {
        core::str::from_utf8(bytes).expect("an EncodedLog holds only the &str it was given")
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

/// `fmt::Write` into the end of a byte buffer.
struct Appender<'a>(&'a mut Vec<u8>);

impl fmt::Write for Appender<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::tests::{log, text};
    use alloc::format;
    use alloc::string::String;
    use alloc::vec;
    use proptest::prelude::*;

    /// A value whose `Display` fails after writing part of itself.
    struct Failing;

    impl fmt::Display for Failing {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("partial")?;
            Err(fmt::Error)
        }
    }

    #[test]
    fn a_failed_format_leaves_the_log_as_it_was() {
        let mut log = EncodedLog::new(5).with_content("k", "v");
        let before = log.clone();
        assert_eq!(
            log.push_fmt("bad", format_args!("{}", Failing)),
            Err(fmt::Error)
        );
        assert_eq!(log, before);
        log.push_fmt("n", format_args!("{}", 42)).unwrap();
        assert_eq!(
            log.contents().collect::<Vec<_>>(),
            [("k", "v"), ("n", "42")]
        );
    }

    #[test]
    fn extend_and_conversions_keep_the_pairs_in_order() {
        let mut log = EncodedLog::new(5).with_time_ns(6);
        log.extend([("a", "1"), ("b", "2")]);
        log.extend(vec![(String::from("c"), String::from("3"))]);
        let expected = Log::new(5)
            .with_time_ns(6)
            .with_content("a", "1")
            .with_content("b", "2")
            .with_content("c", "3");
        assert_eq!(log.to_log(), expected);
        assert_eq!(EncodedLog::from(expected.clone()), log);
        assert_eq!(Log::from(log), expected);
    }

    #[test]
    fn debug_shows_sizes_never_contents() {
        let log = EncodedLog::new(5).with_content("password", "SECRET");
        let dbg = format!("{log:?}");
        assert!(
            !dbg.contains("SECRET") && !dbg.contains("password"),
            "{dbg}"
        );
        assert!(dbg.contains("content_count: 1"), "{dbg}");
        assert!(!format!("{:?}", log.contents()).contains("SECRET"));
    }

    #[test]
    fn clear_keeps_the_buffer_and_the_time() {
        let mut log = EncodedLog::new(5)
            .with_time_ns(7)
            .with_content("k", "v".repeat(100));
        let capacity = log.contents.capacity();
        log.clear();
        assert_eq!((log.content_count(), log.contents().next()), (0, None));
        assert_eq!(
            (log.time(), log.time_ns(), log.contents.capacity()),
            (5, Some(7), capacity)
        );
        assert_eq!(log.to_log(), Log::new(5).with_time_ns(7));
    }

    proptest! {
        #[test]
        fn pushed_or_formatted_pairs_encode_as_the_log_does(
            log in log(),
            formatted in proptest::collection::vec(any::<bool>(), 10),
            reused in text(),
        ) {
            // Built pair by pair on a reused buffer, some values formatted into place
            // (lengths across the one-, two- and three-byte varint boundaries come from
            // `text()`, repeated below for the longest).
            let mut encoded = EncodedLog::with_capacity(0, 3).with_content("old", &reused);
            encoded.clear();
            encoded.set_time(log.time);
            encoded.set_time_ns(log.time_ns);
            for (c, fmt) in log.contents.iter().zip(formatted.iter().cycle()) {
                if *fmt {
                    encoded.push_fmt(&c.key, format_args!("{}", c.value)).unwrap();
                } else {
                    encoded.push(&c.key, &c.value);
                }
            }
            prop_assert_eq!(&encoded, &EncodedLog::from(&log));
            prop_assert_eq!(encoded.content_count(), log.contents.len());
            prop_assert_eq!(encoded.contents().len(), log.contents.len());
            prop_assert!(encoded.contents().eq(log.contents.iter().map(|c| (c.key.as_str(), c.value.as_str()))));
            prop_assert_eq!(encoded.to_log(), log.clone());
            prop_assert_eq!(encoded.entry_len(), LogGroupEncoder::encoded_log_len(&log));

            let mut via_log = LogGroupEncoder::new();
            via_log.push(&log);
            let mut via_encoded = LogGroupEncoder::new();
            via_encoded.push_encoded_log(&encoded);
            prop_assert_eq!(via_encoded.finish("t", "s", [("a", "b")]), via_log.finish("t", "s", [("a", "b")]));
        }

        #[test]
        fn a_formatted_value_of_any_length_is_moved_into_place(
            key in text(),
            unit in text(),
            repeat in prop_oneof![0usize..4, 100usize..200, 20_000usize..20_100],
        ) {
            let value: String = unit.repeat(repeat.min(40_000 / unit.len().max(1)));
            let mut formatted = EncodedLog::new(1);
            formatted.push_fmt(&key, format_args!("{value}{}", "")).unwrap();
            prop_assert_eq!(formatted, EncodedLog::new(1).with_content(&key, &value));
        }
    }
}
