//! [`WasmTimer`]: the core's clock and timer on JS clocks and `setTimeout`.

use core::cell::RefCell;

use gloo_timers::future::TimeoutFuture;
use js_sys::Reflect;
use sls_producer_core::protocol::time::{Instant, UnixTime};
use sls_producer_core::rt::{Clock, Sleep, Timer};
use wasm_bindgen::prelude::*;

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
/// [`WasmTimer`] reads the same clock and their instants are comparable.
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

/// The producer's [`Clock`] and [`Timer`] in browsers, workers, Node and Cloudflare
/// Workers.
///
/// * [`Clock::now`] is `performance.now()` (milliseconds since the global's time origin,
///   monotonic by specification), reached through the **global scope**, so it works where
///   there is no `window`. Where `performance` is missing it falls back to `Date.now()`.
///   Either way a guard makes it never go backwards: a reading below the previous one
///   repeats the previous one. The clock and the guard are shared by every `WasmTimer` of
///   the wasm instance, so their instants are comparable.
/// * [`Clock::unix_time`] is `Date.now()` (whole milliseconds).
/// * [`Timer::sleep_until`] waits with `setTimeout` (gloo-timers), rounded up to whole
///   milliseconds; a deadline already reached completes at once; waits longer than
///   `setTimeout`'s limit (about 24.8 days) are chained. Dropping the [`Sleep`] calls
///   `clearTimeout`.
///
/// # Coarse and frozen clocks
///
/// Browsers coarsen `performance.now()` (to 100 µs, or 5 µs in cross-origin isolated
/// pages), and Node may fire a timer a fraction of a millisecond before `performance.now()`
/// reaches the deadline. On **Cloudflare Workers** both `performance.now()` and
/// `Date.now()` only advance after I/O (a Spectre mitigation): CPU work in between measures
/// zero, and a timer that fires may find the clock where it was when the timer was set.
/// A fired [`Sleep`] therefore means "the wait has elapsed", not "`now()` has reached the
/// deadline"; callers treat it as `max(now(), deadline)`, as the producer's driver does.
/// Local `workerd` and `wrangler dev` advance the clock normally.
#[derive(Clone, Copy, Debug, Default)]
pub struct WasmTimer {
    _private: (),
}

impl WasmTimer {
    /// The timer of this wasm instance's clock.
    pub fn new() -> Self {
        Self { _private: () }
    }

    /// `true` if the clock reads `performance.now()`, `false` if it fell back to
    /// `Date.now()` because the global scope has no `performance`.
    pub fn is_high_resolution(&self) -> bool {
        CLOCK.with(|clock| clock.borrow().performance.is_some())
    }
}

impl Clock for WasmTimer {
    fn now(&self) -> Instant {
        CLOCK.with(|clock| clock.borrow_mut().now())
    }

    fn unix_time(&self) -> UnixTime {
        UnixTime::from_nanos(nanos_from_js_millis(js_sys::Date::now()))
    }
}

impl Timer for WasmTimer {
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let steps = TimeoutSteps::new(deadline.saturating_duration_since(self.now()));
        if steps.is_empty() {
            return Sleep::new(core::future::ready(()));
        }
        Sleep::new(async move {
            for ms in steps {
                TimeoutFuture::new(ms).await;
            }
        })
    }
}
