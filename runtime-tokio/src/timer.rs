//! [`TokioTimer`]: the core's clock and timer on tokio's clock.

use core::time::Duration;
use std::time::SystemTime;

use sls_producer_core::protocol::time::{Instant, UnixTime, duration_nanos};
use sls_producer_core::rt::{Clock, Sleep, Timer};

/// The producer's [`Clock`] and [`Timer`] on tokio's clock.
///
/// * [`Clock::now`] is the time elapsed on **tokio's** clock ([`tokio::time::Instant`])
///   since the timer was created. Under `#[tokio::test(start_paused = true)]` it
///   therefore follows `tokio::time::advance` and auto-advance exactly, which makes
///   producer tests with long linger and backoff intervals instant and deterministic.
/// * [`Clock::unix_time`] is the real wall clock ([`SystemTime`]), also under paused time:
///   it only stamps `Date` headers and log times, and SLS rejects requests whose date is
///   far from its own.
/// * [`Timer::sleep_until`] is a [`tokio::time::sleep_until`]. Like every tokio timer it
///   fires at or after (never before) the deadline, rounded up to tokio's millisecond
///   tick. The future is created lazily, so `sleep_until` may be called on any thread,
///   but the [`Sleep`] must be polled inside a tokio runtime with the time driver on.
///
/// Cloning is cheap and clones share the origin, so their instants are comparable.
#[derive(Clone, Copy, Debug)]
pub struct TokioTimer {
    origin: tokio::time::Instant,
}

impl TokioTimer {
    /// A timer whose [`Instant::ZERO`] is tokio's "now" at this call. Inside a runtime
    /// with paused time that is the paused clock's current value.
    pub fn new() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }

    /// The tokio instant at which [`Clock::now`] returns `instant`, or `None` past the
    /// range of tokio's clock (treated as "never").
    fn to_tokio(self, instant: Instant) -> Option<tokio::time::Instant> {
        self.origin.checked_add(instant.since_origin())
    }
}

impl Default for TokioTimer {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioTimer {
    fn now(&self) -> Instant {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.origin);
        Instant::from_nanos(duration_nanos(elapsed))
    }

    fn unix_time(&self) -> UnixTime {
        unix_time_now()
    }
}

impl Timer for TokioTimer {
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        match self.to_tokio(deadline) {
            // Built inside the future: `tokio::time::sleep_until` needs a runtime context,
            // `sleep_until` itself may be called from any thread.
            Some(at) => Sleep::new(async move { tokio::time::sleep_until(at).await }),
            None => Sleep::new(core::future::pending()),
        }
    }
}

/// The wall clock. The one place in this crate that reads it.
fn unix_time_now() -> UnixTime {
    // The adapter is where ambient time is allowed: this is the runtime's wall clock.
    #[allow(clippy::disallowed_methods)]
    let now = SystemTime::now();
    // A clock set before 1970 reports the epoch rather than wrapping.
    let since_epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    UnixTime::from_nanos(duration_nanos(since_epoch))
}
