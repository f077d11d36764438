//! Concurrent senders on plain threads and runtime tasks, and the blocking methods.

use core::time::Duration;
use std::collections::BTreeSet;
use std::sync::{Arc, mpsc};

use sls_producer_core::{BlockingError, Log, Producer, Record, Route, SendError};

use super::RuntimeUnderTest;
use super::support::{
    Stopwatch, credentials, numbered_log, quick_config, stored_ids, strict_server, within,
};
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
                            Err(SendError::BufferFull { record: back, .. }) => {
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
    let metrics = rt.block_on(async {
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
        metrics.delivered_logs,
        total as u64,
        "[{}] {metrics:?}",
        rt.name()
    );
    assert_eq!(metrics.failed_logs, 0, "{metrics:?}");
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

/// The blocking methods: from a plain thread, `send` + `flush_blocking` (the logs are at
/// the server when it returns) + `send_blocking` + `close_blocking` (everything
/// delivered, later sends refused with the log handed back). From a delivery callback,
/// which runs on the driver, a blocking call is refused with `InsideDriver` instead of
/// waiting for itself.
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
    let callback_route = route.clone();
    producer
        .send_tracked(&route, numbered_log("callback", 0))
        .expect("accepted")
        .on_complete(move |result| {
            let refusals = (
                inner.flush_blocking().err(),
                inner.close_blocking(None).err(),
                inner
                    .send_blocking(&callback_route, numbered_log("callback", 1))
                    .err(),
            );
            let _ = tx.send((result.is_success(), refusals));
        });
    let (delivered, (flush, close, send)) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the callback ran (and did not hang)");
    assert!(delivered);
    assert_eq!(
        (flush, close),
        (
            Some(BlockingError::InsideDriver),
            Some(BlockingError::InsideDriver)
        ),
        "[{}] blocking from a delivery callback must be refused",
        rt.name()
    );
    match send {
        Some(SendError::CannotBlock { record, reason }) => {
            assert_eq!(reason, BlockingError::InsideDriver);
            assert_eq!(record, Record::Log(numbered_log("callback", 1)));
        }
        other => panic!("[{}] send_blocking from a callback: {other:?}", rt.name()),
    }
    assert!(
        !producer.is_closed(),
        "the refused close_blocking did nothing"
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
            producer.flush_blocking().map_err(|e| e.to_string())?;
            // `flush_blocking` returned: the server has stored every earlier log.
            let after_flush = sls.log_count();
            for n in 1_000..1_500 {
                producer
                    .send_blocking(&route, numbered_log("plain", n))
                    .map_err(|e| e.to_string())?;
            }
            let metrics = producer
                .close_blocking(Some(Duration::from_secs(10)))
                .map_err(|e| e.to_string())?;
            let refused = producer.send(&route, numbered_log("plain", 1_500));
            Ok((after_flush, metrics, refused))
        })
    };
    let (after_flush, metrics, refused) = worker
        .join()
        .expect("the plain thread ends")
        .unwrap_or_else(|e| panic!("[{}] blocking methods: {e}", rt.name()));
    assert_eq!(
        after_flush,
        1_001,
        "[{}] flush_blocking waited for the server",
        rt.name()
    );
    assert_eq!(metrics.delivered_logs, 1_501, "{metrics:?}");
    assert_eq!(metrics.failed_logs, 0, "{metrics:?}");
    match refused {
        Err(SendError::Closed { record }) => {
            assert_eq!(record, Record::Log(numbered_log("plain", 1_500)));
        }
        other => panic!("[{}] a send after close_blocking: {other:?}", rt.name()),
    }
    assert_eq!(sls.log_count(), 1_501);
}

/// A log of about 700 bytes: a memory budget of 1 KiB holds one.
fn big_log(n: usize) -> Log {
    numbered_log("big", n).with_content("padding", "x".repeat(600))
}

/// A producer whose memory budget holds one [`big_log`], waiting up to `max_block` for room.
fn one_log_budget<R: RuntimeUnderTest>(rt: &R, endpoint: &str, max_block: Duration) -> Producer {
    let config = quick_config(endpoint)
        .with_max_batch_bytes(1024)
        .with_memory_budget(4096)
        .with_max_block(max_block);
    rt.build(config, credentials())
}

/// `send_blocking` on a plain thread (the Go producer's `SendLog`): with the memory budget
/// full, it waits until a delivery makes room, then sends; when no room comes within
/// `max_block`, it gives up and hands the log back, nothing sent.
pub fn send_blocking_waits_for_room_up_to_max_block<R: RuntimeUnderTest>(rt: &R) {
    let sls = strict_server()
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .start_background()
        .expect("start the local server");
    let route = Route::new(PROJECT, LOGSTORE).expect("valid names");

    // Room comes back once the first log is delivered (300 ms), well within max_block.
    sls.faults().set_latency(Duration::from_millis(300));
    let producer = one_log_budget(rt, &sls.endpoint(), Duration::from_secs(30));
    producer.send(&route, big_log(0)).expect("room for one");
    assert!(
        matches!(
            producer.send(&route, big_log(1)),
            Err(SendError::BufferFull { .. })
        ),
        "[{}] the budget holds one log",
        rt.name()
    );
    let worker = {
        let producer = producer.clone();
        let route = route.clone();
        std::thread::spawn(move || {
            let watch = Stopwatch::start();
            let sent = producer.send_blocking(&route, big_log(1));
            (sent.map(|_| ()).map_err(|e| e.to_string()), watch.elapsed())
        })
    };
    let (sent, waited) = worker.join().expect("the sending thread ends");
    sent.unwrap_or_else(|e| panic!("[{}] send_blocking gave up: {e}", rt.name()));
    eprintln!("[{}] send_blocking waited {waited:?} for room", rt.name());
    assert!(
        sls.log_count() >= 1,
        "[{}] room came from the first delivery",
        rt.name()
    );
    let metrics = producer
        .close_blocking(Some(Duration::from_secs(30)))
        .expect("a plain thread may block");
    assert_eq!(metrics.delivered_logs, 2, "{metrics:?}");

    // The server hangs: no room within max_block (200 ms), the log comes back.
    sls.faults().set_latency(Duration::from_secs(120));
    let producer = one_log_budget(rt, &sls.endpoint(), Duration::from_millis(200));
    producer.send(&route, big_log(2)).expect("room for one");
    let worker = {
        let producer = producer.clone();
        let route = route.clone();
        std::thread::spawn(move || {
            let watch = Stopwatch::start();
            let refused = producer.send_blocking(&route, big_log(3)).err();
            (refused, watch.elapsed())
        })
    };
    let (refused, waited) = worker.join().expect("the sending thread ends");
    match refused {
        Some(SendError::BufferFull { record, .. }) => {
            assert_eq!(record, Record::Log(big_log(3)), "the log handed back");
        }
        other => panic!("[{}] send_blocking without room: {other:?}", rt.name()),
    }
    assert!(
        waited >= Duration::from_millis(200),
        "[{}] gave up after {waited:?}, before max_block",
        rt.name()
    );
    assert_eq!(
        producer.metrics().accepted_logs,
        1,
        "nothing more was accepted"
    );
    // Do not wait for the hanging request: fail it at once.
    let metrics = producer
        .close_blocking(Some(Duration::ZERO))
        .expect("a plain thread may block");
    assert_eq!(metrics.accepted_logs, 1, "{metrics:?}");
    sls.faults().clear();
    drop(sls);
}
