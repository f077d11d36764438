//! The protobuf PutLogs path end to end, in counting mode (checked and counted, not
//! decoded) and in keeping mode: the same bodies are accepted and refused, and the
//! counters are exact.

use std::sync::{Arc, Mutex};

use sls_producer_core::compress::Compression;
use sls_producer_core::credentials::Credentials;
use sls_producer_core::endpoint::Endpoint;
use sls_producer_core::http::HttpRequest;
use sls_producer_core::proto::{Log, LogGroup, LogTag, encode_log_group};
use sls_producer_core::request::{PreparedBody, PutLogsTarget, put_logs_request};
use sls_producer_core::sign::{SignatureVersion, SigningConfig, sign_request};
use sls_producer_core::time::UnixTime;

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
        body.digest(),
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
