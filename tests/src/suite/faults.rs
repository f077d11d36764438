//! Server faults: 5xx bursts, 429, quota errors, proxy pages, dropped and reset
//! connections, slow and too-slow responses. Nothing is lost and every send gets exactly
//! one outcome: delivered, or failed with its logs handed back.

use core::time::Duration;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use sls_producer_core::{DeliveryFailure, DeliveryResult, Log, Route};

use super::RuntimeUnderTest;
use super::support::{credentials, numbered_log, quick_config, stored_ids, strict_server, within};
use crate::server::{Fault, LogstoreOptions};

const PROJECT: &str = "suite-faults";
const LOGSTORE: &str = "app";

/// Sends of `LOGS_PER_SEND` logs each.
const SENDS: usize = 100;
const LOGS_PER_SEND: usize = 10;

fn send_logs(send: usize) -> Vec<Log> {
    (0..LOGS_PER_SEND)
        .map(|i| numbered_log("f", send * LOGS_PER_SEND + i))
        .collect()
}

/// Every error code (or `http-<status>` for answers without one) in `results`' attempts.
fn attempt_codes<'a>(results: impl IntoIterator<Item = &'a DeliveryResult>) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for result in results {
        for attempt in result.attempts.iter().filter(|a| !a.success) {
            codes.insert(match (&attempt.error_code, attempt.http_status) {
                (Some(code), _) => code.clone(),
                (None, Some(status)) => format!("http-{status}"),
                (None, None) => "transport-without-code".to_owned(),
            });
        }
    }
    codes
}

/// A burst of faults of every kind, taken by whichever requests come first: every send
/// is delivered (the server holds every log at least once; a slow answer that timed out
/// may have been stored twice) and reports the attempts that failed on the way.
pub fn server_faults_lose_nothing<R: RuntimeUnderTest>(rt: &R) {
    let sls = strict_server()
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .start_background()
        .expect("start the local server");
    sls.faults()
        .fail_next(3, 500)
        .fail_next(2, 503)
        .fail_next(1, 502)
        .fail_next(1, 504)
        .fail_next(3, 429)
        .fail_next(1, 403)
        .push(Fault::Drop)
        .push(Fault::Drop)
        .push(Fault::Reset)
        // Slow but in time, then slower than the request timeout (retried).
        .push(Fault::Delay(Duration::from_millis(50)))
        .push(Fault::Delay(Duration::from_millis(1500)))
        .push(Fault::Delay(Duration::from_millis(1500)))
        .push(Fault::DropAfterAccept);
    let scripted = sls.faults().pending();

    let config = quick_config(&sls.endpoint())
        .with_max_batch_count(2 * LOGS_PER_SEND)
        .with_request_timeout(Duration::from_millis(500))
        .with_max_retries(30)
        .with_max_reserved_attempts(31);
    let producer = rt.build(config, credentials());
    let route = Route::new(PROJECT, LOGSTORE).expect("valid names");
    let called_back: Arc<Mutex<Vec<(usize, DeliveryResult)>>> = Arc::default();

    let (handled, metrics) = rt.block_on(async {
        let mut handles = Vec::new();
        for send in 0..SENDS {
            if send % 2 == 0 {
                let handle = producer
                    .send_tracked(&route, send_logs(send))
                    .expect("accepted");
                handles.push((send, handle));
            } else {
                let sink = called_back.clone();
                producer
                    .send_tracked(&route, send_logs(send))
                    .expect("accepted")
                    .on_complete(move |result| {
                        sink.lock().expect("not poisoned").push((send, result));
                    });
            }
        }
        let mut handled = Vec::new();
        for (send, handle) in handles {
            let result = within(rt, Duration::from_secs(60), "a send's outcome", handle).await;
            handled.push((send, result));
        }
        let metrics = within(rt, Duration::from_secs(60), "close", producer.close(None)).await;
        (handled, metrics)
    });

    let called_back = called_back.lock().expect("not poisoned").clone();
    assert_eq!(handled.len(), SENDS / 2);
    assert_eq!(called_back.len(), SENDS / 2, "one callback per send");
    let mut outcomes: Vec<usize> = handled
        .iter()
        .chain(&called_back)
        .map(|(s, _)| *s)
        .collect();
    outcomes.sort_unstable();
    assert_eq!(
        outcomes,
        (0..SENDS).collect::<Vec<_>>(),
        "one outcome per send"
    );
    for (send, result) in handled.iter().chain(&called_back) {
        assert!(
            result.is_success(),
            "[{}] send {send} failed: {:?} after {:?}",
            rt.name(),
            result.failure,
            result.attempts
        );
        assert!(result.logs().is_empty(), "nothing handed back on success");
    }
    let total = (SENDS * LOGS_PER_SEND) as u64;
    assert_eq!(metrics.delivered_logs, total, "{metrics:?}");
    assert_eq!(metrics.failed_logs, 0, "{metrics:?}");

    // Nothing lost: every log is at the server, at least once.
    let stored = stored_ids(&sls, PROJECT, LOGSTORE);
    for n in 0..SENDS * LOGS_PER_SEND {
        let id = format!("f-{n}");
        assert!(
            stored.contains_key(&id),
            "[{}] {id} never arrived",
            rt.name()
        );
    }
    assert_eq!(stored.len(), SENDS * LOGS_PER_SEND, "no stray logs");

    // Every fault was met, and the outcomes say so.
    assert_eq!(sls.faults().pending(), 0, "every scripted fault was used");
    assert_eq!(sls.faults().injected(), scripted as u64);
    let codes = attempt_codes(handled.iter().chain(&called_back).map(|(_, r)| r));
    for expected in [
        "InternalServerError",
        "ServerBusy",
        "TooManyRequests",
        "WriteQuotaExceed",
        "http-502",
        "http-504",
        "IoError",
        "Timeout",
    ] {
        assert!(
            codes.contains(expected),
            "[{}] no attempt reported {expected}; saw {codes:?}",
            rt.name()
        );
    }
    sls.shutdown_blocking();
}

/// A server that keeps failing: the first request is refused for good (400), every other
/// attempt gets a 500 until the retries run out. Every send fails with its own logs
/// handed back, in order, and the final metrics count them all.
pub fn exhausted_retries_hand_every_log_back<R: RuntimeUnderTest>(rt: &R) {
    const SENDS: usize = 30;
    const LOGS: usize = 5;
    let sls = strict_server()
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .start_background()
        .expect("start the local server");
    sls.faults().fail_next(1, 400).fail_next(10_000, 500);
    let config = quick_config(&sls.endpoint())
        .with_max_batch_count(LOGS)
        .with_max_retries(2);
    let producer = rt.build(config, credentials());
    let route = Route::new(PROJECT, LOGSTORE).expect("valid names");
    let sent: Vec<Vec<Log>> = (0..SENDS)
        .map(|s| (0..LOGS).map(|i| numbered_log("x", s * LOGS + i)).collect())
        .collect();

    let (results, metrics) = rt.block_on(async {
        let handles: Vec<_> = sent
            .iter()
            .map(|logs| {
                producer
                    .send_tracked(&route, logs.clone())
                    .expect("accepted")
            })
            .collect();
        let mut results = Vec::new();
        for handle in handles {
            results.push(within(rt, Duration::from_secs(60), "a send's outcome", handle).await);
        }
        let metrics = within(rt, Duration::from_secs(60), "close", producer.close(None)).await;
        (results, metrics)
    });

    let mut refused = 0;
    for (result, logs) in results.iter().zip(&sent) {
        match result.failure {
            Some(DeliveryFailure::NotRetryable { http_status: 400 }) => {
                refused += 1;
                assert_eq!(result.attempt_count, 1, "a 400 is not retried");
            }
            Some(DeliveryFailure::RetriesExhausted) => {
                assert_eq!(result.attempt_count, 3, "1 attempt + 2 retries");
                assert_eq!(result.error_code(), Some("InternalServerError"));
                assert_eq!(result.http_status(), Some(500));
            }
            ref other => panic!("[{}] unexpected outcome {other:?}", rt.name()),
        }
        assert_eq!(&result.logs(), logs, "the send's own logs, in order");
    }
    assert_eq!(refused, 1, "exactly one batch met the 400");
    let total = (SENDS * LOGS) as u64;
    assert_eq!(metrics.delivered_logs, 0, "{metrics:?}");
    assert_eq!(metrics.failed_logs, total, "{metrics:?}");
    assert_eq!(metrics.handed_back_logs, total, "{metrics:?}");
    assert_eq!(sls.log_count(), 0);
    sls.shutdown_blocking();
}
