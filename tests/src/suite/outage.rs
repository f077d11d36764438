//! A server that stays down: `close(deadline)` returns in time and hands every
//! undelivered log back, whether the requests fail fast (nothing listens) or hang (the
//! server never answers).

use core::time::Duration;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use sls_producer_core::{DeliveryFailure, DeliveryResult, Log, Record, Route, SendError};

use super::RuntimeUnderTest;
use super::support::{
    Stopwatch, closed_port, credentials, numbered_log, quick_config, strict_server, within,
};
use crate::server::LogstoreOptions;

const PROJECT: &str = "suite-outage";
const LOGSTORE: &str = "app";
const SENDS: usize = 20;
const LOGS: usize = 10;
/// The close deadline.
const DEADLINE: Duration = Duration::from_millis(300);
/// Hang guard for a close with [`DEADLINE`]: far beyond it.
const CLOSE_GUARD: Duration = Duration::from_secs(30);

fn sent_logs() -> Vec<Vec<Log>> {
    (0..SENDS)
        .map(|s| (0..LOGS).map(|i| numbered_log("o", s * LOGS + i)).collect())
        .collect()
}

/// `in_flight: None` accepts either: a connect that is refused within a millisecond can
/// still be under way at the deadline.
fn assert_handed_back(
    rt_name: &str,
    result: &DeliveryResult,
    logs: &[Log],
    in_flight: Option<bool>,
) {
    let closed = match result.failure {
        Some(DeliveryFailure::Closed { in_flight }) => Some(in_flight),
        _ => None,
    };
    assert!(
        closed.is_some() && (in_flight.is_none() || closed == in_flight),
        "[{rt_name}] expected Closed {{ in_flight: {in_flight:?} }}, got {:?}; {:?}",
        result.failure,
        result.attempts
    );
    assert_eq!(
        result.logs(),
        logs,
        "[{rt_name}] the send's own logs, in order"
    );
}

/// Nothing listens on the endpoint: every attempt fails to connect and is retried (the
/// retry budget is far from used up). `close(300 ms).await` returns, every send fails
/// with `Closed` and its logs handed back (to handles and callbacks alike), and the
/// producer refuses later sends, handing the log back too.
pub fn close_deadline_with_server_down<R: RuntimeUnderTest>(rt: &R) {
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let config = quick_config(&endpoint)
        .with_max_batch_count(LOGS)
        .with_max_retries(1_000)
        .with_retry_backoff(Duration::from_millis(5), Duration::from_millis(50));
    let producer = rt.build(config, credentials());
    let route = Route::new(PROJECT, LOGSTORE).expect("valid names");
    let sent = sent_logs();
    let called_back: Arc<Mutex<Vec<(usize, DeliveryResult)>>> = Arc::default();

    let (handled, metrics, took) = rt.block_on(async {
        let mut handles = Vec::new();
        for (send, logs) in sent.iter().enumerate() {
            if send % 2 == 0 {
                let handle = producer
                    .send_tracked(&route, logs.clone())
                    .expect("accepted");
                handles.push((send, handle));
            } else {
                let sink = called_back.clone();
                producer
                    .send_tracked(&route, logs.clone())
                    .expect("accepted")
                    .on_complete(move |r| {
                        sink.lock().expect("not poisoned").push((send, r));
                    });
            }
        }
        // Let the requests fail and be retried a few times.
        rt.sleep(Duration::from_millis(200)).await;
        let watch = Stopwatch::start();
        let metrics = within(
            rt,
            CLOSE_GUARD,
            "close(300 ms)",
            producer.close(Some(DEADLINE)),
        )
        .await;
        let took = watch.elapsed();
        let mut handled = Vec::new();
        for (send, handle) in handles {
            handled.push((send, within(rt, CLOSE_GUARD, "an outcome", handle).await));
        }
        // Past its deadline the close returned with outcomes decided, and callbacks may
        // still be running (ADR 0009): a close without deadline waits for them.
        let after = within(rt, CLOSE_GUARD, "close(None)", producer.close(None)).await;
        assert_eq!(after.undelivered_outcomes, 0, "{after:?}");
        (handled, metrics, took)
    });
    eprintln!(
        "[{}] server down: close({DEADLINE:?}) returned after {took:?}",
        rt.name()
    );

    let called_back = called_back.lock().expect("not poisoned").clone();
    assert_eq!(
        handled.len() + called_back.len(),
        SENDS,
        "one outcome per send"
    );
    let mut saw_connect_error = false;
    for (send, result) in handled.iter().chain(&called_back) {
        assert_handed_back(rt.name(), result, &sent[*send], None);
        saw_connect_error |= result.error_code() == Some("ConnectError");
    }
    assert!(
        saw_connect_error,
        "[{}] the attempts say why: nothing listens",
        rt.name()
    );
    let total = (SENDS * LOGS) as u64;
    assert_eq!(metrics.delivered_logs, 0, "{metrics:?}");
    assert_eq!(metrics.failed_logs, total, "{metrics:?}");
    assert_eq!(metrics.handed_back_logs, total, "{metrics:?}");
    assert_eq!(metrics.closed_logs, total, "{metrics:?}");

    let late = numbered_log("o", 9_999);
    match producer.send(&route, late.clone()) {
        Err(SendError::Closed { record }) => assert_eq!(record, Record::Log(late)),
        other => panic!("[{}] a send after close: {other:?}", rt.name()),
    }
}

/// The server accepts requests and never answers. `close_blocking(300 ms)` on a plain
/// thread returns, and every send fails with `Closed { in_flight: true }` (the server may
/// still store the logs: re-sending them can duplicate) with its logs handed back.
pub fn close_deadline_with_requests_in_flight_blocking<R: RuntimeUnderTest>(rt: &R) {
    let sls = strict_server()
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .start_background()
        .expect("start the local server");
    sls.faults().set_latency(Duration::from_secs(120));
    let config = quick_config(&sls.endpoint())
        .with_max_batch_count(LOGS)
        .with_request_timeout(Duration::from_secs(100));
    let producer = rt.build(config, credentials());
    let route = Route::new(PROJECT, LOGSTORE).expect("valid names");
    let sent = sent_logs();

    let handles = rt.block_on(async {
        let handles: Vec<_> = sent
            .iter()
            .map(|logs| {
                producer
                    .send_tracked(&route, logs.clone())
                    .expect("accepted")
            })
            .collect();
        // Linger, then every batch's request goes out and hangs.
        within(rt, CLOSE_GUARD, "every batch in flight", async {
            while producer.metrics().requests < SENDS as u64 {
                rt.sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        handles
    });

    let (tx, rx) = mpsc::channel();
    let closer = producer.clone();
    let thread = std::thread::spawn(move || {
        let watch = Stopwatch::start();
        let metrics = closer.close_blocking(Some(DEADLINE));
        let _ = tx.send((metrics.map_err(|e| e.to_string()), watch.elapsed()));
    });
    let (metrics, took) = rx
        .recv_timeout(CLOSE_GUARD)
        .unwrap_or_else(|_| panic!("[{}] close_blocking(300 ms) hung", rt.name()));
    thread.join().expect("the closing thread ends");
    let metrics = metrics.unwrap_or_else(|e| panic!("[{}] close_blocking refused: {e}", rt.name()));
    eprintln!(
        "[{}] server hanging: close_blocking({DEADLINE:?}) returned after {took:?}",
        rt.name()
    );

    let results = rt.block_on(async {
        let mut results = Vec::new();
        for handle in handles {
            results.push(within(rt, CLOSE_GUARD, "an outcome", handle).await);
        }
        results
    });
    for (result, logs) in results.iter().zip(&sent) {
        assert_handed_back(rt.name(), result, logs, Some(true));
    }
    let total = (SENDS * LOGS) as u64;
    assert_eq!(metrics.failed_logs, total, "{metrics:?}");
    assert_eq!(metrics.handed_back_logs, total, "{metrics:?}");
    assert_eq!(metrics.closed_logs, total, "{metrics:?}");
    assert_eq!(
        sls.log_count(),
        0,
        "nothing was answered, so nothing was stored yet"
    );
    // Do not wait for the hanging requests: dropping the server stops it in the background.
    sls.faults().clear();
    drop(sls);
}
