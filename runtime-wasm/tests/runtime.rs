//! `WasmRuntime` in a real JS environment (no network): its clock, timer and spawner, and
//! what it tells a producer builder.
//!
//! Runs under Node by default; `WASM_BINDGEN_USE_BROWSER=1` / `_DEDICATED_WORKER=1` /
//! `_SERVICE_WORKER=1` run the same tests in headless Chromium.
#![cfg(wasm_browser)]

use core::cell::RefCell;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use std::rc::Rc;

use futures_channel::oneshot;
use js_sys::Reflect;
use sls_producer_core::rt::Instant;
use sls_producer_core::rt::{Clock, Runtime, Spawner, Timer};
use sls_producer_wasm::{ProducerConfig, WasmRuntime};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn performance_now_nanos() -> u64 {
    let performance = Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).unwrap();
    let now: js_sys::Function = Reflect::get(&performance, &JsValue::from_str("now"))
        .unwrap()
        .unchecked_into();
    let ms = now.call0(&performance).unwrap().as_f64().unwrap();
    // Far above 1 µs after the time origin by the time the tests run.
    (ms * 1_000_000.0) as u64
}

/// Poll `fut` once, without a runtime.
fn poll_once<F: Future>(fut: core::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

#[wasm_bindgen_test]
fn now_reads_performance_now_of_the_global_scope() {
    let runtime = WasmRuntime::new();
    assert!(
        runtime.is_high_resolution(),
        "performance.now() exists here"
    );
    let before = performance_now_nanos();
    let now = runtime.now().as_nanos();
    let after = performance_now_nanos();
    // 1 µs of slack for float rounding (performance.now() is coarser than that anyway).
    assert!(
        before.saturating_sub(1_000) <= now && now <= after + 1_000,
        "{before} <= {now} <= {after}"
    );
}

#[wasm_bindgen_test]
fn now_never_goes_backwards_across_runtimes() {
    let (a, b) = (WasmRuntime::new(), WasmRuntime::default());
    let mut last = a.now();
    for i in 0..20_000 {
        let now = if i % 2 == 0 { a.now() } else { b.now() };
        assert!(now >= last, "{now:?} < {last:?}");
        last = now;
    }
}

#[wasm_bindgen_test]
fn unix_time_is_date_now() {
    let runtime = WasmRuntime::new();
    let before = js_sys::Date::now() as u64;
    let unix = runtime.unix_time().as_millis();
    let after = js_sys::Date::now() as u64;
    assert!(
        before <= unix && unix <= after,
        "{before} <= {unix} <= {after}"
    );
}

#[wasm_bindgen_test]
fn a_reached_deadline_completes_at_once() {
    let runtime = WasmRuntime::new();
    for deadline in [Instant::ZERO, runtime.now()] {
        let sleep = pin!(runtime.sleep_until(deadline));
        assert!(poll_once(sleep).is_ready());
    }
}

#[wasm_bindgen_test]
async fn sleeps_complete_in_deadline_order() {
    let runtime = WasmRuntime::new();
    let start = runtime.now();
    let order = Rc::new(RefCell::new(Vec::new()));
    let mut done = Vec::new();
    // Spawned in an order different from the deadlines'.
    for (label, ms) in [(3, 60), (1, 20), (2, 40)] {
        let (tx, rx) = oneshot::channel();
        let order = Rc::clone(&order);
        runtime.spawn(Box::pin(async move {
            runtime.sleep_until(start + Duration::from_millis(ms)).await;
            order.borrow_mut().push(label);
            let _ = tx.send(());
        }));
        done.push(rx);
    }
    for rx in done {
        rx.await.unwrap();
    }
    assert_eq!(*order.borrow(), [1, 2, 3]);
}

#[wasm_bindgen_test]
async fn far_deadlines_do_not_wrap_into_immediate_timers() {
    // gloo-timers passes delays to setTimeout as i32: a u32 delay of 2^31 ms or more would
    // wrap negative and fire at once. The timer must split such waits instead.
    let runtime = WasmRuntime::new();
    let mut far = pin!(runtime.sleep_until(runtime.now() + Duration::from_secs(40 * 86_400)));
    let mut never = pin!(runtime.sleep_until(Instant::MAX));
    assert!(poll_once(far.as_mut()).is_pending());
    assert!(poll_once(never.as_mut()).is_pending());

    let near = runtime.now() + Duration::from_millis(30);
    runtime.sleep_until(near).await;

    assert!(poll_once(far.as_mut()).is_pending());
    assert!(poll_once(never.as_mut()).is_pending());
}

#[wasm_bindgen_test]
async fn spawned_tasks_run_to_completion() {
    let (tx, rx) = oneshot::channel();
    let runtime = WasmRuntime::new();
    runtime.spawn(Box::pin(async move {
        runtime
            .sleep_until(runtime.now() + Duration::from_millis(1))
            .await;
        let _ = tx.send(42_u32);
    }));
    assert_eq!(rx.await, Ok(42));
}

#[wasm_bindgen_test]
fn the_runtime_offers_fetch_and_refuses_to_block() {
    let runtime = WasmRuntime::new();
    assert!(
        !runtime.may_block(),
        "one thread: blocking would stall the driver"
    );
    assert_eq!(runtime.compress_helpers(), 0);
    let transport = runtime
        .default_transport(&ProducerConfig::new("http://127.0.0.1:1"))
        .expect("fetch is the default transport");
    assert!(
        !transport.can_set_date_header(),
        "fetch owns the Date header: producers sign with x-log-date"
    );
}
