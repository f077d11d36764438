//! [`WasmRuntime`]: the core's runtime traits on JS clocks, `setTimeout`, `spawn_local` and
//! `fetch`.

use core::cell::RefCell;
use std::sync::Arc;

use async_trait::async_trait;
use gloo_timers::future::TimeoutFuture;
use js_sys::Reflect;
use sls_producer_core::config::ProducerConfig;
use sls_producer_core::rt::{BoxFuture, Clock, HttpTransport, Runtime, Spawner, Timer};
use sls_producer_core::rt::{Instant, UnixTime};
use wasm_bindgen::prelude::*;

use crate::FetchTransport;
use crate::delay::{Monotonic, TimeoutSteps, nanos_from_js_millis};

#[wasm_bindgen]
extern "C" {
    /// The `performance` object of whatever the global scope is.
    type Performance;

    #[wasm_bindgen(method)]
    fn now(this: &Performance) -> f64;
}

/// The monotonic clock of this wasm instance: its source, chosen once, and the guard that
/// keeps it from going backwards. One per instance (JS is single-threaded), so every
/// [`WasmRuntime`] reads the same clock and their instants are comparable.
struct InstanceClock {
    performance: Option<Performance>,
    monotonic: Monotonic,
}

impl InstanceClock {
    fn detect() -> Self {
        Self {
            performance: global_performance(),
            monotonic: Monotonic::default(),
        }
    }

    fn now(&mut self) -> Instant {
        let ms = match &self.performance {
            Some(performance) => performance.now(),
            None => js_sys::Date::now(),
        };
        Instant::from_nanos(self.monotonic.observe(nanos_from_js_millis(ms)))
    }
}

thread_local! {
    static CLOCK: RefCell<InstanceClock> = RefCell::new(InstanceClock::detect());
}

/// `globalThis.performance`, if it exists and has a `now` method. Looked up on the global
/// object, not on `window`, which workers, Node and workerd do not have.
fn global_performance() -> Option<Performance> {
    let performance = Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).ok()?;
    let now = Reflect::get(&performance, &JsValue::from_str("now")).ok()?;
    now.is_function().then(|| performance.unchecked_into())
}

/// The producer's [`Runtime`] in browsers (pages, dedicated and service workers), Node ≥ 18
/// and Cloudflare Workers / workerd: a clock, a timer, a spawner and a default transport,
/// all reached through the **global scope** (`globalThis`), never `window`.
///
/// ```ignore
/// use sls_producer_wasm::{Credentials, Producer, ProducerBuilderExt as _, ProducerConfig};
///
/// let producer = Producer::builder(ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"))
///     .with_credentials(Credentials::new(id, secret))
///     .build()?; // = .build_on(WasmRuntime::new())
/// ```
///
/// * [`Clock::now`] is `performance.now()` (milliseconds since the global's time origin,
///   monotonic by specification). Where `performance` is missing it falls back to
///   `Date.now()`. Either way a guard makes it never go backwards: a reading below the
///   previous one repeats the previous one. The clock and the guard are shared by every
///   `WasmRuntime` of the wasm instance, so their instants are comparable.
/// * [`Clock::unix_time`] is `Date.now()` (whole milliseconds).
/// * [`Timer::sleep_until`] waits with `setTimeout` (gloo-timers), rounded up to whole
///   milliseconds; a deadline already reached completes at once; waits longer than
///   `setTimeout`'s limit (about 24.8 days) are chained. Dropping the future calls
///   `clearTimeout`.
/// * [`Spawner::spawn`] is [`wasm_bindgen_futures::spawn_local`]: the task starts on the
///   microtask queue, after the current JS task returns, and runs as long as the page,
///   worker or process lives. On Cloudflare Workers, work still pending after the response
///   has been returned is cancelled unless it is kept alive with `ctx.waitUntil` (see
///   [`WaitUntil`](crate::WaitUntil)).
/// * [`Runtime::default_transport`] is a [`FetchTransport`] with the configuration's
///   `request_timeout` (`fetch` has no separate connect timeout). It cannot send a `Date`
///   header, so the default `DateHeader::Auto` signs with `x-log-date`.
/// * [`Runtime::compress_helpers`] is `0`: there is one thread, the driver compresses.
/// * [`Runtime::may_block`] is `false`: blocking the only thread would stall the producer,
///   so the `*_blocking` methods are refused.
///
/// # Coarse and frozen clocks
///
/// Browsers coarsen `performance.now()` (to 100 µs, or 5 µs in cross-origin isolated
/// pages), and Node may fire a timer a fraction of a millisecond before `performance.now()`
/// reaches the deadline. On **Cloudflare Workers** both `performance.now()` and
/// `Date.now()` only advance after I/O (a Spectre mitigation): CPU work in between measures
/// zero, and a timer that fires may find the clock where it was when the timer was set.
/// A completed `sleep_until` therefore means "the wait has elapsed", not "`now()` has
/// reached the deadline"; callers treat it as `max(now(), deadline)`, as the producer's
/// driver does. Local `workerd` and `wrangler dev` advance the clock normally.
#[derive(Clone, Copy, Debug, Default)]
pub struct WasmRuntime {
    _private: (),
}

impl WasmRuntime {
    /// The runtime of this wasm instance: its clock, `setTimeout` and `spawn_local`.
    pub fn new() -> Self {
        Self { _private: () }
    }

    /// `true` if the clock reads `performance.now()`, `false` if it fell back to
    /// `Date.now()` because the global scope has no `performance`.
    pub fn is_high_resolution(&self) -> bool {
        CLOCK.with(|clock| clock.borrow().performance.is_some())
    }
}

impl Clock for WasmRuntime {
    fn now(&self) -> Instant {
        CLOCK.with(|clock| clock.borrow_mut().now())
    }

    fn unix_time(&self) -> UnixTime {
        UnixTime::from_nanos(nanos_from_js_millis(js_sys::Date::now()))
    }
}

#[async_trait(?Send)]
impl Timer for WasmRuntime {
    async fn sleep_until(&self, deadline: Instant) {
        for ms in TimeoutSteps::new(deadline.saturating_duration_since(self.now())) {
            TimeoutFuture::new(ms).await;
        }
    }
}

impl Spawner for WasmRuntime {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        wasm_bindgen_futures::spawn_local(task);
    }
}

impl Runtime for WasmRuntime {
    fn default_transport(&self, config: &ProducerConfig) -> Option<Arc<dyn HttpTransport>> {
        let fetch = FetchTransport::new().with_request_timeout(config.request_timeout);
        Some(Arc::new(fetch))
    }

    fn compress_helpers(&self) -> usize {
        0
    }

    fn may_block(&self) -> bool {
        false
    }
}
