//! Time: linger, retry, delivery and close deadlines.

use super::batch::{BatchId, Phase};
use super::{DeliveryFailure, Engine};
use crate::protocol::time::Instant;

impl<T> Engine<T> {
    /// The next instant at which [`Engine::handle_timeout`] has work (the earliest linger
    /// expiry, retry due time, delivery deadline or close deadline) or a credentials fetch
    /// is due ([`Engine::poll_credentials_fetch`]). `None` when no timer is pending.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let close = self
            .closing
            .and_then(|c| c.deadline)
            .filter(|_| !self.batches.is_empty());
        [
            self.lingers.first().map(|(t, _)| t),
            self.retries.first().map(|(t, _)| t),
            self.deadlines.first().map(|(t, _)| t),
            close,
            (self.settings.format.log_groups()).and_then(|_| self.sources.deadline()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Process every timer due at `now`: seal lingering batches, make due retries ready,
    /// fail batches past their delivery deadline (unless a request is in flight: its outcome
    /// decides), and once the close deadline has passed fail everything left.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((at, id)) = self.lingers.first() {
            if at > now {
                break;
            }
            self.seal(now, id);
            // A batch that lingered out before it filled: traffic is slow, so the spare
            // buffers kept for a burst go back to the allocator.
            self.pool.shrink(&mut self.memory);
        }
        while let Some((at, id)) = self.retries.first() {
            if at > now {
                break;
            }
            self.retries.remove(&(at, id));
            self.retry_due(id);
        }
        while let Some((at, id)) = self.deadlines.first() {
            if at > now {
                break;
            }
            self.deadlines.remove(&(at, id));
            let in_flight = self
                .batches
                .get(&id)
                .is_some_and(|b| matches!(b.phase, Phase::InFlight { .. }));
            if !in_flight {
                self.finish(id, None, Err(DeliveryFailure::DeliveryTimeout));
            }
        }
        if self
            .closing
            .and_then(|c| c.deadline)
            .is_some_and(|d| d <= now)
        {
            self.fail_everything();
        }
    }

    pub(super) fn retry_due(&mut self, id: BatchId) {
        let Some(batch) = self.batches.get_mut(&id) else {
            return;
        };
        let source = self
            .sources
            .get_mut(self.destinations.get(batch.to).credentials);
        if batch.min_credentials_generation > source.generation {
            batch.phase = Phase::AwaitingCredentials;
            source.hold(id);
        } else {
            batch.phase = Phase::Queued;
            self.ready.push_back(id);
        }
    }
}
