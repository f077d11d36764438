//! The keep-alive quota of `fetch`.
//!
//! Pure bookkeeping, compiled and unit-tested on every target; `page.rs` uses it.

/// The bytes of request bodies a document may have in flight with `keepalive: true`:
/// browsers refuse a keep-alive request that would bring the total over 64 KiB (the Fetch
/// standard's "inflight keepalive bytes" limit). The transport keeps the producer's
/// own keep-alive requests within it.
pub const KEEPALIVE_QUOTA: usize = 64 * 1024;

/// Bytes of keep-alive request bodies this producer has in flight, against
/// [`KEEPALIVE_QUOTA`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeepaliveBudget {
    in_flight: usize,
}

impl KeepaliveBudget {
    /// Reserve `len` bytes for a keep-alive request; `false` (nothing reserved) if they do
    /// not fit, in which case the request must go without `keepalive`.
    pub(crate) fn try_reserve(&mut self, len: usize) -> bool {
        match self.in_flight.checked_add(len) {
            Some(total) if total <= KEEPALIVE_QUOTA => {
                self.in_flight = total;
                true
            }
            _ => false,
        }
    }

    /// Return the bytes of a finished (or abandoned) keep-alive request.
    pub(crate) fn release(&mut self, len: usize) {
        self.in_flight = self.in_flight.saturating_sub(len);
    }

    /// Bytes reserved now.
    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_never_exceed_the_quota() {
        let mut budget = KeepaliveBudget::default();
        assert!(budget.try_reserve(40 * 1024));
        assert!(!budget.try_reserve(30 * 1024), "would exceed 64 KiB");
        assert_eq!(budget.in_flight(), 40 * 1024);
        assert!(budget.try_reserve(24 * 1024), "exactly the quota fits");
        assert!(!budget.try_reserve(1));
        budget.release(40 * 1024);
        assert!(budget.try_reserve(30 * 1024));
        assert_eq!(budget.in_flight(), 54 * 1024);
    }

    #[test]
    fn oversized_bodies_never_fit_and_release_saturates() {
        let mut budget = KeepaliveBudget::default();
        assert!(!budget.try_reserve(KEEPALIVE_QUOTA + 1));
        assert!(!budget.try_reserve(usize::MAX));
        assert!(budget.try_reserve(0));
        budget.release(5);
        assert_eq!(budget.in_flight(), 0);
        assert!(budget.try_reserve(KEEPALIVE_QUOTA));
        assert!(!budget.try_reserve(usize::MAX), "no overflow");
    }
}
