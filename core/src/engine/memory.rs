//! The producer's memory budget: bytes of accepted logs that have no outcome yet.

/// A byte budget with exact reservations.
///
/// The engine sits behind one lock, so "check, then reserve" is atomic: concurrent pushes
/// can never overshoot the limit (the Go producer only checks, then adds, and overshoots
/// under concurrency). Bytes are reserved before a push appends anything and released when
/// the batch holding them gets its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MemoryBudget {
    limit: usize,
    used: usize,
}

impl MemoryBudget {
    /// An empty budget of `limit` bytes.
    pub(crate) const fn new(limit: usize) -> Self {
        Self { limit, used: 0 }
    }

    /// Reserve `bytes` if they fit next to what is already reserved.
    pub(crate) fn try_reserve(&mut self, bytes: usize) -> bool {
        match self.used.checked_add(bytes) {
            Some(total) if total <= self.limit => {
                self.used = total;
                true
            }
            _ => false,
        }
    }

    /// Charge `bytes` already allocated, past the limit if need be (a reservation that
    /// turned out too small; never expected).
    pub(crate) fn add(&mut self, bytes: usize) {
        self.used = self.used.saturating_add(bytes);
    }

    /// Give back `bytes` reserved earlier.
    pub(crate) fn release(&mut self, bytes: usize) {
        debug_assert!(bytes <= self.used, "released more than reserved");
        self.used = self.used.saturating_sub(bytes);
    }

    /// Whether `bytes` could ever be reserved, i.e. fit into an empty budget.
    pub(crate) const fn can_ever_fit(&self, bytes: usize) -> bool {
        bytes <= self.limit
    }

    /// Bytes reserved now.
    pub(crate) const fn used(&self) -> usize {
        self.used
    }

    /// The limit.
    pub(crate) const fn limit(&self) -> usize {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservation_is_exact_at_the_limit() {
        let mut m = MemoryBudget::new(100);
        assert!(m.try_reserve(60));
        assert!(!m.try_reserve(41), "60 + 41 > 100 must be refused");
        assert_eq!(m.used(), 60, "a refused reservation reserves nothing");
        assert!(m.try_reserve(40));
        assert_eq!(m.used(), 100);
        assert!(!m.try_reserve(1));
        m.release(60);
        assert_eq!(m.used(), 40);
        assert!(m.try_reserve(60));
    }

    #[test]
    fn an_allocation_already_made_is_charged_even_past_the_limit() {
        let mut m = MemoryBudget::new(100);
        assert!(m.try_reserve(90));
        m.add(20);
        assert_eq!(m.used(), 110);
        assert!(
            !m.try_reserve(1),
            "nothing more fits until it is given back"
        );
        m.release(20);
        assert!(m.try_reserve(10));
    }

    #[test]
    fn overflowing_request_is_refused_not_wrapped() {
        let mut m = MemoryBudget::new(usize::MAX);
        assert!(m.try_reserve(10));
        assert!(!m.try_reserve(usize::MAX));
        assert!(m.can_ever_fit(usize::MAX));
        assert!(!MemoryBudget::new(5).can_ever_fit(6));
    }
}
