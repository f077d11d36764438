//! The futures a [`Producer`](super::Producer) returns: a send that waits for room, a
//! flush, a close.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;

use super::driver::Shared;
use super::handle::DeliveryHandle;
use crate::engine::{FlushToken, Metrics, Record, Refusal, Route, RouteRef, SendError, Ticket};
use crate::protocol::time::Instant;
use crate::rt::BoxFuture;

/// The future of [`Producer::send_async`](super::Producer::send_async): a send that waits
/// up to `max_block` for room in the memory budget. It resolves to the send's [`Ticket`]
/// (untracked, like [`send`](super::Producer::send)), or, made
/// [`tracked`](SendFuture::tracked), to its [`DeliveryHandle`]; after `max_block` without
/// room, to the refusal with the record handed back.
///
/// From a plain thread, [`wait`](SendFuture::wait) for it instead of awaiting it.
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<T = Ticket> {
    shared: Arc<Shared>,
    route: Route,
    record: Option<Record>,
    deadline: Option<Instant>,
    sleep: Option<BoxFuture<'static, ()>>,
    /// `T` is `Ticket` or `DeliveryHandle`.
    out: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for SendFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("route", &self.route)
            .field("record", &self.record)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl SendFuture {
    pub(super) fn new(shared: Arc<Shared>, route: &Route, record: Record) -> Self {
        Self {
            shared,
            route: route.clone(),
            record: Some(record),
            deadline: None,
            sleep: None,
            out: PhantomData,
        }
    }

    /// Track the send: resolve to its [`DeliveryHandle`] instead of its ticket.
    pub fn tracked(self) -> SendFuture<DeliveryHandle> {
        SendFuture {
            shared: self.shared,
            route: self.route,
            record: self.record,
            deadline: self.deadline,
            sleep: self.sleep,
            out: PhantomData,
        }
    }
}

impl<T: Accepted> SendFuture<T> {
    /// Block this thread until the send is accepted or refused, instead of awaiting it
    /// (feature `std`). [`Producer::send_blocking`](super::Producer::send_blocking) is
    /// `send_async(..).wait()`.
    ///
    /// # Errors
    ///
    /// As the future; [`SendError::CannotBlock`] (the record handed back, nothing sent)
    /// where blocking could stall the producer (see [`BlockingError`](super::BlockingError)).
    #[cfg(feature = "std")]
    pub fn wait(mut self) -> Result<T, SendError> {
        if let Err(reason) = super::blocking::check(self.shared.runtime.may_block()) {
            let record = self.record.take().expect("not polled yet");
            return Err(SendError::CannotBlock { record, reason });
        }
        super::blocking::block_on(self)
    }

    /// One try; `Err` only for refusals other than a full budget.
    fn try_push(&mut self, now: Instant, waker: &Waker) -> Poll<Result<T, SendError>> {
        let mut handle = None;
        let (result, driver) = {
            let pending = self
                .record
                .as_ref()
                .expect("SendFuture polled after completion");
            let mut st = self.shared.state.lock();
            let route = RouteRef::from(&self.route);
            let result = st.engine.push_logs(&|| now, pending, &route, |ticket| {
                if !T::TRACKED {
                    return None;
                }
                let (completion, receiver) = DeliveryHandle::pair(ticket);
                handle = Some(receiver);
                Some(completion)
            });
            let wake = st.engine.take_wakeup();
            let driver = wake.then(|| st.driver_waker()).flatten();
            if matches!(result, Err(Refusal::BufferFull { .. })) {
                st.wait_for_progress(waker);
            }
            (result, driver)
        };
        if let Some(w) = driver {
            w.wake();
        }
        // The record is freed, or handed back, outside the lock.
        match result {
            Ok(ticket) => {
                self.record = None;
                Poll::Ready(Ok(T::accepted(ticket, handle)))
            }
            Err(Refusal::BufferFull { .. }) if self.deadline.is_some_and(|d| now < d) => {
                Poll::Pending
            }
            Err(refusal) => {
                let record = self.record.take().expect("still held");
                Poll::Ready(Err(refusal.with_record(record)))
            }
        }
    }
}

/// What an accepted [`SendFuture`] resolves to: its [`Ticket`], or its [`DeliveryHandle`]
/// when tracked. Implemented for those two only.
pub trait Accepted: sealed::Sealed + Sized {
    #[doc(hidden)]
    const TRACKED: bool;
    #[doc(hidden)]
    fn accepted(ticket: Ticket, handle: Option<DeliveryHandle>) -> Self;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Ticket {}
    impl Sealed for super::DeliveryHandle {}
}

impl Accepted for Ticket {
    const TRACKED: bool = false;
    fn accepted(ticket: Ticket, _: Option<DeliveryHandle>) -> Self {
        ticket
    }
}

impl Accepted for DeliveryHandle {
    const TRACKED: bool = true;
    fn accepted(_: Ticket, handle: Option<DeliveryHandle>) -> Self {
        handle.expect("a handle is made on acceptance")
    }
}

impl<T: Accepted> Future for SendFuture<T> {
    type Output = Result<T, SendError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            let now = this.shared.runtime.now();
            if this.deadline.is_none() && this.shared.max_block > Duration::ZERO {
                this.deadline = Some(now.saturating_add(this.shared.max_block));
            }
            if let Poll::Ready(result) = this.try_push(now, cx.waker()) {
                this.sleep = None;
                return Poll::Ready(result);
            }
            let deadline = this.deadline.expect("set when waiting is allowed");
            let runtime = &this.shared.runtime;
            let sleep = this.sleep.get_or_insert_with(|| {
                let runtime = runtime.clone();
                Box::pin(async move { runtime.sleep_until(deadline).await })
            });
            match sleep.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                // Out of time: one last try, which fails if there is still no room.
                Poll::Ready(()) => {
                    this.deadline = Some(Instant::ZERO);
                }
            }
        }
    }
}

/// The future of [`Producer::flush`](super::Producer::flush). The flush itself starts
/// when `flush` is called; the future only waits for it.
#[must_use = "the flush has started; await the future to wait for its outcomes"]
pub struct FlushFuture {
    shared: Arc<Shared>,
    token: FlushToken,
}

impl FlushFuture {
    pub(super) fn new(shared: Arc<Shared>, token: FlushToken) -> Self {
        Self { shared, token }
    }
}

impl fmt::Debug for FlushFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlushFuture")
            .field("token", &self.token)
            .finish()
    }
}

impl Future for FlushFuture {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.shared.state.lock();
        let done = st.engine.is_flushed(self.token)
            && st.engine.pending_events() == 0
            && st.delivering == 0;
        if done || st.driver_gone {
            return Poll::Ready(());
        }
        st.wait_for_progress(cx.waker());
        Poll::Pending
    }
}

/// The future of [`Producer::close`](super::Producer::close): resolves to the final
/// [`Metrics`] once every send has its outcome. The close itself starts when `close` is
/// called; the future only waits.
///
/// Without a deadline it completes once every outcome is delivered: every handle resolved,
/// every callback run. With one, it completes at the deadline at the latest (plus the
/// engine's giving up of what is left, a step per batch), once every outcome is decided,
/// even if some are not delivered yet: the driver resolves those handles right after
/// (awaiting one resolves it) and the callback task runs those callbacks, each exactly
/// once; [`Metrics::undelivered_outcomes`] says how many there were.
#[must_use = "the close has started; await the future to wait for every outcome"]
pub struct CloseFuture {
    shared: Arc<Shared>,
    /// Whether to wait until every outcome is delivered even past the close deadline (a
    /// close without deadline).
    waits_for_all: bool,
}

impl CloseFuture {
    pub(super) fn new(shared: Arc<Shared>, waits_for_all: bool) -> Self {
        Self {
            shared,
            waits_for_all,
        }
    }
}

impl fmt::Debug for CloseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloseFuture")
            .field("waits_for_all", &self.waits_for_all)
            .finish()
    }
}

impl Future for CloseFuture {
    type Output = Metrics;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Metrics> {
        let mut st = self.shared.state.lock();
        let idle = st.engine.is_idle() && st.delivering == 0 && !st.engine.has_store_work();
        let closed = st.closed && !self.waits_for_all;
        if idle || closed || st.driver_gone {
            return Poll::Ready(st.metrics());
        }
        // Woken once a close may complete (every outcome delivered or, past the deadline,
        // decided), once the driver finishes, and after the last callback.
        if !st.closers.iter().any(|w| w.will_wake(cx.waker())) {
            st.closers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
