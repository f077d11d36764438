//! The engine's queue of outcomes waiting to be polled, where a finished batch's tracked
//! sends take one entry, their outcomes built one at a time as they are polled.
//!
//! `close(deadline)` gives up every pending batch at once: with hundreds of thousands of
//! tracked sends held, building (and queueing) one outcome per send right then would cost
//! work and memory per send at the deadline, under the producer's lock. So a finished
//! batch queues its list of parts as they are and what their outcomes share (the failure,
//! the attempts, the failed body): giving a batch up costs the same for one send as for
//! ten thousand, and each send's [`DeliveryResult`] is built when it is polled.
//!
//! ```text
//!  finish(batch) ─► Entry::Batch { parts, shared result } ─► poll ─► one DeliveryEvent
//!  (a few sends: empty sends, sends spanning batches)  Entry::One ─►    per part, in order
//! ```

use alloc::sync::Arc;
use alloc::vec::{self, Vec};
use core::fmt;

use super::attempt::Attempt;
use super::batch::{PartOwner, SendPart};
use super::fifo::Fifo;
use super::handback::{FailedBatch, HandedBack};
use super::{DeliveryEvent, DeliveryFailure, DeliveryResult, Outcome};

/// What a finished batch's sends' outcomes share.
#[derive(Clone)]
pub(super) struct SharedResult {
    /// `None` if the batch was delivered.
    pub(super) failure: Option<DeliveryFailure>,
    pub(super) attempts: Arc<[Attempt]>,
    pub(super) attempt_count: u32,
    /// The failed batch's body, for the logs each send gets back (`None` when delivered,
    /// or when the batch failed before it had a body).
    pub(super) failed: Option<Arc<FailedBatch>>,
}

/// `Debug` says whether logs are handed back, never what they are.
impl fmt::Debug for SharedResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedResult")
            .field("failure", &self.failure)
            .field("attempt_count", &self.attempt_count)
            .field("hands_back", &self.failed.is_some())
            .finish_non_exhaustive()
    }
}

impl SharedResult {
    /// The result of a send whose logs are at `logs` in the batch.
    pub(super) fn result(&self, logs: core::ops::Range<usize>) -> DeliveryResult {
        let attempts = self.attempts.clone();
        match self.failure {
            None => DeliveryResult::delivered(attempts, self.attempt_count),
            Some(failure) => {
                let logs = match &self.failed {
                    Some(failed) => HandedBack::new(failed.clone(), logs),
                    None => HandedBack::default(),
                };
                DeliveryResult::failed(failure, attempts, self.attempt_count, logs)
            }
        }
    }
}

/// The outcomes of one finished batch's whole sends, not built yet.
#[derive(Debug)]
struct BatchOutcomes<T> {
    /// Parts whose owner is [`PartOwner::Whole`], in log order.
    parts: vec::IntoIter<SendPart<T>>,
    shared: SharedResult,
    /// Memory budget bytes the last of these outcomes holds.
    held: usize,
}

/// One entry of the queue.
#[derive(Debug)]
enum Entry<T> {
    One(Outcome<T>),
    Batch(BatchOutcomes<T>),
}

/// Outcomes waiting to be polled, in the order they were decided.
#[derive(Debug)]
pub(super) struct OutcomeQueue<T> {
    entries: Fifo<Entry<T>>,
    /// Outcomes in `entries`.
    len: usize,
}

impl<T> Default for OutcomeQueue<T> {
    fn default() -> Self {
        Self {
            entries: Fifo::new(),
            len: 0,
        }
    }
}

impl<T> OutcomeQueue<T> {
    /// Outcomes waiting.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entries in the queue: a mark to tell whether a call queued anything.
    pub(super) fn entries(&self) -> usize {
        self.entries.len()
    }

    /// Queue one send's outcome.
    pub(super) fn push(&mut self, outcome: Outcome<T>) {
        self.entries.push_back(Entry::One(outcome));
        self.len += 1;
    }

    /// Queue the outcomes of `parts` (each owned whole, none spanning batches), built when
    /// polled. Nothing is queued for no parts.
    ///
    /// # Panics
    ///
    /// In debug builds, if a part spans batches: those are reported through the engine's
    /// bookkeeping of spanning sends.
    pub(super) fn push_batch(&mut self, parts: Vec<SendPart<T>>, shared: SharedResult) {
        debug_assert!(
            parts.iter().all(|p| matches!(p.owner, PartOwner::Whole(_))),
            "spanning parts are reported one by one"
        );
        if parts.is_empty() {
            return;
        }
        self.len += parts.len();
        self.entries.push_back(Entry::Batch(BatchOutcomes {
            parts: parts.into_iter(),
            shared,
            held: 0,
        }));
    }

    /// Add `bytes` to what the last queued outcome holds. Returns false if the queue is
    /// empty.
    pub(super) fn hold_on_last(&mut self, bytes: usize) -> bool {
        match self.entries.back_mut() {
            Some(Entry::One(outcome)) => outcome.held += bytes,
            Some(Entry::Batch(batch)) => batch.held += bytes,
            None => return false,
        }
        true
    }

    /// The next outcome, built now if its batch queued it whole.
    pub(super) fn pop(&mut self) -> Option<Outcome<T>> {
        loop {
            let outcome = match self.entries.front_mut()? {
                Entry::One(_) => match self.entries.pop_front() {
                    Some(Entry::One(outcome)) => Some(outcome),
                    _ => unreachable!("the front is one outcome"),
                },
                Entry::Batch(batch) => {
                    let next = batch.parts.next();
                    let last = batch.parts.len() == 0;
                    let held = if last { batch.held } else { 0 };
                    let outcome = next.and_then(|part| match part.owner {
                        PartOwner::Whole(tag) => Some(Outcome {
                            event: DeliveryEvent {
                                ticket: part.ticket,
                                tag,
                                result: batch.shared.result(part.logs),
                            },
                            held,
                        }),
                        // Never queued (asserted when queueing).
                        PartOwner::Spanning { .. } => None,
                    });
                    if last {
                        self.entries.pop_front();
                    }
                    outcome
                }
            };
            if let Some(outcome) = outcome {
                self.len -= 1;
                return Some(outcome);
            }
        }
    }
}
