//! The engine without the `spool` feature: the hooks that the paths shared with a disk
//! spool call (see `durable.rs` and `evict.rs`), doing nothing. `Durable` has no value,
//! so `Engine::durable` is always `None` and no spool code is linked.

use super::batch::BatchId;
use super::metrics::SpoolCounters;
use super::{DeliveryFailure, Engine};

/// No spool state: without the `spool` feature an engine never has one.
#[derive(Debug)]
pub(super) enum Durable {}

impl Durable {
    pub(super) fn sealed(&mut self, _: BatchId) {
        match *self {}
    }

    pub(super) fn hold(&mut self, _: BatchId) -> bool {
        match *self {}
    }
}

impl<T> Engine<T> {
    /// Whether writes, acknowledgements or a replay are waiting or running: never without
    /// a spool (the `spool` feature).
    pub fn has_store_work(&self) -> bool {
        false
    }

    pub(super) fn next_ready(&mut self) -> Option<BatchId> {
        self.ready.pop_front()
    }

    pub(super) fn hold_unwritten(&mut self, _: BatchId) -> bool {
        false
    }

    pub(super) fn hold_evicted(&mut self, _: BatchId) -> bool {
        false
    }

    pub(super) fn evict_one(&mut self) -> bool {
        false
    }

    pub(super) fn spill(&mut self) {}

    pub(super) fn durable_finished(&mut self, _: BatchId, _: &Result<(), DeliveryFailure>) {}

    pub(super) fn spool_counters(&self) -> SpoolCounters {
        SpoolCounters::default()
    }
}
