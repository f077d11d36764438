//! Web tracking: a producer without credentials sends its batches as anonymous
//! `POST /logstores/{logstore}/track` JSON requests, which the server checks as SLS does
//! (web tracking enabled on the logstore, API version, body JSON, compression header).

use core::time::Duration;

use sls_producer_core::config::{Compression, TrackStyle, WireMode};
use sls_producer_core::{LogParts, Producer, Route};

use super::RuntimeUnderTest;
use super::support::{numbered_log, quick_config, stored_ids, within};
use crate::server::{AuthKind, Ingest, LocalSls, LogstoreOptions};

const LOGS: usize = 300;

/// Both request styles deliver every log once, anonymously and as tracking posts (LZ4 with
/// the `x-log-*` headers, plain JSON without); a logstore without web tracking refuses the
/// batch (401), whose logs come back to the tracked send.
pub fn web_tracking_delivers_anonymously<R: RuntimeUnderTest>(rt: &R) {
    let sls = LocalSls::builder()
        .logstore("suite-web", "headers", LogstoreOptions::web_tracking())
        .logstore("suite-web", "simple", LogstoreOptions::web_tracking())
        .logstore("suite-web", "closed", LogstoreOptions::default())
        .start_background()
        .expect("start a local server");
    for (logstore, style, compression) in [
        ("headers", TrackStyle::Headers, Compression::Lz4),
        ("simple", TrackStyle::CorsSimple, Compression::None),
    ] {
        let config = quick_config(&sls.endpoint())
            .with_wire(WireMode::WebTracking(style))
            .with_compression(compression)
            .with_no_retry_status_codes(vec![400, 401, 404]);
        // No credentials: web tracking is anonymous.
        let producer = rt.build_from(Producer::builder(config));
        let route = Route::new("suite-web", logstore)
            .expect("valid names")
            .with_topic("clicks");
        let closed = Route::new("suite-web", "closed").expect("valid names");
        let refused = rt.block_on(async {
            for n in 0..LOGS {
                if n % 2 == 0 {
                    let log = numbered_log(logstore, n);
                    producer.send(&route, log).expect("accepted");
                } else {
                    let id = format!("{logstore}-{n}");
                    let pairs = [("id", id.as_str()), ("msg", "parts \"quoted\"\n")];
                    let parts = LogParts::new(1_700_000_000, &pairs);
                    producer.send_parts(&route, parts).expect("accepted");
                }
            }
            let handle = producer
                .send_tracked(&closed, numbered_log("closed", 0))
                .expect("accepted");
            let refused = within(rt, Duration::from_secs(30), "refusal", handle).await;
            within(rt, Duration::from_secs(30), "close", producer.close(None)).await;
            refused
        });
        let stored = stored_ids(&sls, "suite-web", logstore);
        assert_eq!(stored.len(), LOGS, "[{}] {logstore}", rt.name());
        assert!(
            stored.values().all(|&n| n == 1),
            "[{}] duplicates",
            rt.name()
        );
        for group in sls.log_groups("suite-web", logstore) {
            assert_eq!(group.ingest, Ingest::TrackPost, "[{}]", rt.name());
            assert_eq!(group.auth, AuthKind::Anonymous, "[{}]", rt.name());
            assert_eq!(group.compression, compression, "[{}]", rt.name());
            assert_eq!(group.log_group.topic.as_deref(), Some("clicks"));
        }
        assert_eq!(
            refused.http_status(),
            Some(401),
            "[{}] {refused:?}",
            rt.name()
        );
        assert_eq!(
            refused.into_logs(),
            [numbered_log("closed", 0)],
            "[{}] handed back",
            rt.name()
        );
    }
    assert_eq!(sls.logs("suite-web", "closed").len(), 0);
}
