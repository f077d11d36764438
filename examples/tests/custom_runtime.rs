//! The custom-runtime example: a producer on the `futures` crate's thread pool, with the
//! example's own timer and HTTP transport, delivers every log to the local server; and
//! the timer and the transport each do their part right.

#[allow(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/custom_runtime.rs"]
mod custom_runtime;

use core::time::Duration;
use std::net::TcpListener;
use std::sync::Arc;

use custom_runtime::{FuturesRuntime, LOGS};
use futures::executor::block_on;
use futures::stream::{FuturesUnordered, StreamExt as _};
use sls_producer_core::ProducerConfig;
use sls_producer_core::rt::{
    Bytes, Clock, HttpRequest, HttpResponse, HttpTransport, Method, Runtime, Scheme, Spawner,
    Timer, TransportError, TransportErrorKind,
};
use sls_producer_examples::Destination;

/// The example's transport, as its runtime makes it for `config`.
fn transport(config: &ProducerConfig) -> Arc<dyn HttpTransport> {
    let runtime = FuturesRuntime::new().unwrap();
    runtime
        .default_transport(config)
        .expect("the runtime has a transport")
}

/// Send one request to `authority` with the transport made for `config`.
fn send(
    config: &ProducerConfig,
    scheme: Scheme,
    authority: &str,
    (method, path, body): (Method, &str, &'static [u8]),
) -> Result<HttpResponse, TransportError> {
    let request = HttpRequest {
        method,
        scheme,
        authority: authority.to_owned(),
        path_and_query: path.to_owned(),
        headers: vec![
            ("host".into(), authority.to_owned()),
            ("content-type".into(), "application/json".to_owned()),
        ],
        body: Bytes::from_static(body),
    };
    block_on(transport(config).send(request))
}

/// `host:port` of the local server.
fn authority(destination: &Destination) -> &str {
    destination
        .endpoint
        .strip_prefix("http://")
        .expect("an http endpoint")
}

#[test]
fn the_example_delivers_every_log_and_the_local_server_stores_them() {
    let destination = Destination::local().unwrap();
    let metrics = block_on(custom_runtime::run(&destination)).unwrap();
    assert_eq!(metrics.accepted_logs, LOGS, "{metrics:?}");
    assert_eq!(metrics.delivered_logs, metrics.accepted_logs, "{metrics:?}");
    assert_eq!(metrics.failed_logs, 0, "{metrics:?}");

    // The server's counters, from its control API, through the example's transport.
    let config = ProducerConfig::new(&destination.endpoint);
    let get = (Method::Get, "/_sls_local/stats", &b""[..]);
    let stats = send(&config, Scheme::Http, authority(&destination), get).unwrap();
    assert_eq!(stats.status, 200);
    let stats: serde_json::Value = serde_json::from_slice(&stats.body).unwrap();
    assert_eq!(stats["total"]["logs"], LOGS, "{stats}");
    assert_eq!(stats["rejected"], 0, "{stats}");
    assert_eq!(stats["logstores"][0]["project"], "quickstart", "{stats}");
    destination.finish();
}

#[test]
fn the_transport_reads_a_real_sls_error_answer() {
    let destination = Destination::local().unwrap();
    let config = ProducerConfig::new(&destination.endpoint);
    let post = (Method::Post, "/no/such/path?x=1", &br#"{"a":1}"#[..]);
    let response = send(&config, Scheme::Http, authority(&destination), post).unwrap();
    assert_eq!(response.status, 404);
    assert_eq!(response.header("Content-Type"), Some("application/json"));
    assert!(response.header("x-log-requestid").is_some(), "{response:?}");
    let length = response.body.len().to_string();
    assert_eq!(response.header("content-length"), Some(length.as_str()));
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["errorCode"], "NotSupported", "{body}");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("POST /no/such/path"), "{message}");
    destination.finish();
}

#[test]
fn the_transport_refuses_https_and_reports_connect_failures_and_timeouts() {
    let config = ProducerConfig::new("http://127.0.0.1")
        .with_connect_timeout(Duration::from_secs(2))
        .with_request_timeout(Duration::from_millis(200));
    let post = (Method::Post, "/logstores/app", &b"{}"[..]);

    let https = send(&config, Scheme::Https, "127.0.0.1:443", post).unwrap_err();
    assert_eq!(https.kind(), TransportErrorKind::Connect);
    assert!(https.message().contains("plain http only"), "{https}");

    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap().to_string();
    drop(closed);
    let refused = send(&config, Scheme::Http, &closed_addr, post).unwrap_err();
    assert_eq!(refused.kind(), TransportErrorKind::Connect, "{refused}");

    // The kernel accepts the connection; nobody ever answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let timed_out = send(&config, Scheme::Http, &silent_addr, post).unwrap_err();
    assert_eq!(timed_out.kind(), TransportErrorKind::Timeout, "{timed_out}");
}

#[test]
fn sleeps_complete_in_deadline_order_and_never_early() {
    let runtime = FuturesRuntime::new().unwrap();
    let start = runtime.now();
    let sleep = |millis: u64| {
        let runtime = &runtime;
        async move {
            let deadline = start + Duration::from_millis(millis);
            runtime.sleep_until(deadline).await;
            assert!(runtime.now() >= deadline, "{millis} ms: woken early");
            millis
        }
    };
    // Polled together, queued in another order than their deadlines; one is due already.
    // `FuturesUnordered` yields them in the order the timer thread wakes them.
    let sleeps: FuturesUnordered<_> = [300, 100, 200, 0].into_iter().map(sleep).collect();
    let woken: Vec<u64> = block_on(sleeps.collect());
    assert_eq!(woken, [0, 100, 200, 300]);
}

#[test]
fn only_plain_threads_may_block_on_the_producer() {
    let runtime = FuturesRuntime::new().unwrap();
    assert!(runtime.may_block());
    let (answer, answered) = futures::channel::oneshot::channel();
    let on_pool = runtime.clone();
    runtime.spawn(Box::pin(async move {
        let _ = answer.send(on_pool.may_block());
    }));
    assert_eq!(block_on(answered), Ok(false));
}
