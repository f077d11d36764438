//! How a tracked send learns its outcome: a [`DeliveryHandle`], awaited or given a
//! callback.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use crate::engine::{DeliveryFailure, DeliveryResult, Ticket};
use crate::rt::MaybeSend;
use crate::sync::Lock;

/// A completion callback: `Send` on native targets.
#[cfg(not(wasm_browser))]
type Callback = Box<dyn FnOnce(DeliveryResult) + Send + 'static>;
#[cfg(wasm_browser)]
type Callback = Box<dyn FnOnce(DeliveryResult) + 'static>;

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
    /// outside every producer lock).
    pub(crate) fn complete(mut self, result: DeliveryResult) {
        if let Some(slot) = self.0.take() {
            fill(&slot, result);
        }
    }
}

/// Put `result` into `slot`, then wake its task or call its callback.
fn fill(slot: &Lock<Slot>, result: DeliveryResult) {
    let mut guard = slot.lock();
    match core::mem::replace(&mut *guard, Slot::Taken) {
        Slot::Waiting(waker) => {
            *guard = Slot::Done(result);
            drop(guard);
            if let Some(w) = waker {
                w.wake();
            }
        }
        Slot::Callback(callback) => {
            drop(guard);
            callback(result);
        }
        // Filled once already: the first outcome stands.
        done @ Slot::Done(_) => *guard = done,
        Slot::Taken => {}
    }
}

/// A completion dropped without an outcome (the producer was torn down) still completes its
/// handle, as [`DeliveryFailure::Abandoned`], so nothing waits forever.
impl Drop for Completion {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            let abandoned =
                DeliveryResult::failed(DeliveryFailure::Abandoned, Arc::from([]), 0, Vec::new());
            fill(&slot, abandoned);
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
///     eprintln!("not delivered: {:?}; {} logs handed back", result.failure, result.logs.len());
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
    /// if the outcome is already known, otherwise on the producer's driver as soon as it
    /// is. Keep it short; it runs once.
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
