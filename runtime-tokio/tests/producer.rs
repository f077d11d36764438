//! The producer on tokio against the local SLS server: `build()` and `TokioRuntime`, the
//! builder's errors, routes with topic, source and shard key, the default transport's
//! timeouts, and the blocking methods: refused inside a runtime and on the driver, working
//! on plain threads. (The cross-runtime behaviour, `send_blocking` waiting for room
//! included, is in the `sls-producer-tests` suite.)

use core::time::Duration;
use std::sync::mpsc;

use sls_producer_tests::server::{LocalSls, LogstoreOptions, ShardTarget};
use sls_producer_tokio::core::config::ConfigError;
use sls_producer_tokio::{
    BlockingError, BuildError, Credentials, Log, LogParts, Producer, ProducerBuilderExt as _,
    ProducerConfig, Record, Route, SendError, ShardKey, TokioRuntime,
};

const PROJECT: &str = "tokio-api";
const LOGSTORE: &str = "app";

fn server() -> LocalSls {
    LocalSls::builder()
        .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
        .access_key("id", "secret")
        .start_background()
        .expect("start the local server")
}

fn config(sls: &LocalSls) -> ProducerConfig {
    ProducerConfig::new(sls.endpoint()).with_linger(Duration::from_millis(10))
}

fn route() -> Route {
    Route::new(PROJECT, LOGSTORE).unwrap()
}

fn log(msg: &str) -> Log {
    Log::new(1_700_000_000).with_content("msg", msg)
}

fn producer(sls: &LocalSls) -> Producer {
    Producer::builder(config(sls))
        .with_credentials(Credentials::new("id", "secret"))
        .build()
        .unwrap()
}

/// A multi-thread runtime with one worker, for tests that block a plain thread.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn build_outside_a_runtime_is_no_runtime() {
    let e = TokioRuntime::current().unwrap_err();
    assert!(
        matches!(e, BuildError::NoRuntime { runtime: "tokio" }),
        "{e:?}"
    );
    let e = Producer::builder(ProducerConfig::new("http://127.0.0.1:1"))
        .with_credentials(Credentials::new("id", "secret"))
        .build()
        .unwrap_err();
    assert!(
        matches!(e, BuildError::NoRuntime { runtime: "tokio" }),
        "{e:?}"
    );
    assert!(e.to_string().contains("build_on"), "{e}");

    let runtime = runtime();
    let _context = runtime.enter();
    assert!(TokioRuntime::current().is_ok());
}

#[tokio::test]
async fn build_without_credentials_or_with_a_bad_config_says_why() {
    let e = Producer::builder(ProducerConfig::new("http://127.0.0.1:1"))
        .build()
        .unwrap_err();
    assert!(matches!(e, BuildError::MissingCredentials), "{e:?}");
    assert!(e.to_string().contains("with_credentials"), "{e}");
    let e = Producer::builder(ProducerConfig::new("http://127.0.0.1:1").with_max_in_flight(0))
        .with_credentials(Credentials::new("id", "secret"))
        .build()
        .unwrap_err();
    match e {
        BuildError::Config(ConfigError::OutOfRange { field, .. }) => {
            assert_eq!(field, "max_in_flight");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_and_parts_set_topic_source_and_bucketed_shard_key() {
    let sls = server();
    let producer = producer(&sls);
    let hashed = route()
        .with_topic("orders")
        .with_source("10.0.0.7")
        .with_shard_key(ShardKey::from_hash("user-42"));
    producer.send(&hashed, log("hashed")).unwrap();
    let now = producer.unix_time().as_secs() as u32;
    producer
        .send_parts(
            &route().with_topic("ignored"),
            LogParts::new(now, &[("msg", "any shard")])
                .with_topic("audit")
                .with_source("10.0.0.8"),
        )
        .unwrap();
    let metrics = producer.close(None).await;
    assert_eq!(metrics.delivered_logs, 2);

    let groups = sls.log_groups(PROJECT, LOGSTORE);
    let hashed = groups.iter().find(|g| g.topic() == "orders").unwrap();
    assert_eq!(hashed.source(), "10.0.0.7");
    // The Go producer's AdjustHash of "user-42" onto 64 buckets: the top 6 bits of its
    // MD5 (7631bc07…).
    assert_eq!(
        hashed.target,
        ShardTarget::HashKey("74000000000000000000000000000000".to_owned())
    );
    let any = groups.iter().find(|g| g.topic() == "audit").unwrap();
    assert_eq!(any.source(), "10.0.0.8");
    assert!(any.hash_key().is_none(), "{:?}", any.target);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_transport_applies_the_configured_request_timeout() {
    let sls = server();
    sls.faults().set_latency(Duration::from_secs(5));
    let config = config(&sls)
        .with_request_timeout(Duration::from_millis(100))
        .with_max_retries(0);
    let producer = Producer::builder(config)
        .with_credentials(Credentials::new("id", "secret"))
        .build()
        .unwrap();
    let outcome = producer.send_tracked(&route(), log("slow")).unwrap().await;
    assert!(!outcome.is_success());
    assert_eq!(
        outcome.error_code(),
        Some("Timeout"),
        "{:?}",
        outcome.attempts
    );
    assert_eq!(outcome.logs(), [log("slow")], "the log is handed back");
    sls.faults().clear();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_calls_inside_the_runtime_are_refused_and_change_nothing() {
    let sls = server();
    let producer = producer(&sls);
    assert_eq!(producer.flush_blocking(), Err(BlockingError::InsideRuntime));
    assert_eq!(
        producer.close_blocking(Some(Duration::ZERO)),
        Err(BlockingError::InsideRuntime)
    );
    assert!(
        !producer.is_closed(),
        "a refused close_blocking does not close"
    );
    match producer.send_blocking(&route(), log("refused")) {
        Err(SendError::CannotBlock { record, reason }) => {
            assert_eq!(reason, BlockingError::InsideRuntime);
            assert_eq!(
                record,
                Record::Log(log("refused")),
                "the log is handed back"
            );
        }
        other => panic!("{other:?}"),
    }
    // Also from a `spawn_blocking` closure: its thread belongs to the runtime.
    let inner = producer.clone();
    let refused = tokio::task::spawn_blocking(move || inner.flush_blocking())
        .await
        .unwrap();
    assert_eq!(refused, Err(BlockingError::InsideRuntime));

    let outcome = producer
        .send_tracked(&route(), log("still open"))
        .unwrap()
        .await;
    assert!(outcome.is_success());
    let metrics = producer.close(None).await;
    assert_eq!(
        metrics.accepted_logs, 1,
        "the refused send was not accepted"
    );
    assert_eq!(sls.log_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_callback_may_not_block_on_its_own_driver() {
    let sls = server();
    let producer = producer(&sls);
    let (tx, rx) = mpsc::channel();
    let inner = producer.clone();
    producer
        .send_tracked(&route(), log("callback"))
        .unwrap()
        .on_complete(move |result| {
            let refused = (
                inner.flush_blocking(),
                inner.close_blocking(None).err(),
                inner
                    .send_blocking(&route(), log("from the callback"))
                    .err(),
            );
            let _ = tx.send((result.is_success(), refused));
        });
    let (delivered, (flush, close, send)) = tokio::task::spawn_blocking(move || {
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the callback ran (and did not hang)")
    })
    .await
    .unwrap();
    assert!(delivered);
    assert_eq!(flush, Err(BlockingError::InsideDriver));
    assert_eq!(close, Some(BlockingError::InsideDriver));
    assert!(
        matches!(
            send,
            Some(SendError::CannotBlock {
                reason: BlockingError::InsideDriver,
                ..
            })
        ),
        "{send:?}"
    );
    assert!(
        !producer.is_closed(),
        "the refused close_blocking did nothing"
    );
    let metrics = producer.close(None).await;
    assert_eq!(metrics.delivered_logs, 1);
}

#[test]
fn a_plain_thread_builds_on_a_handle_sends_and_closes_blocking() {
    let runtime = runtime();
    let sls = server();
    let producer = Producer::builder(config(&sls))
        .with_credentials(Credentials::new("id", "secret"))
        .build_on(TokioRuntime::new(runtime.handle().clone()))
        .unwrap();
    for n in 0..10 {
        producer.send(&route(), log(&n.to_string())).unwrap();
    }
    producer.flush_blocking().unwrap();
    assert_eq!(sls.log_count(), 10, "flush_blocking waited for the server");
    producer.send_blocking(&route(), log("blocking")).unwrap();
    let mut tracked = producer
        .send_async(&route(), log("tracked"))
        .tracked()
        .wait()
        .unwrap();
    let metrics = producer.close_blocking(None).unwrap();
    assert_eq!(metrics.delivered_logs, 12);
    assert!(tracked.try_result().is_some_and(|r| r.is_success()));
}
