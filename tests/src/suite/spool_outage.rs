//! A long outage with the disk spool: while nothing listens, the application sends several
//! times the memory budget; every send is accepted (bodies of written batches leave memory
//! and wait on disk), memory stays within the budget, and once the local server comes up
//! every log arrives exactly once.

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use core::time::Duration;
use std::collections::BTreeMap;
use std::sync::Arc;

use sls_producer_core::engine::backoff::{BackoffPolicy, Jitter};
use sls_producer_core::{Credentials, Log, Producer, ProducerConfig, Route};
use sls_producer_tokio::spool::{Durability, SpoolConfig};

use super::RuntimeUnderTest;
use super::support::{LOG_TIME, closed_port, within};
use crate::server::{LocalSls, LogstoreOptions};

const PROJECT: &str = "suite-outage";
const LOGSTORE: &str = "app";
const BUDGET: usize = 1 << 20;
/// Bytes of each log's incompressible padding: bodies are about as large as the logs.
const LOG_BYTES: usize = 1000;

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
    Log::new(LOG_TIME)
        .with_content("i", i.to_string())
        .with_content("pad", pad)
}

/// Five budgets of logs sent while nothing listens are all accepted (a send that waited
/// for room longer than `max_block` would be refused), with `buffered_bytes` never past
/// the budget; every body that left memory is read back, and every log arrives once.
pub fn an_outage_of_five_budgets_is_accepted_and_delivered_once<R: RuntimeUnderTest>(rt: &R) {
    let port = closed_port();
    let dir = std::env::temp_dir().join(format!(
        "sls-suite-outage-{}-{}",
        rt.name(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
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
    let spool = SpoolConfig::new(&dir)
        .with_durability(Durability::Os)
        .with_max_bytes(64 << 20)
        .with_segment_bytes(1 << 20);
    let route = Route::new(PROJECT, LOGSTORE).expect("a valid route");
    let logs = 5 * BUDGET / LOG_BYTES;
    rt.block_on(async {
        let builder = Producer::builder(config).with_credentials(Credentials::new("id", "secret"));
        let producer = rt.build_from(rt.with_spool(builder, spool));

        // What the producer holds, sampled all along (on a thread of its own: the
        // runtime is busy sending).
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
        for i in 0..logs {
            if let Err(e) = producer.send_async(&route, log(i)).await {
                panic!(
                    "[{}] send {i} of {logs} refused during the outage: {e}",
                    rt.name()
                );
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
        let m = within(
            rt,
            Duration::from_secs(60),
            "the drain",
            producer.close(None),
        )
        .await;
        stop.store(true, Ordering::Relaxed);
        sampler.join().expect("the sampler did not panic");

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
    });
    let _ = std::fs::remove_dir_all(&dir);
}
