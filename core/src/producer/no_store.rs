//! The driver without the `spool` feature: no store, so neither a runner nor its work ever
//! exists (the types have no values) and the driver's store steps compile to nothing.

use core::task::Context;

use super::handle::Completion;
use crate::engine::Engine;
use crate::protocol::time::Instant;

/// What the engine asked of the store: never anything.
pub(super) enum StoreWork {}

/// A finished store operation: never one.
pub(super) enum StoreDone {}

/// The store and its operation in progress: never one.
pub(super) enum StoreRunner {}

impl StoreRunner {
    pub(super) fn is_busy(&self) -> bool {
        match *self {}
    }

    pub(super) fn take_work(&self, _: &mut Engine<Completion>) -> Option<StoreWork> {
        match *self {}
    }

    pub(super) fn start(&mut self, work: StoreWork) {
        match work {}
    }

    pub(super) fn poll(&mut self, _: &mut Context<'_>) -> Option<StoreDone> {
        match *self {}
    }

    pub(super) fn report(done: StoreDone, _: &mut Engine<Completion>, _: Instant) {
        match done {}
    }
}
