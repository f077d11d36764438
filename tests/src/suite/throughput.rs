//! 1,000,000 logs over several projects, logstores, topics and shard keys, all delivered
//! and counted exactly; the wall time and rate are printed (figures, not assertions).

use core::time::Duration;
use std::collections::BTreeMap;

use sls_producer_core::{ProducerConfig, Route, SendError, ShardKey};

use super::RuntimeUnderTest;
use super::support::{Stopwatch, credentials, numbered_log, strict_server, within};
use crate::server::{LogstoreOptions, StoreMode};

/// Logs sent by [`million_logs_counted_exactly`].
const MILLION: usize = 1_000_000;

const PROJECTS: [&str; 2] = ["suite-p0", "suite-p1"];
const LOGSTORES: [&str; 2] = ["app", "web"];
const TOPICS: [&str; 4] = ["t0", "t1", "t2", "t3"];
const SHARD_HASHES: [&str; 8] = [
    "user-0", "user-1", "user-2", "user-3", "user-4", "user-5", "user-6", "user-7",
];

/// Every combination of project, logstore, topic (with its own source) and shard hash.
fn routes() -> Vec<Route> {
    let mut routes = Vec::new();
    for project in PROJECTS {
        for logstore in LOGSTORES {
            for (i, topic) in TOPICS.iter().enumerate() {
                let base = Route::new(project, logstore)
                    .expect("valid names")
                    .with_topic(topic)
                    .with_source(&format!("10.0.0.{i}"));
                for hash in SHARD_HASHES {
                    routes.push(base.clone().with_shard_key(ShardKey::from_hash(hash)));
                }
            }
        }
    }
    routes
}

/// Send 1,000,000 logs round-robin over 128 routes (2 projects × 2 logstores × 4 topics ×
/// 8 shard hashes), close, and check that the server counted every log exactly once, per
/// logstore, and that the producer reports every log delivered. Prints wall time and
/// logs/s.
pub fn million_logs_counted_exactly<R: RuntimeUnderTest>(rt: &R) {
    let mut server = strict_server().store_mode(StoreMode::CountOnly);
    for project in PROJECTS {
        for logstore in LOGSTORES {
            server = server.logstore(project, logstore, LogstoreOptions::default());
        }
    }
    let sls = server.start_background().expect("start the local server");
    let config = ProducerConfig::new(sls.endpoint()).with_linger(Duration::from_millis(50));
    let producer = rt.build(config, credentials());
    let routes = routes();
    assert_eq!(routes.len(), 128, "every route is distinct");

    let mut expected: BTreeMap<(String, String), u64> = BTreeMap::new();
    let watch = Stopwatch::start();
    let metrics = rt.block_on(async {
        for n in 0..MILLION {
            let route = &routes[n % routes.len()];
            let record = match producer.send(route, numbered_log("m", n)) {
                Ok(_) => None,
                Err(SendError::BufferFull { record, .. }) => Some(record),
                Err(e) => panic!("[{}] send {n} refused: {e}", rt.name()),
            };
            if let Some(record) = record {
                // The budget is full: wait (up to max_block) for room, like a real sender.
                producer
                    .send_async(route, record)
                    .await
                    .unwrap_or_else(|e| panic!("[{}] send {n} refused: {e}", rt.name()));
            }
            *expected
                .entry((route.project().to_owned(), route.logstore().to_owned()))
                .or_default() += 1;
        }
        within(
            rt,
            Duration::from_secs(600),
            "closing after 1,000,000 sends",
            producer.close(None),
        )
        .await
    });
    let elapsed = watch.elapsed();
    eprintln!(
        "[{}] {MILLION} logs sent and delivered in {:.2} s wall: {:.0} logs/s",
        rt.name(),
        elapsed.as_secs_f64(),
        MILLION as f64 / elapsed.as_secs_f64()
    );

    let million = MILLION as u64;
    assert_eq!(metrics.delivered_logs, million, "{metrics:?}");
    assert_eq!(metrics.failed_logs, 0, "{metrics:?}");
    assert_eq!(
        sls.log_count(),
        million,
        "the server counted every log once"
    );
    let stats = sls.stats();
    assert_eq!(stats.rejected, 0, "no request was refused: {stats:?}");
    assert_eq!(stats.aborted, 0, "{stats:?}");
    for ((project, logstore), count) in &expected {
        assert_eq!(
            stats.logstore(project, logstore).logs,
            *count,
            "logs of {project}/{logstore}"
        );
    }
    assert_eq!(expected.values().sum::<u64>(), million);
    // The blocking close agrees once everything is closed.
    let again = producer
        .close_blocking(None)
        .unwrap_or_else(|e| panic!("[{}] close_blocking on a plain thread: {e}", rt.name()));
    assert_eq!(again.delivered_logs, million);
    sls.shutdown_blocking();
}
