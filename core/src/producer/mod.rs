//! The producer: the [`Producer`] handle your code sends through, the [`ProducerBuilder`]
//! that makes one on a [`Runtime`](crate::rt::Runtime), and the [`Driver`] future that runs it.
//!
//! ```text
//!  Producer (Clone) ──send──► Arc<Shared { lock(Engine), driver waker }> ◄── Driver (one future)
//!     │                                                                        │
//!     └─ DeliveryHandle ◄──────────── outcome (awaited, or a callback) ───────┘
//!                 ▲ callbacks run on a CallbackTask of their own, panics caught   │
//!                 └──────────── CallbackTask ◄── bounded queue ◄───────────────────┘
//! ```
//!
//! Every method locks the engine briefly and never waits for I/O. `send`, `send_parts` and
//! `send_tracked` return at once; `send_async` and `send_blocking` wait (up to the
//! configured `max_block`) only for room in the memory budget; `flush` and `close` return
//! futures that complete as the driver makes progress.
//!
//! ```text
//!  producer/
//!    mod.rs       Producer: the sends, flush, close, metrics
//!    builder.rs   ProducerBuilder, BuildError
//!    futures.rs   SendFuture, FlushFuture, CloseFuture
//!    handle.rs    DeliveryHandle (awaitable, or with a callback)
//!    callbacks.rs the callback task: callbacks off the driver, panics caught
//!    blocking.rs  the blocking helpers' guard and executor (std), BlockingError
//!    driver.rs    Driver: the one future that runs the engine on a runtime
//!    helper.rs    CompressHelper: compression next to the driver
//!    store.rs     the disk spool's operations, one at a time, off the lock
//!    diag.rs      the producer's own diagnostics, from the engine's decisions
//! ```

// On `wasm32-unknown-unknown` runtime handles and callbacks are not `Send` (one thread,
// JS promises), so the shared state is deliberately a non-`Send` value in an `Arc` there.
#![cfg_attr(wasm_browser, allow(clippy::arc_with_non_send_sync))]

mod blocking;
mod builder;
mod callbacks;
pub(crate) mod diag;
mod driver;
mod futures;
mod handle;
mod helper;
#[cfg_attr(not(feature = "spool"), path = "no_store.rs")]
mod store;

pub use blocking::BlockingError;
pub use builder::{BuildError, ProducerBuilder};
pub use driver::Driver;
pub use futures::{Accepted, CloseFuture, FlushFuture, SendFuture};
pub use handle::DeliveryHandle;
pub use helper::CompressHelper;

pub(crate) use driver::{Shared, State};
pub(crate) use handle::Completion;

use alloc::sync::Arc;
use core::fmt;
use core::time::Duration;

use crate::config::ProducerConfig;
use crate::engine::{
    Encoded, LogParts, LogSource, Metrics, Record, Refusal, Route, RouteRef, SendError, Ticket,
};
use crate::engine::{Format, LogGroups};
use crate::protocol::time::UnixTime;
use crate::sync::Guard;

/// Largest single log (encoded) that a send encodes on the stack before taking the lock;
/// larger ones are encoded under it, straight into their batch.
const PRE_ENCODE_MAX: usize = 1024;

/// A handle to a producer. Cheap to clone; all clones feed the same engine. When the last
/// handle is dropped the producer closes (without deadline) and its driver completes once
/// every send has its outcome.
///
/// Build one with [`Producer::builder`]. On every runtime the sends are the same five:
///
/// | Method | Waits | You get |
/// |---|---|---|
/// | [`send`](Self::send) | never | a [`Ticket`]; the outcome is only counted |
/// | [`send_parts`](Self::send_parts) | never | the same, for borrowed pairs: no allocation |
/// | [`send_tracked`](Self::send_tracked) | never | a [`DeliveryHandle`]: await it or give it a callback |
/// | [`send_async`](Self::send_async) | up to `max_block`, for room | a [`Ticket`], or with [`.tracked()`](SendFuture::tracked) a [`DeliveryHandle`] |
/// | [`send_blocking`](Self::send_blocking) | up to `max_block`, for room (plain threads) | a [`Ticket`] (`send_async(..).tracked().wait()` for a handle) |
///
/// A refused send hands its logs back in the [`SendError`].
pub struct Producer {
    shared: Arc<Shared>,
}

impl fmt::Debug for Producer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.state.lock();
        f.debug_struct("Producer")
            .field("engine", &st.engine)
            .finish_non_exhaustive()
    }
}

impl Clone for Producer {
    fn clone(&self) -> Self {
        self.shared.state.lock().handles += 1;
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        let waker = {
            let mut st = self.shared.state.lock();
            st.handles -= 1;
            if st.handles > 0 || st.engine.is_closing() {
                return;
            }
            let now = self.shared.runtime.now();
            st.engine.close(now, None);
            st.driver_waker()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Producer {
    /// Start building a producer for `config`: give it credentials, then build it on a
    /// runtime ([`ProducerBuilder::build_on`], or `build()` from your runtime crate).
    pub fn builder(config: ProducerConfig) -> ProducerBuilder {
        ProducerBuilder::new(config)
    }

    pub(crate) fn from_shared(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Send one log or a list without waiting and without tracking its outcome (it is
    /// counted in [`Producer::metrics`]).
    ///
    /// `record` is a [`Log`](crate::Log) or a `Vec<Log>`. A `Log` holds its pairs encoded
    /// in one buffer, so sending it copies its bytes into the batch (nothing is
    /// re-encoded). When the pairs are borrowed strings at hand,
    /// [`send_parts`](Producer::send_parts) copies them into the batch without building a
    /// `Log` at all.
    ///
    /// # Errors
    ///
    /// [`SendError`] (the record handed back) if the producer is closed, the memory budget
    /// is full, or a log can never fit a batch.
    pub fn send(&self, route: &Route, record: impl Into<Record>) -> Result<Ticket, SendError> {
        let record = record.into();
        let result = self.push_logs(&RouteRef::from(route), &record, |_| None);
        // The record (its buffers) is freed, or handed back, outside the lock.
        result.map_err(|refusal| refusal.with_record(record))
    }

    /// Send one log given as borrowed [`LogParts`] — Unix seconds, optional nanoseconds,
    /// the pairs in order, and optionally a topic and a source in place of the route's —
    /// without building a [`Log`](crate::Log) or a [`Route`]: the pairs are encoded straight
    /// into the batch, so an accepted send allocates nothing. Untracked, like
    /// [`Producer::send`].
    ///
    /// ```
    /// # use sls_producer_core::{LogParts, Producer, Route, SendError};
    /// # fn demo(producer: &Producer, route: &Route, now: u32) -> Result<(), SendError> {
    /// let user = String::from("alice");
    /// producer.send_parts(route, LogParts::new(now, &[("event", "login"), ("user", &user)]))?;
    /// producer.send_parts(route, LogParts::new(now, &[("event", "pay")]).with_topic("billing"))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Producer::send`]; the refused log is handed back as an owned `Log` (built only
    /// then).
    pub fn send_parts<K: AsRef<str>, V: AsRef<str>>(
        &self,
        route: &Route,
        parts: LogParts<'_, K, V>,
    ) -> Result<Ticket, SendError> {
        let route = RouteRef::new(route, parts.topic, parts.source);
        self.push_logs(&route, &parts, |_| None)
            .map_err(|refusal| refusal.with_record(Record::Log(parts.to_log())))
    }

    /// Send without waiting and get a [`DeliveryHandle`] for the outcome: `.await` it, or
    /// give it a callback with [`DeliveryHandle::on_complete`]. On failure the outcome
    /// hands the logs back.
    ///
    /// # Errors
    ///
    /// As [`Producer::send`].
    pub fn send_tracked(
        &self,
        route: &Route,
        record: impl Into<Record>,
    ) -> Result<DeliveryHandle, SendError> {
        let record = record.into();
        let mut handle = None;
        let result = self.push_logs(&RouteRef::from(route), &record, |ticket| {
            let (completion, receiver) = DeliveryHandle::pair(ticket);
            handle = Some(receiver);
            Some(completion)
        });
        match (result, handle) {
            (Ok(_), Some(handle)) => Ok(handle),
            (Ok(_), None) => unreachable!("a handle is made on acceptance"),
            (Err(refusal), _) => Err(refusal.with_record(record)),
        }
    }

    /// Send, waiting up to the configured `max_block` for room in the memory budget
    /// (`max_block = 0`: refuse at once, like [`Producer::send`]): back-pressure instead of
    /// unbounded memory. Resolves to the send's [`Ticket`]; make it
    /// [`tracked`](SendFuture::tracked) to get its [`DeliveryHandle`] instead:
    ///
    /// ```
    /// # use sls_producer_core::{Log, Producer, Route};
    /// # async fn demo(producer: &Producer, route: &Route, log: Log, other: Log) -> Result<(), Box<dyn std::error::Error>> {
    /// producer.send_async(route, log).await?;
    /// let outcome = producer.send_async(route, other).tracked().await?.await;
    /// # let _ = outcome; Ok(()) }
    /// ```
    pub fn send_async(&self, route: &Route, record: impl Into<Record>) -> SendFuture {
        SendFuture::new(self.shared.clone(), route, record.into())
    }

    /// [`Producer::send_async`] for a plain thread (the Go producer's `SendLog`): blocks up
    /// to `max_block` for room in the memory budget. It is `send_async(..).wait()`; for
    /// the outcome too, `send_async(..).tracked().wait()`. Feature `std`.
    ///
    /// # Errors
    ///
    /// As [`Producer::send`]; [`SendError::CannotBlock`] (the record handed back, nothing
    /// sent) where blocking could stall the producer: see [`BlockingError`].
    #[cfg(feature = "std")]
    pub fn send_blocking(
        &self,
        route: &Route,
        record: impl Into<Record>,
    ) -> Result<Ticket, SendError> {
        self.send_async(route, record).wait()
    }

    /// Push borrowed logs under the lock, then wake the driver if the push made work.
    ///
    /// A single log given as parts is encoded straight into its batch when the lock is free.
    /// When another sender holds it, a log of up to [`PRE_ENCODE_MAX`] bytes is encoded on
    /// the stack while waiting, so that the lock is then held only to copy it into its
    /// batch: senders on several threads encode in parallel, and an uncontended send copies
    /// nothing. A [`Log`](crate::Log) is held encoded already, so it just waits for the lock:
    /// it is copied once.
    fn push_logs<L: LogSource + ?Sized>(
        &self,
        route: &RouteRef<'_>,
        logs: &L,
        make_tag: impl FnOnce(Ticket) -> Option<Completion>,
    ) -> Result<Ticket, Refusal> {
        // Web tracking's JSON is written under the lock only.
        if let Some(groups) = self.shared.pre_encode
            && logs.count() == 1
            && !logs.is_encoded(0)
        {
            return match self.shared.state.try_lock() {
                Some(state) => self.push_locked(state, route, logs, make_tag),
                None => self.push_one_contended(groups, route, logs, make_tag),
            };
        }
        self.push_locked(self.shared.state.lock(), route, logs, make_tag)
    }

    /// [`Producer::push_logs`] of one log while another sender holds the lock: encode it
    /// on the stack (up to [`PRE_ENCODE_MAX`] bytes) before waiting for the lock.
    fn push_one_contended<L: LogSource + ?Sized>(
        &self,
        groups: LogGroups,
        route: &RouteRef<'_>,
        logs: &L,
        make_tag: impl FnOnce(Ticket) -> Option<Completion>,
    ) -> Result<Ticket, Refusal> {
        // Checked before it is encoded: the engine cannot look into an `Encoded` log.
        if let Some(defect) = logs.defect(0) {
            return Err(Refusal::InvalidLog { index: 0, defect });
        }
        let len = logs.encoded_len(0, Format::LogGroup(groups));
        if len > PRE_ENCODE_MAX {
            return self.push_locked(self.shared.state.lock(), route, logs, make_tag);
        }
        let mut entry = [0u8; PRE_ENCODE_MAX];
        logs.encode_to_slice(0, &mut entry[..len]);
        let state = self.shared.state.lock();
        self.push_locked(state, route, &Encoded(&entry[..len]), make_tag)
    }

    fn push_locked<L: LogSource + ?Sized>(
        &self,
        mut st: Guard<'_, State>,
        route: &RouteRef<'_>,
        logs: &L,
        make_tag: impl FnOnce(Ticket) -> Option<Completion>,
    ) -> Result<Ticket, Refusal> {
        // The clock is read only if the push opens or seals a batch.
        let runtime = &*self.shared.runtime;
        let now = || runtime.now();
        let result = st.engine.push_logs(&now, logs, route, make_tag);
        let wake = st.engine.take_wakeup();
        let waker = wake.then(|| st.driver_waker()).flatten();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
        result
    }

    /// Seal every open batch now and wait until every send accepted before this call has
    /// its outcome (callbacks run, handles resolved). Sends made later do not hold it up.
    pub fn flush(&self) -> FlushFuture {
        let now = self.shared.runtime.now();
        let (token, waker) = {
            let mut st = self.shared.state.lock();
            (st.engine.flush(now), st.driver_waker())
        };
        if let Some(w) = waker {
            w.wake();
        }
        FlushFuture::new(self.shared.clone(), token)
    }

    /// [`Producer::flush`] for a plain thread: blocks until it completes. Feature `std`.
    ///
    /// # Errors
    ///
    /// [`BlockingError`] where blocking could stall the producer; nothing was flushed then.
    #[cfg(feature = "std")]
    pub fn flush_blocking(&self) -> Result<(), BlockingError> {
        blocking::check(self.shared.runtime.may_block())?;
        blocking::block_on(self.flush());
        Ok(())
    }

    /// Stop accepting sends (at once, for every handle), seal every open batch, and wait
    /// until every send has its outcome; resolves to the final [`Metrics`].
    ///
    /// Without `timeout`, in-flight requests and retries run to their own outcome and the
    /// close completes once every awaited handle is resolved and every callback has run.
    ///
    /// With `timeout`, sends still without an outcome when it expires fail with
    /// [`DeliveryFailure::Closed`](crate::DeliveryFailure::Closed), their logs handed back,
    /// and the close completes then, with every outcome decided but not necessarily
    /// delivered: waking hundreds of thousands of handles and running their callbacks (user
    /// code) is work the deadline could not bound. The driver delivers the rest right
    /// after, so awaiting a [`DeliveryHandle`] then resolves it, and the callback task runs
    /// each remaining callback exactly once ([`Metrics::undelivered_outcomes`] counts them;
    /// ADR 0009). Keep the runtime running until they are delivered (await `close(None)`
    /// afterwards to wait for them); should it stop first, they are delivered (callbacks
    /// run) on the thread that drops the producer's tasks.
    pub fn close(&self, timeout: Option<Duration>) -> CloseFuture {
        let now = self.shared.runtime.now();
        let waker = {
            let mut st = self.shared.state.lock();
            st.engine.close(now, timeout.map(|t| now.saturating_add(t)));
            st.driver_waker()
        };
        if let Some(w) = waker {
            w.wake();
        }
        CloseFuture::new(self.shared.clone(), timeout.is_none())
    }

    /// [`Producer::close`] for a plain thread: blocks until every send has its outcome
    /// (with `timeout`, soon after it expires, with outcomes left to deliver afterwards, as
    /// for `close`). Feature `std`.
    ///
    /// # Errors
    ///
    /// [`BlockingError`] where blocking could stall the producer; the producer is not
    /// closed then.
    #[cfg(feature = "std")]
    pub fn close_blocking(&self, timeout: Option<Duration>) -> Result<Metrics, BlockingError> {
        blocking::check(self.shared.runtime.may_block())?;
        Ok(blocking::block_on(self.close(timeout)))
    }

    /// Counters and gauges (logs accepted, delivered, failed and pending, bytes, retries,
    /// requests in flight, buffer use), read at once under the producer's lock. Cheap:
    /// call it as often as you like.
    pub fn metrics(&self) -> Metrics {
        self.shared.state.lock().metrics()
    }

    /// The wall-clock time of the producer's runtime: what to stamp logs with
    /// ([`Log::from_unix_time`](crate::Log::from_unix_time)), also where the platform has
    /// no clock of its own.
    pub fn unix_time(&self) -> UnixTime {
        self.shared.runtime.unix_time()
    }

    /// Whether the producer is closing or closed.
    pub fn is_closed(&self) -> bool {
        self.shared.state.lock().engine.is_closing()
    }
}

#[cfg(all(test, feature = "sim"))]
mod tests;
