//! Checking a `LogGroup` protobuf and counting its logs without decoding it.
//!
//! Decoding a group builds a `String` per key and value and frees them all again: on a
//! benchmark that costs the server more CPU than the producer spends making the body. A
//! server that only counts (or that decodes afterwards) walks the wire format instead,
//! allocating nothing, and refuses exactly what a strict proto2 parser refuses:
//!
//! * everything [`decode_log_group`](sls_producer_core::protocol::proto::decode_log_group) (prost)
//!   refuses: a bad or truncated varint, a bad key (field 0, wire type 6 or 7, above
//!   `u32::MAX`), a known field with the wrong wire type, a length past the end of its
//!   message, a string field that is not UTF-8, an unmatched end-group, unknown groups
//!   nested past prost's recursion limit;
//! * and what prost lets through but SLS does not: a `required` field of `log.proto` that is
//!   missing (`Log.Time`, `LogContent.Key`/`Value`, `LogTag.Key`/`Value`), which prost
//!   would fill with a default value.
//!
//! Unknown fields are skipped by wire type, as prost skips them.
//!
//! A `Log` as encoders write it (fields in order, short ASCII contents, every length one
//! byte) is checked by a fast path that accepts only what the full walk accepts; any other
//! `Log`, and every fault, goes through the full walk, which reports it.

use core::fmt;

/// Field numbers nested deeper than this (groups in unknown fields) are refused, as prost
/// refuses them (its `RECURSION_LIMIT`, counted the same way).
const RECURSION_LIMIT: u32 = 100;

// Wire types.
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;
const START_GROUP: u8 = 3;
const END_GROUP: u8 = 4;
const FIXED32: u8 = 5;

// The keys of the fields encoders write, as one byte each.
/// `Log.Time`: field 1, varint.
const TIME_KEY: u8 = 1 << 3 | VARINT;
/// `Log.Contents`: field 2, length-delimited.
const CONTENTS_KEY: u8 = 2 << 3 | LEN;
/// `Log.Time_ns`: field 4, fixed32.
const TIME_NS_KEY: u8 = 4 << 3 | FIXED32;
/// `LogContent.Key` / `LogTag.Key`: field 1, length-delimited.
const PAIR_KEY_KEY: u8 = 1 << 3 | LEN;
/// `LogContent.Value` / `LogTag.Value`: field 2, length-delimited.
const PAIR_VALUE_KEY: u8 = 2 << 3 | LEN;

/// The messages of `log.proto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Message {
    /// The body.
    LogGroup,
    /// `LogGroup.Logs`.
    Log,
    /// `Log.Contents`.
    LogContent,
    /// `LogGroup.LogTags`.
    LogTag,
}

impl Message {
    fn as_str(self) -> &'static str {
        match self {
            Self::LogGroup => "LogGroup",
            Self::Log => "Log",
            Self::LogContent => "LogContent",
            Self::LogTag => "LogTag",
        }
    }
}

/// What is wrong with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// A varint is cut off by the end of its message, is longer than 10 bytes, or exceeds
    /// `u64::MAX`.
    BadVarint,
    /// A field key above `u32::MAX`, with field number 0, or with wire type 6 or 7.
    BadKey,
    /// Field `field` is sent with wire type `wire_type`, which its type cannot have.
    WireType {
        /// The field's name in `log.proto`.
        field: &'static str,
        /// The wire type it came with.
        wire_type: u8,
    },
    /// A field's bytes run past the end of its message.
    PastEnd,
    /// String field `field` is not UTF-8.
    NotUtf8 {
        /// The field's name in `log.proto`.
        field: &'static str,
    },
    /// Required field `field` is absent.
    Missing {
        /// The field's name in `log.proto`.
        field: &'static str,
    },
    /// An end-group key that closes no open group, or another one.
    UnexpectedEndGroup,
    /// Groups of unknown fields nested deeper than the recursion limit.
    TooDeep,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadVarint => f.write_str("a varint is truncated, too long or too large"),
            Self::BadKey => f.write_str("a field key is invalid"),
            Self::WireType { field, wire_type } => {
                write!(f, "field {field} has the wrong wire type {wire_type}")
            }
            Self::PastEnd => f.write_str("a field runs past the end of its message"),
            Self::NotUtf8 { field } => write!(f, "field {field} is not UTF-8"),
            Self::Missing { field } => write!(f, "required field {field} is missing"),
            Self::UnexpectedEndGroup => f.write_str("an end-group key matches no group"),
            Self::TooDeep => write!(f, "groups nest deeper than {RECURSION_LIMIT}"),
        }
    }
}

/// A body that is not a valid `LogGroup`: what is wrong, in which message, and where (the
/// offset of the faulty field's key, or of the message that lacks a required field).
/// The answer to it is `PostBodyInvalid`; it names fields, never payload data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WireError {
    pub(crate) message: Message,
    pub(crate) fault: Fault,
    pub(crate) offset: usize,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid LogGroup protobuf: {}: {} (byte {})",
            self.message.as_str(),
            self.fault,
            self.offset
        )
    }
}

impl core::error::Error for WireError {}

/// Check that `body` is a valid `LogGroup` (every `required` field present, every string
/// UTF-8) and count its logs, without allocating.
///
/// # Errors
/// The first fault found, as a [`WireError`].
pub(crate) fn count_logs(body: &[u8]) -> Result<usize, WireError> {
    Walker {
        start: body.as_ptr().addr(),
        reach: Reach::Everything,
    }
    .log_group(body)
}

/// Count the logs of `body` by walking only the `LogGroup`'s own fields: it refuses what
/// is wrong at that level (a bad key or varint, a known field of the wrong wire type, a
/// length past the end, a `Category`/`Topic`/`Source`/`MachineUUID` that is not UTF-8,
/// unknown groups nested too deep) but does not look inside a `Log` or a `LogTag`, so a
/// fault there (a missing `Time`, a content that is not UTF-8) goes unnoticed. Whatever
/// [`count_logs`] accepts, this accepts with the same count.
///
/// # Errors
/// The first fault found at the top level, as a [`WireError`].
pub(crate) fn count_top_level_logs(body: &[u8]) -> Result<usize, WireError> {
    Walker {
        start: body.as_ptr().addr(),
        reach: Reach::TopLevel,
    }
    .log_group(body)
}

/// Walks one body; knows where it starts, to report offsets.
struct Walker {
    start: usize,
    reach: Reach,
}

/// Which messages a [`Walker`] checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// The `LogGroup` and every message inside it.
    Everything,
    /// The `LogGroup`'s own fields; its `Logs` and `LogTags` are counted and skipped.
    TopLevel,
}

impl Walker {
    fn error(&self, message: Message, at: &[u8], fault: Fault) -> WireError {
        WireError {
            message,
            fault,
            offset: at.as_ptr().addr() - self.start,
        }
    }

    fn log_group(&self, mut rest: &[u8]) -> Result<usize, WireError> {
        let mut logs = 0;
        while !rest.is_empty() {
            let at = rest;
            let fail = |fault| self.error(Message::LogGroup, at, fault);
            let (field, wire_type) = key(&mut rest).map_err(fail)?;
            match field {
                1 => {
                    let log = delimited(&mut rest, "Logs", wire_type).map_err(fail)?;
                    if self.reach == Reach::Everything {
                        self.log(log)?;
                    }
                    logs += 1;
                }
                2 => string(&mut rest, "Category", wire_type).map_err(fail)?,
                3 => string(&mut rest, "Topic", wire_type).map_err(fail)?,
                4 => string(&mut rest, "Source", wire_type).map_err(fail)?,
                5 => string(&mut rest, "MachineUUID", wire_type).map_err(fail)?,
                6 => {
                    let tag = delimited(&mut rest, "LogTags", wire_type).map_err(fail)?;
                    if self.reach == Reach::Everything {
                        self.pair(Message::LogTag, tag, RECURSION_LIMIT - 1)?;
                    }
                }
                _ => skip(&mut rest, field, wire_type, RECURSION_LIMIT).map_err(fail)?,
            }
        }
        Ok(logs)
    }

    #[inline]
    fn log(&self, body: &[u8]) -> Result<(), WireError> {
        if is_plain_log(body) {
            return Ok(());
        }
        self.any_log(body)
    }

    /// [`Walker::log`] for any encoding.
    fn any_log(&self, body: &[u8]) -> Result<(), WireError> {
        let mut rest = body;
        let mut has_time = false;
        while !rest.is_empty() {
            let at = rest;
            let fail = |fault| self.error(Message::Log, at, fault);
            let (field, wire_type) = key(&mut rest).map_err(fail)?;
            match field {
                1 => {
                    expect(wire_type, VARINT, "Time").map_err(fail)?;
                    varint(&mut rest).map_err(fail)?;
                    has_time = true;
                }
                2 => {
                    let content = delimited(&mut rest, "Contents", wire_type).map_err(fail)?;
                    self.pair(Message::LogContent, content, RECURSION_LIMIT - 2)?;
                }
                4 => {
                    expect(wire_type, FIXED32, "Time_ns").map_err(fail)?;
                    take(&mut rest, 4).map_err(fail)?;
                }
                _ => skip(&mut rest, field, wire_type, RECURSION_LIMIT - 1).map_err(fail)?,
            }
        }
        if !has_time {
            return Err(self.error(Message::Log, body, Fault::Missing { field: "Time" }));
        }
        Ok(())
    }

    /// A `LogContent` or a `LogTag`: both are a required `Key` and `Value` string.
    /// `depth` is what is left of the recursion limit for skipping unknown fields.
    #[inline]
    fn pair(&self, message: Message, body: &[u8], depth: u32) -> Result<(), WireError> {
        if is_plain_pair(body) {
            return Ok(());
        }
        self.any_pair(message, body, depth)
    }

    /// [`Walker::pair`] for any encoding.
    fn any_pair(&self, message: Message, body: &[u8], depth: u32) -> Result<(), WireError> {
        let mut rest = body;
        let (mut has_key, mut has_value) = (false, false);
        while !rest.is_empty() {
            let at = rest;
            let fail = |fault| self.error(message, at, fault);
            let (field, wire_type) = key(&mut rest).map_err(fail)?;
            match field {
                1 => {
                    string(&mut rest, "Key", wire_type).map_err(fail)?;
                    has_key = true;
                }
                2 => {
                    string(&mut rest, "Value", wire_type).map_err(fail)?;
                    has_value = true;
                }
                _ => skip(&mut rest, field, wire_type, depth).map_err(fail)?,
            }
        }
        let missing = match (has_key, has_value) {
            (true, true) => return Ok(()),
            (false, _) => "Key",
            (true, false) => "Value",
        };
        Err(self.error(message, body, Fault::Missing { field: missing }))
    }
}

/// Whether `body` is a `Log` as encoders write it: `Time`, then `Contents` that are all
/// plain pairs (see [`is_plain_pair`]) shorter than 128 bytes, then optionally `Time_ns`,
/// nothing else, and every byte of the contents ASCII. Then every length inside is a
/// one-byte varint and every string is UTF-8, so a few byte compares per content and one
/// pass over the text check it all: such a log is one [`Walker::any_log`] accepts.
#[inline]
fn is_plain_log(body: &[u8]) -> bool {
    let [TIME_KEY, rest @ ..] = body else {
        return false;
    };
    let mut rest = rest;
    if varint(&mut rest).is_err() {
        return false;
    }
    let contents = rest;
    while let [CONTENTS_KEY, len, tail @ ..] = rest {
        let Some((pair, tail)) = tail.split_at_checked(usize::from(*len)) else {
            return false;
        };
        if *len >= 0x80 || !is_plain_pair_shape(pair) {
            return false;
        }
        rest = tail;
    }
    let text = &contents[..contents.len() - rest.len()];
    matches!(rest, [] | [TIME_NS_KEY, _, _, _, _]) && is_ascii(text)
}

/// Whether `body` is a pair as encoders write it: `Key` then `Value`, nothing else, all
/// ASCII. Then both lengths are one-byte varints and both strings are UTF-8, so one pass
/// over the bytes checks it all.
#[inline]
fn is_plain_pair(body: &[u8]) -> bool {
    is_plain_pair_shape(body) && is_ascii(body)
}

/// Whether `body` is `Key` then `Value`, nothing else, each length in one byte. That those
/// bytes are below 128 (one-byte varints) and the strings UTF-8 is the caller's to check.
#[inline]
fn is_plain_pair_shape(body: &[u8]) -> bool {
    let [PAIR_KEY_KEY, key_len, rest @ ..] = body else {
        return false;
    };
    match rest.get(usize::from(*key_len)..) {
        Some([PAIR_VALUE_KEY, value_len, value @ ..]) => usize::from(*value_len) == value.len(),
        _ => false,
    }
}

/// Whether every byte of `bytes` is ASCII (below 128), eight bytes at a time.
#[inline]
fn is_ascii(bytes: &[u8]) -> bool {
    const HIGH_BITS: u64 = u64::from_ne_bytes([0x80; 8]);
    let words = bytes.chunks_exact(8);
    let tail = words.remainder().iter().fold(0, |acc, b| acc | b);
    let any = words.fold(0, |acc, w| {
        acc | u64::from_ne_bytes(w.try_into().expect("chunks of 8"))
    });
    any & HIGH_BITS == 0 && tail < 0x80
}

fn expect(wire_type: u8, expected: u8, field: &'static str) -> Result<(), Fault> {
    if wire_type == expected {
        Ok(())
    } else {
        Err(Fault::WireType { field, wire_type })
    }
}

/// A field key: its field number and wire type.
#[inline]
fn key(rest: &mut &[u8]) -> Result<(u32, u8), Fault> {
    let key = u32::try_from(varint(rest)?).map_err(|_| Fault::BadKey)?;
    let wire_type = (key & 7) as u8;
    let field = key >> 3;
    if wire_type > FIXED32 || field == 0 {
        return Err(Fault::BadKey);
    }
    Ok((field, wire_type))
}

/// A base-128 varint of at most 10 bytes whose value fits in a `u64`.
#[inline]
fn varint(rest: &mut &[u8]) -> Result<u64, Fault> {
    // One and two bytes inline: keys and lengths (a `Log` of a few hundred bytes).
    match **rest {
        [b, ref tail @ ..] if b < 0x80 => {
            *rest = tail;
            Ok(u64::from(b))
        }
        [b0, b1, ref tail @ ..] if b1 < 0x80 => {
            *rest = tail;
            Ok(u64::from(b0 & 0x7f) | u64::from(b1) << 7)
        }
        _ => varint_long(rest),
    }
}

fn varint_long(rest: &mut &[u8]) -> Result<u64, Fault> {
    let mut value = 0u64;
    for (i, &b) in rest.iter().take(10).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            // The tenth byte holds bit 63 only.
            if i == 9 && b > 1 {
                return Err(Fault::BadVarint);
            }
            *rest = &rest[i + 1..];
            return Ok(value);
        }
    }
    Err(Fault::BadVarint)
}

/// The next `n` bytes.
#[inline]
fn take<'a>(rest: &mut &'a [u8], n: u64) -> Result<&'a [u8], Fault> {
    let n = usize::try_from(n)
        .ok()
        .filter(|&n| n <= rest.len())
        .ok_or(Fault::PastEnd)?;
    let (bytes, tail) = rest.split_at(n);
    *rest = tail;
    Ok(bytes)
}

/// The payload of a length-delimited field.
#[inline]
fn delimited<'a>(
    rest: &mut &'a [u8],
    field: &'static str,
    wire_type: u8,
) -> Result<&'a [u8], Fault> {
    expect(wire_type, LEN, field)?;
    let n = varint(rest)?;
    take(rest, n)
}

/// A string field: length-delimited UTF-8.
#[inline]
fn string(rest: &mut &[u8], field: &'static str, wire_type: u8) -> Result<(), Fault> {
    let bytes = delimited(rest, field, wire_type)?;
    if bytes.is_ascii() || core::str::from_utf8(bytes).is_ok() {
        Ok(())
    } else {
        Err(Fault::NotUtf8 { field })
    }
}

/// Skip an unknown field `field` of `wire_type`, as prost does; `depth` is what is left of
/// the recursion limit.
fn skip(rest: &mut &[u8], field: u32, wire_type: u8, depth: u32) -> Result<(), Fault> {
    if depth == 0 {
        return Err(Fault::TooDeep);
    }
    match wire_type {
        VARINT => varint(rest).map(drop),
        FIXED64 => take(rest, 8).map(drop),
        LEN => {
            let n = varint(rest)?;
            take(rest, n).map(drop)
        }
        START_GROUP => loop {
            let (inner, inner_type) = key(rest)?;
            if inner_type == END_GROUP {
                return if inner == field {
                    Ok(())
                } else {
                    Err(Fault::UnexpectedEndGroup)
                };
            }
            skip(rest, inner, inner_type, depth - 1)?;
        },
        END_GROUP => Err(Fault::UnexpectedEndGroup),
        // FIXED32, the only wire type `key` admits besides the above.
        _ => take(rest, 4).map(drop),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use prost::Message as _;
    use prost::encoding::encode_varint;
    use sls_producer_core::protocol::proto::{
        Log, LogGroup, LogTag, decode_log_group, encode_log_group,
    };

    use super::*;

    // Hand-made protobuf.

    fn key(field: u32, wire_type: u8) -> Vec<u8> {
        varint(u64::from(field) << 3 | u64::from(wire_type))
    }

    fn varint(v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        encode_varint(v, &mut out);
        out
    }

    fn len_field(field: u32, payload: &[u8]) -> Vec<u8> {
        [
            key(field, LEN),
            varint(payload.len() as u64),
            payload.to_vec(),
        ]
        .concat()
    }

    fn pair(k: &[u8], v: &[u8]) -> Vec<u8> {
        [len_field(1, k), len_field(2, v)].concat()
    }

    /// A `Log` with `Time` and one content.
    fn log_body() -> Vec<u8> {
        [
            key(1, VARINT),
            varint(1_700_000_000),
            len_field(2, &pair(b"k", b"v")),
        ]
        .concat()
    }

    fn group_of(logs: &[&[u8]]) -> Vec<u8> {
        logs.iter().flat_map(|l| len_field(1, l)).collect()
    }

    /// What prost makes of `bytes`: the log count, or `None` if it refuses them.
    fn prost_count(bytes: &[u8]) -> Option<usize> {
        decode_log_group(bytes).ok().map(|g| g.logs.len())
    }

    #[test]
    fn valid_groups_are_counted() {
        let log = log_body();
        assert_eq!(count_logs(&[]), Ok(0));
        assert_eq!(count_logs(&group_of(&[&log, &log, &log])), Ok(3));
        // Time_ns, empty strings, a log without contents, topic/source/tags/category/UUID.
        let full = [
            key(1, VARINT),
            varint(0),
            len_field(2, &pair(b"", b"")),
            key(4, FIXED32),
            vec![1, 2, 3, 4],
        ]
        .concat();
        let bare = [key(1, VARINT), varint(u64::MAX)].concat();
        let body = [
            group_of(&[&full, &bare]),
            len_field(2, b"cat"),
            len_field(3, "t\u{e9}".as_bytes()),
            len_field(4, b"s"),
            len_field(5, b"uuid"),
            len_field(6, &pair("\u{1f600}".as_bytes(), b"")),
        ]
        .concat();
        assert_eq!(count_logs(&body), Ok(2));
        assert_eq!(prost_count(&body), Some(2));
    }

    /// A `Log` as encoders write it: `Time`, short ASCII contents, `Time_ns`.
    fn plain_log() -> Vec<u8> {
        Log::new(1_700_000_000)
            .with_content(
                "content_key_1",
                "ASCII text, like the values of the benchmark",
            )
            .with_content("k", "")
            .with_time_ns(999_999_999)
            .encode_to_vec()
    }

    #[test]
    fn encoders_logs_take_the_fast_path() {
        let bare = [key(1, VARINT), varint(1)].concat();
        for (name, log) in [
            ("plain", plain_log()),
            ("short", log_body()),
            ("bare", bare),
        ] {
            assert!(is_plain_log(&log), "{name}");
            assert_eq!(count_logs(&group_of(&[&log, &log])), Ok(2), "{name}");
        }
    }

    #[test]
    fn logs_off_the_fast_path_get_the_full_walk() {
        let time = [key(1, VARINT), varint(1_700_000_000)].concat();
        let ns = [key(4, FIXED32), vec![0xff; 4]].concat();
        let content = len_field(2, &pair(b"k", b"v"));
        let long = "x".repeat(200);
        let with_time = |fields: &[&[u8]]| [&[&time[..]], fields].concat().concat();
        let valid = [
            (
                "a non-ASCII value",
                with_time(&[&len_field(2, &pair(b"k", "caf\u{e9}".as_bytes()))]),
            ),
            (
                "a content of 128 bytes or more",
                with_time(&[&len_field(2, &pair(b"k", long.as_bytes()))]),
            ),
            ("Time_ns before a content", with_time(&[&ns, &content])),
            ("Time_ns twice", with_time(&[&ns, &ns])),
            ("Time after the contents", [&content[..], &time].concat()),
            (
                "Value before Key",
                with_time(&[&len_field(
                    2,
                    &[len_field(2, b"v"), len_field(1, b"k")].concat(),
                )]),
            ),
            (
                "an unknown field",
                with_time(&[&key(9, VARINT), &varint(1)]),
            ),
            (
                "a content length as a two-byte varint",
                with_time(&[&key(2, LEN), &[0x86, 0x00], &pair(b"k", b"v")]),
            ),
        ];
        for (name, log) in valid {
            assert!(!is_plain_log(&log), "{name}");
            let body = group_of(&[&log]);
            assert_eq!(count_logs(&body), Ok(1), "{name}");
            assert_eq!(prost_count(&body), Some(1), "{name}");
        }
        let invalid = [
            (
                "a value byte above 0x7f",
                with_time(&[&len_field(2, &pair(b"k", b"\xff"))]),
                Fault::NotUtf8 { field: "Value" },
            ),
            (
                "a content without Value",
                with_time(&[&len_field(2, &len_field(1, b"k"))]),
                Fault::Missing { field: "Value" },
            ),
            (
                "Time_ns cut short",
                with_time(&[&content, &ns[..4]]),
                Fault::PastEnd,
            ),
            (
                "a content length past the end",
                with_time(&[&key(2, LEN), &varint(7), &pair(b"k", b"v")]),
                Fault::PastEnd,
            ),
        ];
        for (name, log, fault) in invalid {
            assert!(!is_plain_log(&log), "{name}");
            let body = group_of(&[&log]);
            assert_eq!(count_logs(&body).map_err(|e| e.fault), Err(fault), "{name}");
        }
    }

    #[test]
    fn two_byte_varints_are_read_whole() {
        // A short Logs length padded to two bytes (non-minimal, as prost reads it too)...
        let log = log_body();
        let padded = [key(1, LEN), vec![0x80 | log.len() as u8, 0x00], log.clone()].concat();
        assert_eq!(count_logs(&padded), Ok(1));
        assert_eq!(prost_count(&padded), Some(1));
        let big = [
            key(1, VARINT),
            varint(1),
            len_field(2, &pair(b"k", &[b'v'; 280])),
        ]
        .concat();
        // ...and lengths of a Log and a content above 127, two bytes each.
        assert_eq!(varint(big.len() as u64).len(), 2);
        assert_eq!(count_logs(&group_of(&[&big])), Ok(1));
        // A two-byte length one byte longer than the Log runs past the end.
        let short = [key(1, LEN), varint(big.len() as u64 + 1), big].concat();
        assert_eq!(count_logs(&short).map_err(|e| e.fault), Err(Fault::PastEnd));
    }

    #[test]
    fn unknown_fields_are_skipped_by_wire_type() {
        let unknown = [
            key(9, VARINT),
            varint(300),
            key(10, FIXED64),
            vec![0; 8],
            len_field(11, b"\xff\xfe not UTF-8, not looked at"),
            key(12, START_GROUP),
            key(13, VARINT),
            varint(1),
            key(14, START_GROUP),
            key(14, END_GROUP),
            key(12, END_GROUP),
            key(15, FIXED32),
            vec![0; 4],
            // A non-minimal varint (value 1 in 10 bytes) is still a varint.
            key(16, VARINT),
            vec![0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
        ]
        .concat();
        let content = [pair(b"k", b"v"), unknown.clone()].concat();
        let log = [
            key(1, VARINT),
            varint(7),
            unknown.clone(),
            len_field(2, &content),
        ]
        .concat();
        let body = [
            unknown.clone(),
            group_of(&[&log]),
            len_field(6, &[unknown.clone(), pair(b"k", b"v")].concat()),
            unknown,
        ]
        .concat();
        assert_eq!(count_logs(&body), Ok(1));
        assert_eq!(prost_count(&body), Some(1));
    }

    #[test]
    fn malformed_bodies_are_refused_as_prost_refuses_them() {
        let log = log_body();
        let group = group_of(&[&log]);
        let with_log = |l: &[u8]| group_of(&[l]);
        let with_content =
            |c: &[u8]| with_log(&[key(1, VARINT), varint(1), len_field(2, c)].concat());
        let cases: Vec<(&str, Vec<u8>, Fault)> = vec![
            (
                "truncated body",
                group[..group.len() - 1].to_vec(),
                Fault::PastEnd,
            ),
            ("truncated varint", vec![0x0a, 0x80], Fault::BadVarint),
            ("truncated key", vec![0x80], Fault::BadVarint),
            (
                "11-byte varint",
                [vec![0x08 | 0x80; 10], vec![0]].concat(),
                Fault::BadVarint,
            ),
            (
                "varint above u64::MAX",
                [key(9, VARINT), vec![0xff; 9], vec![0x02]].concat(),
                Fault::BadVarint,
            ),
            (
                "length past end",
                [key(1, LEN), varint(100), log.clone()].concat(),
                Fault::PastEnd,
            ),
            (
                "huge length",
                [key(3, LEN), varint(u64::MAX)].concat(),
                Fault::PastEnd,
            ),
            (
                "fixed32 past end",
                [key(9, FIXED32), vec![0; 3]].concat(),
                Fault::PastEnd,
            ),
            (
                "fixed64 past end",
                [key(9, FIXED64), vec![0; 7]].concat(),
                Fault::PastEnd,
            ),
            (
                "field 0",
                [key(0, VARINT), varint(1)].concat(),
                Fault::BadKey,
            ),
            ("wire type 6", key(9, 6), Fault::BadKey),
            ("wire type 7", key(9, 7), Fault::BadKey),
            (
                "key above u32::MAX",
                varint(1 << 32 | 1 << 3),
                Fault::BadKey,
            ),
            (
                "Logs as a varint",
                [key(1, VARINT), varint(1)].concat(),
                Fault::WireType {
                    field: "Logs",
                    wire_type: VARINT,
                },
            ),
            (
                "Topic as fixed32",
                [key(3, FIXED32), vec![0; 4]].concat(),
                Fault::WireType {
                    field: "Topic",
                    wire_type: FIXED32,
                },
            ),
            (
                "Time length-delimited",
                with_log(&len_field(1, b"1")),
                Fault::WireType {
                    field: "Time",
                    wire_type: LEN,
                },
            ),
            (
                "Time_ns as a varint",
                with_log(&[log.clone(), key(4, VARINT), varint(1)].concat()),
                Fault::WireType {
                    field: "Time_ns",
                    wire_type: VARINT,
                },
            ),
            (
                "Time_ns past end",
                with_log(&[log.clone(), key(4, FIXED32), vec![0; 3]].concat()),
                Fault::PastEnd,
            ),
            (
                "Contents as a varint",
                with_log(&[log.clone(), key(2, VARINT), varint(1)].concat()),
                Fault::WireType {
                    field: "Contents",
                    wire_type: VARINT,
                },
            ),
            (
                "Key as a varint",
                with_content(&[key(1, VARINT), varint(1), len_field(2, b"v")].concat()),
                Fault::WireType {
                    field: "Key",
                    wire_type: VARINT,
                },
            ),
            (
                "Value not UTF-8",
                with_content(&pair(b"k", b"caf\xc3")),
                Fault::NotUtf8 { field: "Value" },
            ),
            (
                "Key not UTF-8 (a surrogate)",
                with_content(&pair(b"\xed\xa0\x80", b"v")),
                Fault::NotUtf8 { field: "Key" },
            ),
            (
                "Source not UTF-8",
                [group.clone(), len_field(4, b"\xff")].concat(),
                Fault::NotUtf8 { field: "Source" },
            ),
            (
                "tag Key not UTF-8",
                [group.clone(), len_field(6, &pair(b"\x80", b"v"))].concat(),
                Fault::NotUtf8 { field: "Key" },
            ),
            (
                "a content's length runs past its Log",
                with_log(
                    &[
                        key(1, VARINT),
                        varint(1),
                        key(2, LEN),
                        varint(6),
                        pair(b"k", b""),
                    ]
                    .concat(),
                ),
                Fault::PastEnd,
            ),
            (
                "a lone end-group",
                key(9, END_GROUP),
                Fault::UnexpectedEndGroup,
            ),
            (
                "an end-group of another field",
                [key(9, START_GROUP), key(10, END_GROUP)].concat(),
                Fault::UnexpectedEndGroup,
            ),
            ("an unclosed group", key(9, START_GROUP), Fault::BadVarint),
        ];
        for (name, bytes, fault) in cases {
            assert_eq!(
                count_logs(&bytes).map_err(|e| e.fault),
                Err(fault),
                "{name}"
            );
            assert_eq!(prost_count(&bytes), None, "{name}: prost refuses it too");
        }
    }

    #[test]
    fn missing_required_fields_are_refused_though_prost_defaults_them() {
        let time = [key(1, VARINT), varint(1)].concat();
        let with_content = |c: &[u8]| group_of(&[&[time.clone(), len_field(2, c)].concat()]);
        let with_tag = |t: &[u8]| [group_of(&[&time]), len_field(6, t)].concat();
        let cases: Vec<(&str, Vec<u8>, Message, &str)> = vec![
            (
                "Log without Time",
                group_of(&[&len_field(2, &pair(b"k", b"v"))]),
                Message::Log,
                "Time",
            ),
            ("empty Log", group_of(&[b""]), Message::Log, "Time"),
            (
                "content without Key",
                with_content(&len_field(2, b"v")),
                Message::LogContent,
                "Key",
            ),
            (
                "content without Value",
                with_content(&len_field(1, b"k")),
                Message::LogContent,
                "Value",
            ),
            (
                "empty content",
                with_content(b""),
                Message::LogContent,
                "Key",
            ),
            (
                "tag without Value",
                with_tag(&len_field(1, b"k")),
                Message::LogTag,
                "Value",
            ),
            (
                "tag without Key",
                with_tag(&len_field(2, b"v")),
                Message::LogTag,
                "Key",
            ),
        ];
        for (name, bytes, message, field) in cases {
            let e = count_logs(&bytes).expect_err(name);
            assert_eq!(
                (e.message, e.fault),
                (message, Fault::Missing { field }),
                "{name}"
            );
            assert!(
                prost_count(&bytes).is_some(),
                "{name}: prost fills in a default"
            );
        }
    }

    #[test]
    fn the_top_level_walk_counts_logs_without_looking_inside_them() {
        let time = [key(1, VARINT), varint(1)].concat();
        let no_time = len_field(2, &pair(b"k", b"v"));
        let not_utf8 = [time.clone(), len_field(2, &pair(b"k", &[0xc3, 0xc3]))].concat();
        let tag_without_value = len_field(6, &len_field(1, b"k"));
        let inside = [group_of(&[&time, &no_time, &not_utf8]), tag_without_value].concat();
        assert!(count_logs(&inside).is_err());
        assert_eq!(count_top_level_logs(&inside), Ok(3));
        // The group's own fields are still checked.
        let cases: [(&str, Vec<u8>, Fault); 4] = [
            (
                "truncated Logs",
                group_of(&[&time])[..3].to_vec(),
                Fault::PastEnd,
            ),
            (
                "Topic not UTF-8",
                len_field(3, &[0xff]),
                Fault::NotUtf8 { field: "Topic" },
            ),
            (
                "Logs as a varint",
                time.clone(),
                Fault::WireType {
                    field: "Logs",
                    wire_type: VARINT,
                },
            ),
            ("wire type 7", vec![0x0f], Fault::BadKey),
        ];
        for (name, bytes, fault) in cases {
            assert_eq!(
                count_top_level_logs(&bytes).map_err(|e| e.fault),
                Err(fault),
                "{name}"
            );
        }
    }

    /// `depth` nested groups in field 9 (`[9 start [9 start ... 9 end] 9 end]`), innermost
    /// holding a varint field when `with_field`.
    fn nested_groups(depth: usize, with_field: bool) -> Vec<u8> {
        let mut out = key(9, START_GROUP).repeat(depth);
        if with_field {
            out.extend([key(10, VARINT), varint(1)].concat());
        }
        out.extend(key(9, END_GROUP).repeat(depth));
        out
    }

    #[test]
    fn group_nesting_is_limited_where_prost_limits_it() {
        let time = [key(1, VARINT), varint(1)].concat();
        /// Puts the groups somewhere in a body with one `Log`, given its `Time` field.
        type Place = fn(Vec<u8>, &[u8]) -> Vec<u8>;
        let places: [(&str, Place); 4] = [
            ("LogGroup", |g, _| g),
            ("Log", |g, time| group_of(&[&[time.to_vec(), g].concat()])),
            ("LogContent", |g, time| {
                group_of(&[
                    &[time.to_vec(), len_field(2, &[pair(b"k", b"v"), g].concat())].concat(),
                ])
            }),
            ("LogTag", |g, _| {
                len_field(6, &[pair(b"k", b"v"), g].concat())
            }),
        ];
        let mut refused_somewhere = false;
        for (place, wrap) in places {
            for depth in 95..=102 {
                for with_field in [false, true] {
                    let bytes = wrap(nested_groups(depth, with_field), &time);
                    let walked = count_logs(&bytes);
                    assert_eq!(
                        walked.is_ok(),
                        prost_count(&bytes).is_some(),
                        "{place}, depth {depth}, inner field {with_field}: {walked:?}"
                    );
                    if let Err(e) = walked {
                        assert_eq!(e.fault, Fault::TooDeep);
                        refused_somewhere = true;
                    }
                }
            }
        }
        assert!(refused_somewhere, "the limit is inside the range tried");
    }

    #[test]
    fn errors_name_the_field_and_offset_not_the_data() {
        let log = [
            key(1, VARINT),
            varint(1),
            len_field(2, &pair(b"k", b"secret\xff")),
        ]
        .concat();
        let body = [len_field(3, b"topic"), group_of(&[&log])].concat();
        let e = count_logs(&body).unwrap_err();
        // Topic (7 bytes), Logs key and length (2), Time (2), Contents key and length (2),
        // Key (3): the Value field starts at byte 16.
        assert_eq!((e.message, e.offset), (Message::LogContent, 16));
        let text = e.to_string();
        assert_eq!(
            text,
            "invalid LogGroup protobuf: LogContent: field Value is not UTF-8 (byte 16)"
        );
        assert!(!text.contains("secret"));
        let e = count_logs(&group_of(&[b"", b""])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid LogGroup protobuf: Log: required field Time is missing (byte 2)"
        );
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "[a-z_0-9]{1,20}",
            any::<String>(),
            proptest::collection::vec(any::<char>(), 100..300)
                .prop_map(|c| c.into_iter().collect()),
        ]
    }

    /// Logs with up to `max_contents - 1` pairs of `text`.
    fn log_of<S>(text: impl Fn() -> S, max_contents: usize) -> impl Strategy<Value = Log>
    where
        S: Strategy<Value = String>,
    {
        (
            any::<u32>(),
            proptest::option::of(any::<u32>()),
            proptest::collection::vec((text(), text()), 0..max_contents),
        )
            .prop_map(|(time, time_ns, contents)| {
                let mut log = Log::new(time);
                log.set_time_ns(time_ns);
                log.extend(contents);
                log
            })
    }

    fn log() -> impl Strategy<Value = Log> {
        log_of(text, 8)
    }

    /// Logs whose text is mostly short ASCII (what the fast path takes), sometimes not.
    fn plain_ish_log() -> impl Strategy<Value = Log> {
        log_of(|| prop_oneof![8 => "[ -~]{0,70}", 1 => any::<String>()], 6)
    }

    fn log_group() -> impl Strategy<Value = LogGroup> {
        (
            proptest::collection::vec(log(), 0..12),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::collection::vec((text(), text()), 0..4),
        )
            .prop_map(
                |(logs, category, topic, source, machine_uuid, tags)| LogGroup {
                    logs,
                    category,
                    topic,
                    source,
                    machine_uuid,
                    log_tags: tags.into_iter().map(|(k, v)| LogTag::new(k, v)).collect(),
                },
            )
    }

    /// One way to damage an encoding.
    #[derive(Clone, Debug)]
    enum Damage {
        Truncate(usize),
        SetByte(usize, u8),
        Insert(usize, Vec<u8>),
        Remove(usize, usize),
    }

    fn damage() -> impl Strategy<Value = Damage> {
        prop_oneof![
            any::<usize>().prop_map(Damage::Truncate),
            (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::SetByte(i, b)),
            (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..6))
                .prop_map(|(i, b)| Damage::Insert(i, b)),
            (any::<usize>(), 1..8usize).prop_map(|(i, n)| Damage::Remove(i, n)),
        ]
    }

    /// `g` encoded, then each of `damages` applied in turn.
    fn damaged(g: &LogGroup, damages: &[Damage]) -> Vec<u8> {
        let mut bytes = g.encode_to_vec();
        for d in damages {
            apply(&mut bytes, d);
        }
        bytes
    }

    fn apply(bytes: &mut Vec<u8>, d: &Damage) {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
        match d {
            Damage::Truncate(i) => bytes.truncate(at(*i, bytes.len())),
            Damage::SetByte(i, b) => {
                if !bytes.is_empty() {
                    let i = at(*i, bytes.len());
                    bytes[i] = *b;
                }
            }
            Damage::Insert(i, b) => {
                let i = at(*i, bytes.len() + 1);
                bytes.splice(i..i, b.iter().copied());
            }
            Damage::Remove(i, n) => {
                let i = at(*i, bytes.len());
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
        }
    }

    proptest! {
        #[test]
        fn walk_counts_what_prost_decodes(g in log_group()) {
            let bytes = g.encode_to_vec();
            prop_assert_eq!(count_logs(&bytes), Ok(g.logs.len()));
            prop_assert_eq!(prost_count(&bytes), Some(g.logs.len()));
        }

        #[test]
        fn walk_counts_the_producers_encoding(g in log_group()) {
            let bytes = encode_log_group(&g);
            prop_assert_eq!(count_logs(&bytes), Ok(g.logs.len()));
        }

        /// On damaged input the walk accepts only what prost accepts, with the same count,
        /// and refuses what prost accepts only for a missing required field.
        #[test]
        fn walk_agrees_with_prost_on_damaged_bodies(
            g in log_group(),
            damages in proptest::collection::vec(damage(), 1..4),
        ) {
            let bytes = damaged(&g, &damages);
            match (count_logs(&bytes), prost_count(&bytes)) {
                (Ok(walked), decoded) => prop_assert_eq!(Some(walked), decoded),
                (Err(e), Some(_)) => prop_assert!(
                    matches!(e.fault, Fault::Missing { .. }),
                    "prost accepts what the walk refuses: {}", e
                ),
                (Err(_), None) => {}
            }
        }

        /// The top-level walk accepts whatever the full walk accepts, with the same count.
        #[test]
        fn top_level_walk_accepts_what_the_full_walk_accepts(
            g in log_group(),
            damages in proptest::collection::vec(damage(), 0..3),
        ) {
            let bytes = damaged(&g, &damages);
            if let Ok(n) = count_logs(&bytes) {
                prop_assert_eq!(count_top_level_logs(&bytes), Ok(n));
            }
        }

        /// The fast path accepts only logs the full walk accepts, damaged or not, and takes
        /// every log of short ASCII pairs.
        #[test]
        fn fast_path_accepts_only_what_the_full_walk_accepts(
            log in plain_ish_log(),
            damages in proptest::collection::vec(damage(), 0..3),
        ) {
            let mut bytes = log.encode_to_vec();
            if damages.is_empty() {
                let short_ascii = log.contents().all(|(k, v)| {
                    k.is_ascii() && v.is_ascii() && k.len() + v.len() < 124
                });
                prop_assert_eq!(is_plain_log(&bytes), short_ascii);
            }
            for d in &damages {
                apply(&mut bytes, d);
            }
            if is_plain_log(&bytes) {
                let walker = Walker {
                    start: bytes.as_ptr().addr(),
                    reach: Reach::Everything,
                };
                prop_assert_eq!(walker.any_log(&bytes), Ok(()));
                prop_assert_eq!(prost_count(&group_of(&[&bytes])), Some(1));
            }
        }

        #[test]
        fn walk_agrees_with_prost_on_noise(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            match (count_logs(&bytes), prost_count(&bytes)) {
                (Ok(walked), decoded) => prop_assert_eq!(Some(walked), decoded),
                (Err(e), Some(_)) => prop_assert!(matches!(e.fault, Fault::Missing { .. }), "{}", e),
                (Err(_), None) => {}
            }
        }
    }
}
