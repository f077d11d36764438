//! Talking to the local SLS server (`sls-local`) from wasm tests: its control API, the
//! logs it stored, and JS option objects.
//!
//! The server's URL comes from `SLS_LOCAL_URL` at compile time (the test script starts
//! `sls-local --port 0 --auto-create --access-key … --sts …` and exports it). Every test
//! uses its own logstore, so suites and environments sharing one server do not interfere;
//! faults are global, so tests run one at a time (wasm-bindgen-test's default).
#![allow(dead_code, unreachable_pub)]

use core::time::Duration;

use js_sys::{Array, Function, JSON, Object, Reflect};
use sls_producer_core::rt::{Bytes, HttpRequest, Method, Scheme};
use sls_producer_core::rt::{Clock, HttpTransport, Timer};
use sls_producer_js::{JsProducer, ProducerOptions};
use sls_producer_wasm::{FetchTransport, WasmRuntime};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

pub const SLS: &str = match option_env!("SLS_LOCAL_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:18572",
};

/// The AccessKey and STS credentials the script gives the server.
pub const AK_ID: &str = "testAccessKeyId";
pub const AK_SECRET: &str = "testAccessKeySecret";
/// Already expired on the server (`--sts STS.old:oldSecret:oldToken:1`).
pub const STS_OLD: (&str, &str, &str) = ("STS.old", "oldSecret", "oldToken");
/// Valid until 2100.
pub const STS_NEW: (&str, &str, &str) = ("STS.new", "newSecret", "newToken");

pub const PROJECT: &str = "wasm-tests";

/// `host:port` of the server.
pub fn authority() -> &'static str {
    SLS.strip_prefix("http://").unwrap_or(SLS)
}

/// A logstore name unique to this test run and environment.
pub fn unique_logstore(label: &str) -> String {
    let n = (js_sys::Math::random() * 1e12) as u64;
    let mut name = String::from(label);
    name.push('-');
    name.push_str(&n.to_string());
    name
}

async fn control(method: Method, path_and_query: &str, body: &str) -> JsValue {
    let request = HttpRequest {
        method,
        scheme: Scheme::Http,
        authority: authority().into(),
        path_and_query: path_and_query.into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: Bytes::copy_from_slice(body.as_bytes()),
    };
    let response = FetchTransport::new()
        .send(request)
        .await
        .unwrap_or_else(|e| panic!("is sls-local running at {SLS}? {e}"));
    let text = core::str::from_utf8(&response.body).unwrap();
    assert_eq!(response.status, 200, "{path_and_query}: {text}");
    JSON::parse(text).unwrap()
}

/// `POST /_sls_local/faults` with a JSON document, e.g. `{"script":[503]}`.
pub async fn set_faults(json: &str) {
    control(Method::Post, "/_sls_local/faults", json).await;
}

/// Remove every fault (`fetch` here has no `DELETE`: an empty script does it).
pub async fn clear_faults() {
    set_faults(r#"{"script":[],"latency_ms":0,"rate_limit":null,"sts_tokens_expired":false}"#)
        .await;
}

/// `GET /_sls_local/stats`.
pub async fn stats() -> JsValue {
    control(Method::Get, "/_sls_local/stats", "").await
}

/// How many refusals with SLS error `code` the server counted so far.
pub async fn error_count(code: &str) -> u32 {
    field(&field(&stats().await, "errors"), code)
        .as_f64()
        .unwrap_or(0.0) as u32
}

/// The log groups stored for `logstore` of [`PROJECT`], in arrival order.
pub async fn log_groups(logstore: &str) -> Vec<JsValue> {
    let mut path = String::from("/_sls_local/logs?project=");
    path.push_str(PROJECT);
    path.push_str("&logstore=");
    path.push_str(logstore);
    let doc = control(Method::Get, &path, "").await;
    field(&doc, "logGroups")
        .unchecked_into::<Array>()
        .iter()
        .collect()
}

/// Logs stored for `logstore`, over all groups.
pub async fn log_count(logstore: &str) -> usize {
    log_groups(logstore)
        .await
        .iter()
        .map(|g| field(g, "logs").unchecked_into::<Array>().length() as usize)
        .sum()
}

/// Wait (50 ms steps, at most ~15 s) until `logstore` holds at least `n` logs.
pub async fn wait_for_logs(logstore: &str, n: usize) -> usize {
    let mut seen = 0;
    for _ in 0..300 {
        seen = log_count(logstore).await;
        if seen >= n {
            return seen;
        }
        sleep_ms(50).await;
    }
    seen
}

pub async fn sleep_ms(ms: u64) {
    let runtime = WasmRuntime::new();
    runtime
        .sleep_until(runtime.now() + Duration::from_millis(ms))
        .await;
}

pub fn field(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn set(object: &JsValue, key: &str, value: impl Into<JsValue>) {
    Reflect::set(object, &JsValue::from_str(key), &value.into()).unwrap();
}

/// The fields of stored log `log` (`[[key, value], …]` in the server's JSON) as pairs.
pub fn contents(log: &JsValue) -> Vec<(String, String)> {
    field(log, "contents")
        .unchecked_into::<Array>()
        .iter()
        .map(|pair| {
            let pair: Array = pair.unchecked_into();
            (
                pair.get(0).as_string().unwrap(),
                pair.get(1).as_string().unwrap(),
            )
        })
        .collect()
}

/// Every stored log of `logstore`, as field pairs.
pub async fn stored_logs(logstore: &str) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    for group in log_groups(logstore).await {
        for log in field(&group, "logs").unchecked_into::<Array>().iter() {
            out.push(contents(&log));
        }
    }
    out
}

/// Options for `logstore` on the server; add credentials and more with [`set`].
pub fn options(logstore: &str) -> JsValue {
    let o: JsValue = Object::new().into();
    set(&o, "endpoint", SLS);
    set(&o, "project", PROJECT);
    set(&o, "logstore", logstore);
    o
}

/// Options for anonymous web tracking to `logstore`.
pub fn tracking_options(logstore: &str) -> JsValue {
    let o = options(logstore);
    set(&o, "webTracking", true);
    o
}

/// Options with the server's static AccessKey, explicitly allowed.
pub fn static_key_options(logstore: &str) -> JsValue {
    let o = options(logstore);
    set(&o, "accessKeyId", AK_ID);
    set(&o, "accessKeySecret", AK_SECRET);
    set(&o, "allowStaticAccessKey", true);
    o
}

pub fn producer(options: &JsValue) -> JsProducer {
    JsProducer::new(options.clone().unchecked_into::<ProducerOptions>())
        .unwrap_or_else(|e| panic!("new Producer: {}", error_message(&e)))
}

/// A log object from field pairs.
pub fn log(fields: &[(&str, JsValue)]) -> sls_producer_js::LogObject {
    let o: JsValue = Object::new().into();
    for (k, v) in fields {
        set(&o, k, v.clone());
    }
    o.unchecked_into()
}

pub fn text_log(event: &str) -> sls_producer_js::LogObject {
    log(&[("event", JsValue::from_str(event))])
}

/// The `code` and `message` of a thrown `SlsProducerError`.
pub fn error_code(e: &JsValue) -> String {
    assert_eq!(
        field(e, "name").as_string().as_deref(),
        Some("SlsProducerError"),
        "{}",
        error_message(e)
    );
    field(e, "code").as_string().unwrap()
}

pub fn error_message(e: &JsValue) -> String {
    field(e, "message")
        .as_string()
        .unwrap_or_else(|| String::from("(not an Error)"))
}

/// Await a JS promise.
pub async fn resolve(promise: js_sys::Promise) -> JsValue {
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .unwrap_or_else(|e| panic!("rejected: {}", error_message(&e)))
}

/// A JS function from a Rust closure returning a value (a promise, say).
pub fn function(f: impl FnMut() -> JsValue + 'static) -> Function {
    Closure::<dyn FnMut() -> JsValue>::new(f)
        .into_js_value()
        .unchecked_into()
}
