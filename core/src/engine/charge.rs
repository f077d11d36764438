//! What the memory budget counts, and what a send will cost it before anything is
//! appended.
//!
//! The budget bounds the memory the producer holds, not just the bytes of the logs. A
//! batch is charged:
//!
//! * [`BATCH_COST`] for its bookkeeping, plus its route's own strings;
//! * its buffer's **capacity** (not its length): the engine grows buffers itself (see
//!   [`grown`]), so every byte allocated for logs is counted when it is allocated;
//! * [`part_cost`] per tracked send with logs in it (the tag waiting for its outcome);
//! * once compressed, its body instead of its buffer.
//!
//! Spare buffers kept for the next batches are charged too, and given back when a send
//! needs the room. A send is charged all of this up front ([`Plan`]): it is accepted only
//! if everything it will allocate fits, so the budget is never exceeded.

use core::mem::size_of;

use super::Outcome;
use super::batch::{OpenBatch, SendPart};
use super::key::RouteRef;

/// Bytes a batch costs beside its buffer: its entries in the engine's maps and queues,
/// its pack id, its compressed body's request head (path, headers) and the allocator's
/// overhead on each. Measured with the `memory` benchmark's `many-routes` scenario (one
/// log per batch, 100,000 batches, a server that never answers): about 1.9 KiB of RSS per
/// batch beside its logs, on tokio and smol.
pub(crate) const BATCH_COST: usize = 2048;

/// Bytes a tracked send's tag is assumed to hold on the heap while it waits for its
/// outcome, beside its inline size, unless the engine's owner says (see
/// [`Engine::set_tag_heap`](super::Engine::set_tag_heap)).
pub(crate) const DEFAULT_TAG_HEAP: usize = 64;

/// Bytes a tracked send costs in each batch holding some of its logs, for tags holding
/// `tag_heap` bytes on the heap: its part's slot in the batch's list of parts and its
/// outcome's slot in the engine's queue of outcomes (where a close puts every send's at
/// once), each twice (lists grow by doubling), and its tag's heap.
pub(crate) const fn part_cost<T>(tag_heap: usize) -> usize {
    2 * (size_of::<SendPart<T>>() + size_of::<Outcome<T>>()) + tag_heap
}

/// Bytes a batch costs for its route's own strings (the route's project and logstore are
/// shared with the caller's; its topic, source and shard key may not be).
pub(crate) fn route_cost(route: &RouteRef<'_>) -> usize {
    route.topic().len() + route.source().len() + route.shard_key().map_or(0, str::len)
}

/// A buffer that would grow past `max / WHOLE_BATCH_FROM` (an eighth of the batch size
/// limit) grows to the whole limit at once.
pub(crate) const WHOLE_BATCH_FROM: usize = 8;

/// The capacity a batch buffer of `capacity` bytes grows to in order to hold `needed`:
/// unchanged if it is enough; else doubled while it stays small (at most an eighth of
/// `max`, the batch size limit), then `max` at once; never less than `needed`.
///
/// Every large buffer is therefore exactly a batch large. Small batches (many quiet
/// routes) stay cheap, and the large buffers the engine frees and allocates are all of
/// one size: the spare buffers serve any batch, and a freed one leaves the allocator no
/// hole of a size nothing asks for again. Growing through every power of two instead left
/// holes of each size in each thread's allocator arena: in the budget-pressure run
/// (`docs/performance.md`) peak RSS was about twice the budget.
pub(crate) fn grown(capacity: usize, needed: usize, max: usize) -> usize {
    if needed <= capacity {
        return capacity;
    }
    let doubled = capacity.saturating_mul(2);
    let next = if doubled > max / WHOLE_BATCH_FROM {
        max
    } else {
        doubled
    };
    needed.max(next)
}

/// An open batch as a send's plan sees it: what decides whether a log fits, and its
/// buffer's capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fill {
    pub(crate) len: usize,
    pub(crate) count: usize,
    pub(crate) capacity: usize,
    pub(crate) trailer: usize,
}

impl Fill {
    /// An open batch as it is now.
    pub(crate) fn of(open: &OpenBatch) -> Self {
        Self {
            len: open.encoder.len(),
            count: open.encoder.log_count(),
            capacity: open.encoder.capacity(),
            trailer: open.trailer_len,
        }
    }

    /// Whether one more log of `entry` bytes keeps the batch within `limits` (bytes, logs).
    pub(crate) fn has_room(&self, entry: usize, limits: (usize, usize)) -> bool {
        self.count < limits.1
            && self.len.saturating_add(self.trailer).saturating_add(entry) <= limits.0
    }

    /// The capacity the buffer needs to take a log of `entry` bytes and, later, its
    /// trailer.
    pub(crate) fn capacity_for(&self, entry: usize, max: usize) -> usize {
        grown(self.capacity, self.len + entry + self.trailer, max)
    }
}

/// What a send is charged before it is appended, worked out from the open batch of its
/// route and the sizes of its logs exactly as [`Engine::append`](super::Engine) will
/// place them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Bytes to reserve.
    pub(crate) bytes: usize,
    /// Batches that will hold some of the send's logs.
    pub(crate) parts: usize,
}

/// Where a send's logs go, for [`plan`].
pub(crate) struct Placement<'a> {
    /// The route's open batch, if it has one.
    pub(crate) open: Option<Fill>,
    /// The trailer every new batch of the route reserves room for.
    pub(crate) trailer: usize,
    /// Bytes of each new batch beside its buffer ([`BATCH_COST`] and [`route_cost`]).
    pub(crate) batch_cost: usize,
    /// The batch limits: bytes, logs.
    pub(crate) limits: (usize, usize),
    /// Capacities of the spare buffers, in the order a rolled-over batch takes them (they
    /// are charged already, so taking one costs nothing).
    pub(crate) spares: &'a mut dyn Iterator<Item = usize>,
    /// The capacity a rolled-over batch allocates when no spare is left (0: it grows from
    /// nothing).
    pub(crate) fresh: usize,
}

/// Charge a send of logs of `entries` bytes: new batches, buffer growth, and the parts of
/// a tracked send. A batch that fills is sealed, and the route's next log opens a fresh
/// batch; a batch without room for the next log is sealed and its successor takes a spare
/// buffer, or a new one of [`Placement::fresh`] bytes (a busy route), as
/// [`Engine::append`](super::Engine) does.
pub(crate) fn plan(place: Placement<'_>, entries: impl Iterator<Item = usize>) -> Plan {
    let (max, _) = place.limits;
    let mut current = place.open;
    let mut bytes = 0usize;
    let mut parts = 0usize;
    let mut counted = false;
    for entry in entries {
        let room = current.as_ref().map(|f| f.has_room(entry, place.limits));
        if room != Some(true) {
            // A new batch takes a spare buffer; without one, a rolled-over batch (the open
            // one had no room) allocates `fresh` bytes, another grows from nothing.
            let capacity = match place.spares.next() {
                Some(spare) => spare,
                None if room == Some(false) => {
                    bytes = bytes.saturating_add(place.fresh);
                    place.fresh
                }
                None => 0,
            };
            bytes = bytes.saturating_add(place.batch_cost);
            current = Some(Fill {
                len: 0,
                count: 0,
                capacity,
                trailer: place.trailer,
            });
            counted = false;
        }
        let fill = current.as_mut().expect("a batch with room");
        let capacity = fill.capacity_for(entry, max);
        bytes = bytes.saturating_add(capacity - fill.capacity);
        fill.capacity = capacity;
        fill.len += entry;
        fill.count += 1;
        if !counted {
            parts += 1;
            counted = true;
        }
        if !fill.has_room(super::batch::MIN_LOG_ENTRY, place.limits) {
            current = None; // sealed full: the next log opens a fresh batch
        }
    }
    Plan { bytes, parts }
}

#[cfg(test)]
mod tests;
