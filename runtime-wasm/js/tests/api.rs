//! The JS API (`Producer`) against the local SLS server, in every JS environment:
//! `run-wasm-tests.sh` runs this file in Node, in a headless Chromium page and in a
//! dedicated worker (cross-origin to the server: CORS, preflights, `x-forwarded-host`).
#![cfg(wasm_browser)]

mod support;

use core::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Object, Promise};
use sls_producer_js::{JsProducer, SendTargetObject};
use support::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

fn stat(producer: &JsProducer, key: &str) -> u64 {
    field(&producer.stats().into(), key).as_f64().unwrap() as u64
}

#[wasm_bindgen_test]
async fn web_tracking_sends_logs_anonymously_with_fields_as_text() {
    let logstore = unique_logstore("track");
    let opts = tracking_options(&logstore);
    set(&opts, "topic", "clicks");
    let tags = Object::new();
    set(&tags, "app", "demo");
    set(&opts, "tags", tags);
    let producer = producer(&opts);

    let nested = Object::new();
    set(&nested, "x", 1);
    producer
        .send(
            log(&[
                ("event", "click".into()),
                ("n", 42.into()),
                ("ok", true.into()),
                ("nested", nested.into()),
                ("list", Array::of2(&"a".into(), &2.into()).into()),
                ("skipped", JsValue::UNDEFINED),
                ("nothing", JsValue::NULL),
            ]),
            None,
        )
        .unwrap();
    producer
        .send_list(
            Array::of2(&text_log("a").into(), &text_log("b").into()).into(),
            None,
        )
        .unwrap();
    resolve(producer.flush()).await;

    let groups = log_groups(&logstore).await;
    assert_eq!(groups.len(), 1, "one batch");
    let group = &groups[0];
    assert_eq!(field(group, "ingest").as_string().unwrap(), "track-post");
    assert_eq!(field(group, "auth").as_string().unwrap(), "anonymous");
    assert_eq!(field(group, "topic").as_string().unwrap(), "clicks");
    let tags = js_sys::JSON::stringify(&field(group, "tags")).unwrap();
    assert!(String::from(tags).contains(r#"["app","demo"]"#));
    // Web tracking sends JSON objects, whose field order the server does not keep.
    let mut logs = stored_logs(&logstore).await;
    logs.iter_mut().for_each(|fields| fields.sort());
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> =
            v.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        v.sort();
        v
    };
    assert_eq!(
        logs,
        [
            pairs(&[
                ("event", "click"),
                ("n", "42"),
                ("ok", "true"),
                ("nested", r#"{"x":1}"#),
                ("list", r#"["a",2]"#),
                ("nothing", "null"),
            ]),
            pairs(&[("event", "a")]),
            pairs(&[("event", "b")]),
        ]
    );
    assert_eq!(stat(&producer, "deliveredLogs"), 3);
}

#[wasm_bindgen_test]
async fn batches_are_sealed_by_count_and_the_rest_by_flush() {
    let logstore = unique_logstore("batch");
    let opts = static_key_options(&logstore);
    set(&opts, "maxBatchCount", 2);
    set(&opts, "lingerMs", 600_000);
    let producer = producer(&opts);
    for i in 0..5 {
        producer.send(text_log(&i.to_string()), None).unwrap();
    }
    // Two full batches go at once; the fifth log waits for linger (10 minutes) or a flush.
    assert_eq!(wait_for_logs(&logstore, 4).await, 4);
    assert_eq!(stat(&producer, "deliveredLogs"), 4);
    resolve(producer.flush()).await;

    let sizes: Vec<u32> = log_groups(&logstore)
        .await
        .iter()
        .map(|g| field(g, "logs").unchecked_into::<Array>().length())
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
    // The two full batches travel concurrently and may arrive in either order.
    let mut events: Vec<String> = stored_logs(&logstore)
        .await
        .into_iter()
        .map(|fields| fields[0].1.clone())
        .collect();
    events.sort();
    assert_eq!(events, ["0", "1", "2", "3", "4"]);
    let group = &log_groups(&logstore).await[0];
    assert_eq!(field(group, "ingest").as_string().unwrap(), "putlogs");
    assert_eq!(field(group, "compression").as_string().unwrap(), "lz4");
    assert_eq!(field(group, "auth").as_string().unwrap(), "v1");
    assert_eq!(stat(&producer, "batches"), 3);
}

#[wasm_bindgen_test]
async fn injected_server_errors_are_retried_until_delivered() {
    let logstore = unique_logstore("retry");
    let opts = tracking_options(&logstore);
    set(&opts, "baseRetryBackoffMs", 1);
    set(&opts, "maxRetryBackoffMs", 10);
    let producer = producer(&opts);
    clear_faults().await;
    let busy = error_count("ServerBusy").await;
    let internal = error_count("InternalServerError").await;
    set_faults(r#"{"script":[503, 500]}"#).await;

    producer.send(text_log("survives"), None).unwrap();
    resolve(producer.flush()).await;
    clear_faults().await;

    assert_eq!(stored_logs(&logstore).await.len(), 1, "stored exactly once");
    assert_eq!(stat(&producer, "deliveredLogs"), 1);
    assert_eq!(stat(&producer, "retries"), 2);
    assert_eq!(stat(&producer, "requests"), 3);
    assert_eq!(error_count("ServerBusy").await, busy + 1);
    assert_eq!(error_count("InternalServerError").await, internal + 1);
}

#[wasm_bindgen_test]
async fn failures_go_to_on_error_with_the_last_attempt() {
    let logstore = unique_logstore("fail");
    let opts = tracking_options(&logstore);
    set(&opts, "maxRetries", 0);
    let failures = Rc::new(RefCell::new(Vec::<JsValue>::new()));
    let seen = Rc::clone(&failures);
    let on_error = Closure::<dyn FnMut(JsValue)>::new(move |f| seen.borrow_mut().push(f));
    set(&opts, "onError", on_error.into_js_value());
    let producer = producer(&opts);
    clear_faults().await;
    set_faults(r#"{"script":[503]}"#).await;
    producer
        .send_list(
            Array::of2(&text_log("a").into(), &text_log("b").into()).into(),
            None,
        )
        .unwrap();
    resolve(producer.flush()).await;
    clear_faults().await;

    let failures = failures.borrow().clone();
    assert_eq!(failures.len(), 1);
    let f = &failures[0];
    assert_eq!(field(f, "reason").as_string().unwrap(), "RetriesExhausted");
    assert_eq!(field(f, "logCount").as_f64(), Some(2.0));
    assert_eq!(field(f, "delivered").as_bool(), Some(false));
    assert_eq!(field(f, "attemptCount").as_f64(), Some(1.0));
    let attempts: Array = field(f, "attempts").unchecked_into();
    assert_eq!(attempts.length(), 1);
    assert_eq!(field(&attempts.get(0), "ok").as_bool(), Some(false));
    assert_eq!(field(&attempts.get(0), "httpStatus").as_f64(), Some(503.0));
    // The logs come back, ready to be sent again.
    let logs: Array = field(f, "logs").unchecked_into();
    let events: Vec<String> = logs
        .iter()
        .map(|l| field(&l, "event").as_string().unwrap())
        .collect();
    assert_eq!(events, ["a", "b"]);
    assert!(field(&logs.get(0), "__time__").as_f64().unwrap() > 1.7e9);
    assert_eq!(
        field(&field(f, "target"), "logstore").as_string().unwrap(),
        logstore
    );
    assert_eq!(field(f, "httpStatus").as_f64(), Some(503.0));
    assert_eq!(field(f, "errorCode").as_string().unwrap(), "ServerBusy");
    assert_eq!(field(f, "requestId").as_string().unwrap().len(), 24);
    assert_eq!(stat(&producer, "failedLogs"), 2);
    assert_eq!(log_count(&logstore).await, 0);
}

#[wasm_bindgen_test]
async fn flush_resolves_only_after_delivery() {
    let logstore = unique_logstore("flush");
    let opts = tracking_options(&logstore);
    set(&opts, "lingerMs", 600_000);
    let producer = producer(&opts);
    producer.send(text_log("one"), None).unwrap();
    clear_faults().await;
    // 200 ms server latency: a flush that did not wait would resolve before the store.
    set_faults(r#"{"latency_ms":200}"#).await;
    resolve(producer.flush()).await;
    clear_faults().await;
    assert_eq!(
        log_count(&logstore).await,
        1,
        "no polling: stored before flush resolved"
    );

    // A flush with nothing buffered resolves too.
    resolve(producer.flush()).await;
}

#[wasm_bindgen_test]
async fn close_delivers_everything_then_refuses_sends() {
    let logstore = unique_logstore("close");
    let opts = tracking_options(&logstore);
    set(&opts, "lingerMs", 600_000);
    let mut producer = producer(&opts);
    for i in 0..3 {
        producer.send(text_log(&i.to_string()), None).unwrap();
    }
    assert!(!producer.is_closed());
    let report = resolve(producer.close(None)).await;
    assert_eq!(field(&report, "acceptedLogs").as_f64(), Some(3.0));
    assert_eq!(field(&report, "deliveredLogs").as_f64(), Some(3.0));
    assert_eq!(field(&report, "failedLogs").as_f64(), Some(0.0));
    assert_eq!(field(&report, "handedBackLogs").as_f64(), Some(0.0));
    assert_eq!(log_count(&logstore).await, 3);
    assert!(producer.is_closed());

    let refused = producer.send(text_log("late"), None).unwrap_err();
    assert_eq!(error_code(&refused), "Closed");
    // Closing again resolves with the same report.
    let again = resolve(producer.close(Some(10.0))).await;
    assert_eq!(field(&again, "deliveredLogs").as_f64(), Some(3.0));
}

#[wasm_bindgen_test]
async fn close_with_a_timeout_fails_what_cannot_be_delivered() {
    let logstore = unique_logstore("close-timeout");
    let opts = tracking_options(&logstore);
    set(&opts, "baseRetryBackoffMs", 60_000);
    set(&opts, "maxRetryBackoffMs", 60_000);
    let mut producer = producer(&opts);
    clear_faults().await;
    set_faults(r#"{"script":[503]}"#).await;
    producer.send(text_log("stuck"), None).unwrap();
    // The first attempt fails; the retry would come in a minute; close gives 100 ms.
    while stat(&producer, "retries") == 0 {
        sleep_ms(10).await;
    }
    let report = resolve(producer.close(Some(100.0))).await;
    clear_faults().await;
    assert_eq!(field(&report, "failedLogs").as_f64(), Some(1.0));
    assert_eq!(field(&report, "closedLogs").as_f64(), Some(1.0));
    // A `send` without `onError`: nothing was handed back.
    assert_eq!(field(&report, "handedBackLogs").as_f64(), Some(0.0));
    assert_eq!(field(&report, "deliveredLogs").as_f64(), Some(0.0));
}

#[wasm_bindgen_test]
async fn sts_credentials_come_from_the_callback_and_are_refreshed_after_a_401() {
    let logstore = unique_logstore("sts");
    let opts = options(&logstore);
    let calls = Rc::new(Cell::new(0_u32));
    let counter = Rc::clone(&calls);
    set(
        &opts,
        "credentials",
        function(move || {
            counter.set(counter.get() + 1);
            // First the credentials the server says are expired, then valid ones; both
            // claim a far expiry, so only the server's 401 can trigger the second call.
            let (id, secret, token) = if counter.get() == 1 { STS_OLD } else { STS_NEW };
            let c = Object::new();
            set(&c, "accessKeyId", id);
            set(&c, "accessKeySecret", secret);
            set(&c, "securityToken", token);
            set(&c, "expiration", "2100-01-01T00:00:00Z");
            Promise::resolve(&c).into()
        }),
    );
    let expired = error_count("SecurityTokenExpired").await;
    let producer = producer(&opts);
    producer.send(text_log("signed"), None).unwrap();
    resolve(producer.flush()).await;

    assert_eq!(calls.get(), 2);
    assert_eq!(error_count("SecurityTokenExpired").await, expired + 1);
    let group = &log_groups(&logstore).await[0];
    assert_eq!(field(group, "accessKeyId").as_string().unwrap(), STS_NEW.0);
    assert_eq!(field(group, "auth").as_string().unwrap(), "v1");
    assert_eq!(stat(&producer, "deliveredLogs"), 1);
}

#[wasm_bindgen_test]
async fn sts_credentials_are_refreshed_before_they_expire() {
    let logstore = unique_logstore("sts-refresh");
    let opts = options(&logstore);
    let calls = Rc::new(Cell::new(0_u32));
    let counter = Rc::clone(&calls);
    set(
        &opts,
        "credentials",
        function(move || {
            counter.set(counter.get() + 1);
            let c = Object::new();
            // STS's capitalised names; expiring in 3 s, so refreshed after about 1.5 s.
            set(&c, "AccessKeyId", STS_NEW.0);
            set(&c, "AccessKeySecret", STS_NEW.1);
            set(&c, "SecurityToken", STS_NEW.2);
            set(&c, "Expiration", js_sys::Date::now() + 3_000.0);
            Promise::resolve(&c).into()
        }),
    );
    let producer = producer(&opts);
    producer.send(text_log("before"), None).unwrap();
    resolve(producer.flush()).await;
    assert_eq!(calls.get(), 1);
    for _ in 0..200 {
        if calls.get() >= 2 {
            break;
        }
        sleep_ms(50).await;
    }
    assert!(calls.get() >= 2, "no refresh before expiry");
    producer.send(text_log("after"), None).unwrap();
    resolve(producer.flush()).await;
    assert_eq!(log_count(&logstore).await, 2);
}

#[wasm_bindgen_test]
async fn a_failing_credentials_callback_holds_logs_until_it_recovers() {
    let logstore = unique_logstore("sts-fail");
    let opts = options(&logstore);
    set(&opts, "baseRetryBackoffMs", 1);
    let calls = Rc::new(Cell::new(0_u32));
    let counter = Rc::clone(&calls);
    set(
        &opts,
        "credentials",
        function(move || {
            counter.set(counter.get() + 1);
            if counter.get() == 1 {
                return Promise::reject(&js_sys::Error::new("backend down").into()).into();
            }
            let c = Object::new();
            set(&c, "accessKeyId", STS_NEW.0);
            set(&c, "accessKeySecret", STS_NEW.1);
            set(&c, "securityToken", STS_NEW.2);
            Promise::resolve(&c).into()
        }),
    );
    let producer = producer(&opts);
    producer.send(text_log("patient"), None).unwrap();
    resolve(producer.flush()).await;
    assert!(calls.get() >= 2);
    assert_eq!(log_count(&logstore).await, 1);
}

#[wasm_bindgen_test]
async fn a_static_access_key_is_refused_unless_allowed() {
    let logstore = unique_logstore("static");
    let opts = options(&logstore);
    set(&opts, "accessKeyId", AK_ID);
    set(&opts, "accessKeySecret", AK_SECRET);
    let refused = JsProducer::new(opts.clone().unchecked_into()).unwrap_err();
    assert_eq!(error_code(&refused), "StaticAccessKeyRefused");
    let why = error_message(&refused);
    for hint in [
        "anyone",
        "webTracking",
        "credentials",
        "allowStaticAccessKey",
    ] {
        assert!(why.contains(hint), "{why}");
    }

    set(&opts, "allowStaticAccessKey", true);
    let producer = producer(&opts);
    producer.send(text_log("allowed"), None).unwrap();
    resolve(producer.flush()).await;
    let group = &log_groups(&logstore).await[0];
    assert_eq!(field(group, "accessKeyId").as_string().unwrap(), AK_ID);
}

#[wasm_bindgen_test]
async fn signature_v4_and_uncompressed_bodies_pass_the_server_checks() {
    let logstore = unique_logstore("v4");
    let opts = static_key_options(&logstore);
    set(&opts, "signatureVersion", "v4");
    set(&opts, "region", "cn-test");
    set(&opts, "compression", "none");
    let producer = producer(&opts);
    producer.send(text_log("v4"), None).unwrap();
    resolve(producer.flush()).await;
    let group = &log_groups(&logstore).await[0];
    assert_eq!(field(group, "auth").as_string().unwrap(), "v4");
    assert_eq!(field(group, "compression").as_string().unwrap(), "none");
}

#[wasm_bindgen_test]
fn bad_options_and_logs_are_refused_with_codes() {
    let code =
        |opts: &JsValue| error_code(&JsProducer::new(opts.clone().unchecked_into()).unwrap_err());
    assert_eq!(code(&JsValue::from_str("nope")), "InvalidOptions");
    let no_endpoint = tracking_options("ls");
    set(&no_endpoint, "endpoint", JsValue::UNDEFINED);
    assert_eq!(code(&no_endpoint), "InvalidOptions");
    assert_eq!(code(&options("ls")), "InvalidOptions", "no credentials");
    let both = tracking_options("ls");
    set(&both, "credentials", function(|| JsValue::NULL));
    assert_eq!(code(&both), "InvalidOptions");
    let bad_name = tracking_options("Bad_Name!");
    assert_eq!(code(&bad_name), "InvalidOptions");
    let bad_number = tracking_options("ls");
    set(&bad_number, "maxBatchCount", -1);
    assert_eq!(code(&bad_number), "InvalidOptions");
    let bad_compression = tracking_options("ls");
    set(&bad_compression, "compression", "zstd");
    assert_eq!(code(&bad_compression), "InvalidOptions");

    let opts = tracking_options("ls");
    set(&opts, "memoryBudgetBytes", 32 * 1024);
    let producer = producer(&opts);
    for not_a_log in [
        JsValue::from_str("text"),
        JsValue::NULL,
        Array::new().into(),
    ] {
        let e = producer.send(not_a_log.unchecked_into(), None).unwrap_err();
        assert_eq!(error_code(&e), "InvalidLog");
    }
    let e = producer
        .send_list(JsValue::from_str("x"), None)
        .unwrap_err();
    assert_eq!(error_code(&e), "InvalidLog");
    let huge = "x".repeat(40 * 1024);
    let e = producer.send(text_log(&huge), None).unwrap_err();
    assert_eq!(error_code(&e), "TooLarge");
    assert_eq!(stat(&producer, "acceptedLogs"), 0);
}

/// A `SendTarget` object.
fn target(fields: &[(&str, &str)]) -> Option<SendTargetObject> {
    let o = Object::new();
    for (k, v) in fields {
        set(&o, k, *v);
    }
    Some(o.unchecked_into())
}

#[wasm_bindgen_test]
async fn one_producer_sends_to_many_logstores_topics_and_sources() {
    let (clicks, errors) = (unique_logstore("many-a"), unique_logstore("many-b"));
    // No default logstore: every send names one.
    let opts = tracking_options("unused");
    set(&opts, "logstore", JsValue::UNDEFINED);
    set(&opts, "topic", "default-topic");
    let mut producer = producer(&opts);

    let refused = producer.send(text_log("nowhere"), None).unwrap_err();
    assert_eq!(error_code(&refused), "InvalidTarget");
    let refused = producer
        .send(text_log("bad"), target(&[("logstore", "Bad Name!")]))
        .unwrap_err();
    assert_eq!(error_code(&refused), "InvalidTarget");

    producer
        .send(text_log("click"), target(&[("logstore", &clicks)]))
        .unwrap();
    producer
        .send_list(
            Array::of2(&text_log("e1").into(), &text_log("e2").into()).into(),
            target(&[("logstore", &errors), ("topic", "js"), ("source", "page-1")]),
        )
        .unwrap();
    let tracked = producer
        .send_tracked(
            text_log("e3").into(),
            target(&[("logstore", &errors), ("topic", "js"), ("source", "page-1")]),
        )
        .unwrap();
    let outcome = resolve(tracked).await;
    assert_eq!(field(&outcome, "delivered").as_bool(), Some(true));
    // The clicks batch is another request, in flight beside the errors batch: it may land
    // after the tracked send resolves.
    resolve(producer.flush()).await;

    let group = &log_groups(&clicks).await[0];
    assert_eq!(field(group, "topic").as_string().unwrap(), "default-topic");
    let groups = log_groups(&errors).await;
    assert_eq!(groups.len(), 1, "the same target shares one batch");
    assert_eq!(field(&groups[0], "topic").as_string().unwrap(), "js");
    assert_eq!(field(&groups[0], "source").as_string().unwrap(), "page-1");
    assert_eq!(log_count(&errors).await, 3);
    let report = resolve(producer.close(None)).await;
    assert_eq!(field(&report, "acceptedLogs").as_f64(), Some(4.0));
    assert_eq!(field(&report, "deliveredLogs").as_f64(), Some(4.0));
}

#[wasm_bindgen_test]
async fn send_tracked_resolves_with_the_outcome_and_hands_failed_logs_back() {
    let logstore = unique_logstore("tracked");
    let opts = static_key_options(&logstore);
    set(&opts, "maxRetries", 0);
    let mut producer = producer(&opts);

    let delivered = resolve(
        producer
            .send_tracked(
                Array::of2(&text_log("a").into(), &text_log("b").into()).into(),
                None,
            )
            .unwrap(),
    )
    .await;
    assert_eq!(field(&delivered, "delivered").as_bool(), Some(true));
    assert_eq!(field(&delivered, "logCount").as_f64(), Some(2.0));
    assert_eq!(field(&delivered, "attemptCount").as_f64(), Some(1.0));
    let attempt = field(&delivered, "attempts")
        .unchecked_into::<Array>()
        .get(0);
    assert_eq!(field(&attempt, "ok").as_bool(), Some(true));
    assert_eq!(field(&attempt, "httpStatus").as_f64(), Some(200.0));
    assert_eq!(field(&attempt, "requestId").as_string().unwrap().len(), 24);
    let target = field(&delivered, "target");
    assert_eq!(field(&target, "project").as_string().unwrap(), PROJECT);
    assert_eq!(field(&target, "logstore").as_string().unwrap(), logstore);
    assert!(field(&delivered, "logs").is_undefined());

    clear_faults().await;
    set_faults(r#"{"script":[503]}"#).await;
    let failed = resolve(
        producer
            .send_tracked(
                log(&[("event", "lost".into()), ("n", 7.into())]).into(),
                None,
            )
            .unwrap(),
    )
    .await;
    clear_faults().await;
    assert_eq!(field(&failed, "delivered").as_bool(), Some(false));
    assert_eq!(
        field(&failed, "reason").as_string().unwrap(),
        "RetriesExhausted"
    );
    assert_eq!(field(&failed, "httpStatus").as_f64(), Some(503.0));
    let logs: Array = field(&failed, "logs").unchecked_into();
    assert_eq!(logs.length(), 1);
    let back = logs.get(0);
    assert_eq!(field(&back, "event").as_string().unwrap(), "lost");
    assert_eq!(field(&back, "n").as_string().unwrap(), "7");

    // A handed-back log can be sent again as it is, time included.
    let resent = resolve(producer.send_tracked(back.clone(), None).unwrap()).await;
    assert_eq!(field(&resent, "delivered").as_bool(), Some(true));
    let stored = log_groups(&logstore).await;
    let last = field(&stored[stored.len() - 1], "logs")
        .unchecked_into::<Array>()
        .get(0);
    assert_eq!(
        field(&last, "time").as_f64(),
        field(&back, "__time__").as_f64()
    );

    let report = resolve(producer.close(None)).await;
    assert_eq!(field(&report, "acceptedLogs").as_f64(), Some(4.0));
    assert_eq!(field(&report, "deliveredLogs").as_f64(), Some(3.0));
    assert_eq!(field(&report, "failedLogs").as_f64(), Some(1.0));
    assert_eq!(field(&report, "handedBackLogs").as_f64(), Some(1.0));
    assert_eq!(field(&report, "closedLogs").as_f64(), Some(0.0));
}
