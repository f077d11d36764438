//! The local SLS server over real HTTP: every check positive and negative, faults, CORS,
//! counting mode, web tracking. Requests are built and signed with the core's protocol code
//! (`request`, `sign`, `compress`, `proto`); the Python SDK cross-check (`server_python.rs`)
//! is the independent oracle for that code.

use core::net::SocketAddr;
use core::time::Duration;
use std::io::{Read as _, Write as _};

use bytes::Bytes;
use sls_producer_core::credentials::Credentials;
use sls_producer_core::protocol::compress::{self, Compression};
use sls_producer_core::protocol::endpoint::Endpoint;
use sls_producer_core::protocol::limits::{MAX_LOG_GROUP_BYTES, MAX_LOG_GROUP_LOGS};
use sls_producer_core::protocol::proto::{Log, LogGroup, LogTag, encode_log_group};
use sls_producer_core::protocol::request::{
    PreparedBody, PutLogsTarget, TrackEncoder, TrackStyle, put_logs_request, web_tracking_request,
};
use sls_producer_core::protocol::sign::{BodyDigest, DateHeader, SigningConfig, sign_request};
use sls_producer_core::rt::HttpRequest;
use sls_producer_core::rt::UnixTime;
use sls_producer_tests::client::{TestClient, TestResponse, send};
use sls_producer_tests::server::{
    AuthKind, ClockSkew, FORWARDED_HOST, Fault, Ingest, Limits, LocalSls, LogstoreOptions,
    ManualClock, RateLimit, ShardTarget, StoreMode,
};

const T0: u64 = 1_790_000_000;
const AK_ID: &str = "testAccessKeyId";
const AK_SECRET: &str = "testAccessKeySecret";
const STS_ID: &str = "STS.testId";
const STS_SECRET: &str = "stsSecret";
const STS_TOKEN: &str = "sts-token-1";

fn t0() -> UnixTime {
    UnixTime::from_secs(T0)
}

fn ak() -> Credentials {
    Credentials::new(AK_ID, AK_SECRET)
}

fn sts() -> Credentials {
    Credentials::new(STS_ID, STS_SECRET).with_security_token(STS_TOKEN)
}

/// A server with project `proj`: logstore `app` (no tracking) and `web` (tracking), the
/// AccessKey and the STS credentials above (expiring an hour after T0), a manual clock at T0.
async fn server_with(
    f: impl FnOnce(
        sls_producer_tests::server::LocalSlsBuilder,
    ) -> sls_producer_tests::server::LocalSlsBuilder,
) -> (LocalSls, ManualClock) {
    let clock = ManualClock::new(t0());
    let builder = LocalSls::builder()
        .logstore("proj", "app", LogstoreOptions::default())
        .logstore("proj", "web", LogstoreOptions::web_tracking())
        .access_key(AK_ID, AK_SECRET)
        .sts_token(
            STS_ID,
            STS_SECRET,
            STS_TOKEN,
            Some(UnixTime::from_secs(T0 + 3600)),
        )
        .clock(clock.clone());
    let sls = f(builder).start().await.expect("server starts");
    (sls, clock)
}

async fn server() -> (LocalSls, ManualClock) {
    server_with(|b| b).await
}

fn group(n: usize) -> LogGroup {
    LogGroup {
        logs: (0..n)
            .map(|i| {
                Log::new(1_700_000_000 + i as u32)
                    .with_content("msg", format!("hello {i}"))
                    .with_content("level", "info")
                    .with_time_ns(123)
            })
            .collect(),
        category: None,
        topic: Some("topic".into()),
        source: Some("10.1.2.3".into()),
        machine_uuid: None,
        log_tags: vec![
            LogTag::new("__pack_id__", "0123456789ABCDEF-0"),
            LogTag::new("env", "test"),
        ],
    }
}

fn endpoint(sls: &LocalSls) -> Endpoint {
    Endpoint::parse(&sls.endpoint()).expect("endpoint parses")
}

/// An unsigned PutLogs request.
fn put(
    sls: &LocalSls,
    logstore: &str,
    key: Option<&str>,
    raw: &[u8],
    compression: Compression,
    signing: &SigningConfig,
) -> HttpRequest {
    let mut target = PutLogsTarget::logstore("proj", logstore).unwrap();
    if let Some(k) = key {
        target = target.with_shard_key(k);
    }
    let body = PreparedBody::new(compression, raw, signing.version).unwrap();
    put_logs_request(&endpoint(sls), &target, &body, "")
}

fn sign(req: &mut HttpRequest, creds: &Credentials, signing: &SigningConfig, at: UnixTime) {
    let digest = BodyDigest::for_version(signing.version, &req.body);
    sign_request(req, creds, signing, at, &digest).expect("signs");
}

fn signed(sls: &LocalSls, logstore: &str, g: &LogGroup, compression: Compression) -> HttpRequest {
    let v1 = SigningConfig::v1();
    let mut req = put(sls, logstore, None, &encode_log_group(g), compression, &v1);
    sign(&mut req, &ak(), &v1, t0());
    req
}

fn set_header(req: &mut HttpRequest, name: &'static str, value: &str) {
    req.headers.retain(|(n, _)| n != name);
    req.headers.push((name.into(), value.to_owned()));
}

fn remove_header(req: &mut HttpRequest, name: &str) {
    req.headers.retain(|(n, _)| n != name);
}

async fn expect_error(sls: &LocalSls, req: &HttpRequest, status: u16, code: &str) -> TestResponse {
    let resp = send(sls.addr(), req).await.expect("answered");
    assert_eq!(
        (resp.status, resp.error_code().as_deref()),
        (status, Some(code)),
        "body: {}",
        String::from_utf8_lossy(&resp.body)
    );
    assert_request_id(&resp);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert!(resp.json()["errorMessage"].is_string());
    resp
}

async fn expect_ok(sls: &LocalSls, req: &HttpRequest) -> TestResponse {
    let resp = send(sls.addr(), req).await.expect("answered");
    assert_eq!(
        resp.status,
        200,
        "body: {}",
        String::from_utf8_lossy(&resp.body)
    );
    assert_request_id(&resp);
    resp
}

fn assert_request_id(resp: &TestResponse) {
    let id = resp.request_id().expect("x-log-requestid");
    assert_eq!(id.len(), 24, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
}

// ---------------------------------------------------------------------------------------
// Accepted requests

#[tokio::test]
async fn v1_putlogs_with_each_compression_is_stored_intact() {
    let (sls, _) = server().await;
    let g = group(3);
    for (i, c) in [Compression::Lz4, Compression::Zstd, Compression::None]
        .into_iter()
        .enumerate()
    {
        let req = signed(&sls, "app", &g, c);
        let resp = expect_ok(&sls, &req).await;
        let got = &sls.log_groups("proj", "app")[i];
        assert_eq!(got.log_group, g);
        assert_eq!(got.compression, c);
        assert_eq!(got.ingest, Ingest::PutLogs);
        assert_eq!(
            got.auth,
            AuthKind::Signed(sls_producer_core::config::SignatureVersion::V1)
        );
        assert_eq!(got.access_key_id.as_deref(), Some(AK_ID));
        assert_eq!(got.target, ShardTarget::Default);
        assert_eq!(got.raw_bytes, encode_log_group(&g).len());
        assert_eq!(got.wire_bytes, req.body.len());
        assert_eq!(Some(got.request_id.as_str()), resp.request_id());
        assert_eq!(got.tag("__pack_id__"), Some("0123456789ABCDEF-0"));
        assert_eq!((got.topic(), got.source()), ("topic", "10.1.2.3"));
    }
    let stats = sls.stats();
    assert_eq!((stats.requests, stats.accepted, stats.rejected), (3, 3, 0));
    assert_eq!(stats.logstore("proj", "app").logs, 9);
    assert_eq!(sls.log_count(), 9);
    assert_eq!(sls.logs("proj", "app").len(), 9);
}

#[tokio::test]
async fn shard_route_and_lb_paths_record_the_target() {
    let (sls, _) = server().await;
    let v1 = SigningConfig::v1();
    let raw = encode_log_group(&group(1));
    let mut routed = put(
        &sls,
        "app",
        Some("f4000000000000000000000000000000"),
        &raw,
        Compression::Lz4,
        &v1,
    );
    sign(&mut routed, &ak(), &v1, t0());
    expect_ok(&sls, &routed).await;
    let mut lb = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    lb.path_and_query = "/logstores/app/shards/lb".into();
    sign(&mut lb, &ak(), &v1, t0());
    expect_ok(&sls, &lb).await;
    let got = sls.log_groups("proj", "app");
    assert_eq!(got[0].hash_key(), Some("f4000000000000000000000000000000"));
    assert_eq!(got[1].target, ShardTarget::LoadBalance);

    let mut no_key = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    no_key.path_and_query = "/logstores/app/shards/route".into();
    sign(&mut no_key, &ak(), &v1, t0());
    expect_error(&sls, &no_key, 400, "ParameterInvalid").await;
}

#[tokio::test]
async fn v4_putlogs_is_accepted_and_a_tampered_body_is_not() {
    let (sls, _) = server().await;
    let v4 = SigningConfig::v4("cn-test");
    let raw = encode_log_group(&group(2));
    let mut req = put(&sls, "app", None, &raw, Compression::Zstd, &v4);
    sign(&mut req, &ak(), &v4, t0());
    expect_ok(&sls, &req).await;
    let got = &sls.log_groups("proj", "app")[0];
    assert_eq!(
        got.auth,
        AuthKind::Signed(sls_producer_core::config::SignatureVersion::V4)
    );
    assert_eq!(got.log_group, group(2));

    let mut body = req.body.to_vec();
    body[3] ^= 0x55;
    req.body = Bytes::from(body);
    expect_error(&sls, &req, 401, "SignatureNotMatch").await;
}

#[tokio::test]
async fn browser_style_v1_with_x_log_date_and_json_body_is_accepted() {
    let (sls, _) = server().await;
    let signing = SigningConfig::v1().with_date_header(DateHeader::XLogDate);
    let json = br#"{"__topic__":"t","__source__":"s","__logs__":[{"__time__":1600000000,"k":"v"},{"k":"w"}],"__tags__":{"tk":"tv"}}"#;
    let mut req = put(&sls, "app", None, json, Compression::None, &signing);
    set_header(&mut req, "content-type", "application/json");
    sign(&mut req, &sts(), &signing, t0());
    assert!(req.header("date").is_none() && req.header("x-log-date").is_some());
    expect_ok(&sls, &req).await;
    let got = &sls.log_groups("proj", "app")[0];
    assert_eq!(got.ingest, Ingest::PutLogsJson);
    assert_eq!(
        got.security_token.as_ref().map(|s| s.expose()),
        Some(STS_TOKEN)
    );
    assert_eq!(got.logs_times(), vec![1_600_000_000, T0 as u32]);
    assert_eq!(got.tag("tk"), Some("tv"));
}

trait Times {
    fn logs_times(&self) -> Vec<u32>;
}

impl Times for sls_producer_tests::server::ReceivedLogGroup {
    fn logs_times(&self) -> Vec<u32> {
        self.log_group.logs.iter().map(Log::time).collect()
    }
}

#[tokio::test]
async fn keep_alive_serves_many_requests_on_one_connection() {
    let (sls, _) = server().await;
    let mut client = TestClient::connect(sls.addr()).await.unwrap();
    for _ in 0..3 {
        let resp = client
            .send(&signed(&sls, "app", &group(1), Compression::Lz4))
            .await
            .unwrap();
        assert_eq!(resp.status, 200);
    }
    assert_eq!(sls.stats().accepted, 3);
}

// ---------------------------------------------------------------------------------------
// Authentication

#[tokio::test]
async fn signature_and_key_errors() {
    let (sls, _) = server().await;
    let v1 = SigningConfig::v1();
    let raw = encode_log_group(&group(1));

    let mut altered = signed(&sls, "app", &group(1), Compression::Lz4);
    let auth = altered.header("authorization").unwrap().to_owned();
    let (head, sig) = auth.rsplit_once(':').unwrap();
    let first = if sig.starts_with('A') { 'B' } else { 'A' };
    let flipped = format!("{first}{}", &sig[1..]);
    set_header(&mut altered, "authorization", &format!("{head}:{flipped}"));
    let resp = expect_error(&sls, &altered, 401, "SignatureNotMatch").await;
    let body = String::from_utf8_lossy(&resp.body);
    assert!(
        !body.contains(&flipped) && !body.contains(sig),
        "no signature in errors: {body}"
    );

    let mut wrong_secret = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    sign(
        &mut wrong_secret,
        &Credentials::new(AK_ID, "not-the-secret"),
        &v1,
        t0(),
    );
    expect_error(&sls, &wrong_secret, 401, "SignatureNotMatch").await;

    let mut unknown = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    sign(&mut unknown, &Credentials::new("nobody", "x"), &v1, t0());
    let resp = expect_error(&sls, &unknown, 401, "Unauthorized").await;
    assert!(
        resp.json()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("nobody")
    );

    let mut unsigned = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    set_header(&mut unsigned, "date", &t0().rfc1123());
    expect_error(&sls, &unsigned, 401, "Unauthorized").await;

    let mut signed_header_changed = signed(&sls, "app", &group(1), Compression::Lz4);
    set_header(&mut signed_header_changed, "x-log-apiversion", " 0.6.0 x");
    expect_error(&sls, &signed_header_changed, 400, "InvalidAPIVersion").await;

    let mut no_method = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    sign(&mut no_method, &ak(), &v1, t0());
    remove_header(&mut no_method, "x-log-signaturemethod");
    expect_error(&sls, &no_method, 400, "MissingSignatureMethod").await;

    let mut no_version = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    remove_header(&mut no_version, "x-log-apiversion");
    sign(&mut no_version, &ak(), &v1, t0());
    expect_error(&sls, &no_version, 400, "MissingAPIVersion").await;

    assert_eq!(sls.stats().accepted, 0);
    assert_eq!(sls.stats().errors_with_code("SignatureNotMatch"), 2);
}

#[tokio::test]
async fn content_md5_must_match_the_body() {
    let (sls, _) = server().await;
    let mut req = signed(&sls, "app", &group(2), Compression::Lz4);
    let mut body = req.body.to_vec();
    let last = body.len() - 1;
    body[last] ^= 1;
    req.body = Bytes::from(body);
    expect_error(&sls, &req, 400, "InvalidContentMD5").await;

    let mut missing = signed(&sls, "app", &group(2), Compression::Lz4);
    remove_header(&mut missing, "content-md5");
    // Checked before the signature (which also covers it).
    expect_error(&sls, &missing, 400, "MissingContentMD5").await;
}

#[tokio::test]
async fn sts_tokens_are_checked_and_expire() {
    let (sls, clock) = server().await;
    let v1 = SigningConfig::v1();
    let raw = encode_log_group(&group(1));
    let with = |creds: &Credentials, at: UnixTime| {
        let mut r = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
        sign(&mut r, creds, &v1, at);
        r
    };
    expect_ok(&sls, &with(&sts(), t0())).await;
    expect_error(
        &sls,
        &with(&Credentials::new(STS_ID, STS_SECRET), t0()),
        401,
        "Unauthorized",
    )
    .await;
    expect_error(
        &sls,
        &with(
            &Credentials::new(STS_ID, STS_SECRET).with_security_token("forged"),
            t0(),
        ),
        401,
        "Unauthorized",
    )
    .await;
    expect_error(
        &sls,
        &with(&ak().with_security_token("stray"), t0()),
        401,
        "Unauthorized",
    )
    .await;

    sls.faults().expire_sts_tokens();
    expect_error(&sls, &with(&sts(), t0()), 401, "SecurityTokenExpired").await;
    sls.faults().restore_sts_tokens();
    expect_ok(&sls, &with(&sts(), t0())).await;

    // Past its configured expiry on the server clock (the request date moves along).
    let later = UnixTime::from_secs(T0 + 3601);
    clock.set(later);
    expect_error(&sls, &with(&sts(), later), 401, "SecurityTokenExpired").await;
    // A refreshed credential is accepted.
    sls.add_credentials(
        Credentials::new(STS_ID, STS_SECRET)
            .with_security_token("sts-token-2")
            .with_expiration(UnixTime::from_secs(T0 + 7200)),
    );
    expect_ok(
        &sls,
        &with(
            &Credentials::new(STS_ID, STS_SECRET).with_security_token("sts-token-2"),
            later,
        ),
    )
    .await;
}

#[tokio::test]
async fn request_time_must_be_within_fifteen_minutes() {
    let (sls, _) = server().await;
    let v1 = SigningConfig::v1();
    let raw = encode_log_group(&group(1));
    for (offset, ok) in [
        (-14 * 60, true),
        (14 * 60, true),
        (-16 * 60, false),
        (16 * 60, false),
    ] {
        let at = UnixTime::from_secs(T0.checked_add_signed(offset).unwrap());
        let mut r = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
        sign(&mut r, &ak(), &v1, at);
        if ok {
            expect_ok(&sls, &r).await;
        } else {
            expect_error(&sls, &r, 400, "RequestTimeExpired").await;
        }
    }
    let mut bad_date = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    sign(&mut bad_date, &ak(), &v1, t0());
    set_header(&mut bad_date, "date", "yesterday");
    expect_error(&sls, &bad_date, 400, "InvalidDateFormat").await;
    remove_header(&mut bad_date, "date");
    expect_error(&sls, &bad_date, 400, "MissingDate").await;
}

#[tokio::test]
async fn a_skewed_clock_refuses_true_dates_and_tells_its_own_time() {
    let (sls, _) = server().await;
    let v1 = SigningConfig::v1();
    let raw = encode_log_group(&group(1));
    let ahead = Duration::from_secs(3600);
    let skewed = t0().saturating_add(ahead);
    sls.faults().set_clock_skew(ClockSkew::Ahead(ahead));
    let mut r = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    sign(&mut r, &ak(), &v1, t0());
    let refused = expect_error(&sls, &r, 400, "RequestTimeExpired").await;
    assert_eq!(refused.header("date"), Some(skewed.rfc1123().as_str()));
    // Dated by the server's clock, the same request is taken, and the answer tells it.
    let mut r = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    sign(&mut r, &ak(), &v1, skewed);
    let taken = expect_ok(&sls, &r).await;
    assert_eq!(taken.header("date"), Some(skewed.rfc1123().as_str()));
    // Behind, through the control API; cleared with the other faults.
    sls.faults()
        .apply_json(&serde_json::json!({ "clock_skew_ms": -3_600_000 }))
        .unwrap();
    assert_eq!(sls.faults().to_json()["clock_skew_ms"], -3_600_000);
    let mut r = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    sign(&mut r, &ak(), &v1, t0());
    let refused = expect_error(&sls, &r, 400, "RequestTimeExpired").await;
    let behind = UnixTime::from_secs(T0 - 3600);
    assert_eq!(refused.header("date"), Some(behind.rfc1123().as_str()));
    sls.faults().clear();
    expect_ok(&sls, &r).await;
}

#[tokio::test]
async fn accept_any_key_and_auto_create_for_the_quickstart() {
    let sls = LocalSls::builder()
        .accept_any_access_key()
        .auto_create(true)
        .start()
        .await
        .unwrap();
    let v1 = SigningConfig::v1();
    let mut target = PutLogsTarget::logstore("anyproj", "anystore").unwrap();
    target = target.with_shard_key("00");
    let body =
        PreparedBody::new(Compression::Lz4, &encode_log_group(&group(1)), v1.version).unwrap();
    let mut req = put_logs_request(&endpoint(&sls), &target, &body, "");
    sign(
        &mut req,
        &Credentials::new("whoever", "whatever"),
        &v1,
        UnixTime::from_secs(1),
    );
    expect_ok(&sls, &req).await;
    let got = &sls.log_groups("anyproj", "anystore")[0];
    assert_eq!(got.auth, AuthKind::Unchecked);
    assert_eq!(got.access_key_id.as_deref(), Some("whoever"));
    sls.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Bodies, projects, limits

#[tokio::test]
async fn project_logstore_and_host_errors() {
    let (sls, _) = server().await;
    let v1 = SigningConfig::v1();
    let raw = encode_log_group(&group(1));
    let mut other_project = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    set_header(&mut other_project, "host", &sls.host_for("nope"));
    sign(&mut other_project, &ak(), &v1, t0());
    expect_error(&sls, &other_project, 404, "ProjectNotExist").await;

    let mut no_logstore = put(&sls, "missing", None, &raw, Compression::Lz4, &v1);
    sign(&mut no_logstore, &ak(), &v1, t0());
    expect_error(&sls, &no_logstore, 404, "LogStoreNotExist").await;

    let mut bare_host = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    set_header(&mut bare_host, "host", &sls.addr().to_string());
    sign(&mut bare_host, &ak(), &v1, t0());
    expect_error(&sls, &bare_host, 400, "InvalidHost").await;

    // The Python SDK's Host has no port.
    let mut python_host = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    set_header(&mut python_host, "host", "proj.127.0.0.1");
    sign(&mut python_host, &ak(), &v1, t0());
    expect_ok(&sls, &python_host).await;

    let resp = send(sls.addr(), &{
        let mut r = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
        r.path_and_query = "/logstores/app/shards/lb/extra".into();
        r
    })
    .await
    .unwrap();
    assert_eq!(
        (resp.status, resp.error_code().as_deref()),
        (404, Some("NotSupported"))
    );
}

#[tokio::test]
async fn raw_size_compression_and_protobuf_errors() {
    let (sls, _) = server().await;
    let v1 = SigningConfig::v1();
    let raw = encode_log_group(&group(2));
    let case = |f: &dyn Fn(&mut HttpRequest)| {
        let mut r = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
        f(&mut r);
        sign(&mut r, &ak(), &v1, t0());
        r
    };
    let wrong_size = case(&|r| set_header(r, "x-log-bodyrawsize", &(raw.len() + 1).to_string()));
    expect_error(&sls, &wrong_size, 400, "PostBodyUncompressError").await;
    let no_size = case(&|r| remove_header(r, "x-log-bodyrawsize"));
    expect_error(&sls, &no_size, 400, "MissingBodyRawSize").await;
    let bad_size = case(&|r| set_header(r, "x-log-bodyrawsize", "lots"));
    expect_error(&sls, &bad_size, 400, "InvalidBodyRawSize").await;
    let deflate = case(&|r| set_header(r, "x-log-compresstype", "deflate"));
    expect_error(&sls, &deflate, 400, "InvalidCompressType").await;
    let zstd_claimed = case(&|r| set_header(r, "x-log-compresstype", "zstd"));
    expect_error(&sls, &zstd_claimed, 400, "PostBodyUncompressError").await;
    let garbage = case(&|r| r.body = Bytes::from_static(&[0xff; 16]));
    expect_error(&sls, &garbage, 400, "PostBodyUncompressError").await;

    // A well-compressed body that is not a LogGroup.
    let not_proto = b"\x0a\xff\xff\xff\xff\x0f".to_vec();
    let mut r = put(&sls, "app", None, &not_proto, Compression::Lz4, &v1);
    sign(&mut r, &ak(), &v1, t0());
    expect_error(&sls, &r, 400, "PostBodyInvalid").await;

    let mut uncompressed_wrong_size = put(&sls, "app", None, &raw, Compression::None, &v1);
    set_header(&mut uncompressed_wrong_size, "x-log-bodyrawsize", "1");
    sign(&mut uncompressed_wrong_size, &ak(), &v1, t0());
    expect_error(&sls, &uncompressed_wrong_size, 400, "InvalidBodyRawSize").await;

    let mut bad_type = put(&sls, "app", None, &raw, Compression::None, &v1);
    set_header(&mut bad_type, "content-type", "text/plain");
    sign(&mut bad_type, &ak(), &v1, t0());
    expect_error(&sls, &bad_type, 415, "InvalidContentType").await;
    assert_eq!(sls.stats().accepted, 0);
}

#[tokio::test]
async fn body_and_log_count_limits() {
    let limits = Limits {
        max_body_bytes: 4096,
        max_raw_body_bytes: 8192,
        max_logs_per_request: 10,
        ..Limits::SLS
    };
    let (sls, _) = server_with(|b| b.limits(limits)).await;
    expect_ok(&sls, &signed(&sls, "app", &group(10), Compression::Lz4)).await;
    expect_error(
        &sls,
        &signed(&sls, "app", &group(11), Compression::Lz4),
        400,
        "PostBodyTooLarge",
    )
    .await;

    let mut big = group(1);
    big.logs[0] = Log::new(1_700_000_000).with_content("msg", "x".repeat(9000));
    // Compresses well below the wire limit, but the raw size is over.
    expect_error(
        &sls,
        &signed(&sls, "app", &big, Compression::Lz4),
        400,
        "PostBodyTooLarge",
    )
    .await;
    // Uncompressed, over the wire limit too (the server stops reading at the limit).
    expect_error(
        &sls,
        &signed(&sls, "app", &big, Compression::None),
        400,
        "PostBodyTooLarge",
    )
    .await;
    assert_eq!(sls.stats().accepted, 1);
}

/// A one-log group whose encoding is exactly `raw` bytes.
fn group_of_size(raw: usize) -> LogGroup {
    let with = |n: usize| LogGroup {
        logs: vec![Log::new(1_700_000_000).with_content("msg", "x".repeat(n))],
        ..LogGroup::default()
    };
    let mut n = raw;
    loop {
        let size = encode_log_group(&with(n)).len();
        if size == raw {
            return with(n);
        }
        n -= size - raw;
    }
}

#[tokio::test]
async fn default_limits_are_the_service_s() {
    let (sls, _) = server().await;
    let at_limit = group_of_size(MAX_LOG_GROUP_BYTES);
    let over = group_of_size(MAX_LOG_GROUP_BYTES + 1);
    for compression in [Compression::Lz4, Compression::None] {
        expect_ok(&sls, &signed(&sls, "app", &at_limit, compression)).await;
        let resp = expect_error(
            &sls,
            &signed(&sls, "app", &over, compression),
            400,
            "PostBodyTooLarge",
        )
        .await;
        let message = resp.json()["errorMessage"].as_str().unwrap().to_owned();
        assert!(
            message.contains("5242881") && message.contains("5242880"),
            "{message}"
        );
    }

    // A declared raw size over the limit is refused before anything is decompressed.
    let v1 = SigningConfig::v1();
    let mut declared = put(
        &sls,
        "app",
        None,
        &encode_log_group(&group(1)),
        Compression::Lz4,
        &v1,
    );
    set_header(
        &mut declared,
        "x-log-bodyrawsize",
        &(MAX_LOG_GROUP_BYTES + 1).to_string(),
    );
    sign(&mut declared, &ak(), &v1, t0());
    expect_error(&sls, &declared, 400, "PostBodyTooLarge").await;

    let logs = |n: usize| LogGroup {
        logs: vec![Log::new(1_700_000_000).with_content("k", "v"); n],
        ..LogGroup::default()
    };
    expect_ok(
        &sls,
        &signed(&sls, "app", &logs(MAX_LOG_GROUP_LOGS), Compression::Lz4),
    )
    .await;
    expect_error(
        &sls,
        &signed(&sls, "app", &logs(MAX_LOG_GROUP_LOGS + 1), Compression::Lz4),
        400,
        "PostBodyTooLarge",
    )
    .await;
    assert_eq!(sls.stats().accepted, 3);
    assert_eq!(sls.stats().errors_with_code("PostBodyTooLarge"), 4);
}

#[tokio::test]
async fn a_log_time_sls_never_takes_fails_the_whole_request() {
    let (sls, _) = server().await;
    for (bad, named) in [
        (Log::new(0), "log 2: time 0 "),
        (Log::new(u32::MAX), "log 2: time 4294967295 "),
        (
            Log::new(1_700_000_000).with_time_ns(1_000_000_000),
            "log 2: time_ns 1000000000 ",
        ),
    ] {
        let mut g = group(2);
        g.logs.push(bad.with_content("msg", "bad time"));
        let resp = expect_error(
            &sls,
            &signed(&sls, "app", &g, Compression::Lz4),
            400,
            "PostBodyInvalid",
        )
        .await;
        let message = resp.json()["errorMessage"].as_str().unwrap().to_owned();
        assert!(message.contains(named), "{message}");
    }
    let mut edges = group(0);
    edges.logs = vec![
        Log::new(1).with_content("msg", "first second"),
        Log::new(u32::MAX - 1)
            .with_content("msg", "last second")
            .with_time_ns(999_999_999),
    ];
    expect_ok(&sls, &signed(&sls, "app", &edges, Compression::Lz4)).await;
    assert_eq!(sls.stats().accepted, 1);
    assert_eq!(sls.stats().errors_with_code("PostBodyInvalid"), 3);
}

// ---------------------------------------------------------------------------------------
// Web tracking

fn track_request(sls: &LocalSls, logstore: &str, body: &[u8], style: TrackStyle) -> HttpRequest {
    let body = PreparedBody::unsigned(Bytes::copy_from_slice(body), body.len(), Compression::None);
    web_tracking_request(&endpoint(sls), "proj", logstore, &body, style).unwrap()
}

/// A tracking request to logstore `web` with the LZ4 body of `json`, as the core sends it
/// with `TrackStyle::Headers` (and the C SDK does).
fn lz4_track_request(sls: &LocalSls, json: &[u8]) -> HttpRequest {
    let lz4 = PreparedBody::unsigned(
        Bytes::from(compress::compress(Compression::Lz4, json).unwrap()),
        json.len(),
        Compression::Lz4,
    );
    web_tracking_request(&endpoint(sls), "proj", "web", &lz4, TrackStyle::Headers).unwrap()
}

#[tokio::test]
async fn web_tracking_post_in_both_styles() {
    let (sls, _) = server().await;
    for style in [TrackStyle::Headers, TrackStyle::CorsSimple] {
        let mut body = TrackEncoder::new();
        body.push_log(
            &Log::new(5)
                .with_content("page", "/home")
                .with_content("n", "1"),
        );
        body.push_log(&Log::new(5).with_content("page", "/about"));
        let json = body.finish("web-topic", "", [("app", "demo")]);
        expect_ok(&sls, &track_request(&sls, "web", &json, style)).await;
    }
    // LZ4, as the core sends it with `TrackStyle::Headers`.
    let mut body = TrackEncoder::new();
    body.push_log(&Log::new(5).with_content("page", "/lz4"));
    let json = body.finish("web-topic", "", [("app", "demo")]);
    let req = lz4_track_request(&sls, &json);
    expect_ok(&sls, &req).await;
    let got = sls.log_groups("proj", "web");
    assert_eq!(got.len(), 3);
    for g in &got {
        assert_eq!(g.ingest, Ingest::TrackPost);
        assert_eq!(g.auth, AuthKind::Anonymous);
        assert_eq!(g.topic(), "web-topic");
        assert_eq!(g.tag("app"), Some("demo"));
        assert!(
            g.log_group.logs.iter().all(|l| l.time() == T0 as u32),
            "arrival time, not __time__"
        );
        assert!(
            g.log_group.logs.iter().all(|l| l.get("__time__").is_none()),
            "__time__ is not a field"
        );
    }
    assert_eq!(got[0].log_count(), 2);
    assert_eq!(got[0].log_group.logs[1].get("page"), Some("/about"));
    assert_eq!(got[2].compression, Compression::Lz4);
    assert_eq!(got[2].log_group.logs[0].get("page"), Some("/lz4"));

    // A logstore without web tracking refuses anonymous writes.
    let empty = TrackEncoder::new().finish::<[(&str, &str); 0], &str, &str>("", "", []);
    let req = track_request(&sls, "app", &empty, TrackStyle::Headers);
    expect_error(&sls, &req, 401, "Unauthorized").await;
    // No API version anywhere.
    let mut req = track_request(&sls, "web", &empty, TrackStyle::Headers);
    remove_header(&mut req, "x-log-apiversion");
    req.path_and_query = String::from("/logstores/web/track");
    expect_error(&sls, &req, 400, "MissingAPIVersion").await;
    let req = track_request(&sls, "web", b"{nope", TrackStyle::CorsSimple);
    expect_error(&sls, &req, 400, "PostBodyInvalid").await;
    // zstd is not documented for web tracking.
    let mut req = track_request(&sls, "web", &empty, TrackStyle::Headers);
    req.headers
        .push(("x-log-compresstype".into(), "zstd".into()));
    expect_error(&sls, &req, 400, "InvalidCompressType").await;
}

/// The C SDK's form (LZ4 body with `x-log-bodyrawsize`), and a signed request to a logstore
/// without web tracking.
#[tokio::test]
async fn web_tracking_post_compressed_and_signed() {
    let (sls, _) = server().await;
    let mut body = TrackEncoder::new();
    body.push_log(&Log::new(5).with_content("k", "v"));
    let json = body.finish::<[(&str, &str); 0], &str, &str>("c-sdk", "", []);
    let req = lz4_track_request(&sls, &json);
    assert_eq!(req.header("x-log-compresstype"), Some("lz4"));
    assert_eq!(
        req.header("x-log-bodyrawsize"),
        Some(json.len().to_string().as_str())
    );
    expect_ok(&sls, &req).await;
    let got = &sls.log_groups("proj", "web")[0];
    assert_eq!((got.compression, got.topic()), (Compression::Lz4, "c-sdk"));

    let v1 = SigningConfig::v1();
    let mut signed_track = track_request(&sls, "app", &json, TrackStyle::Headers);
    sign(&mut signed_track, &ak(), &v1, t0());
    expect_ok(&sls, &signed_track).await;
    let got = &sls.log_groups("proj", "app")[0];
    assert_eq!(
        got.auth,
        AuthKind::Signed(sls_producer_core::config::SignatureVersion::V1)
    );
    assert_eq!(got.ingest, Ingest::TrackPost);
}

#[tokio::test]
async fn web_tracking_get_forms() {
    let (sls, _) = server().await;
    let host = sls.host_for("proj");
    let mut client = TestClient::connect(sls.addr()).await.unwrap();
    let resp = client
        .send_raw(
            "GET",
            "/logstores/web/track?APIVersion=0.6.0&k1=v%201&__topic__=t",
            &[("host", &host)],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_request_id(&resp);
    let gif = client
        .send_raw(
            "GET",
            "/logstores/web/track.gif?APIVersion=0.6.0&a=1",
            &[("host", &host)],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        (gif.status, gif.header("content-type")),
        (200, Some("image/gif"))
    );
    assert!(gif.body.starts_with(b"GIF89a"));
    let ua = client
        .send_raw(
            "GET",
            "/logstores/web/track_ua.gif?APIVersion=0.6.0&b=2",
            &[
                ("host", &host),
                ("user-agent", "TestAgent/1"),
                ("referer", "http://page.test/"),
            ],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(ua.status, 200);
    let got = sls.log_groups("proj", "web");
    let kv = |i: usize| -> Vec<(String, String)> {
        got[i].log_group.logs[0]
            .contents()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    assert_eq!(got[0].topic(), "t");
    assert_eq!(got[0].source(), "127.0.0.1");
    assert_eq!(kv(0), vec![("k1".to_owned(), "v 1".to_owned())]);
    assert_eq!(got[1].ingest, Ingest::TrackGet);
    assert_eq!(
        kv(2),
        vec![
            ("b".to_owned(), "2".to_owned()),
            ("__userAgent__".to_owned(), "TestAgent/1".to_owned()),
            ("__referer__".to_owned(), "http://page.test/".to_owned()),
        ]
    );
    let no_version = client
        .send_raw(
            "GET",
            "/logstores/web/track?k=v",
            &[("host", &host)],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        no_version.error_code().as_deref(),
        Some("MissingAPIVersion")
    );
    let closed = client
        .send_raw(
            "GET",
            "/logstores/app/track?APIVersion=0.6.0&k=v",
            &[("host", &host)],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        (closed.status, closed.error_code().as_deref()),
        (401, Some("Unauthorized"))
    );
}

// ---------------------------------------------------------------------------------------
// Faults

#[tokio::test]
async fn scripted_statuses_then_normal_service() {
    let (sls, _) = server().await;
    sls.faults().script([
        Fault::status(500),
        Fault::status(502),
        Fault::status(503),
        Fault::status(429),
        Fault::status(403),
        Fault::Delay(Duration::from_millis(1)),
    ]);
    let req = signed(&sls, "app", &group(1), Compression::Lz4);
    let mut seen = Vec::new();
    for _ in 0..6 {
        let r = send(sls.addr(), &req).await.unwrap();
        seen.push((r.status, r.error_code(), r.request_id().is_some()));
    }
    assert_eq!(
        seen,
        vec![
            (500, Some("InternalServerError".into()), true),
            (502, None, false),
            (503, Some("ServerBusy".into()), true),
            (429, Some("TooManyRequests".into()), true),
            (403, Some("WriteQuotaExceed".into()), true),
            (200, None, true),
        ]
    );
    assert_eq!(sls.faults().pending(), 0);
    assert_eq!(sls.faults().injected(), 6);
    assert_eq!(sls.log_count(), 1);
    let stats = sls.stats();
    assert_eq!(stats.errors_with_code("HTTP 502"), 1);
    assert_eq!((stats.accepted, stats.rejected), (1, 5));
}

/// Write `req` on a raw socket and read until the server closes it.
fn raw_exchange(addr: SocketAddr, req: &HttpRequest) -> std::io::Result<Vec<u8>> {
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = format!(
        "{} {} HTTP/1.1\r\n",
        req.method.as_str(),
        req.path_and_query
    );
    for (n, v) in &req.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", req.body.len()));
    s.write_all(head.as_bytes())?;
    s.write_all(&req.body)?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_and_reset_connections() {
    let (sls, _) = server().await;
    let req = signed(&sls, "app", &group(1), Compression::Lz4);
    let addr = sls.addr();

    sls.faults().push(Fault::Drop);
    let r = req.clone();
    let dropped = tokio::task::spawn_blocking(move || raw_exchange(addr, &r))
        .await
        .unwrap();
    assert_eq!(
        dropped.expect("clean close").len(),
        0,
        "no answer before FIN"
    );

    sls.faults().push(Fault::Reset);
    let r = req.clone();
    let reset = tokio::task::spawn_blocking(move || raw_exchange(addr, &r))
        .await
        .unwrap();
    assert_eq!(
        reset.expect_err("reset").kind(),
        std::io::ErrorKind::ConnectionReset
    );

    sls.faults().push(Fault::DropAfterAccept);
    let r = req.clone();
    let accepted_then_dropped = tokio::task::spawn_blocking(move || raw_exchange(addr, &r))
        .await
        .unwrap();
    assert_eq!(accepted_then_dropped.unwrap().len(), 0);
    assert_eq!(sls.log_count(), 1, "stored although unanswered");
    assert_eq!(sls.stats().aborted, 3);

    // The hyper client sees a closed connection as an error.
    sls.faults().push(Fault::Drop);
    assert!(send(addr, &req).await.is_err());
}

#[tokio::test]
async fn rate_limit_answers_write_quota_exceed_per_window() {
    let (sls, clock) = server().await;
    sls.faults().set_rate_limit(Some(RateLimit {
        max_requests: 2,
        per: Duration::from_secs(3600),
    }));
    let req = signed(&sls, "app", &group(1), Compression::Lz4);
    expect_ok(&sls, &req).await;
    expect_ok(&sls, &req).await;
    expect_error(&sls, &req, 403, "WriteQuotaExceed").await;
    clock.advance(Duration::from_secs(3600));
    let mut fresh = put(
        &sls,
        "app",
        None,
        &encode_log_group(&group(1)),
        Compression::Lz4,
        &SigningConfig::v1(),
    );
    sign(
        &mut fresh,
        &ak(),
        &SigningConfig::v1(),
        UnixTime::from_secs(T0 + 3600),
    );
    expect_ok(&sls, &fresh).await;
    assert_eq!(sls.log_count(), 3);
}

#[tokio::test]
async fn latency_delays_but_serves() {
    let (sls, _) = server().await;
    sls.faults().set_latency(Duration::from_millis(20));
    expect_ok(&sls, &signed(&sls, "app", &group(1), Compression::Lz4)).await;
    sls.faults().clear();
    assert_eq!(sls.faults().to_json()["latency_ms"], 0);
}

#[tokio::test]
async fn faults_stats_and_logs_over_http() {
    let (sls, _) = server().await;
    let mut c = TestClient::connect(sls.addr()).await.unwrap();
    let host = sls.addr().to_string();
    let h = [
        ("host", host.as_str()),
        ("content-type", "application/json"),
    ];
    let set = c
        .send_raw(
            "POST",
            "/_sls_local/faults",
            &h,
            r#"{"script":[503,{"status":403,"code":"ShardWriteQuotaExceed","message":"shard"}],"latency_ms":0}"#,
        )
        .await
        .unwrap();
    assert_eq!(set.status, 200);
    assert_eq!(set.json()["script"].as_array().unwrap().len(), 2);
    assert_eq!(sls.faults().pending(), 2);

    let req = signed(&sls, "app", &group(2), Compression::Lz4);
    assert_eq!(
        send(sls.addr(), &req)
            .await
            .unwrap()
            .error_code()
            .as_deref(),
        Some("ServerBusy")
    );
    let r = send(sls.addr(), &req).await.unwrap();
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (403, Some("ShardWriteQuotaExceed"))
    );
    expect_ok(&sls, &req).await;

    let stats = c
        .send_raw("GET", "/_sls_local/stats", &h, Bytes::new())
        .await
        .unwrap()
        .json();
    assert_eq!(stats["accepted"], 1);
    assert_eq!(stats["rejected"], 2);
    assert_eq!(stats["total"]["logs"], 2);
    assert_eq!(stats["errors"]["ServerBusy"], 1);
    assert_eq!(stats["logstores"][0]["logstore"], "app");

    let logs = c
        .send_raw(
            "GET",
            "/_sls_local/logs?project=proj&logstore=app",
            &h,
            Bytes::new(),
        )
        .await
        .unwrap()
        .json();
    let g = &logs["logGroups"][0];
    assert_eq!(g["topic"], "topic");
    assert_eq!(g["auth"], "v1");
    assert_eq!(g["compression"], "lz4");
    assert_eq!(
        g["logs"][1]["contents"][0],
        serde_json::json!(["msg", "hello 1"])
    );
    assert_eq!(
        g["tags"][0],
        serde_json::json!(["__pack_id__", "0123456789ABCDEF-0"])
    );

    let bad = c
        .send_raw("POST", "/_sls_local/faults", &h, "{\"script\":[\"x\"]}")
        .await
        .unwrap();
    assert_eq!(
        (bad.status, bad.error_code().as_deref()),
        (400, Some("ParameterInvalid"))
    );
    c.send_raw(
        "POST",
        "/_sls_local/faults",
        &h,
        r#"{"append":[500],"sts_tokens_expired":true}"#,
    )
    .await
    .unwrap();
    let cleared = c
        .send_raw("DELETE", "/_sls_local/faults", &h, Bytes::new())
        .await
        .unwrap()
        .json();
    assert_eq!(cleared["script"], serde_json::json!([]));
    assert_eq!(cleared["sts_tokens_expired"], false);

    let reset = c
        .send_raw("POST", "/_sls_local/reset", &h, Bytes::new())
        .await
        .unwrap();
    assert_eq!(reset.json()["total"]["logs"], 0);
    assert_eq!(sls.log_count(), 0);
}

// ---------------------------------------------------------------------------------------
// CORS

#[tokio::test]
async fn cors_preflight_and_exposed_request_id() {
    let (sls, _) = server().await;
    let mut c = TestClient::connect(sls.addr()).await.unwrap();
    let host = sls.host_for("proj");
    let pre = c
        .send_raw(
            "OPTIONS",
            "/logstores/app",
            &[
                ("host", host.as_str()),
                ("origin", "http://127.0.0.1:9999"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-md5,x-log-apiversion,x-log-bodyrawsize",
                ),
            ],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(pre.status, 204);
    assert_eq!(
        pre.header("access-control-allow-origin"),
        Some("http://127.0.0.1:9999")
    );
    assert_eq!(
        pre.header("access-control-allow-headers"),
        Some("authorization,content-md5,x-log-apiversion,x-log-bodyrawsize")
    );
    assert!(
        pre.header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    assert_eq!(sls.stats().requests, 0, "preflights are not data requests");

    let mut req = signed(&sls, "app", &group(1), Compression::Lz4);
    req.headers
        .push(("origin".into(), "http://127.0.0.1:9999".into()));
    let ok = c.send(&req).await.unwrap();
    assert_eq!(
        ok.header("access-control-expose-headers"),
        Some("x-log-requestid")
    );
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("http://127.0.0.1:9999")
    );
    let mut bad = req.clone();
    set_header(&mut bad, "authorization", "LOG x:y");
    let err = c.send(&bad).await.unwrap();
    assert_eq!(err.status, 401);
    assert_eq!(
        err.header("access-control-expose-headers"),
        Some("x-log-requestid")
    );
}

// ---------------------------------------------------------------------------------------
// fetch clients (browsers, workers, Node, workerd): the virtual host in x-forwarded-host

/// Dress `req` as `fetch` sends it to an IP endpoint: `Host` is the URL authority, the
/// virtual host it could not set travels in `x-forwarded-host` (runtime-wasm's
/// `FetchTransport`).
fn as_fetch_sends(sls: &LocalSls, req: &mut HttpRequest) {
    let virtual_host = req.header("host").expect("host").to_owned();
    set_header(req, "host", &sls.addr().to_string());
    set_header(req, FORWARDED_HOST, &virtual_host);
}

#[tokio::test]
async fn fetch_clients_name_the_project_in_x_forwarded_host() {
    let (sls, _) = server().await;
    let raw = encode_log_group(&group(1));

    // v1 with the date in x-log-date, as browsers must send it.
    let v1 = SigningConfig::v1().with_date_header(DateHeader::XLogDate);
    let mut req = put(&sls, "app", None, &raw, Compression::Lz4, &v1);
    sign(&mut req, &sts(), &v1, t0());
    as_fetch_sends(&sls, &mut req);
    expect_ok(&sls, &req).await;

    // v4 signs `host`: it is verified against the reconstructed virtual host.
    let v4 = SigningConfig::v4("cn-test");
    let mut req = put(&sls, "app", None, &raw, Compression::Lz4, &v4);
    sign(&mut req, &ak(), &v4, t0());
    as_fetch_sends(&sls, &mut req);
    expect_ok(&sls, &req).await;
    // ...so a forwarded host other than the signed one breaks the signature.
    let mut other = put(&sls, "app", None, &raw, Compression::Lz4, &v4);
    sign(&mut other, &ak(), &v4, t0());
    as_fetch_sends(&sls, &mut other);
    set_header(
        &mut other,
        FORWARDED_HOST,
        &format!("proj.localhost:{}", sls.port()),
    );
    expect_error(&sls, &other, 401, "SignatureNotMatch").await;

    // Anonymous web tracking.
    let mut body = TrackEncoder::new();
    body.push_log(&Log::new(5).with_content("page", "/home"));
    let json = body.finish::<[(&str, &str); 0], &str, &str>("", "", []);
    let mut track = track_request(&sls, "web", &json, TrackStyle::CorsSimple);
    as_fetch_sends(&sls, &mut track);
    expect_ok(&sls, &track).await;

    let app = sls.log_groups("proj", "app");
    assert_eq!(app.len(), 2);
    assert_eq!(
        app.iter().map(|g| g.auth.as_str()).collect::<Vec<_>>(),
        ["v1", "v4"]
    );
    assert_eq!(sls.log_groups("proj", "web").len(), 1);

    // A Host that names a project wins over x-forwarded-host.
    let mut both = signed(&sls, "app", &group(1), Compression::Lz4);
    set_header(&mut both, FORWARDED_HOST, &sls.host_for("nope"));
    expect_ok(&sls, &both).await;
    assert_eq!(sls.log_groups("proj", "app").len(), 3);

    // Neither names a project.
    let mut bare = signed(&sls, "app", &group(1), Compression::Lz4);
    as_fetch_sends(&sls, &mut bare);
    set_header(&mut bare, FORWARDED_HOST, &sls.addr().to_string());
    expect_error(&sls, &bare, 400, "InvalidHost").await;
    // A forwarded host naming an unknown project is that project's error.
    set_header(&mut bare, FORWARDED_HOST, &sls.host_for("nope"));
    expect_error(&sls, &bare, 404, "ProjectNotExist").await;
}

#[tokio::test]
async fn cors_preflight_allows_the_headers_fetch_clients_send() {
    let (sls, _) = server().await;
    let mut c = TestClient::connect(sls.addr()).await.unwrap();
    let addr = sls.addr().to_string();
    let requested = "authorization,content-md5,content-type,x-acs-security-token,x-forwarded-host,x-log-apiversion,x-log-bodyrawsize,x-log-compresstype,x-log-date,x-log-signaturemethod";
    let pre = c
        .send_raw(
            "OPTIONS",
            "/logstores/app/shards/lb",
            &[
                ("host", addr.as_str()),
                ("origin", "http://127.0.0.1:9999"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", requested),
            ],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("access-control-allow-headers"), Some(requested));
    assert_eq!(
        pre.header("access-control-expose-headers"),
        Some("x-log-requestid")
    );
}

// ---------------------------------------------------------------------------------------
// Counting mode, background start

#[tokio::test]
async fn counting_mode_keeps_counters_not_bodies() {
    let (sls, _) = server_with(|b| b.store_mode(StoreMode::CountOnly)).await;
    let req = signed(&sls, "app", &group(100), Compression::Lz4);
    let mut c = TestClient::connect(sls.addr()).await.unwrap();
    for _ in 0..20 {
        assert_eq!(c.send(&req).await.unwrap().status, 200);
    }
    sls.wait_for_logs(2000).await;
    assert_eq!(sls.log_count(), 2000);
    assert!(sls.received().is_empty());
    let s = sls.stats().logstore("proj", "app");
    assert_eq!(
        (s.log_groups, s.logs, s.wire_bytes),
        (20, 2000, 20 * req.body.len() as u64)
    );
}

#[test]
fn background_server_serves_blocking_callers() {
    let clock = ManualClock::new(t0());
    let sls = LocalSls::builder()
        .logstore("proj", "app", LogstoreOptions::default())
        .access_key(AK_ID, AK_SECRET)
        .clock(clock)
        .start_background()
        .unwrap();
    let req = signed(&sls, "app", &group(5), Compression::Zstd);
    let answer = {
        let mut r = req.clone();
        r.headers.push(("connection".into(), "close".into()));
        raw_exchange(sls.addr(), &r).unwrap()
    };
    assert!(
        answer.starts_with(b"HTTP/1.1 200 OK\r\n"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(sls.wait_for_logs_blocking(5, Duration::from_secs(10)));
    assert_eq!(sls.log_groups("proj", "app")[0].log_group, group(5));
    let addr = sls.addr();
    sls.shutdown_blocking();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "port closed after shutdown"
    );
}
