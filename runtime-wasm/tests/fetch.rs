//! `FetchTransport` against the local CORS sink (`tests/support/cors_sink.js`).
//!
//! Start the sink first (`node runtime-wasm/tests/support/cors_sink.js 18571`); its
//! address is taken from `SLS_WASM_TEST_SINK` at compile time (default `127.0.0.1:18571`).
//! Runs under Node by default; `WASM_BINDGEN_USE_BROWSER=1` / `_DEDICATED_WORKER=1` /
//! `_SERVICE_WORKER=1` run the same tests in headless Chromium, cross-origin to the sink.
#![cfg(wasm_browser)]

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Waker};
use core::time::Duration;

use js_sys::{JSON, Reflect};
use sls_producer_core::rt::{Bytes, HttpRequest, HttpResponse, Method, Scheme};
use sls_producer_core::rt::{Clock, HttpTransport, Timer, TransportError, TransportErrorKind};
use sls_producer_wasm::{FORWARDED_HOST, FetchTransport, WasmRuntime};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

const SINK: &str = match option_env!("SLS_WASM_TEST_SINK") {
    Some(sink) => sink,
    None => "127.0.0.1:18571",
};

fn request(method: Method, authority: &str, path: &str, body: &[u8]) -> HttpRequest {
    HttpRequest {
        method,
        scheme: Scheme::Http,
        authority: authority.into(),
        path_and_query: path.into(),
        headers: vec![("content-type".into(), "application/x-protobuf".into())],
        body: Bytes::copy_from_slice(body),
    }
}

fn post(path: &str, body: &[u8]) -> HttpRequest {
    request(Method::Post, SINK, path, body)
}

async fn send(transport: &FetchTransport, req: HttpRequest) -> HttpResponse {
    match transport.send(req).await {
        Ok(response) => response,
        Err(e) => panic!("is the sink running on {SINK}? {e}"),
    }
}

async fn send_err(transport: &FetchTransport, req: HttpRequest) -> TransportError {
    transport
        .send(req)
        .await
        .expect_err("the exchange should have failed")
}

fn json(response: &HttpResponse) -> JsValue {
    JSON::parse(core::str::from_utf8(&response.body).unwrap()).unwrap()
}

fn field(value: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(value.clone(), |v, key| {
        Reflect::get(&v, &JsValue::from_str(key)).unwrap()
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unique_id(label: &str) -> String {
    format!("{label}-{}", (js_sys::Math::random() * 1e15) as u64)
}

/// Wait (in 20 ms steps, at most ~5 s) until the sink reports `key` of hang `id` true.
async fn hang_state_becomes(transport: &FetchTransport, id: &str, key: &str) -> bool {
    let runtime = WasmRuntime::new();
    for _ in 0..250 {
        let path = format!("/hang-state/{id}");
        let state = json(&send(transport, request(Method::Get, SINK, &path, b"")).await);
        if field(&state, &[key]).as_bool() == Some(true) {
            return true;
        }
        runtime
            .sleep_until(runtime.now() + Duration::from_millis(20))
            .await;
    }
    false
}

#[wasm_bindgen_test]
async fn post_sends_sls_headers_and_body_and_returns_the_response() {
    let body: Vec<u8> = (0..=255).collect();
    let mut req = post("/echo?key=f4", &body);
    let virtual_host = format!("myproject.{SINK}");
    req.headers.extend([
        ("host".into(), virtual_host.clone()),
        ("x-log-apiversion".into(), "0.6.0".into()),
        ("x-log-bodyrawsize".into(), "256".into()),
        ("x-log-date".into(), "Wed, 25 Nov 2026 01:40:30 GMT".into()),
        ("authorization".into(), "LOG id:c2lnbmF0dXJl".into()),
        // Owned by fetch: never passed on, whatever their values.
        ("content-length".into(), "999".into()),
        ("date".into(), "Wed, 25 Nov 2026 01:40:30 GMT".into()),
        ("user-agent".into(), "sls-producer-test/1".into()),
    ]);

    let response = send(&FetchTransport::new(), req).await;

    assert_eq!(response.status, 200);
    // Exposed by the sink's Access-Control-Expose-Headers.
    assert!(
        response
            .header("x-log-requestid")
            .unwrap()
            .starts_with("sink-")
    );
    let seen = json(&response);
    let header = |name: &str| field(&seen, &["headers", name]).as_string();
    assert_eq!(field(&seen, &["method"]).as_string().unwrap(), "POST");
    assert_eq!(field(&seen, &["url"]).as_string().unwrap(), "/echo?key=f4");
    assert_eq!(field(&seen, &["bodyHex"]).as_string().unwrap(), hex(&body));
    assert_eq!(header("content-type").unwrap(), "application/x-protobuf");
    assert_eq!(header("x-log-apiversion").unwrap(), "0.6.0");
    assert_eq!(header("x-log-bodyrawsize").unwrap(), "256");
    assert_eq!(
        header("x-log-date").unwrap(),
        "Wed, 25 Nov 2026 01:40:30 GMT"
    );
    assert_eq!(header("authorization").unwrap(), "LOG id:c2lnbmF0dXJl");
    assert_eq!(header("content-length").unwrap(), "256");
    assert_eq!(header("host").unwrap(), SINK);
    assert_eq!(header(FORWARDED_HOST).unwrap(), virtual_host);
    assert_eq!(header("date"), None);
    assert_ne!(header("user-agent").as_deref(), Some("sls-producer-test/1"));
}

#[wasm_bindgen_test]
async fn binary_bodies_round_trip_both_ways() {
    let body: Vec<u8> = (0..4096_u32).map(|i| (i * 7 % 256) as u8).collect();
    let response = send(&FetchTransport::new(), post("/bytes", &body)).await;
    assert_eq!(response.status, 200);
    assert_eq!(&response.body[..], &body[..]);
}

#[wasm_bindgen_test]
async fn an_error_status_is_a_response_not_a_transport_error() {
    let response = send(&FetchTransport::new(), post("/status/503", b"x")).await;
    assert_eq!(response.status, 503);
    assert_eq!(
        field(&json(&response), &["errorCode"]).as_string().unwrap(),
        "SinkError"
    );
    assert!(response.header("x-log-requestid").is_some());
}

#[wasm_bindgen_test]
async fn the_request_timeout_aborts_the_exchange() {
    let id = unique_id("timeout");
    let transport = FetchTransport::new().with_request_timeout(Duration::from_millis(100));
    let err = send_err(&transport, post(&format!("/hang/{id}"), b"x")).await;
    assert_eq!(err.kind(), TransportErrorKind::Timeout, "{err}");
    assert!(
        hang_state_becomes(&FetchTransport::new(), &id, "aborted").await,
        "the sink never saw the request aborted"
    );
}

#[wasm_bindgen_test]
async fn dropping_the_response_future_aborts_the_request() {
    let id = unique_id("drop");
    let transport = FetchTransport::new();
    {
        let mut exchange = pin!(transport.send(post(&format!("/hang/{id}"), b"x")));
        let cx = &mut Context::from_waker(Waker::noop());
        assert!(exchange.as_mut().poll(cx).is_pending());
        assert!(hang_state_becomes(&transport, &id, "seen").await);
    }
    assert!(
        hang_state_becomes(&transport, &id, "aborted").await,
        "the sink never saw the request aborted"
    );
}

#[wasm_bindgen_test]
async fn a_refused_connection_is_a_connect_error() {
    let transport = FetchTransport::new();
    let port = send(&transport, request(Method::Get, SINK, "/closed-port", b"")).await;
    let port = core::str::from_utf8(&port.body).unwrap();
    let err = send_err(
        &transport,
        request(Method::Post, &format!("127.0.0.1:{port}"), "/", b"x"),
    )
    .await;
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
}

#[wasm_bindgen_test]
async fn keepalive_is_used_only_where_browsers_accept_it() {
    let transport = FetchTransport::new().with_keepalive(true);
    for len in [100, FetchTransport::KEEPALIVE_BODY_LIMIT, 70 * 1024] {
        // Browsers reject keepalive requests over 64 KiB; the transport must not ask.
        let response = send(&transport, post("/echo", &vec![7; len])).await;
        assert_eq!(response.status, 200);
        let seen = field(&json(&response), &["bodyLength"]).as_f64().unwrap();
        assert_eq!(seen as usize, len);
    }
}

#[wasm_bindgen_test]
async fn response_bodies_over_the_limit_are_refused() {
    let transport = FetchTransport::new().with_max_response_body(1024);
    let ok = send(&transport, post("/big/1024", b"x")).await;
    assert_eq!(ok.body.len(), 1024);
    let err = send_err(&transport, post("/big/1025", b"x")).await;
    assert_eq!(err.kind(), TransportErrorKind::Other, "{err}");
}

#[wasm_bindgen_test]
async fn a_get_with_a_body_is_refused_before_fetch() {
    let err = send_err(
        &FetchTransport::new(),
        request(Method::Get, SINK, "/health", b"x"),
    )
    .await;
    assert_eq!(err.kind(), TransportErrorKind::Other);
}

#[wasm_bindgen_test]
async fn header_values_never_reach_error_messages() {
    let mut req = post("/echo", b"x");
    // A newline makes the value invalid for every fetch implementation.
    req.headers
        .push(("x-acs-security-token".into(), "TOKEN-SECRET\nvalue".into()));
    let err = send_err(&FetchTransport::new(), req).await;
    assert_eq!(err.kind(), TransportErrorKind::Other);
    let text = format!("{err} {err:?}");
    assert!(text.contains("x-acs-security-token"), "{text}");
    assert!(!text.contains("TOKEN-SECRET"), "{text}");
}
