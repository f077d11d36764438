//! A long outage with the disk spool on smol (feature `spool`): while nothing listens,
//! the application sends several times the memory budget; every send is accepted (bodies
//! of written batches leave memory and wait on disk), memory stays within the budget, and
//! once the local server comes up every log arrives exactly once.
#![cfg(feature = "spool")]

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use core::time::Duration;
use std::collections::BTreeMap;
use std::sync::Arc;

use sls_producer_smol::core::engine::backoff::{BackoffPolicy, Jitter};
use sls_producer_smol::spool::{Durability, SpoolConfig};
use sls_producer_smol::{
    Credentials, Log, Producer, ProducerBuilderExt as _, ProducerConfig, Route,
};
use sls_producer_tests::server::{LocalSls, LogstoreOptions};

const PROJECT: &str = "smol-outage";
const LOGSTORE: &str = "app";
const BUDGET: usize = 1 << 20;
/// Bytes of each log's incompressible padding: bodies are about as large as the logs.
const LOG_BYTES: usize = 1000;

fn route() -> Route {
    Route::new(PROJECT, LOGSTORE).unwrap()
}

/// Log `i`: its number, and pseudo-random hex that LZ4 hardly compresses.
fn log(i: usize) -> Log {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut pad = String::with_capacity(LOG_BYTES + 16);
    while pad.len() < LOG_BYTES {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pad.push_str(&format!("{x:016x}"));
    }
    Log::new(1_700_000_000)
        .with_content("i", i.to_string())
        .with_content("pad", pad)
}

/// A port of 127.0.0.1 nothing listens on (until the server is started on it).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn an_outage_of_five_budgets_is_accepted_within_the_budget_and_delivered_once() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let config = ProducerConfig::new(format!("http://127.0.0.1:{port}"))
        .with_memory_budget(BUDGET)
        .with_max_batch_bytes(64 * 1024)
        .with_linger(Duration::from_millis(20))
        .with_max_retries(1000)
        .with_backoff(BackoffPolicy {
            base: Duration::from_millis(20),
            max: Duration::from_millis(300),
            jitter: Jitter::None,
        })
        // A send waits for room at most this long: without eviction nothing frees any
        // during the outage, and sends would be refused with `BufferFull`.
        .with_max_block(Duration::from_secs(20));
    let spool = SpoolConfig::new(dir.path())
        .with_durability(Durability::Os)
        .with_max_bytes(64 << 20)
        .with_segment_bytes(1 << 20);
    let producer = Producer::builder(config)
        .with_credentials(Credentials::new("id", "secret"))
        .with_spool(spool)
        .build()
        .unwrap();

    // What the producer holds, sampled all along.
    let peak = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = std::thread::spawn({
        let (producer, peak, stop) = (producer.clone(), peak.clone(), stop.clone());
        move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(producer.metrics().buffered_bytes, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    });

    // The outage: five budgets of logs, every send accepted.
    let logs = 5 * BUDGET / LOG_BYTES;
    for i in 0..logs {
        if let Err(e) = producer.send_blocking(&route(), log(i)) {
            panic!("send {i} of {logs} refused during the outage: {e}");
        }
    }
    let m = producer.metrics();
    assert_eq!(m.delivered_logs, 0, "nothing listens");
    assert!(m.evicted_batches > 0, "bodies left memory: {m:?}");
    assert!(m.spooled_batches > 0);
    assert!(m.retries > 0, "attempts failed meanwhile");

    // Recovery.
    let sls = LocalSls::builder()
        .port(port)
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .access_key("id", "secret")
        .start_background()
        .expect("start the local server on the outage's port");
    let m = smol::block_on(producer.close(None));
    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();

    assert_eq!(m.delivered_logs, logs as u64);
    assert_eq!(m.failed_logs, 0);
    assert_eq!(m.spool_read_failed_batches, 0);
    assert_eq!(
        m.read_back_batches, m.evicted_batches,
        "every body that left memory came back"
    );
    let peak = peak.load(Ordering::Relaxed);
    assert!(peak <= BUDGET, "buffered {peak} bytes, budget {BUDGET}");

    // Every log arrived exactly once (nothing reached the server during the outage, so
    // there is nothing a retry could duplicate).
    let mut seen: BTreeMap<usize, u32> = BTreeMap::new();
    for log in sls.logs(PROJECT, LOGSTORE) {
        let i = log
            .get("i")
            .and_then(|i| i.parse().ok())
            .expect("every log has its number");
        *seen.entry(i).or_default() += 1;
    }
    assert_eq!(seen.len(), logs, "every log arrived");
    assert!(seen.values().all(|&n| n == 1), "each exactly once");
}
