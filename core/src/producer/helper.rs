//! Compression shared with helper tasks.
//!
//! The driver takes sealed batches out of the engine as [`CompressJob`]s and queues them
//! here; whichever is free first, the driver or one of its [`CompressHelper`]s, compresses
//! the next one, outside every lock. Results come back through the same queue and the
//! driver hands them to the engine. Without helpers the driver compresses every job itself,
//! as it always did; with them, compression uses more than one thread when the runtime has
//! them.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use super::driver::Shared;
use crate::engine::{CompressJob, Compressed, Fifo};
use crate::protocol::compress::Compressor;

/// Jobs waiting for a compressor, and results waiting for the driver.
#[derive(Default)]
pub(crate) struct CompressQueue {
    jobs: Fifo<CompressJob>,
    done: Vec<Compressed>,
    /// Helpers waiting for a job.
    idle: Vec<Waker>,
    /// The driver, woken when a helper hands a result back.
    driver: Option<Waker>,
    /// The driver finished or was dropped: helpers end.
    closed: bool,
    /// Jobs run by helpers so far.
    helped: u64,
}

impl CompressQueue {
    /// Queue `jobs` for `driver` (whose waker a helper uses to hand results back); the
    /// idle helpers to wake, one per job at most.
    pub(crate) fn push(&mut self, jobs: Vec<CompressJob>, driver: &Waker) -> Vec<Waker> {
        if !self.driver.as_ref().is_some_and(|w| w.will_wake(driver)) {
            self.driver = Some(driver.clone());
        }
        let wake = jobs.len().min(self.idle.len());
        self.jobs.extend(jobs);
        self.idle.drain(..wake).collect()
    }

    /// The next job to compress.
    pub(crate) fn pop(&mut self) -> Option<CompressJob> {
        self.jobs.pop_front()
    }

    /// Jobs waiting.
    pub(crate) fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Results helpers handed back since the last call.
    pub(crate) fn take_done(&mut self) -> Vec<Compressed> {
        core::mem::take(&mut self.done)
    }

    /// Jobs run by helpers so far.
    pub(crate) fn helped(&self) -> u64 {
        self.helped
    }

    /// The driver is done: drop the jobs left and end every helper (returned to be woken).
    pub(crate) fn close(&mut self) -> Vec<Waker> {
        self.closed = true;
        self.jobs.clear();
        self.driver = None;
        core::mem::take(&mut self.idle)
    }
}

/// A task that compresses batches alongside a producer's [`Driver`](super::Driver), from
/// [`Driver::compress_helper`](super::Driver::compress_helper).
///
/// The driver compresses every sealed batch itself when it has no helper; on a runtime
/// with several threads, helpers spawned next to it take batches as they are sealed, so
/// compression (the largest share of a producer's CPU) is no longer limited to the one
/// task. A helper runs one batch per poll and then yields; it completes once the driver
/// completes or is dropped. Dropping a helper (polled or not) loses nothing: a batch it
/// has not taken is compressed by the driver or another helper.
#[must_use = "a helper compresses nothing unless it is polled"]
pub struct CompressHelper {
    shared: Arc<Shared>,
    compressor: Compressor,
}

impl CompressHelper {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            compressor: Compressor::new(),
        }
    }
}

impl fmt::Debug for CompressHelper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompressHelper").finish_non_exhaustive()
    }
}

impl Future for CompressHelper {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let job = {
            let mut queue = this.shared.compress.lock();
            if queue.closed {
                return Poll::Ready(());
            }
            match queue.pop() {
                Some(job) => job,
                None => {
                    if !queue.idle.iter().any(|w| w.will_wake(cx.waker())) {
                        queue.idle.push(cx.waker().clone());
                    }
                    return Poll::Pending;
                }
            }
        };
        let done = job.run(&mut this.compressor);
        let driver = {
            let mut queue = this.shared.compress.lock();
            queue.helped += 1;
            if queue.closed {
                // The driver is gone: nothing takes the result any more.
                return Poll::Ready(());
            }
            // Wake the driver for the first result it has not seen; it takes them all.
            let first = queue.done.is_empty();
            queue.done.push(done);
            if first { queue.driver.clone() } else { None }
        };
        if let Some(driver) = driver {
            driver.wake();
        }
        // One batch per poll: let the executor run other tasks before the next.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
