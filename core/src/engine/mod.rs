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
//! | [`Engine::poll_decision`] | repeatedly after any call, until `None`; what the engine decided (for diagnostics) |
//! | [`Engine::poll_credentials_fetch`] / [`Engine::handle_credentials`] | credentials from a provider: fetch when asked, report the result |
//! | [`Engine::add_credentials`] / [`Engine::add_project`] | before the first push: a project with its own endpoint, signature settings and credentials |
//! | [`Engine::flush`] / [`Engine::close`] | on the caller's request |
//! | [`Engine::poll_store`] / [`Engine::handle_written`], [`Engine::poll_acks`] / [`Engine::handle_acked`], [`Engine::poll_replay`] / [`Engine::handle_replayed`], [`Engine::poll_read`] / [`Engine::handle_read`] | with a disk spool ([`Engine::enable_durable`]): write sealed batches before their first attempt, acknowledge finished ones, replay earlier runs', read back bodies that left memory in an outage (see [`crate::durable`]) |
//!
//! [`Engine::poll_timeout`] may change after `push`, `handle_timeout`, `poll_transmit`,
//! `handle_response`, `handle_credentials`, `flush` and `close`; a driver asks again after
//! each.
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
//!
//! ```text
//!  engine/
//!    mod.rs          Engine: its state, creation, flush, close, metrics
//!    intake.rs       push: the memory budget, one encoding into the open batch, roll-over, seal
//!    charge.rs       what the memory budget counts, and what a send will cost it
//!    timers.rs       linger, retry, delivery and close deadlines
//!    transmit.rs     compression jobs, signed requests, what an answer decides
//!    credentials.rs  credentials sources, each with its refresh schedule; fresh credentials
//!    destination.rs  the default destination and the configured projects' (wire, credentials, clock)
//!    clock.rs        clock skew: the offset a time refusal teaches, the re-signed retry
//!    outcome.rs      delivery events, decisions, finishing a batch
//!    outcome_queue.rs  outcomes waiting to be polled; a finished batch's, built as polled
//!    durable.rs      the disk spool: write before the first attempt, acknowledge, replay
//!    evict.rs        the disk spool in an outage: bodies leave memory, read back when due
//!    no_spool.rs     without the `spool` feature: the hooks of the two above, doing nothing
//!    log_groups.rs   whether PutLogs' LogGroups are compiled in (the `signing` feature)
//!    key.rs open.rs batch.rs record.rs memory.rs pool.rs seal.rs wire.rs   the parts
//!    sorted.rs       the ordered maps and sets the engine keeps its state in (one untyped index)
//!    fifo.rs         the engine's and the producer's plain queues
//!    retry.rs backoff.rs attempt.rs events.rs decision.rs metrics.rs      the policies and reports
//! ```

mod attempt;
pub mod backoff;
mod batch;
mod charge;
mod clock;
mod credentials;
mod decision;
mod destination;
#[cfg(feature = "spool")]
mod durable;
#[cfg(not(feature = "spool"))]
#[path = "no_spool.rs"]
mod durable;
mod encoder;
mod events;
#[cfg(feature = "spool")]
mod evict;
mod fifo;
mod handback;
mod intake;
mod key;
mod log_groups;
mod memory;
mod metrics;
mod open;
mod outcome;
mod outcome_queue;
mod pool;
mod record;
mod retry;
mod seal;
mod sorted;
mod timers;
mod transmit;
mod wire;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

pub use crate::protocol::compress::Compressor;
pub use attempt::{Attempt, AttemptId};
pub use clock::ClockOffset;
pub use credentials::{CredentialsFetch, CredentialsId};
pub use decision::Decision;
pub(crate) use encoder::Format;
pub use events::{DeliveryEvent, DeliveryFailure, DeliveryResult, Ticket};
pub use key::Route;
pub(crate) use key::RouteRef;
pub(crate) use log_groups::LogGroups;
pub use metrics::Metrics;
pub(crate) use record::{Encoded, LogSource, Refusal};
pub use record::{LogParts, Record, SendError};
pub use seal::{CompressJob, Compressed};

use batch::{Batch, BatchId, Phase};
use credentials::Sources;
use destination::Destinations;
pub(crate) use fifo::Fifo;

use memory::MemoryBudget;
use open::OpenBatches;
use pool::BufferPool;
use sorted::{SortedMap, SortedSet, VecMap};
use wire::Wire;

use crate::config::{ConfigError, ProducerConfig, ProjectConfig};
use crate::credentials::Credentials;
use crate::engine::backoff::{BackoffPolicy, Rng};
use crate::protocol::http::HttpRequest;
use crate::protocol::pack_id::{PACK_ID_KEY, PackIdGenerator};

use crate::protocol::request::validate_project;
use crate::protocol::sign::SignatureVersion;
use crate::protocol::time::{Instant, UnixTime};

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

/// Counters since the engine was created (the counting half of [`Metrics`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counters {
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
    /// Clock offsets learned from refusals for request time.
    pub clock_corrections: u64,
    /// The offset learned last.
    pub clock_offset: ClockOffset,
    /// Delivery callbacks that panicked (caught by the driver).
    pub callback_panics: u64,
}

/// An outcome waiting to be polled, and the bytes of the memory budget it holds (its
/// batch's reservation, carried by the batch's last outcome).
#[derive(Debug)]
struct Outcome<T> {
    event: DeliveryEvent<T>,
    held: usize,
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
    /// The configured signature version, which projects that set none inherit.
    signature_version: SignatureVersion,
    /// What batches are written as (the wire mode's format).
    format: Format,
}

/// A send that spans several batches: its tag waits here until every part has an outcome.
#[derive(Debug)]
struct Spanning<T> {
    tag: T,
    remaining: u32,
    failure: Option<DeliveryFailure>,
    attempts: Arc<[Attempt]>,
    attempt_count: u32,
    /// Logs handed back by failed parts, with their part index, in part order.
    failed_logs: Vec<(u32, handback::HandedBack)>,
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
    /// Where batches go: the producer's endpoint and the configured projects'.
    destinations: Destinations,
    /// Bytes the tags of a batch take at most (the shared tags and the widest pack id).
    worst_tags_len: usize,
    memory: MemoryBudget,
    /// The part of `memory` reserved by logs in open batches: what a full budget can turn
    /// over early by sealing them (see `Engine::relieve_pressure`).
    open_reserved: usize,
    rng: Rng,
    /// What signs requests: the default source and the configured projects'.
    sources: Sources,
    batches: SortedMap<BatchId, Batch<T>>,
    open: OpenBatches,
    lingers: SortedSet<(Instant, BatchId)>,
    retries: SortedSet<(Instant, BatchId)>,
    deadlines: SortedSet<(Instant, BatchId)>,
    ready: Fifo<BatchId>,
    in_flight: SortedMap<AttemptId, BatchId>,
    spanning: SortedMap<Ticket, Spanning<T>>,
    events: outcome_queue::OutcomeQueue<T>,
    pack_ids: VecMap<(Arc<str>, Arc<str>), PackIdGenerator>,
    created: UnixTime,
    next_batch: u64,
    next_ticket: u64,
    next_attempt: u64,
    closing: Option<Closing>,
    stats: Counters,
    wakeup: bool,
    /// A batch finished since [`Engine::take_settled`] last looked: memory was released,
    /// a flush may be reached (with a spool also: a body became one that may leave
    /// memory, see `evict.rs`).
    settled: bool,
    decisions: Fifo<Decision>,
    /// Sealed batches whose body no [`CompressJob`] has taken yet.
    to_compress: SortedSet<BatchId>,
    /// Compresses bodies that no job took, in [`Engine::poll_transmit`].
    compressor: Compressor,
    /// LogGroup buffers of compressed batches, reused by the next batches of busy routes.
    pool: BufferPool,
    /// Bytes each tracked send's tag holds on the heap (see [`Engine::set_tag_heap`]).
    tag_heap: usize,
    /// The disk spool's bookkeeping, once [`Engine::enable_durable`] was called.
    durable: Option<durable::Durable>,
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
    /// Whether batches are protobuf `LogGroup`s (PutLogs), whose entries a sender may
    /// encode ahead of the engine's lock ([`LogSource::encode_to_slice`]); never without
    /// the `signing` feature.
    pub(crate) fn writes_log_groups(&self) -> Option<LogGroups> {
        self.settings.format.log_groups()
    }

    /// An engine for `config`, created at wall-clock time `wall` (mixed into the pack-id
    /// prefixes), signing with `credentials` if they are fixed. Without, credentials come
    /// from a provider: nothing is sent until the first [`Engine::handle_credentials`], and
    /// [`Engine::poll_credentials_fetch`] says when to fetch. In web-tracking mode
    /// ([`WireMode::WebTracking`](crate::config::WireMode::WebTracking)) nothing is signed
    /// and `credentials` is ignored.
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
        let worst_tags_len = settings.format.tags_len(wire.tags().chain(pack));
        Ok(Self {
            memory: MemoryBudget::new(config.memory_budget),
            open_reserved: 0,
            rng: Rng::new(settings.seed),
            destinations: Destinations::new(wire),
            worst_tags_len,
            settings,
            sources: if config.wire.signs().is_some() {
                Sources::new(credentials)
            } else {
                Sources::anonymous()
            },
            batches: SortedMap::new(),
            open: OpenBatches::default(),
            lingers: SortedSet::new(),
            retries: SortedSet::new(),
            deadlines: SortedSet::new(),
            ready: Fifo::new(),
            in_flight: SortedMap::new(),
            spanning: SortedMap::new(),
            events: outcome_queue::OutcomeQueue::default(),
            pack_ids: VecMap::new(),
            created: wall,
            next_batch: 0,
            next_ticket: 0,
            next_attempt: 0,
            closing: None,
            stats: Counters::default(),
            wakeup: false,
            settled: false,
            decisions: Fifo::new(),
            to_compress: SortedSet::new(),
            compressor: Compressor::new(),
            pool: BufferPool::new(config.memory_budget, config.max_batch_bytes),
            tag_heap: charge::DEFAULT_TAG_HEAP,
            durable: None,
        })
    }

    /// Charge each tracked send `bytes` for what its tag holds on the heap while it waits
    /// for its outcome (beside the tag's own size, always charged). The default, 64 bytes,
    /// suits a small boxed callback; a driver whose tags share a completion slot with a
    /// handle says how large that slot is.
    pub fn set_tag_heap(&mut self, bytes: usize) {
        self.tag_heap = bytes;
    }

    /// Send the batches of `project` created from now on to `config`'s endpoint, signed
    /// with its signature settings (the configured version where it sets none) and with
    /// the credentials of `credentials` ([`CredentialsId::DEFAULT`], or a source from
    /// [`Engine::add_credentials`]; `config.credentials` is the producer builder's
    /// business and is not read here). Everything else is the engine's configuration.
    /// Call it before the first push; giving a project again replaces its settings for
    /// batches created afterwards.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Project`] naming the project: its name is not an SLS project name,
    /// or a field of `config` is invalid (see [`ProjectConfig::validate`]).
    ///
    /// # Panics
    ///
    /// If `credentials` is not one of this engine's sources.
    pub fn add_project(
        &mut self,
        project: &str,
        config: &ProjectConfig,
        credentials: CredentialsId,
    ) -> Result<(), ConfigError> {
        let named = |error| ConfigError::Project {
            project: project.into(),
            error: alloc::boxed::Box::new(error),
        };
        validate_project(project).map_err(|_| {
            named(ConfigError::InvalidText {
                field: "project",
                allowed: "an SLS project name: 3 to 63 lowercase letters, digits and hyphens, \
                          starting and ending with a letter or digit",
            })
        })?;
        let _ = self.sources.get(credentials);
        let wire = self
            .destinations
            .default_wire()
            .for_project(config, self.settings.signature_version)
            .map_err(named)?;
        self.destinations.add(project, wire, credentials);
        Ok(())
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
            self.finish(id, None, Err(DeliveryFailure::Closed { in_flight }));
        }
    }

    /// Whether [`Engine::close`] was called.
    pub fn is_closing(&self) -> bool {
        self.closing.is_some()
    }

    /// Whether every batch has its outcome (some may still wait to be polled).
    pub(crate) fn all_decided(&self) -> bool {
        self.batches.is_empty()
    }

    /// The close deadline, if [`Engine::close`] was called with one.
    pub(crate) fn close_deadline(&self) -> Option<Instant> {
        self.closing.and_then(|c| c.deadline)
    }

    /// Whether no batch is waiting for an outcome and no event is waiting to be polled.
    pub fn is_idle(&self) -> bool {
        self.batches.is_empty() && self.events.is_empty()
    }

    // ------------------------------------------------------------------------------------
    // Introspection

    /// Counters since creation and gauges of the current state.
    pub fn metrics(&self) -> Metrics {
        let s = &self.stats;
        let spool = self.spool_counters();
        Metrics {
            spooled_batches: spool.spooled_batches,
            spool_failed_batches: spool.spool_failed_batches,
            spool_lost_batches: spool.spool_lost_batches,
            replayed_batches: spool.replayed_batches,
            replayed_logs: spool.replayed_logs,
            spool_skipped_records: spool.spool_skipped_records,
            evicted_batches: spool.evicted_batches,
            evicted_bytes: spool.evicted_bytes,
            read_back_batches: spool.read_back_batches,
            spool_read_failed_batches: spool.read_failed_batches,
            accepted_logs: s.accepted_logs,
            delivered_logs: s.delivered_logs,
            failed_logs: s.failed_logs,
            handed_back_logs: s.handed_back_logs,
            closed_logs: s.closed_logs,
            batches: s.batches,
            requests: s.requests,
            retries: s.retries,
            delivered_raw_bytes: s.delivered_raw_bytes,
            delivered_body_bytes: s.delivered_body_bytes,
            clock_corrections: s.clock_corrections,
            clock_offset_ms: s.clock_offset.as_millis(),
            callback_panics: s.callback_panics,
            in_flight: self.in_flight.len(),
            pending_batches: self.batches.len(),
            undelivered_outcomes: self.events.len(),
            buffered_bytes: self.memory.used() - self.pool.spare_bytes(),
            memory_budget: self.memory.limit(),
        }
    }

    /// Outcomes waiting in [`Engine::poll_event`].
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// Whether, since the last call, a push, flush or close created something a driver
    /// must act on: a new linger timer, a request ready to send, or an outcome to deliver.
    /// Pushes that only append to an open batch do not, so a driver need not be woken for
    /// them.
    pub fn take_wakeup(&mut self) -> bool {
        core::mem::take(&mut self.wakeup)
    }
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
            signature_version: config.signature_version,
            format: Format::of(config.wire),
        }
    }
}
