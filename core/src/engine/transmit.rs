//! Requests and responses: compression jobs, signed requests within the in-flight limit,
//! and what an answer decides (delivered, retried after backoff, given up).

use alloc::string::ToString as _;
use core::time::Duration;

use super::attempt::{Attempt, AttemptId};
use super::batch::{BatchId, Body, Phase};
use super::retry::{self, Verdict};
use super::wire::Sealed;
use super::{CompressJob, Compressed, Decision, DeliveryFailure, Engine, Transmit, clock, wire};
use crate::protocol::http::{Bytes, HttpResponse};
use crate::protocol::sign::SignError;
use crate::protocol::time::{Instant, UnixTime};
use crate::rt::TransportError;

impl<T> Engine<T> {
    /// The next request to send, if a sealed batch is waiting, fewer than `max_in_flight`
    /// requests are outstanding and the credentials of the batch's destination are known
    /// (a batch whose credentials are not waits for them). Signs the batch's prepared
    /// request with `wall`, corrected by its endpoint's learned clock offset, as its date.
    pub fn poll_transmit(&mut self, now: Instant, wall: UnixTime) -> Option<Transmit> {
        loop {
            if self.in_flight.len() >= self.settings.max_in_flight {
                return None;
            }
            let id = self.next_ready()?;
            let Some(batch) = self.batches.get_mut(&id) else {
                continue; // finished while queued (deadline)
            };
            if !matches!(batch.phase, Phase::Queued) {
                continue;
            }
            // With a spool, no attempt before the batch is written.
            if matches!(batch.body, Body::Sealed(_)) && self.hold_unwritten(id) {
                continue;
            }
            // A body that left memory during an outage is read back first.
            if self.durable.is_some() && self.hold_evicted(id) {
                continue;
            }
            let batch = self.batches.get_mut(&id).expect("looked up above");
            let to = self.destinations.get(batch.to);
            let source = self.sources.get_mut(to.credentials);
            if self.settings.format.log_groups().is_some() && source.credentials().is_none() {
                batch.phase = Phase::AwaitingCredentials;
                source.hold(id);
                continue;
            }
            match &mut batch.body {
                Body::Sealed(_) => {}
                Body::Raw(raw) => {
                    // No job took it: compress here.
                    let raw = core::mem::take(raw);
                    self.to_compress.remove(&id);
                    let sealed = to.wire.seal(&batch.route, &raw, &mut self.compressor);
                    self.compressed(id, sealed, raw);
                    if let Some(durable) = self.durable.as_mut() {
                        if durable.hold(id) {
                            continue;
                        }
                    }
                }
                Body::Compressing { parked, .. } => {
                    // Sent once its job's result is in (`handle_compressed` re-queues it).
                    *parked = true;
                    continue;
                }
                Body::Open => unreachable!("queued batches are sealed"),
                Body::Evicted { .. } => unreachable!("held above"),
            }
            let batch = self.batches.get_mut(&id).expect("batch exists");
            let to = self.destinations.get(batch.to);
            let source = self.sources.get_mut(to.credentials);
            let credentials = source.credentials();
            let Body::Sealed(sealed) = &batch.body else {
                unreachable!("sealed above")
            };
            let offset = self.destinations.offset(batch.to);
            let generation = source.generation;
            let source_id = to.credentials;
            match to.wire.sign(sealed, credentials, offset.apply(wall)) {
                Ok(request) => {
                    let attempt = AttemptId(self.next_attempt);
                    self.next_attempt += 1;
                    batch.signed_offset = offset;
                    batch.phase = Phase::InFlight {
                        attempt,
                        started: now,
                        credentials_generation: generation,
                    };
                    self.in_flight.insert(attempt, id);
                    self.stats.requests += 1;
                    return Some(Transmit { attempt, request });
                }
                Err(error) => {
                    // Nothing was sent: record the failure as an attempt of zero duration.
                    // The same batch would fail to sign again (an invalid region, a
                    // credential with a control character), so it fails now; credentials
                    // that cannot be signed with are also refreshed, so that later batches
                    // may be signed with better ones.
                    batch.record_attempt(Attempt::failure(
                        None,
                        None,
                        Some("SignError".to_string()),
                        error.to_string(),
                        wall,
                        Duration::ZERO,
                    ));
                    let rejected = matches!(error, SignError::InvalidCredentials);
                    self.after_failure(now, None, id, Verdict::Unrecoverable, generation);
                    if rejected && self.sources.get(source_id).is_provider() {
                        self.credentials_rejected(source_id);
                    }
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
            if let Some(durable) = self.durable.as_mut() {
                durable.sealed(id);
            }
            return Some(CompressJob {
                batch: id,
                route: batch.route.clone(),
                raw,
                wire: self.destinations.get(batch.to).wire.clone(),
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
        let parked = match self.batches.get(&id).map(|b| &b.body) {
            Some(Body::Compressing { parked, .. }) => *parked,
            _ => {
                // Finished meanwhile: its charge is given back already.
                self.keep_buffer(raw);
                return;
            }
        };
        // Dropping the batch's copy of the LogGroup leaves `raw` the only one.
        self.compressed(id, sealed, raw);
        if parked {
            self.ready.push_back(id);
            self.wakeup = true;
        }
    }

    /// Batch `id` is compressed into `sealed` from its LogGroup `raw`: its charge is now
    /// its body's instead of its buffer's, and the buffer may be kept for a later batch.
    ///
    /// A body larger than the buffer (incompressible logs: LZ4 adds at most 0.4 %) is
    /// charged as the buffer was.
    fn compressed(&mut self, id: BatchId, sealed: Sealed, raw: Bytes) {
        let batch = self.batches.get_mut(&id).expect("compressed batch exists");
        let body = sealed.body_len().min(batch.buffer);
        let freed = batch.buffer - body;
        batch.buffer = body;
        batch.charge -= freed;
        self.memory.release(freed);
        self.pool.body_sealed(sealed.body_len());
        batch.body = Body::Sealed(sealed);
        self.keep_buffer(raw);
    }

    /// Offer a compressed batch's LogGroup buffer to the pool.
    fn keep_buffer(&mut self, raw: Bytes) {
        let uncompressed = self.open.len() + self.to_compress.len();
        self.pool.keep(raw, uncompressed, &mut self.memory);
    }

    /// Feed the outcome of attempt `attempt` (finished at `now` / `wall`). Unknown attempts
    /// (e.g. already given up at the close deadline) change nothing
    /// ([`Decision::LateAnswer`]).
    pub fn handle_response(
        &mut self,
        now: Instant,
        wall: UnixTime,
        attempt: AttemptId,
        outcome: Result<HttpResponse, TransportError>,
    ) {
        let Some(id) = self.in_flight.remove(&attempt) else {
            self.decide(Decision::LateAnswer { attempt });
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
        // Only a signed request (PutLogs) has a date to refuse: web tracking's are sent as
        // sealed, and re-signing could not change them.
        let time_refused = (self.settings.format.log_groups())
            .and(outcome.as_ref().ok())
            .and_then(clock::refusal_date);
        let verdict = match outcome {
            Ok(response) => {
                let record = wire::attempt_from_response(&response, wall, duration);
                let verdict = retry::classify_status(
                    response.status,
                    record.error_code.as_deref(),
                    &self.settings.no_retry_status_codes,
                    self.settings.format.log_groups().is_some(),
                );
                batch.record_attempt(record);
                verdict
            }
            Err(error) => {
                batch.record_attempt(Attempt::failure(
                    None,
                    None,
                    Some(error.kind().as_str().to_string()),
                    error.message().to_string(),
                    wall,
                    duration,
                ));
                retry::classify_transport_error(error.kind())
            }
        };
        if let Some(server) = time_refused {
            if self.time_refused(now, wall, attempt, id, server) {
                return;
            }
        }
        match verdict {
            Verdict::Delivered => self.finish(id, Some(attempt), Ok(())),
            verdict => self.after_failure(now, Some(attempt), id, verdict, credentials_generation),
        }
    }

    /// Retry a failed batch after its backoff, or give it up. `attempt` is the failed
    /// request (`None` if none could be made).
    pub(super) fn after_failure(
        &mut self,
        now: Instant,
        attempt: Option<AttemptId>,
        id: BatchId,
        verdict: Verdict,
        credentials_generation: u64,
    ) {
        let refresh = match verdict {
            Verdict::Delivered => unreachable!("not a failure"),
            Verdict::NotRetryable { http_status } => {
                let failure = DeliveryFailure::NotRetryable { http_status };
                self.finish(id, attempt, Err(failure));
                return;
            }
            Verdict::Unrecoverable => {
                self.finish(id, attempt, Err(DeliveryFailure::Unrecoverable));
                return;
            }
            Verdict::Retryable {
                refresh_credentials,
            } => refresh_credentials,
        };
        let source = self.source_of(self.batches[&id].to);
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
                let current = self.sources.get(source);
                let rejected = refresh && current.generation <= credentials_generation;
                if refresh {
                    batch.min_credentials_generation = credentials_generation + 1;
                }
                let record = batch.history.last().cloned();
                self.retries.insert((at, id));
                self.stats.retries += 1;
                // With a spool, a written batch waiting for its retry is room that a send
                // waiting for the budget may take (its body can leave memory).
                self.settled |= self.durable.is_some();
                if let Some(record) = record {
                    self.decide(Decision::Retry {
                        attempt,
                        attempts: failed,
                        delay: at.saturating_duration_since(now),
                        // Fixed credentials are put back at once: the retry waits for
                        // nothing but its backoff.
                        refresh_credentials: refresh && current.is_provider(),
                        record,
                    });
                }
                if rejected {
                    self.credentials_rejected(source);
                }
                // With a spool, bodies waiting for their retry may leave memory now.
                self.spill();
            }
            Err(failure) => self.finish(id, attempt, Err(failure)),
        }
    }
}
