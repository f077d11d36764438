//! Page life in a headless Chromium page: what is buffered is sent, with `keepalive`, when
//! the page is hidden (`pagehide`, `visibilitychange`).
#![cfg(wasm_browser)]

mod support;

use js_sys::{Object, Reflect};
use support::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn stat(producer: &sls_producer_js::JsProducer, key: &str) -> f64 {
    field(&producer.stats().into(), key).as_f64().unwrap()
}

fn global() -> JsValue {
    js_sys::global().into()
}

fn document() -> JsValue {
    field(&global(), "document")
}

/// Dispatch a plain event named `name` on `target`.
fn dispatch(target: &JsValue, name: &str) {
    let event = Reflect::construct(
        field(&global(), "Event").unchecked_ref::<js_sys::Function>(),
        &js_sys::Array::of1(&name.into()),
    )
    .unwrap();
    let dispatch: js_sys::Function = field(target, "dispatchEvent").unchecked_into();
    dispatch.call1(target, &event).unwrap();
}

/// Make `document.visibilityState` read `state` (an own property shadowing the
/// prototype's getter), or restore the real one with `None`.
fn fake_visibility(state: Option<&str>) {
    let doc: Object = document().unchecked_into();
    match state {
        Some(state) => {
            let descriptor = Object::new();
            set(&descriptor, "value", state);
            set(&descriptor, "configurable", true);
            Object::define_property(&doc, &"visibilityState".into(), &descriptor);
        }
        None => {
            Reflect::delete_property(&doc, &"visibilityState".into()).unwrap();
        }
    }
}

#[wasm_bindgen_test]
async fn pagehide_sends_buffered_logs_with_keepalive() {
    let logstore = unique_logstore("pagehide");
    let opts = tracking_options(&logstore);
    set(&opts, "lingerMs", 600_000);
    let producer = producer(&opts);
    producer.send(text_log("one"), None).unwrap();
    producer.send(text_log("two"), None).unwrap();
    assert!(stat(&producer, "bufferedBytes") > 0.0);
    sleep_ms(50).await;
    assert_eq!(
        log_count(&logstore).await,
        0,
        "held by the 10-minute linger"
    );

    dispatch(&global(), "pagehide");
    assert_eq!(wait_for_logs(&logstore, 2).await, 2);
    assert_eq!(stat(&producer, "keepaliveRequests"), 1.0);

    // Back on the page (bfcache restore): ordinary requests again.
    dispatch(&global(), "pageshow");
    producer.send(text_log("three"), None).unwrap();
    resolve(producer.flush()).await;
    assert_eq!(stat(&producer, "keepaliveRequests"), 1.0);
    assert_eq!(log_count(&logstore).await, 3);
}

#[wasm_bindgen_test]
async fn hidden_visibility_sends_buffered_logs_and_visible_restores() {
    let logstore = unique_logstore("hidden");
    let opts = static_key_options(&logstore);
    set(&opts, "lingerMs", 600_000);
    let producer = producer(&opts);
    producer.send(text_log("tab switched"), None).unwrap();

    fake_visibility(Some("hidden"));
    dispatch(&document(), "visibilitychange");
    let arrived = wait_for_logs(&logstore, 1).await;
    fake_visibility(Some("visible"));
    dispatch(&document(), "visibilitychange");
    fake_visibility(None);
    assert_eq!(arrived, 1);
    assert_eq!(stat(&producer, "keepaliveRequests"), 1.0);

    producer.send(text_log("back"), None).unwrap();
    resolve(producer.flush()).await;
    assert_eq!(
        stat(&producer, "keepaliveRequests"),
        1.0,
        "visible: no keepalive"
    );
}

#[wasm_bindgen_test]
async fn only_what_fits_the_keepalive_quota_goes_with_keepalive() {
    let logstore = unique_logstore("quota");
    let opts = tracking_options(&logstore);
    set(&opts, "lingerMs", 600_000);
    set(&opts, "maxBatchBytes", 30 * 1024);
    set(&opts, "maxInFlight", 8);
    let producer = producer(&opts);
    // Hidden first, then four ~25 KiB logs: each fills a batch, and the sealed ones go at
    // once. 200 ms of server latency keeps them in flight together, so at most two fit
    // the 64 KiB quota; the others must go as ordinary requests.
    dispatch(&global(), "pagehide");
    clear_faults().await;
    set_faults(r#"{"latency_ms":200}"#).await;
    let big = "y".repeat(25 * 1024);
    for _ in 0..4 {
        producer.send(text_log(&big), None).unwrap();
    }
    resolve(producer.flush()).await;
    clear_faults().await;
    dispatch(&global(), "pageshow");
    assert_eq!(log_count(&logstore).await, 4, "every batch is delivered");
    let keepalive = stat(&producer, "keepaliveRequests");
    assert!((1.0..=2.0).contains(&keepalive), "{keepalive}");
    assert_eq!(stat(&producer, "requests"), 4.0);
}

#[wasm_bindgen_test]
async fn without_flush_on_page_hide_nothing_is_sent_early() {
    let logstore = unique_logstore("no-pagehide");
    let opts = tracking_options(&logstore);
    set(&opts, "lingerMs", 600_000);
    set(&opts, "flushOnPageHide", false);
    let producer = producer(&opts);
    producer.send(text_log("held"), None).unwrap();
    dispatch(&global(), "pagehide");
    sleep_ms(300).await;
    assert_eq!(log_count(&logstore).await, 0);
    assert_eq!(stat(&producer, "keepaliveRequests"), 0.0);
    dispatch(&global(), "pageshow");
    resolve(producer.flush()).await;
    assert_eq!(log_count(&logstore).await, 1);
}
