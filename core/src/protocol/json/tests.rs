use super::*;
use alloc::format;
use alloc::string::ToString;
use alloc::vec;
use proptest::prelude::*;

fn members(s: &str) -> Result<Vec<(String, String)>, JsonError> {
    string_members(s.as_bytes())
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[test]
fn reads_the_sls_error_body() {
    let body =
        br#"{"errorCode": "LogStoreNotExist", "errorMessage": "logstore app does not exist"}"#;
    assert_eq!(
        string_members(body).unwrap(),
        vec![
            pair("errorCode", "LogStoreNotExist"),
            pair("errorMessage", "logstore app does not exist")
        ]
    );
}

#[test]
fn skips_every_other_value_type() {
    let body = r#" {
        "n": -12.5e+3, "z": 0, "t": true, "f": false, "nul": null,
        "arr": [1, "x", {"deep": ["y", {}]}, []], "obj": {"a": {"b": "c"}},
        "s": "kept"
    } "#;
    assert_eq!(members(body).unwrap(), vec![pair("s", "kept")]);
    assert_eq!(members("{}").unwrap(), vec![]);
    assert_eq!(
        members("\u{feff}{\"a\":\"b\"}").unwrap(),
        vec![pair("a", "b")]
    );
}

#[test]
fn unescapes_all_escape_forms() {
    let body = r#"{"k\"ey": "q\" b\\ s\/ \b\f\n\r\t \u0041\u00e9\u4e2d \ud83d\ude00 raw-é"}"#;
    assert_eq!(
        members(body).unwrap(),
        vec![pair("k\"ey", "q\" b\\ s/ \u{8}\u{c}\n\r\t Aé中 😀 raw-é")]
    );
}

#[test]
fn lone_surrogates_become_replacement_characters() {
    assert_eq!(
        members(r#"{"a":"x\ud800y"}"#).unwrap(),
        vec![pair("a", "x\u{fffd}y")]
    );
    assert_eq!(
        members(r#"{"a":"\udc00"}"#).unwrap(),
        vec![pair("a", "\u{fffd}")]
    );
    // A high surrogate followed by an escape that is not a low surrogate: both survive.
    assert_eq!(
        members(r#"{"a":"\ud800\u0041"}"#).unwrap(),
        vec![pair("a", "\u{fffd}A")]
    );
}

#[test]
fn rejects_malformed_input() {
    let cases: &[(&[u8], JsonError)] = &[
        (b"", JsonError::UnexpectedEnd),
        (b"   ", JsonError::UnexpectedEnd),
        (b"[]", JsonError::NotAnObject),
        (b"\"s\"", JsonError::NotAnObject),
        (b"<html>404</html>", JsonError::NotAnObject),
        (b"{", JsonError::UnexpectedEnd),
        (b"{\"a\"", JsonError::UnexpectedEnd),
        (b"{\"a\":", JsonError::UnexpectedEnd),
        (b"{\"a\":\"b\"", JsonError::UnexpectedEnd),
        (b"{\"a\":\"b\",}", JsonError::Unexpected { at: 9 }),
        (b"{\"a\" \"b\"}", JsonError::Unexpected { at: 5 }),
        (b"{\"a\":\"b\"} x", JsonError::Unexpected { at: 10 }),
        (b"{a:\"b\"}", JsonError::Unexpected { at: 1 }),
        (b"{\"a\":\"\\x\"}", JsonError::BadEscape { at: 6 }),
        (b"{\"a\":\"\\u12G4\"}", JsonError::BadEscape { at: 6 }),
        (b"{\"a\":\"\\u12", JsonError::UnexpectedEnd),
        (b"{\"a\":\"tab\there\"}", JsonError::Unexpected { at: 9 }),
        (b"{\"a\":01}", JsonError::Unexpected { at: 6 }),
        (b"{\"a\":-}", JsonError::Unexpected { at: 6 }),
        (b"{\"a\":1.}", JsonError::Unexpected { at: 7 }),
        (b"{\"a\":1e}", JsonError::Unexpected { at: 7 }),
        (b"{\"a\":tru}", JsonError::Unexpected { at: 5 }),
        (b"{\"a\":nul", JsonError::UnexpectedEnd),
        (b"{\"a\":[1,]}", JsonError::Unexpected { at: 8 }),
        (b"{\"a\":{1:2}}", JsonError::Unexpected { at: 6 }),
        (b"{\"a\":\"\xff\"}", JsonError::NotUtf8),
    ];
    for (input, want) in cases {
        assert_eq!(
            string_members(input),
            Err(*want),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn nesting_is_bounded() {
    let ok = format!(
        "{{\"a\":{}{}}}",
        "[".repeat(MAX_DEPTH - 1),
        "]".repeat(MAX_DEPTH - 1)
    );
    assert_eq!(members(&ok).unwrap(), vec![]);
    let deep = format!(
        "{{\"a\":{}{}}}",
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    );
    assert_eq!(members(&deep), Err(JsonError::TooDeep));
    // Far too deep must fail cleanly, not overflow the stack.
    let huge = format!("{{\"a\":{}", "[".repeat(100_000));
    assert_eq!(members(&huge), Err(JsonError::TooDeep));
}

/// [`write_str_bytes`] into a `String`, checking [`str_len`].
fn write_str(out: &mut String, s: &str) {
    let mut bytes = Vec::new();
    write_str_bytes(&mut bytes, s);
    assert_eq!(bytes.len(), str_len(s));
    out.push_str(core::str::from_utf8(&bytes).unwrap());
}

#[test]
fn tracked_logs_reads_the_logs_list_and_skips_the_rest() {
    let body = br#"{"__topic__":{"x":[1]}, "__logs__" : [ {"a":"1","b":"\n"}, {} ],"__tags__":{}}"#;
    assert_eq!(
        tracked_logs(body).unwrap(),
        vec![vec![pair("a", "1"), pair("b", "\n")], vec![]]
    );
    assert_eq!(
        tracked_logs(br#"{"__logs__":[]}"#).unwrap(),
        Vec::<Vec<_>>::new()
    );
    assert!(
        tracked_logs(br#"{"__logs__":[{"a":1}]}"#).is_err(),
        "values are strings"
    );
    assert!(
        tracked_logs(br#"{"__logs__":[{"a":"1"}]"#).is_err(),
        "unclosed"
    );
    assert!(tracked_logs(b"[]").is_err());
}

#[test]
fn writer_escapes_exactly_what_json_requires() {
    let mut out = String::new();
    write_str(&mut out, "a\"b\\c/\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f} é😀");
    assert_eq!(
        out,
        "\"a\\\"b\\\\c/\\n\\r\\t\\b\\f\\u0000\\u001f\u{7f} é😀\""
    );
    let mut empty = String::new();
    write_str(&mut empty, "");
    assert_eq!(empty, "\"\"");
}

proptest! {
    #[test]
    fn write_then_read_round_trips(
        fields in proptest::collection::vec((any::<String>(), any::<String>()), 0..6)
    ) {
        let mut doc = String::from("{");
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                doc.push_str(" ,\n");
            }
            write_str(&mut doc, k);
            doc.push_str(" : ");
            write_str(&mut doc, v);
        }
        doc.push('}');
        prop_assert_eq!(members(&doc).unwrap(), fields);
    }

    #[test]
    fn any_log_reads_back_from_a_tracking_body(
        fields in proptest::collection::vec((any::<String>(), any::<String>()), 0..6)
    ) {
        let mut doc = String::from("{\"__logs__\":[{");
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                doc.push(',');
            }
            write_str(&mut doc, k);
            doc.push(':');
            write_str(&mut doc, v);
        }
        doc.push_str("}]}");
        prop_assert_eq!(tracked_logs(doc.as_bytes()).unwrap(), vec![fields]);
    }

    #[test]
    fn escaped_unicode_reads_back_as_the_character(c in any::<char>()) {
        let mut units = [0u16; 2];
        let mut esc = String::new();
        for u in c.encode_utf16(&mut units) {
            esc.push_str(&format!("\\u{u:04X}"));
        }
        let doc = format!("{{\"k\":\"{esc}\"}}");
        prop_assert_eq!(members(&doc).unwrap(), vec![pair("k", &c.to_string())]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = string_members(&bytes);
    }

    #[test]
    fn near_json_never_panics(s in r#"[{}\[\]",:\\u0-9a-fA-Ftrunl.eE+\- ]{0,40}"#) {
        let _ = members(&s);
    }
}
