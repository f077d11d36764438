//! Isolated delivery callbacks: the bounded queue between the driver and the callback task,
//! and the [`CallbackTask`] that runs [`on_complete`](super::DeliveryHandle::on_complete)
//! callbacks off the driver, catching their panics (ADR 0009).
//!
//! ```text
//!  engine.poll_event_holding ─► driver: awaited handle? wake it, release its memory
//!                                       callback? ─► CallbackQueue (≤ QUEUE_CAPACITY)
//!                                                         │
//!  CallbackTask (spawned on the runtime when first needed) ◄┘ runs each callback,
//!      catch_unwind (std) ─► Metrics::callback_panics + diagnostic
//!      then releases the outcome's memory and wakes the driver and waiters
//! ```
//!
//! Back-pressure never drops an outcome: when the queue is full the driver leaves outcomes
//! in the engine, where they keep holding their share of the memory budget, so a slow
//! callback ends in `send_async` waiting (or `send` refusing with a full budget), never in
//! an unbounded backlog. `flush` and `close` count queued callbacks as undelivered.

// On `wasm32-unknown-unknown` callbacks are not `Send`, so the shared state is a non-`Send`
// value in an `Arc` there.
#![cfg_attr(wasm_browser, allow(clippy::arc_with_non_send_sync))]

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use super::blocking::DriverThread;
use super::diag;
use super::driver::Shared;
use super::handle::Callback;
use crate::engine::DeliveryResult;

/// Callbacks waiting for the callback task at most. Past it the driver leaves outcomes in
/// the engine (still holding their memory) until the task catches up.
pub(crate) const QUEUE_CAPACITY: usize = 1024;

/// Callbacks the task runs per round before it accounts for them (releases their memory,
/// wakes the driver and waiters): a whole queue, so that a close handing back hundreds of
/// thousands of outcomes costs few round trips between the driver and the task.
const CALLS_PER_ROUND: usize = QUEUE_CAPACITY;

/// A callback and the outcome it is owed. Dropped without being run (its task torn down
/// with the runtime), it runs then, so no callback is ever lost.
pub(crate) struct Deferred {
    call: Option<(Callback, DeliveryResult)>,
}

impl Deferred {
    pub(super) fn new(callback: Callback, result: DeliveryResult) -> Self {
        Self {
            call: Some((callback, result)),
        }
    }

    /// Call the callback; returns whether it panicked (a panic is caught and reported with
    /// `std`; without it, it unwinds or aborts as the target does).
    pub(crate) fn run(mut self) -> bool {
        match self.call.take() {
            Some((callback, result)) => invoke(callback, result),
            None => false,
        }
    }
}

impl Drop for Deferred {
    fn drop(&mut self) {
        if let Some((callback, result)) = self.call.take() {
            invoke(callback, result);
        }
    }
}

impl fmt::Debug for Deferred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Deferred")
    }
}

/// Call `callback` with `result`, catching a panic on `std`. Returns whether it panicked.
#[cfg(feature = "std")]
fn invoke(callback: Callback, result: DeliveryResult) -> bool {
    // `AssertUnwindSafe` is sound here: the closure owns the callback and the result, both
    // consumed by the call, so nothing it could leave half-updated is observed after a
    // panic; and no producer lock is held while it runs, so the producer's own state is
    // never seen mid-update. State the callback shares with the application (a `Mutex`)
    // keeps its own poisoning.
    let call = core::panic::AssertUnwindSafe(move || callback(result));
    match std::panic::catch_unwind(call) {
        Ok(()) => false,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| {
                    payload
                        .downcast_ref::<alloc::string::String>()
                        .map(|s| s.as_str())
                })
                .unwrap_or("(non-string panic payload)");
            diag::callback_panicked(message);
            true
        }
    }
}

/// Without `std` there is no `catch_unwind`: a panicking callback panics the task.
#[cfg(not(feature = "std"))]
fn invoke(callback: Callback, result: DeliveryResult) -> bool {
    callback(result);
    false
}

/// Calls taken for one round, and whether the queue was full before (the driver may be
/// waiting for room).
struct Round {
    calls: Vec<(Deferred, usize)>,
    was_full: bool,
}

/// Delivery callbacks the driver handed over, waiting for the [`CallbackTask`].
#[derive(Default)]
pub(crate) struct CallbackQueue {
    /// Each call with the bytes of the memory budget its outcome holds.
    calls: VecDeque<(Deferred, usize)>,
    /// The task, parked on an empty queue.
    task: Option<Waker>,
    /// The driver finished or was dropped: the task ends once the queue is empty.
    closed: bool,
}

impl CallbackQueue {
    /// How many more callbacks fit.
    pub(crate) fn room(&self) -> usize {
        QUEUE_CAPACITY.saturating_sub(self.calls.len())
    }

    /// Queue `calls`; returns the task's waker if it must be woken.
    pub(crate) fn push(&mut self, calls: Vec<(Deferred, usize)>) -> Option<Waker> {
        self.calls.extend(calls);
        self.task.take()
    }

    /// No more callbacks will come; returns the task's waker if it must be woken.
    pub(crate) fn close(&mut self) -> Option<Waker> {
        self.closed = true;
        self.task.take()
    }

    /// Callbacks waiting now.
    pub(crate) fn len(&self) -> usize {
        self.calls.len()
    }
}

/// The task that runs delivery callbacks, one after another, off the driver. The driver
/// spawns it on the producer's runtime the first time a callback is due; it ends once the
/// driver has finished (or was dropped) and every queued callback has run.
pub(crate) struct CallbackTask {
    shared: Arc<Shared>,
}

impl CallbackTask {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Take up to a round of callbacks, or park on an empty queue; `None` once the queue is
    /// closed and empty.
    fn take(&self, cx: &Context<'_>) -> Poll<Option<Round>> {
        let mut queue = self.shared.callbacks.lock();
        if queue.calls.is_empty() {
            if queue.closed {
                return Poll::Ready(None);
            }
            match &queue.task {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => queue.task = Some(cx.waker().clone()),
            }
            return Poll::Pending;
        }
        let was_full = queue.room() == 0;
        let n = queue.calls.len().min(CALLS_PER_ROUND);
        Poll::Ready(Some(Round {
            calls: queue.calls.drain(..n).collect(),
            was_full,
        }))
    }
}

impl Future for CallbackTask {
    type Output = ();

    /// One round per poll: run up to [`CALLS_PER_ROUND`] callbacks, account for them, wake
    /// who waits, and yield. Yielding after waking matters on work-stealing executors:
    /// a task woken from here may sit in this thread's own slot (tokio's LIFO slot, which
    /// other workers do not steal), and the next callback may block this thread.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // As on the driver: events raised by callbacks are not shipped back into a
        // producer, and a callback may not block on the producer (it could wait for
        // memory only callbacks free).
        let _quiet = diag::Suppressed::enter();
        let _driver = DriverThread::enter();
        let Round { calls, was_full } = match self.take(cx) {
            Poll::Ready(Some(round)) => round,
            Poll::Ready(None) => return Poll::Ready(()),
            Poll::Pending => return Poll::Pending,
        };
        let ran = calls.len();
        let (mut held, mut panics) = (0, 0);
        for (call, bytes) in calls {
            held += bytes;
            panics += u64::from(call.run());
        }
        let (waiters, driver) = {
            let mut st = self.shared.state.lock();
            st.delivering -= ran;
            st.engine.release_held(held);
            st.engine.count_callback_panics(panics);
            // The driver waits for room in the queue, or for the last callback before it
            // finishes; otherwise its next step sees the released memory anyway.
            let driver = if was_full || st.delivering == 0 {
                st.driver_waker()
            } else {
                None
            };
            (core::mem::take(&mut st.waiters), driver)
        };
        for w in waiters.into_iter().chain(driver) {
            w.wake();
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl fmt::Debug for CallbackTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackTask")
            .field("queued", &self.shared.callbacks.lock().len())
            .finish_non_exhaustive()
    }
}
