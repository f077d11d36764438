//! The JS object reads and writes the API's modules share.
//!
//! Arrays are read by index with `Array::get`, never also through js-sys' iterator (which
//! binds a second indexed read), and options, targets and outcomes go through one `get`
//! and one `set`.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// `o[key] = value`.
pub(crate) fn set(o: &JsValue, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(o, &JsValue::from_str(key), &value.into());
}

/// `o[key]`, or `None` if it is undefined or null (or reading it threw).
pub(crate) fn get(o: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(o, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// The items of `array`, by index.
pub(crate) fn items(array: &Array) -> impl Iterator<Item = JsValue> + '_ {
    (0..array.length()).map(|i| array.get(i))
}

/// The own enumerable string-keyed properties of object `o`, in order: `Object.entries`.
pub(crate) fn entries(o: &JsValue) -> impl Iterator<Item = (JsValue, JsValue)> {
    let entries = Object::entries(o.unchecked_ref());
    (0..entries.length()).map(move |i| {
        let pair: Array = entries.get(i).unchecked_into();
        (pair.get(0), pair.get(1))
    })
}
