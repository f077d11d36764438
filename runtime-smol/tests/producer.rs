//! The smol `Producer` API against the local SLS server: the builder's choices and
//! errors, `send_with`, a driver run by the caller, an executor of one's own, and the
//! blocking facade's refusal in delivery callbacks. (The cross-runtime behaviour is in the
//! `sls-producer-tests` suite.)

use core::time::Duration;
use std::sync::{Arc, mpsc};

use sls_producer_core::config::ConfigError;
use sls_producer_core::protocol::shard::adjust_hash;
use sls_producer_smol::{
    BlockingError, BuildError, Credentials, Log, Producer, ProducerConfig, Route,
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
fn send_with_sets_topic_source_and_bucketed_shard_key() {
    let sls = server();
    let producer = producer(&sls);
    let route = route().with_topic("ignored");
    producer
        .send_with(&route, "orders", "10.0.0.7", Some("user-42"), log("hashed"))
        .unwrap();
    producer
        .send_with(&route, "audit", "10.0.0.8", None, log("any shard"))
        .unwrap();
    let report = producer.close_blocking(None).unwrap();
    assert_eq!(report.delivered_logs, 2);

    let groups = sls.log_groups(PROJECT, LOGSTORE);
    let hashed = groups.iter().find(|g| g.topic() == "orders").unwrap();
    assert_eq!(hashed.source(), "10.0.0.7");
    let key = adjust_hash(b"user-42", ProducerConfig::default().buckets);
    assert_eq!(hashed.target, ShardTarget::HashKey(key.as_str().to_owned()));
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
    let handle = producer.send_with_handle(&route(), log("slow")).unwrap();
    let outcome = smol::block_on(handle);
    assert!(!outcome.is_success());
    assert_eq!(
        outcome.error_code(),
        Some("Timeout"),
        "{:?}",
        outcome.attempts
    );
    assert_eq!(outcome.logs, [log("slow")], "the log is handed back");
    sls.faults().clear();
}

#[test]
fn a_driver_run_by_the_caller_delivers_and_finishes_after_close() {
    let sls = server();
    let (producer, driver) = Producer::builder(config(&sls))
        .with_credentials(Credentials::new("id", "secret"))
        .build_with_driver()
        .unwrap();
    let ((), report) = smol::block_on(smol::future::zip(driver, async {
        let outcome = producer
            .send_with_handle(&route(), log("mine"))
            .unwrap()
            .await;
        assert!(outcome.is_success());
        producer.close(None).await
    }));
    assert_eq!(report.delivered_logs, 1);
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
        .with_executor(executor)
        .build()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let inner = producer.clone();
    producer
        .send_with_callback(&route(), log("callback"), move |result| {
            let refused = (inner.flush_blocking(), inner.close_blocking(None).err());
            let _ = tx.send((result.is_success(), refused));
        })
        .unwrap();
    let (delivered, (flush, close)) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(delivered);
    assert_eq!(flush, Err(BlockingError::InsideDriver));
    assert_eq!(close, Some(BlockingError::InsideDriver));
    assert!(
        !producer.is_closed(),
        "the refused close_blocking did nothing"
    );
    // From this plain thread, blocking is fine.
    let report = producer.close_blocking(None).unwrap();
    assert_eq!(report.delivered_logs, 1);
    drop(stop);
    let _ = runner.join();
}
