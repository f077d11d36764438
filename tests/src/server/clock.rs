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

/// How far the server's clock is off (a fault, set with
/// [`Faults::set_clock_skew`](super::Faults::set_clock_skew)): the server checks request
/// dates against its skewed time and tells that time in `Date`, as a real server whose
/// clock is off (or a client whose clock is) would.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClockSkew {
    /// The clock is right.
    #[default]
    None,
    /// The server's clock is this far ahead.
    Ahead(core::time::Duration),
    /// The server's clock is this far behind.
    Behind(core::time::Duration),
}

impl ClockSkew {
    /// A skew of `ms` milliseconds: ahead if positive, behind if negative.
    pub fn from_millis(ms: i64) -> Self {
        let d = core::time::Duration::from_millis(ms.unsigned_abs());
        match ms {
            0 => Self::None,
            1.. => Self::Ahead(d),
            _ => Self::Behind(d),
        }
    }

    /// The skew in milliseconds: positive when ahead.
    pub fn as_millis(self) -> i64 {
        let ms = |d: core::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        match self {
            Self::None => 0,
            Self::Ahead(d) => ms(d),
            Self::Behind(d) => -ms(d),
        }
    }

    /// `t` as the skewed clock reads it.
    pub fn apply(self, t: UnixTime) -> UnixTime {
        match self {
            Self::None => t,
            Self::Ahead(d) => t.saturating_add(d),
            Self::Behind(d) => {
                let back = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
                UnixTime::from_nanos(t.as_nanos().saturating_sub(back))
            }
        }
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock")
            .field(&self.now().rfc1123())
            .finish()
    }
}
