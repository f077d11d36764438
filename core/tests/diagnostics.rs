//! The producer's own diagnostics (tracing events) and its metrics snapshot, on the
//! deterministic `sim` runtime.

use core::fmt;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use core::time::Duration;

use sls_producer_core::config::Compression;
use sls_producer_core::credentials::{CredentialsError, CredentialsProvider, FnProvider};
use sls_producer_core::rt::UnixTime;
use sls_producer_core::rt::{Clock as _, TransportErrorKind};
use sls_producer_core::sim::{ScriptedReply, ScriptedTransport, SimRuntime};
use sls_producer_core::{Credentials, CredentialsSource, Log, Producer, ProducerConfig, Route};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// One recorded event.
#[derive(Clone, Debug)]
struct Seen {
    level: Level,
    target: String,
    fields: BTreeMap<String, String>,
}

impl Seen {
    fn message(&self) -> &str {
        self.fields.get("message").map_or("", String::as_str)
    }

    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl Recorder {
    fn events(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }

    fn with_message(&self, message: &str) -> Vec<Seen> {
        self.events()
            .into_iter()
            .filter(|e| e.message() == message)
            .collect()
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Seen {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields,
        });
    }
}

fn config() -> ProducerConfig {
    ProducerConfig::new("http://127.0.0.1:8080")
        .with_generate_pack_id(false)
        .with_compression(Compression::None)
}

fn route() -> Route {
    Route::new("proj", "app").unwrap()
}

fn start(
    sim: &SimRuntime,
    config: &ProducerConfig,
    credentials: impl Into<CredentialsSource>,
) -> Producer {
    Producer::builder(config.clone())
        .with_credentials(credentials)
        .build_on(sim.runtime())
        .unwrap()
}

fn recorded<R>(f: impl FnOnce() -> R) -> (Recorder, R) {
    let recorder = Recorder::default();
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    let result = tracing::subscriber::with_default(subscriber, f);
    (recorder, result)
}

fn log(i: u32) -> Log {
    Log::new(1_700_000_000).with_content("i", format!("{i}"))
}

#[test]
fn a_retried_attempt_is_a_warning_with_request_id_code_and_decision() {
    let sim = SimRuntime::new(1);
    sim.transport().push_replies([
        ScriptedReply::sls_error(503, "ServerBusy", "server is busy"),
        ScriptedReply::TransportError(TransportErrorKind::Connect),
        ScriptedReply::ok(),
    ]);
    let (events, ()) = recorded(|| {
        let producer = start(&sim, &config(), Credentials::new("id", "secret"));
        producer.send(&route(), log(1)).unwrap();
        sim.block_on(producer.flush()).unwrap();
    });
    let failed = events.with_message("attempt failed");
    assert_eq!(failed.len(), 2, "{:?}", events.events());
    let busy = &failed[0];
    assert_eq!(busy.level, Level::WARN);
    assert_eq!(busy.target, "sls_producer_core::producer::diag");
    assert_eq!(busy.field("http_status"), Some("503"));
    assert_eq!(busy.field("error_code"), Some("ServerBusy"));
    assert_eq!(busy.field("error_message"), Some("server is busy"));
    assert_eq!(
        busy.field("request_id"),
        Some(ScriptedTransport::request_id(0).as_str())
    );
    assert_eq!(busy.field("decision"), Some("retry after backoff"));
    let connect = &failed[1];
    assert_eq!(connect.field("http_status"), None);
    assert_eq!(connect.field("error_code"), Some("ConnectError"));
    assert_eq!(connect.field("request_id"), None);
    let delivered = events.with_message("delivered");
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].level, Level::TRACE);
    assert_eq!(
        delivered[0].field("request_id"),
        Some(ScriptedTransport::request_id(2).as_str())
    );
}

#[test]
fn a_401_with_fixed_credentials_retries_after_backoff() {
    let sim = SimRuntime::new(2);
    sim.transport().push_replies([
        ScriptedReply::sls_error(401, "Unauthorized", "bad key"),
        ScriptedReply::ok(),
    ]);
    let (events, ()) = recorded(|| {
        let producer = start(&sim, &config(), Credentials::new("id", "secret"));
        producer.send(&route(), log(1)).unwrap();
        sim.block_on(producer.flush()).unwrap();
    });
    let retried = events.with_message("attempt failed");
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].field("decision"), Some("retry after backoff"));
    assert_eq!(retried[0].field("http_status"), Some("401"));
}

#[test]
fn a_batch_given_up_is_an_error_and_a_401_retries_with_fresh_credentials() {
    let sim = SimRuntime::new(2);
    sim.transport().push_replies([
        ScriptedReply::sls_error(401, "Unauthorized", "bad key"),
        ScriptedReply::ok(),
        ScriptedReply::sls_error(400, "PostBodyInvalid", "nope"),
    ]);
    let provider: Arc<dyn CredentialsProvider> = Arc::new(FnProvider::new(|| async {
        Ok(Credentials::new("id", "secret"))
    }));
    let (events, ()) = recorded(|| {
        let producer = start(&sim, &config(), provider);
        producer.send(&route(), log(1)).unwrap();
        sim.block_on(producer.flush()).unwrap();
        producer.send(&route(), log(2)).unwrap();
        sim.block_on(producer.flush()).unwrap();
    });
    let retried = events.with_message("attempt failed");
    assert_eq!(retried.len(), 1);
    assert_eq!(
        retried[0].field("decision"),
        Some("retry with refreshed credentials")
    );
    let given_up = events.with_message("batch given up");
    assert_eq!(given_up.len(), 1);
    assert_eq!(given_up[0].level, Level::ERROR);
    assert_eq!(given_up[0].field("http_status"), Some("400"));
    assert_eq!(given_up[0].field("decision"), Some("give up"));
    assert_eq!(given_up[0].field("failed_logs"), Some("1"));
}

#[test]
fn credential_fetches_are_reported_without_secrets() {
    let sim = SimRuntime::new(3);
    let calls = Arc::new(Mutex::new(0_u32));
    let counter = calls.clone();
    let expires = sim.clock().unix_time().as_secs() + 3600;
    let provider: Arc<dyn CredentialsProvider> = Arc::new(FnProvider::new(move || {
        let n = {
            let mut c = counter.lock().unwrap();
            *c += 1;
            *c
        };
        async move {
            if n == 1 {
                Err(CredentialsError::new("STS endpoint unreachable"))
            } else {
                Ok(Credentials::new("STS.tmp-id", "tmp-secret-value")
                    .with_security_token("tmp-token-value")
                    .with_expiration(UnixTime::from_secs(expires)))
            }
        }
    }));
    let (events, ()) = recorded(|| {
        let producer = start(&sim, &config(), provider);
        producer.send(&route(), log(1)).unwrap();
        sim.block_on(producer.flush()).unwrap();
    });
    assert_eq!(*calls.lock().unwrap(), 2);
    let failed = events
        .with_message("credentials fetch failed; the previous credentials (if any) stay in use");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].level, Level::WARN);
    assert_eq!(
        failed[0].field("error"),
        Some("credentials unavailable: STS endpoint unreachable")
    );
    assert_eq!(failed[0].field("consecutive_failures"), Some("1"));
    let refreshed = events.with_message("credentials refreshed");
    assert_eq!(refreshed.len(), 1);
    assert_eq!(refreshed[0].field("access_key_id"), Some("STS.tmp-id"));
    // The provider answered at 1 s of simulated time (after the 1 s cool-down).
    assert_eq!(refreshed[0].field("expires_in_secs"), Some("3599"));
    let all = format!("{:?}", events.events());
    assert!(
        !all.contains("tmp-secret-value") && !all.contains("tmp-token-value"),
        "{all}"
    );
}

#[test]
fn close_reports_a_summary() {
    let sim = SimRuntime::new(4);
    let (events, report) = recorded(|| {
        let producer = start(&sim, &config(), Credentials::new("id", "secret"));
        producer
            .send(&route(), vec![log(1), log(2), log(3)])
            .unwrap();
        sim.block_on(producer.close(None)).unwrap()
    });
    assert_eq!(report.delivered_logs, 3);
    let closed = events.with_message("producer closed");
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].level, Level::INFO);
    assert_eq!(closed[0].field("delivered_logs"), Some("3"));
    assert_eq!(closed[0].field("failed_logs"), Some("0"));
    assert_eq!(closed[0].field("requests"), Some("1"));
}

#[test]
fn dropping_the_driver_early_warns_with_the_failed_count() {
    let sim = SimRuntime::new(5);
    let (events, ()) = recorded(|| {
        let (producer, driver) = Producer::builder(config())
            .with_credentials(Credentials::new("id", "secret"))
            .build_with_driver(sim.runtime())
            .unwrap();
        producer.send(&route(), vec![log(1), log(2)]).unwrap();
        drop(driver);
    });
    let dropped: Vec<_> = events
        .events()
        .into_iter()
        .filter(|e| e.message().starts_with("producer driver dropped"))
        .collect();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].field("failed_logs"), Some("2"));
}

#[test]
fn metrics_count_logs_bytes_retries_and_show_in_flight_and_buffer_use() {
    let sim = SimRuntime::new(7);
    sim.transport().push_replies([
        ScriptedReply::sls_error(500, "InternalServerError", "oops"),
        ScriptedReply::ok().delayed(Duration::from_millis(50)),
    ]);
    let config = config().with_memory_budget(1 << 20);
    let producer = start(&sim, &config, Credentials::new("id", "secret"));
    let before = producer.metrics();
    assert_eq!(before.memory_budget, 1 << 20);
    assert_eq!(before.accepted_logs, 0);

    producer
        .send(&route(), (0..10).map(log).collect::<Vec<_>>())
        .unwrap();
    let buffered = producer.metrics();
    assert_eq!(buffered.accepted_logs, 10);
    assert_eq!(buffered.pending_logs(), 10);
    assert_eq!(buffered.pending_batches, 1);
    assert!(buffered.buffered_bytes > 0);
    assert!(buffered.buffer_use() > 0.0);

    let flush = producer.flush();
    // First attempt fails; the retry is sent after 100 ms and answered 50 ms later.
    sim.run_for(Duration::from_millis(120)).unwrap();
    let in_flight = producer.metrics();
    assert_eq!((in_flight.requests, in_flight.retries), (2, 1));
    assert_eq!(in_flight.in_flight, 1);
    assert_eq!(in_flight.delivered_logs, 0);
    sim.block_on(flush).unwrap();

    let done = producer.metrics();
    assert_eq!(done.delivered_logs, 10);
    assert_eq!(done.failed_logs, 0);
    assert_eq!(done.pending_logs(), 0);
    assert_eq!(done.batches, 1);
    assert_eq!(
        (done.in_flight, done.pending_batches, done.buffered_bytes),
        (0, 0, 0)
    );
    let body = &sim.transport().requests()[1].request.body;
    let raw_size: u64 = sim.transport().requests()[1]
        .request
        .header("x-log-bodyrawsize")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(done.delivered_body_bytes, body.len() as u64);
    assert_eq!(done.delivered_raw_bytes, raw_size);
}

#[test]
fn metrics_count_compressed_and_raw_bytes_apart() {
    let sim = SimRuntime::new(8);
    let producer = start(
        &sim,
        &config().with_compression(Compression::Lz4),
        Credentials::new("id", "secret"),
    );
    let same: Vec<Log> = (0..200).map(|_| log(7)).collect();
    producer.send(&route(), same).unwrap();
    sim.block_on(producer.flush()).unwrap();
    let m = producer.metrics();
    assert!(m.delivered_raw_bytes > 2 * m.delivered_body_bytes, "{m:?}");
    assert!(m.compression_ratio().unwrap() > 2.0);
}

#[test]
fn retries_and_give_ups_are_reported_as_the_engine_decided_them() {
    let sim = SimRuntime::new(9);
    sim.transport().push_replies([
        ScriptedReply::sls_error(503, "ServerBusy", "busy"),
        ScriptedReply::sls_error(500, "InternalServerError", "oops"),
        ScriptedReply::sls_error(503, "ServerBusy", "still busy"),
    ]);
    // Jittered backoff: the delay each warning reports is the one the engine drew, not one
    // worked out again from the configuration.
    let config = config()
        .with_max_retries(2)
        .with_seed(9)
        .with_jitter(sls_producer_core::config::Jitter::Full);
    let (events, metrics) = recorded(|| {
        let producer = start(&sim, &config, Credentials::new("id", "secret"));
        let handle = producer
            .send_tracked(&route(), vec![log(1), log(2), log(3)])
            .unwrap();
        let _flushing = producer.flush();
        let result = sim.block_on(handle).unwrap();
        assert_eq!(
            result.failure,
            Some(sls_producer_core::DeliveryFailure::RetriesExhausted)
        );
        producer.metrics()
    });
    let sent: Vec<_> = sim
        .transport()
        .requests()
        .iter()
        .map(|r| r.received_at)
        .collect();
    assert_eq!(sent.len(), 3);

    let retries = events.with_message("attempt failed");
    assert_eq!(retries.len(), 2, "{:?}", events.events());
    assert_eq!(retries.len() as u64, metrics.retries);
    for (i, retry) in retries.iter().enumerate() {
        assert_eq!(retry.level, Level::WARN);
        assert_eq!(retry.field("attempts"), Some((i + 1).to_string().as_str()));
        assert_eq!(retry.field("attempt"), Some(i.to_string().as_str()));
        assert_eq!(retry.field("decision"), Some("retry after backoff"));
        // The next request went out exactly as long after this one as announced.
        let waited = sent[i + 1].saturating_duration_since(sent[i]);
        assert_eq!(
            retry.field("retry_in_ms"),
            Some(waited.as_millis().to_string().as_str()),
            "retry {i}"
        );
        let ceiling = 100 << i;
        let announced: u64 = retry.field("retry_in_ms").unwrap().parse().unwrap();
        assert!(announced <= ceiling, "{announced} > {ceiling}");
    }
    assert_eq!(retries[1].field("http_status"), Some("500"));

    let given_up = events.with_message("batch given up");
    assert_eq!(given_up.len(), 1, "{:?}", events.events());
    let given_up = &given_up[0];
    assert_eq!(given_up.level, Level::ERROR);
    assert_eq!(given_up.field("attempt"), Some("2"));
    assert_eq!(given_up.field("failed_logs"), Some("3"));
    assert_eq!(
        given_up.field("failed_logs"),
        Some(metrics.failed_logs.to_string().as_str())
    );
    assert_eq!(
        given_up.field("failure"),
        Some("every allowed attempt failed")
    );
    assert_eq!(given_up.field("decision"), Some("give up"));
    assert_eq!(given_up.field("http_status"), Some("503"));
    assert_eq!(given_up.field("error_message"), Some("still busy"));
    assert_eq!(
        given_up.field("request_id"),
        Some(ScriptedTransport::request_id(2).as_str())
    );
    // The last failure is the give-up, not a third warning.
    assert!(
        events
            .events()
            .iter()
            .all(|e| e.level != Level::WARN || e.message() == "attempt failed"),
        "{:?}",
        events.events()
    );
}
