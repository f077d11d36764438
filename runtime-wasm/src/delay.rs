//! Waits and clock readings as JS timers and clocks express them.
//!
//! Pure arithmetic, compiled and unit-tested on every target; the JS calls that use it live
//! in `timer.rs` and `fetch.rs`.

use core::time::Duration;

/// The longest delay `setTimeout` honours, in milliseconds: browsers, Node and workerd keep
/// it in a signed 32-bit integer (about 24.8 days). Larger values do not wait longer: they
/// wrap or are replaced by a 1 ms delay, so a long wait must be split.
pub(crate) const MAX_TIMEOUT_MS: u32 = i32::MAX as u32;

/// `d` in whole milliseconds, rounded **up** (a timer must not fire before its deadline),
/// saturating at `u64::MAX`.
pub(crate) fn ceil_millis(d: Duration) -> u64 {
    // In u64, not through `as_nanos()`: a u128 division links compiler-builtins' 128-bit
    // division (1 KB of code on wasm) for this alone.
    let sub_ms = u64::from(d.subsec_nanos().div_ceil(1_000_000));
    d.as_secs()
        .checked_mul(1000)
        .and_then(|ms| ms.checked_add(sub_ms))
        .unwrap_or(u64::MAX)
}

/// The `setTimeout` delay for a one-shot timeout of `d`, or `None` if `d` is longer than
/// any single timer can wait (treated as "no timeout").
pub(crate) fn single_timeout_ms(d: Duration) -> Option<u32> {
    u32::try_from(ceil_millis(d))
        .ok()
        .filter(|&ms| ms <= MAX_TIMEOUT_MS)
}

/// A wait of any length as a sequence of `setTimeout` delays, each at most
/// [`MAX_TIMEOUT_MS`], that add up to the wait rounded up to whole milliseconds.
///
/// The steps are counted, not re-checked against the clock: on Cloudflare Workers the
/// clock only advances after I/O, so "sleep until the clock says so" could wait forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimeoutSteps {
    remaining_ms: u64,
}

impl TimeoutSteps {
    /// The steps for a wait of `d`.
    pub(crate) fn new(d: Duration) -> Self {
        Self {
            remaining_ms: ceil_millis(d),
        }
    }

    /// `true` if there is nothing to wait for.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining_ms == 0
    }
}

impl Iterator for TimeoutSteps {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.remaining_ms == 0 {
            return None;
        }
        let step = u32::try_from(self.remaining_ms)
            .unwrap_or(MAX_TIMEOUT_MS)
            .min(MAX_TIMEOUT_MS);
        self.remaining_ms -= u64::from(step);
        Some(step)
    }
}

/// A JS millisecond reading (`performance.now()`, `Date.now()`) as whole nanoseconds.
/// Negative and NaN readings become `0`; readings past `u64::MAX` ns saturate.
///
/// Whole milliseconds are converted exactly (a plain `ms * 1e6` in `f64` is off by tens of
/// nanoseconds for epoch-sized values, enough to round `Date.now()` down a millisecond);
/// only the fraction goes through floating point. The conversion is non-decreasing, so a
/// clock that never goes back stays that way.
pub(crate) fn nanos_from_js_millis(ms: f64) -> u64 {
    let whole = ms.trunc();
    // Float-to-int `as` saturates and maps NaN to 0: exactly the clamping wanted here.
    let fraction_nanos = ((ms - whole) * 1_000_000.0) as u64;
    (whole as u64)
        .saturating_mul(1_000_000)
        .saturating_add(fraction_nanos)
}

/// A never-decreasing view of a clock that might step back (`Date.now()` after an NTP
/// correction, or a misbehaving `performance.now()`): each reading is the maximum of all
/// readings so far, so time stands still instead of going backwards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Monotonic {
    last: u64,
}

impl Monotonic {
    /// Feed a raw reading; get the monotonic one.
    pub(crate) fn observe(&mut self, raw: u64) -> u64 {
        self.last = self.last.max(raw);
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_millis_rounds_up_and_saturates() {
        assert_eq!(ceil_millis(Duration::ZERO), 0);
        assert_eq!(ceil_millis(Duration::from_nanos(1)), 1);
        assert_eq!(ceil_millis(Duration::from_micros(1_500)), 2);
        assert_eq!(ceil_millis(Duration::from_millis(7)), 7);
        assert_eq!(ceil_millis(Duration::new(3, 999_000_001)), 4_000);
        assert_eq!(
            ceil_millis(Duration::new(u64::MAX / 1000, 0)),
            u64::MAX / 1000 * 1000
        );
        assert_eq!(ceil_millis(Duration::new(u64::MAX / 1000 + 1, 0)), u64::MAX);
        assert_eq!(ceil_millis(Duration::MAX), u64::MAX);
    }

    #[test]
    fn single_timeout_fits_set_timeout_or_is_none() {
        assert_eq!(single_timeout_ms(Duration::from_secs(60)), Some(60_000));
        assert_eq!(single_timeout_ms(Duration::from_micros(1)), Some(1));
        assert_eq!(
            single_timeout_ms(Duration::from_millis(u64::from(MAX_TIMEOUT_MS))),
            Some(MAX_TIMEOUT_MS)
        );
        assert_eq!(
            single_timeout_ms(Duration::from_millis(u64::from(MAX_TIMEOUT_MS) + 1)),
            None
        );
        assert_eq!(single_timeout_ms(Duration::MAX), None);
    }

    #[test]
    fn short_waits_are_one_step() {
        assert!(TimeoutSteps::new(Duration::ZERO).is_empty());
        assert_eq!(TimeoutSteps::new(Duration::ZERO).count(), 0);
        let steps: Vec<u32> = TimeoutSteps::new(Duration::from_micros(10_001)).collect();
        assert_eq!(steps, [11]);
    }

    #[test]
    fn long_waits_split_into_steps_that_set_timeout_honours() {
        let max = u64::from(MAX_TIMEOUT_MS);
        let wait = Duration::from_millis(2 * max + 5);
        let steps: Vec<u32> = TimeoutSteps::new(wait).collect();
        assert_eq!(steps, [MAX_TIMEOUT_MS, MAX_TIMEOUT_MS, 5]);
        // No step would wrap when gloo-timers casts it to i32.
        assert!(steps.iter().all(|&s| i32::try_from(s).is_ok()));
        // "Never" is a very long, finite chain of valid steps.
        let mut never = TimeoutSteps::new(Duration::MAX);
        assert_eq!(never.next(), Some(MAX_TIMEOUT_MS));
        assert!(!never.is_empty());
    }

    #[test]
    fn js_millis_convert_with_clamping() {
        assert_eq!(nanos_from_js_millis(1.5), 1_500_000);
        assert_eq!(nanos_from_js_millis(0.0), 0);
        assert_eq!(nanos_from_js_millis(-3.0), 0);
        assert_eq!(nanos_from_js_millis(f64::NAN), 0);
        assert_eq!(nanos_from_js_millis(f64::INFINITY), u64::MAX);
        assert_eq!(nanos_from_js_millis(0.25), 250_000);
        // Date.now() values: exact to the millisecond, unlike `ms * 1e6` in f64.
        assert_eq!(
            nanos_from_js_millis(1_795_570_830_000.0),
            1_795_570_830_000_000_000
        );
        for ms in 1_795_570_830_000_u64..1_795_570_831_000 {
            assert_eq!(nanos_from_js_millis(ms as f64) / 1_000_000, ms);
        }
        // Non-decreasing across fractional readings.
        let mut last = 0;
        for i in 0..10_000 {
            let nanos = nanos_from_js_millis(1_000_000.0 + f64::from(i) * 0.005);
            assert!(nanos >= last);
            last = nanos;
        }
    }

    #[test]
    fn monotonic_never_goes_back() {
        let mut m = Monotonic::default();
        assert_eq!(m.observe(10), 10);
        assert_eq!(m.observe(7), 10);
        assert_eq!(m.observe(10), 10);
        assert_eq!(m.observe(12), 12);
    }
}
