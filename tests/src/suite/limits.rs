//! SLS's limits at the edge: a log SLS would refuse never reaches it, and an answer that
//! says the request is too large is not retried (see `docs/limits.md`).

use core::time::Duration;

use sls_producer_core::config::Compression;
use sls_producer_core::protocol::limits::{MAX_LOG_GROUP_BYTES, MAX_LOG_GROUP_LOGS};
use sls_producer_core::protocol::proto::LogGroup;
use sls_producer_core::protocol::proto::encode_log_group;
use sls_producer_core::{DeliveryFailure, Log, Route, SendError};

use super::RuntimeUnderTest;
use super::support::{LOG_TIME, credentials, numbered_log, quick_config, strict_server, within};
use crate::server::{Limits, LogstoreOptions};

const PROJECT: &str = "suite-limits";
const LOGSTORE: &str = "app";

/// A server that takes at most 4 KiB of raw body per request, and a producer allowed
/// 8 KiB batches that would retry any status: one large log is answered
/// `PostBodyTooLarge` once and failed, with no retry; bad logs are refused at `send`;
/// ordinary logs are delivered.
pub fn limits_are_enforced_at_the_edge<R: RuntimeUnderTest>(rt: &R) {
    let sls = strict_server()
        .limits(Limits {
            max_raw_body_bytes: 4 * 1024,
            ..Limits::SLS
        })
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .start_background()
        .expect("start the local server");
    let config = quick_config(&sls.endpoint())
        .with_max_batch_bytes(8 * 1024)
        .with_max_retries(5)
        .with_no_retry_status_codes(vec![]);
    let producer = rt.build(config, credentials());
    let route = Route::new(PROJECT, LOGSTORE).expect("valid names");

    let bad = numbered_log("bad", 0).with_content("__time__", "1");
    match producer.send(&route, bad.clone()) {
        Err(SendError::ReservedKey { key, record, .. }) => {
            assert_eq!(key, "__time__");
            assert_eq!(record.into_logs(), [bad]);
        }
        other => panic!("[{}] a reserved key was not refused: {other:?}", rt.name()),
    }
    let large = Log::new(1_700_000_000).with_content("big", "x".repeat(6 * 1024));
    let (too_large, fine, metrics) = rt.block_on(async {
        let too_large = producer
            .send_tracked(&route, large.clone())
            .expect("fits a batch");
        let too_large = within(rt, Duration::from_secs(60), "the large log", too_large).await;
        let fine = producer
            .send_tracked(&route, numbered_log("ok", 0))
            .expect("accepted");
        let fine = within(rt, Duration::from_secs(60), "the small log", fine).await;
        let metrics = within(rt, Duration::from_secs(60), "close", producer.close(None)).await;
        (too_large, fine, metrics)
    });
    assert_eq!(
        too_large.failure,
        Some(DeliveryFailure::NotRetryable { http_status: 400 }),
        "[{}] {too_large:?}",
        rt.name()
    );
    assert_eq!(too_large.attempt_count, 1, "a too-large answer is final");
    assert_eq!(too_large.error_code(), Some("PostBodyTooLarge"));
    assert_eq!(too_large.logs(), [large], "handed back");
    assert!(fine.is_success(), "{fine:?}");
    assert_eq!(metrics.delivered_logs, 1, "{metrics:?}");
    assert_eq!(sls.log_count(), 1);
    sls.shutdown_blocking();
}

/// A producer whose batches may be as large as SLS takes (`max_batch_bytes` 5 MiB, up to
/// 40,960 logs) against a server with the service's limits (`Limits::SLS`): its full
/// batches, within one log of the limit, are accepted, compressed or not.
pub fn a_batch_at_the_size_limit_is_accepted<R: RuntimeUnderTest>(rt: &R) {
    const LOGS: u64 = 6_000;
    let sls = strict_server()
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .start_background()
        .expect("start the local server");
    let route = Route::new(PROJECT, LOGSTORE).expect("valid names");
    let log = |n: u64| {
        Log::new(LOG_TIME)
            .with_content("id", format!("{n:06}"))
            .with_content("msg", "x".repeat(1000))
    };
    // What one log adds to a LogGroup's encoding.
    let log_bytes = encode_log_group(&LogGroup {
        logs: vec![log(0)],
        ..LogGroup::default()
    })
    .len();
    for compression in [Compression::Lz4, Compression::None] {
        let config = quick_config(&sls.endpoint())
            .with_max_batch_bytes(MAX_LOG_GROUP_BYTES)
            .with_max_batch_count(MAX_LOG_GROUP_LOGS)
            // Sealed by size (or by close), never by time.
            .with_linger(Duration::from_secs(600))
            .with_compression(compression);
        let producer = rt.build(config, credentials());
        for n in 0..LOGS {
            producer.send(&route, log(n)).expect("accepted");
        }
        let metrics = rt.block_on(within(
            rt,
            Duration::from_secs(120),
            "close",
            producer.close(None),
        ));
        assert_eq!(
            (metrics.delivered_logs, metrics.failed_logs),
            (LOGS, 0),
            "[{}] {compression:?}: {metrics:?}",
            rt.name()
        );
        let largest = sls
            .received()
            .iter()
            .filter(|g| g.compression == compression)
            .map(|g| g.raw_bytes)
            .max()
            .expect("groups received");
        assert!(
            largest <= MAX_LOG_GROUP_BYTES && largest + log_bytes > MAX_LOG_GROUP_BYTES,
            "[{}] {compression:?}: the largest group has {largest} bytes",
            rt.name()
        );
    }
    assert_eq!(sls.log_count(), 2 * LOGS);
    sls.shutdown_blocking();
}
