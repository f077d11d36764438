//! Long outages with a disk spool: the bodies of written batches leave memory when the
//! budget is short, and are read back from the spool before their next attempt.
//!
//! While SLS is unreachable, sealed batches pile up waiting for their retries. Without a
//! spool they hold the memory budget until sends are refused ([`BufferFull`]); with one,
//! every such batch is on disk already, so its body need not stay in memory too. When a
//! send would not fit, the engine drops the body of the **oldest** written batch that is
//! waiting (for its backoff, for credentials, or for its turn in the queue) and gives its
//! charge back, one batch at a time until the send fits
//! ([`Engine::evict_one`], called only on the path that would refuse a send, so a send
//! that fits costs nothing more). The oldest goes first: it has failed the most often, so
//! it waits the longest backoff, and the newest batches are the likeliest to go out first
//! once the service is back.
//!
//! The batch keeps everything but its body: route, logs, pack id (inside the body on
//! disk), store key, attempts, deadlines. Its bookkeeping stays charged. When the batch
//! is due, `poll_transmit` parks it; [`Engine::poll_read`] reserves its body's bytes in
//! the budget (evicting another waiting body if need be, else waiting for room) and
//! hands its key to the driver, which reads the record back on the store's blocking pool
//! and reports with [`Engine::handle_read`]; the batch is then sent as before. A record
//! that cannot be read back (damaged, or deleted by `WhenFull::DropOldest`) fails the
//! batch with [`DeliveryFailure::Spool`], counted in [`Metrics::spool_read_failed_batches`].
//!
//! Only batches **without tracked sends** are evicted: a tracked send whose batch fails
//! for good gets its logs handed back, and those are decoded from the body in memory.
//! Batches in flight, not yet written, or whose record the spool deleted keep their body.
//!
//! ```text
//!  stored, waiting ─(a send would not fit: evict_one)─► Evicted ─(due: poll_transmit)─►
//!  to_read ─(poll_read: budget reserved)─► reading ─(handle_read)─► Sealed, queued
//! ```
//!
//! [`BufferFull`]: super::SendError::BufferFull
//! [`Metrics::spool_read_failed_batches`]: super::Metrics::spool_read_failed_batches

use alloc::vec::Vec;

use super::batch::{BatchId, Body, Phase};
use super::{DeliveryFailure, Engine};
use crate::durable::{BodyRead, StoreError, StoreErrorKind};
use crate::protocol::http::Bytes;

impl<T> Engine<T> {
    /// Drop the body of the oldest written, untracked batch waiting for an attempt, giving
    /// its charge back to the budget. Returns whether one was dropped (never without a
    /// spool).
    pub(super) fn evict_one(&mut self) -> bool {
        let Some(d) = self.durable.as_mut() else {
            return false;
        };
        let mut chosen = None;
        for &id in &d.resident {
            let waiting = self.batches.get(&id).is_some_and(|b| {
                matches!(b.body, Body::Sealed(_))
                    && matches!(
                        b.phase,
                        Phase::Backoff { .. } | Phase::Queued | Phase::AwaitingCredentials
                    )
            });
            if waiting {
                chosen = Some(id);
                break;
            }
        }
        let Some(id) = chosen else {
            return false;
        };
        d.resident.remove(&id);
        let batch = self.batches.get_mut(&id).expect("chosen above");
        let Body::Sealed(sealed) = &batch.body else {
            unreachable!("chosen above")
        };
        let len = sealed.body_len();
        let body = sealed.prepared();
        batch.body = Body::Evicted {
            len,
            raw_len: body.raw_len(),
            compression: body.compression(),
        };
        self.pool.body_dropped(len);
        self.memory.release(batch.buffer);
        batch.charge -= batch.buffer;
        batch.buffer = 0;
        d.counters.evicted_batches += 1;
        d.counters.evicted_bytes += len as u64;
        true
    }

    /// Whether `poll_transmit` must wait with batch `id` for its body to be read back; if
    /// so it is parked until [`Engine::handle_read`] puts it back in the queue.
    pub(super) fn hold_evicted(&mut self, id: BatchId) -> bool {
        let evicted = self.is_evicted(id);
        if evicted {
            if let Some(d) = self.durable.as_mut() {
                if !d.reading.contains_key(&id) {
                    d.to_read.insert(id);
                }
            }
        }
        evicted
    }

    /// Bodies to read back from the store now (at most `max`), oldest first, as the ids to
    /// report them by in [`Engine::handle_read`] and the reads for the store. Each body's
    /// bytes are reserved in the memory budget first: if they do not fit (spare buffers
    /// given back), the rest wait for room, which a finished batch frees. The buffer each
    /// body is read into is allocated here, at the body's length: the memory the budget
    /// charges comes from the allocator the engine's other buffers use.
    ///
    /// A read never evicts another body: while the service is down, every batch in memory
    /// is waiting too, and trading one body for another would read and drop bodies at each
    /// retry for nothing (in a 120 s outage, 11.8 GiB read back to send 6 M logs). The
    /// batches in memory go first once the service is back, and make the room.
    pub fn poll_read(&mut self, max: usize) -> Vec<(u64, BodyRead)> {
        let mut out = Vec::new();
        while out.len() < max {
            let Some(d) = self.durable.as_mut() else {
                break;
            };
            let Some(id) = d.to_read.pop_first() else {
                break;
            };
            let len = match self.batches.get(&id).map(|b| &b.body) {
                Some(Body::Evicted { len, .. }) => *len,
                _ => continue, // finished meanwhile
            };
            let Some(&Some(key)) = d.stored.get(&id) else {
                // Its record was deleted to make room: nothing to read.
                self.read_failed(id, StoreErrorKind::Full);
                continue;
            };
            if !self.memory.can_ever_fit(len) {
                // Larger than the budget (written under another configuration): charged
                // past it, as replayed batches are.
                self.memory.add(len);
            } else {
                while !self.memory.try_reserve(len) {
                    if !self.pool.drop_one(&mut self.memory) {
                        let d = self.durable.as_mut().expect("checked above");
                        d.to_read.insert(id);
                        return out;
                    }
                }
            }
            let d = self.durable.as_mut().expect("checked above");
            d.reading.insert(id, len);
            let into = Vec::with_capacity(len);
            out.push((id.0, BodyRead { key, into }));
        }
        out
    }

    /// Take the bodies read back for [`Engine::poll_read`], in any order: each batch is
    /// sealed again and queued for its attempt. A body that could not be read (or is not
    /// the length written) fails its batch with [`DeliveryFailure::Spool`].
    pub fn handle_read(&mut self, results: Vec<(u64, Result<Bytes, StoreError>)>) {
        for (id, result) in results {
            let id = BatchId(id);
            let Some(d) = self.durable.as_mut() else {
                return;
            };
            let reserved = d.reading.remove(&id).unwrap_or(0);
            let Some(batch) = self.batches.get_mut(&id) else {
                self.memory.release(reserved); // finished meanwhile
                continue;
            };
            let Body::Evicted {
                len,
                raw_len,
                compression,
            } = batch.body
            else {
                self.memory.release(reserved);
                continue;
            };
            let body = match result {
                Ok(body) if body.len() == len => body,
                Ok(_) => {
                    self.memory.release(reserved);
                    self.read_failed(id, StoreErrorKind::Io);
                    continue;
                }
                Err(error) => {
                    self.memory.release(reserved);
                    self.read_failed(id, error.kind);
                    continue;
                }
            };
            let wire = &self.destinations.get(batch.to).wire;
            batch.body = Body::Sealed(wire.reseal(&batch.route, body, raw_len, compression));
            // The reservation becomes the batch's charge for its body.
            self.memory.release(reserved);
            self.memory.add(len);
            batch.buffer = len;
            batch.charge += len;
            self.pool.body_sealed(len);
            d.counters.read_back_batches += 1;
            d.resident.insert(id);
            if matches!(batch.phase, Phase::Queued) {
                self.ready.push_front(id);
                self.wakeup = true;
            }
        }
    }

    /// Batches whose records the spool deleted to make room (`WhenFull::DropOldest`):
    /// those whose body had left memory are lost and fail.
    pub(super) fn fail_lost_bodies(&mut self, ids: Vec<BatchId>) {
        for id in ids {
            if self.is_evicted(id) {
                if let Some(d) = self.durable.as_mut() {
                    d.to_read.remove(&id);
                }
                self.read_failed(id, StoreErrorKind::Full);
            }
        }
    }

    /// Whether batch `id`'s body has left memory.
    fn is_evicted(&self, id: BatchId) -> bool {
        self.batches
            .get(&id)
            .is_some_and(|b| matches!(b.body, Body::Evicted { .. }))
    }

    /// Batch `id`'s body could not be read back: it fails, counted.
    fn read_failed(&mut self, id: BatchId, kind: StoreErrorKind) {
        if let Some(d) = self.durable.as_mut() {
            d.counters.read_failed_batches += 1;
        }
        self.finish(id, None, Err(DeliveryFailure::Spool { kind }));
    }
}

#[cfg(test)]
mod tests;
