//! The server's wall clock: real by default, manual in tests.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sls_producer_core::rt::UnixTime;

/// Where the server reads the time for the request-skew check (`RequestTimeExpired`), STS
/// token expiry and the rate limit window.
pub trait ServerClock: Send + Sync + 'static {
    /// The current wall-clock time.
    fn now(&self) -> UnixTime;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl ServerClock for SystemClock {
    fn now(&self) -> UnixTime {
        // The one place this crate reads the OS clock: the server stands in for SLS, whose
        // clock is real. Tests that need a fixed time inject a `ManualClock` instead.
        #[allow(clippy::disallowed_methods)]
        let now = std::time::SystemTime::now();
        let nanos = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        UnixTime::from_nanos(nanos)
    }
}

/// A clock that only moves when told to; cheap to clone (clones share the time).
#[derive(Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock reading `t`.
    pub fn new(t: UnixTime) -> Self {
        Self {
            nanos: Arc::new(AtomicU64::new(t.as_nanos())),
        }
    }

    /// Set the time.
    pub fn set(&self, t: UnixTime) {
        self.nanos.store(t.as_nanos(), Ordering::SeqCst);
    }

    /// Move the time forward by `d`.
    pub fn advance(&self, d: core::time::Duration) {
        let add = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(add))
            });
    }
}

impl ServerClock for ManualClock {
    fn now(&self) -> UnixTime {
        UnixTime::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock")
            .field(&self.now().rfc1123())
            .finish()
    }
}
