use super::*;
use crate::protocol::time::UnixTime;
use alloc::vec;
use proptest::prelude::*;

fn hex(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

const NO_TAGS: [(&str, &str); 0] = [];

/// go-producer.md §6.5, first vector.
const GOLDEN_EMPTY_TOPIC: &str = "0a0e0880e2cfaa0612060a016b1201761a002200";
/// go-producer.md §6.5, second vector.
const GOLDEN_WITH_TAG: &str = "0a0e0880e2cfaa0612060a016b1201761a05746f706963220373726332210a0b5f5f7061636b5f69645f5f1212303132333435363738394142434445462d30";
const PACK_ID: (&str, &str) = ("__pack_id__", "0123456789ABCDEF-0");

fn group(logs: Vec<Log>, topic: &str, source: &str, tags: &[(&str, &str)]) -> LogGroup {
    LogGroup {
        logs,
        topic: Some(topic.into()),
        source: Some(source.into()),
        log_tags: tags.iter().map(|&(k, v)| LogTag::new(k, v)).collect(),
        ..LogGroup::default()
    }
}

#[test]
fn golden_empty_topic_and_source_via_prost() {
    let g = group(
        vec![Log::new(1_700_000_000).with_content("k", "v")],
        "",
        "",
        &[],
    );
    assert_eq!(hex(&g.encode_to_vec()), GOLDEN_EMPTY_TOPIC);
}

#[test]
fn golden_empty_topic_and_source_via_encoder() {
    let mut enc = LogGroupEncoder::new();
    let log = Log::new(1_700_000_000).with_content("k", "v");
    assert_eq!(LogGroupEncoder::encoded_log_len(&log), 16);
    enc.push(&log);
    assert_eq!((enc.len(), enc.log_count(), enc.is_empty()), (16, 1, false));
    assert_eq!(enc.finished_len("", "", NO_TAGS), 20);
    assert_eq!(hex(&enc.finish("", "", NO_TAGS)), GOLDEN_EMPTY_TOPIC);
}

#[test]
fn golden_topic_source_and_pack_id_tag() {
    let log = Log::new(1_700_000_000).with_content("k", "v");
    let g = group(vec![log.clone()], "topic", "src", &[PACK_ID]);
    assert_eq!(hex(&g.encode_to_vec()), GOLDEN_WITH_TAG);

    let mut enc = LogGroupEncoder::new();
    enc.push_parts(1_700_000_000, None, &[("k", "v")]);
    let predicted = enc.finished_len("topic", "src", [PACK_ID]);
    let bytes = enc.finish("topic", "src", [PACK_ID]);
    assert_eq!(hex(&bytes), GOLDEN_WITH_TAG);
    assert_eq!(predicted, bytes.len());
    assert_eq!(decode_log_group(&bytes).unwrap(), g);
}

#[test]
fn time_ns_is_a_fixed32_after_the_contents() {
    let log = Log::new(1_700_000_000)
        .with_content("k", "v")
        .with_time_ns(0x0102_0304);
    // Log payload: time, one content, then key 0x25 (field 4, fixed32) + 4 LE bytes.
    let expected = "0a13\
                    0880e2cfaa06\
                    12060a016b120176\
                    2504030201\
                    1a002200";
    let g = group(vec![log.clone()], "", "", &[]);
    assert_eq!(hex(&g.encode_to_vec()), expected);
    let mut enc = LogGroupEncoder::new();
    enc.push(&log);
    assert_eq!(hex(&enc.finish("", "", NO_TAGS)), expected);
}

#[test]
fn from_unix_time_splits_seconds_and_nanos() {
    let log = Log::from_unix_time(UnixTime::from_nanos(1_700_000_000_123_456_789));
    assert_eq!(
        (log.time(), log.time_ns()),
        (1_700_000_000, Some(123_456_789))
    );
    let far = Log::from_unix_time(UnixTime::from_secs(u64::from(u32::MAX) + 5));
    assert_eq!(far.time(), u32::MAX);
}

#[test]
fn required_fields_are_written_even_when_default() {
    // time 0 and empty key/value still appear on the wire, as prost does for proto2
    // required fields.
    let mut enc = LogGroupEncoder::new();
    enc.push_parts(0, None, &[("", "")]);
    assert_eq!(
        hex(&enc.finish("", "", NO_TAGS)),
        "0a08080012040a0012001a002200"
    );
}

#[test]
fn multi_byte_length_prefixes() {
    // A 20 000-byte value needs a 3-byte varint, and so do the enclosing content and log.
    let long = "x".repeat(20_000);
    let log = Log::new(1).with_content("k", long.as_str());
    let mut enc = LogGroupEncoder::with_capacity(8);
    enc.push(&log);
    assert_eq!(enc.len(), LogGroupEncoder::encoded_log_len(&log));
    let bytes = enc.finish("t", "s", [("a", "b")]);
    let g = group(vec![log], "t", "s", &[("a", "b")]);
    assert_eq!(bytes, g.encode_to_vec());
    // Key 0x0a, then the log length: time (2) + content (1 + 3 + 20 007) = 20 013, whose
    // varint is 0xad 0x9c 0x01.
    assert_eq!(&bytes[..4], &[0x0a, 0xad, 0x9c, 0x01]);
}

#[test]
fn with_buffer_discards_old_contents_and_debug_hides_payload() {
    let enc = LogGroupEncoder::with_buffer(b"SECRET-PAYLOAD".to_vec());
    assert_eq!((enc.len(), enc.log_count(), enc.is_empty()), (0, 0, true));
    let mut enc = enc;
    enc.push_parts(7, Some(9), &[("password", "SECRET-PAYLOAD")]);
    let dbg = alloc::format!("{enc:?}");
    assert!(!dbg.contains("SECRET"), "{dbg}");
    assert!(dbg.contains("log_count: 1"), "{dbg}");
    let g = decode_log_group(&enc.finish("", "", NO_TAGS)).unwrap();
    assert_eq!(
        g.logs,
        vec![
            Log::new(7)
                .with_time_ns(9)
                .with_content("password", "SECRET-PAYLOAD")
        ]
    );
}

#[test]
fn decode_errors_are_typed_and_carry_no_payload() {
    let mut bytes =
        group(vec![Log::new(1).with_content("k", "SECRET")], "", "", &[]).encode_to_vec();
    bytes.truncate(bytes.len() - 6); // cut inside the log
    let err = decode_log_group(&bytes).unwrap_err();
    let msg = alloc::format!("{err} {err:?}");
    assert!(msg.starts_with("invalid LogGroup protobuf"), "{msg}");
    assert!(!msg.contains("SECRET"), "{msg}");
    assert!(core::error::Error::source(&err).is_some());
    // Invalid UTF-8 in a string field.
    assert!(decode_log_group(&[0x1a, 0x01, 0xff]).is_err());
}

pub(super) fn text() -> impl Strategy<Value = String> {
    // Empty, short, and long (> 127 bytes, so length varints take two bytes) strings of
    // arbitrary Unicode scalar values.
    prop_oneof![
        Just(String::new()),
        any::<String>(),
        proptest::collection::vec(any::<char>(), 100..400).prop_map(|c| c.into_iter().collect()),
    ]
}

pub(super) fn log() -> impl Strategy<Value = Log> {
    (
        any::<u32>(),
        proptest::option::of(any::<u32>()),
        proptest::collection::vec((text(), text()), 0..10),
    )
        .prop_map(|(time, time_ns, contents)| {
            let mut log = Log::new(time);
            log.set_time_ns(time_ns);
            log.extend(contents);
            log
        })
}

/// The `Log` message as prost derives it (`log.proto`'s fields as owned `String`s):
/// the independent oracle for [`Log`]'s own encoding and decoding.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct ProstLog {
    #[prost(uint32, required, tag = "1")]
    pub time: u32,
    #[prost(message, repeated, tag = "2")]
    pub contents: Vec<LogContent>,
    #[prost(fixed32, optional, tag = "4")]
    pub time_ns: Option<u32>,
}

/// `LogGroup` with the derived [`ProstLog`].
#[derive(Clone, PartialEq, prost::Message)]
struct ProstLogGroup {
    #[prost(message, repeated, tag = "1")]
    logs: Vec<ProstLog>,
    #[prost(string, optional, tag = "3")]
    topic: Option<String>,
    #[prost(string, optional, tag = "4")]
    source: Option<String>,
    #[prost(message, repeated, tag = "6")]
    log_tags: Vec<LogTag>,
}

impl From<&Log> for ProstLog {
    fn from(log: &Log) -> Self {
        Self {
            time: log.time(),
            contents: log.contents().map(|(k, v)| LogContent::new(k, v)).collect(),
            time_ns: log.time_ns(),
        }
    }
}

proptest! {
    #[test]
    fn payload_of_delimited_inverts_delimited_len(payload in 0usize..(1 << 40)) {
        prop_assert_eq!(varint_len(payload as u64), encoded_len_varint(payload as u64));
        prop_assert_eq!(payload_of_delimited(delimited_len(payload)), payload);
    }

    #[test]
    fn encoder_matches_prost_and_round_trips(
        logs in proptest::collection::vec(log(), 0..20),
        topic in text(),
        source in text(),
        tags in proptest::collection::vec((text(), text()), 0..5),
        how in 0..2u8,
        start in 0..3u8,
        garbage in proptest::collection::vec(any::<u8>(), 0..3000),
    ) {
        // However it starts (empty, zeroed capacity, or a reused buffer full of old
        // bytes, which are overwritten and never read), the encoding is the same.
        let mut enc = match start {
            0 => LogGroupEncoder::new(),
            1 => LogGroupEncoder::with_capacity(garbage.len()),
            _ => LogGroupEncoder::with_buffer(garbage.clone()),
        };
        let mut fresh = LogGroupEncoder::new();
        for log in &logs {
            let before = enc.len();
            let parts: Vec<(&str, &str)> = log.contents().collect();
            let predicted = LogGroupEncoder::encoded_log_len(log);
            prop_assert_eq!(
                predicted,
                LogGroupEncoder::encoded_parts_len(log.time(), log.time_ns(), &parts)
            );
            match how {
                0 => enc.push(log),
                _ => enc.push_parts(log.time(), log.time_ns(), &parts),
            }
            prop_assert_eq!(enc.len() - before, predicted);
            fresh.push(log);
        }
        prop_assert_eq!(&enc, &fresh, "equal encodings compare equal, old bytes aside");
        prop_assert_eq!(enc.log_count(), logs.len());
        prop_assert_eq!(enc.is_empty(), logs.is_empty());

        let tag_pairs = || tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let predicted = enc.finished_len(&topic, &source, tag_pairs());
        let bytes = enc.finish(&topic, &source, tag_pairs());
        prop_assert_eq!(bytes.len(), predicted);

        let expected = LogGroup {
            logs,
            topic: Some(topic),
            source: Some(source),
            log_tags: tags.iter().map(|(k, v)| LogTag::new(k.as_str(), v.as_str())).collect(),
            ..LogGroup::default()
        };
        prop_assert_eq!(&bytes, &expected.encode_to_vec());
        // prost's own derived messages encode the same bytes and decode them back to
        // the same pairs.
        let oracle = ProstLogGroup {
            logs: expected.logs.iter().map(ProstLog::from).collect(),
            topic: expected.topic.clone(),
            source: expected.source.clone(),
            log_tags: expected.log_tags.clone(),
        };
        prop_assert_eq!(&bytes, &oracle.encode_to_vec());
        prop_assert_eq!(ProstLogGroup::decode(&bytes[..]).unwrap(), oracle);
        prop_assert_eq!(decode_log_group(&bytes).unwrap(), expected);
    }
}
