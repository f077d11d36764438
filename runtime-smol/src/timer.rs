//! [`SmolTimer`]: the core's clock and timer on the OS clock and async-io timers.

use core::time::Duration;
use std::time::SystemTime;

use sls_producer_core::protocol::time::{Instant, UnixTime, duration_nanos};
use sls_producer_core::rt::{Clock, Sleep, Timer};

/// The producer's [`Clock`] and [`Timer`] for smol (and any async-io based executor).
///
/// * [`Clock::now`] is the time elapsed on the OS monotonic clock
///   ([`std::time::Instant`]) since the timer was created.
/// * [`Clock::unix_time`] is the OS wall clock ([`SystemTime`]).
/// * [`Timer::sleep_until`] is an [`async_io::Timer::at`](smol::Timer::at) the deadline,
///   driven by async-io's reactor; it fires at or after (never before) the deadline.
///   Deadlines beyond the OS clock's range never fire.
///
/// Cloning is cheap and clones share the origin, so their instants are comparable.
#[derive(Clone, Copy, Debug)]
pub struct SmolTimer {
    origin: std::time::Instant,
}

impl SmolTimer {
    /// A timer whose [`Instant::ZERO`] is the moment of this call.
    pub fn new() -> Self {
        Self {
            origin: monotonic_now(),
        }
    }
}

impl Default for SmolTimer {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SmolTimer {
    fn now(&self) -> Instant {
        let elapsed = monotonic_now().saturating_duration_since(self.origin);
        Instant::from_nanos(duration_nanos(elapsed))
    }

    fn unix_time(&self) -> UnixTime {
        // The adapter is where ambient time is allowed: this is the runtime's wall clock.
        #[allow(clippy::disallowed_methods)]
        let now = SystemTime::now();
        // A clock set before 1970 reports the epoch rather than wrapping.
        let since_epoch = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        UnixTime::from_nanos(duration_nanos(since_epoch))
    }
}

impl Timer for SmolTimer {
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let timer = match self.origin.checked_add(deadline.since_origin()) {
            Some(at) => smol::Timer::at(at),
            None => smol::Timer::never(),
        };
        Sleep::new(async move {
            timer.await;
        })
    }
}

/// The OS monotonic clock. The one place in this crate that reads it.
pub(crate) fn monotonic_now() -> std::time::Instant {
    // The adapter is where ambient time is allowed: this is the runtime's clock.
    #[allow(clippy::disallowed_methods)]
    std::time::Instant::now()
}
