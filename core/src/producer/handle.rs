//! How a send learns its outcome: a callback, or an awaitable [`DeliveryHandle`].

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use crate::engine::{DeliveryFailure, DeliveryResult, Ticket};
use crate::sync::Lock;

/// A per-send completion callback. It runs on the driver's task, once, after the send's
/// batch has its outcome; keep it short and never let it panic (a panic unwinds through
/// the driver). `Send` on native targets.
#[cfg(not(wasm_browser))]
pub type Callback = Box<dyn FnOnce(DeliveryResult) + Send + 'static>;

/// A per-send completion callback. It runs on the driver's task, once, after the send's
/// batch has its outcome; keep it short and never let it panic (a panic unwinds through
/// the driver).
#[cfg(wasm_browser)]
pub type Callback = Box<dyn FnOnce(DeliveryResult) + 'static>;

/// What the engine hands back for a tagged send.
pub(crate) enum Completion {
    Callback(Callback),
    Handle(Sender),
}

impl Completion {
    pub(crate) fn complete(self, result: DeliveryResult) {
        match self {
            Self::Callback(callback) => callback(result),
            Self::Handle(sender) => sender.send(result),
        }
    }
}

impl fmt::Debug for Completion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Callback(_) => "Completion::Callback",
            Self::Handle(_) => "Completion::Handle",
        })
    }
}

#[derive(Default)]
struct Slot {
    value: Option<DeliveryResult>,
    waker: Option<Waker>,
    sender_gone: bool,
}

/// The sending half of a [`DeliveryHandle`].
pub(crate) struct Sender(Arc<Lock<Slot>>);

impl Sender {
    fn send(self, result: DeliveryResult) {
        let waker = {
            let mut slot = self.0.lock();
            slot.value = Some(result);
            slot.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let waker = {
            let mut slot = self.0.lock();
            slot.sender_gone = true;
            slot.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Resolves to the outcome of one send (see
/// [`Producer::send_with_handle`](crate::producer::Producer::send_with_handle)).
///
/// Dropping the handle does not cancel the send; it only stops listening.
#[must_use = "the outcome is only observed by awaiting the handle"]
pub struct DeliveryHandle {
    slot: Arc<Lock<Slot>>,
    ticket: Ticket,
}

impl DeliveryHandle {
    pub(crate) fn pair(ticket: Ticket) -> (Sender, Self) {
        let slot = Arc::new(Lock::new(Slot::default()));
        (Sender(slot.clone()), Self { slot, ticket })
    }

    /// The send's ticket.
    pub fn ticket(&self) -> Ticket {
        self.ticket
    }

    /// The outcome, if it is already known (without waiting).
    pub fn try_result(&mut self) -> Option<DeliveryResult> {
        self.slot.lock().value.take()
    }
}

impl Future for DeliveryHandle {
    type Output = DeliveryResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<DeliveryResult> {
        let mut slot = self.slot.lock();
        if let Some(result) = slot.value.take() {
            return Poll::Ready(result);
        }
        if slot.sender_gone {
            // The producer was torn down without an outcome for this send.
            return Poll::Ready(DeliveryResult::failed(
                DeliveryFailure::Abandoned,
                Arc::from([]),
                0,
                Vec::new(),
            ));
        }
        match &mut slot.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            w => *w = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl fmt::Debug for DeliveryHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryHandle")
            .field("ticket", &self.ticket)
            .finish_non_exhaustive()
    }
}
