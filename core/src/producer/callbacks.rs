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
use crate::engine::{DeliveryResult, Fifo};

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
    calls: Fifo<(Deferred, usize)>,
    /// The task, parked on an empty queue.
    task: Option<Waker>,
    /// The driver finished or was dropped: the task ends once the queue is empty.
    closed: bool,
    /// The task was dropped (torn down with its runtime): nothing will run queued calls.
    task_gone: bool,
}

impl CallbackQueue {
    /// How many more callbacks fit.
    pub(crate) fn room(&self) -> usize {
        QUEUE_CAPACITY.saturating_sub(self.calls.len())
    }

    /// Queue `calls`; returns the task's waker if it must be woken. Once the task is gone
    /// (dropped with its runtime) the calls are handed back, for the caller to run.
    #[allow(clippy::type_complexity)]
    pub(crate) fn push(
        &mut self,
        calls: Vec<(Deferred, usize)>,
    ) -> Result<Option<Waker>, Vec<(Deferred, usize)>> {
        if self.task_gone {
            return Err(calls);
        }
        self.calls.extend(calls);
        Ok(self.task.take())
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
            calls: queue.calls.take_front(n),
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
        for w in run(&self.shared, calls, was_full) {
            w.wake();
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A task torn down with its runtime, its queue not empty (a close that returned at its
/// deadline left callbacks queued, and the runtime stopped soon after): it runs them here,
/// on the thread that drops it, rather than leave them to whoever drops the producer last
/// (a callback that holds a `Producer` would then keep them, and itself, forever). Calls
/// queued later are handed back to the driver, which runs them itself.
impl Drop for CallbackTask {
    fn drop(&mut self) {
        let calls: Vec<_> = {
            let mut queue = self.shared.callbacks.lock();
            queue.task_gone = true;
            queue.task = None;
            queue.calls.take_front(usize::MAX)
        };
        if calls.is_empty() {
            return;
        }
        let _quiet = diag::Suppressed::enter();
        let _driver = DriverThread::enter();
        for w in run(&self.shared, calls, false) {
            w.wake();
        }
    }
}

/// Run `calls` on this thread, one after another, and account for them: release the memory
/// their outcomes held, count their panics. Returns whom to wake: the waiters; the driver
/// if `wake_driver` (it may wait for room in the queue) or if it waits for the last
/// callback before it finishes; the closers of a close without deadline once the last
/// callback after the driver finished has run.
pub(crate) fn run(shared: &Shared, calls: Vec<(Deferred, usize)>, wake_driver: bool) -> Vec<Waker> {
    let ran = calls.len();
    let (mut held, mut panics) = (0, 0);
    for (call, bytes) in calls {
        held += bytes;
        panics += u64::from(call.run());
    }
    let mut st = shared.state.lock();
    st.delivering -= ran;
    st.engine.release_held(held);
    st.engine.count_callback_panics(panics);
    let mut wake = core::mem::take(&mut st.waiters);
    if st.delivering == 0 {
        wake.append(&mut st.closers);
    }
    // Otherwise the driver's next step sees the released memory anyway.
    if wake_driver || st.delivering == 0 {
        wake.extend(st.driver_waker());
    }
    wake
}

impl fmt::Debug for CallbackTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackTask")
            .field("queued", &self.shared.callbacks.lock().len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::DeliveryEvent;
    use crate::producer::Completion;

    /// A close queues every callback at once (the queue's capacity does not hold it back
    /// then): each queued call must fit in what the memory budget charged for its outcome
    /// in the engine's queue (ADR 0008), a [`DeliveryEvent`] and its held bytes.
    #[test]
    fn a_queued_call_takes_no_more_than_the_outcome_the_budget_charged() {
        assert!(size_of::<(Deferred, usize)>() <= size_of::<(DeliveryEvent<Completion>, usize)>());
    }
}
