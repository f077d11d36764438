//! The exported `Producer` class.

// The runtime's handles are deliberately not `Send` on wasm32-unknown-unknown (one thread,
// JS objects), yet the core shares them as `Arc<dyn _>`.
#![allow(clippy::arc_with_non_send_sync)]

use std::sync::Arc;

use js_sys::{Function, Object, Promise, Reflect};
use sls_producer_core::credentials::Credentials;
use sls_producer_core::engine::{DeliveryFailure, DeliveryResult, Route};
use sls_producer_core::producer::CredentialsSource;
use sls_producer_core::producer::{CloseReport, Producer};
use sls_producer_core::protocol::endpoint::Endpoint;
use sls_producer_core::rt::{Clock, HttpTransport};
use sls_producer_wasm::{
    FetchTransport, JsCredentialsProvider, PageLifeListener, PageLifeTransport, WasmTimer,
    WebTrackingTransport, flush_on_page_hide, spawn_producer,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::error::{Code, error, send_error};
use crate::log::{log_from_js, logs_from_js};
use crate::options::{Auth, Settings, settings};
use crate::types::{CloseReportObject, LogObject, ProducerOptions, StatsObject};

/// A producer: buffers logs, sends them in batches, retries, and reports failures.
///
/// ```js
/// const producer = new Producer({ endpoint, project, logstore, webTracking: true });
/// producer.send({ event: "click" });
/// await producer.close();
/// ```
#[wasm_bindgen(js_name = Producer)]
pub struct JsProducer {
    producer: Producer,
    route: Route,
    transport: PageLifeTransport,
    timer: WasmTimer,
    on_error: Option<Function>,
    /// Removed on close (it holds a producer handle).
    page_listener: Option<PageLifeListener>,
}

impl core::fmt::Debug for JsProducer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Producer")
            .field("route", &self.route)
            .field("producer", &self.producer)
            .finish_non_exhaustive()
    }
}

#[wasm_bindgen(js_class = Producer)]
impl JsProducer {
    /// Create a producer and start its background task.
    ///
    /// Throws an `SlsProducerError` with `code` `"InvalidOptions"` for a missing or
    /// malformed option, and `"StaticAccessKeyRefused"` for a static AccessKey without
    /// `allowStaticAccessKey: true`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: ProducerOptions) -> Result<Self, JsValue> {
        let Settings {
            config,
            route,
            auth,
            flush_on_page_hide: page_hide,
            on_error,
        } = settings(&options)?;
        let transport = PageLifeTransport::new(
            FetchTransport::new().with_request_timeout(config.request_timeout),
        );
        let page_transport: Arc<dyn HttpTransport> = Arc::new(transport.clone());
        let (wire, credentials): (Arc<dyn HttpTransport>, CredentialsSource) = match auth {
            Auth::WebTracking => {
                let endpoint = Endpoint::parse(&config.endpoint)
                    .map_err(|e| error(Code::InvalidOptions, &e.to_string()))?;
                (
                    Arc::new(WebTrackingTransport::new(page_transport, endpoint)),
                    // Never sent: the tracking transport drops every signature header.
                    CredentialsSource::Static(Credentials::new("anonymous", "")),
                )
            }
            Auth::Sts(callback) => (
                page_transport,
                CredentialsSource::Provider(Arc::new(JsCredentialsProvider::new(callback))),
            ),
            Auth::Static(credentials) => (page_transport, CredentialsSource::Static(credentials)),
        };
        let producer = spawn_producer(&config, wire, credentials)
            .map_err(|e| error(Code::InvalidOptions, &e.to_string()))?;
        let page_listener = if page_hide {
            flush_on_page_hide(&producer, &transport)
        } else {
            None
        };
        Ok(Self {
            producer,
            route,
            transport,
            timer: WasmTimer::new(),
            on_error,
            page_listener,
        })
    }

    /// Send one log (an object of fields). Returns at once; the log is delivered in the
    /// background. Throws an `SlsProducerError` (`code`: `"InvalidLog"`, `"Closed"`,
    /// `"BufferFull"`, `"TooLarge"`) if the log is refused.
    pub fn send(&self, log: LogObject) -> Result<(), JsValue> {
        let log = log_from_js(&log, self.timer.unix_time())?;
        self.push(log.into())
    }

    /// Send a list of logs as one send: accepted or refused as a whole.
    #[wasm_bindgen(js_name = sendList)]
    pub fn send_list(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LogFields[]")] logs: JsValue,
    ) -> Result<(), JsValue> {
        let logs = logs_from_js(&logs, self.timer.unix_time())?;
        self.push(logs.into())
    }

    /// Send every buffered log now; resolves once every log sent before the call has been
    /// delivered or has failed (failures go to `onError`).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn flush(&self) -> Promise {
        let flush = self.producer.flush();
        future_to_promise(async move {
            flush.await;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Stop accepting logs, send what is buffered and resolve once every log has its
    /// outcome. With `timeoutMs`, logs still undelivered by then fail as `"Closed"`.
    #[wasm_bindgen(unchecked_return_type = "Promise<CloseReport>")]
    pub fn close(
        &mut self,
        #[wasm_bindgen(js_name = timeoutMs)] timeout_ms: Option<f64>,
    ) -> Promise {
        self.page_listener = None;
        let timeout = timeout_ms
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map(|ms| core::time::Duration::from_millis(ms as u64));
        let close = self.producer.close(timeout);
        future_to_promise(async move {
            let report = close.await;
            Ok(close_report(&report).into())
        })
    }

    /// Counters since the producer was created.
    #[wasm_bindgen(unchecked_return_type = "ProducerStats")]
    pub fn stats(&self) -> StatsObject {
        let s = self.producer.stats();
        let o = Object::new();
        set(&o, "acceptedLogs", s.accepted_logs as f64);
        set(&o, "deliveredLogs", s.delivered_logs as f64);
        set(&o, "failedLogs", s.failed_logs as f64);
        set(&o, "batches", s.batches as f64);
        set(&o, "requests", s.requests as f64);
        set(&o, "retries", s.retries as f64);
        set(&o, "bufferedBytes", self.producer.buffered_bytes() as f64);
        set(
            &o,
            "keepaliveRequests",
            self.transport.keepalive_requests() as f64,
        );
        o.unchecked_into()
    }

    /// Whether `close()` was called.
    #[wasm_bindgen(getter, js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.producer.is_closed()
    }
}

impl JsProducer {
    fn push(&self, record: sls_producer_core::engine::Record) -> Result<(), JsValue> {
        let result = match &self.on_error {
            Some(on_error) => {
                let on_error = on_error.clone();
                self.producer
                    .send_with_callback(&self.route, record, move |result| {
                        if !result.is_success() {
                            let _ = on_error.call1(&JsValue::UNDEFINED, &failure_object(&result));
                        }
                    })
            }
            None => self.producer.send(&self.route, record),
        };
        result.map(drop).map_err(|e| send_error(&e))
    }
}

fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(o, &JsValue::from_str(key), &value.into());
}

fn close_report(report: &CloseReport) -> CloseReportObject {
    let o = Object::new();
    set(&o, "deliveredLogs", report.delivered_logs as f64);
    set(&o, "failedLogs", report.failed_logs as f64);
    o.unchecked_into()
}

/// The `DeliveryFailure` object given to `onError`.
fn failure_object(result: &DeliveryResult) -> JsValue {
    let o = Object::new();
    let (reason, message) = match result.failure {
        Some(DeliveryFailure::NotRetryable { .. }) => (
            "NotRetryable",
            "the server rejected the logs with a status that is not retried",
        ),
        Some(DeliveryFailure::RetriesExhausted) => {
            ("RetriesExhausted", "every allowed attempt failed")
        }
        Some(DeliveryFailure::DeliveryTimeout) => (
            "DeliveryTimeout",
            "not delivered within the delivery timeout",
        ),
        Some(DeliveryFailure::Closed { .. }) => (
            "Closed",
            "the producer closed before the logs could be delivered",
        ),
        _ => (
            "Abandoned",
            "the producer stopped before the logs had an outcome",
        ),
    };
    set(&o, "reason", reason);
    set(&o, "message", message);
    set(&o, "logCount", result.logs.len() as f64);
    set(&o, "attempts", f64::from(result.attempt_count));
    if let Some(last) = result.attempts.last() {
        if let Some(status) = last.http_status {
            set(&o, "httpStatus", f64::from(status));
        }
        if let Some(code) = &last.error_code {
            set(&o, "errorCode", code.as_str());
        }
        if let Some(message) = &last.error_message {
            set(&o, "errorMessage", message.as_str());
        }
        if let Some(id) = &last.request_id {
            set(&o, "requestId", id.as_str());
        }
    }
    o.into()
}
