use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::credentials::Credentials;
use crate::protocol::compress::{self, Compression};
use crate::protocol::endpoint::Endpoint;
use crate::protocol::http::{Bytes, HeaderName, HttpRequest, Method, Scheme};
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
        body.digest(),
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
        body.digest(),
    )
    .unwrap();
    assert_eq!(req.header("x-log-date"), Some("20060102T150405Z"));
    assert!(req.header("authorization").unwrap().starts_with(
        "SLS4-HMAC-SHA256 Credential=id/20060102/cn-hangzhou/sls/aliyun_v4_request,Signature="
    ));
    assert_eq!(
        req.header("x-log-content-sha256"),
        Some(body.digest().hex())
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

#[test]
fn track_body_json() {
    let mut b = TrackBody::new("my \"topic\"", "");
    assert!(b.is_empty());
    b.push_log([("k", "v"), ("path", "/a\\b\n")]);
    b.push_log(Vec::<(String, String)>::new());
    b.push_log([("中文".to_string(), "\u{1}".to_string())]);
    assert_eq!(b.log_count(), 3);
    let before = b.byte_len();
    let json = b.finish([("env", "prod")]);
    assert!(json.len() > before);
    assert_eq!(
        json,
        r#"{"__topic__":"my \"topic\"","__source__":"","__logs__":[{"k":"v","path":"/a\\b\n"},{},{"中文":"\u0001"}],"__tags__":{"env":"prod"}}"#
    );
    let empty = TrackBody::new("", "src").finish(core::iter::empty::<(&str, &str)>());
    assert_eq!(
        empty,
        r#"{"__topic__":"","__source__":"src","__logs__":[],"__tags__":{}}"#
    );
}

#[test]
fn web_tracking_requests() {
    let json = TrackBody::new("t", "s").finish([("a", "b")]);
    let len = json.len().to_string();
    let body = Bytes::from(json);
    let req = web_tracking_request(
        &ep(PUBLIC),
        "proj",
        "web_log",
        body.clone(),
        TrackStyle::Headers,
    )
    .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url(),
        "https://proj.cn-hangzhou.log.aliyuncs.com/logstores/web_log/track"
    );
    let expected: Vec<(HeaderName, String)> = vec![
        ("host".into(), "proj.cn-hangzhou.log.aliyuncs.com".into()),
        ("content-type".into(), "application/json".into()),
        ("x-log-apiversion".into(), "0.6.0".into()),
        ("x-log-bodyrawsize".into(), len),
    ];
    assert_eq!(req.headers, expected);
    assert_eq!(req.body, body);

    let req = web_tracking_request(
        &ep("http://127.0.0.1:8080"),
        "proj",
        "web_log",
        body.clone(),
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
    assert!(
        !req.headers.iter().any(|(n, _)| n.starts_with("x-")),
        "CORS-simple: no custom headers"
    );

    assert_eq!(
        web_tracking_request(&ep(PUBLIC), "proj", "Bad", body, TrackStyle::Headers)
            .unwrap_err()
            .kind,
        NameKind::Logstore
    );
    assert_eq!(format!("{:?}", TrackStyle::default()), "Headers");
}
