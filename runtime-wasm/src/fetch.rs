//! [`FetchTransport`]: HTTP exchanges over the global `fetch`.

use core::cell::Cell;
use core::time::Duration;
use std::rc::Rc;

use async_trait::async_trait;
use gloo_timers::callback::Timeout;
use js_sys::{Array, Promise, Reflect, Uint8Array};
use sls_producer_core::rt::{HttpRequest, HttpResponse, Method};
use sls_producer_core::rt::{HttpTransport, TransportError, TransportErrorKind};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, Response};

use crate::classify::{Phase, classify};
use crate::delay::single_timeout_ms;
use crate::headers::{FORWARDED_HOST, forwarded_host, is_passed_to_fetch};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`. A bare binding resolves `fetch` on whatever the global object is
    /// (`Window`, a worker scope, Node's `globalThis`, workerd's service-worker-like
    /// scope), where `web_sys::window()` or `dyn_into::<WorkerGlobalScope>()` fail.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(input: &str, init: &FetchInit) -> Result<Promise, JsValue>;

    /// The `RequestInit` dictionary, with only the members this transport sets (web-sys'
    /// `RequestInit` has no `keepalive`).
    #[wasm_bindgen(extends = js_sys::Object)]
    type FetchInit;

    #[wasm_bindgen(method, setter = method)]
    fn set_method(this: &FetchInit, method: &str);
    #[wasm_bindgen(method, setter = headers)]
    fn set_headers(this: &FetchInit, headers: &Headers);
    #[wasm_bindgen(method, setter = body)]
    fn set_body(this: &FetchInit, body: &Uint8Array);
    #[wasm_bindgen(method, setter = keepalive)]
    fn set_keepalive(this: &FetchInit, keepalive: bool);
    #[wasm_bindgen(method, setter = signal)]
    fn set_signal(this: &FetchInit, signal: &AbortSignal);
}

/// The producer's [`HttpTransport`] over the global `fetch`: browsers (pages, dedicated
/// and service workers), Node ≥ 18, Deno and Cloudflare Workers / workerd.
///
/// # The request
///
/// * URL [`HttpRequest::url`], the request's method, and its body as a `Uint8Array` (a copy,
///   so the request owns no wasm memory).
/// * Headers: all but those `fetch` owns. The Fetch standard's forbidden request headers
///   (`host`, `content-length`, `date`, `connection`, …) and `user-agent` are never
///   passed, in any JS environment, so requests look the same everywhere. The transport
///   says so ([`HttpTransport::can_set_date_header`] is `false`), and a producer on it
///   signs v1 requests with the date in `x-log-date` (the configuration's default
///   `DateHeader::Auto`; an explicit `DateHeader::Date` fails to build).
/// * `Host` comes from the URL. When the request's `host` header differs from the URL
///   authority (IP and `localhost` endpoints), it is sent as [`FORWARDED_HOST`].
/// * `keepalive` (see [`FetchTransport::with_keepalive`]) and an `AbortSignal`.
///
/// # The response
///
/// Status, headers and the whole body, whatever the status (a 4xx/5xx is a response, not a
/// transport error). Cross-origin, a page only sees the CORS-safelisted response headers
/// plus those the server lists in `Access-Control-Expose-Headers`: without
/// `Access-Control-Expose-Headers: x-log-requestid` the request id is missing. Likewise a
/// cross-origin request with `x-log-*` headers needs the server to answer the CORS
/// preflight; `Access-Control-Allow-Headers: *` does **not** cover `authorization`, which
/// must be listed by name.
///
/// # Timeouts, cancellation and errors
///
/// The request timeout (default [`FetchTransport::DEFAULT_REQUEST_TIMEOUT`]) covers the
/// whole exchange, body included; when it elapses the request is aborted and the attempt
/// fails with [`TransportErrorKind::Timeout`]. Dropping the future of
/// [`send`](HttpTransport::send) aborts the request too. A rejected `fetch` is `Connect`
/// (browsers report DNS, refused, TLS and CORS failures alike as `TypeError`; workerd as
/// `Error: Network connection lost.`), a failed body read `Io`, an abort from elsewhere
/// `Canceled`, and Node's `cause.code` refines these where present. Error messages never
/// contain header values. Timeouts and cancellation need `AbortController`, present in
/// every supported environment; without it requests are sent without them.
#[derive(Clone, Debug)]
pub struct FetchTransport {
    request_timeout: Option<Duration>,
    keepalive: bool,
    max_response_body: usize,
}

impl FetchTransport {
    /// Default request timeout: 60 s, as the native transports and the Go producer.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
    /// Default largest response body: 1 MiB. SLS answers with empty bodies or small JSON
    /// errors; a larger body means the endpoint is not SLS.
    pub const DEFAULT_MAX_RESPONSE_BODY: usize = 1 << 20;
    /// Largest body sent with `keepalive`: browsers refuse keep-alive requests whose bodies
    /// add up to more than 64 KiB in flight, so larger bodies are sent without it.
    pub const KEEPALIVE_BODY_LIMIT: usize = 64 * 1024;

    /// A transport with the default timeout and no `keepalive`.
    pub fn new() -> Self {
        Self {
            request_timeout: Some(Self::DEFAULT_REQUEST_TIMEOUT),
            keepalive: false,
            max_response_body: Self::DEFAULT_MAX_RESPONSE_BODY,
        }
    }

    /// Time allowed for one whole exchange, until the last byte of the response body.
    /// Elapsing aborts the request and fails the attempt with
    /// [`TransportErrorKind::Timeout`]. Timeouts beyond `setTimeout`'s limit (about 24.8
    /// days) mean none.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// No request timeout: an exchange may last until the network gives up.
    pub fn without_request_timeout(mut self) -> Self {
        self.request_timeout = None;
        self
    }

    /// Send requests with `keepalive: true`, so that they complete even if the page is
    /// closed meanwhile: for the final flush on `pagehide` / `visibilitychange`. Only bodies
    /// up to [`FetchTransport::KEEPALIVE_BODY_LIMIT`] get the flag (browsers reject larger
    /// ones, and the limit is shared by all keep-alive requests in flight, so a request can
    /// still be refused as a `Connect` error when several are pending). Outside browsers
    /// the flag has no effect.
    pub fn with_keepalive(mut self, keepalive: bool) -> Self {
        self.keepalive = keepalive;
        self
    }

    /// Largest response body accepted, in bytes; a larger one fails the exchange with
    /// [`TransportErrorKind::Other`].
    pub fn with_max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// The request timeout, if any.
    pub fn request_timeout(&self) -> Option<Duration> {
        self.request_timeout
    }

    /// Whether small requests are sent with `keepalive`.
    pub fn keepalive(&self) -> bool {
        self.keepalive
    }

    /// The largest response body accepted, in bytes.
    pub fn max_response_body(&self) -> usize {
        self.max_response_body
    }
}

impl Default for FetchTransport {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait(?Send)]
impl HttpTransport for FetchTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        exchange(self, request).await
    }

    /// `false`: `fetch` owns the `Date` header.
    fn can_set_date_header(&self) -> bool {
        false
    }
}

async fn exchange(
    config: &FetchTransport,
    request: HttpRequest,
) -> Result<HttpResponse, TransportError> {
    let init = request_init(&request, config.keepalive)?;
    let abort = AbortGuard::new(config.request_timeout.and_then(single_timeout_ms));
    if let Some(signal) = abort.signal() {
        init.set_signal(&signal);
    }

    let promise = global_fetch(&request.url(), &init)
        .map_err(|e| js_failure(Phase::Request, &e, abort.timed_out()))?;
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(|e| js_failure(Phase::Request, &e, abort.timed_out()))?
        .unchecked_into();

    let status = response.status();
    let headers = response_headers(&response.headers());
    let declared_too_large = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("content-length")
            && value
                .parse::<u64>()
                .is_ok_and(|len| len > config.max_response_body as u64)
    });
    if declared_too_large {
        // Dropping `abort` aborts the request and discards the body unread.
        return Err(body_too_large());
    }
    let read = response
        .array_buffer()
        .map_err(|e| js_failure(Phase::Body, &e, abort.timed_out()))?;
    let buffer = JsFuture::from(read)
        .await
        .map_err(|e| js_failure(Phase::Body, &e, abort.timed_out()))?;
    let body = Uint8Array::new(&buffer);
    if body.length() as usize > config.max_response_body {
        return Err(body_too_large());
    }
    let body = body.to_vec();
    abort.disarm();
    Ok(HttpResponse {
        status,
        headers,
        body: body.into(),
    })
}

/// The `RequestInit` for `request`, or why `fetch` cannot send it.
fn request_init(request: &HttpRequest, keepalive: bool) -> Result<FetchInit, TransportError> {
    if request.method == Method::Get && !request.body.is_empty() {
        return Err(TransportError::new(
            TransportErrorKind::Other,
            "fetch cannot send a GET request with a body",
        ));
    }
    let headers = Headers::new().map_err(|e| js_failure(Phase::Request, &e, false))?;
    for (name, value) in &request.headers {
        if is_passed_to_fetch(name) {
            append_header(&headers, name, value)?;
        }
    }
    if let Some(host) = forwarded_host(request) {
        append_header(&headers, FORWARDED_HOST, host)?;
    }

    let init: FetchInit = js_sys::Object::new().unchecked_into();
    init.set_method(request.method.as_str());
    init.set_headers(&headers);
    if !request.body.is_empty() {
        init.set_body(&Uint8Array::from(&request.body[..]));
    }
    if keepalive && request.body.len() <= FetchTransport::KEEPALIVE_BODY_LIMIT {
        init.set_keepalive(true);
    }
    Ok(init)
}

fn append_header(headers: &Headers, name: &str, value: &str) -> Result<(), TransportError> {
    headers.append(name, value).map_err(|_| {
        // The JS message may quote the value, which can be a secret: name the header only.
        let mut message = String::from("fetch rejected the request header `");
        message.push_str(name);
        message.push('`');
        TransportError::new(TransportErrorKind::Other, message)
    })
}

/// All response headers visible to this context, in `fetch`'s order (lower-case names).
///
/// `Array.from` walks the iterable `Headers` in JS: one import, where iterating from Rust
/// binds `Symbol.iterator`, `next`, `done` and `value`.
fn response_headers(headers: &Headers) -> Vec<(String, String)> {
    let entries = Array::from(headers);
    let mut out = Vec::new();
    for i in 0..entries.length() {
        let pair: Array = entries.get(i).unchecked_into();
        if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            out.push((name, value));
        }
    }
    out
}

fn body_too_large() -> TransportError {
    TransportError::new(
        TransportErrorKind::Other,
        "response body larger than the transport's max_response_body; is the endpoint SLS?",
    )
}

/// A transport error for a JS exception or rejection `error`.
fn js_failure(phase: Phase, error: &JsValue, timed_out: bool) -> TransportError {
    let name = string_property(error, "name");
    let message = string_property(error, "message").or_else(|| error.as_string());
    let cause_code = Reflect::get(error, &JsValue::from_str("cause"))
        .ok()
        .and_then(|cause| string_property(&cause, "code"));
    let kind = classify(
        phase,
        name.as_deref(),
        message.as_deref(),
        cause_code.as_deref(),
        timed_out,
    );

    let mut text = String::from(match (phase, timed_out) {
        (_, true) => "request timed out; fetch: ",
        (Phase::Request, false) => "fetch failed: ",
        (Phase::Body, false) => "reading the response body failed: ",
    });
    if let Some(name) = &name {
        text.push_str(name);
        text.push_str(": ");
    }
    text.push_str(message.as_deref().unwrap_or("(no message)"));
    if let Some(code) = &cause_code {
        text.push_str(" (");
        text.push_str(code);
        text.push(')');
    }
    TransportError::new(kind, text)
}

/// `value[key]` if `value` is an object whose `key` is a string.
fn string_property(value: &JsValue, key: &str) -> Option<String> {
    if !value.is_object() {
        return None;
    }
    Reflect::get(value, &JsValue::from_str(key))
        .ok()?
        .as_string()
}

/// Owns the exchange's `AbortController` and timeout timer: aborts the request when the
/// timeout fires or when the exchange is dropped before [`AbortGuard::disarm`].
struct AbortGuard {
    controller: Option<AbortController>,
    timed_out: Rc<Cell<bool>>,
    _timer: Option<Timeout>,
}

impl AbortGuard {
    fn new(timeout_ms: Option<u32>) -> Self {
        let controller = AbortController::new().ok();
        let timed_out = Rc::new(Cell::new(false));
        let timer = match (&controller, timeout_ms) {
            (Some(controller), Some(ms)) => {
                let (controller, flag) = (controller.clone(), Rc::clone(&timed_out));
                Some(Timeout::new(ms, move || {
                    flag.set(true);
                    controller.abort();
                }))
            }
            _ => None,
        };
        Self {
            controller,
            timed_out,
            _timer: timer,
        }
    }

    fn signal(&self) -> Option<AbortSignal> {
        self.controller.as_ref().map(AbortController::signal)
    }

    fn timed_out(&self) -> bool {
        self.timed_out.get()
    }

    /// The exchange is complete: cancel the timer, abort nothing.
    fn disarm(mut self) {
        self.controller = None;
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        if let Some(controller) = self.controller.take() {
            controller.abort();
        }
    }
}
