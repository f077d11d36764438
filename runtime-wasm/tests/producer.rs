//! A producer built with `ProducerBuilderExt::build` on `WasmRuntime`, against the local SLS
//! server (`sls-local`), in every JS environment: the user's path through this crate.
//!
//! The server's URL comes from `SLS_LOCAL_URL` at compile time (`run-wasm-tests.sh` starts
//! `sls-local --port 0 --auto-create --access-key testAccessKeyId:testAccessKeySecret …`
//! and exports it). Every test writes to its own logstore.
#![cfg(wasm_browser)]

use core::time::Duration;

use js_sys::{Array, JSON, Promise, Reflect};
use sls_producer_core::config::DateHeader;
use sls_producer_core::rt::HttpTransport;
use sls_producer_core::rt::{Bytes, HttpRequest, Method, Scheme};
use sls_producer_wasm::{
    BuildError, ConfigError, Credentials, FetchTransport, JsCredentialsProvider, Log, Producer,
    ProducerBuilderExt as _, ProducerConfig, Route, WasmRuntime,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

const SLS: &str = match option_env!("SLS_LOCAL_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:18572",
};
const PROJECT: &str = "wasm-runtime-tests";

fn unique_logstore(label: &str) -> String {
    format!("{label}-{}", (js_sys::Math::random() * 1e12) as u64)
}

fn field(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The log groups the server stored for `logstore`, in arrival order.
async fn log_groups(logstore: &str) -> Vec<JsValue> {
    let authority = SLS.strip_prefix("http://").unwrap_or(SLS);
    let request = HttpRequest {
        method: Method::Get,
        scheme: Scheme::Http,
        authority: authority.into(),
        path_and_query: format!("/_sls_local/logs?project={PROJECT}&logstore={logstore}"),
        headers: Vec::new(),
        body: Bytes::new(),
    };
    let response = FetchTransport::new()
        .send(request)
        .await
        .unwrap_or_else(|e| panic!("is sls-local running at {SLS}? {e}"));
    assert_eq!(response.status, 200);
    let doc = JSON::parse(core::str::from_utf8(&response.body).unwrap()).unwrap();
    field(&doc, "logGroups")
        .unchecked_into::<Array>()
        .iter()
        .collect()
}

fn config() -> ProducerConfig {
    ProducerConfig::new(SLS)
}

fn credentials() -> Credentials {
    Credentials::new("testAccessKeyId", "testAccessKeySecret")
}

#[wasm_bindgen_test]
async fn build_signs_with_x_log_date_and_delivers_a_tracked_send() {
    let logstore = unique_logstore("build");
    let producer = Producer::builder(config())
        .with_credentials(credentials())
        .build()
        .expect("a valid configuration builds");
    let route = Route::new(PROJECT, &logstore).unwrap().with_topic("wasm");

    let log = Log::from_unix_time(producer.unix_time()).with_content("event", "tracked");
    let handle = producer.send_tracked(&route, log).unwrap();
    producer
        .send(
            &route,
            Log::from_unix_time(producer.unix_time()).with_content("event", "untracked"),
        )
        .unwrap();
    assert_eq!(producer.metrics().pending_logs(), 2);
    drop(producer.flush());
    let result = handle.await;
    assert!(result.is_success(), "{:?}", result.failure);

    let metrics = producer.close(Some(Duration::from_secs(5))).await;
    assert_eq!(metrics.delivered_logs, 2);
    assert_eq!(metrics.pending_logs(), 0);
    assert!(producer.is_closed());

    // The server verified the v1 signature, whose date can only have come from x-log-date.
    let groups = log_groups(&logstore).await;
    assert_eq!(groups.len(), 1);
    assert_eq!(field(&groups[0], "auth").as_string().unwrap(), "v1");
    assert_eq!(field(&groups[0], "topic").as_string().unwrap(), "wasm");
    let logs = field(&groups[0], "logs").unchecked_into::<Array>();
    assert_eq!(logs.length(), 2);
}

#[wasm_bindgen_test]
async fn send_async_and_callbacks_on_an_explicit_runtime() {
    let logstore = unique_logstore("async");
    let producer = Producer::builder(config().with_linger(Duration::from_millis(10)))
        .with_credentials(credentials())
        .build_on(WasmRuntime::new())
        .unwrap();
    let route = Route::new(PROJECT, &logstore).unwrap();

    let logs = vec![Log::from_unix_time(producer.unix_time()).with_content("n", "1")];
    let ticket = producer.send_async(&route, logs.clone()).await.unwrap();
    let handle = producer.send_async(&route, logs).tracked().await.unwrap();
    assert_ne!(handle.ticket(), ticket);
    let (tx, rx) = futures_channel::oneshot::channel();
    handle.on_complete(move |result| {
        let _ = tx.send(result.is_success());
    });
    assert_eq!(rx.await, Ok(true), "the callback ran with a delivery");
    let metrics = producer.close(None).await;
    assert_eq!(metrics.delivered_logs, 2);
}

#[wasm_bindgen_test]
async fn a_js_credentials_provider_signs_with_sts() {
    let logstore = unique_logstore("sts");
    let fetch_credentials = Closure::<dyn FnMut() -> JsValue>::new(|| {
        let credentials = js_sys::Object::new();
        for (key, value) in [
            ("accessKeyId", "STS.new"),
            ("accessKeySecret", "newSecret"),
            ("securityToken", "newToken"),
        ] {
            Reflect::set(&credentials, &key.into(), &value.into()).unwrap();
        }
        Promise::resolve(&credentials).into()
    });
    let provider = JsCredentialsProvider::new(fetch_credentials.into_js_value().unchecked_into());
    let producer = Producer::builder(config())
        .with_credentials_provider(provider)
        .build()
        .unwrap();
    let route = Route::new(PROJECT, &logstore).unwrap();
    let handle = producer
        .send_tracked(
            &route,
            Log::from_unix_time(producer.unix_time()).with_content("a", "b"),
        )
        .unwrap();
    drop(producer.flush());
    let result = handle.await;
    assert!(result.is_success(), "{:?}", result.failure);
    let groups = log_groups(&logstore).await;
    assert_eq!(
        field(&groups[0], "accessKeyId").as_string().unwrap(),
        "STS.new"
    );
}

#[wasm_bindgen_test]
fn an_explicit_date_header_is_refused_on_fetch() {
    let err = Producer::builder(config().with_date_header(DateHeader::Date))
        .with_credentials(credentials())
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            BuildError::Config(ConfigError::Unsupported {
                field: "date_header",
                ..
            })
        ),
        "{err:?}"
    );
    let missing = Producer::builder(config()).build().unwrap_err();
    assert!(
        matches!(missing, BuildError::MissingCredentials),
        "{missing:?}"
    );
}
