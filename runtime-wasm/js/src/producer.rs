//! The exported `Producer` class.

use core::pin::Pin;

use js_sys::{Function, Object, Promise};
#[cfg(feature = "signed")]
use sls_producer_wasm::JsCredentialsProvider;
use sls_producer_wasm::{
    BuildError, FetchTransport, Metrics, PageLifeListener, PageLifeTransport, Producer,
    ProducerBuilderExt as _, Record, Route, flush_on_page_hide,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::describe;
use crate::error::{Code, error, send_error};
use crate::js::set;
use crate::log::{log_from_js, logs_from_js};
use crate::options::{Auth, Settings, settings};
use crate::outcome::outcome_object;
use crate::target::Targets;
use crate::types::{CloseReportObject, LogObject, ProducerOptions, SendTargetObject, StatsObject};

/// A producer: buffers logs, sends them in batches to any number of logstores, retries,
/// and reports outcomes.
///
/// ```js
/// const producer = new Producer({ endpoint, project, logstore, webTracking: true });
/// producer.send({ event: "click" });
/// producer.send({ message: "boom" }, { logstore: "errors" });
/// const result = await producer.sendTracked({ event: "checkout" });
/// await producer.close();
/// ```
#[wasm_bindgen(js_name = Producer)]
pub struct JsProducer {
    producer: Producer,
    targets: Targets,
    transport: PageLifeTransport,
    on_error: Option<Function>,
    /// Removed on close (it holds a producer handle).
    page_listener: Option<PageLifeListener>,
}

impl core::fmt::Debug for JsProducer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Producer")
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
            targets,
            auth,
            flush_on_page_hide: page_hide,
            on_error,
        } = settings(&options)?;
        let transport = PageLifeTransport::new(
            FetchTransport::new().with_request_timeout(config.request_timeout),
        );
        let builder = Producer::builder(config);
        let builder = match auth {
            // Anonymous: the core writes web-tracking requests (`WireMode::WebTracking`).
            Auth::WebTracking => builder.with_transport(transport.clone()),
            #[cfg(feature = "signed")]
            Auth::Sts(callback) => builder
                .with_transport(transport.clone())
                .with_credentials_provider(JsCredentialsProvider::new(callback)),
            #[cfg(feature = "signed")]
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
            targets,
            transport,
            on_error,
            page_listener,
        })
    }

    /// Send one log (an object of fields) to `target` (default: the options' project,
    /// logstore, topic and source). Returns at once; the log is delivered in the
    /// background, and a failure goes to `onError` with the log. Throws an
    /// `SlsProducerError` (`code`: `"InvalidLog"`, `"InvalidTarget"`, `"Closed"`,
    /// `"BufferFull"`, `"TooLarge"`) if the log is refused.
    pub fn send(&self, log: LogObject, target: Option<SendTargetObject>) -> Result<(), JsValue> {
        let route = self.targets.route(&target.into())?;
        let log = log_from_js(&log, self.producer.unix_time())?;
        self.push(route, log.into())
    }

    /// Send a list of logs as one send: accepted or refused as a whole.
    #[wasm_bindgen(js_name = sendList)]
    pub fn send_list(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LogFields[]")] logs: JsValue,
        target: Option<SendTargetObject>,
    ) -> Result<(), JsValue> {
        let route = self.targets.route(&target.into())?;
        let logs = logs_from_js(&logs, self.producer.unix_time())?;
        self.push(route, logs.into())
    }

    /// Send one log or a list of logs (one send) and get a promise of the outcome:
    /// `{ delivered: true, attempts, … }`, or a `DeliveryFailure` with the logs handed
    /// back. The promise never rejects; a refused send throws at once, as `send` does.
    /// `onError` is not called for these sends.
    #[wasm_bindgen(js_name = sendTracked, unchecked_return_type = "Promise<DeliveryResult>")]
    pub fn send_tracked(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LogFields | LogFields[]")] logs: JsValue,
        target: Option<SendTargetObject>,
    ) -> Result<Promise, JsValue> {
        let route = self.targets.route(&target.into())?;
        let now = self.producer.unix_time();
        let record: Record = if js_sys::Array::is_array(&logs) {
            logs_from_js(&logs, now)?.into()
        } else {
            log_from_js(&logs, now)?.into()
        };
        let count = record.len();
        let handle = self
            .producer
            .send_tracked(&route, record)
            .map_err(|e| send_error(&e))?;
        Ok(promise(Box::pin(async move {
            let result = handle.await;
            outcome_object(&result, &route, count)
        })))
    }

    /// Send every buffered log now; resolves once every log sent before the call has been
    /// delivered or has failed (failures go to `onError`).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn flush(&self) -> Promise {
        let flush = self.producer.flush();
        promise(Box::pin(async move {
            flush.await;
            JsValue::UNDEFINED
        }))
    }

    /// Stop accepting logs, send what is buffered and resolve once every log has its
    /// outcome. With `timeoutMs`, logs still undelivered by then fail as `"Closed"`.
    /// Either way the report counts everything: it resolves after every `onError` call
    /// and every `sendTracked` promise of the producer has settled.
    #[wasm_bindgen(unchecked_return_type = "Promise<CloseReport>")]
    pub fn close(
        &mut self,
        #[wasm_bindgen(js_name = timeoutMs)] timeout_ms: Option<f64>,
    ) -> Promise {
        self.page_listener = None;
        let timeout = timeout_ms
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map(|ms| core::time::Duration::from_millis(ms as u64));
        // Past its deadline a close returns with outcomes decided but not yet delivered
        // (ADR 0009); JS callbacks run on this one thread anyway, so the report waits for
        // them (a second close keeps the first one's deadline).
        let close = self.producer.close(timeout);
        let delivered = self.producer.close(None);
        promise(Box::pin(async move {
            close.await;
            let metrics = delivered.await;
            close_report(&metrics).into()
        }))
    }

    /// Counters since the producer was created.
    #[wasm_bindgen(unchecked_return_type = "ProducerStats")]
    pub fn stats(&self) -> StatsObject {
        let m = self.producer.metrics();
        let o = Object::new();
        set(&o, "acceptedLogs", m.accepted_logs as f64);
        set(&o, "deliveredLogs", m.delivered_logs as f64);
        set(&o, "failedLogs", m.failed_logs as f64);
        set(&o, "handedBackLogs", m.handed_back_logs as f64);
        set(&o, "pendingLogs", m.pending_logs() as f64);
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
    fn push(&self, route: Route, record: Record) -> Result<(), JsValue> {
        match &self.on_error {
            Some(on_error) => {
                let on_error = on_error.clone();
                let count = record.len();
                let handle = self
                    .producer
                    .send_tracked(&route, record)
                    .map_err(|e| send_error(&e))?;
                handle.on_complete(move |result| {
                    if !result.is_success() {
                        let failure = outcome_object(&result, &route, count);
                        let _ = on_error.call1(&JsValue::UNDEFINED, &failure);
                    }
                });
                Ok(())
            }
            None => self
                .producer
                .send(&route, record)
                .map(drop)
                .map_err(|e| send_error(&e)),
        }
    }
}

/// The error thrown for a producer that could not be built. The options were checked
/// already, so this is a configuration the core refuses.
fn build_error(e: &BuildError) -> JsValue {
    error(Code::InvalidOptions, &describe::build_error(e))
}

/// A promise that resolves to `future`'s value. The future is boxed so that the promise
/// machinery of `wasm-bindgen-futures` is instantiated once, not per method.
fn promise(future: Pin<Box<dyn Future<Output = JsValue>>>) -> Promise {
    future_to_promise(async move { Ok(future.await) })
}

fn close_report(metrics: &Metrics) -> CloseReportObject {
    let o = Object::new();
    set(&o, "acceptedLogs", metrics.accepted_logs as f64);
    set(&o, "deliveredLogs", metrics.delivered_logs as f64);
    set(&o, "failedLogs", metrics.failed_logs as f64);
    set(&o, "handedBackLogs", metrics.handed_back_logs as f64);
    set(&o, "closedLogs", metrics.closed_logs as f64);
    o.unchecked_into()
}
