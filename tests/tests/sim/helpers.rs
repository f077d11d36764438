//! Compression helpers next to the driver ([`Driver::compress_helper`]), on the sim
//! runtime. The random scenarios also run with 0–2 helpers; these pin what helpers do.

use std::collections::BTreeSet;
use std::sync::Arc;

use core::future::{Future as _, poll_fn};
use core::pin::Pin;
use core::sync::atomic::{AtomicU64, Ordering};

use sls_producer_core::producer::Driver;
use sls_producer_core::rt::Spawner as _;
use sls_producer_core::sim::SimRuntime;
use sls_producer_core::{ProducerConfig, Route};

use crate::support::{id_of, log_with_id, producer_on};

fn config() -> ProducerConfig {
    ProducerConfig::new("http://127.0.0.1:8080").with_max_batch_bytes(16 * 1024)
}

fn route() -> Route {
    Route::new("proj", "store").unwrap()
}

/// Spawn `n` compression helpers of `driver` on `sim`.
fn spawn_helpers(sim: &SimRuntime, driver: &Driver, n: usize) {
    for _ in 0..n {
        sim.executor().spawn(Box::pin(driver.compress_helper()));
    }
}

/// Run `driver` as a task; once it completes, `helped` holds the batches its helpers
/// compressed.
fn spawn_counting(sim: &SimRuntime, mut driver: Driver, helped: Arc<AtomicU64>) {
    sim.executor().spawn(Box::pin(poll_fn(move |cx| {
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
    let (producer, driver) = producer_on(&sim, &config());
    spawn_helpers(&sim, &driver, 2);
    let helped = Arc::new(AtomicU64::new(0));
    spawn_counting(&sim, driver, helped.clone());
    // ~6 MB: more than the driver compresses in one poll, so helpers get batches.
    const LOGS: u64 = 6000;
    for i in 0..LOGS {
        producer.send(&route(), log_with_id(i, 1000)).unwrap();
    }
    let report = sim.block_on(producer.close(None)).unwrap();
    sim.run_until_stalled().unwrap();
    assert_eq!(report.delivered_logs, LOGS, "{report:?}");
    let helped = helped.load(Ordering::Relaxed);
    assert!(helped > 0, "the helpers compressed no batch");

    let mut seen = BTreeSet::new();
    let requests = sim.transport().requests();
    for r in &requests {
        for l in r.logs().expect("a LogGroup") {
            assert!(seen.insert(id_of(&l)), "log {} sent twice", id_of(&l));
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
    let (producer, driver) = producer_on(&sim, &config());
    // Created and never polled: the driver compresses everything itself.
    let idle = driver.compress_helper();
    for i in 0..200 {
        producer.send(&route(), log_with_id(i, 1000)).unwrap();
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
    let (producer, driver) = producer_on(&sim, &config());
    spawn_helpers(&sim, &driver, 1);
    sim.run_until_stalled().unwrap();
    assert_eq!(
        sim.executor().stats().completed,
        0,
        "the helper waits for work"
    );
    drop(driver);
    sim.run_until_stalled().unwrap();
    let after = sim.executor().stats();
    assert_eq!(after.completed, after.spawned, "the helper ended");
    assert!(
        producer.send(&route(), log_with_id(0, 0)).is_err(),
        "no driver: refused"
    );
}
