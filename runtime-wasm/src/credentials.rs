//! [`JsCredentialsProvider`]: STS credentials from an async JS function.

use async_trait::async_trait;
use js_sys::{Function, Promise, Reflect};
use sls_producer_core::credentials::{Credentials, CredentialsError, CredentialsProvider};
use sls_producer_core::rt::UnixTime;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::delay::nanos_from_js_millis;

/// A [`CredentialsProvider`] that calls a JS function returning (a promise of) temporary
/// credentials, typically from the page's own backend, which obtains them from STS
/// `AssumeRole` for a role that may only write to one logstore.
///
/// The function is called with no arguments when the producer starts, shortly before the
/// credentials expire (five minutes before, or halfway through their lifetime if that is
/// shorter) and after SLS rejects them (HTTP 401); one call at a time. It must resolve to
///
/// ```text
/// { accessKeyId, accessKeySecret, securityToken, expiration }
/// ```
///
/// (or the same with STS's capitalised names `AccessKeyId`, … as in an `AssumeRole`
/// answer's `Credentials`). `expiration` is a `Date`, milliseconds since the epoch, or a
/// date string such as STS's `"2026-11-25T02:40:30Z"`; without it the credentials are
/// used until SLS rejects them. A rejected promise, a thrown error or a malformed answer
/// is a failed fetch: the producer keeps the previous credentials and calls again later
/// with backoff.
#[derive(Clone, Debug)]
pub struct JsCredentialsProvider {
    callback: Function,
}

impl JsCredentialsProvider {
    /// A provider calling `callback`.
    pub fn new(callback: Function) -> Self {
        Self { callback }
    }
}

#[async_trait(?Send)]
impl CredentialsProvider for JsCredentialsProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let value = self
            .callback
            .call0(&JsValue::UNDEFINED)
            .map_err(|e| failure("the credentials function threw", &e))?;
        let value = if value.has_type::<Promise>() || is_thenable(&value) {
            JsFuture::from(Promise::resolve(&value))
                .await
                .map_err(|e| failure("the credentials promise was rejected", &e))?
        } else {
            value
        };
        credentials_from_js(&value)
    }
}

/// Read credentials from a JS object (see [`JsCredentialsProvider`] for the fields).
///
/// # Errors
///
/// [`CredentialsError`] naming the missing or malformed field (never a secret value).
pub fn credentials_from_js(value: &JsValue) -> Result<Credentials, CredentialsError> {
    if !value.is_object() {
        return Err(CredentialsError::new(
            "the credentials function must resolve to an object { accessKeyId, accessKeySecret, securityToken, expiration }",
        ));
    }
    let id = string_field(value, "accessKeyId", "AccessKeyId")?
        .ok_or_else(|| CredentialsError::new("the credentials have no accessKeyId"))?;
    let secret = string_field(value, "accessKeySecret", "AccessKeySecret")?
        .ok_or_else(|| CredentialsError::new("the credentials have no accessKeySecret"))?;
    let mut credentials = Credentials::new(id, secret);
    if let Some(token) = string_field(value, "securityToken", "SecurityToken")? {
        credentials = credentials.with_security_token(token);
    }
    if let Some(expiration) = field(value, "expiration", "Expiration") {
        let ms = js_sys::Date::new(&expiration).get_time();
        if !ms.is_finite() || ms < 0.0 {
            return Err(CredentialsError::new(
                "the credentials' expiration is not a date, a number of milliseconds or a date string",
            ));
        }
        credentials = credentials.with_expiration(UnixTime::from_nanos(nanos_from_js_millis(ms)));
    }
    Ok(credentials)
}

/// `value[name]` or `value[alias]`, unless undefined or null.
fn field(value: &JsValue, name: &str, alias: &str) -> Option<JsValue> {
    [name, alias].into_iter().find_map(|key| {
        Reflect::get(value, &JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    })
}

fn string_field(
    value: &JsValue,
    name: &'static str,
    alias: &str,
) -> Result<Option<String>, CredentialsError> {
    match field(value, name, alias) {
        None => Ok(None),
        Some(v) => match v.as_string() {
            Some(s) if !s.is_empty() => Ok(Some(s)),
            Some(_) => Ok(None),
            None => {
                let mut message = String::from("the credentials' ");
                message.push_str(name);
                message.push_str(" is not a string");
                Err(CredentialsError::new(message))
            }
        },
    }
}

fn is_thenable(value: &JsValue) -> bool {
    value.is_object()
        && Reflect::get(value, &JsValue::from_str("then")).is_ok_and(|then| then.is_function())
}

/// A fetch failure: `what`, plus the JS error's message (the user's code wrote it; a
/// thrown non-error value is not quoted, it could be anything).
fn failure(what: &str, error: &JsValue) -> CredentialsError {
    let mut message = String::from(what);
    let detail = error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()));
    if let Some(detail) = detail {
        message.push_str(": ");
        message.push_str(&detail);
    }
    CredentialsError::new(message)
}
