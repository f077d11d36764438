//! Clock skew: the server's clock is an hour ahead of the producer's, so its first
//! requests are refused with `RequestTimeExpired`. The producer learns the offset from the
//! answer's `Date` once, re-signs and delivers everything, log times unchanged.

use core::time::Duration;

use sls_producer_core::Route;

use super::RuntimeUnderTest;
use super::support::{
    LOG_TIME, credentials, numbered_log, quick_config, stored_ids, strict_server, within,
};
use crate::server::{ClockSkew, LogstoreOptions};

const PROJECT: &str = "suite-skew";
const LOGSTORE: &str = "app";
const LOGS: usize = 200;

/// Every log is delivered once although the server's clock is an hour ahead; the offset
/// is learned once (the metrics say so) and the logs keep their own times.
pub fn skewed_server_clock_is_learned_once<R: RuntimeUnderTest>(rt: &R) {
    let sls = strict_server()
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .start_background()
        .expect("start the local server");
    sls.faults()
        .set_clock_skew(ClockSkew::Ahead(Duration::from_secs(3600)));
    // No retries at all: only the immediate, re-signed retry of a time refusal gets through.
    let config = quick_config(&sls.endpoint()).with_max_retries(1);
    let producer = rt.build(config, credentials());
    let route = Route::new(PROJECT, LOGSTORE).expect("valid names");
    rt.block_on(async {
        for n in 0..LOGS {
            producer
                .send(&route, numbered_log("skew", n))
                .expect("accepted");
        }
        within(rt, Duration::from_secs(30), "close", producer.close(None)).await;
    });
    let stored = stored_ids(&sls, PROJECT, LOGSTORE);
    assert_eq!(stored.len(), LOGS, "[{}] every log delivered", rt.name());
    assert!(
        stored.values().all(|&n| n == 1),
        "[{}] no duplicates",
        rt.name()
    );
    assert!(
        sls.stats().errors_with_code("RequestTimeExpired") >= 1,
        "[{}]",
        rt.name()
    );
    let metrics = producer.metrics();
    assert_eq!(metrics.clock_corrections, 1, "[{}] learned once", rt.name());
    let hour_ms = 3_600_000;
    assert!(
        (hour_ms - 5_000..=hour_ms + 5_000).contains(&metrics.clock_offset_ms),
        "[{}] offset {} ms",
        rt.name(),
        metrics.clock_offset_ms
    );
    assert!(
        sls.logs(PROJECT, LOGSTORE)
            .iter()
            .all(|l| l.time() == LOG_TIME),
        "[{}] log times kept",
        rt.name()
    );
}
