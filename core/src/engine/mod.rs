//! The sans-IO producer engine: batching, memory budget, retries and outcomes as a plain
//! state machine.
//!
//! The engine never reads a clock, never does I/O and never spawns: every input carries the
//! time it happened (`now`, a monotonic [`Instant`]; `wall`, the [`UnixTime`] used for
//! request dates and attempt timestamps) and every output is data. A driver (see
//! [`crate::producer`]) or a test feeds it:
//!
//! | Call | When |
//! |---|---|
//! | [`Engine::push`] | a caller sends a log or a list |
//! | [`Engine::poll_timeout`] / [`Engine::handle_timeout`] | once `now` reaches the returned deadline |
//! | [`Engine::poll_compress`] / [`Engine::handle_compressed`] | optional, before `poll_transmit`: compress sealed batches outside the engine's lock |
//! | [`Engine::poll_transmit`] | repeatedly after any call, until `None`; send each request |
//! | [`Engine::handle_response`] | a request finished (response or transport error) |
//! | [`Engine::poll_event`] | repeatedly after any call, until `None`; deliver each outcome |
//! | [`Engine::set_credentials`] | at start, on rotation, and when [`Engine::wants_credentials_refresh`] |
//! | [`Engine::flush`] / [`Engine::close`] | on the caller's request |
//!
//! [`Engine::poll_timeout`] may change after `push`, `handle_timeout`, `poll_transmit`,
//! `handle_response`, `set_credentials`, `flush` and `close`; a driver asks again after each.
//!
//! # Life of a batch
//!
//! ```text
//!  push ─► Open ──(size / count / linger / flush / close)──► Queued ─► InFlight ─► outcome
//!                                                              ▲          │
//!                                   Backoff ◄── retryable ─────┼──────────┘
//!                                      └──(due)──► [AwaitingCredentials after a 401] ─┘
//! ```
//!
//! A batch is keyed by its [`Route`]; logs are encoded once, straight into the batch's
//! buffer. At seal the buffer is finished (topic, source, config tags, `__pack_id__` last);
//! it is then compressed and digested once, by a [`CompressJob`] the driver runs outside
//! its lock (or, if nobody takes the job, by `poll_transmit`). Every attempt reuses that
//! body and only re-signs.

mod attempt;
pub mod backoff;
mod batch;
mod events;
mod key;
mod memory;
mod open;
mod pool;
mod record;
mod retry;
mod seal;
mod wire;

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::string::{String, ToString as _};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

pub use attempt::{Attempt, AttemptId};
pub use events::{DeliveryEvent, DeliveryFailure, DeliveryResult, Ticket};
pub use key::Route;
pub(crate) use record::{Encoded, LogParts, LogSource, Refusal};
pub use record::{PushError, Record};
pub use seal::{CompressJob, Compressed};

use attempt::AttemptHistory;
use batch::{Batch, BatchId, Body, OpenBatch, PartOwner, Phase, SendPart, split_logs};
use memory::MemoryBudget;
use open::OpenBatches;
use pool::BufferPool;
use retry::Verdict;
use wire::Wire;

use crate::config::{ConfigError, ProducerConfig};
use crate::credentials::Credentials;
use crate::engine::backoff::{BackoffPolicy, Rng};
use crate::protocol::compress::Compressor;
use crate::protocol::http::{Bytes, HttpRequest, HttpResponse};
use crate::protocol::pack_id::{PACK_ID_KEY, PackIdGenerator, PackIdPrefix};
use crate::protocol::proto::{self, Log, LogGroupEncoder};
use crate::protocol::time::{Instant, UnixTime};
use crate::rt::TransportError;

/// A request the engine wants sent: hand `request` to a transport, then report the outcome
/// with [`Engine::handle_response`] and this `attempt`.
#[derive(Debug)]
#[non_exhaustive]
pub struct Transmit {
    /// Identifies this attempt in [`Engine::handle_response`].
    pub attempt: AttemptId,
    /// The signed request.
    pub request: HttpRequest,
}

/// A flush watermark from [`Engine::flush`]: reached once every send accepted before the
/// flush has an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlushToken(BatchId);

/// Counters since the engine was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineStats {
    /// Logs accepted by `push`.
    pub accepted_logs: u64,
    /// Logs the server stored.
    pub delivered_logs: u64,
    /// Logs that failed for good (whether or not they were handed back).
    pub failed_logs: u64,
    /// Failed logs handed back to their sender in a [`DeliveryEvent`].
    pub handed_back_logs: u64,
    /// Batches created.
    pub batches: u64,
    /// Requests handed out by `poll_transmit`.
    pub requests: u64,
    /// Requests that failed and were scheduled again.
    pub retries: u64,
    /// Logs given up because the close deadline passed (part of `failed_logs`).
    pub closed_logs: u64,
    /// Uncompressed LogGroup bytes of delivered batches (`x-log-bodyrawsize`).
    pub delivered_raw_bytes: u64,
    /// Request body bytes of delivered batches, as sent (after compression).
    pub delivered_body_bytes: u64,
}

/// The engine's limits and policies, resolved from a validated [`ProducerConfig`].
#[derive(Clone, Debug)]
struct Settings {
    max_batch_bytes: usize,
    max_batch_count: usize,
    linger: Duration,
    max_in_flight: usize,
    max_retries: u32,
    max_reserved_attempts: usize,
    backoff: BackoffPolicy,
    no_retry_status_codes: Vec<u16>,
    delivery_timeout: Option<Duration>,
    generate_pack_id: bool,
    seed: u64,
}

/// A send that spans several batches: its tag waits here until every part has an outcome.
#[derive(Debug)]
struct Spanning<T> {
    tag: T,
    remaining: u32,
    failure: Option<DeliveryFailure>,
    attempts: Arc<[Attempt]>,
    attempt_count: u32,
    /// Logs handed back by failed parts, with the part index to restore the send's order.
    failed_logs: Vec<(u32, Vec<Log>)>,
}

/// The closing state: intake stopped; `deadline` bounds the remaining work.
#[derive(Clone, Copy, Debug)]
struct Closing {
    deadline: Option<Instant>,
}

/// The sans-IO producer state machine. `T` is the caller's per-send tag, returned in the
/// send's [`DeliveryEvent`] (a driver uses a callback or a completion handle).
pub struct Engine<T> {
    settings: Settings,
    wire: Arc<Wire>,
    /// Bytes the tags of a batch take at most (the shared tags and the widest pack id).
    worst_tags_len: usize,
    memory: MemoryBudget,
    rng: Rng,
    credentials: Option<Credentials>,
    credentials_generation: u64,
    refresh_wanted: bool,
    batches: BTreeMap<BatchId, Batch<T>>,
    open: OpenBatches,
    lingers: BTreeSet<(Instant, BatchId)>,
    retries: BTreeSet<(Instant, BatchId)>,
    deadlines: BTreeSet<(Instant, BatchId)>,
    ready: VecDeque<BatchId>,
    awaiting_credentials: Vec<BatchId>,
    in_flight: BTreeMap<AttemptId, BatchId>,
    spanning: BTreeMap<Ticket, Spanning<T>>,
    events: VecDeque<DeliveryEvent<T>>,
    pack_ids: BTreeMap<(Arc<str>, Arc<str>), PackIdGenerator>,
    created: UnixTime,
    next_batch: u64,
    next_ticket: u64,
    next_attempt: u64,
    closing: Option<Closing>,
    stats: EngineStats,
    wakeup: bool,
    /// Sealed batches whose body no [`CompressJob`] has taken yet.
    to_compress: BTreeSet<BatchId>,
    /// Compresses bodies that no job took, in [`Engine::poll_transmit`].
    compressor: Compressor,
    /// LogGroup buffers of compressed batches, reused by the next batches of busy routes.
    pool: BufferPool,
}

impl<T> fmt::Debug for Engine<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("batches", &self.batches.len())
            .field("open", &self.open.len())
            .field("in_flight", &self.in_flight.len())
            .field("buffered_bytes", &self.memory.used())
            .field("closing", &self.closing.is_some())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<T> Engine<T> {
    /// An engine for `config`, created at wall-clock time `wall` (mixed into the pack-id
    /// prefixes), with `credentials` if they are already known (otherwise nothing is sent
    /// until [`Engine::set_credentials`]).
    ///
    /// # Errors
    ///
    /// The configuration is checked with [`ProducerConfig::validate`] first.
    pub fn new(
        config: &ProducerConfig,
        wall: UnixTime,
        credentials: Option<Credentials>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let settings = Settings::from_config(config);
        let wire = Wire::new(config)?;
        // The tags of every batch, and the widest pack id one can have.
        const WIDEST_PACK_ID: &str = "0123456789ABCDEF-FFFFFFFFFFFFFFFF";
        let pack = settings
            .generate_pack_id
            .then_some((PACK_ID_KEY, WIDEST_PACK_ID));
        let worst_tags_len = proto::tags_len(wire.tags().chain(pack));
        Ok(Self {
            memory: MemoryBudget::new(config.memory_budget),
            rng: Rng::new(settings.seed),
            wire: Arc::new(wire),
            worst_tags_len,
            settings,
            credentials_generation: u64::from(credentials.is_some()),
            credentials,
            refresh_wanted: false,
            batches: BTreeMap::new(),
            open: OpenBatches::default(),
            lingers: BTreeSet::new(),
            retries: BTreeSet::new(),
            deadlines: BTreeSet::new(),
            ready: VecDeque::new(),
            awaiting_credentials: Vec::new(),
            in_flight: BTreeMap::new(),
            spanning: BTreeMap::new(),
            events: VecDeque::new(),
            pack_ids: BTreeMap::new(),
            created: wall,
            next_batch: 0,
            next_ticket: 0,
            next_attempt: 0,
            closing: None,
            stats: EngineStats::default(),
            wakeup: false,
            to_compress: BTreeSet::new(),
            compressor: Compressor::new(),
            pool: BufferPool::new(config.memory_budget, config.max_batch_bytes),
        })
    }

    // ------------------------------------------------------------------------------------
    // Intake

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
    /// [`PushError`] for the causes (closed, budget full, log or record too large).
    pub fn push(
        &mut self,
        now: Instant,
        record: impl Into<Record>,
        route: &Route,
        tag: Option<T>,
    ) -> Result<Ticket, PushError> {
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
    ) -> Result<Ticket, PushError> {
        let record = record.into();
        self.push_logs(&|| now, &record, route, make_tag)
            .map_err(|refusal| refusal.with_record(record))
    }

    /// [`Engine::push`] of one log given as borrowed parts: Unix seconds, optional
    /// sub-second nanoseconds and the key/value pairs, as for
    /// [`LogGroupEncoder::push_parts`]. The pairs are encoded straight into the batch, so
    /// no [`Log`] (and none of its strings) is ever built for an accepted send.
    ///
    /// # Errors
    ///
    /// As [`Engine::push`]; the refused log is handed back as an owned [`Log`] (built only
    /// then).
    pub fn push_parts<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        now: Instant,
        route: &Route,
        time: u32,
        time_ns: Option<u32>,
        contents: &[(K, V)],
        tag: Option<T>,
    ) -> Result<Ticket, PushError> {
        let parts = LogParts {
            time,
            time_ns,
            contents,
        };
        self.push_logs(&|| now, &parts, route, |_| tag)
            .map_err(|refusal| refusal.with_record(Record::Log(parts.to_log())))
    }

    /// [`Engine::push_with`] on borrowed logs: the caller keeps them, to drop them (or
    /// hand them back in a [`PushError`]) after releasing whatever lock guards the engine.
    /// The clock `now` is read only if the push opens or seals a batch (a clock read per
    /// send is a measurable part of its cost).
    pub(crate) fn push_logs<L: LogSource + ?Sized>(
        &mut self,
        now: &dyn Fn() -> Instant,
        logs: &L,
        route: &Route,
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
            return Err(Refusal::BufferFull { bytes });
        }

        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        self.stats.accepted_logs += count as u64;
        let tag = make_tag(ticket);

        if count == 0 {
            if let Some(tag) = tag {
                self.wakeup = true;
                self.events.push_back(DeliveryEvent {
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
    fn worst_case_trailer_len(&self, route: &Route) -> usize {
        proto::trailer_len_with(route.topic(), route.source(), self.worst_tags_len)
    }

    /// Append one log of `entry` bytes, written by `encode`, to the open batch of `route`
    /// (sealed first and replaced by a new one if it has no room); seal the batch if it is
    /// full then. Returns the batch and the log's position in it.
    ///
    /// The usual send (the open batch has room) looks its batch up once.
    fn append(
        &mut self,
        now: &dyn Fn() -> Instant,
        route: &Route,
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
    fn create_batch(&mut self, now: Instant, route: &Route, buffer: Option<Vec<u8>>) -> BatchId {
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
            self.wire.tags().chain(pack),
        );
        let linger_deadline = now.saturating_add(self.settings.linger);
        let batch = Batch {
            route: route.clone(),
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
        };
        self.batches.insert(id, batch);
        self.open.insert(route.clone(), id);
        self.lingers.insert((linger_deadline, id));
        self.wakeup = true;
        id
    }

    /// Finish an open batch's body (once for all attempts) and queue it for transmission.
    fn seal(&mut self, now: Instant, id: BatchId) {
        let batch = self.batches.get_mut(&id).expect("sealed batch exists");
        let Phase::Open(open) = core::mem::replace(&mut batch.phase, Phase::Queued) else {
            unreachable!("only open batches are sealed")
        };
        self.open.remove(&batch.route, id);
        self.lingers.remove(&(open.linger_deadline, id));
        let pack = open.pack_id.as_deref().map(|p| (PACK_ID_KEY, p));
        let raw = open.encoder.finish(
            batch.route.topic(),
            batch.route.source(),
            self.wire.tags().chain(pack),
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

    fn seal_all_open(&mut self, now: Instant) {
        let open = self.open.ids();
        for id in open {
            self.seal(now, id);
        }
    }

    // ------------------------------------------------------------------------------------
    // Time

    /// The next instant at which [`Engine::handle_timeout`] has work: the earliest linger
    /// expiry, retry due time, delivery deadline or close deadline. `None` when no timer is
    /// pending.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let close = self
            .closing
            .and_then(|c| c.deadline)
            .filter(|_| !self.batches.is_empty());
        [
            self.lingers.first().map(|(t, _)| *t),
            self.retries.first().map(|(t, _)| *t),
            self.deadlines.first().map(|(t, _)| *t),
            close,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Process every timer due at `now`: seal lingering batches, make due retries ready,
    /// fail batches past their delivery deadline (unless a request is in flight: its outcome
    /// decides), and once the close deadline has passed fail everything left.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&(at, id)) = self.lingers.first() {
            if at > now {
                break;
            }
            self.seal(now, id);
            // A batch that lingered out before it filled: traffic is slow, so the spare
            // buffers kept for a burst go back to the allocator.
            self.pool.shrink();
        }
        while let Some(&(at, id)) = self.retries.first() {
            if at > now {
                break;
            }
            self.retries.remove(&(at, id));
            self.retry_due(id);
        }
        while let Some(&(at, id)) = self.deadlines.first() {
            if at > now {
                break;
            }
            self.deadlines.remove(&(at, id));
            let in_flight = self
                .batches
                .get(&id)
                .is_some_and(|b| matches!(b.phase, Phase::InFlight { .. }));
            if !in_flight {
                self.finish(id, Err(DeliveryFailure::DeliveryTimeout));
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

    fn retry_due(&mut self, id: BatchId) {
        let generation = self.credentials_generation;
        let Some(batch) = self.batches.get_mut(&id) else {
            return;
        };
        if batch.min_credentials_generation > generation {
            batch.phase = Phase::AwaitingCredentials;
            self.awaiting_credentials.push(id);
        } else {
            batch.phase = Phase::Queued;
            self.ready.push_back(id);
        }
    }

    // ------------------------------------------------------------------------------------
    // Requests and responses

    /// The next request to send, if a sealed batch is waiting, fewer than `max_in_flight`
    /// requests are outstanding and credentials are known. Signs the batch's prepared
    /// request with `wall` as its date.
    pub fn poll_transmit(&mut self, now: Instant, wall: UnixTime) -> Option<Transmit> {
        loop {
            if self.in_flight.len() >= self.settings.max_in_flight {
                return None;
            }
            let credentials = self.credentials.as_ref()?;
            let id = self.ready.pop_front()?;
            let Some(batch) = self.batches.get_mut(&id) else {
                continue; // finished while queued (deadline)
            };
            if !matches!(batch.phase, Phase::Queued) {
                continue;
            }
            match &mut batch.body {
                Body::Sealed(_) => {}
                Body::Raw(raw) => {
                    // No job took it: compress here.
                    let raw = core::mem::take(raw);
                    self.to_compress.remove(&id);
                    let sealed = self.wire.seal(&batch.route, &raw, &mut self.compressor);
                    self.pool.body_sealed(sealed.body_len());
                    batch.body = Body::Sealed(sealed);
                    self.pool
                        .keep(raw, self.open.len() + self.to_compress.len());
                }
                Body::Compressing { parked, .. } => {
                    // Sent once its job's result is in (`handle_compressed` re-queues it).
                    *parked = true;
                    continue;
                }
                Body::Open => unreachable!("queued batches are sealed"),
            }
            let Body::Sealed(sealed) = &batch.body else {
                unreachable!("sealed above")
            };
            match self.wire.sign(sealed, credentials, wall) {
                Ok(request) => {
                    let attempt = AttemptId(self.next_attempt);
                    self.next_attempt += 1;
                    batch.phase = Phase::InFlight {
                        attempt,
                        started: now,
                        credentials_generation: self.credentials_generation,
                    };
                    self.in_flight.insert(attempt, id);
                    self.stats.requests += 1;
                    return Some(Transmit { attempt, request });
                }
                Err(error) => {
                    // Nothing was sent: record the failure as an attempt of zero duration.
                    // Bad credentials can be replaced, so ask for fresh ones and retry.
                    batch.history.record(Attempt::failure(
                        None,
                        None,
                        Some("SignError".to_string()),
                        error.to_string(),
                        wall,
                        Duration::ZERO,
                    ));
                    let generation = self.credentials_generation;
                    self.after_failure(
                        now,
                        id,
                        Verdict::Retryable {
                            refresh_credentials: true,
                        },
                        generation,
                    );
                }
            }
        }
    }

    /// The next sealed batch to compress, as a job to run outside the engine's lock (see
    /// [`CompressJob`]), then to hand back with [`Engine::handle_compressed`].
    ///
    /// Optional: [`Engine::poll_transmit`] compresses any batch no job was taken for. A
    /// driver that takes jobs takes them *before* calling `poll_transmit`, so that no
    /// batch is compressed under its lock. New jobs may appear after `push` (a batch
    /// filled), `handle_timeout` (linger), `flush` and `close`.
    pub fn poll_compress(&mut self) -> Option<CompressJob> {
        while let Some(id) = self.to_compress.pop_first() {
            let Some(batch) = self.batches.get_mut(&id) else {
                continue;
            };
            let Body::Raw(raw) = &mut batch.body else {
                continue;
            };
            let raw = core::mem::take(raw);
            batch.body = Body::Compressing {
                raw: raw.clone(),
                parked: false,
            };
            self.pool.job_out();
            return Some(CompressJob {
                batch: id,
                route: batch.route.clone(),
                raw,
                wire: self.wire.clone(),
            });
        }
        None
    }

    /// Take the result of a [`CompressJob`]: its batch can now be sent. Results for
    /// batches that have finished meanwhile (e.g. failed at the close deadline) are
    /// dropped.
    pub fn handle_compressed(&mut self, done: Compressed) {
        let Compressed {
            batch: id,
            sealed,
            raw,
        } = done;
        self.pool.job_back();
        if let Some(batch) = self.batches.get_mut(&id) {
            if let Body::Compressing { parked, .. } = batch.body {
                // Dropping the batch's copy of the LogGroup leaves `raw` the only one.
                self.pool.body_sealed(sealed.body_len());
                batch.body = Body::Sealed(sealed);
                if parked {
                    self.ready.push_back(id);
                    self.wakeup = true;
                }
            }
        }
        self.pool
            .keep(raw, self.open.len() + self.to_compress.len());
    }

    /// Feed the outcome of attempt `attempt` (finished at `now` / `wall`). Unknown attempts
    /// (e.g. already given up at the close deadline) are ignored.
    pub fn handle_response(
        &mut self,
        now: Instant,
        wall: UnixTime,
        attempt: AttemptId,
        outcome: Result<HttpResponse, TransportError>,
    ) {
        let Some(id) = self.in_flight.remove(&attempt) else {
            return;
        };
        let batch = self.batches.get_mut(&id).expect("in-flight batch exists");
        let Phase::InFlight {
            started,
            credentials_generation,
            ..
        } = batch.phase
        else {
            unreachable!("in-flight map only holds in-flight batches")
        };
        let duration = now.saturating_duration_since(started);
        let verdict = match outcome {
            Ok(response) => {
                let verdict =
                    retry::classify_status(response.status, &self.settings.no_retry_status_codes);
                batch.history.record(wire::attempt_from_response(
                    &response, verdict, wall, duration,
                ));
                verdict
            }
            Err(error) => {
                batch.history.record(Attempt::failure(
                    None,
                    None,
                    Some(error.kind().as_str().to_string()),
                    error.message().to_string(),
                    wall,
                    duration,
                ));
                retry::classify_transport_error()
            }
        };
        match verdict {
            Verdict::Delivered => self.finish(id, Ok(())),
            verdict => self.after_failure(now, id, verdict, credentials_generation),
        }
    }

    /// Retry a failed batch after its backoff, or give it up.
    fn after_failure(
        &mut self,
        now: Instant,
        id: BatchId,
        verdict: Verdict,
        credentials_generation: u64,
    ) {
        let refresh = match verdict {
            Verdict::Delivered => unreachable!("not a failure"),
            Verdict::NotRetryable { http_status } => {
                self.finish(id, Err(DeliveryFailure::NotRetryable { http_status }));
                return;
            }
            Verdict::Retryable {
                refresh_credentials,
            } => refresh_credentials,
        };
        let batch = self.batches.get_mut(&id).expect("failed batch exists");
        let failed = batch.history.total();
        let backoff = self.settings.backoff.delay(failed, &mut self.rng);
        let close_deadline = self.closing.and_then(|c| c.deadline);
        match retry::schedule_retry(
            now,
            failed,
            self.settings.max_retries,
            backoff,
            batch.delivery_deadline,
            close_deadline,
        ) {
            Ok(at) => {
                batch.phase = Phase::Backoff { until: at };
                if refresh {
                    batch.min_credentials_generation = credentials_generation + 1;
                    if self.credentials_generation <= credentials_generation {
                        self.refresh_wanted = true;
                    }
                }
                self.retries.insert((at, id));
                self.stats.retries += 1;
            }
            Err(failure) => self.finish(id, Err(failure)),
        }
    }

    // ------------------------------------------------------------------------------------
    // Credentials

    /// Use `credentials` for every request signed from now on (including pending retries).
    /// Retries held back after a 401 become ready.
    pub fn set_credentials(&mut self, credentials: Credentials) {
        self.credentials = Some(credentials);
        self.credentials_generation += 1;
        self.refresh_wanted = false;
        for id in core::mem::take(&mut self.awaiting_credentials) {
            let Some(batch) = self.batches.get_mut(&id) else {
                continue;
            };
            if matches!(batch.phase, Phase::AwaitingCredentials) {
                batch.phase = Phase::Queued;
                self.ready.push_back(id);
            }
        }
    }

    /// Whether the server rejected the current credentials (HTTP 401) and retries wait for
    /// new ones: the driver should fetch fresh credentials (or, if they cannot change,
    /// re-install the same ones) and call [`Engine::set_credentials`].
    pub fn wants_credentials_refresh(&self) -> bool {
        self.refresh_wanted
    }

    /// Whether credentials have been set.
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    // ------------------------------------------------------------------------------------
    // Outcomes

    /// The next send outcome, in the order outcomes were decided.
    pub fn poll_event(&mut self) -> Option<DeliveryEvent<T>> {
        self.events.pop_front()
    }

    /// Remove a batch and report its outcome to every tagged send in it.
    fn finish(&mut self, id: BatchId, outcome: Result<(), DeliveryFailure>) {
        let Some(batch) = self.batches.remove(&id) else {
            return;
        };
        if let Body::Sealed(sealed) = &batch.body {
            self.pool.body_dropped(sealed.body_len());
        }
        match batch.phase {
            Phase::Open(open) => {
                self.lingers.remove(&(open.linger_deadline, id));
                self.open.remove(&batch.route, id);
            }
            Phase::InFlight { attempt, .. } => {
                self.in_flight.remove(&attempt);
            }
            Phase::Backoff { until } => {
                self.retries.remove(&(until, id));
            }
            // Stale ids in `ready` / `awaiting_credentials` are skipped when popped.
            Phase::Queued | Phase::AwaitingCredentials => {}
        }
        if let Some(deadline) = batch.delivery_deadline {
            self.deadlines.remove(&(deadline, id));
        }
        self.memory.release(batch.reserved);
        self.to_compress.remove(&id);

        let logs = batch.log_count as u64;
        let attempts = batch.history.to_shared();
        let attempt_count = batch.history.total();
        match outcome {
            Ok(()) => {
                self.stats.delivered_logs += logs;
                if let Body::Sealed(sealed) = &batch.body {
                    self.stats.delivered_raw_bytes += sealed.raw_len() as u64;
                    self.stats.delivered_body_bytes += sealed.body_len() as u64;
                }
                for part in batch.parts {
                    let result = DeliveryResult::delivered(attempts.clone(), attempt_count);
                    self.report(part.ticket, part.owner, result);
                }
            }
            Err(failure) => {
                self.stats.failed_logs += logs;
                if matches!(failure, DeliveryFailure::Closed { .. }) {
                    self.stats.closed_logs += logs;
                }
                if batch.parts.is_empty() {
                    return;
                }
                let decoded = match &batch.body {
                    Body::Sealed(sealed) => self.wire.decode_logs(sealed),
                    Body::Raw(raw) | Body::Compressing { raw, .. } => proto::decode_log_group(raw)
                        .map(|group| group.logs)
                        .unwrap_or_default(),
                    Body::Open => Vec::new(),
                };
                let split = split_logs(decoded, &batch.parts);
                for (part, logs) in batch.parts.into_iter().zip(split) {
                    self.stats.handed_back_logs += logs.len() as u64;
                    let result =
                        DeliveryResult::failed(failure, attempts.clone(), attempt_count, logs);
                    self.report(part.ticket, part.owner, result);
                }
            }
        }
    }

    fn report(&mut self, ticket: Ticket, owner: PartOwner<T>, result: DeliveryResult) {
        let index = match owner {
            PartOwner::Whole(tag) => {
                self.events.push_back(DeliveryEvent {
                    ticket,
                    tag,
                    result,
                });
                return;
            }
            PartOwner::Spanning { index } => index,
        };
        let span = self
            .spanning
            .get_mut(&ticket)
            .expect("spanning send is tracked");
        span.remaining -= 1;
        match result.failure {
            Some(failure) => {
                if span.failure.is_none() {
                    span.failure = Some(failure);
                    span.attempts = result.attempts;
                    span.attempt_count = result.attempt_count;
                }
                span.failed_logs.push((index, result.logs));
            }
            None if span.failure.is_none() => {
                span.attempts = result.attempts;
                span.attempt_count = result.attempt_count;
            }
            None => {}
        }
        if span.remaining > 0 {
            return;
        }
        let span = self.spanning.remove(&ticket).expect("present");
        let result = match span.failure {
            None => DeliveryResult::delivered(span.attempts, span.attempt_count),
            Some(failure) => {
                let mut parts = span.failed_logs;
                parts.sort_by_key(|(index, _)| *index);
                let logs = parts.into_iter().flat_map(|(_, logs)| logs).collect();
                DeliveryResult::failed(failure, span.attempts, span.attempt_count, logs)
            }
        };
        self.events.push_back(DeliveryEvent {
            ticket,
            tag: span.tag,
            result,
        });
    }

    // ------------------------------------------------------------------------------------
    // Flush and close

    /// Seal every open batch now (they are sent without waiting for linger) and return a
    /// watermark that [`Engine::is_flushed`] reports once every send accepted before this
    /// call has an outcome.
    pub fn flush(&mut self, now: Instant) -> FlushToken {
        self.seal_all_open(now);
        FlushToken(BatchId(self.next_batch))
    }

    /// Whether every send accepted before the [`Engine::flush`] that returned `token` has an
    /// outcome (its event may still be waiting in [`Engine::poll_event`]).
    pub fn is_flushed(&self, token: FlushToken) -> bool {
        self.batches
            .first_key_value()
            .is_none_or(|(id, _)| *id >= token.0)
    }

    /// Stop intake at once and seal every open batch. In-flight requests and retries go on;
    /// once `deadline` (if any) has passed, everything still without an outcome fails with
    /// [`DeliveryFailure::Closed`], handing its logs back. Without a deadline every batch
    /// runs to its own outcome.
    ///
    /// Calling it again can only bring the deadline forward.
    pub fn close(&mut self, now: Instant, deadline: Option<Instant>) {
        let deadline = match (self.closing.map(|c| c.deadline), deadline) {
            (Some(Some(old)), Some(new)) => Some(old.min(new)),
            (Some(Some(old)), None) => Some(old),
            (_, new) => new,
        };
        self.closing = Some(Closing { deadline });
        self.seal_all_open(now);
        self.handle_timeout(now);
    }

    fn fail_everything(&mut self) {
        let ids: Vec<BatchId> = self.batches.keys().copied().collect();
        for id in ids {
            let in_flight = matches!(self.batches[&id].phase, Phase::InFlight { .. });
            self.finish(id, Err(DeliveryFailure::Closed { in_flight }));
        }
    }

    /// Whether [`Engine::close`] was called.
    pub fn is_closing(&self) -> bool {
        self.closing.is_some()
    }

    /// Whether no batch is waiting for an outcome and no event is waiting to be polled.
    pub fn is_idle(&self) -> bool {
        self.batches.is_empty() && self.events.is_empty()
    }

    // ------------------------------------------------------------------------------------
    // Introspection

    /// Bytes of the memory budget held by logs without an outcome.
    pub fn buffered_bytes(&self) -> usize {
        self.memory.used()
    }

    /// The memory budget (`memory_budget`).
    pub fn memory_budget(&self) -> usize {
        self.memory.limit()
    }

    /// Requests outstanding.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Batches without an outcome (open, queued, in flight or waiting to retry).
    pub fn pending_batches(&self) -> usize {
        self.batches.len()
    }

    /// Outcomes waiting in [`Engine::poll_event`].
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// Counters since creation.
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// Whether, since the last call, a push, flush or close created something a driver
    /// must act on: a new linger timer, a request ready to send, or an outcome to deliver.
    /// Pushes that only append to an open batch do not, so a driver need not be woken for
    /// them.
    pub fn take_wakeup(&mut self) -> bool {
        core::mem::take(&mut self.wakeup)
    }
}

/// The open state of a batch the open map points to.
fn open_phase<T>(batch: &mut Batch<T>) -> &mut OpenBatch {
    let Phase::Open(open) = &mut batch.phase else {
        unreachable!("open map only holds open batches")
    };
    open
}

/// Write one log of `entry` bytes into open `batch` with `encode`: the log's position in
/// the batch, and whether the batch is full now (`limits`: its bytes and logs at most).
fn fill<T>(
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

impl Settings {
    fn from_config(config: &ProducerConfig) -> Self {
        Self {
            max_batch_bytes: config.max_batch_bytes,
            max_batch_count: config.max_batch_count,
            linger: config.linger,
            max_in_flight: config.max_in_flight,
            max_retries: config.max_retries,
            max_reserved_attempts: config.max_reserved_attempts,
            backoff: config.backoff,
            no_retry_status_codes: config.no_retry_status_codes.clone(),
            delivery_timeout: config.delivery_timeout,
            generate_pack_id: config.generate_pack_id,
            seed: config.seed,
        }
    }
}
