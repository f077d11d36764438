//! `ProducerOptions` (a JS object) to the producer's configuration.

use core::time::Duration;

use js_sys::Function;
use sls_producer_core::config::Compression;
use sls_producer_core::config::ProducerConfig;
use sls_producer_core::config::SignatureVersion;
use sls_producer_core::config::{TrackStyle, WireMode};
#[cfg(feature = "signed")]
use sls_producer_core::credentials::Credentials;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::describe;
use crate::error::{Code, error, join, quoted};
use crate::js::{entries, get};
use crate::target::Targets;

/// Defaults that differ from the core's, chosen for pages: small batches that fit the
/// keep-alive quota, a small buffer, few connections.
pub(crate) const DEFAULT_MAX_BATCH_BYTES: usize = 32 * 1024;
pub(crate) const DEFAULT_MEMORY_BUDGET: usize = 4 * 1024 * 1024;
pub(crate) const DEFAULT_MAX_IN_FLIGHT: usize = 4;

/// How the producer authenticates.
pub(crate) enum Auth {
    /// Anonymous web tracking.
    WebTracking,
    /// STS credentials from a JS function.
    #[cfg(feature = "signed")]
    Sts(Function),
    /// A static AccessKey (explicitly allowed).
    #[cfg(feature = "signed")]
    Static(Credentials),
}

/// Everything `new Producer(options)` needs.
pub(crate) struct Settings {
    pub(crate) config: ProducerConfig,
    pub(crate) targets: Targets,
    pub(crate) auth: Auth,
    pub(crate) flush_on_page_hide: bool,
    pub(crate) on_error: Option<Function>,
}

#[cfg(feature = "signed")]
const STATIC_KEY_REFUSED: &str = "a static AccessKey (accessKeyId/accessKeySecret) was given, but anyone \
who can load this code can read it and write to your project with it. In web pages use \
`webTracking: true` (anonymous, for a logstore with web tracking enabled) or `credentials: \
async () => ({ accessKeyId, accessKeySecret, securityToken, expiration })` returning short-lived \
STS credentials from your backend. Where the code is not public (Node, a Worker reading the key \
from its secrets), pass `allowStaticAccessKey: true`.";

#[cfg(feature = "signed")]
const NO_CREDENTIALS: &str = "no credentials: set one of `webTracking: true` (anonymous web \
tracking), `credentials` (an async function returning STS credentials) or \
`accessKeyId`/`accessKeySecret` with `allowStaticAccessKey: true`";

#[cfg(feature = "signed")]
const TWO_CREDENTIALS: &str = "choose one of `webTracking`, `credentials` and `accessKeyId`: \
they are different ways to authenticate";

/// The numeric options, in the order `settings` reads them.
const NUMBERS: [&str; 9] = [
    "lingerMs",
    "maxBatchCount",
    "maxBatchBytes",
    "memoryBudgetBytes",
    "maxInFlight",
    "maxRetries",
    "baseRetryBackoffMs",
    "maxRetryBackoffMs",
    "requestTimeoutMs",
];

/// Read and check `options`.
pub(crate) fn settings(options: &JsValue) -> Result<Settings, JsValue> {
    if !options.is_object() {
        return Err(invalid(
            "new Producer(options): options must be an object with endpoint and project",
        ));
    }
    let endpoint = required_string(options, "endpoint")?;
    let targets = Targets::from_options(options)?;

    let auth = auth(options)?;
    let web_tracking = matches!(auth, Auth::WebTracking);

    let mut config = ProducerConfig::new(endpoint);
    config.max_batch_bytes = DEFAULT_MAX_BATCH_BYTES;
    config.memory_budget = DEFAULT_MEMORY_BUDGET;
    config.max_in_flight = DEFAULT_MAX_IN_FLIGHT;
    // send() never waits for room: it throws BufferFull.
    config.max_block = Duration::ZERO;
    // The numeric options, read in one loop: whole numbers ≥ 0, milliseconds for `…Ms`.
    let mut numbers = [None; NUMBERS.len()];
    for (n, name) in numbers.iter_mut().zip(NUMBERS) {
        *n = count(options, name)?;
    }
    let ms = |n: usize| Duration::from_millis(n as u64);
    let [
        linger,
        batch_count,
        batch_bytes,
        budget,
        in_flight,
        retries,
        base,
        max,
        timeout,
    ] = numbers;
    if let Some(n) = linger {
        config.linger = ms(n);
    }
    if let Some(n) = batch_count {
        config.max_batch_count = n;
    }
    if let Some(n) = batch_bytes {
        config.max_batch_bytes = n;
    }
    if let Some(n) = budget {
        config.memory_budget = n;
    }
    if let Some(n) = in_flight {
        config.max_in_flight = n;
    }
    if let Some(n) = retries {
        config.max_retries = u32::try_from(n).unwrap_or(u32::MAX);
    }
    if let Some(n) = base {
        config.backoff.base = ms(n);
    }
    if let Some(n) = max {
        config.backoff.max = ms(n);
    }
    if let Some(n) = timeout {
        config.request_timeout = ms(n);
    }
    // Web tracking without custom headers needs no CORS preflight, but cannot say that its
    // body is compressed.
    let (compression, style) = match optional_string(options, "compression")?.as_deref() {
        None if web_tracking => (Compression::None, TrackStyle::CorsSimple),
        None | Some("lz4") => (Compression::Lz4, TrackStyle::Headers),
        Some("none") => (Compression::None, TrackStyle::CorsSimple),
        Some(_) => return Err(invalid("`compression` must be \"lz4\" or \"none\"")),
    };
    config.compression = compression;
    if web_tracking {
        config.wire = WireMode::WebTracking(style);
        // A logstore without web tracking answers 401: retrying cannot help.
        config.no_retry_status_codes.push(401);
    }
    match optional_string(options, "signatureVersion")?.as_deref() {
        None | Some("v1") => {}
        Some("v4") => config.signature_version = SignatureVersion::V4,
        Some(_) => return Err(invalid("`signatureVersion` must be \"v1\" or \"v4\"")),
    }
    config.region = optional_string(options, "region")?;
    if let Some(b) = boolean(options, "generatePackId")? {
        config.generate_pack_id = b;
    }
    config.log_tags = tags(options)?;
    config
        .validate()
        .map_err(|e| invalid(&describe::config_error(&e)))?;

    Ok(Settings {
        config,
        targets,
        auth,
        flush_on_page_hide: boolean(options, "flushOnPageHide")?.unwrap_or(true),
        on_error: function(options, "onError")?,
    })
}

#[cfg(feature = "signed")]
fn auth(options: &JsValue) -> Result<Auth, JsValue> {
    let web_tracking = boolean(options, "webTracking")?.unwrap_or(false);
    let callback = function(options, "credentials")?;
    let key_id = optional_string(options, "accessKeyId")?;
    let chosen =
        usize::from(web_tracking) + usize::from(callback.is_some()) + usize::from(key_id.is_some());
    if chosen > 1 {
        return Err(invalid(TWO_CREDENTIALS));
    }
    if web_tracking {
        return Ok(Auth::WebTracking);
    }
    if let Some(callback) = callback {
        return Ok(Auth::Sts(callback));
    }
    let Some(key_id) = key_id else {
        return Err(invalid(NO_CREDENTIALS));
    };
    static_key(options, key_id)
}

/// A static AccessKey: refused unless explicitly allowed.
#[cfg(feature = "signed")]
fn static_key(options: &JsValue, key_id: String) -> Result<Auth, JsValue> {
    if boolean(options, "allowStaticAccessKey")? != Some(true) {
        return Err(error(Code::StaticAccessKeyRefused, STATIC_KEY_REFUSED));
    }
    let secret = required_string(options, "accessKeySecret")?;
    let mut credentials = Credentials::new(key_id, secret);
    if let Some(token) = optional_string(options, "securityToken")? {
        credentials = credentials.with_security_token(token);
    }
    Ok(Auth::Static(credentials))
}

/// The web-tracking-only package: `webTracking: true` and no other credentials, which it
/// could not sign with (it reads no more of them than their presence).
#[cfg(not(feature = "signed"))]
fn auth(options: &JsValue) -> Result<Auth, JsValue> {
    let other = function(options, "credentials")?.is_some()
        || optional_string(options, "accessKeyId")?.is_some();
    if other || boolean(options, "webTracking")? != Some(true) {
        return Err(invalid(TRACKING_ONLY));
    }
    Ok(Auth::WebTracking)
}

/// Why the web-tracking-only package refuses options without `webTracking: true`: it has
/// no signing code (and so links no code to read credentials either).
#[cfg(not(feature = "signed"))]
const TRACKING_ONLY: &str = "this build of the package sends web tracking only and cannot \
sign requests: use `webTracking: true`, or the signed build for `credentials` and `accessKeyId`";

fn invalid(message: &str) -> JsValue {
    error(Code::InvalidOptions, message)
}

fn wrong_type(name: &str, what: &str) -> JsValue {
    invalid(&quoted(name, &join("` must be ", what)))
}

pub(crate) fn optional_string(options: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    get(options, name)
        .map(|v| v.as_string().ok_or_else(|| wrong_type(name, "a string")))
        .transpose()
}

pub(crate) fn required_string(options: &JsValue, name: &str) -> Result<String, JsValue> {
    optional_string(options, name)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| wrong_type(name, "a non-empty string (it is required)"))
}

fn boolean(options: &JsValue, name: &str) -> Result<Option<bool>, JsValue> {
    get(options, name)
        .map(|v| v.as_bool().ok_or_else(|| wrong_type(name, "true or false")))
        .transpose()
}

fn function(options: &JsValue, name: &str) -> Result<Option<Function>, JsValue> {
    get(options, name)
        .map(|v| {
            v.dyn_into::<Function>()
                .map_err(|_| wrong_type(name, "a function"))
        })
        .transpose()
}

/// A non-negative whole number.
fn count(options: &JsValue, name: &str) -> Result<Option<usize>, JsValue> {
    get(options, name)
        .map(|v| {
            v.as_f64()
                .filter(|n| n.is_finite() && *n >= 0.0 && n.fract() == 0.0)
                .map(|n| n as usize)
                .ok_or_else(|| wrong_type(name, "a whole number ≥ 0"))
        })
        .transpose()
}

fn tags(options: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    let Some(tags) = get(options, "tags") else {
        return Ok(Vec::new());
    };
    if !tags.is_object() {
        return Err(wrong_type("tags", "an object of string values"));
    }
    let mut out = Vec::new();
    for (k, v) in entries(&tags) {
        match (k.as_string(), v.as_string()) {
            (Some(k), Some(v)) => out.push((k, v)),
            _ => return Err(wrong_type("tags", "an object of string values")),
        }
    }
    Ok(out)
}
