//! Helpers for engine tests: literal instants, scripted responses, body decoding.

use sls_producer_core::config::ProducerConfig;
use sls_producer_core::credentials::Credentials;
use sls_producer_core::engine::{DeliveryEvent, Engine, Route, Transmit};
use sls_producer_core::protocol::compress::{Compression, decompress};
use sls_producer_core::protocol::proto::{Log, LogGroup, decode_log_group};
use sls_producer_core::rt::{HttpRequest, HttpResponse};
use sls_producer_core::rt::{Instant, UnixTime};
use sls_producer_core::rt::{TransportError, TransportErrorKind};

/// Wall-clock time the tests pretend it is (2023-11-14T22:13:20Z).
pub(crate) const WALL: UnixTime = UnixTime::from_secs(1_700_000_000);

pub(crate) fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

pub(crate) fn wall(n_ms: u64) -> UnixTime {
    UnixTime::from_millis(WALL.as_millis() + n_ms)
}

/// Defaults, a local endpoint, no pack id (tests that want one turn it on).
pub(crate) fn config() -> ProducerConfig {
    ProducerConfig::new("http://127.0.0.1:8080").with_generate_pack_id(false)
}

pub(crate) fn credentials() -> Credentials {
    Credentials::new("test-id", "test-secret")
}

pub(crate) fn engine(config: &ProducerConfig) -> Engine<u32> {
    Engine::new(config, WALL, Some(credentials())).expect("valid config")
}

pub(crate) fn route() -> Route {
    Route::new("proj", "store").unwrap()
}

pub(crate) fn log(i: u32) -> Log {
    Log::new(1_700_000_000).with_content("i", format!("{i:06}"))
}

pub(crate) fn logs(range: core::ops::Range<u32>) -> Vec<Log> {
    range.map(log).collect()
}

/// The `i` values of logs (as produced by [`log`]).
pub(crate) fn ids(logs: &[Log]) -> Vec<u32> {
    logs.iter()
        .map(|l| l.get("i").unwrap().parse().unwrap())
        .collect()
}

/// The raw (uncompressed) protobuf of a request.
pub(crate) fn raw_body(req: &HttpRequest) -> Vec<u8> {
    let raw_len: usize = req.header("x-log-bodyrawsize").unwrap().parse().unwrap();
    let compression = match req.header("x-log-compresstype") {
        Some(v) => Compression::from_header_value(v).unwrap(),
        None => Compression::None,
    };
    decompress(compression, &req.body, raw_len).unwrap()
}

pub(crate) fn group(req: &HttpRequest) -> LogGroup {
    decode_log_group(&raw_body(req)).unwrap()
}

pub(crate) fn ok() -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse::new(200).with_header("x-log-requestid", "req-ok"))
}

pub(crate) fn sls_error(status: u16, code: &str) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse::new(status)
        .with_header("x-log-requestid", format!("req-{status}"))
        .with_body(format!(
            r#"{{"errorCode":"{code}","errorMessage":"message of {code}"}}"#
        )))
}

pub(crate) fn timeout() -> Result<HttpResponse, TransportError> {
    Err(TransportError::new(
        TransportErrorKind::Timeout,
        "request timed out",
    ))
}

pub(crate) fn transmits(e: &mut Engine<u32>, now: Instant) -> Vec<Transmit> {
    core::iter::from_fn(|| e.poll_transmit(now, wall(now.as_nanos() / 1_000_000))).collect()
}

pub(crate) fn one_transmit(e: &mut Engine<u32>, now: Instant) -> Transmit {
    let mut t = transmits(e, now);
    assert_eq!(t.len(), 1, "expected exactly one request");
    t.pop().unwrap()
}

pub(crate) fn events(e: &mut Engine<u32>) -> Vec<DeliveryEvent<u32>> {
    core::iter::from_fn(|| e.poll_event()).collect()
}

/// Run timers at `now` if due.
pub(crate) fn tick(e: &mut Engine<u32>, now: Instant) {
    if e.poll_timeout().is_some_and(|t| t <= now) {
        e.handle_timeout(now);
    }
}

/// Respond to a transmit at `now` with `outcome`.
pub(crate) fn respond(
    e: &mut Engine<u32>,
    now: Instant,
    t: &Transmit,
    outcome: Result<HttpResponse, TransportError>,
) {
    e.handle_response(now, wall(now.as_nanos() / 1_000_000), t.attempt, outcome);
}
