//! Compression helpers next to the driver ([`Driver::compress_helper`]), on the sim
//! runtime. The random scenarios also run with 0–2 helpers; these pin what helpers do.

use core::sync::atomic::{AtomicU64, Ordering};
use std::collections::BTreeSet;
use std::sync::Arc;

use core::future::Future as _;
use core::future::poll_fn;
use core::pin::Pin;

use sls_producer_core::config::ProducerConfig;
use sls_producer_core::credentials::Credentials;
use sls_producer_core::driver::Driver;
use sls_producer_core::engine::Route;
use sls_producer_core::producer::Producer;
use sls_producer_core::proto::Log;
use sls_producer_core::rt::Task;
use sls_producer_core::sim::SimRuntime;

use crate::support::{decode_body, raw_body};

fn log(i: u64) -> Log {
    Log::new(1_700_000_000)
        .with_content("id", i.to_string())
        .with_content("pad", "x".repeat(1000))
}

/// Run `driver` as a task; once it completes, `helped` holds the batches its helpers
/// compressed.
fn spawn_counting(sim: &SimRuntime, mut driver: Driver, helped: Arc<AtomicU64>) {
    sim.spawner_handle().spawn(Task::new(poll_fn(move |cx| {
        let done = Pin::new(&mut driver).poll(cx);
        if done.is_ready() {
            helped.store(driver.helped(), Ordering::Relaxed);
        }
        done
    })));
}

#[test]
fn helpers_compress_batches_and_every_log_arrives_once() {
    let sim = SimRuntime::new(11);
    let config = ProducerConfig::new("http://127.0.0.1:8080").with_max_batch_bytes(16 * 1024);
    let (producer, driver) = Producer::new(
        &config,
        sim.timer_handle(),
        sim.transport_handle(),
        Credentials::new("id", "secret"),
    )
    .unwrap();
    driver.spawn_helpers_on(&*sim.spawner_handle(), 2);
    let helped = Arc::new(AtomicU64::new(0));
    spawn_counting(&sim, driver, helped.clone());
    let route = Route::new("proj", "store").unwrap();
    // ~6 MB: more than the driver compresses in one poll, so helpers get batches.
    const LOGS: u64 = 6000;
    for i in 0..LOGS {
        producer.send(&route, log(i)).unwrap();
    }
    let report = sim.block_on(producer.close(None)).unwrap();
    sim.run_until_stalled().unwrap();
    assert_eq!(report.delivered_logs, LOGS, "{report:?}");
    let helped = helped.load(Ordering::Relaxed);
    assert!(helped > 0, "the helpers compressed no batch");

    let mut seen = BTreeSet::new();
    let requests = sim.transport().requests();
    for r in &requests {
        for l in decode_body(&raw_body(&r.request)).logs {
            let id: u64 = l.contents[0].value.parse().unwrap();
            assert!(seen.insert(id), "log {id} sent twice");
        }
    }
    assert_eq!(seen.len() as u64, LOGS);
    assert!(
        helped < requests.len() as u64,
        "the driver compressed some too"
    );
    let stats = sim.executor().stats();
    assert_eq!(
        stats.spawned, stats.completed,
        "the helpers ended with the driver"
    );
}

#[test]
fn helpers_end_when_the_driver_is_dropped_and_a_helper_never_polled_holds_nothing_up() {
    let sim = SimRuntime::new(12);
    let config = ProducerConfig::new("http://127.0.0.1:8080").with_max_batch_bytes(16 * 1024);
    let (producer, driver) = Producer::new(
        &config,
        sim.timer_handle(),
        sim.transport_handle(),
        Credentials::new("id", "secret"),
    )
    .unwrap();
    // Created and never polled: the driver compresses everything itself.
    let idle = driver.compress_helper();
    let route = Route::new("proj", "store").unwrap();
    for i in 0..200 {
        producer.send(&route, log(i)).unwrap();
    }
    let helped = Arc::new(AtomicU64::new(0));
    spawn_counting(&sim, driver, helped.clone());
    let report = sim.block_on(producer.close(None)).unwrap();
    sim.run_until_stalled().unwrap();
    assert_eq!(report.delivered_logs, 200);
    assert_eq!(helped.load(Ordering::Relaxed), 0);
    drop(idle);

    // A helper spawned next to a driver that is then dropped completes.
    let sim = SimRuntime::new(13);
    let (producer, driver) = Producer::new(
        &config,
        sim.timer_handle(),
        sim.transport_handle(),
        Credentials::new("id", "secret"),
    )
    .unwrap();
    driver.spawn_helpers_on(&*sim.spawner_handle(), 1);
    sim.run_until_stalled().unwrap();
    let before = sim.executor().stats();
    assert_eq!(before.completed, 0, "the helper waits for work");
    drop(driver);
    sim.run_until_stalled().unwrap();
    let after = sim.executor().stats();
    assert_eq!(after.completed, after.spawned, "the helper ended");
    assert!(producer.send(&route, log(0)).is_err(), "no driver: refused");
}
