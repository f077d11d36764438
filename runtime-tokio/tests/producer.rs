//! The tokio `Producer` API against the local SLS server: the builder's choices and
//! errors, `send_with`, and the blocking facade's refusal inside a runtime. (The
//! cross-runtime behaviour is in the `sls-producer-tests` suite.)

use core::time::Duration;

use sls_producer_core::config::ConfigError;
use sls_producer_core::protocol::shard::adjust_hash;
use sls_producer_tests::server::{LocalSls, LogstoreOptions, ShardTarget};
use sls_producer_tokio::{
    BlockingError, BuildError, Credentials, Log, Producer, ProducerConfig, Route,
};

fn server() -> LocalSls {
    LocalSls::builder()
        .logstore("tokio-api", "app", LogstoreOptions::default())
        .access_key("id", "secret")
        .start_background()
        .expect("start the local server")
}

fn config(sls: &LocalSls) -> ProducerConfig {
    ProducerConfig::new(sls.endpoint()).with_linger(Duration::from_millis(10))
}

fn log(msg: &str) -> Log {
    Log::new(1_700_000_000).with_content("msg", msg)
}

#[test]
fn build_outside_a_runtime_needs_a_handle() {
    let e = Producer::builder(ProducerConfig::new("http://127.0.0.1:1"))
        .with_credentials(Credentials::new("id", "secret"))
        .build()
        .unwrap_err();
    assert!(matches!(e, BuildError::NoRuntime), "{e:?}");
    assert!(e.to_string().contains("with_handle"), "{e}");
}

#[tokio::test]
async fn build_without_credentials_or_with_a_bad_config_says_why() {
    let e = Producer::builder(ProducerConfig::new("http://127.0.0.1:1"))
        .build()
        .unwrap_err();
    assert!(matches!(e, BuildError::MissingCredentials), "{e:?}");
    let e = Producer::builder(ProducerConfig::new("http://127.0.0.1:1").with_buckets(100))
        .with_credentials(Credentials::new("id", "secret"))
        .build()
        .unwrap_err();
    match e {
        BuildError::Config(ConfigError::OutOfRange { field, .. }) => assert_eq!(field, "buckets"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_with_sets_topic_source_and_bucketed_shard_key() {
    let sls = server();
    let producer = Producer::builder(config(&sls))
        .with_credentials(Credentials::new("id", "secret"))
        .build()
        .unwrap();
    let route = Route::new("tokio-api", "app")
        .unwrap()
        .with_topic("ignored");
    producer
        .send_with(&route, "orders", "10.0.0.7", Some("user-42"), log("hashed"))
        .unwrap();
    producer
        .send_with(&route, "audit", "10.0.0.8", None, log("any shard"))
        .unwrap();
    let report = producer.close(None).await;
    assert_eq!(report.delivered_logs, 2);

    let groups = sls.log_groups("tokio-api", "app");
    let hashed = groups.iter().find(|g| g.topic() == "orders").unwrap();
    assert_eq!(hashed.source(), "10.0.0.7");
    let key = adjust_hash(b"user-42", ProducerConfig::default().buckets);
    assert_eq!(hashed.target, ShardTarget::HashKey(key.as_str().to_owned()));
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
    let route = Route::new("tokio-api", "app").unwrap();
    let outcome = producer
        .send_with_handle(&route, log("slow"))
        .unwrap()
        .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_calls_inside_the_runtime_are_refused_and_change_nothing() {
    let sls = server();
    let producer = Producer::builder(config(&sls))
        .with_credentials(Credentials::new("id", "secret"))
        .build()
        .unwrap();
    assert_eq!(producer.flush_blocking(), Err(BlockingError::InsideRuntime));
    assert_eq!(
        producer.close_blocking(Some(Duration::ZERO)),
        Err(BlockingError::InsideRuntime)
    );
    assert!(
        !producer.is_closed(),
        "a refused close_blocking does not close"
    );
    let route = Route::new("tokio-api", "app").unwrap();
    let outcome = producer
        .send_with_handle(&route, log("still open"))
        .unwrap()
        .await;
    assert!(outcome.is_success());
}

#[test]
fn a_plain_thread_builds_with_a_handle_sends_and_closes_blocking() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sls = server();
    let producer = Producer::builder(config(&sls))
        .with_credentials(Credentials::new("id", "secret"))
        .with_handle(runtime.handle().clone())
        .build()
        .unwrap();
    let route = Route::new("tokio-api", "app").unwrap();
    for n in 0..10 {
        producer.send(&route, log(&n.to_string())).unwrap();
    }
    producer.flush_blocking().unwrap();
    assert_eq!(sls.log_count(), 10, "flush_blocking waited for the server");
    let report = producer.close_blocking(None).unwrap();
    assert_eq!(report.delivered_logs, 10);
}
