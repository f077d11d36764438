//! The disk spool on tokio (feature `spool`) against the local SLS server: batches spooled
//! while the server is unreachable are sent by the next producer on the directory, once;
//! two producers on one directory, a directory that cannot be written, a full spool and a
//! disk that fails every write give clear errors, and no log is lost silently.
#![cfg(feature = "spool")]

use core::time::Duration;
use std::collections::BTreeMap;
use std::sync::Arc;

use sls_producer_tests::server::{LocalSls, LogstoreOptions};
use sls_producer_tokio::core::durable::{
    BatchStore, BodyRead, Recovered, Replay, SpooledBatch, StoreError, StoreErrorKind, StoreKey,
    Written,
};
use sls_producer_tokio::core::protocol::compress::Compression;
use sls_producer_tokio::core::rt::{BoxFuture, Bytes};
use sls_producer_tokio::spool::{Durability, SpoolConfig, WhenFull};
use sls_producer_tokio::{
    BuildError, Credentials, DeliveryFailure, Log, Producer, ProducerBuilderExt as _,
    ProducerConfig, Route, TokioRuntime,
};

const PROJECT: &str = "spool";
const LOGSTORE: &str = "app";

fn server() -> LocalSls {
    LocalSls::builder()
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .access_key("id", "secret")
        .start_background()
        .expect("start the local server")
}

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
        // One request at a time: the server sees the batches in the order they are sent.
        .with_max_in_flight(1)
}

/// Wait (bounded) until `done` holds.
async fn eventually(mut done: impl FnMut() -> bool) {
    for _ in 0..2000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("condition not reached within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_spooled_during_an_outage_are_sent_by_the_next_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let spool = || SpoolConfig::new(dir.path()).with_durability(Durability::PerBatch);

    // Run 1: nothing listens; 95 logs (10 batches) are sealed and spooled, then the
    // driver is dropped without delivering anything (as far as the disk can tell, a crash).
    let (first, driver) = Producer::builder(config("http://127.0.0.1:1"))
        .with_credentials(Credentials::new("id", "secret"))
        .with_spool(spool())
        .build_with_driver(TokioRuntime::current().unwrap())
        .unwrap();
    let driver = tokio::spawn(async move {
        let mut driver = std::pin::pin!(driver);
        // Run the driver until told to stop, then drop it.
        tokio::select! {
            () = &mut driver => {}
            () = tokio::time::sleep(Duration::from_secs(30)) => {}
        }
    });
    for i in 0..95 {
        first.send(&route(), log(i)).unwrap();
    }
    let flushed = first.flush();
    drop(flushed);
    eventually(|| first.metrics().spooled_batches == 10).await;
    driver.abort();
    let _ = driver.await;
    assert_eq!(first.metrics().delivered_logs, 0);

    // Run 2: the server is up; the 10 batches go first, then the new log.
    let sls = server();
    let second = Producer::builder(config(&sls.endpoint()))
        .with_credentials(Credentials::new("id", "secret"))
        .with_spool(spool())
        .build()
        .unwrap();
    second.send(&route(), log(95)).unwrap();
    let metrics = second.close(None).await;
    assert_eq!(metrics.replayed_batches, 10, "{metrics:?}");
    assert_eq!(metrics.replayed_logs, 95);
    assert_eq!(metrics.delivered_logs, 96);
    let groups = sls.log_groups(PROJECT, LOGSTORE);
    let logs = sls.logs(PROJECT, LOGSTORE);
    let is: Vec<usize> = logs
        .iter()
        .map(|l| l.contents().next().unwrap().1.parse().unwrap())
        .collect();
    assert_eq!(
        is,
        (0..96).collect::<Vec<_>>(),
        "once each, replayed first, in order"
    );
    // The pack ids written by run 1 arrive unchanged.
    let pack_ids: BTreeMap<_, _> = groups
        .iter()
        .map(|g| (g.tag("__pack_id__").unwrap().to_owned(), g.log_count()))
        .collect();
    assert_eq!(pack_ids.len(), 11, "one pack id per batch");

    // Run 3: everything was acknowledged; nothing is sent again.
    drop(second);
    let third = retry_build(|| {
        Producer::builder(config(&sls.endpoint()))
            .with_credentials(Credentials::new("id", "secret"))
            .with_spool(spool())
            .build()
    })
    .await;
    let metrics = third.close(None).await;
    assert_eq!(metrics.replayed_batches, 0, "{metrics:?}");
    assert_eq!(sls.log_count(), 96);
}

/// Build, waiting (bounded) for a previous producer's driver to let go of the directory.
async fn retry_build(mut build: impl FnMut() -> Result<Producer, BuildError>) -> Producer {
    for _ in 0..200 {
        match build() {
            Ok(p) => return p,
            Err(BuildError::Store(e)) if e.kind == StoreErrorKind::Locked => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the directory stayed locked");
}

#[tokio::test]
async fn a_second_producer_on_the_directory_is_a_build_error() {
    let dir = tempfile::tempdir().unwrap();
    let build = || {
        Producer::builder(config("http://127.0.0.1:1"))
            .with_credentials(Credentials::new("id", "secret"))
            .with_spool(SpoolConfig::new(dir.path()))
            .build()
    };
    let _first = build().unwrap();
    let e = build().unwrap_err();
    let BuildError::Store(store) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(store.kind, StoreErrorKind::Locked);
    assert!(e.to_string().contains("in use by another producer"), "{e}");
}

#[tokio::test]
async fn a_directory_that_cannot_be_created_is_a_build_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let e = Producer::builder(config("http://127.0.0.1:1"))
        .with_credentials(Credentials::new("id", "secret"))
        .with_spool(SpoolConfig::new(file.join("spool")))
        .build()
        .unwrap_err();
    let BuildError::Store(store) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(store.kind, StoreErrorKind::Io);
    assert!(e.to_string().contains("a-file"), "names the path: {e}");
}

#[tokio::test]
async fn a_full_spool_that_refuses_fails_the_batch_and_hands_its_logs_back() {
    let dir = tempfile::tempdir().unwrap();
    let spool = SpoolConfig::new(dir.path())
        .with_segment_bytes(64 << 10)
        .with_max_bytes(128 << 10)
        .with_when_full(WhenFull::Refuse);
    // Nothing listens: spooled batches stay until the close deadline.
    let producer =
        Producer::builder(config("http://127.0.0.1:1").with_compression(Compression::None))
            .with_credentials(Credentials::new("id", "secret"))
            .with_spool(spool)
            .build()
            .unwrap();
    // Batches of ~50 KiB: two fit under the cap, the third does not.
    let batch = |b: usize| -> Vec<Log> {
        (0..5)
            .map(|i| Log::new(1_700_000_000).with_content("k", format!("{:010240}", b * 10 + i)))
            .collect()
    };
    let mut handles = Vec::new();
    for b in 0..3 {
        handles.push(producer.send_tracked(&route(), batch(b)).unwrap());
        drop(producer.flush());
        eventually(|| {
            let m = producer.metrics();
            m.spooled_batches + m.spool_failed_batches == b as u64 + 1
        })
        .await;
    }
    let metrics = producer.metrics();
    assert_eq!(
        (metrics.spooled_batches, metrics.spool_failed_batches),
        (2, 1)
    );
    let third = handles.pop().unwrap().await;
    assert_eq!(
        third.failure,
        Some(DeliveryFailure::Spool {
            kind: StoreErrorKind::Full
        })
    );
    assert_eq!(third.logs(), batch(2), "handed back, not lost");
    assert!(third.failure.unwrap().to_string().contains("full"));
    // The two spooled batches are given up at the close deadline but stay on disk.
    producer.close(Some(Duration::from_millis(10))).await;
    for handle in handles {
        assert!(matches!(
            handle.await.failure,
            Some(DeliveryFailure::Closed { .. })
        ));
    }
}

/// A store whose disk is full: every write fails.
struct FullDisk;

impl BatchStore for FullDisk {
    fn recovered(&self) -> Recovered {
        Recovered::default()
    }

    fn append(
        &self,
        batches: Vec<SpooledBatch>,
    ) -> BoxFuture<'static, Vec<Result<Written, StoreError>>> {
        let results = batches
            .iter()
            .map(|_| {
                Err(StoreError::new(
                    StoreErrorKind::Io,
                    "could not write to /spool/00000000000000000000.seg: No space left on device",
                ))
            })
            .collect();
        Box::pin(async move { results })
    }

    fn ack(&self, _: Vec<StoreKey>) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }

    fn replay(&self, _: usize) -> BoxFuture<'static, Replay> {
        Box::pin(async { Replay::default() })
    }

    fn read(&self, reads: Vec<BodyRead>) -> BoxFuture<'static, Vec<Result<Bytes, StoreError>>> {
        let results = reads
            .iter()
            .map(|_| Err(StoreError::new(StoreErrorKind::Io, "nothing was written")))
            .collect();
        Box::pin(async move { results })
    }
}

#[tokio::test]
async fn a_disk_that_fails_every_write_fails_the_sends_with_their_logs_not_silently() {
    let sls = server();
    let producer = Producer::builder(config(&sls.endpoint()))
        .with_credentials(Credentials::new("id", "secret"))
        .with_store(|| Ok(Arc::new(FullDisk) as Arc<dyn BatchStore>))
        .build()
        .unwrap();
    let logs: Vec<Log> = (0..3).map(log).collect();
    let result = producer.send_tracked(&route(), logs.clone()).unwrap().await;
    assert_eq!(
        result.failure,
        Some(DeliveryFailure::Spool {
            kind: StoreErrorKind::Io
        })
    );
    assert_eq!(result.logs(), logs, "handed back");
    producer.send(&route(), log(3)).unwrap();
    let metrics = producer.close(None).await;
    assert_eq!(metrics.spool_failed_batches, 2);
    assert_eq!(
        (metrics.failed_logs, metrics.delivered_logs),
        (4, 0),
        "counted"
    );
    assert_eq!(sls.log_count(), 0, "nothing sent without its record");
}
