//! [`WaitUntil`]: Cloudflare Workers deliver a request's logs after its response.

use core::fmt;
use core::future::Future;
use core::time::Duration;

use js_sys::{Promise, Reflect};
use sls_producer_core::{Metrics, Producer};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[wasm_bindgen]
extern "C" {
    /// The Workers `ExecutionContext`: the third argument of a `fetch` handler.
    type ExecutionContext;

    #[wasm_bindgen(method, js_name = waitUntil)]
    fn wait_until(this: &ExecutionContext, promise: &Promise);
}

/// The `waitUntil` of a Cloudflare Workers (or workerd) request: work handed to it keeps
/// running after the handler has returned its response, until it completes (Workers allow
/// about 30 s).
///
/// Without it, a Worker's pending work is cancelled once the response is sent, and the
/// logs a request produced die with it. The pattern is one producer per request, closed
/// through `waitUntil`:
///
/// ```ignore
/// use sls_producer_wasm::{Credentials, Producer, ProducerBuilderExt as _, ProducerConfig, WaitUntil};
///
/// #[wasm_bindgen]
/// pub async fn fetch(request: web_sys::Request, env: JsValue, ctx: JsValue) -> Result<web_sys::Response, JsValue> {
///     let wait_until = WaitUntil::new(&ctx)?;
///     let producer = Producer::builder(ProducerConfig::new(endpoint))
///         .with_credentials(Credentials::new(access_key_id, access_key_secret))
///         .build()
///         .map_err(JsError::from)?;
///     let _ = producer.send(&route, log); // a refused log is not the visitor's problem
///     let response = handle(request).await;
///     wait_until.close(&producer, Some(Duration::from_secs(25)));   // delivered after the response
///     Ok(response)
/// }
/// ```
///
/// A producer per request keeps every request's I/O inside that request (workerd refuses
/// to let one request's handler await I/O started by another). The batches of one request
/// are small; [`WaitUntil::close`] seals them at once, without waiting for `linger`.
pub struct WaitUntil {
    ctx: ExecutionContext,
}

impl fmt::Debug for WaitUntil {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WaitUntil")
    }
}

/// The value given to [`WaitUntil::new`] has no `waitUntil` method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotAnExecutionContext;

impl fmt::Display for NotAnExecutionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "expected the Workers ExecutionContext (the `ctx` argument of `fetch(request, env, ctx)`), \
             an object with a `waitUntil` method",
        )
    }
}

impl core::error::Error for NotAnExecutionContext {}

impl From<NotAnExecutionContext> for JsValue {
    fn from(e: NotAnExecutionContext) -> Self {
        js_sys::TypeError::new(&e.to_string()).into()
    }
}

impl WaitUntil {
    /// Wrap a handler's `ctx`.
    ///
    /// # Errors
    ///
    /// [`NotAnExecutionContext`] if `ctx` has no `waitUntil` function.
    pub fn new(ctx: &JsValue) -> Result<Self, NotAnExecutionContext> {
        let has_wait_until = ctx.is_object()
            && Reflect::get(ctx, &JsValue::from_str("waitUntil")).is_ok_and(|f| f.is_function());
        if !has_wait_until {
            return Err(NotAnExecutionContext);
        }
        Ok(Self {
            ctx: ctx.clone().unchecked_into(),
        })
    }

    /// Keep the request alive until `work` completes.
    pub fn wait_until(&self, work: impl Future<Output = ()> + 'static) {
        let promise = future_to_promise(async move {
            work.await;
            Ok(JsValue::UNDEFINED)
        });
        self.ctx.wait_until(&promise);
    }

    /// Seal every open batch of `producer` now and keep the request alive until every log
    /// sent so far has its outcome. The producer stays open.
    pub fn flush(&self, producer: &Producer) {
        self.wait_until(producer.flush());
    }

    /// Close `producer` and keep the request alive until every log has its outcome, or
    /// until `timeout` (then the logs still pending fail as closed), and until every
    /// outcome is delivered (past `timeout`, a close leaves the callbacks of the sends it
    /// gave up to run after it returns). Keep `timeout` under the platform's `waitUntil`
    /// limit (about 30 s on Cloudflare).
    pub fn close(&self, producer: &Producer, timeout: Option<Duration>) {
        self.close_then(producer, timeout, |_| {});
    }

    /// [`WaitUntil::close`], then call `on_closed` with the final [`Metrics`] (e.g. to log
    /// failures), still within the request's lifetime.
    pub fn close_then(
        &self,
        producer: &Producer,
        timeout: Option<Duration>,
        on_closed: impl FnOnce(Metrics) + 'static,
    ) {
        let closing = producer.close(timeout);
        let delivered = producer.close(None);
        self.wait_until(async move {
            on_closed(closing.await);
            delivered.await;
        });
    }
}
