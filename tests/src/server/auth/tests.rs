//! The server's signature checks against vectors of the official SDKs (Go and Python), and
//! against requests the client signs, tampered with in every way that must be refused.

use proptest::prelude::*;
use sls_producer_core::credentials::{Credentials, Secret};
use sls_producer_core::protocol::sign::{
    DateHeader, SignatureVersion, SigningConfig, sign_request,
};
use sls_producer_core::rt::UnixTime;
use sls_producer_core::rt::{Bytes, HttpRequest, Method, Scheme};

use super::authorization::Authorization;
use super::digest::{md5_hex, sha256_hex};
use super::verify::{Refusal, Verified, verify};
use super::{verify_v1, verify_v4};
use crate::server::depth::Depth;

/// The official SDKs' vectors, the same file the client's signing tests use.
#[path = "../../../../core/src/protocol/sign/vectors.rs"]
mod vectors;
use vectors::{go_v1, go_v4, put_logs, python};

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn deep(
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
    secret_of: impl FnOnce(&str) -> Option<Secret>,
) -> Result<Verified, Refusal> {
    verify(
        method,
        path_and_query,
        headers,
        body,
        Depth::Deep,
        secret_of,
    )
}

fn key(id: &'static str, secret: &'static str) -> impl Fn(&str) -> Option<Secret> {
    move |asked| (asked == id).then(|| Secret::new(secret))
}

/// `headers` and an `Authorization` header.
fn with_authorization(headers: &[(&str, &str)], authorization: &str) -> Vec<(String, String)> {
    let mut out = h(headers);
    out.push(("Authorization".into(), authorization.into()));
    out
}

#[test]
fn v1_go_vector() {
    let headers = with_authorization(
        &go_v1::HEADERS,
        &format!("LOG {}:{}", go_v1::ACCESS_KEY_ID, go_v1::SIGNATURE),
    );
    assert_eq!(
        verify_v1::string_to_sign("GET", "/logstores", &headers),
        go_v1::STRING_TO_SIGN
    );
    let v = deep(
        "GET",
        "/logstores",
        &headers,
        b"",
        key(go_v1::ACCESS_KEY_ID, go_v1::ACCESS_KEY_SECRET),
    )
    .unwrap();
    assert_eq!(v.date, UnixTime::from_secs(1_262_507_627));
    assert_eq!(
        deep(
            "GET",
            "/logstores",
            &headers,
            b"",
            key(go_v1::ACCESS_KEY_ID, "mockAccessKeySecreT")
        ),
        Err(Refusal::SignatureMismatch)
    );
}

#[test]
fn v1_go_vector_with_body() {
    let body = go_v1::BODY;
    let mut headers = with_authorization(
        &go_v1::BODY_HEADERS,
        &format!("LOG {}:{}", go_v1::ACCESS_KEY_ID, go_v1::BODY_SIGNATURE),
    );
    headers.push(("Content-MD5".into(), md5_hex(&body)));
    let secret = key(go_v1::ACCESS_KEY_ID, go_v1::ACCESS_KEY_SECRET);
    let path = go_v1::BODY_PATH;
    assert!(deep("GET", path, &headers, &body, &secret).is_ok());
    assert_eq!(
        deep("GET", path, &headers, &body[1..], &secret),
        Err(Refusal::BodyDigestMismatch)
    );
}

#[test]
fn v1_python_capture() {
    let headers = h(&python::HEADERS);
    let pq = python::PATH;
    assert_eq!(
        verify_v1::string_to_sign("POST", pq, &headers),
        python::STRING_TO_SIGN
    );
    assert_eq!(
        verify_v1::sign(python::ACCESS_KEY_SECRET, python::STRING_TO_SIGN),
        python::SIGNATURE
    );
    let secret = key(python::ACCESS_KEY_ID, python::ACCESS_KEY_SECRET);
    // The body was not captured: trust its Content-MD5, as for a shallow check.
    let v = verify("POST", pq, &headers, b"x", Depth::Shallow, &secret).unwrap();
    assert_eq!(
        v,
        Verified {
            access_key_id: python::ACCESS_KEY_ID.into(),
            version: SignatureVersion::V1,
            region: None,
            date: UnixTime::from_secs(python::UNIX_TIME),
            security_token: None,
        }
    );
    assert_eq!(
        deep("POST", pq, &headers, b"x", &secret),
        Err(Refusal::BodyDigestMismatch)
    );
    let mut altered = headers.clone();
    altered.retain(|(n, _)| n != "x-log-bodyrawsize");
    altered.push(("x-log-bodyrawsize".into(), "150".into()));
    assert_eq!(
        verify("POST", pq, &altered, b"x", Depth::Shallow, &secret),
        Err(Refusal::SignatureMismatch)
    );
}

#[test]
fn v1_string_to_sign_rules() {
    let headers = h(&[
        (" X-Log-B ", "  two "),
        ("x-acs-security-token", "tok"),
        ("X-LOG-DATE", "Wed, 25 Nov 2026 01:40:30 GMT"),
        ("x-log-a", "one"),
        ("x-logz", "not signed"),
        ("content-type", "text/plain"),
    ]);
    // Without Date, x-log-date is the date, and it is never a canonical header.
    assert_eq!(
        verify_v1::string_to_sign("POST", "/x", &headers),
        "POST\n\ntext/plain\nWed, 25 Nov 2026 01:40:30 GMT\n\
         x-acs-security-token:tok\nx-log-a:one\nx-log-b:two\n/x"
    );
    let resource = |pq| {
        let s = verify_v1::string_to_sign("GET", pq, &[]);
        s.rsplit('\n').next().unwrap().to_owned()
    };
    assert_eq!(resource("/logstores/app?"), "/logstores/app");
    assert_eq!(
        resource(
            "/logstores/app/shards/route?processor=my+proc%2F1&key=f4000000000000000000000000000000"
        ),
        "/logstores/app/shards/route?key=f4000000000000000000000000000000&processor=my proc/1"
    );
    assert_eq!(
        resource("/p?b=2&&a&c=%zz&d=%E4%B8%AD"),
        "/p?a=&b=2&c=%zz&d=中"
    );
}

/// The Go v4 suite's headers for a body whose hash is `payload`, signed as `authorization`.
fn go_v4_headers(payload: &str, authorization: &str) -> Vec<(String, String)> {
    let mut headers = h(&go_v4::HEADERS);
    headers.push(("x-log-content-sha256".into(), payload.into()));
    headers.push(("Content-Length".into(), "16".into()));
    headers.push(("Authorization".into(), authorization.into()));
    headers
}

/// Go builds the query with `url.Values.Encode`: keys sorted, form-encoded.
fn go_query(params: &[(&str, &str)]) -> String {
    let form = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b' ' => "+".to_owned(),
                b if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) => char::from(b).to_string(),
                b => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let mut sorted = params.to_vec();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", form(k), form(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Every v4 vector of the Go SDK, verified: query encoding, unsigned headers, `*`, `+`,
/// `~` and `/` in paths and parameters, an empty body, another method.
#[test]
fn v4_go_vectors() {
    let secret = key(go_v4::ACCESS_KEY_ID, go_v4::ACCESS_KEY_SECRET);
    for case in &go_v4::CASES {
        let mut params = go_v4::PARAMS.to_vec();
        if case.more {
            params.extend(go_v4::MORE_PARAMS);
        }
        let (method, uri) = (case.method, format!("{}?{}", case.path, go_query(&params)));
        let body: &[u8] = if case.body { go_v4::BODY } else { b"" };
        let authorization = format!(
            "SLS4-HMAC-SHA256 Credential={}/20220808/{}/sls/aliyun_v4_request,Signature={}",
            go_v4::ACCESS_KEY_ID,
            go_v4::REGION,
            case.signature
        );
        let headers = go_v4_headers(&sha256_hex(body), &authorization);
        let v = deep(method, &uri, &headers, body, &secret)
            .unwrap_or_else(|e| panic!("{method} {uri}: {e:?}"));
        assert_eq!(v.version, SignatureVersion::V4);
        assert_eq!(v.region.as_deref(), Some(go_v4::REGION));
        assert_eq!(v.date, UnixTime::from_secs(go_v4::UNIX_TIME));
        let other = if method == "GET" { "POST" } else { "GET" };
        assert_eq!(
            deep(other, &uri, &headers, body, &secret),
            Err(Refusal::SignatureMismatch)
        );
    }
}

/// Spec §6.4 (Go TestSignV4Case2): only the headers the signer adds.
#[test]
fn v4_go_vector_case_2() {
    let region = go_v4::CASE_2_REGION;
    let authorization = format!(
        "SLS4-HMAC-SHA256 Credential={}/20220808/{region}/sls/aliyun_v4_request,Signature={}",
        go_v4::ACCESS_KEY_ID,
        go_v4::CASE_2_SIGNATURE
    );
    let headers = h(&[
        ("x-log-date", go_v4::DATE_TIME),
        ("x-log-content-sha256", &sha256_hex(go_v4::BODY)),
        ("authorization", &authorization),
    ]);
    let canonical = verify_v4::canonical_request("POST", "/logstores", &headers);
    assert_eq!(
        verify_v4::sign(
            go_v4::ACCESS_KEY_SECRET,
            "20220808",
            region,
            &verify_v4::string_to_sign(go_v4::DATE_TIME, "20220808", region, &canonical)
        ),
        go_v4::CASE_2_SIGNATURE
    );
    let secret = key(go_v4::ACCESS_KEY_ID, go_v4::ACCESS_KEY_SECRET);
    assert!(deep("POST", "/logstores", &headers, go_v4::BODY, &secret).is_ok());
}

#[test]
fn v4_canonical_request_rules() {
    let headers = h(&[
        ("Host", "proj.cn-hangzhou.log.aliyuncs.com"),
        ("Content-Type", "application/x-protobuf"),
        ("x-log-meta-foo", "not signed"),
        ("x-log-bodyrawsize", " 12 "),
        ("x-log-content-sha256", "PAYLOAD"),
        ("user-agent", "not signed"),
    ]);
    assert_eq!(
        verify_v4::canonical_request(
            "POST",
            "/logstores/app/shards/route?key=ab&processor=a%20b%2Bc&empty=",
            &headers,
        ),
        "POST\n/logstores/app/shards/route\nempty&key=ab&processor=a%20b%2Bc\n\
         content-type:application/x-protobuf\nhost:proj.cn-hangzhou.log.aliyuncs.com\n\
         x-log-bodyrawsize:12\nx-log-content-sha256:PAYLOAD\n\
         \ncontent-type;host;x-log-bodyrawsize;x-log-content-sha256\nPAYLOAD"
    );
    let first_lines = |pq| {
        let c = verify_v4::canonical_request("GET", pq, &[]);
        c.split('\n').take(3).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(
        first_lines("/logstores/hello/a+*~bb/cc"),
        "GET\n/logstores/hello/a%2B%2A~bb/cc\n"
    );
    // An escaped path is decoded first, so both spellings sign the same.
    assert_eq!(first_lines("/a%20b/%7Ec"), "GET\n/a%20b/~c\n");
    assert_eq!(first_lines("/a b/~c"), "GET\n/a%20b/~c\n");
    assert_eq!(
        first_lines("/p?+b+=+x+&a=1&c&%2A=%2f"),
        "GET\n/p\n%2A=%2F&a=1&b=x&c"
    );
    // Without the payload header, the empty body's hash.
    assert!(verify_v4::canonical_request("GET", "/", &[]).ends_with(&sha256_hex(b"")));
}

fn put_logs_like(body: &'static [u8]) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        scheme: Scheme::Http,
        authority: "127.0.0.1".into(),
        path_and_query: put_logs::PATH.into(),
        headers: put_logs::HEADERS
            .into_iter()
            .map(|(n, v)| (n.into(), v.into()))
            .collect(),
        body: Bytes::from_static(body),
    }
}

fn headers_of(req: &HttpRequest) -> Vec<(String, String)> {
    req.headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect()
}

/// Requests the client signs verify; each change to a signed part is refused with the
/// refusal SLS gives it; unsigned headers may change.
#[test]
fn client_signed_requests_and_each_kind_of_tampering() {
    let creds = Credentials::new("id", "secret");
    let secret = key("id", "secret");
    for config in [SigningConfig::v1(), SigningConfig::v4("cn-hangzhou")] {
        let v4 = config.version == SignatureVersion::V4;
        let mut req = put_logs_like(b"body");
        let digest = config.digest(&req.body);
        let t = UnixTime::from_secs(1_700_000_000);
        sign_request(&mut req, &creds, &config, t, &digest).unwrap();
        let pq = req.path_and_query.clone();
        let headers = headers_of(&req);
        let ok = deep("POST", &pq, &headers, &req.body, &secret).unwrap();
        assert_eq!(ok.access_key_id, "id");
        assert_eq!(ok.date, t);
        assert_eq!(ok.version, config.version);
        assert_eq!(ok.region.as_deref(), v4.then_some("cn-hangzhou"));

        let with = |name: &str, value: Option<&str>| {
            let mut hs: Vec<(String, String)> = headers
                .iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
                .cloned()
                .collect();
            if let Some(v) = value {
                hs.push((name.into(), v.into()));
            }
            hs
        };
        let check = |pq: &str, headers: &[(String, String)], body: &[u8]| {
            deep("POST", pq, headers, body, &secret)
        };
        let mismatch = Err(Refusal::SignatureMismatch);
        assert_eq!(deep("GET", &pq, &headers, &req.body, &secret), mismatch);
        assert_eq!(
            check("/logstores/other/shards/lb", &headers, &req.body),
            mismatch
        );
        assert_eq!(
            check(&pq, &headers, b"bodz"),
            Err(Refusal::BodyDigestMismatch)
        );
        for (name, value) in [
            ("x-log-bodyrawsize", Some("152")),
            ("x-log-compresstype", None),
            ("x-log-apiversion", Some("0.6.1")),
            ("content-type", Some("application/json")),
            ("x-acs-security-token", Some("added")),
        ] {
            assert_eq!(
                check(&pq, &with(name, value), &req.body),
                mismatch,
                "{config:?} {name}"
            );
        }
        assert_eq!(
            check(&pq, &with("authorization", None), &req.body),
            Err(Refusal::MissingAuthorization)
        );
        let malformed = if v4 {
            "SLS4-HMAC-SHA256 Credential=id/20231114/cn-hangzhou/sls/aliyun_v4_request,Signature=zz"
        } else {
            "LOG id:!!notbase64"
        };
        assert_eq!(
            check(&pq, &with("authorization", Some(malformed)), &req.body),
            Err(Refusal::MalformedAuthorization)
        );
        // Unsigned headers may change freely.
        assert!(check(&pq, &with("user-agent", Some("other")), &req.body).is_ok());
        // v1 signs every x-log- header, v4 not x-log-meta-*.
        assert_eq!(
            check(&pq, &with("x-log-meta-x", Some("1")), &req.body).is_ok(),
            v4
        );
        assert_eq!(
            deep("POST", &pq, &headers, &req.body, |_| Some(Secret::new(
                "wrong"
            ))),
            mismatch
        );
        assert_eq!(
            deep("POST", &pq, &headers, &req.body, |_| None),
            Err(Refusal::UnknownAccessKey)
        );
        if v4 {
            assert_eq!(
                check(&pq, &with("x-log-date", None), &req.body),
                Err(Refusal::MissingDate)
            );
            // Not the scope's day.
            assert_eq!(
                check(
                    &pq,
                    &with("x-log-date", Some("20231115T221320Z")),
                    &req.body
                ),
                Err(Refusal::InvalidDate)
            );
            assert_eq!(
                check(
                    &pq,
                    &with("x-log-date", Some("2023-11-14T22:13:20Z")),
                    &req.body
                ),
                Err(Refusal::InvalidDate)
            );
            assert_eq!(
                check(
                    &pq,
                    &with("x-log-date", Some("20231114T221321Z")),
                    &req.body
                ),
                mismatch
            );
            assert_eq!(
                check(&pq, &with("x-log-content-sha256", None), &req.body),
                Err(Refusal::MissingBodyDigest)
            );
            assert_eq!(
                check(&pq, &with("host", Some("evil.example")), &req.body),
                mismatch
            );
        } else {
            assert_eq!(
                check(&pq, &with("date", None), &req.body),
                Err(Refusal::MissingDate)
            );
            assert_eq!(
                check(&pq, &with("date", Some("yesterday")), &req.body),
                Err(Refusal::InvalidDate)
            );
            assert_eq!(
                check(
                    &pq,
                    &with("date", Some("Tue, 14 Nov 2023 22:13:21 GMT")),
                    &req.body
                ),
                mismatch
            );
            assert_eq!(
                check(&pq, &with("content-md5", None), &req.body),
                Err(Refusal::MissingBodyDigest)
            );
            // Without a body no Content-MD5 is needed, but this one was signed.
            assert_eq!(
                deep("POST", &pq, &with("content-md5", None), b"", &secret),
                mismatch
            );
        }
    }
}

#[test]
fn shallow_checks_need_the_digest_header_but_trust_it() {
    for config in [SigningConfig::v1(), SigningConfig::v4("cn-hangzhou")] {
        let mut req = put_logs_like(b"body");
        let digest = config.digest(&req.body);
        let creds = Credentials::new("id", "secret");
        sign_request(&mut req, &creds, &config, UnixTime::EPOCH, &digest).unwrap();
        let headers = headers_of(&req);
        let shallow = |headers: &[(String, String)], body: &[u8]| {
            verify(
                "POST",
                &req.path_and_query,
                headers,
                body,
                Depth::Shallow,
                key("id", "secret"),
            )
        };
        assert!(shallow(&headers, b"another body").is_ok(), "{config:?}");
        let digest_header = if config.version == SignatureVersion::V4 {
            "x-log-content-sha256"
        } else {
            "content-md5"
        };
        let without: Vec<_> = headers
            .iter()
            .filter(|(n, _)| n != digest_header)
            .cloned()
            .collect();
        assert_eq!(
            shallow(&without, &req.body),
            Err(Refusal::MissingBodyDigest)
        );
    }
}

#[test]
fn browser_style_v1_dates_and_sts_tokens() {
    let creds = Credentials::new("id", "secret").with_security_token("STS-TOKEN");
    let config = SigningConfig::v1().with_date_header(DateHeader::XLogDate);
    let mut req = put_logs_like(b"body");
    let digest = config.digest(&req.body);
    let t = UnixTime::from_secs(1_795_570_830);
    sign_request(&mut req, &creds, &config, t, &digest).unwrap();
    let v = deep(
        "POST",
        &req.path_and_query,
        &headers_of(&req),
        &req.body,
        key("id", "secret"),
    )
    .unwrap();
    assert_eq!(v.date, t);
    assert_eq!(
        v.security_token.as_ref().map(Secret::expose),
        Some("STS-TOKEN")
    );
}

#[test]
fn authorization_of_a_signed_request_parses() {
    let mut req = put_logs_like(b"");
    let config = SigningConfig::v4("cn-test");
    let digest = config.digest(&req.body);
    sign_request(
        &mut req,
        &Credentials::new("AK", "s"),
        &config,
        UnixTime::from_secs(1_795_570_830),
        &digest,
    )
    .unwrap();
    let auth = Authorization::parse(req.header("authorization").unwrap()).unwrap();
    assert!(matches!(
        auth,
        Authorization::V4 {
            access_key_id: "AK",
            date: "20261125",
            region: "cn-test",
            ..
        }
    ));
}

proptest! {
    /// Whatever the client signs verifies here, and no other body or secret does.
    #[test]
    fn client_signed_requests_verify_and_any_body_change_is_caught(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        shard_key in "[0-9a-f]{0,32}",
        processor in "\\PC{0,12}",
        secret in "\\PC{1,40}",
        token in proptest::option::of("[A-Za-z0-9+/=]{1,60}"),
        secs in 0u64..4_102_444_800,
        v4 in any::<bool>(),
        x_log_date in any::<bool>(),
        flip in any::<prop::sample::Index>(),
    ) {
        use sls_producer_core::protocol::endpoint::Endpoint;
        use sls_producer_core::protocol::request::{PreparedBody, PutLogsTarget, put_logs_request};

        let version = if v4 { SignatureVersion::V4 } else { SignatureVersion::V1 };
        let config = if v4 { SigningConfig::v4("cn-hangzhou") } else { SigningConfig::v1() }
            .with_date_header(if x_log_date { DateHeader::XLogDate } else { DateHeader::Date });
        let target = PutLogsTarget::logstore("proj", "app")
            .unwrap()
            .with_shard_key(&shard_key)
            .with_processor(&processor);
        let prepared = PreparedBody::from_parts(
            Bytes::from(body.clone()),
            body.len(),
            sls_producer_core::config::Compression::None,
            version,
        );
        let endpoint = Endpoint::parse("http://127.0.0.1:1").unwrap();
        let mut req = put_logs_request(&endpoint, &target, &prepared, "");
        let mut creds = Credentials::new("AKID", secret.as_str());
        if let Some(t) = &token {
            creds = creds.with_security_token(t.as_str());
        }
        sign_request(&mut req, &creds, &config, UnixTime::from_secs(secs), prepared.digest().unwrap()).unwrap();
        let headers = headers_of(&req);
        let lookup = |id: &str| (id == "AKID").then(|| Secret::new(secret.as_str()));
        let v = deep("POST", &req.path_and_query, &headers, &req.body, lookup).unwrap();
        prop_assert_eq!(v.date, UnixTime::from_secs(secs));
        prop_assert_eq!(v.version, version);
        prop_assert_eq!(v.security_token.as_ref().map(Secret::expose), token.as_deref());
        if !body.is_empty() {
            let mut changed = body.clone();
            changed[flip.index(body.len())] ^= 0x80;
            prop_assert_eq!(
                deep("POST", &req.path_and_query, &headers, &changed, lookup),
                Err(Refusal::BodyDigestMismatch)
            );
        }
        let wrong = format!("{secret}x");
        prop_assert_eq!(
            deep("POST", &req.path_and_query, &headers, &req.body, |_| Some(Secret::new(wrong.as_str()))),
            Err(Refusal::SignatureMismatch)
        );
    }
}
