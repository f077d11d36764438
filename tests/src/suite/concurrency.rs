//! Concurrent senders on plain threads and runtime tasks, and the blocking facade.

use core::time::Duration;
use std::collections::BTreeSet;
use std::sync::{Arc, mpsc};

use sls_producer_core::engine::{PushError, Record, Route};

use super::RuntimeUnderTest;
use super::support::{credentials, numbered_log, quick_config, stored_ids, strict_server, within};
use crate::server::LogstoreOptions;

const PROJECT: &str = "suite-concurrency";
const LOGSTORE: &str = "app";
const THREADS: usize = 4;
const TASKS: usize = 4;
const LOGS_EACH: usize = 25_000;

/// Four plain threads (`send`, outside any runtime) and four runtime tasks
/// (`send_async`, on the runtime's worker threads) send at once to one route. Every log
/// arrives exactly once and the producer's counters agree.
pub fn concurrent_senders_on_threads_and_tasks<R: RuntimeUnderTest>(rt: &R) {
    let sls = strict_server()
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .start_background()
        .expect("start the local server");
    let producer = rt.build(quick_config(&sls.endpoint()), credentials());
    let route = Route::new(PROJECT, LOGSTORE).expect("valid names");

    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let producer = producer.clone();
            let route = route.clone();
            std::thread::spawn(move || {
                for n in 0..LOGS_EACH {
                    let mut record = Record::Log(numbered_log(&format!("thread{t}"), n));
                    loop {
                        match producer.send(&route, record) {
                            Ok(_) => break,
                            Err(PushError::BufferFull { record: back, .. }) => {
                                record = back;
                                std::thread::sleep(Duration::from_millis(1));
                            }
                            Err(e) => panic!("thread {t}: send {n} refused: {e}"),
                        }
                    }
                }
            })
        })
        .collect();
    let report = rt.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let producer = producer.clone();
                let route = route.clone();
                rt.spawn(async move {
                    for n in 0..LOGS_EACH {
                        producer
                            .send_async(&route, numbered_log(&format!("task{t}"), n))
                            .await
                            .unwrap_or_else(|e| panic!("task {t}: send {n} refused: {e}"));
                    }
                })
            })
            .collect();
        for task in tasks {
            within(rt, Duration::from_secs(120), "a sending task", task).await;
        }
        for thread in threads {
            thread.join().expect("a sending thread");
        }
        within(rt, Duration::from_secs(120), "close", producer.close(None)).await
    });

    let total = (THREADS + TASKS) * LOGS_EACH;
    assert_eq!(
        report.delivered_logs,
        total as u64,
        "[{}] {report:?}",
        rt.name()
    );
    assert_eq!(report.failed_logs, 0, "{report:?}");
    let stored = stored_ids(&sls, PROJECT, LOGSTORE);
    let expected: BTreeSet<String> = (0..THREADS)
        .map(|t| format!("thread{t}"))
        .chain((0..TASKS).map(|t| format!("task{t}")))
        .flat_map(|sender| (0..LOGS_EACH).map(move |n| format!("{sender}-{n}")))
        .collect();
    assert_eq!(stored.len(), total, "[{}] distinct logs stored", rt.name());
    assert!(
        stored.keys().eq(expected.iter()),
        "[{}] exactly the logs sent",
        rt.name()
    );
    assert!(stored.values().all(|&n| n == 1), "each exactly once");
    sls.shutdown_blocking();
}

/// The blocking facade: from a plain thread, `send` + `flush_blocking` (the logs are at
/// the server when it returns) + `close_blocking` (everything delivered, later sends
/// refused with the log handed back). From a delivery callback, which runs on the
/// driver, a blocking call is refused instead of waiting for itself.
pub fn blocking_facade_on_plain_threads<R: RuntimeUnderTest>(rt: &R) {
    let sls = strict_server()
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .start_background()
        .expect("start the local server");
    let producer = rt.build(quick_config(&sls.endpoint()), credentials());
    let route = Route::new(PROJECT, LOGSTORE).expect("valid names");

    // A callback that tries to block on its own driver.
    let (tx, rx) = mpsc::channel();
    let inner = producer.clone();
    producer
        .send_with_callback(&route, numbered_log("callback", 0), move |result| {
            let refusal = R::flush_blocking(&inner).err().map(|e| e.to_string());
            let _ = tx.send((result.is_success(), refusal));
        })
        .expect("accepted");
    let (delivered, refusal) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the callback ran (and did not hang)");
    assert!(delivered);
    assert!(
        refusal.is_some(),
        "[{}] flush_blocking from a delivery callback must be refused",
        rt.name()
    );

    let sls = Arc::new(sls);
    let worker = {
        let producer = producer.clone();
        let route = route.clone();
        let sls = sls.clone();
        std::thread::spawn(move || -> Result<_, String> {
            for n in 0..1_000 {
                producer
                    .send(&route, numbered_log("plain", n))
                    .map_err(|e| e.to_string())?;
            }
            R::flush_blocking(&producer).map_err(|e| e.to_string())?;
            // `flush_blocking` returned: the server has stored every earlier log.
            let after_flush = sls.log_count();
            for n in 1_000..1_500 {
                producer
                    .send(&route, numbered_log("plain", n))
                    .map_err(|e| e.to_string())?;
            }
            let report = R::close_blocking(&producer, Some(Duration::from_secs(10)))
                .map_err(|e| e.to_string())?;
            let refused = producer.send(&route, numbered_log("plain", 1_500));
            Ok((after_flush, report, refused))
        })
    };
    let (after_flush, report, refused) = worker
        .join()
        .expect("the plain thread ends")
        .unwrap_or_else(|e| panic!("[{}] blocking facade: {e}", rt.name()));
    assert_eq!(
        after_flush,
        1_001,
        "[{}] flush_blocking waited for the server",
        rt.name()
    );
    assert_eq!(report.delivered_logs, 1_501, "{report:?}");
    assert_eq!(report.failed_logs, 0, "{report:?}");
    match refused {
        Err(PushError::Closed { record }) => {
            assert_eq!(record, Record::Log(numbered_log("plain", 1_500)));
        }
        other => panic!("[{}] a send after close_blocking: {other:?}", rt.name()),
    }
    assert_eq!(sls.log_count(), 1_501);
}
