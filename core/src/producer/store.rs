//! The driver's side of a disk spool: one [`BatchStore`] operation at a time, taken from
//! the engine under its lock, run (on the store's blocking pool) while the driver goes
//! on, and reported back to the engine.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::task::{Context, Poll};

use super::diag;
use super::handle::Completion;
use crate::durable::{BatchStore, BodyRead, Replay, StoreError, StoreKey, Written};
use crate::engine::Engine;
use crate::protocol::time::Instant;
use crate::rt::{BoxFuture, Bytes};

/// Batches written in one store operation at most.
const BATCHES_PER_WRITE: usize = 64;

/// Bodies read back in one store operation at most.
const BATCHES_PER_READ: usize = 16;

/// What the engine asked of the store.
pub(super) enum StoreWork {
    Append(Vec<(u64, crate::durable::SpooledBatch)>),
    Ack(Vec<StoreKey>),
    Replay(usize),
    Read(Vec<(u64, BodyRead)>),
}

/// A finished store operation.
pub(super) enum StoreDone {
    Written(Vec<(u64, Result<Written, StoreError>)>),
    Acked(Result<(), StoreError>),
    Replayed(Replay),
    Read(Vec<(u64, Result<Bytes, StoreError>)>),
}

/// The store and its one operation in progress.
pub(super) struct StoreRunner {
    store: Arc<dyn BatchStore>,
    op: Option<BoxFuture<'static, StoreDone>>,
}

impl StoreRunner {
    pub(super) fn new(store: Arc<dyn BatchStore>) -> Self {
        Self { store, op: None }
    }

    /// Whether an operation is running.
    pub(super) fn is_busy(&self) -> bool {
        self.op.is_some()
    }

    /// The next operation to run, if none is: writes first (they hold batches back from
    /// their first attempt), then reading back bodies that left memory (they hold batches
    /// back from their next attempt), then acknowledgements, then reading earlier runs'
    /// batches.
    /// Runs under the engine's lock; does no I/O.
    pub(super) fn take_work(&self, engine: &mut Engine<Completion>) -> Option<StoreWork> {
        if self.op.is_some() {
            return None;
        }
        let batches = engine.poll_store(BATCHES_PER_WRITE);
        if !batches.is_empty() {
            return Some(StoreWork::Append(batches));
        }
        let reads = engine.poll_read(BATCHES_PER_READ);
        if !reads.is_empty() {
            return Some(StoreWork::Read(reads));
        }
        let acks = engine.poll_acks();
        if !acks.is_empty() {
            return Some(StoreWork::Ack(acks));
        }
        engine.poll_replay().map(StoreWork::Replay)
    }

    /// Start `work` (outside the engine's lock).
    pub(super) fn start(&mut self, work: StoreWork) {
        let store = &self.store;
        self.op = Some(match work {
            StoreWork::Append(batches) => {
                let (ids, batches): (Vec<u64>, Vec<_>) = batches.into_iter().unzip();
                let write = store.append(batches);
                Box::pin(async move {
                    let results = write.await;
                    StoreDone::Written(ids.into_iter().zip(results).collect())
                })
            }
            StoreWork::Ack(keys) => {
                let ack = store.ack(keys);
                Box::pin(async move { StoreDone::Acked(ack.await) })
            }
            StoreWork::Read(reads) => {
                let (ids, reads): (Vec<u64>, Vec<_>) = reads.into_iter().unzip();
                let read = store.read(reads);
                Box::pin(async move {
                    let results = read.await;
                    StoreDone::Read(ids.into_iter().zip(results).collect())
                })
            }
            StoreWork::Replay(max) => {
                let replay = store.replay(max);
                Box::pin(async move { StoreDone::Replayed(replay.await) })
            }
        });
    }

    /// Poll the operation; once it is done, raise its diagnostics and return it for
    /// [`StoreRunner::report`].
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Option<StoreDone> {
        let op = self.op.as_mut()?;
        let Poll::Ready(done) = op.as_mut().poll(cx) else {
            return None;
        };
        self.op = None;
        match &done {
            StoreDone::Written(results) => {
                for (_, result) in results {
                    match result {
                        Err(e) => diag::spool_write_failed(e),
                        Ok(w) if !w.dropped.is_empty() => diag::spool_dropped(w.dropped.len()),
                        Ok(_) => {}
                    }
                }
            }
            StoreDone::Read(results) => {
                for (_, result) in results {
                    if let Err(e) = result {
                        diag::spool_read_failed(e);
                    }
                }
            }
            StoreDone::Acked(Err(e)) => diag::spool_ack_failed(e),
            StoreDone::Acked(Ok(())) => {}
            StoreDone::Replayed(replay) => {
                if replay.skipped > 0 {
                    diag::spool_skipped(replay.skipped);
                }
                if replay.batches.is_empty() {
                    diag::spool_replayed();
                }
            }
        }
        Some(done)
    }

    /// Give a finished operation's results to the engine (under its lock).
    pub(super) fn report(done: StoreDone, engine: &mut Engine<Completion>, now: Instant) {
        match done {
            StoreDone::Written(results) => engine.handle_written(results),
            StoreDone::Acked(_) => engine.handle_acked(),
            StoreDone::Replayed(replay) => engine.handle_replayed(now, replay),
            StoreDone::Read(results) => engine.handle_read(results),
        }
    }
}
