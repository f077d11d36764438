//! Isolated delivery callbacks on tokio against the local SLS server (ADR 0009): a callback
//! that panics on every call is caught and counted, and a callback that blocks its thread
//! does not hold up other routes.

use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use std::sync::{Arc, mpsc};

use sls_producer_tests::server::{LocalSls, LogstoreOptions};
use sls_producer_tokio::{
    Credentials, Log, Producer, ProducerBuilderExt as _, ProducerConfig, Route,
};

const PROJECT: &str = "tokio-callbacks";

fn server() -> LocalSls {
    LocalSls::builder()
        .logstore(PROJECT, "slow", LogstoreOptions::default())
        .logstore(PROJECT, "fast", LogstoreOptions::default())
        .access_key("id", "secret")
        .start_background()
        .expect("start the local server")
}

fn producer(sls: &LocalSls) -> Producer {
    Producer::builder(ProducerConfig::new(sls.endpoint()).with_linger(Duration::from_millis(10)))
        .with_credentials(Credentials::new("id", "secret"))
        .build()
        .unwrap()
}

fn route(store: &str) -> Route {
    Route::new(PROJECT, store).unwrap()
}

fn log(i: usize) -> Log {
    Log::new(1_700_000_000).with_content("i", i.to_string())
}

/// Two workers: one may be blocked by a callback, the other runs the driver.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_callback_that_panics_on_every_call_is_caught_and_the_producer_goes_on() {
    let sls = server();
    runtime().block_on(async {
        let producer = producer(&sls);
        let calls = Arc::new(AtomicUsize::new(0));
        for i in 0..20 {
            let calls = calls.clone();
            producer
                .send_tracked(&route("slow"), log(i))
                .unwrap()
                .on_complete(move |_| {
                    calls.fetch_add(1, Ordering::Relaxed);
                    panic!("callback {i} fails");
                });
        }
        producer.flush().await;
        assert_eq!(calls.load(Ordering::Relaxed), 20);
        let after = producer.send_tracked(&route("fast"), log(99)).unwrap();
        assert!(after.await.is_success(), "the driver survived the panics");
        let metrics = producer.close(None).await;
        assert_eq!(metrics.callback_panics, 20);
        assert_eq!(metrics.delivered_logs, 21);
    });
}

#[test]
fn a_callback_that_blocks_does_not_hold_up_other_routes() {
    let sls = server();
    runtime().block_on(async {
        let producer = producer(&sls);
        // The first slow callback blocks its thread until the test opens the gate; every
        // slow callback then sleeps 100 ms.
        let (entered_tx, entered_rx) = mpsc::channel::<()>();
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let mut gate = Some((entered_tx, gate_rx));
        let done = Arc::new(AtomicUsize::new(0));
        for i in 0..5 {
            let done = done.clone();
            let gate = gate.take();
            producer
                .send_tracked(&route("slow"), log(i))
                .unwrap()
                .on_complete(move |result| {
                    assert!(result.is_success());
                    if let Some((entered, gate)) = gate {
                        entered.send(()).unwrap();
                        gate.recv().unwrap();
                    }
                    std::thread::sleep(Duration::from_millis(100));
                    done.fetch_add(1, Ordering::Relaxed);
                });
        }
        tokio::task::spawn_blocking(move || entered_rx.recv().unwrap())
            .await
            .unwrap();
        // The callback task is blocked: another route's sends are delivered meanwhile.
        for i in 0..20 {
            let handle = producer.send_tracked(&route("fast"), log(100 + i)).unwrap();
            assert!(handle.await.is_success());
        }
        assert_eq!(
            done.load(Ordering::Relaxed),
            0,
            "still blocked in the first"
        );
        gate_tx.send(()).unwrap();
        // Close waits for every callback to have run.
        let metrics = producer.close(None).await;
        assert_eq!(done.load(Ordering::Relaxed), 5);
        assert_eq!(metrics.delivered_logs, 25);
        assert_eq!(metrics.callback_panics, 0);
    });
}
