use alloc::format;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use super::vectors::{go_v1, go_v4, put_logs, python};
use super::*;
use crate::protocol::encoding::{Space, percent_encode_into};
use crate::protocol::http::{Bytes, Method, Scheme};

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

const GO_V4_TIME: UnixTime = UnixTime::from_secs(go_v4::UNIX_TIME);
const PY_TIME: UnixTime = UnixTime::from_secs(python::UNIX_TIME);

/// The `authorization` header `sign_request` must have written, recomputed from the
/// signed request's own headers: the signature covers exactly what is sent.
fn expected_authorization(
    req: &HttpRequest,
    creds: &Credentials,
    config: &SigningConfig,
) -> String {
    let (method, pq, headers) = (req.method.as_str(), &req.path_and_query, &req.headers);
    let id = &creds.access_key_id;
    let secret = creds.access_key_secret.expose();
    match config.version {
        SignatureVersion::V1 => v1::authorization(
            id,
            &v1::sign(secret, &v1::string_to_sign(method, pq, headers)),
        ),
        SignatureVersion::V4 => {
            let region = config.region.as_deref().unwrap();
            let date_time = req.header("x-log-date").unwrap();
            let payload = req.header("x-log-content-sha256").unwrap();
            let canonical = v4::canonical_request(method, pq, headers, payload);
            let to_sign = v4::string_to_sign(date_time, region, &canonical);
            let signature = v4::sign(secret, &date_time[..8], region, &to_sign);
            v4::authorization(id, &date_time[..8], region, &signature)
        }
    }
}

fn request(
    method: Method,
    path_and_query: &str,
    headers: &[(&'static str, &str)],
    body: &'static [u8],
) -> HttpRequest {
    HttpRequest {
        method,
        scheme: Scheme::Https,
        authority: "proj.cn-hangzhou.log.aliyuncs.com".into(),
        path_and_query: path_and_query.into(),
        headers: headers
            .iter()
            .map(|(n, v)| (HeaderName::Borrowed(*n), v.to_string()))
            .collect(),
        body: Bytes::from_static(body),
    }
}

fn count(req: &HttpRequest, name: &str) -> usize {
    req.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .count()
}

#[test]
fn digests_of_known_inputs() {
    assert_eq!(content_md5_hex(b""), "D41D8CD98F00B204E9800998ECF8427E");
    assert_eq!(content_md5_hex(b"abc"), "900150983CD24FB0D6963F7D28E17F72");
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let d = BodyDigest::for_version(SignatureVersion::V4, b"abc");
    assert_eq!(
        (d.version(), d.hex(), d.body_len()),
        (SignatureVersion::V4, &*sha256_hex(b"abc"), 3)
    );
    assert_eq!(
        SigningConfig::v1().digest(b"abc").hex(),
        "900150983CD24FB0D6963F7D28E17F72"
    );
}

#[test]
fn v1_go_vector() {
    let to_sign = v1::string_to_sign("GET", "/logstores", &h(&go_v1::HEADERS));
    assert_eq!(to_sign, go_v1::STRING_TO_SIGN);
    assert_eq!(
        v1::sign(go_v1::ACCESS_KEY_SECRET, &to_sign),
        go_v1::SIGNATURE
    );
    assert_eq!(
        v1::authorization(go_v1::ACCESS_KEY_ID, go_v1::SIGNATURE),
        "LOG mockAccessKeyID:Rwm6cTKzoti4HWoe+GKcb6Kv07E="
    );
}

#[test]
fn v1_go_vector_with_body() {
    let mut headers = h(&go_v1::BODY_HEADERS);
    headers.push(("Content-MD5".into(), content_md5_hex(&go_v1::BODY)));
    let to_sign = v1::string_to_sign("GET", go_v1::BODY_PATH, &headers);
    assert_eq!(
        v1::sign(go_v1::ACCESS_KEY_SECRET, &to_sign),
        go_v1::BODY_SIGNATURE
    );
}

#[test]
fn v1_python_vector() {
    assert_eq!(
        v1::sign(python::ACCESS_KEY_SECRET, python::STRING_TO_SIGN),
        python::SIGNATURE
    );
    // The same string, rebuilt from the captured request: x-log-date, which the SDK
    // adds after signing, must stay out of the canonical headers.
    assert_eq!(
        v1::string_to_sign("POST", python::PATH, &h(&python::HEADERS)),
        python::STRING_TO_SIGN
    );
    let captured = python::HEADERS.iter().find(|(n, _)| *n == "Authorization");
    assert_eq!(
        Some(v1::authorization(python::ACCESS_KEY_ID, python::SIGNATURE)),
        captured.map(|(_, v)| v.to_string())
    );
}

#[test]
fn v1_every_byte_of_the_string_to_sign_matters() {
    let base = v1::sign(python::ACCESS_KEY_SECRET, python::STRING_TO_SIGN);
    let bytes = python::STRING_TO_SIGN.as_bytes();
    for i in 0..bytes.len() {
        let mut changed = bytes.to_vec();
        changed[i] ^= 0x01;
        let changed = String::from_utf8(changed).unwrap();
        assert_ne!(
            v1::sign(python::ACCESS_KEY_SECRET, &changed),
            base,
            "byte {i}"
        );
    }
    assert_ne!(
        v1::sign("testAccessKeySecreT", python::STRING_TO_SIGN),
        base
    );
}

#[test]
fn v1_canonical_resource_sorts_and_decodes_the_query() {
    assert_eq!(v1::canonical_resource("/logstores/app"), "/logstores/app");
    assert_eq!(v1::canonical_resource("/logstores/app?"), "/logstores/app");
    assert_eq!(
        v1::canonical_resource(
            "/logstores/app/shards/route?processor=my+proc%2F1&key=f4000000000000000000000000000000"
        ),
        "/logstores/app/shards/route?key=f4000000000000000000000000000000&processor=my proc/1"
    );
    assert_eq!(
        v1::canonical_resource("/p?b=2&&a&c=%zz&d=%E4%B8%AD"),
        "/p?a=&b=2&c=%zz&d=中"
    );
}

#[test]
fn v1_canonical_headers_trim_lowercase_and_skip_x_log_date() {
    let headers = h(&[
        (" X-Log-B ", "  two "),
        ("x-acs-security-token", "tok"),
        ("X-LOG-DATE", "Wed, 25 Nov 2026 01:40:30 GMT"),
        ("x-log-a", "one"),
        ("x-logz", "not signed"),
        ("content-type", "not here either"),
    ]);
    assert_eq!(
        v1::canonical_headers(&headers),
        "x-acs-security-token:tok\nx-log-a:one\nx-log-b:two\n"
    );
    // Without a Date header the x-log-date value takes the DATE position.
    assert_eq!(
        v1::string_to_sign("POST", "/x", &headers),
        "POST\n\nnot here either\nWed, 25 Nov 2026 01:40:30 GMT\n\
         x-acs-security-token:tok\nx-log-a:one\nx-log-b:two\n/x"
    );
}

/// The Go v4 suite's headers for a body whose hash is `payload`.
fn go_v4_headers(payload: &str) -> Vec<(String, String)> {
    let mut headers = h(&go_v4::HEADERS);
    headers.push(("x-log-content-sha256".into(), payload.into()));
    headers.push(("Content-Length".into(), "16".into()));
    headers
}

/// Go builds the URI with `url.Values.Encode` (sorted keys, `+` for spaces).
fn go_query(params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut q = String::new();
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            q.push('&');
        }
        percent_encode_into(&mut q, k, Space::Plus);
        q.push('=');
        percent_encode_into(&mut q, v, Space::Plus);
    }
    q
}

fn expect_v4(region: &str, sig: &str) -> String {
    format!(
        "SLS4-HMAC-SHA256 Credential={}/20220808/{region}/sls/aliyun_v4_request,Signature={sig}",
        go_v4::ACCESS_KEY_ID
    )
}

#[test]
fn v4_go_vectors_with_query_and_unsigned_headers() {
    for case in &go_v4::CASES {
        let mut params = go_v4::PARAMS.to_vec();
        if case.more {
            params.extend(go_v4::MORE_PARAMS);
        }
        let uri = format!("{}?{}", case.path, go_query(&params));
        let body: &[u8] = if case.body { go_v4::BODY } else { b"" };
        let payload = sha256_hex(body);
        let canonical =
            v4::canonical_request(case.method, &uri, &go_v4_headers(&payload), &payload);
        let to_sign = v4::string_to_sign(go_v4::DATE_TIME, go_v4::REGION, &canonical);
        let sig = v4::sign(
            go_v4::ACCESS_KEY_SECRET,
            "20220808",
            go_v4::REGION,
            &to_sign,
        );
        assert_eq!(
            v4::authorization(go_v4::ACCESS_KEY_ID, "20220808", go_v4::REGION, &sig),
            expect_v4(go_v4::REGION, case.signature),
            "{} {uri}",
            case.method
        );
    }
}

/// Spec §6.4 vector (Go TestSignV4Case2), through the high-level signer: no headers
/// but the ones `sign_request` adds.
#[test]
fn v4_go_vector_case_2_via_sign_request() {
    let mut req = request(Method::Post, "/logstores", &[], go_v4::BODY);
    let config = SigningConfig::v4(go_v4::CASE_2_REGION);
    let digest = config.digest(&req.body);
    let creds = Credentials::new(go_v4::ACCESS_KEY_ID, go_v4::ACCESS_KEY_SECRET);
    sign_request(&mut req, &creds, &config, GO_V4_TIME, &digest).unwrap();
    assert_eq!(
        req.header("authorization"),
        Some(&*expect_v4(go_v4::CASE_2_REGION, go_v4::CASE_2_SIGNATURE))
    );
    assert_eq!(req.header("x-log-date"), Some(go_v4::DATE_TIME));
    assert_eq!(
        req.header("x-log-content-sha256"),
        Some(&*sha256_hex(go_v4::BODY))
    );
    assert_eq!(req.header("date"), None);
    assert_eq!(req.header("content-md5"), None);
    assert_eq!(req.header("x-log-signaturemethod"), None);
}

#[test]
fn v4_canonical_request_shape() {
    let headers = h(&[
        ("Host", "proj.cn-hangzhou.log.aliyuncs.com"),
        ("Content-Type", "application/x-protobuf"),
        ("x-log-meta-foo", "not signed"),
        ("x-log-bodyrawsize", " 12 "),
        ("user-agent", "not signed"),
    ]);
    assert_eq!(
        v4::canonical_request(
            "POST",
            "/logstores/app/shards/route?key=ab&processor=a%20b%2Bc&empty=",
            &headers,
            "PAYLOAD"
        ),
        "POST\n/logstores/app/shards/route\nempty&key=ab&processor=a%20b%2Bc\n\
         content-type:application/x-protobuf\nhost:proj.cn-hangzhou.log.aliyuncs.com\nx-log-bodyrawsize:12\n\
         \ncontent-type;host;x-log-bodyrawsize\nPAYLOAD"
    );
}

#[test]
fn v4_canonical_path_and_query_encoding() {
    let none: [(&str, &str); 0] = [];
    let first_lines = |pq: &str| {
        let c = v4::canonical_request("GET", pq, &none, "P");
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
}

#[test]
fn v4_signing_key_and_scope() {
    let to_sign = v4::string_to_sign("20220808T032330Z", "cn-shanghai", "canonical");
    assert_eq!(
        to_sign,
        format!(
            "SLS4-HMAC-SHA256\n20220808T032330Z\n20220808/cn-shanghai/sls/aliyun_v4_request\n{}",
            sha256_hex(b"canonical")
        )
    );
    // Each link of the key chain matters.
    let k = v4::signing_key("s", "20220808", "cn-shanghai");
    assert_ne!(k, v4::signing_key("s", "20220809", "cn-shanghai"));
    assert_ne!(k, v4::signing_key("s", "20220808", "cn-hangzhou"));
    assert_ne!(k, v4::signing_key("t", "20220808", "cn-shanghai"));
}

fn put_logs_like(body: &'static [u8]) -> HttpRequest {
    request(Method::Post, put_logs::PATH, &put_logs::HEADERS, body)
}

#[test]
fn sign_request_v1_adds_the_go_headers_and_signs_them() {
    let mut req = put_logs_like(b"compressed body bytes");
    let config = SigningConfig::v1();
    let digest = config.digest(&req.body);
    let creds = Credentials::new(python::ACCESS_KEY_ID, python::ACCESS_KEY_SECRET);
    let now = PY_TIME;
    sign_request(&mut req, &creds, &config, now, &digest).unwrap();
    let md5 = content_md5_hex(b"compressed body bytes");
    let names: Vec<&str> = req.headers.iter().map(|(n, _)| n.as_ref()).collect();
    assert_eq!(
        names[6..],
        [
            "date",
            "content-md5",
            "x-log-signaturemethod",
            "authorization"
        ]
    );
    assert_eq!(req.header("date"), Some("Wed, 25 Nov 2026 01:40:30 GMT"));
    assert_eq!(req.header("content-md5"), Some(&*md5));
    assert_eq!(req.header("x-log-signaturemethod"), Some("hmac-sha1"));
    let expected_to_sign = format!(
        "POST\n{md5}\napplication/x-protobuf\nWed, 25 Nov 2026 01:40:30 GMT\nx-log-apiversion:0.6.0\n\
         x-log-bodyrawsize:151\nx-log-compresstype:lz4\nx-log-signaturemethod:hmac-sha1\n\
         /logstores/mylogstore/shards/lb"
    );
    assert_eq!(
        req.header("authorization"),
        Some(&*format!(
            "LOG testAccessKeyId:{}",
            v1::sign("testAccessKeySecret", &expected_to_sign)
        ))
    );
}

#[test]
fn sign_request_v1_empty_body_has_no_content_md5() {
    let mut req = put_logs_like(b"");
    let config = SigningConfig::v1();
    let digest = config.digest(b"");
    let creds = Credentials::new("id", "secret");
    sign_request(
        &mut req,
        &creds,
        &config,
        UnixTime::from_secs(1_262_507_627),
        &digest,
    )
    .unwrap();
    assert_eq!(req.header("content-md5"), None);
    assert_eq!(req.header("date"), Some("Sun, 03 Jan 2010 08:33:47 GMT"));
    let to_sign = v1::string_to_sign("POST", &req.path_and_query, &req.headers);
    assert!(
        to_sign.starts_with("POST\n\napplication/x-protobuf\nSun, 03 Jan 2010 08:33:47 GMT\n"),
        "{to_sign}"
    );
}

#[test]
fn sts_token_is_sent_and_signed_in_both_versions() {
    let creds = Credentials::new("id", "secret").with_security_token("STS-TOKEN-VALUE");
    for config in [SigningConfig::v1(), SigningConfig::v4("cn-hangzhou")] {
        let mut req = put_logs_like(b"body");
        let digest = config.digest(&req.body);
        sign_request(
            &mut req,
            &creds,
            &config,
            UnixTime::from_secs(1_700_000_000),
            &digest,
        )
        .unwrap();
        assert_eq!(req.header("x-acs-security-token"), Some("STS-TOKEN-VALUE"));
        let signed = match config.version {
            SignatureVersion::V1 => v1::string_to_sign("POST", &req.path_and_query, &req.headers),
            SignatureVersion::V4 => {
                v4::canonical_request("POST", &req.path_and_query, &req.headers, "x")
            }
        };
        assert!(
            signed.contains("x-acs-security-token:STS-TOKEN-VALUE\n"),
            "{signed}"
        );
        assert!(!format!("{req:?}").contains("STS-TOKEN-VALUE"));
        assert_eq!(
            req.header("authorization"),
            Some(&*expected_authorization(&req, &creds, &config))
        );
    }
}

#[test]
fn x_log_date_mode_for_browsers() {
    let mut req = put_logs_like(b"body");
    let config = SigningConfig::v1().with_date_header(DateHeader::XLogDate);
    let digest = config.digest(&req.body);
    let creds = Credentials::new("id", "secret");
    let now = PY_TIME;
    sign_request(&mut req, &creds, &config, now, &digest).unwrap();
    assert_eq!(req.header("date"), None);
    assert_eq!(
        req.header("x-log-date"),
        Some("Wed, 25 Nov 2026 01:40:30 GMT")
    );
    let to_sign = v1::string_to_sign("POST", &req.path_and_query, &req.headers);
    assert_eq!(
        to_sign.split('\n').nth(3),
        Some("Wed, 25 Nov 2026 01:40:30 GMT")
    );
    assert!(!to_sign.contains("x-log-date"));
    assert_eq!(
        req.header("authorization"),
        Some(&*v1::authorization("id", &v1::sign("secret", &to_sign)))
    );
}

#[test]
fn re_signing_replaces_per_attempt_headers() {
    let creds = Credentials::new("id", "secret").with_security_token("tok");
    for config in [SigningConfig::v1(), SigningConfig::v4("cn-hangzhou")] {
        let mut req = put_logs_like(b"body");
        let unsigned_len = req.headers.len();
        let digest = config.digest(&req.body);
        sign_request(
            &mut req,
            &creds,
            &config,
            UnixTime::from_secs(1_700_000_000),
            &digest,
        )
        .unwrap();
        let first = req.clone();
        sign_request(
            &mut req,
            &creds,
            &config,
            UnixTime::from_secs(1_700_000_060),
            &digest,
        )
        .unwrap();
        assert_eq!(req.headers.len(), first.headers.len());
        assert_eq!(req.headers[..unsigned_len], first.headers[..unsigned_len]);
        for name in PER_ATTEMPT_HEADERS {
            assert!(count(&req, name) <= 1, "{name} duplicated");
        }
        assert_ne!(req.header("authorization"), first.header("authorization"));
        assert_eq!(
            req.header("authorization"),
            Some(&*expected_authorization(&req, &creds, &config))
        );
    }
}

#[test]
fn sign_request_errors_leave_the_request_untouched() {
    let creds = Credentials::new("id", "secret");
    let req = put_logs_like(b"body");
    let cases = [
        (
            SigningConfig {
                version: SignatureVersion::V4,
                ..SigningConfig::v1()
            },
            SignatureVersion::V4,
            b"body" as &[u8],
            SignError::RegionRequired,
        ),
        (
            SigningConfig::v4(""),
            SignatureVersion::V4,
            b"body",
            SignError::RegionRequired,
        ),
        (
            SigningConfig::v4("cn hangzhou/x"),
            SignatureVersion::V4,
            b"body",
            SignError::InvalidRegion,
        ),
        (
            SigningConfig::v4("cn-hangzhou"),
            SignatureVersion::V1,
            b"body",
            SignError::DigestMismatch,
        ),
        (
            SigningConfig::v1(),
            SignatureVersion::V4,
            b"body",
            SignError::DigestMismatch,
        ),
        (
            SigningConfig::v1(),
            SignatureVersion::V1,
            b"other body",
            SignError::DigestMismatch,
        ),
    ];
    for (config, digest_version, digest_body, want) in cases {
        let mut r = req.clone();
        let digest = BodyDigest::for_version(digest_version, digest_body);
        assert_eq!(
            sign_request(&mut r, &creds, &config, UnixTime::EPOCH, &digest),
            Err(want.clone())
        );
        assert_eq!(r, req);
        if want != SignError::DigestMismatch {
            assert_eq!(config.validate(), Err(want));
        }
    }
    assert_eq!(
        SigningConfig::v4("cn-shanghai-acdr-ut-1").validate(),
        Ok(())
    );
    assert_eq!(SigningConfig::v1().validate(), Ok(()));

    let bad = Credentials::new("id\r\nx-injected: 1", "secret");
    let mut r = req.clone();
    let digest = SigningConfig::v1().digest(&r.body);
    assert_eq!(
        sign_request(&mut r, &bad, &SigningConfig::v1(), UnixTime::EPOCH, &digest),
        Err(SignError::InvalidCredentials)
    );
    let bad = Credentials::new("id", "secret").with_security_token("tok\n");
    assert_eq!(
        sign_request(&mut r, &bad, &SigningConfig::v1(), UnixTime::EPOCH, &digest),
        Err(SignError::InvalidCredentials)
    );
    assert_eq!(r, req);
}

#[test]
fn nothing_secret_in_debug_or_display() {
    let creds = Credentials::new("id", "TOP-SECRET").with_security_token("STS-TOKEN-VALUE");
    let config = SigningConfig::v4("cn-hangzhou");
    let mut req = put_logs_like(b"body");
    let digest = config.digest(&req.body);
    sign_request(
        &mut req,
        &creds,
        &config,
        UnixTime::from_secs(1_700_000_000),
        &digest,
    )
    .unwrap();
    let sig = req
        .header("authorization")
        .unwrap()
        .rsplit('=')
        .next()
        .unwrap()
        .to_string();
    let text = format!(
        "{req:?} {creds:?} {config:?} {digest:?} {:?} {}",
        SignError::RegionRequired,
        SignError::InvalidCredentials
    );
    for secret in ["TOP-SECRET", "STS-TOKEN-VALUE", sig.as_str()] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn config(v4: bool, x_log_date: bool) -> SigningConfig {
        let c = if v4 {
            SigningConfig::v4("cn-hangzhou")
        } else {
            SigningConfig::v1()
        };
        c.with_date_header(if x_log_date {
            DateHeader::XLogDate
        } else {
            DateHeader::Date
        })
    }

    proptest! {
        /// Whatever the request, the signature `sign_request` sends is the one its own
        /// headers and path call for, and the date and token go where they should.
        #[test]
        fn sign_request_signs_exactly_what_it_sends(
            body in proptest::collection::vec(any::<u8>(), 0..200),
            key in "[0-9a-f]{0,32}",
            processor in "\\PC{0,12}",
            secret in "\\PC{1,40}",
            token in proptest::option::of("[A-Za-z0-9+/=]{1,60}"),
            secs in 0u64..4_102_444_800,
            v4 in any::<bool>(),
            x_log_date in any::<bool>(),
        ) {
            let mut pq = String::from("/logstores/app");
            let mut params = Vec::new();
            if !key.is_empty() {
                pq.push_str("/shards/route");
                params.push(("key", key.as_str()));
            }
            if !processor.is_empty() {
                params.push(("processor", processor.as_str()));
            }
            for (i, (k, v)) in params.iter().enumerate() {
                pq.push(if i == 0 { '?' } else { '&' });
                pq.push_str(k);
                pq.push('=');
                percent_encode_into(&mut pq, v, Space::Plus);
            }
            let mut req = HttpRequest {
                method: Method::Post,
                scheme: Scheme::Https,
                authority: "p.example.com".into(),
                path_and_query: pq,
                headers: vec![
                    ("host".into(), "p.example.com".into()),
                    ("content-type".into(), "application/x-protobuf".into()),
                    ("x-log-apiversion".into(), "0.6.0".into()),
                    ("x-log-bodyrawsize".into(), body.len().to_string()),
                ],
                body: Bytes::from(body.clone()),
            };
            let mut creds = Credentials::new("AKID", secret.as_str());
            if let Some(t) = &token {
                creds = creds.with_security_token(t.as_str());
            }
            let config = config(v4, x_log_date);
            let digest = config.digest(&body);
            let now = UnixTime::from_secs(secs);
            sign_request(&mut req, &creds, &config, now, &digest).unwrap();
            prop_assert_eq!(
                req.header("authorization"),
                Some(&*expected_authorization(&req, &creds, &config))
            );
            prop_assert_eq!(req.header("x-acs-security-token"), token.as_deref());
            let (date_name, date) = match (v4, x_log_date) {
                (true, _) => ("x-log-date", now.iso8601_basic()),
                (false, true) => ("x-log-date", now.rfc1123()),
                (false, false) => ("date", now.rfc1123()),
            };
            prop_assert_eq!(req.header(date_name), Some(date.as_str()));
        }

        #[test]
        fn query_and_header_order_do_not_change_the_signature(
            params in proptest::collection::btree_map("[a-z]{1,6}", "\\PC{0,8}", 0..5),
            seed in any::<u64>(),
        ) {
            let mut pairs: Vec<(String, String)> = params.into_iter().collect();
            let headers = h(&[("x-log-b", "2"), ("x-acs-a", "1"), ("x-log-c", "3"), ("host", "h"), ("date", "d")]);
            let build = |pairs: &[(String, String)]| {
                let mut pq = String::from("/p");
                for (i, (k, v)) in pairs.iter().enumerate() {
                    pq.push(if i == 0 { '?' } else { '&' });
                    pq.push_str(k);
                    pq.push('=');
                    percent_encode_into(&mut pq, v, Space::Plus);
                }
                pq
            };
            let a = build(&pairs);
            let mut shuffled_headers = headers.clone();
            // A deterministic permutation from the seed.
            let n = pairs.len().max(1);
            pairs.rotate_left((seed as usize) % n);
            shuffled_headers.rotate_left((seed as usize) % headers.len());
            shuffled_headers.reverse();
            let b = build(&pairs);
            prop_assert_eq!(
                v1::string_to_sign("POST", &a, &headers),
                v1::string_to_sign("POST", &b, &shuffled_headers)
            );
            prop_assert_eq!(
                v4::canonical_request("POST", &a, &headers, "x"),
                v4::canonical_request("POST", &b, &shuffled_headers, "x")
            );
        }
    }
}
