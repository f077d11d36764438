//! The engine's side of a disk spool ([`crate::durable`]): which sealed batches must be
//! written before their first attempt, which written ones to acknowledge, and the batches
//! of earlier runs, replayed before any new one.
//!
//! The engine does no I/O: a driver takes the work with [`Engine::poll_store`],
//! [`Engine::poll_acks`] and [`Engine::poll_replay`], runs it on a
//! [`BatchStore`](crate::durable::BatchStore), and reports with
//! [`Engine::handle_written`] and [`Engine::handle_replayed`]. Without
//! [`Engine::enable_durable`] none of this exists and batches are sent as soon as they are
//! sealed.
//!
//! ```text
//!  sealed ─► to_store ─(poll_store: compressed, in id order)─► writing ─► stored ─► sent
//!               poll_transmit parks an unwritten batch until handle_written puts it back
//!  delivered / given up ─► to_ack (a batch closed by the close deadline stays stored)
//! ```
//!
//! A stored batch's body may leave memory while it waits and be read back before its
//! next attempt: see [`evict`](super::evict).

use alloc::vec::Vec;

use super::attempt::AttemptHistory;
use super::batch::{Batch, BatchId, Body, Phase};
use super::clock::ClockOffset;
use super::evict::Resident;
use super::fifo::Fifo;
use super::metrics::SpoolCounters;
use super::sorted::{SortedMap, SortedSet};
use super::{DeliveryFailure, Engine};
use crate::durable::{Recovered, Replay, SpooledBatch, StoreError, StoreKey, Written};
use crate::protocol::time::Instant;

/// The spool state of an engine with a store.
#[derive(Debug, Default)]
pub(super) struct Durable {
    /// Sealed batches not written yet, in id order (per route, seal order).
    to_store: SortedSet<BatchId>,
    /// Batches handed out by `poll_store`, waiting for `handle_written`; the value is set
    /// once the batch finished meanwhile: whether its record is then acknowledged.
    writing: SortedMap<BatchId, Option<bool>>,
    /// Written batches still in the engine, and their keys (`None`: the spool dropped the
    /// record to make room; the batch is sent from memory and not acknowledged).
    pub(super) stored: SortedMap<BatchId, Option<StoreKey>>,
    /// Batches `poll_transmit` took off the ready queue before they were written.
    parked: SortedSet<BatchId>,
    /// Keys of finished batches to acknowledge.
    to_ack: Vec<StoreKey>,
    /// `poll_acks` handed out keys not reported done yet.
    acking: bool,
    /// Earlier runs' batches may still be on disk: new batches wait in `held`.
    replaying: bool,
    /// `poll_replay` handed out a request not answered yet.
    replay_asked: bool,
    /// Replayed batches in the engine.
    replayed: SortedSet<BatchId>,
    /// New batches taken off the ready queue while replaying, in order.
    held: Fifo<BatchId>,
    /// Bodies in memory that may leave it: written, untracked batches (see `evict.rs`).
    pub(super) resident: Resident,
    /// Evicted batches due for an attempt, waiting for their body to be read back.
    pub(super) to_read: SortedSet<BatchId>,
    /// Batches handed out by `poll_read`, and the budget bytes reserved for each body.
    pub(super) reading: SortedMap<BatchId, usize>,
    pub(super) counters: SpoolCounters,
}

impl Durable {
    /// A batch was sealed and handed to compression (or compressed by `poll_transmit`):
    /// it is written once compressed.
    pub(super) fn sealed(&mut self, id: BatchId) {
        self.to_store.insert(id);
    }

    /// Whether sealed batch `id` must wait until it is written; if so it is parked (and
    /// queued for writing if nothing queued it yet).
    pub(super) fn hold(&mut self, id: BatchId) -> bool {
        if self.stored.contains_key(&id) {
            return false;
        }
        if !self.writing.contains_key(&id) {
            self.to_store.insert(id);
        }
        self.parked.insert(id);
        true
    }
}

/// Replayed batches in the engine at once at most, per allowed in-flight request.
const REPLAY_WINDOW_PER_REQUEST: usize = 2;

impl<T> Engine<T> {
    /// Write every sealed batch to a store before its first attempt. `recovered`: what
    /// the store found at open; with batches from earlier runs, new batches wait until
    /// [`Engine::poll_replay`] has handed them all out (or the producer closes).
    pub fn enable_durable(&mut self, recovered: Recovered) {
        let mut durable = Durable {
            replaying: recovered.batches > 0,
            ..Durable::default()
        };
        durable.counters.spool_skipped_records = recovered.corrupt;
        self.durable = Some(durable);
    }

    /// Sealed, compressed batches to write now, in order (at most `max`), with the ids
    /// to report them by in [`Engine::handle_written`]. A batch whose compression is not
    /// back yet stops the list, so records reach the store in seal order.
    pub fn poll_store(&mut self, max: usize) -> Vec<(u64, SpooledBatch)> {
        let Some(d) = self.durable.as_mut() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while out.len() < max {
            let Some(id) = d.to_store.first() else { break };
            let Some(batch) = self.batches.get(&id) else {
                d.to_store.remove(&id);
                continue;
            };
            let Body::Sealed(sealed) = &batch.body else {
                break;
            };
            d.to_store.remove(&id);
            d.writing.insert(id, None);
            let body = sealed.prepared();
            out.push((
                id.0,
                SpooledBatch {
                    route: batch.route.clone(),
                    compression: body.compression(),
                    raw_len: body.raw_len(),
                    logs: u32::try_from(batch.log_count).unwrap_or(u32::MAX),
                    body: body.body().clone(),
                },
            ));
        }
        out
    }

    /// Keys of finished batches, to acknowledge in the store; report with
    /// [`Engine::handle_acked`].
    pub fn poll_acks(&mut self) -> Vec<StoreKey> {
        let Some(d) = self.durable.as_mut() else {
            return Vec::new();
        };
        d.acking |= !d.to_ack.is_empty();
        core::mem::take(&mut d.to_ack)
    }

    /// The keys of [`Engine::poll_acks`] were acknowledged (or failed to be: their
    /// batches are then sent again by the next run).
    pub fn handle_acked(&mut self) {
        if let Some(d) = self.durable.as_mut() {
            d.acking = false;
            self.settled = true;
        }
    }

    /// Whether writes, acknowledgements or the replay of earlier runs' batches are waiting
    /// or running: a close is finished only once they are done.
    pub fn has_store_work(&self) -> bool {
        self.durable.as_ref().is_some_and(|d| {
            // A write whose batch the close deadline gave up needs no answer: a hung disk
            // does not hold `close` past its deadline for it.
            !d.to_store.is_empty()
                || d.writing.values().any(|finished| *finished != Some(false))
                || !d.to_ack.is_empty()
                || d.acking
                || d.replaying
        })
    }

    /// Take the results of writing the batches of [`Engine::poll_store`], in any order.
    /// A batch that could not be written fails with [`DeliveryFailure::Spool`] (its logs
    /// are handed back): nothing accepted is sent unprotected by the spool.
    pub fn handle_written(&mut self, results: Vec<(u64, Result<Written, StoreError>)>) {
        let mut lost_bodies = Vec::new();
        for (id, result) in results {
            let id = BatchId(id);
            let Some(d) = self.durable.as_mut() else {
                return;
            };
            let finished = d.writing.remove(&id).flatten();
            match result {
                Ok(Written { key, dropped }) => {
                    d.counters.spooled_batches += 1;
                    for lost in dropped {
                        // A batch still in memory only loses its copy on disk; one whose
                        // body left memory loses it for good.
                        match d.stored.find_mut(|_, k| *k == Some(lost)) {
                            Some((&gone, key)) => {
                                *key = None;
                                d.resident.remove(&gone);
                                lost_bodies.push(gone);
                            }
                            None => d.counters.spool_lost_batches += 1,
                        }
                    }
                    match finished {
                        Some(true) => d.to_ack.push(key),
                        Some(false) => {}
                        None => {
                            d.stored.insert(id, Some(key));
                            if let Some(b) = self.batches.get(&id).filter(|b| b.parts.is_empty()) {
                                // Its body may now leave memory: a send waiting for room
                                // may try again.
                                d.resident.insert(id, b.buffer);
                                self.settled = true;
                            }
                            if d.parked.remove(&id) {
                                self.ready.push_back(id);
                                self.wakeup = true;
                            }
                        }
                    }
                }
                Err(error) => {
                    d.counters.spool_failed_batches += 1;
                    d.parked.remove(&id);
                    if finished.is_none() {
                        let failure = DeliveryFailure::Spool { kind: error.kind };
                        self.finish(id, None, Err(failure));
                    }
                }
            }
        }
        self.fail_lost_bodies(lost_bodies);
        self.spill();
    }

    /// How many batches of earlier runs to read now, if any: while replaying, enough to
    /// keep the replayed batches in the engine at twice the in-flight limit. Closing with
    /// a deadline ends the replay (batches not read stay on disk for the next run);
    /// closing without one replays everything.
    pub fn poll_replay(&mut self) -> Option<usize> {
        let closing = self.closing.is_some_and(|c| c.deadline.is_some());
        let window = self.settings.max_in_flight * REPLAY_WINDOW_PER_REQUEST;
        let d = self.durable.as_mut()?;
        if !d.replaying || d.replay_asked {
            return None;
        }
        if closing {
            self.end_replay();
            return None;
        }
        let room = window.saturating_sub(d.replayed.len());
        if room == 0 {
            return None;
        }
        d.replay_asked = true;
        Some(room)
    }

    /// Take batches of earlier runs (from [`Engine::poll_replay`]): each is queued as it
    /// was sealed, before any new batch. An empty list ends the replay.
    pub fn handle_replayed(&mut self, now: Instant, replay: Replay) {
        let Some(d) = self.durable.as_mut() else {
            return;
        };
        d.replay_asked = false;
        d.counters.spool_skipped_records += replay.skipped;
        if replay.batches.is_empty() {
            self.end_replay();
            return;
        }
        for (key, spooled) in replay.batches {
            let id = BatchId(self.next_batch);
            self.next_batch += 1;
            let to = self.destinations.resolve(spooled.route.project());
            let sealed = self.destinations.get(to).wire.reseal(
                &spooled.route,
                spooled.body,
                spooled.raw_len,
                spooled.compression,
            );
            self.pool.body_sealed(sealed.body_len());
            // Charged as read, past the budget if need be: the replay window bounds it.
            let body = sealed.body_len();
            let charge = super::charge::BATCH_COST + body;
            self.memory.add(charge);
            let delivery_deadline = self
                .settings
                .delivery_timeout
                .map(|timeout| now.saturating_add(timeout));
            if let Some(deadline) = delivery_deadline {
                self.deadlines.insert((deadline, id));
            }
            let logs = spooled.logs as usize;
            self.batches.insert(
                id,
                Batch {
                    route: spooled.route,
                    to,
                    phase: Phase::Queued,
                    body: Body::Sealed(sealed),
                    log_count: logs,
                    charge,
                    buffer: body,
                    parts: Vec::new(),
                    history: AttemptHistory::new(self.settings.max_reserved_attempts),
                    delivery_deadline,
                    min_credentials_generation: 0,
                    signed_offset: ClockOffset::ZERO,
                },
            );
            self.stats.accepted_logs += logs as u64;
            self.stats.batches += 1;
            let d = self.durable.as_mut().expect("checked above");
            d.counters.replayed_batches += 1;
            d.counters.replayed_logs += logs as u64;
            d.stored.insert(id, Some(key));
            d.resident.insert(id, body);
            d.replayed.insert(id);
            self.ready.push_back(id);
        }
        self.wakeup = true;
    }

    /// Whether batches of earlier runs are still being read: new batches wait.
    pub fn is_replaying(&self) -> bool {
        self.durable.as_ref().is_some_and(|d| d.replaying)
    }

    fn end_replay(&mut self) {
        let Some(d) = self.durable.as_mut() else {
            return;
        };
        if d.replaying {
            d.replaying = false;
            self.ready.append(&mut d.held);
            self.wakeup = true;
        }
    }

    /// The next batch for `poll_transmit`: while replaying, only replayed batches go out
    /// (new ones wait, in order).
    pub(super) fn next_ready(&mut self) -> Option<BatchId> {
        let Some(d) = self.durable.as_mut().filter(|d| d.replaying) else {
            return self.ready.pop_front();
        };
        while let Some(id) = self.ready.pop_front() {
            if d.replayed.contains(&id) {
                return Some(id);
            }
            if self.batches.contains_key(&id) {
                d.held.push_back(id);
            }
        }
        None
    }

    /// Whether `poll_transmit` must wait with sealed batch `id` until it is written; if so
    /// it is parked.
    pub(super) fn hold_unwritten(&mut self, id: BatchId) -> bool {
        self.durable.as_mut().is_some_and(|d| d.hold(id))
    }

    /// A batch finished with `outcome`: acknowledge its record unless only closing gave it
    /// up (then the next run sends it).
    pub(super) fn durable_finished(&mut self, id: BatchId, outcome: &Result<(), DeliveryFailure>) {
        let Some(d) = self.durable.as_mut() else {
            return;
        };
        let ack = !matches!(outcome, Err(DeliveryFailure::Closed { .. }));
        d.to_store.remove(&id);
        d.parked.remove(&id);
        d.replayed.remove(&id);
        d.resident.remove(&id);
        d.to_read.remove(&id);
        if let Some(finished) = d.writing.get_mut(&id) {
            *finished = Some(ack);
        }
        if let Some(Some(key)) = d.stored.remove(&id) {
            if ack {
                d.to_ack.push(key);
            }
        }
    }

    /// The spool counters (zero without a store).
    pub(super) fn spool_counters(&self) -> SpoolCounters {
        self.durable
            .as_ref()
            .map(|d| d.counters)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
