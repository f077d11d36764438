//! The keys of sorted maps and sets: the engine's ids and timers, each as a [`Raw`] key
//! that orders as it does.

use super::index::Raw;
use crate::engine::batch::BatchId;
use crate::engine::{AttemptId, Ticket};
use crate::protocol::time::Instant;

/// A key of a [`SortedMap`](super::SortedMap) or [`SortedSet`](super::SortedSet): a value
/// that converts to a [`Raw`] key and back, with `a < b` exactly when
/// `a.raw() < b.raw()`.
pub(crate) trait Key: Copy {
    /// The key as the index orders it.
    fn raw(self) -> Raw;

    /// The key of `raw` (from [`Key::raw`]).
    fn from_raw(raw: Raw) -> Self;
}

impl Key for BatchId {
    fn raw(self) -> Raw {
        Raw(self.0, 0)
    }

    fn from_raw(raw: Raw) -> Self {
        Self(raw.0)
    }
}

impl Key for AttemptId {
    fn raw(self) -> Raw {
        Raw(self.0, 0)
    }

    fn from_raw(raw: Raw) -> Self {
        Self(raw.0)
    }
}

impl Key for Ticket {
    fn raw(self) -> Raw {
        Raw(self.0, 0)
    }

    fn from_raw(raw: Raw) -> Self {
        Self(raw.0)
    }
}

/// A timer: when, then which batch.
impl Key for (Instant, BatchId) {
    fn raw(self) -> Raw {
        Raw(self.0.as_nanos(), self.1.0)
    }

    fn from_raw(raw: Raw) -> Self {
        (Instant::from_nanos(raw.0), BatchId(raw.1))
    }
}
