//! Intake: a send is reserved in the memory budget, encoded once into its route's open
//! batch, and the batch rolled over or sealed when it fills.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::ops::Range;

use super::attempt::AttemptHistory;
use super::batch::{Batch, BatchId, Body, OpenBatch, PartOwner, Phase, SendPart};
use super::charge::{self, BATCH_COST, Fill, Placement, Plan};
use super::clock::ClockOffset;
use super::encoder::BatchEncoder;
use super::{
    DeliveryEvent, DeliveryResult, Engine, LogSource, Record, Refusal, Route, RouteRef, SendError,
    Spanning, Ticket,
};
use crate::engine::LogParts;
use crate::protocol::http::Bytes;
use crate::protocol::pack_id::{PACK_ID_KEY, PackIdGenerator, PackIdPrefix};
use crate::protocol::time::Instant;

impl<T> Engine<T> {
    /// Accept a log or a list of logs for `route`, or refuse it and hand it back.
    ///
    /// Each log is encoded once, straight into the open batch of `route`. A batch is rolled
    /// over *before* a log would take it past `max_batch_bytes` (its final size, with topic,
    /// source and tags) or `max_batch_count`, so a list may span several batches, and a
    /// batch that cannot take another log is sealed at once. The encoded size of the record
    /// is reserved from the memory budget before anything is appended.
    ///
    /// With `tag = Some(t)`, exactly one [`DeliveryEvent`] carrying `t` reports the outcome
    /// (for a list: once every part of it has one). Untagged sends are only counted.
    ///
    /// # Errors
    ///
    /// Nothing is accepted when an error is returned; the record comes back in it. See
    /// [`SendError`] for the causes (closed, budget full, log or record too large, a key or
    /// time SLS would refuse).
    pub fn push(
        &mut self,
        now: Instant,
        record: impl Into<Record>,
        route: &Route,
        tag: Option<T>,
    ) -> Result<Ticket, SendError> {
        self.push_with(now, record, route, |_| tag)
    }

    /// [`Engine::push`] with the tag made by `make_tag` from the send's ticket, and only
    /// once the send is accepted: a refused push consumes no tag (so a caller can keep a
    /// completion handle for a later try).
    ///
    /// # Errors
    ///
    /// As [`Engine::push`].
    pub fn push_with(
        &mut self,
        now: Instant,
        record: impl Into<Record>,
        route: &Route,
        make_tag: impl FnOnce(Ticket) -> Option<T>,
    ) -> Result<Ticket, SendError> {
        let record = record.into();
        self.push_logs(&|| now, &record, &RouteRef::from(route), make_tag)
            .map_err(|refusal| refusal.with_record(record))
    }

    /// [`Engine::push`] of one log given as borrowed [`LogParts`]. The pairs are encoded
    /// straight into the batch, so no [`Log`](crate::Log) (and none of its strings) is ever built for
    /// an accepted send; a topic or source the parts carry replaces the route's without a
    /// `Route` being built, unless the log opens a batch.
    ///
    /// # Errors
    ///
    /// As [`Engine::push`]; the refused log is handed back as an owned [`Log`](crate::Log) (built only
    /// then; without the topic and source, which are the route's business).
    pub fn push_parts<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        now: Instant,
        route: &Route,
        parts: &LogParts<'_, K, V>,
        tag: Option<T>,
    ) -> Result<Ticket, SendError> {
        let route = RouteRef::new(route, parts.topic, parts.source);
        self.push_logs(&|| now, parts, &route, |_| tag)
            .map_err(|refusal| refusal.with_record(Record::Log(parts.to_log())))
    }

    /// [`Engine::push_with`] on borrowed logs: the caller keeps them, to drop them (or
    /// hand them back in a [`SendError`]) after releasing whatever lock guards the engine.
    /// The clock `now` is read only if the push opens or seals a batch (a clock read per
    /// send is a measurable part of its cost).
    pub(crate) fn push_logs<L: LogSource + ?Sized>(
        &mut self,
        now: &dyn Fn() -> Instant,
        logs: &L,
        route: &RouteRef<'_>,
        make_tag: impl FnOnce(Ticket) -> Option<T>,
    ) -> Result<Ticket, Refusal> {
        if self.closing.is_some() {
            return Err(Refusal::Closed);
        }
        let worst_trailer = self.worst_case_trailer_len(route);
        let room = self.settings.max_batch_bytes.saturating_sub(worst_trailer);
        let count = logs.count();
        let mut bytes = 0usize;
        for index in 0..count {
            if let Some(defect) = logs.defect(index) {
                return Err(Refusal::InvalidLog { index, defect });
            }
            let log_bytes = logs.encoded_len(index, self.settings.format);
            if log_bytes > room {
                return Err(Refusal::LogTooLarge {
                    index,
                    log_bytes,
                    room,
                });
            }
            bytes = bytes.saturating_add(log_bytes);
        }
        let open = self.open.get(route);
        let limits = (self.settings.max_batch_bytes, self.settings.max_batch_count);
        // Where the logs went: one range of positions per batch holding some of them.
        let mut placed = Placed::default();
        let cost = match open {
            // The usual send, one log into its route's open batch with room and capacity
            // for it: nothing is allocated but a tracked send's part (charged, and given
            // back below if the send is untracked), and the batch is looked up once.
            Some(id) if count == 1 => {
                let part = self.parts_cost(1);
                let batch = self.batches.get_mut(&id).expect("open batch exists");
                let fill = Fill::of(open_phase(batch));
                if fill.has_room(bytes, limits)
                    && fill.capacity_for(bytes, limits.0) == fill.capacity
                    && self.memory.try_reserve(part)
                {
                    let filled =
                        fill_batch(batch, bytes, |e| logs.encode_into(0, bytes, e), limits);
                    debug_assert_eq!(filled.grown, 0, "capacity enough");
                    let appended = self.filled(now, id, filled, 0);
                    placed.add(id, appended.position);
                    Some(part)
                } else {
                    None
                }
            }
            _ => None,
        };
        let (cost, charged) = match cost {
            Some(cost) => (cost, 0),
            None => {
                let format = self.settings.format;
                let entry = |index| {
                    if count == 1 {
                        bytes
                    } else {
                        logs.encoded_len(index, format)
                    }
                };
                let (plan, cost, fresh) =
                    self.reserve(now, open, route, worst_trailer, entry, count)?;
                let charged = self.append_all(now, route, open, logs, bytes, fresh, &mut placed);
                debug_assert_eq!(
                    (charged, placed.len()),
                    (plan.bytes, plan.parts),
                    "the plan charged what the appends allocated"
                );
                (cost, charged)
            }
        };

        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        self.stats.accepted_logs += count as u64;
        let tag = make_tag(ticket);
        // Settle the reservation with what was charged (equal, unless the plan is wrong).
        let used = charged
            + if tag.is_some() {
                self.parts_cost(placed.len())
            } else {
                0
            };
        if used < cost {
            self.memory.release(cost - used);
        } else {
            self.memory.add(used - cost);
        }
        let Some(tag) = tag else {
            return Ok(ticket);
        };
        if count == 0 {
            self.wakeup = true;
            self.push_event(DeliveryEvent {
                ticket,
                tag,
                result: DeliveryResult::delivered(Arc::from([]), 0),
            });
            return Ok(ticket);
        }
        let part_cost = charge::part_cost::<T>(self.tag_heap);
        if let Some((id, logs)) = placed.single() {
            let part = SendPart {
                ticket,
                logs: logs.clone(),
                owner: PartOwner::Whole(tag),
            };
            self.add_part(*id, part, part_cost);
        } else {
            // The spanning entry is charged to the first part's batch.
            let spanning = self.parts_cost(placed.len()) - placed.len() * part_cost;
            self.spanning.insert(
                ticket,
                Spanning {
                    tag,
                    remaining: placed.len() as u32,
                    failure: None,
                    attempts: Arc::from([]),
                    attempt_count: 0,
                    failed_logs: Vec::new(),
                },
            );
            for (index, (id, logs)) in placed.into_iter().enumerate() {
                let part = SendPart {
                    ticket,
                    logs,
                    owner: PartOwner::Spanning {
                        index: index as u32,
                    },
                };
                let cost = part_cost + if index == 0 { spanning } else { 0 };
                self.add_part(id, part, cost);
            }
        }
        Ok(ticket)
    }

    /// Append every log of `logs` (the only one of `bytes` bytes if there is one) to the
    /// open batch of `route`, `open`, rolling over as needed (a rolled-over batch without
    /// a spare buffer allocating `fresh` bytes). Records in `placed` which batches hold
    /// which of them; returns what was charged to batches.
    #[allow(clippy::too_many_arguments)]
    fn append_all<L: LogSource + ?Sized>(
        &mut self,
        now: &dyn Fn() -> Instant,
        route: &RouteRef<'_>,
        mut open: Option<BatchId>,
        logs: &L,
        bytes: usize,
        fresh: usize,
        placed: &mut Placed,
    ) -> usize {
        let count = logs.count();
        let mut charged = 0usize;
        for index in 0..count {
            // One log (the usual send): its size is already known.
            let entry = if count == 1 {
                bytes
            } else {
                logs.encoded_len(index, self.settings.format)
            };
            let appended = self.append(now, route, open, entry, fresh, |encoder| {
                logs.encode_into(index, entry, encoder);
            });
            let (id, position) = (appended.id, appended.position);
            charged += appended.charged;
            open = appended.open;
            placed.add(id, position);
        }
        charged
    }

    /// Add a tracked send's `part` to batch `id`, charging it `cost` bytes (reserved).
    fn add_part(&mut self, id: BatchId, part: SendPart<T>, cost: usize) {
        let batch = self.batches.get_mut(&id).expect("batch exists");
        batch.parts.push(part);
        batch.charge += cost;
        if matches!(batch.phase, Phase::Open(_)) {
            self.open_reserved += cost;
        }
    }

    /// The largest trailer (topic, source, tags, pack id) any batch of `route` can have:
    /// a log that fits next to it fits into every fresh batch of the route.
    pub(super) fn worst_case_trailer_len(&self, route: &RouteRef<'_>) -> usize {
        let format = self.settings.format;
        format.trailer_len(route.topic(), route.source(), self.worst_tags_len)
    }

    /// Reserve everything pushing logs of sizes `entry(0..count)` to `route`, whose open
    /// batch is `open`, will allocate (see [`charge`]): the plan, the bytes reserved (a
    /// tracked send's parts are charged too, and given back if the send turns out
    /// untracked), and the capacity a rolled-over batch without a spare buffer allocates.
    ///
    /// A busy route's next batch gets a buffer as large as a batch, so that it does not
    /// grow by copying (which also leaves the allocator fragments it may never give back),
    /// if the budget has room for it; else it grows as it fills.
    fn reserve(
        &mut self,
        now: &dyn Fn() -> Instant,
        open: Option<BatchId>,
        route: &RouteRef<'_>,
        worst_trailer: usize,
        entry: impl Fn(usize) -> usize,
        count: usize,
    ) -> Result<(Plan, usize, usize), Refusal> {
        let mut fresh = self.settings.max_batch_bytes;
        loop {
            let plan = self.plan(open, route, worst_trailer, &entry, count, fresh);
            let cost = plan.bytes.saturating_add(self.parts_cost(plan.parts));
            if self.memory.try_reserve(cost) {
                return Ok((plan, cost, fresh));
            }
            if fresh > 0 {
                fresh = 0;
                continue;
            }
            if !self.memory.can_ever_fit(cost) {
                return Err(Refusal::ExceedsBuffer {
                    bytes: cost,
                    memory_budget: self.memory.limit(),
                });
            }
            // Spare buffers give their room back first, one at a time (the plan may have
            // counted on the others), then, with a spool, bodies already on disk.
            if !self.pool.drop_one(&mut self.memory) && !self.evict_one() {
                self.relieve_pressure(now);
                return Err(Refusal::BufferFull { bytes: cost });
            }
        }
    }

    /// What pushing logs of sizes `entry(0..count)` to `route`, whose open batch is
    /// `open`, will charge the budget (see [`charge::plan`]), a rolled-over batch without a
    /// spare buffer allocating `fresh` bytes.
    fn plan(
        &self,
        open: Option<BatchId>,
        route: &RouteRef<'_>,
        worst_trailer: usize,
        entry: impl Fn(usize) -> usize,
        count: usize,
        fresh: usize,
    ) -> Plan {
        let open = open.map(|id| {
            let batch = self.batches.get(&id).expect("open batch exists");
            let Phase::Open(open) = &batch.phase else {
                unreachable!("open map only holds open batches")
            };
            Fill::of(open)
        });
        charge::plan(
            Placement {
                open,
                trailer: worst_trailer,
                batch_cost: BATCH_COST + charge::route_cost(route),
                limits: (self.settings.max_batch_bytes, self.settings.max_batch_count),
                spares: &mut self.pool.capacities(),
                fresh,
            },
            (0..count).map(entry),
        )
    }

    /// What the parts of a tracked send in `parts` batches cost: one [`SendPart`] each, and
    /// the send's entry among the spanning sends if there are several.
    fn parts_cost(&self, parts: usize) -> usize {
        let spanning = if parts > 1 {
            size_of::<Spanning<T>>()
        } else {
            0
        };
        parts * charge::part_cost::<T>(self.tag_heap) + spanning
    }

    /// Append one log of `entry` bytes, written by `encode`, to `open`, the open batch of
    /// `route` (sealed first and replaced by a new one if it has no room); seal the batch
    /// if it is full then. Returns where the log went, what it charged to batches (from
    /// the send's reservation) and the route's open batch after it.
    pub(super) fn append(
        &mut self,
        now: &dyn Fn() -> Instant,
        route: &RouteRef<'_>,
        open: Option<BatchId>,
        entry: usize,
        fresh: usize,
        encode: impl FnOnce(&mut BatchEncoder),
    ) -> Appended {
        let limits = (self.settings.max_batch_bytes, self.settings.max_batch_count);
        let mut charged = 0;
        let id = if let Some(id) = open {
            let batch = self.batches.get_mut(&id).expect("open batch exists");
            if open_phase(batch).has_room(entry, limits.0, limits.1) {
                let filled = fill_batch(batch, entry, encode, limits);
                return self.filled(now, id, filled, 0);
            }
            let now = now();
            self.seal(now, id);
            // A busy route: give its next batch a spare buffer (already as large as a
            // batch) if one is kept, else one of `fresh` bytes.
            let buffer = self.pool.take().unwrap_or_else(|| {
                charged += fresh;
                Vec::with_capacity(fresh)
            });
            self.create_batch(now, route, buffer)
        } else {
            let buffer = self.pool.take().unwrap_or_default();
            self.create_batch(now(), route, buffer)
        };
        charged += BATCH_COST + charge::route_cost(route);
        let batch = self.batches.get_mut(&id).expect("batch just opened");
        let filled = fill_batch(batch, entry, encode, limits);
        self.filled(now, id, filled, charged)
    }

    /// Book a log written by [`fill_batch`] into open batch `id` (its growth charged on top of `charged`
    /// already); seal the batch if it is full now.
    fn filled(
        &mut self,
        now: &dyn Fn() -> Instant,
        id: BatchId,
        filled: Filled,
        charged: usize,
    ) -> Appended {
        self.open_reserved += filled.grown;
        let open = if filled.full {
            self.seal(now(), id);
            None
        } else {
            Some(id)
        };
        Appended {
            id,
            position: filled.position,
            charged: charged + filled.grown,
            open,
        }
    }

    /// Open a batch for `route`, encoding into `buffer`.
    pub(super) fn create_batch(
        &mut self,
        now: Instant,
        route: &RouteRef<'_>,
        buffer: Vec<u8>,
    ) -> BatchId {
        let route = route.to_route();
        let to = self.destinations.resolve(route.project());
        let id = BatchId(self.next_batch);
        self.next_batch += 1;
        self.stats.batches += 1;
        let pack_id = self.settings.generate_pack_id.then(|| {
            let seed = self.settings.seed;
            let created = self.created;
            let sequence = self.pack_ids.len() as u64;
            let generator = self.pack_ids.get_or_insert_with(
                (route.project().into(), route.logstore().into()),
                || {
                    PackIdGenerator::new(PackIdPrefix::derive(
                        seed,
                        created,
                        sequence,
                        route.project(),
                        route.logstore(),
                    ))
                },
            );
            let mut s = String::new();
            generator.next_id().write_to(&mut s);
            s
        });
        let trailer_len = self.worst_case_trailer_len(&RouteRef::from(&route));
        // The bookkeeping, and the buffer's capacity (a spare one's was charged to the pool
        // until now, a fresh one's to the send).
        let buffer_capacity = buffer.capacity();
        let charge_bytes =
            BATCH_COST + charge::route_cost(&RouteRef::from(&route)) + buffer_capacity;
        self.open_reserved += charge_bytes;
        let linger_deadline = now.saturating_add(self.settings.linger);
        self.open.insert(route.clone(), id);
        let batch = Batch {
            route,
            to,
            phase: Phase::Open(OpenBatch {
                encoder: BatchEncoder::new(self.settings.format, buffer),
                trailer_len,
                pack_id,
                linger_deadline,
            }),
            body: Body::Open,
            log_count: 0,
            charge: charge_bytes,
            buffer: buffer_capacity,
            parts: Vec::new(),
            history: AttemptHistory::new(self.settings.max_reserved_attempts),
            delivery_deadline: None,
            min_credentials_generation: 0,
            signed_offset: ClockOffset::ZERO,
        };
        self.batches.insert(id, batch);
        self.lingers.insert((linger_deadline, id));
        self.wakeup = true;
        id
    }

    /// Finish an open batch's body (once for all attempts) and queue it for transmission.
    pub(super) fn seal(&mut self, now: Instant, id: BatchId) {
        let batch = self.batches.get_mut(&id).expect("sealed batch exists");
        let Phase::Open(open) = core::mem::replace(&mut batch.phase, Phase::Queued) else {
            unreachable!("only open batches are sealed")
        };
        self.open.remove(&batch.route, id);
        self.lingers.remove(&(open.linger_deadline, id));
        self.open_reserved -= batch.charge;
        let pack = open.pack_id.as_deref().map(|p| (PACK_ID_KEY, p));
        let raw = open.encoder.finish(
            batch.route.topic(),
            batch.route.source(),
            self.destinations.default_wire().tags().chain(pack),
        );
        // Compressing is left to a job (or to `poll_transmit`): sealing stays cheap, since
        // it runs on the sender's side when a push fills a batch.
        batch.body = Body::Raw(Bytes::from(raw));
        self.to_compress.insert(id);
        if let Some(timeout) = self.settings.delivery_timeout {
            let deadline = now.saturating_add(timeout);
            batch.delivery_deadline = Some(deadline);
            self.deadlines.insert((deadline, id));
        }
        self.ready.push_back(id);
        self.wakeup = true;
    }

    /// The budget is full. If open batches hold more than half of it, seal the oldest of
    /// them until those left open hold at most half: their bytes then turn over at the
    /// speed of the network instead of waiting for their linger, the way Kafka's producer
    /// drains ready batches when `buffer.memory` runs out. When sealed and in-flight
    /// batches hold most of the budget, nothing is sealed: their answers free it.
    pub(super) fn relieve_pressure(&mut self, now: &dyn Fn() -> Instant) {
        let half = self.memory.limit() / 2;
        if self.open_reserved <= half {
            return;
        }
        let now = now();
        while self.open_reserved > half {
            // Lingers are ordered by deadline, i.e. by age: the oldest open batch first.
            let Some((_, id)) = self.lingers.first() else {
                break;
            };
            self.seal(now, id);
        }
    }

    /// Seal every open batch, oldest first (the lingers hold exactly the open batches, by
    /// deadline), as their lingers would have: no sort of the open batches is needed.
    pub(super) fn seal_all_open(&mut self, now: Instant) {
        while let Some((_, id)) = self.lingers.first() {
            self.seal(now, id);
        }
    }
}

/// The open state of a batch the open map points to.
pub(super) fn open_phase<T>(batch: &mut Batch<T>) -> &mut OpenBatch {
    let Phase::Open(open) = &mut batch.phase else {
        unreachable!("open map only holds open batches")
    };
    open
}

/// Where [`Engine::append`] put a log.
pub(super) struct Appended {
    /// The batch holding it.
    pub(super) id: BatchId,
    /// Its position among the batch's logs.
    pub(super) position: usize,
    /// Bytes charged to batches for it (new batches' bookkeeping, buffer growth).
    pub(super) charged: usize,
    /// The route's open batch now (`None`: the log filled its batch, which was sealed).
    pub(super) open: Option<BatchId>,
}

/// What [`fill_batch`] did.
pub(super) struct Filled {
    /// The log's position in the batch.
    position: usize,
    /// Whether the batch is full now.
    full: bool,
    /// Bytes the buffer grew by (charged to the batch).
    grown: usize,
}

/// Write one log of `entry` bytes into open `batch` with `encode`, growing its buffer
/// first (see [`charge::grown`]; the growth charged to the batch). `limits`: the batch's
/// bytes and logs at most.
pub(super) fn fill_batch<T>(
    batch: &mut Batch<T>,
    entry: usize,
    encode: impl FnOnce(&mut BatchEncoder),
    limits: (usize, usize),
) -> Filled {
    let open = open_phase(batch);
    let fill = Fill::of(open);
    let capacity = fill.capacity_for(entry, limits.0);
    open.encoder.grow_to(capacity);
    encode(&mut open.encoder);
    let full = open.is_full(limits.0, limits.1);
    let grown = capacity - fill.capacity;
    let position = batch.log_count;
    batch.log_count += 1;
    batch.buffer += grown;
    batch.charge += grown;
    Filled {
        position,
        full,
        grown,
    }
}

/// Which batches hold which of a send's logs: a range of positions per batch, in log
/// order. The usual send's one batch is kept inline, so that it allocates nothing.
#[derive(Debug, Default)]
pub(super) struct Placed {
    first: Option<(BatchId, Range<usize>)>,
    more: Vec<(BatchId, Range<usize>)>,
}

impl Placed {
    /// The send's next log went to `position` in batch `id`.
    fn add(&mut self, id: BatchId, position: usize) {
        let next = position + 1;
        match self.more.last_mut().or(self.first.as_mut()) {
            Some((last, range)) if *last == id => range.end = next,
            Some(_) => self.more.push((id, position..next)),
            None => self.first = Some((id, position..next)),
        }
    }

    /// Batches holding some of the send's logs.
    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.more.len()
    }

    /// The batch holding all of the send's logs, if one does.
    fn single(&self) -> Option<&(BatchId, Range<usize>)> {
        self.first.as_ref().filter(|_| self.more.is_empty())
    }

    /// Every batch and its range of the send's logs, in log order.
    fn into_iter(self) -> impl Iterator<Item = (BatchId, Range<usize>)> {
        self.first.into_iter().chain(self.more)
    }
}
