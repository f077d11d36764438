use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::credentials::Credentials;
use crate::protocol::compress::{self, Compression};
use crate::protocol::endpoint::Endpoint;
use crate::protocol::http::{Bytes, HeaderName, HttpRequest, Method, Scheme};
use crate::protocol::proto::Log;
use crate::protocol::sign::{SignatureVersion, SigningConfig, content_md5_hex, sign_request};
use crate::protocol::time::UnixTime;

const PUBLIC: &str = "cn-hangzhou.log.aliyuncs.com";
const RAW: &[u8] = b"\x0a\x0e\x08\x80\xe2\xcf\xaa\x06\x12\x06\x0a\x01k\x12\x01v\x1a\x00\x22\x00";

fn ep(s: &str) -> Endpoint {
    Endpoint::parse(s).unwrap()
}

fn names(req: &HttpRequest) -> Vec<&str> {
    req.headers.iter().map(|(n, _)| n.as_ref()).collect()
}

fn prepared(c: Compression) -> PreparedBody {
    PreparedBody::new(c, RAW, SignatureVersion::V1).unwrap()
}

#[test]
fn plain_logstore_request() {
    let target = PutLogsTarget::logstore("proj", "app").unwrap();
    let body = prepared(Compression::Lz4);
    let req = put_logs_request(&ep(PUBLIC), &target, &body, "my-agent/1.0");
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.scheme, Scheme::Https);
    assert_eq!(req.authority, "proj.cn-hangzhou.log.aliyuncs.com");
    assert_eq!(req.path_and_query, "/logstores/app");
    let expected: Vec<(HeaderName, String)> = vec![
        ("host".into(), "proj.cn-hangzhou.log.aliyuncs.com".into()),
        ("content-type".into(), "application/x-protobuf".into()),
        ("user-agent".into(), "my-agent/1.0".into()),
        ("x-log-apiversion".into(), "0.6.0".into()),
        ("x-log-bodyrawsize".into(), "20".into()),
        ("x-log-compresstype".into(), "lz4".into()),
    ];
    assert_eq!(req.headers, expected);
    assert_eq!(req.body, *body.body());
    assert_eq!(
        req.url(),
        "https://proj.cn-hangzhou.log.aliyuncs.com/logstores/app"
    );
}

#[test]
fn routing_and_processor_queries() {
    let key = "f4000000000000000000000000000000";
    let t = PutLogsTarget::logstore("proj", "app").unwrap();
    let cases = [
        (t, "/logstores/app"),
        (t.with_shard_key(""), "/logstores/app"),
        (t.with_processor(""), "/logstores/app"),
        (
            t.with_shard_key(key),
            "/logstores/app/shards/route?key=f4000000000000000000000000000000",
        ),
        (
            t.with_processor("my proc/1"),
            "/logstores/app?processor=my+proc%2F1",
        ),
        (
            t.with_processor("p").with_shard_key(key),
            "/logstores/app/shards/route?key=f4000000000000000000000000000000&processor=p",
        ),
        (
            t.with_shard_key("a&b=c"),
            "/logstores/app/shards/route?key=a%26b%3Dc",
        ),
    ];
    for (target, want) in cases {
        assert_eq!(target.path_and_query(), want);
        let req = put_logs_request(&ep(PUBLIC), &target, &prepared(Compression::None), "");
        assert_eq!(req.path_and_query, want);
    }
    assert_eq!(t.with_shard_key(key).shard_key(), Some(key));
    assert_eq!(t.with_processor("p").processor(), Some("p"));
}

#[test]
fn metricstore_path_ignores_key_and_processor_and_forces_lz4() {
    let t = PutLogsTarget::metricstore("proj", "metrics")
        .unwrap()
        .with_shard_key("f4000000000000000000000000000000")
        .with_processor("p");
    assert!(t.is_metricstore());
    assert_eq!(t.path_and_query(), "/prometheus/proj/metrics/api/v1/write");
    assert_eq!((t.shard_key(), t.processor()), (None, None));
    for c in [Compression::Lz4, Compression::Zstd, Compression::None] {
        assert_eq!(t.compression(c), Compression::Lz4);
    }
    let logstore = PutLogsTarget::logstore("proj", "app").unwrap();
    assert_eq!(logstore.compression(Compression::None), Compression::None);
    assert!(PutLogsTarget::metricstore("proj", "Metrics").is_err());
}

#[test]
fn uncompressed_body_omits_compresstype_and_raw_size_is_body_len() {
    let raw = Bytes::from_static(RAW);
    let body = PreparedBody::from_parts(
        raw.clone(),
        RAW.len(),
        Compression::None,
        SignatureVersion::V1,
    );
    assert_eq!(body.body().as_ptr(), raw.as_ptr(), "no copy");
    let t = PutLogsTarget::logstore("proj", "app").unwrap();
    let req = put_logs_request(&ep(PUBLIC), &t, &body, "");
    assert_eq!(req.header("x-log-compresstype"), None);
    assert_eq!(req.header("x-log-bodyrawsize"), Some("20"));
    assert_eq!(req.body.len(), 20);
    assert_eq!(req.header("user-agent"), Some(DEFAULT_USER_AGENT));
    assert!(DEFAULT_USER_AGENT.starts_with("sls-producer-rs/"));
}

#[test]
fn compressed_bodies_decode_back_given_bodyrawsize() {
    let mut compressions = vec![Compression::Lz4, Compression::None];
    if Compression::Zstd.is_supported() {
        compressions.push(Compression::Zstd);
    }
    let raw: Vec<u8> = RAW.iter().copied().cycle().take(5000).collect();
    for c in compressions {
        let body = PreparedBody::new(c, &raw, SignatureVersion::V1).unwrap();
        let req = put_logs_request(
            &ep(PUBLIC),
            &PutLogsTarget::logstore("proj", "app").unwrap(),
            &body,
            "",
        );
        assert_eq!(req.header("x-log-compresstype"), c.header_value());
        let raw_size: usize = req.header("x-log-bodyrawsize").unwrap().parse().unwrap();
        assert_eq!(raw_size, 5000);
        assert_eq!(compress::decompress(c, &req.body, raw_size).unwrap(), raw);
        if c == Compression::Lz4 {
            assert!(req.body.len() < raw.len());
            // A raw block: lz4_flex's own block decoder reads it.
            assert_eq!(
                lz4_flex::block::decompress(&req.body, raw_size).unwrap(),
                raw
            );
        }
    }
}

#[test]
fn signed_request_md5_is_uppercase_over_the_compressed_body() {
    let creds = Credentials::new("id", "secret").with_security_token("tok");
    let body = prepared(Compression::Lz4);
    let t = PutLogsTarget::logstore("proj", "app")
        .unwrap()
        .with_shard_key("f4000000000000000000000000000000");
    let mut req = put_logs_request(&ep(PUBLIC), &t, &body, "");
    sign_request(
        &mut req,
        &creds,
        &SigningConfig::v1(),
        UnixTime::from_secs(1_136_214_245),
        body.digest().unwrap(),
    )
    .unwrap();
    let md5 = req.header("content-md5").unwrap();
    assert_eq!(md5, content_md5_hex(body.body()));
    assert_ne!(md5, content_md5_hex(RAW));
    assert_eq!(md5, md5.to_ascii_uppercase());
    assert_eq!(req.header("date"), Some("Mon, 02 Jan 2006 15:04:05 GMT"));
    assert_eq!(req.header("x-acs-security-token"), Some("tok"));
    assert_eq!(
        names(&req),
        [
            "host",
            "content-type",
            "user-agent",
            "x-log-apiversion",
            "x-log-bodyrawsize",
            "x-log-compresstype",
            "date",
            "content-md5",
            "x-log-signaturemethod",
            "x-acs-security-token",
            "authorization"
        ]
    );
    assert!(req.header("authorization").unwrap().starts_with("LOG id:"));

    // v4 over the same target.
    let body = PreparedBody::new(Compression::Lz4, RAW, SignatureVersion::V4).unwrap();
    let mut req = put_logs_request(&ep(PUBLIC), &t, &body, "");
    sign_request(
        &mut req,
        &creds,
        &SigningConfig::v4("cn-hangzhou"),
        UnixTime::from_secs(1_136_214_245),
        body.digest().unwrap(),
    )
    .unwrap();
    assert_eq!(req.header("x-log-date"), Some("20060102T150405Z"));
    assert!(req.header("authorization").unwrap().starts_with(
        "SLS4-HMAC-SHA256 Credential=id/20060102/cn-hangzhou/sls/aliyun_v4_request,Signature="
    ));
    assert_eq!(
        req.header("x-log-content-sha256"),
        Some(body.digest().unwrap().hex())
    );
}

#[test]
fn endpoints_decide_scheme_authority_and_host() {
    let t = PutLogsTarget::logstore("proj", "app").unwrap();
    let body = prepared(Compression::Lz4);
    let cases = [
        (
            PUBLIC,
            Scheme::Https,
            "proj.cn-hangzhou.log.aliyuncs.com",
            "proj.cn-hangzhou.log.aliyuncs.com",
        ),
        (
            "http://cn-hangzhou-intranet.log.aliyuncs.com",
            Scheme::Http,
            "proj.cn-hangzhou-intranet.log.aliyuncs.com",
            "proj.cn-hangzhou-intranet.log.aliyuncs.com",
        ),
        (
            "https://example.com:8443",
            Scheme::Https,
            "proj.example.com:8443",
            "proj.example.com:8443",
        ),
        (
            "http://127.0.0.1:18081",
            Scheme::Http,
            "127.0.0.1:18081",
            "proj.127.0.0.1:18081",
        ),
        (
            "http://localhost:9000",
            Scheme::Http,
            "localhost:9000",
            "proj.localhost:9000",
        ),
    ];
    for (endpoint, scheme, authority, host) in cases {
        let req = put_logs_request(&ep(endpoint), &t, &body, "");
        assert_eq!(
            (req.scheme, req.authority.as_str(), req.header("host")),
            (scheme, authority, Some(host)),
            "{endpoint}"
        );
    }
}

#[test]
fn name_rules() {
    for ok in ["abc", "a-b", "my-project-01", "0ab", &"a".repeat(63)] {
        assert_eq!(validate_project(ok), Ok(()), "{ok}");
    }
    for ok in ["ab", "a_b", "a-b", "app_log-2", "00", &"a".repeat(63)] {
        assert_eq!(validate_logstore(ok), Ok(()), "{ok}");
    }
    let project = |name: &str, reason| InvalidName {
        kind: NameKind::Project,
        name: name.into(),
        reason,
    };
    let logstore = |name: &str, reason| InvalidName {
        kind: NameKind::Logstore,
        name: name.into(),
        reason,
    };
    use InvalidNameReason::*;
    let long = "a".repeat(64);
    let cases = [
        (
            validate_project(""),
            project(
                "",
                Length {
                    len: 0,
                    min: 3,
                    max: 63,
                },
            ),
        ),
        (
            validate_project("ab"),
            project(
                "ab",
                Length {
                    len: 2,
                    min: 3,
                    max: 63,
                },
            ),
        ),
        (
            validate_project(&long),
            project(
                &long,
                Length {
                    len: 64,
                    min: 3,
                    max: 63,
                },
            ),
        ),
        (
            validate_project("a_b"),
            project("a_b", Character { index: 1, ch: '_' }),
        ),
        (
            validate_project("aBc"),
            project("aBc", Character { index: 1, ch: 'B' }),
        ),
        (
            validate_project("ab.c"),
            project("ab.c", Character { index: 2, ch: '.' }),
        ),
        (validate_project("-abc"), project("-abc", Edge)),
        (validate_project("abc-"), project("abc-", Edge)),
        (
            validate_logstore("a"),
            logstore(
                "a",
                Length {
                    len: 1,
                    min: 2,
                    max: 63,
                },
            ),
        ),
        (
            validate_logstore(&long),
            logstore(
                &long,
                Length {
                    len: 64,
                    min: 2,
                    max: 63,
                },
            ),
        ),
        (validate_logstore("_ab"), logstore("_ab", Edge)),
        (validate_logstore("ab-"), logstore("ab-", Edge)),
        (
            validate_logstore("a/b"),
            logstore("a/b", Character { index: 1, ch: '/' }),
        ),
        (
            validate_logstore("a b"),
            logstore("a b", Character { index: 1, ch: ' ' }),
        ),
        (
            validate_logstore("aé"),
            logstore("aé", Character { index: 1, ch: 'é' }),
        ),
        (
            validate_logstore("a?key=x"),
            logstore("a?key=x", Character { index: 1, ch: '?' }),
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, Err(want));
    }
    assert_eq!(
        validate_logstore("App").unwrap_err().to_string(),
        "invalid logstore name \"App\": 'A' at offset 0 is not allowed (use lowercase letters, digits, '-' and '_')"
    );
    assert_eq!(
        validate_project("ab").unwrap_err().to_string(),
        "invalid project name \"ab\": it is 2 characters long; a project name has 3 to 63 \
         (lowercase letters, digits and '-')"
    );
    assert_eq!(
        validate_project("-ab").unwrap_err().to_string(),
        "invalid project name \"-ab\": must start and end with a letter or digit"
    );
    assert_eq!(
        PutLogsTarget::logstore("ab", "app").unwrap_err().kind,
        NameKind::Project
    );
    assert_eq!(
        PutLogsTarget::logstore("abc", "a").unwrap_err().kind,
        NameKind::Logstore
    );
}

fn track_body(topic: &str, source: &str, tags: &[(&str, &str)], logs: &[Log]) -> Vec<u8> {
    let mut b = TrackEncoder::with_buffer(Vec::with_capacity(64));
    for log in logs {
        let before = b.len();
        b.push_log(log);
        assert_eq!(b.len() - before, TrackEncoder::log_entry_len(log));
    }
    let before = b.len();
    let trailer = TrackEncoder::trailer_len(topic, source, tags.iter().copied());
    b.grow_to(before + trailer);
    let capacity = b.capacity();
    let json = b.finish(topic, source, tags.iter().copied());
    let empty = usize::from(logs.is_empty());
    assert_eq!(json.len() - before, trailer + empty, "trailer_len is exact");
    if !logs.is_empty() {
        assert_eq!(json.capacity(), capacity, "finished within the capacity");
    }
    json
}

#[test]
fn track_body_json_escapes_control_and_unicode_characters() {
    let logs = [
        Log::new(1_700_000_000)
            .with_content("k", "v")
            .with_content("path", "/a\\b\n\"q\""),
        Log::new(0),
        Log::new(7)
            .with_content("中文", "\u{1}\u{8}\u{c}\r\t\u{1f}\u{7f}é")
            .with_content("emoji", "😀"),
    ];
    let tags = [("env", "prod"), ("__pack_id__", "AB-1")];
    let json = track_body("my \"topic\"", "", &tags, &logs);
    assert_eq!(
        core::str::from_utf8(&json).unwrap(),
        concat!(
            r#"{"__logs__":[{"__time__":"1700000000","k":"v","path":"/a\\b\n\"q\""},"#,
            r#"{"__time__":"0"},"#,
            r#"{"__time__":"7","中文":"\u0001\b\f\r\t\u001f"#,
            "\u{7f}",
            r#"é","emoji":"😀"}],"#,
            r#""__topic__":"my \"topic\"","__source__":"","#,
            r#""__tags__":{"env":"prod","__pack_id__":"AB-1"}}"#,
        )
    );
    assert_eq!(decode_tracked_logs(&json).unwrap(), logs, "read back");
    let empty = track_body("", "src", &[], &[]);
    assert_eq!(
        core::str::from_utf8(&empty).unwrap(),
        r#"{"__logs__":[],"__topic__":"","__source__":"src","__tags__":{}}"#
    );
    assert_eq!(decode_tracked_logs(&empty).unwrap(), []);
}

#[test]
fn track_entries_written_ahead_are_pushed_as_they_are() {
    let log = Log::new(5).with_content("a", "b");
    let mut entry = Vec::new();
    TrackEncoder::write_entry(log.time(), log.contents(), &mut entry);
    assert_eq!(entry, br#",{"__time__":"5","a":"b"}"#);
    let mut ahead = TrackEncoder::with_buffer(b"old contents".to_vec());
    let mut direct = TrackEncoder::new();
    for _ in 0..2 {
        ahead.push_entry(&entry);
        direct.push_parts(5, [("a", "b")].into_iter());
    }
    assert_eq!(ahead, direct);
    assert_eq!(
        ahead.finish("", "", core::iter::empty::<(&str, &str)>()),
        br#"{"__logs__":[{"__time__":"5","a":"b"},{"__time__":"5","a":"b"}],"__topic__":"","__source__":"","__tags__":{}}"#
    );
    assert_eq!(
        decode_tracked_logs(br#"{"__logs__":[{"a":"b"}]}"#),
        None,
        "not written by the encoder: no __time__"
    );
}

#[test]
fn web_tracking_requests() {
    let log = Log::new(1).with_content("k", "v");
    let json = track_body("t", "s", &[("a", "b")], &[log]);
    let raw_len = json.len();
    let body = PreparedBody::unsigned(Bytes::from(json), raw_len, Compression::None);
    assert_eq!(body.digest(), None, "nothing to sign");
    let req =
        web_tracking_request(&ep(PUBLIC), "proj", "web_log", &body, TrackStyle::Headers).unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url(),
        "https://proj.cn-hangzhou.log.aliyuncs.com/logstores/web_log/track?APIVersion=0.6.0"
    );
    let expected: Vec<(HeaderName, String)> = vec![
        ("host".into(), "proj.cn-hangzhou.log.aliyuncs.com".into()),
        ("content-type".into(), "application/json".into()),
        ("x-log-apiversion".into(), "0.6.0".into()),
        ("x-log-bodyrawsize".into(), raw_len.to_string()),
    ];
    assert_eq!(req.headers, expected);
    assert_eq!(&req.body, body.body());

    let lz4 = PreparedBody::unsigned(Bytes::from_static(b"compressed"), 999, Compression::Lz4);
    let req =
        web_tracking_request(&ep(PUBLIC), "proj", "web_log", &lz4, TrackStyle::Headers).unwrap();
    assert_eq!(req.header("x-log-bodyrawsize"), Some("999"));
    assert_eq!(req.header("x-log-compresstype"), Some("lz4"));
    for signed in [
        "authorization",
        "content-md5",
        "date",
        "x-log-date",
        "x-log-signaturemethod",
    ] {
        assert_eq!(req.header(signed), None, "{signed}");
    }

    let req = web_tracking_request(
        &ep("http://127.0.0.1:8080"),
        "proj",
        "web_log",
        &body,
        TrackStyle::CorsSimple,
    )
    .unwrap();
    assert_eq!(
        req.url(),
        "http://127.0.0.1:8080/logstores/web_log/track?APIVersion=0.6.0"
    );
    let expected: Vec<(HeaderName, String)> = vec![
        ("host".into(), "proj.127.0.0.1:8080".into()),
        ("content-type".into(), "text/plain;charset=UTF-8".into()),
    ];
    assert_eq!(req.headers, expected);

    assert_eq!(
        web_tracking_request(&ep(PUBLIC), "proj", "Bad", &body, TrackStyle::Headers)
            .unwrap_err()
            .kind,
        NameKind::Logstore
    );
    assert_eq!(format!("{:?}", TrackStyle::default()), "Headers");
}
