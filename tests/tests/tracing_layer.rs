//! The tracing layer and the `log` logger on tokio, shipping to the local server over
//! HTTP: events arrive with their fields and span context, and the producer's own
//! diagnostics (raised while the server fails requests) never come back through them.

use core::time::Duration;

use sls_producer_core::Log;
use sls_producer_core::integrations::log_logger::SlsLogger;
use sls_producer_core::integrations::tracing_layer::SlsLayer;
use sls_producer_tests::server::{Fault, LocalSls};
use sls_producer_tokio::{Credentials, Producer, ProducerBuilderExt as _, ProducerConfig, Route};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;

const PATIENCE: Duration = Duration::from_secs(20);

async fn server() -> LocalSls {
    LocalSls::builder()
        .auto_create(true)
        .accept_any_access_key()
        .start()
        .await
        .expect("the local server starts")
}

fn producer(sls: &LocalSls) -> Producer {
    let config = ProducerConfig::new(sls.endpoint())
        .with_linger(Duration::from_millis(20))
        .with_retry_backoff(Duration::from_millis(5), Duration::from_millis(50));
    Producer::builder(config)
        .with_credentials(Credentials::new("id", "secret"))
        .build()
        .expect("a producer")
}

fn get<'a>(log: &'a Log, key: &str) -> Option<&'a str> {
    log.get(key)
}

/// On a current-thread runtime the driver runs on the thread whose subscriber holds the
/// layer, so every diagnostic of the producer (attempt failures, the close summary) and
/// of hyper-util's pool is raised into the layer: none may be shipped.
#[tokio::test]
async fn events_with_fields_and_spans_arrive_and_the_producers_own_events_do_not() {
    let sls = server().await;
    // Every other request fails: the driver warns about each failed attempt.
    sls.faults()
        .script([Fault::status(503), Fault::Drop, Fault::status(500)]);
    let producer = producer(&sls);
    let route = Route::new("app-project", "traces")
        .unwrap()
        .with_topic("checkout");
    let layer = SlsLayer::builder(producer.clone(), route).build();
    let shipping = layer.handle();
    let subscriber = tracing_subscriber::registry().with(layer.with_filter(LevelFilter::TRACE));
    let _default = tracing::subscriber::set_default(subscriber);

    for order in 0..50_u64 {
        let span = tracing::info_span!("order", id = order, customer = "c-42");
        let _entered = span.enter();
        tracing::info!(amount_cents = 1999_u64, paid = true, "order {order} placed");
        tokio::task::yield_now().await;
    }
    let metrics = tokio::time::timeout(PATIENCE, producer.close(Some(PATIENCE)))
        .await
        .expect("close finishes");
    assert_eq!(metrics.delivered_logs, 50);
    assert_eq!(metrics.failed_logs, 0);

    let logs = sls.logs("app-project", "traces");
    assert_eq!(logs.len(), 50, "only the application's events were shipped");
    let mut ids: Vec<u64> = logs
        .iter()
        .map(|l| get(l, "order.id").unwrap().parse().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..50).collect::<Vec<_>>());
    let first = logs
        .iter()
        .find(|l| get(l, "order.id") == Some("0"))
        .unwrap();
    assert_eq!(get(first, "level"), Some("INFO"));
    assert_eq!(get(first, "target"), Some(module_path!()));
    assert_eq!(get(first, "message"), Some("order 0 placed"));
    assert_eq!(get(first, "amount_cents"), Some("1999"));
    assert_eq!(get(first, "paid"), Some("true"));
    assert_eq!(get(first, "order.customer"), Some("c-42"));
    assert_eq!(get(first, "spans"), Some("order"));
    let groups = sls.log_groups("app-project", "traces");
    assert!(groups.iter().all(|g| g.topic() == "checkout"));
    // The retries did happen (and raised diagnostics) but nothing came back.
    assert!(sls.stats().rejected >= 2, "{:?}", sls.stats());
    let stats = shipping.stats();
    assert_eq!((stats.shipped, stats.dropped()), (50, 0));
}

/// A global subscriber and a global `log` logger on a multi-thread runtime: events from
/// several tasks and threads arrive; the driver's events on the worker threads reach the
/// global layer and are not shipped.
#[test]
fn a_global_layer_and_logger_on_a_multi_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sls = server().await;
        sls.faults().fail_next(3, 503);
        let producer = producer(&sls);
        let layer = SlsLayer::builder(
            producer.clone(),
            Route::new("app-project", "global-traces").unwrap(),
        )
        .build();
        let shipping = layer.handle();
        tracing_subscriber::registry()
            .with(layer.with_filter(LevelFilter::DEBUG))
            .init();
        let logging = SlsLogger::builder(
            producer.clone(),
            Route::new("app-project", "records").unwrap(),
        )
        .build()
        .install()
        .unwrap();

        let tasks: Vec<_> = (0..4_u32)
            .map(|task| {
                tokio::spawn(async move {
                    for i in 0..25_u32 {
                        tracing::debug!(task, i, "tick");
                        log::info!(task, i; "record");
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let metrics = tokio::time::timeout(PATIENCE, producer.close(Some(PATIENCE)))
            .await
            .expect("close finishes");
        assert_eq!(metrics.delivered_logs, 200);
        assert_eq!(sls.logs("app-project", "global-traces").len(), 100);
        assert_eq!(sls.logs("app-project", "records").len(), 100);
        let record = &sls.logs("app-project", "records")[0];
        assert_eq!(get(record, "message"), Some("record"));
        assert!(get(record, "task").is_some() && get(record, "i").is_some());
        assert_eq!(shipping.stats().shipped, 100);
        assert_eq!(logging.stats().shipped, 100);
        // Events after close are dropped and counted, not sent.
        tracing::info!("too late");
        assert_eq!(shipping.stats().dropped_closed, 1);
    });
}
