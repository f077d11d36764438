use super::*;
use crate::protocol::proto::tests::{ProstLog, log, text};
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
    let mut log = Log::new(5).with_content("k", "v");
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
fn extend_appends_the_pairs_in_order() {
    let mut log = Log::new(5).with_time_ns(6);
    log.extend([("a", "1"), ("b", "2")]);
    log.extend(vec![(String::from("c"), String::from("3"))]);
    let expected = Log::new(5)
        .with_time_ns(6)
        .with_content("a", "1")
        .with_content("b", "2")
        .with_content("c", "3");
    assert_eq!(log, expected);
    assert_eq!(
        log.contents().collect::<Vec<_>>(),
        [("a", "1"), ("b", "2"), ("c", "3")]
    );
    assert_eq!((log.get("b"), log.get("d")), (Some("2"), None));
}

#[test]
fn debug_shows_time_and_pairs() {
    let log = Log::new(5).with_content("user", "alice");
    assert_eq!(
        format!("{log:?}"),
        r#"Log { time: 5, time_ns: None, contents: {"user": "alice"} }"#
    );
}

#[test]
fn clear_keeps_the_buffer_and_the_time() {
    let mut log = Log::new(5)
        .with_time_ns(7)
        .with_content("k", "v".repeat(100));
    let capacity = log.contents.capacity();
    log.clear();
    assert_eq!((log.content_count(), log.contents().next()), (0, None));
    assert_eq!(
        (log.time(), log.time_ns(), log.contents.capacity()),
        (5, Some(7), capacity)
    );
    assert_eq!(log, Log::new(5).with_time_ns(7));
}

#[test]
fn decoding_takes_fields_in_any_order_and_stores_them_as_push_does() {
    // time_ns before the contents, a pair with its value before its key and an unknown
    // field in it, an unknown field of the log, and time last.
    let bytes = [
        0x25, 9, 0, 0, 0, // time_ns = 9
        0x12, 0x0b, 0x12, 0x01, b'v', 0x18, 0x07, 0x0a, 0x01, b'k', 0x12, 0x01, b'w', 0x12,
        0x00, // a pair with neither key nor value
        0x38, 0x01, // field 7, varint: unknown
        0x08, 0x05, // time = 5
    ];
    let decoded = <Log as prost::Message>::decode(&bytes[..]).unwrap();
    // A repeated `value` field: the last one wins, as in prost.
    assert_eq!(
        decoded,
        Log::new(5)
            .with_time_ns(9)
            .with_content("k", "w")
            .with_content("", "")
    );
    // A truncated pair, or one that is not UTF-8, is refused, as prost refuses a
    // `LogContent`.
    let truncated = [0x12, 0x09, 0x0a, 0x01, b'k'];
    let bad_utf8 = [0x12, 0x06, 0x0a, 0x01, b'k', 0x12, 0x01, 0xff];
    assert!(<Log as prost::Message>::decode(&truncated[..]).is_err());
    assert!(<Log as prost::Message>::decode(&bad_utf8[..]).is_err());
}

proptest! {
    #[test]
    fn a_varint_reads_back_as_prost_writes_it(value in any::<u64>(), shift in 0u32..64, tail in any::<u8>()) {
        for value in [value, value >> shift] {
            let mut bytes = Vec::new();
            encoding::encode_varint(value, &mut bytes);
            let len = bytes.len();
            bytes.push(tail);
            for read in [read_varint, own_varint] {
                let mut rest = &bytes[..];
                prop_assert_eq!(read(&mut rest), value);
                prop_assert_eq!(rest, &[tail][..], "{} bytes taken", len);
            }
        }
    }

    #[test]
    fn pushed_or_formatted_pairs_encode_as_prost_does(
        log in log(),
        formatted in proptest::collection::vec(any::<bool>(), 10),
        reused in text(),
    ) {
        // Built pair by pair on a reused buffer, some values formatted into place
        // (lengths across the one-, two- and three-byte varint boundaries come from
        // `text()`, repeated below for the longest).
        let oracle = ProstLog::from(&log);
        let mut built = Log::with_capacity(0, 3).with_content("old", &reused);
        built.clear();
        built.set_time(oracle.time);
        built.set_time_ns(oracle.time_ns);
        for (c, fmt) in oracle.contents.iter().zip(formatted.iter().cycle()) {
            if *fmt {
                built.push_fmt(&c.key, format_args!("{}", c.value)).unwrap();
            } else {
                built.push(&c.key, &c.value);
            }
        }
        prop_assert_eq!(&built, &log);
        prop_assert_eq!(built.content_count(), oracle.contents.len());
        prop_assert_eq!(built.contents().len(), oracle.contents.len());
        prop_assert!(built.contents().eq(oracle.contents.iter().map(|c| (c.key.as_str(), c.value.as_str()))));

        // The message encodes as prost's derived one, decodes back, and its batch
        // entry is that message, length-delimited, as field 1.
        let message = prost::Message::encode_to_vec(&built);
        prop_assert_eq!(&message, &prost::Message::encode_to_vec(&oracle));
        prop_assert_eq!(&<Log as prost::Message>::decode(&message[..]).unwrap(), &built);
        let mut entry = vec![0; built.entry_len()];
        built.write_entry(&mut entry);
        let mut expected = vec![0x0a];
        encoding::encode_varint(message.len() as u64, &mut expected);
        expected.extend_from_slice(&message);
        prop_assert_eq!(entry, expected);
    }

    #[test]
    fn a_formatted_value_of_any_length_is_moved_into_place(
        key in text(),
        unit in text(),
        repeat in prop_oneof![0usize..4, 100usize..200, 20_000usize..20_100],
    ) {
        let value: String = unit.repeat(repeat.min(40_000 / unit.len().max(1)));
        let mut formatted = Log::new(1);
        formatted.push_fmt(&key, format_args!("{value}{}", "")).unwrap();
        prop_assert_eq!(formatted, Log::new(1).with_content(&key, &value));
    }
}
