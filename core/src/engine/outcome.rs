//! Outcomes: one delivery event per tracked send, decisions for diagnostics, and the
//! bookkeeping when a batch finishes.

use super::attempt::AttemptId;
use super::batch::{Batch, BatchId, Body, PartOwner, Phase};
use super::decision::{self, Decision};
use super::handback::{FailedBatch, HandedBack};
use super::outcome_queue::SharedResult;
use super::{DeliveryEvent, DeliveryFailure, DeliveryResult, Engine, Outcome, Ticket};
use alloc::vec::Vec;

impl<T> Engine<T> {
    /// The next send outcome, in the order outcomes were decided.
    ///
    /// A finished batch's share of the memory budget stays reserved until the last outcome
    /// it produced is polled: outcomes waiting here (and the logs they hand back) count
    /// against the budget, so a caller that polls slowly gets back-pressure instead of an
    /// unbounded backlog.
    pub fn poll_event(&mut self) -> Option<DeliveryEvent<T>> {
        let (event, held) = self.poll_event_holding()?;
        self.release_held(held);
        Some(event)
    }

    /// [`Engine::poll_event`] without releasing the memory the outcome holds: the caller
    /// hands it back with [`Engine::release_held`] once the outcome has been delivered
    /// (its callback ran), as the Go producer does.
    pub(crate) fn poll_event_holding(&mut self) -> Option<(DeliveryEvent<T>, usize)> {
        let Outcome { event, held } = self.events.pop()?;
        Some((event, held))
    }

    /// Give back `held` bytes of outcomes taken with [`Engine::poll_event_holding`] and
    /// since delivered.
    pub(crate) fn release_held(&mut self, held: usize) {
        if held > 0 {
            self.memory.release(held);
            self.settled = true;
        }
    }

    /// Count delivery callbacks that panicked (and were caught) in the metrics.
    pub(crate) fn count_callback_panics(&mut self, panics: u64) {
        self.stats.callback_panics += panics;
    }

    /// Queue an outcome that holds no memory.
    pub(super) fn push_event(&mut self, event: DeliveryEvent<T>) {
        self.events.push(Outcome { event, held: 0 });
    }

    /// The next decision the engine took (a retry scheduled, a batch given up, credentials
    /// refreshed, …), oldest first. Read them until `None` after every call; the engine
    /// keeps at most 1024 unread ones, dropping the oldest.
    pub fn poll_decision(&mut self) -> Option<Decision> {
        self.decisions.pop_front()
    }

    pub(super) fn decide(&mut self, decision: Decision) {
        if self.decisions.len() == decision::MAX_UNREAD {
            self.decisions.pop_front();
        }
        self.decisions.push_back(decision);
    }

    /// Whether a batch finished (delivered or given up) since the last call: memory was
    /// released and a flush may have been reached, so senders waiting for either should
    /// look again.
    pub(crate) fn take_settled(&mut self) -> bool {
        core::mem::take(&mut self.settled)
    }

    /// Remove a batch and report its outcome to every tagged send in it. `attempt` is the
    /// request whose answer decided it, if one did.
    pub(super) fn finish(
        &mut self,
        id: BatchId,
        attempt: Option<AttemptId>,
        outcome: Result<(), DeliveryFailure>,
    ) {
        let Some(batch) = self.batches.remove(&id) else {
            return;
        };
        self.durable_finished(id, &outcome);
        self.settled = true;
        let last = batch.history.last().cloned();
        match (outcome, attempt, last) {
            (Ok(()), Some(attempt), Some(record)) => self.decide(Decision::Delivered {
                attempt,
                logs: batch.log_count,
                record,
            }),
            (Err(failure), attempt, record) => self.decide(Decision::GaveUp {
                attempt,
                logs: batch.log_count,
                failure,
                record,
            }),
            _ => {}
        }
        if let Body::Sealed(sealed) = &batch.body {
            self.pool.body_dropped(sealed.body_len());
        }
        match &batch.phase {
            Phase::Open(open) => {
                self.lingers.remove(&(open.linger_deadline, id));
                self.open.remove(&batch.route, id);
                self.open_reserved -= batch.charge;
            }
            Phase::InFlight { attempt, .. } => {
                self.in_flight.remove(attempt);
            }
            Phase::Backoff { until } => {
                self.retries.remove(&(*until, id));
            }
            // Stale ids in `ready` / `awaiting_credentials` are skipped when popped.
            Phase::Queued | Phase::AwaitingCredentials => {}
        }
        if let Some(deadline) = batch.delivery_deadline {
            self.deadlines.remove(&(deadline, id));
        }
        self.to_compress.remove(&id);
        let reserved = batch.charge;
        let entries_before = self.events.entries();
        self.report_outcome(batch, outcome);
        // The batch's memory stays reserved until its last outcome is delivered (a driver
        // releases it once the callback ran); a batch without tracked sends gives it back
        // now.
        let reported = self.events.entries() > entries_before;
        if !(reported && self.events.hold_on_last(reserved)) {
            self.memory.release(reserved);
        }
    }

    /// Count a finished batch's logs and report its outcome to every tracked send in it:
    /// queued as one entry whose outcomes are built as they are polled (see
    /// [`outcome_queue`](super::outcome_queue)), so that finishing a batch, which `close`
    /// does for every pending batch at its deadline, costs no work per send beyond a count.
    fn report_outcome(&mut self, mut batch: Batch<T>, outcome: Result<(), DeliveryFailure>) {
        let logs = batch.log_count as u64;
        let shared = SharedResult {
            failure: outcome.err(),
            attempts: batch.history.to_shared(),
            attempt_count: batch.history.total(),
            failed: None,
        };
        let shared = match outcome {
            Ok(()) => {
                self.stats.delivered_logs += logs;
                if let Body::Sealed(sealed) = &batch.body {
                    self.stats.delivered_raw_bytes += sealed.raw_len() as u64;
                    self.stats.delivered_body_bytes += sealed.body_len() as u64;
                }
                shared
            }
            Err(failure) => {
                self.stats.failed_logs += logs;
                if matches!(failure, DeliveryFailure::Closed { .. }) {
                    self.stats.closed_logs += logs;
                }
                if batch.parts.is_empty() {
                    return;
                }
                // No decoding here: each send's result keeps a shared handle to the body
                // and the positions of its logs, and decodes them when asked (`close`
                // gives up every pending batch at once and must keep its deadline).
                let failed = match core::mem::replace(&mut batch.body, Body::Open) {
                    Body::Sealed(sealed) => Some(FailedBatch::sealed(
                        sealed.into_body(),
                        self.settings.format,
                    )),
                    Body::Raw(raw) | Body::Compressing { raw, .. } => {
                        Some(FailedBatch::raw(raw, self.settings.format))
                    }
                    // Only untracked batches are evicted: `parts` is empty.
                    Body::Open | Body::Evicted { .. } => None,
                };
                if failed.is_some() {
                    let handed_back: usize = batch.parts.iter().map(|p| p.logs.len()).sum();
                    self.stats.handed_back_logs += handed_back as u64;
                }
                SharedResult { failed, ..shared }
            }
        };
        let mut parts = core::mem::take(&mut batch.parts);
        // Parts of sends spanning batches (rare) go through the bookkeeping of their send
        // now; the batch's whole sends are queued as one entry.
        if parts
            .iter()
            .any(|p| matches!(p.owner, PartOwner::Spanning { .. }))
        {
            let (spanning, whole): (Vec<_>, Vec<_>) = parts
                .into_iter()
                .partition(|p| matches!(p.owner, PartOwner::Spanning { .. }));
            for part in spanning {
                let result = shared.result(part.logs.clone());
                self.report(part.ticket, part.owner, result);
            }
            parts = whole;
        }
        self.events.push_batch(parts, shared);
    }

    pub(super) fn report(&mut self, ticket: Ticket, owner: PartOwner<T>, result: DeliveryResult) {
        let index = match owner {
            PartOwner::Whole(tag) => {
                self.push_event(DeliveryEvent {
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
                // Kept in part order as they arrive (a send spans few batches), so
                // no sort is linked for it.
                let at = span.failed_logs.partition_point(|(i, _)| *i < index);
                span.failed_logs.insert(at, (index, result.handed_back));
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
                let mut logs = HandedBack::default();
                for (_, part) in span.failed_logs {
                    logs.extend(part);
                }
                DeliveryResult::failed(failure, span.attempts, span.attempt_count, logs)
            }
        };
        self.push_event(DeliveryEvent {
            ticket,
            tag: span.tag,
            result,
        });
    }
}
