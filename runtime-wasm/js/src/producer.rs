//! The exported `Producer` class.

use js_sys::{Function, Object, Promise, Reflect};
use sls_producer_core::protocol::endpoint::Endpoint;
use sls_producer_wasm::{
    BuildError, Credentials, DeliveryFailure, DeliveryResult, FetchTransport,
    JsCredentialsProvider, Metrics, PageLifeListener, PageLifeTransport, Producer,
    ProducerBuilderExt as _, Record, Route, WebTrackingTransport, flush_on_page_hide,
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
        let endpoint = Endpoint::parse(&config.endpoint)
            .map_err(|e| error(Code::InvalidOptions, &e.to_string()))?;
        let builder = Producer::builder(config);
        let builder = match auth {
            Auth::WebTracking => builder
                .with_transport(WebTrackingTransport::new(transport.clone(), endpoint))
                // Never sent: the tracking transport drops every signature header.
                .with_credentials(Credentials::new("anonymous", "anonymous")),
            Auth::Sts(callback) => builder
                .with_transport(transport.clone())
                .with_credentials_provider(JsCredentialsProvider::new(callback)),
            Auth::Static(credentials) => builder
                .with_transport(transport.clone())
                .with_credentials(credentials),
        };
        let producer = builder.build().map_err(|e| build_error(&e))?;
        let page_listener = if page_hide {
            flush_on_page_hide(&producer, &transport)
        } else {
            None
        };
        Ok(Self {
            producer,
            route,
            transport,
            on_error,
            page_listener,
        })
    }

    /// Send one log (an object of fields). Returns at once; the log is delivered in the
    /// background. Throws an `SlsProducerError` (`code`: `"InvalidLog"`, `"Closed"`,
    /// `"BufferFull"`, `"TooLarge"`) if the log is refused.
    pub fn send(&self, log: LogObject) -> Result<(), JsValue> {
        let log = log_from_js(&log, self.producer.unix_time())?;
        self.push(log.into())
    }

    /// Send a list of logs as one send: accepted or refused as a whole.
    #[wasm_bindgen(js_name = sendList)]
    pub fn send_list(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LogFields[]")] logs: JsValue,
    ) -> Result<(), JsValue> {
        let logs = logs_from_js(&logs, self.producer.unix_time())?;
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
            let metrics = close.await;
            Ok(close_report(&metrics).into())
        })
    }

    /// Counters since the producer was created.
    #[wasm_bindgen(unchecked_return_type = "ProducerStats")]
    pub fn stats(&self) -> StatsObject {
        let m = self.producer.metrics();
        let o = Object::new();
        set(&o, "acceptedLogs", m.accepted_logs as f64);
        set(&o, "deliveredLogs", m.delivered_logs as f64);
        set(&o, "failedLogs", m.failed_logs as f64);
        set(&o, "batches", m.batches as f64);
        set(&o, "requests", m.requests as f64);
        set(&o, "retries", m.retries as f64);
        set(&o, "bufferedBytes", m.buffered_bytes as f64);
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
    fn push(&self, record: Record) -> Result<(), JsValue> {
        match &self.on_error {
            Some(on_error) => {
                let on_error = on_error.clone();
                let handle = self
                    .producer
                    .send_tracked(&self.route, record)
                    .map_err(|e| send_error(&e))?;
                handle.on_complete(move |result| {
                    if !result.is_success() {
                        let _ = on_error.call1(&JsValue::UNDEFINED, &failure_object(&result));
                    }
                });
                Ok(())
            }
            None => self
                .producer
                .send(&self.route, record)
                .map(drop)
                .map_err(|e| send_error(&e)),
        }
    }
}

/// The error thrown for a producer that could not be built. The options were checked
/// already, so this is a configuration the core refuses.
fn build_error(e: &BuildError) -> JsValue {
    error(Code::InvalidOptions, &e.to_string())
}

fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(o, &JsValue::from_str(key), &value.into());
}

fn close_report(metrics: &Metrics) -> CloseReportObject {
    let o = Object::new();
    set(&o, "deliveredLogs", metrics.delivered_logs as f64);
    set(&o, "failedLogs", metrics.failed_logs as f64);
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
    set(&o, "logCount", result.handed_back_count() as f64);
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
