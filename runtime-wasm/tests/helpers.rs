//! The JS-facing helpers that need no server: `WaitUntil` with a fake Workers context,
//! credentials read from JS objects, and `PageLifeListener` outside pages.
#![cfg(wasm_browser)]

use core::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use sls_producer_core::rt::UnixTime;
use sls_producer_wasm::{NotAnExecutionContext, PageLifeListener, WaitUntil, credentials_from_js};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

/// A stand-in for the Workers `ctx`: `waitUntil` records the promises it is given.
fn fake_ctx() -> (JsValue, Rc<RefCell<Vec<Promise>>>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let record = Rc::clone(&seen);
    let wait_until = Closure::<dyn FnMut(JsValue)>::new(move |p: JsValue| {
        record.borrow_mut().push(p.unchecked_into());
    });
    let ctx = object(&[("waitUntil", wait_until.into_js_value())]);
    (ctx, seen)
}

#[wasm_bindgen_test]
async fn wait_until_hands_the_work_to_the_context() {
    let (ctx, seen) = fake_ctx();
    let wait_until = WaitUntil::new(&ctx).unwrap();
    let done = Rc::new(RefCell::new(false));
    let flag = Rc::clone(&done);
    wait_until.wait_until(async move { *flag.borrow_mut() = true });
    let promise = seen.borrow_mut().pop().expect("waitUntil was called");
    JsFuture::from(promise).await.unwrap();
    assert!(*done.borrow(), "the promise resolves once the work is done");
}

#[wasm_bindgen_test]
fn wait_until_refuses_anything_but_an_execution_context() {
    for not_ctx in [
        JsValue::UNDEFINED,
        JsValue::from_str("ctx"),
        object(&[]),
        object(&[("waitUntil", JsValue::from_f64(1.0))]),
    ] {
        let err = WaitUntil::new(&not_ctx).unwrap_err();
        assert_eq!(err, NotAnExecutionContext);
        assert!(err.to_string().contains("waitUntil"));
        let thrown: JsValue = err.into();
        assert!(thrown.is_instance_of::<js_sys::TypeError>());
    }
}

#[wasm_bindgen_test]
fn credentials_are_read_in_both_spellings_with_any_expiration_form() {
    let lower = object(&[
        ("accessKeyId", "STS.id".into()),
        ("accessKeySecret", "s3cr3t".into()),
        ("securityToken", "tok".into()),
        ("expiration", "2026-11-25T02:40:30Z".into()),
    ]);
    let c = credentials_from_js(&lower).unwrap();
    assert_eq!(c.access_key_id, "STS.id");
    assert_eq!(c.access_key_secret.expose(), "s3cr3t");
    assert_eq!(c.security_token.as_ref().unwrap().expose(), "tok");
    assert_eq!(c.expiration, Some(UnixTime::from_secs(1_795_574_430)));

    let sts = object(&[
        ("AccessKeyId", "STS.id".into()),
        ("AccessKeySecret", "s3cr3t".into()),
        ("SecurityToken", "tok".into()),
        ("Expiration", JsValue::from_f64(1_795_574_430_000.0)),
    ]);
    assert_eq!(credentials_from_js(&sts).unwrap(), c);

    let date = js_sys::Date::new(&JsValue::from_f64(1_795_574_430_000.0));
    let with_date = object(&[
        ("accessKeyId", "id".into()),
        ("accessKeySecret", "s".into()),
        ("expiration", date.into()),
    ]);
    let c = credentials_from_js(&with_date).unwrap();
    assert_eq!(c.expiration, Some(UnixTime::from_secs(1_795_574_430)));
    assert!(c.security_token.is_none());

    let no_expiry = object(&[
        ("accessKeyId", "id".into()),
        ("accessKeySecret", "s".into()),
    ]);
    assert_eq!(credentials_from_js(&no_expiry).unwrap().expiration, None);
}

#[wasm_bindgen_test]
fn malformed_credentials_name_the_field_never_the_secret() {
    let cases = [
        (JsValue::from_str("creds"), "an object"),
        (
            object(&[("accessKeySecret", "SECRET-1".into())]),
            "accessKeyId",
        ),
        (object(&[("accessKeyId", "id".into())]), "accessKeySecret"),
        (
            object(&[
                ("accessKeyId", JsValue::from_f64(7.0)),
                ("accessKeySecret", "SECRET-1".into()),
            ]),
            "accessKeyId",
        ),
        (
            object(&[
                ("accessKeyId", "id".into()),
                ("accessKeySecret", "SECRET-1".into()),
                ("expiration", "next tuesday".into()),
            ]),
            "expiration",
        ),
    ];
    for (value, field) in cases {
        let err = credentials_from_js(&value).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains(field), "{text}");
        assert!(!text.contains("SECRET-1"), "{text}");
    }
}

#[wasm_bindgen_test]
fn the_page_listener_needs_a_page() {
    let has_document =
        Reflect::get(&js_sys::global(), &"document".into()).is_ok_and(|d| d.is_object());
    let listener = PageLifeListener::install(|_| {});
    // Node and workers have no document: no listener. A page has one.
    assert_eq!(listener.is_some(), has_document);
    // Dropping it removes the listeners without error.
    drop(listener);
}
