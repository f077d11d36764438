//! The producer on smol against the local SLS server: `build()` and `SmolRuntime`, the
//! builder's errors, routes with topic, source and shard key, the default transport's
//! timeouts, a driver run by the caller, an executor of one's own, and the blocking
//! methods: refused on the driver, working on plain threads. (The cross-runtime
//! behaviour, `send_blocking` waiting for room included, is in the `sls-producer-tests`
//! suite.)

use core::time::Duration;
use std::sync::{Arc, mpsc};

use sls_producer_smol::core::config::ConfigError;
use sls_producer_smol::{
    BlockingError, BuildError, Credentials, Log, LogParts, Producer, ProducerBuilderExt as _,
    ProducerConfig, Route, SendError, ShardKey, SmolRuntime,
};
use sls_producer_tests::server::{LocalSls, LogstoreOptions, ShardTarget};
use smol::Executor;

const PROJECT: &str = "smol-api";
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

#[test]
fn build_without_credentials_or_with_a_bad_config_says_why() {
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

#[test]
fn routes_and_parts_set_topic_source_and_bucketed_shard_key() {
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
    let metrics = producer.close_blocking(None).unwrap();
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

#[test]
fn the_default_transport_applies_the_configured_request_timeout() {
    let sls = server();
    sls.faults().set_latency(Duration::from_secs(5));
    let config = config(&sls)
        .with_request_timeout(Duration::from_millis(100))
        .with_max_retries(0);
    let producer = Producer::builder(config)
        .with_credentials(Credentials::new("id", "secret"))
        .build()
        .unwrap();
    let handle = producer.send_tracked(&route(), log("slow")).unwrap();
    let outcome = smol::block_on(handle);
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

#[test]
fn a_driver_run_by_the_caller_delivers_and_finishes_after_close() {
    let sls = server();
    let (producer, driver) = Producer::builder(config(&sls))
        .with_credentials(Credentials::new("id", "secret"))
        .build_with_driver(SmolRuntime::new())
        .unwrap();
    let ((), metrics) = smol::block_on(smol::future::zip(driver, async {
        let outcome = producer.send_tracked(&route(), log("mine")).unwrap().await;
        assert!(outcome.is_success());
        producer.close(None).await
    }));
    assert_eq!(metrics.delivered_logs, 1);
    assert_eq!(sls.log_count(), 1);
}

#[test]
fn an_own_executor_runs_the_driver_and_callbacks_may_not_block_on_it() {
    let sls = server();
    let executor = Arc::new(Executor::new());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let runner = {
        let executor = executor.clone();
        std::thread::spawn(move || smol::block_on(executor.run(stopped.recv())))
    };
    let producer = Producer::builder(config(&sls))
        .with_credentials(Credentials::new("id", "secret"))
        .build_on(SmolRuntime::with_executor(executor))
        .unwrap();
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
    let (delivered, (flush, close, send)) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
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
    // From this plain thread, blocking is fine.
    producer.send_blocking(&route(), log("blocking")).unwrap();
    let mut tracked = producer
        .send_async(&route(), log("tracked"))
        .tracked()
        .wait()
        .unwrap();
    producer.flush_blocking().unwrap();
    assert!(tracked.try_result().is_some_and(|r| r.is_success()));
    let metrics = producer.close_blocking(None).unwrap();
    assert_eq!(metrics.delivered_logs, 3);
    drop(stop);
    let _ = runner.join();
}
