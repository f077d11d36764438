//! The disk spool on smol (feature `spool`) against the local SLS server: batches spooled
//! while the server is unreachable are sent by the next producer on the directory, first
//! and once; a second producer on the directory is a build error. (The tokio crate's
//! tests cover the full spool and the unwritable directory; `sls-producer-tests` kills
//! producers with SIGKILL.)
#![cfg(feature = "spool")]

use core::time::Duration;

use sls_producer_smol::core::durable::StoreErrorKind;
use sls_producer_smol::spool::{Durability, SpoolConfig};
use sls_producer_smol::{
    BuildError, Credentials, Log, Producer, ProducerBuilderExt as _, ProducerConfig, Route,
    SmolRuntime,
};
use sls_producer_tests::server::{LocalSls, LogstoreOptions};

const PROJECT: &str = "smol-spool";
const LOGSTORE: &str = "app";

fn route() -> Route {
    Route::new(PROJECT, LOGSTORE).unwrap()
}

fn log(i: usize) -> Log {
    Log::new(1_700_000_000).with_content("i", i.to_string())
}

fn config(endpoint: &str) -> ProducerConfig {
    ProducerConfig::new(endpoint)
        .with_linger(Duration::from_millis(5))
        .with_max_batch_count(10)
        .with_max_in_flight(1)
}

#[test]
fn batches_spooled_during_an_outage_are_sent_first_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let spool = || SpoolConfig::new(dir.path()).with_durability(Durability::PerBatch);

    // Run 1: nothing listens; the driver runs until the 5 batches are spooled, then is
    // dropped (as far as the directory can tell, a crash).
    let (first, driver) = Producer::builder(config("http://127.0.0.1:1"))
        .with_credentials(Credentials::new("id", "secret"))
        .with_spool(spool())
        .build_with_driver(SmolRuntime::new())
        .unwrap();
    for i in 0..45 {
        first.send(&route(), log(i)).unwrap();
    }
    drop(first.flush());
    smol::block_on(smol::future::or(driver, async {
        for _ in 0..2000 {
            if first.metrics().spooled_batches == 5 {
                return;
            }
            smol::Timer::after(Duration::from_millis(5)).await;
        }
        panic!("not spooled within 10 s");
    }));
    assert_eq!(first.metrics().delivered_logs, 0);

    // Run 2: a second producer cannot share the directory while the first holds it...
    let sls = LocalSls::builder()
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .access_key("id", "secret")
        .start_background()
        .expect("start the local server");
    let build = || {
        Producer::builder(config(&sls.endpoint()))
            .with_credentials(Credentials::new("id", "secret"))
            .with_spool(spool())
            .build()
    };
    let (held, _driver) = Producer::builder(config("http://127.0.0.1:1"))
        .with_credentials(Credentials::new("id", "secret"))
        .with_spool(spool())
        .build_with_driver(SmolRuntime::new())
        .unwrap();
    match build() {
        Err(BuildError::Store(e)) => assert_eq!(e.kind, StoreErrorKind::Locked),
        other => panic!("{other:?}"),
    }
    drop((held, _driver));

    // ...then one does, and sends the earlier batches before its own log.
    let second = build().unwrap();
    second.send(&route(), log(45)).unwrap();
    let metrics = smol::block_on(second.close(None));
    assert_eq!((metrics.replayed_batches, metrics.replayed_logs), (5, 45));
    let is: Vec<usize> = sls
        .logs(PROJECT, LOGSTORE)
        .iter()
        .map(|l| l.contents().next().unwrap().1.parse().unwrap())
        .collect();
    assert_eq!(is, (0..46).collect::<Vec<_>>());
}
