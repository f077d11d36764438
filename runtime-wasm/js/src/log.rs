//! JS objects to logs.

use js_sys::{Array, JSON};
use sls_producer_core::Log;
use sls_producer_core::rt::UnixTime;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::error::{Code, error};
use crate::js::{entries, items};

#[wasm_bindgen]
extern "C" {
    /// The global `String` function: `String(value)`, the text JS itself would use.
    #[wasm_bindgen(js_name = String)]
    fn js_string(value: &JsValue) -> String;
}

/// The field that sets a log's time (Unix seconds), as in SLS's web-tracking JSON.
const TIME_FIELD: &str = "__time__";

/// The log of JS object `value`, stamped `now` unless it carries a numeric `__time__`.
///
/// Fields are the object's own enumerable string-keyed properties, in order. Strings are
/// taken as they are, objects and arrays as their JSON, other values as `String(value)`;
/// `undefined`, functions and symbols are left out (as `JSON.stringify` does).
pub(crate) fn log_from_js(value: &JsValue, now: UnixTime) -> Result<Log, JsValue> {
    if !value.is_object() || Array::is_array(value) || value.is_function() {
        return Err(error(
            Code::InvalidLog,
            "a log must be a plain object of fields, e.g. { event: \"click\" }",
        ));
    }
    let mut log = Log::from_unix_time(now);
    for (key, value) in entries(value) {
        let Some(key) = key.as_string() else {
            continue;
        };
        if key == TIME_FIELD {
            if let Some(secs) = value.as_f64().filter(|s| s.is_finite() && *s >= 0.0) {
                log.set_time(secs as u32);
                log.set_time_ns(None);
                continue;
            }
        }
        if let Some(text) = field_text(&value)? {
            log.push(key, text);
        }
    }
    Ok(log)
}

/// The logs of a JS array of objects.
pub(crate) fn logs_from_js(value: &JsValue, now: UnixTime) -> Result<Vec<Log>, JsValue> {
    let Some(array) = value.dyn_ref::<Array>() else {
        return Err(error(
            Code::InvalidLog,
            "sendList takes an array of log objects",
        ));
    };
    items(array).map(|v| log_from_js(&v, now)).collect()
}

fn field_text(value: &JsValue) -> Result<Option<String>, JsValue> {
    if let Some(s) = value.as_string() {
        return Ok(Some(s));
    }
    if value.is_undefined() || value.is_function() || value.is_symbol() {
        return Ok(None);
    }
    if value.is_object() {
        // Arrays, plain objects, Dates (JSON gives their ISO text). Throws on cycles and
        // BigInts inside.
        return match JSON::stringify(value) {
            Ok(json) => Ok(json.as_string()),
            Err(_) => Err(error(
                Code::InvalidLog,
                "a field value could not be turned into JSON (a cycle, or a BigInt inside)",
            )),
        };
    }
    Ok(Some(js_string(value)))
}
