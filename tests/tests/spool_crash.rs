//! The disk spool against real process crashes: a child process sends logs through a
//! producer with a spool to the local server and is killed with SIGKILL at a seeded
//! random moment; a producer then opened in this process on the same directory must
//! deliver every log whose batch the child had seen written to the spool. Duplicates (a
//! batch delivered before the kill whose acknowledgement did not reach the disk) are
//! allowed, counted by log and by pack id, and printed.
//!
//! Two variants, 50 trials each: the server up during the kill (batches are delivered and
//! acknowledged as the child runs), and the server unreachable during the kill (every
//! batch is still on disk, and all of them go out after the restart).
//!
//! The child is this test binary itself, run again with `SPOOL_PRODUCER_CHILD` set. It
//! sends logs numbered from 0 in rounds, flushes each round and, once every batch it
//! created so far is written to the spool (`Metrics::spooled_batches`), prints
//! `durable N`: logs `0..N` must survive.

#![cfg(unix)]

use core::time::Duration;
use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use sls_producer_tests::server::{LocalSls, LogstoreOptions};
use sls_producer_tokio::spool::{Durability, SpoolConfig};
use sls_producer_tokio::{
    Credentials, Log, Producer, ProducerBuilderExt as _, ProducerConfig, Route,
};

const CHILD: &str = "SPOOL_PRODUCER_CHILD";
const TRIALS: u64 = 50;
const PROJECT: &str = "crash";
const LOGSTORE: &str = "app";
/// Nothing listens here: connections are refused at once.
const DEAD_ENDPOINT: &str = "http://127.0.0.1:1";

fn spool(dir: &Path) -> SpoolConfig {
    SpoolConfig::new(dir)
        .with_segment_bytes(64 << 10)
        .with_durability(Durability::Os)
}

fn config(endpoint: &str) -> ProducerConfig {
    ProducerConfig::new(endpoint)
        .with_linger(Duration::from_millis(2))
        .with_max_batch_count(25)
}

fn route() -> Route {
    Route::new(PROJECT, LOGSTORE).unwrap()
}

/// xorshift64*, so that a failing trial can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// The child: send rounds of logs until killed, reporting what is durable.
#[test]
fn producer_crash_child() {
    let Some(dir) = std::env::var_os(CHILD) else {
        return; // only the parent's child runs this
    };
    let endpoint = std::env::var("SPOOL_PRODUCER_ENDPOINT").unwrap();
    let seed: u64 = std::env::var("SPOOL_PRODUCER_SEED")
        .unwrap()
        .parse()
        .unwrap();
    let mut rng = Rng(seed | 1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let producer = Producer::builder(config(&endpoint))
            .with_credentials(Credentials::new("id", "secret"))
            .with_spool(spool(Path::new(&dir)))
            .build()
            .unwrap();
        let mut sent = 0u64;
        loop {
            for _ in 0..1 + rng.below(60) {
                let log = Log::new(1_700_000_000)
                    .with_content("i", sent.to_string())
                    .with_content("pad", "x".repeat(rng.below(400) as usize));
                producer.send(&route(), log).unwrap();
                sent += 1;
            }
            drop(producer.flush()); // seal now
            loop {
                let m = producer.metrics();
                if m.spooled_batches == m.batches {
                    break;
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            println!("durable {sent}");
        }
    });
}

/// One trial: the child sends to `child_endpoint` and is killed; then a producer here
/// sends what the spool holds to `sls`. Returns (logs promised, duplicate logs,
/// duplicate pack ids, replayed batches).
fn trial(exe: &Path, sls: &LocalSls, child_endpoint: &str, seed: u64) -> (u64, u64, u64, u64) {
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    sls.clear();
    let mut child = Command::new(exe)
        .args([
            "producer_crash_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, dir.path())
        .env("SPOOL_PRODUCER_ENDPOINT", child_endpoint)
        .env("SPOOL_PRODUCER_SEED", seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    std::thread::sleep(Duration::from_millis(30 + rng.below(250)));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let promised = reader
        .join()
        .unwrap()
        .iter()
        .filter_map(|line| {
            let at = line.find("durable ")?;
            line[at + "durable ".len()..].parse::<u64>().ok()
        })
        .max()
        .unwrap_or(0);

    // The restart, on the same directory, with the server up.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let metrics = runtime.block_on(async {
        let producer = Producer::builder(config(&sls.endpoint()))
            .with_credentials(Credentials::new("id", "secret"))
            .with_spool(spool(dir.path()))
            .build()
            .unwrap();
        producer.close(None).await
    });
    assert_eq!(metrics.failed_logs, 0, "seed {seed:#x}: {metrics:?}");

    let mut seen: BTreeMap<u64, u64> = BTreeMap::new();
    for log in sls.logs(PROJECT, LOGSTORE) {
        let i = log
            .contents()
            .find(|(k, _)| *k == "i")
            .map(|(_, v)| v.parse::<u64>().unwrap())
            .unwrap();
        *seen.entry(i).or_default() += 1;
    }
    let missing: Vec<u64> = (0..promised).filter(|i| !seen.contains_key(i)).collect();
    assert!(
        missing.is_empty(),
        "seed {seed:#x}: {} of {promised} durable logs lost, first {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    let duplicate_logs = seen.values().map(|n| n - 1).sum();
    let mut packs: BTreeMap<String, u64> = BTreeMap::new();
    for group in sls.log_groups(PROJECT, LOGSTORE) {
        let pack = group.tag("__pack_id__").unwrap().to_owned();
        *packs.entry(pack).or_default() += 1;
    }
    let duplicate_packs = packs.values().map(|n| n - 1).sum();
    (
        promised,
        duplicate_logs,
        duplicate_packs,
        metrics.replayed_batches,
    )
}

fn run(variant: &str, server_up_during_kill: bool, seed_base: u64) {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let sls = LocalSls::builder()
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .access_key("id", "secret")
        .start_background()
        .expect("start the local server");
    let child_endpoint = if server_up_during_kill {
        sls.endpoint()
    } else {
        DEAD_ENDPOINT.to_owned()
    };
    let (mut promised, mut dup_logs, mut dup_packs, mut replayed) = (0, 0, 0, 0);
    for t in 0..TRIALS {
        let (p, dl, dp, r) = trial(&exe, &sls, &child_endpoint, seed_base + t);
        promised += p;
        dup_logs += dl;
        dup_packs += dp;
        replayed += r;
    }
    // What the trials exercised (visible with --nocapture).
    println!(
        "{variant}: {TRIALS} SIGKILL trials, {promised} durable logs, none lost; \
         {replayed} batches replayed; duplicates: {dup_logs} logs in {dup_packs} batches \
         (same pack id)"
    );
    assert!(promised > TRIALS, "the children sent too little to test");
    if !server_up_during_kill {
        assert_eq!(dup_logs, 0, "nothing was delivered before the kill");
    }
}

#[test]
fn a_killed_producer_loses_no_spooled_log_server_up() {
    run("server up", true, 0xc4a5_0000);
}

#[test]
fn a_killed_producer_loses_no_spooled_log_server_down() {
    run("server down", false, 0xd0a0_0000);
}
