//! The protobuf PutLogs path end to end, in counting mode (checked and counted, not
//! decoded) and in keeping mode: the same bodies are accepted and refused, and the
//! counters are exact. Then deep checks on a sample of requests
//! ([`LocalSlsBuilder::deep_check_every`]): what the others skip, and what they do not.

use core::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use sls_producer_core::config::Compression;
use sls_producer_core::credentials::Credentials;
use sls_producer_core::protocol::endpoint::Endpoint;
use sls_producer_core::protocol::proto::{Log, LogGroup, LogTag, encode_log_group};
use sls_producer_core::protocol::request::{PreparedBody, PutLogsTarget, put_logs_request};
use sls_producer_core::protocol::sign::{
    BodyDigest, SignatureVersion, SigningConfig, sign_request,
};
use sls_producer_core::rt::HttpRequest;
use sls_producer_core::rt::UnixTime;

use super::{Limits, LocalSls, LocalSlsBuilder, LogstoreOptions, ManualClock, StoreMode};
use crate::client::{TestClient, TestResponse};

const T0: u64 = 1_790_000_000;
const AK: (&str, &str) = ("countAccessKeyId", "countAccessKeySecret");

fn builder(mode: StoreMode) -> LocalSlsBuilder {
    LocalSls::builder()
        .logstore("proj", "app", LogstoreOptions::default())
        .logstore("proj", "other", LogstoreOptions::default())
        .access_key(AK.0, AK.1)
        .clock(ManualClock::new(UnixTime::from_secs(T0)))
        .store_mode(mode)
}

fn group(n: usize, seed: u32) -> LogGroup {
    LogGroup {
        logs: (0..n)
            .map(|i| {
                let i = i as u32;
                Log::new(1_700_000_000 + seed + i)
                    .with_content("msg", format!("log {i} of group {seed}, caf\u{e9}"))
                    .with_content("level", "info")
                    .with_time_ns(i * 1000)
            })
            .collect(),
        topic: Some(format!("topic-{seed}")),
        source: Some("10.0.0.1".into()),
        log_tags: vec![LogTag::new("__pack_id__", format!("ABC-{seed}"))],
        ..LogGroup::default()
    }
}

/// A correctly signed v1 PutLogs request carrying `raw` (valid or not).
fn signed(sls: &LocalSls, logstore: &str, raw: &[u8], compression: Compression) -> HttpRequest {
    let endpoint = Endpoint::parse(&sls.endpoint()).expect("endpoint");
    let target = PutLogsTarget::logstore("proj", logstore).expect("names");
    let body = PreparedBody::new(compression, raw, SignatureVersion::V1).expect("compresses");
    let mut req = put_logs_request(&endpoint, &target, &body, "");
    let creds = Credentials::new(AK.0, AK.1);
    sign_request(
        &mut req,
        &creds,
        &SigningConfig::v1(),
        UnixTime::from_secs(T0),
        body.digest().unwrap(),
    )
    .expect("signs");
    req
}

async fn send(c: &mut TestClient, req: &HttpRequest) -> TestResponse {
    c.send(req).await.expect("answered")
}

#[tokio::test]
async fn counting_mode_counts_every_log_and_byte_and_keeps_nothing() {
    let sls = builder(StoreMode::CountOnly).start().await.unwrap();
    let mut c = TestClient::connect(sls.addr()).await.unwrap();
    let (mut logs, mut raw, mut wire, mut groups) = (0, 0, 0, 0);
    for (seed, n) in [1, 7, 300].into_iter().enumerate() {
        for compression in [Compression::Lz4, Compression::Zstd, Compression::None] {
            let bytes = encode_log_group(&group(n, seed as u32));
            let req = signed(&sls, "app", &bytes, compression);
            assert_eq!(send(&mut c, &req).await.status, 200);
            logs += n as u64;
            raw += bytes.len() as u64;
            wire += req.body.len() as u64;
            groups += 1;
        }
    }
    let other = signed(
        &sls,
        "other",
        &encode_log_group(&group(4, 9)),
        Compression::Lz4,
    );
    assert_eq!(send(&mut c, &other).await.status, 200);

    let stats = sls.stats();
    let app = stats.logstore("proj", "app");
    assert_eq!(
        (app.log_groups, app.logs, app.raw_bytes, app.wire_bytes),
        (groups, logs, raw, wire)
    );
    assert_eq!(stats.logstore("proj", "other").logs, 4);
    assert_eq!(stats.total.logs, logs + 4);
    assert_eq!(
        (stats.requests, stats.accepted, stats.rejected),
        (10, 10, 0)
    );
    assert_eq!(sls.log_count(), logs + 4);
    assert!(sls.received().is_empty());
}

#[tokio::test]
async fn malformed_bodies_are_post_body_invalid_in_both_modes() {
    let valid = encode_log_group(&group(3, 0));
    // A Log without its required Time: prost would decode it with time 0; SLS refuses it.
    let no_time = vec![0x0a, 0x08, 0x12, 0x06, 0x0a, 0x01, b'k', 0x12, 0x01, b'v'];
    let not_utf8 = encode_log_group(&LogGroup {
        logs: vec![Log::new(1).with_content("k", "\u{e9}")],
        ..LogGroup::default()
    })
    .into_iter()
    // The value's two bytes C3 A9 become C3 C3: not UTF-8.
    .map(|b| if b == 0xa9 { 0xc3 } else { b })
    .collect::<Vec<u8>>();
    let bodies: [(&str, Vec<u8>); 4] = [
        ("truncated", valid[..valid.len() - 3].to_vec()),
        ("missing Time", no_time),
        ("not UTF-8", not_utf8),
        ("wire type 7", vec![0x0f]),
    ];
    for mode in [StoreMode::CountOnly, StoreMode::Keep] {
        let sls = builder(mode).start().await.unwrap();
        let mut c = TestClient::connect(sls.addr()).await.unwrap();
        for (name, body) in &bodies {
            for compression in [Compression::Lz4, Compression::None] {
                let resp = send(&mut c, &signed(&sls, "app", body, compression)).await;
                assert_eq!(
                    (resp.status, resp.error_code().as_deref()),
                    (400, Some("PostBodyInvalid")),
                    "{mode:?} {name} {compression:?}: {}",
                    String::from_utf8_lossy(&resp.body)
                );
            }
        }
        let ok = send(&mut c, &signed(&sls, "app", &valid, Compression::Lz4)).await;
        assert_eq!(ok.status, 200, "{mode:?}");
        let stats = sls.stats();
        assert_eq!(stats.errors_with_code("PostBodyInvalid"), 8, "{mode:?}");
        assert_eq!((stats.accepted, stats.rejected), (1, 8), "{mode:?}");
        assert_eq!(stats.logstore("proj", "app").logs, 3, "{mode:?}");
        let kept = sls.received().len();
        assert_eq!(kept, usize::from(mode == StoreMode::Keep), "{mode:?}");
    }
}

#[tokio::test]
async fn counting_mode_still_limits_logs_per_request() {
    let sls = builder(StoreMode::CountOnly)
        .limits(Limits {
            max_logs_per_request: 5,
            ..Limits::SLS
        })
        .start()
        .await
        .unwrap();
    let mut c = TestClient::connect(sls.addr()).await.unwrap();
    let five = signed(
        &sls,
        "app",
        &encode_log_group(&group(5, 1)),
        Compression::Lz4,
    );
    assert_eq!(send(&mut c, &five).await.status, 200);
    let six = signed(
        &sls,
        "app",
        &encode_log_group(&group(6, 2)),
        Compression::Lz4,
    );
    let resp = send(&mut c, &six).await;
    assert_eq!(
        (resp.status, resp.error_code().as_deref()),
        (400, Some("PostBodyTooLarge"))
    );
    assert_eq!(sls.log_count(), 5);
}

#[tokio::test]
async fn an_observer_gets_decoded_groups_in_counting_mode() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let sls = builder(StoreMode::CountOnly)
        .on_log_group(move |g| sink.lock().unwrap().push(g.log_group.clone()))
        .start()
        .await
        .unwrap();
    let g = group(4, 3);
    let req = signed(&sls, "app", &encode_log_group(&g), Compression::Zstd);
    let mut c = TestClient::connect(sls.addr()).await.unwrap();
    assert_eq!(send(&mut c, &req).await.status, 200);
    assert_eq!(*seen.lock().unwrap(), vec![g]);
    assert_eq!(sls.log_count(), 4);
    assert!(sls.received().is_empty());
}

/// How a request built by [`flawed`] departs from a correct one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flaw {
    /// None: a correct request.
    Sound,
    /// `Content-MD5` (v4: `x-log-content-sha256`) is the digest of another body of the
    /// same length; the signature (over the header) is right.
    WrongMd5,
    /// No `Content-MD5` header (the signature, made with it, no longer matches either).
    NoMd5,
    /// Signed with another secret.
    WrongSignature,
    /// `x-log-bodyrawsize` one more than the body decompresses to (signed).
    WrongRawSize,
}

/// A v1 PutLogs request of `raw`, LZ4-compressed, to `app`, with `flaw`.
fn flawed(sls: &LocalSls, raw: &[u8], flaw: Flaw) -> HttpRequest {
    flawed_signed(sls, raw, flaw, &SigningConfig::v1())
}

/// [`flawed`], signed as `config` says (for v4 the digest is `x-log-content-sha256`).
fn flawed_signed(sls: &LocalSls, raw: &[u8], flaw: Flaw, config: &SigningConfig) -> HttpRequest {
    let endpoint = Endpoint::parse(&sls.endpoint()).expect("endpoint");
    let target = PutLogsTarget::logstore("proj", "app").expect("names");
    let body = PreparedBody::new(Compression::Lz4, raw, config.version).expect("compresses");
    let mut req = put_logs_request(&endpoint, &target, &body, "");
    let mut digest = body.digest().unwrap().clone();
    let mut secret = AK.1;
    match flaw {
        Flaw::Sound | Flaw::NoMd5 => {}
        Flaw::WrongMd5 => {
            let mut other = req.body.to_vec();
            other[0] ^= 1;
            digest = BodyDigest::for_version(config.version, &other);
        }
        Flaw::WrongSignature => secret = "anotherAccessKeySecret",
        Flaw::WrongRawSize => {
            for (name, value) in &mut req.headers {
                if name == "x-log-bodyrawsize" {
                    *value = (raw.len() + 1).to_string();
                }
            }
        }
    }
    let creds = Credentials::new(AK.0, secret);
    sign_request(&mut req, &creds, config, UnixTime::from_secs(T0), &digest).expect("signs");
    if flaw == Flaw::NoMd5 {
        req.headers.retain(|(name, _)| name != "content-md5");
    }
    req
}

fn every(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("not zero")
}

/// A counting server that deep-checks one request in `n`.
async fn sampling(n: u32) -> LocalSls {
    builder(StoreMode::CountOnly)
        .deep_check_every(every(n))
        .start()
        .await
        .unwrap()
}

/// Status and error code of each answer to `reqs`, sent in order on one connection.
async fn answers(sls: &LocalSls, reqs: &[HttpRequest]) -> Vec<(u16, Option<String>)> {
    let mut c = TestClient::connect(sls.addr()).await.unwrap();
    let mut out = Vec::new();
    for req in reqs {
        let resp = send(&mut c, req).await;
        out.push((resp.status, resp.error_code()));
    }
    out
}

fn ok() -> (u16, Option<String>) {
    (200, None)
}

fn err(status: u16, code: &str) -> (u16, Option<String>) {
    (status, Some(code.to_owned()))
}

#[tokio::test]
async fn sampling_compares_the_md5_of_the_first_request_and_then_one_in_n() {
    let sls = sampling(3).await;
    let reqs: Vec<_> = (1..=7)
        .map(|n| flawed(&sls, &encode_log_group(&group(n, n as u32)), Flaw::WrongMd5))
        .collect();
    let md5 = err(400, "InvalidContentMD5");
    assert_eq!(
        answers(&sls, &reqs).await,
        [md5.clone(), ok(), ok(), md5.clone(), ok(), ok(), md5]
    );
    // Requests 2, 3, 5 and 6 were accepted: 2 + 3 + 5 + 6 logs, each counted once.
    let stats = sls.stats();
    let app = stats.logstore("proj", "app");
    assert_eq!((app.log_groups, app.logs), (4, 16));
    assert_eq!((stats.accepted, stats.rejected), (4, 3));
    assert_eq!(stats.errors_with_code("InvalidContentMD5"), 3);
}

#[tokio::test]
async fn sampling_compares_the_sha256_of_v4_requests_like_the_md5_of_v1() {
    let sls = sampling(2).await;
    let v4 = SigningConfig::v4("cn-test");
    let raw = encode_log_group(&group(2, 0));
    let reqs: Vec<_> = (0..4)
        .map(|_| flawed_signed(&sls, &raw, Flaw::WrongMd5, &v4))
        .collect();
    // v4 signs the payload hash: SLS answers a body that does not match it as a bad
    // signature.
    let mismatch = err(401, "SignatureNotMatch");
    assert_eq!(
        answers(&sls, &reqs).await,
        [mismatch.clone(), ok(), mismatch, ok()]
    );
    assert_eq!(sls.log_count(), 4);
}

#[tokio::test]
async fn sampling_still_authenticates_and_limits_every_request() {
    let sls = sampling(3).await;
    let raw = encode_log_group(&group(5, 1));
    // Three of each flaw: one deep request (1, 4, 7, 10) and two shallow ones.
    let mut reqs = Vec::new();
    for flaw in [Flaw::WrongSignature, Flaw::NoMd5, Flaw::WrongRawSize] {
        reqs.extend((0..3).map(|_| flawed(&sls, &raw, flaw)));
    }
    reqs.extend((0..3).map(|_| flawed(&sls, &raw, Flaw::Sound)));
    let signature = err(401, "SignatureNotMatch");
    let no_md5 = err(400, "MissingContentMD5");
    let raw_size = err(400, "PostBodyUncompressError");
    let expected = [
        [signature.clone(), signature.clone(), signature],
        [no_md5.clone(), no_md5.clone(), no_md5],
        [raw_size.clone(), raw_size.clone(), raw_size],
        [ok(), ok(), ok()],
    ]
    .concat();
    assert_eq!(answers(&sls, &reqs).await, expected);
    let stats = sls.stats();
    assert_eq!((stats.accepted, stats.rejected), (3, 9));
    assert_eq!(stats.logstore("proj", "app").logs, 15);
}

#[tokio::test]
async fn shallow_requests_walk_only_the_groups_own_fields() {
    let sls = sampling(2).await;
    // One Log without its required Time: only the walk into the log finds it.
    let no_time = [0x0a, 0x08, 0x12, 0x06, 0x0a, 0x01, b'k', 0x12, 0x01, b'v'];
    let valid = encode_log_group(&group(3, 0));
    let truncated = &valid[..valid.len() - 3];
    let reqs = [
        flawed(&sls, &no_time, Flaw::Sound),
        flawed(&sls, &no_time, Flaw::Sound),
        flawed(&sls, truncated, Flaw::Sound),
        flawed(&sls, truncated, Flaw::Sound),
    ];
    let invalid = err(400, "PostBodyInvalid");
    assert_eq!(
        answers(&sls, &reqs).await,
        [invalid.clone(), ok(), invalid.clone(), invalid]
    );
    assert_eq!(sls.log_count(), 1);
}

#[tokio::test]
async fn by_default_every_request_is_checked_deeply() {
    let sls = builder(StoreMode::CountOnly).start().await.unwrap();
    let no_time = [0x0a, 0x08, 0x12, 0x06, 0x0a, 0x01, b'k', 0x12, 0x01, b'v'];
    let raw = encode_log_group(&group(2, 0));
    let mut reqs: Vec<_> = (0..4).map(|_| flawed(&sls, &raw, Flaw::WrongMd5)).collect();
    reqs.extend((0..4).map(|_| flawed(&sls, &no_time, Flaw::Sound)));
    let expected = [
        vec![err(400, "InvalidContentMD5"); 4],
        vec![err(400, "PostBodyInvalid"); 4],
    ]
    .concat();
    assert_eq!(answers(&sls, &reqs).await, expected);
    assert_eq!(sls.log_count(), 0);
}

#[tokio::test]
async fn decoded_groups_are_always_checked_deeply() {
    let keep = builder(StoreMode::Keep).deep_check_every(every(2));
    let observed = builder(StoreMode::CountOnly)
        .deep_check_every(every(2))
        .on_log_group(|_| {});
    for (name, b) in [("keep", keep), ("observer", observed)] {
        let sls = b.start().await.unwrap();
        let raw = encode_log_group(&group(2, 0));
        let reqs: Vec<_> = (0..4).map(|_| flawed(&sls, &raw, Flaw::WrongMd5)).collect();
        assert_eq!(
            answers(&sls, &reqs).await,
            vec![err(400, "InvalidContentMD5"); 4],
            "{name}"
        );
        assert_eq!(sls.log_count(), 0, "{name}");
    }
}
