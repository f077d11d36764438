//! Long outages with a disk spool: the bodies of written batches leave memory while they
//! wait for a retry, and are read back from the spool before their next attempt.
//!
//! While SLS is unreachable, sealed batches pile up waiting for their retries. Without a
//! spool they hold the memory budget until sends are refused ([`BufferFull`]); with one,
//! every such batch is on disk already, so its body need not stay in memory too. Bodies
//! leave memory, oldest first, one batch at a time, in two cases:
//!
//! * **Spill** ([`Engine::spill`]): the bodies in memory that could leave it
//!   ([`Resident`]) hold more than half the budget ([`SPILL_ABOVE`]); only batches
//!   waiting for a retry (in backoff) go. Checked when a batch is scheduled for a retry
//!   and when a body comes (back) into memory. Holding at most half the budget in bodies
//!   that wait keeps the process within the budget: bodies of ~100 KiB freed and
//!   allocated in turn leave the allocator free chunks between them (glibc kept 17.7 MB
//!   of them beside 64 MiB of bodies), and those grow with what the bodies hold.
//! * **Pressure** ([`Engine::evict_one`]): a send would not fit. Any waiting body goes
//!   (in backoff, waiting for credentials, or queued), until the send fits. A send that
//!   fits costs nothing more.
//!
//! The oldest goes first: it has failed the most often, so it waits the longest backoff,
//! and the newest batches are the likeliest to go out first once the service is back.
//!
//! The batch keeps everything but its body: route, logs, pack id (inside the body on
//! disk), store key, attempts, deadlines. Its bookkeeping stays charged. When the batch
//! is due, `poll_transmit` parks it; [`Engine::poll_read`] reserves its body's bytes in
//! the budget once the bodies in memory are below a quarter of the budget
//! ([`READ_BELOW`]: during an outage they stay above it, so no body is read back only to
//! fail again), and hands its key to the driver, which reads the record back on the
//! store's blocking pool and reports with [`Engine::handle_read`]; the batch is then sent
//! as before. A record that cannot be read back (damaged, or deleted by
//! `WhenFull::DropOldest`) fails the batch with [`DeliveryFailure::Spool`], counted in
//! [`Metrics::spool_read_failed_batches`].
//!
//! Only batches **without tracked sends** are evicted: a tracked send whose batch fails
//! for good gets its logs handed back, and those are decoded from the body in memory.
//! Batches in flight, not yet written, or whose record the spool deleted keep their body.
//!
//! ```text
//!  stored, waiting ─(spill, or a send would not fit)─► Evicted ─(due: poll_transmit)─►
//!  to_read ─(poll_read: below READ_BELOW, budget reserved)─► reading ─(handle_read)─►
//!  Sealed, queued
//! ```
//!
//! [`BufferFull`]: super::SendError::BufferFull
//! [`Metrics::spool_read_failed_batches`]: super::Metrics::spool_read_failed_batches

use alloc::vec::Vec;

use super::batch::{BatchId, Body, Phase};
use super::{DeliveryFailure, Engine};
use crate::durable::{BodyRead, StoreError, StoreErrorKind};
use crate::protocol::http::Bytes;

mod resident;

pub(super) use resident::Resident;

/// Bodies waiting for a retry leave memory while the bodies that could leave it hold more
/// than the budget divided by this.
pub(super) const SPILL_ABOVE: usize = 2;

/// Bodies are read back while the bodies in memory that could leave it, with those being
/// read, hold at most the budget divided by this (or none at all).
pub(super) const READ_BELOW: usize = 4;

/// Which waiting batches may lose their body.
#[derive(Clone, Copy)]
enum Waiting {
    /// Only batches in backoff: the spill.
    Retry,
    /// Batches in backoff, waiting for credentials, or queued: a send needs the room.
    Any,
}

impl Waiting {
    fn admits(self, phase: &Phase) -> bool {
        match self {
            Self::Retry => matches!(phase, Phase::Backoff { .. }),
            Self::Any => matches!(
                phase,
                Phase::Backoff { .. } | Phase::Queued | Phase::AwaitingCredentials
            ),
        }
    }
}

impl<T> Engine<T> {
    /// Drop the body of the oldest written, untracked batch waiting for an attempt, giving
    /// its charge back to the budget: a send needs the room. Returns whether one was
    /// dropped (never without a spool).
    pub(super) fn evict_one(&mut self) -> bool {
        self.evict_oldest(Waiting::Any)
    }

    /// Drop the bodies of the oldest batches waiting for a retry while the bodies that
    /// could leave memory hold more than the budget's [`SPILL_ABOVE`] share.
    pub(super) fn spill(&mut self) {
        let mark = self.memory.limit() / SPILL_ABOVE;
        while self
            .durable
            .as_ref()
            .is_some_and(|d| d.resident.bytes() > mark)
        {
            if !self.evict_oldest(Waiting::Retry) {
                return;
            }
        }
    }

    fn evict_oldest(&mut self, waiting: Waiting) -> bool {
        let Some(d) = self.durable.as_mut() else {
            return false;
        };
        let chosen = d.resident.ids().copied().find(|id| {
            self.batches
                .get(id)
                .is_some_and(|b| matches!(b.body, Body::Sealed(_)) && waiting.admits(&b.phase))
        });
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
    /// report them by in [`Engine::handle_read`] and the reads for the store. A body is
    /// read only while the bodies in memory that could leave it, with those being read,
    /// stay within a quarter of the budget (or there are none): during an
    /// outage the bodies waiting for their retry keep it above that, and the reads wait
    /// for deliveries. Each body's bytes are then reserved in the memory budget: if they
    /// do not fit (spare buffers given back), the rest wait for room, which a finished
    /// batch frees. The buffer each
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
            let held = d.resident.bytes() + d.reading.values().sum::<usize>();
            if held > 0 && held + len > self.memory.limit() / READ_BELOW {
                d.to_read.insert(id);
                break;
            }
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
            d.resident.insert(id, len);
            if matches!(batch.phase, Phase::Queued) {
                self.ready.push_front(id);
                self.wakeup = true;
            }
        }
        self.spill();
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
