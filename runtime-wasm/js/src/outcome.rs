//! Delivery outcomes as JS objects: `Delivered`, or `DeliveryFailure` with the send's logs
//! handed back (see the TypeScript types in `types.rs`).

use js_sys::{Array, Object};
use sls_producer_core::{Attempt, DeliveryFailure, DeliveryResult, Log, Route};
use wasm_bindgen::JsValue;

use crate::js::set;

/// The field that carries a handed-back log's time, as `send` reads it.
const TIME_FIELD: &str = "__time__";

/// `Delivered` or `DeliveryFailure` for a send of `log_count` logs to `route`.
pub(crate) fn outcome_object(result: &DeliveryResult, route: &Route, log_count: usize) -> JsValue {
    let o = Object::new();
    set(&o, "delivered", result.is_success());
    let target = Object::new();
    set(&target, "project", route.project());
    set(&target, "logstore", route.logstore());
    set(&target, "topic", route.topic());
    set(&target, "source", route.source());
    set(&o, "target", target);
    set(&o, "logCount", log_count as f64);
    set(&o, "attemptCount", f64::from(result.attempt_count));
    let attempts = Array::new();
    for attempt in result.attempts.iter() {
        attempts.push(&attempt_object(attempt));
    }
    set(&o, "attempts", attempts);
    if let Some(failure) = &result.failure {
        let (reason, message) = reason(failure);
        set(&o, "reason", reason);
        set(&o, "message", message);
        let logs = Array::new();
        for log in result.logs().iter() {
            logs.push(&log_object(log));
        }
        set(&o, "logs", logs);
        if let Some(status) = result.http_status() {
            set(&o, "httpStatus", f64::from(status));
        }
        if let Some(code) = result.error_code() {
            set(&o, "errorCode", code);
        }
        if let Some(message) = result.error_message() {
            set(&o, "errorMessage", message);
        }
        if let Some(id) = result.request_id() {
            set(&o, "requestId", id);
        }
    }
    o.into()
}

/// The `FailureReason` of `failure`, and the reason in words.
fn reason(failure: &DeliveryFailure) -> (&'static str, &'static str) {
    match failure {
        DeliveryFailure::NotRetryable { .. } => (
            "NotRetryable",
            "the server rejected the logs with a status that is not retried",
        ),
        DeliveryFailure::Unrecoverable => (
            "Unrecoverable",
            "the request could not be made (e.g. it could not be signed); retrying cannot help",
        ),
        DeliveryFailure::RetriesExhausted => ("RetriesExhausted", "every allowed attempt failed"),
        DeliveryFailure::DeliveryTimeout => (
            "DeliveryTimeout",
            "not delivered within the delivery timeout",
        ),
        DeliveryFailure::Closed { .. } => (
            "Closed",
            "the producer closed before the logs could be delivered",
        ),
        // `Abandoned`, and any reason added later.
        _ => (
            "Abandoned",
            "the producer stopped before the logs had an outcome",
        ),
    }
}

fn attempt_object(attempt: &Attempt) -> JsValue {
    let o = Object::new();
    set(&o, "ok", attempt.success);
    if let Some(status) = attempt.http_status {
        set(&o, "httpStatus", f64::from(status));
    }
    if let Some(code) = &attempt.error_code {
        set(&o, "errorCode", code.as_str());
    }
    if let Some(message) = &attempt.error_message {
        set(&o, "errorMessage", message.as_str());
    }
    if let Some(id) = &attempt.request_id {
        set(&o, "requestId", id.as_str());
    }
    set(&o, "at", attempt.timestamp.as_millis() as f64);
    set(&o, "durationMs", attempt.duration.as_secs_f64() * 1000.0);
    o.into()
}

/// A handed-back log: `__time__` (Unix seconds) and its fields, ready for `send` again.
fn log_object(log: &Log) -> JsValue {
    let o = Object::new();
    set(&o, TIME_FIELD, f64::from(log.time()));
    for (key, value) in log.contents() {
        set(&o, key, value);
    }
    o.into()
}
