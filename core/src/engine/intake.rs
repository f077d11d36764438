//! Intake: a send is reserved in the memory budget, encoded once into its route's open
//! batch, and the batch rolled over or sealed when it fills.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::attempt::AttemptHistory;
use super::batch::{Batch, BatchId, Body, OpenBatch, PartOwner, Phase, SendPart};
use super::clock::ClockOffset;
use super::{
    DeliveryEvent, DeliveryResult, Engine, LogSource, Record, Refusal, Route, RouteRef, SendError,
    Spanning, Ticket,
};
use crate::engine::LogParts;
use crate::protocol::http::Bytes;
use crate::protocol::pack_id::{PACK_ID_KEY, PackIdGenerator, PackIdPrefix};
use crate::protocol::proto::{self, LogGroupEncoder};
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
        let room = self
            .settings
            .max_batch_bytes
            .saturating_sub(self.worst_case_trailer_len(route));
        let count = logs.count();
        let mut bytes = 0usize;
        for index in 0..count {
            if let Some(defect) = logs.defect(index) {
                return Err(Refusal::InvalidLog { index, defect });
            }
            let log_bytes = logs.encoded_len(index);
            if log_bytes > room {
                return Err(Refusal::LogTooLarge {
                    index,
                    log_bytes,
                    room,
                });
            }
            bytes = bytes.saturating_add(log_bytes);
        }
        if !self.memory.can_ever_fit(bytes) {
            return Err(Refusal::ExceedsBuffer {
                bytes,
                memory_budget: self.memory.limit(),
            });
        }
        if !self.memory.try_reserve(bytes) {
            self.relieve_pressure(now);
            return Err(Refusal::BufferFull { bytes });
        }
        self.open_reserved += bytes;

        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        self.stats.accepted_logs += count as u64;
        let tag = make_tag(ticket);

        if count == 0 {
            if let Some(tag) = tag {
                self.wakeup = true;
                self.push_event(DeliveryEvent {
                    ticket,
                    tag,
                    result: DeliveryResult::delivered(Arc::from([]), 0),
                });
            }
            return Ok(ticket);
        }

        // Append every log; remember which batches hold which of the send's logs.
        let track = tag.is_some();
        let mut placed: Vec<(BatchId, core::ops::Range<usize>)> = Vec::new();
        for index in 0..count {
            // One log (the usual send): its size is already known.
            let entry = if count == 1 {
                bytes
            } else {
                logs.encoded_len(index)
            };
            let (id, position) = self.append(now, route, entry, |encoder| {
                logs.encode_into(index, entry, encoder);
            });
            if track {
                match placed.last_mut() {
                    Some((last, range)) if *last == id => range.end = position + 1,
                    _ => placed.push((id, position..position + 1)),
                }
            }
        }

        if let Some(tag) = tag {
            if let [(id, logs)] = placed.as_slice() {
                let part = SendPart {
                    ticket,
                    logs: logs.clone(),
                    owner: PartOwner::Whole(tag),
                };
                self.batches
                    .get_mut(id)
                    .expect("batch exists")
                    .parts
                    .push(part);
            } else {
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
                    self.batches
                        .get_mut(&id)
                        .expect("batch exists")
                        .parts
                        .push(part);
                }
            }
        }
        Ok(ticket)
    }

    /// The largest trailer (topic, source, tags, pack id) any batch of `route` can have:
    /// a log that fits next to it fits into every fresh batch of the route.
    pub(super) fn worst_case_trailer_len(&self, route: &RouteRef<'_>) -> usize {
        proto::trailer_len_with(route.topic(), route.source(), self.worst_tags_len)
    }

    /// Append one log of `entry` bytes, written by `encode`, to the open batch of `route`
    /// (sealed first and replaced by a new one if it has no room); seal the batch if it is
    /// full then. Returns the batch and the log's position in it.
    ///
    /// The usual send (the open batch has room) looks its batch up once.
    pub(super) fn append(
        &mut self,
        now: &dyn Fn() -> Instant,
        route: &RouteRef<'_>,
        entry: usize,
        encode: impl FnOnce(&mut LogGroupEncoder),
    ) -> (BatchId, usize) {
        let limits = (self.settings.max_batch_bytes, self.settings.max_batch_count);
        let id = if let Some(id) = self.open.get(route) {
            let batch = self.batches.get_mut(&id).expect("open batch exists");
            if open_phase(batch).has_room(entry, limits.0, limits.1) {
                let (position, full) = fill(batch, entry, encode, limits);
                if full {
                    self.seal(now(), id);
                }
                return (id, position);
            }
            let now = now();
            self.seal(now, id);
            // A busy route: give its next batch a buffer already as large as a batch (a
            // compressed batch's, or a new one), so that it never grows by copying.
            let buffer = self
                .pool
                .take()
                .unwrap_or_else(|| Vec::with_capacity(self.settings.max_batch_bytes));
            self.create_batch(now, route, Some(buffer))
        } else {
            self.create_batch(now(), route, None)
        };
        let batch = self.batches.get_mut(&id).expect("batch just opened");
        let (position, full) = fill(batch, entry, encode, limits);
        if full {
            self.seal(now(), id);
        }
        (id, position)
    }

    /// Open a batch for `route`, encoding into `buffer` if given.
    pub(super) fn create_batch(
        &mut self,
        now: Instant,
        route: &RouteRef<'_>,
        buffer: Option<Vec<u8>>,
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
            let generator = self
                .pack_ids
                .entry((route.project().into(), route.logstore().into()))
                .or_insert_with(|| {
                    PackIdGenerator::new(PackIdPrefix::derive(
                        seed,
                        created,
                        sequence,
                        route.project(),
                        route.logstore(),
                    ))
                });
            let mut s = String::new();
            generator.next_id().write_to(&mut s);
            s
        });
        let pack = pack_id.as_deref().map(|p| (PACK_ID_KEY, p));
        let trailer_len = LogGroupEncoder::new().finished_len(
            route.topic(),
            route.source(),
            self.destinations.default_wire().tags().chain(pack),
        );
        let linger_deadline = now.saturating_add(self.settings.linger);
        self.open.insert(route.clone(), id);
        let batch = Batch {
            route,
            to,
            phase: Phase::Open(OpenBatch {
                encoder: buffer.map_or_else(LogGroupEncoder::new, LogGroupEncoder::with_buffer),
                trailer_len,
                pack_id,
                linger_deadline,
            }),
            body: Body::Open,
            log_count: 0,
            reserved: 0,
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
        self.open_reserved -= batch.reserved;
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
            let Some(&(_, id)) = self.lingers.first() else {
                break;
            };
            self.seal(now, id);
        }
    }

    pub(super) fn seal_all_open(&mut self, now: Instant) {
        let open = self.open.ids();
        for id in open {
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

/// Write one log of `entry` bytes into open `batch` with `encode`: the log's position in
/// the batch, and whether the batch is full now (`limits`: its bytes and logs at most).
pub(super) fn fill<T>(
    batch: &mut Batch<T>,
    entry: usize,
    encode: impl FnOnce(&mut LogGroupEncoder),
    limits: (usize, usize),
) -> (usize, bool) {
    let open = open_phase(batch);
    encode(&mut open.encoder);
    let full = open.is_full(limits.0, limits.1);
    let position = batch.log_count;
    batch.log_count += 1;
    batch.reserved += entry;
    (position, full)
}
