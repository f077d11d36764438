//! The `fetch` handler.

use core::time::Duration;

use js_sys::Reflect;
use sls_producer_wasm::{
    Credentials, Log, Producer, ProducerBuilderExt as _, ProducerConfig, Route, WaitUntil,
};
use wasm_bindgen::prelude::*;
use web_sys::{Request, Response, ResponseInit};

/// How long the logs of a request may take after its response (Cloudflare allows about
/// 30 s of `waitUntil` work).
const DELIVERY_WINDOW: Duration = Duration::from_secs(25);

/// The Worker's `fetch(request, env, ctx)`: answers, and ships one log line per request
/// to SLS after the response has gone out.
///
/// The response carries `x-sls-pending-logs`: the logs of this request not yet delivered
/// when the response was returned (the delivery happens in `ctx.waitUntil`).
#[wasm_bindgen]
pub async fn fetch(request: Request, env: JsValue, ctx: JsValue) -> Result<Response, JsValue> {
    let wait_until = WaitUntil::new(&ctx)?;
    let sls = SlsSettings::from_env(&env)?;

    // A producer for this request: fetch, setTimeout and spawn_local of this Worker.
    let producer = Producer::builder(ProducerConfig::new(sls.endpoint.as_str()))
        .with_credentials(Credentials::new(sls.access_key_id, sls.access_key_secret))
        .build()
        .map_err(JsError::from)?;
    let received = producer.unix_time();
    let route = Route::new(&sls.project, &sls.logstore)
        .map_err(JsError::from)?
        .with_topic("requests");

    // The application's work.
    let url = request.url();
    let method = request.method();
    let (status, body) = if method == "GET" || method == "HEAD" {
        (200, "hello from a Rust Worker\n")
    } else {
        (405, "only GET and HEAD\n")
    };

    let mut log = Log::from_unix_time(received)
        .with_content("method", method)
        .with_content("url", url)
        .with_content("status", status.to_string());
    for header in ["user-agent", "cf-ray", "x-request-id"] {
        if let Ok(Some(value)) = request.headers().get(header) {
            log = log.with_content(header, value);
        }
    }
    // A failed send is not the visitor's problem: answer anyway.
    let _ = producer.send(&route, log);

    let pending = producer.metrics().pending_logs();
    let init = ResponseInit::new();
    init.set_status(status);
    let response = Response::new_with_opt_str_and_init(Some(body), &init)?;
    response
        .headers()
        .set("x-sls-pending-logs", &pending.to_string())?;

    // Seal the batch now; keep the request alive until it is delivered (or the window
    // closes), after the response has been returned.
    wait_until.close(&producer, Some(DELIVERY_WINDOW));
    Ok(response)
}

/// The SLS bindings of the Worker's environment.
struct SlsSettings {
    endpoint: String,
    project: String,
    logstore: String,
    access_key_id: String,
    access_key_secret: String,
}

impl SlsSettings {
    fn from_env(env: &JsValue) -> Result<Self, JsValue> {
        let get = |name: &str| -> Result<String, JsValue> {
            Reflect::get(env, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.as_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    let mut message = String::from("missing Worker binding ");
                    message.push_str(name);
                    js_error(&message)
                })
        };
        Ok(Self {
            endpoint: get("SLS_ENDPOINT")?,
            project: get("SLS_PROJECT")?,
            logstore: get("SLS_LOGSTORE")?,
            access_key_id: get("SLS_ACCESS_KEY_ID")?,
            access_key_secret: get("SLS_ACCESS_KEY_SECRET")?,
        })
    }
}

fn js_error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}
