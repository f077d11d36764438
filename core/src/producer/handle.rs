//! How a tracked send learns its outcome: a [`DeliveryHandle`], awaited or given a
//! callback.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use super::callbacks::Deferred;
use crate::engine::{DeliveryFailure, DeliveryResult, Ticket};
use crate::rt::MaybeSend;
use crate::sync::Lock;

/// A completion callback: `Send` on native targets.
#[cfg(not(wasm_browser))]
pub(super) type Callback = Box<dyn FnOnce(DeliveryResult) + Send + 'static>;
#[cfg(wasm_browser)]
pub(super) type Callback = Box<dyn FnOnce(DeliveryResult) + 'static>;

/// Where a tracked send's outcome goes.
enum Slot {
    /// No outcome yet; wake this task when it comes.
    Waiting(Option<Waker>),
    /// No outcome yet; call this when it comes.
    Callback(Callback),
    /// The outcome, not taken yet.
    Done(DeliveryResult),
    /// The outcome was taken (or the callback called).
    Taken,
}

/// The engine's side of a tracked send: completes its [`DeliveryHandle`].
pub(crate) struct Completion(Option<Arc<Lock<Slot>>>);

impl Completion {
    /// Deliver `result`: resolve the awaiting task, or call the callback (on this thread,
    /// outside every producer lock, its panic caught with `std`).
    #[cfg_attr(not(test), allow(dead_code, reason = "the driver defers callbacks"))]
    pub(crate) fn complete(self, result: DeliveryResult) {
        if let Some(call) = self.resolve(result) {
            call.run();
        }
    }

    /// Deliver `result` to an awaiting task (woken here), or, if the handle was given a
    /// callback, hand back the call for the caller to run elsewhere (the driver queues it
    /// for its callback task).
    pub(crate) fn resolve(mut self, result: DeliveryResult) -> Option<Deferred> {
        let slot = self.0.take()?;
        fill(&slot, result)
    }
}

/// Put `result` into `slot` and wake its task; or take its callback, to be called with it.
fn fill(slot: &Lock<Slot>, result: DeliveryResult) -> Option<Deferred> {
    let mut guard = slot.lock();
    match core::mem::replace(&mut *guard, Slot::Taken) {
        Slot::Waiting(waker) => {
            *guard = Slot::Done(result);
            drop(guard);
            if let Some(w) = waker {
                w.wake();
            }
            None
        }
        Slot::Callback(callback) => Some(Deferred::new(callback, result)),
        // Filled once already: the first outcome stands.
        done @ Slot::Done(_) => {
            *guard = done;
            None
        }
        Slot::Taken => None,
    }
}

/// A completion dropped without an outcome (the producer was torn down) still completes its
/// handle, as [`DeliveryFailure::Abandoned`], so nothing waits forever.
impl Drop for Completion {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            let abandoned = DeliveryResult::failed(
                DeliveryFailure::Abandoned,
                Arc::from([]),
                0,
                Default::default(),
            );
            if let Some(call) = fill(&slot, abandoned) {
                call.run();
            }
        }
    }
}

impl fmt::Debug for Completion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Completion")
    }
}

/// The outcome of one tracked send, from
/// [`send_tracked`](crate::Producer::send_tracked), [`send_async`](crate::Producer::send_async)
/// or [`send_blocking`](crate::Producer::send_blocking): `.await` it, or hand it a callback
/// with [`on_complete`](Self::on_complete).
///
/// ```
/// # use sls_producer_core::{DeliveryHandle, DeliveryResult};
/// # async fn demo(awaited: DeliveryHandle, called_back: DeliveryHandle) {
/// let result: DeliveryResult = awaited.await;
/// if !result.is_success() {
///     eprintln!("not delivered: {:?}; {} logs handed back", result.failure, result.handed_back_count());
/// }
/// called_back.on_complete(|result| assert!(result.attempt_count <= 11));
/// # }
/// ```
///
/// Dropping the handle does not cancel the send; it only stops listening.
pub struct DeliveryHandle {
    slot: Arc<Lock<Slot>>,
    ticket: Ticket,
}

impl DeliveryHandle {
    /// Bytes a handle's shared slot takes on the heap: the slot, the `Arc`'s two counts,
    /// and the allocator's header and rounding.
    pub(crate) const SLOT_HEAP: usize = size_of::<Lock<Slot>>() + 2 * size_of::<usize>() + 16;

    /// A handle for the send `ticket`, and the engine's side of it.
    pub(crate) fn pair(ticket: Ticket) -> (Completion, Self) {
        let slot = Arc::new(Lock::new(Slot::Waiting(None)));
        (Completion(Some(slot.clone())), Self { slot, ticket })
    }

    /// The send's ticket.
    pub fn ticket(&self) -> Ticket {
        self.ticket
    }

    /// The outcome, if it is already known (without waiting).
    pub fn try_result(&mut self) -> Option<DeliveryResult> {
        let mut slot = self.slot.lock();
        match core::mem::replace(&mut *slot, Slot::Taken) {
            Slot::Done(result) => Some(result),
            other => {
                *slot = other;
                None
            }
        }
    }

    /// Call `callback` with the outcome instead of awaiting it: at once (on this thread)
    /// if the outcome is already known, otherwise on the producer's callback task as soon
    /// as it is. It runs once.
    ///
    /// Callbacks are isolated from the driver (ADR 0009, `docs/adr/0009-isolated-callbacks.md`):
    /// they run one after another on a task of their own, spawned on the producer's runtime
    /// the first time one is due, so a slow callback delays later callbacks but not the
    /// sending of other batches. On `std` targets a callback that panics is caught, counted
    /// in [`Metrics::callback_panics`](crate::Metrics::callback_panics) and reported as a
    /// diagnostic; the producer goes on. Without `std`, and where panics abort (the usual
    /// `wasm32-unknown-unknown` build), a panic is not caught. On a single-threaded runtime
    /// (tokio's current-thread, wasm) a callback that blocks its thread still blocks
    /// everything on it: await instead of blocking there.
    pub fn on_complete(self, callback: impl FnOnce(DeliveryResult) + MaybeSend + 'static) {
        let done = {
            let mut slot = self.slot.lock();
            match core::mem::replace(&mut *slot, Slot::Taken) {
                Slot::Done(result) => Some(result),
                Slot::Waiting(_) => {
                    *slot = Slot::Callback(Box::new(callback));
                    return;
                }
                Slot::Callback(_) | Slot::Taken => None,
            }
        };
        if let Some(result) = done {
            callback(result);
        }
    }
}

impl Future for DeliveryHandle {
    type Output = DeliveryResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<DeliveryResult> {
        let mut slot = self.slot.lock();
        match &mut *slot {
            Slot::Done(_) => match core::mem::replace(&mut *slot, Slot::Taken) {
                Slot::Done(result) => Poll::Ready(result),
                _ => unreachable!("matched above"),
            },
            Slot::Waiting(waker) => {
                match waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    w => *w = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            Slot::Callback(_) | Slot::Taken => {
                panic!("DeliveryHandle polled after its outcome was taken")
            }
        }
    }
}

impl fmt::Debug for DeliveryHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryHandle")
            .field("ticket", &self.ticket)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
