//! The producer handle: send logs, await outcomes, flush and close.
//!
//! ```text
//!  Producer (Clone) ──send──► Arc<Shared { lock(Engine), driver waker }> ◄── Driver (one future)
//! ```
//!
//! Every method locks the engine briefly and never waits for I/O. `send*` return at once;
//! `send_async*` wait (up to the configured `max_block`) only for room in the memory
//! budget; `flush` and `close` return futures that complete as the driver makes progress.

// On `wasm32-unknown-unknown` runtime handles and callbacks are not `Send` (one thread,
// JS promises), so the shared state is deliberately a non-`Send` value in an `Arc` there.
#![cfg_attr(wasm_browser, allow(clippy::arc_with_non_send_sync))]

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;

use crate::config::{ConfigError, ProducerConfig};
use crate::sync::Guard;
pub(crate) mod diag;
mod driver;
mod handle;
mod helper;
pub mod metrics;

pub use driver::{CredentialsSource, Driver};
pub use handle::{Callback, DeliveryHandle};
pub use helper::CompressHelper;

use crate::engine::{
    DeliveryResult, Encoded, Engine, EngineStats, FlushToken, LogParts, LogSource, PushError,
    Record, Refusal, Route, Ticket,
};
use crate::producer::metrics::MetricsSnapshot;
use crate::protocol::proto::Log;
use crate::protocol::shard::adjust_hash;
use crate::protocol::time::{Instant, UnixTime};
use crate::rt::{HttpTransport, MaybeSend, Sleep, Timer};
pub(crate) use driver::{Shared, State};
pub(crate) use handle::Completion;

/// Largest single log (encoded) that a send encodes on the stack before taking the lock;
/// larger ones are encoded under it, straight into their batch.
const PRE_ENCODE_MAX: usize = 1024;

/// Why a send was refused. The record is handed back in every case.
pub type SendError = PushError;

/// What [`Producer::close`] reports once every send has its outcome. Counts are logs since
/// the producer was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloseReport {
    /// Logs the server stored.
    pub delivered_logs: u64,
    /// Logs that failed for good.
    pub failed_logs: u64,
    /// Failed logs handed back to a callback or completion handle. The rest of
    /// `failed_logs` came from sends without either and are lost.
    pub handed_back_logs: u64,
    /// Failed logs given up because the close deadline passed (part of `failed_logs`).
    pub closed_logs: u64,
}

impl CloseReport {
    fn from_stats(s: EngineStats) -> Self {
        Self {
            delivered_logs: s.delivered_logs,
            failed_logs: s.failed_logs,
            handed_back_logs: s.handed_back_logs,
            closed_logs: s.closed_logs,
        }
    }
}

/// A handle to a producer. Cheap to clone; all clones feed the same engine. When the last
/// handle is dropped the producer closes (without deadline) and its driver completes once
/// every send has its outcome.
pub struct Producer {
    shared: Arc<Shared>,
    adjust_shard_hash: bool,
    buckets: u32,
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
            adjust_shard_hash: self.adjust_shard_hash,
            buckets: self.buckets,
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
            let now = self.shared.timer.now();
            st.engine.close(now, None);
            st.driver_waker()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Producer {
    /// A producer for `config` on `timer` and `transport`, and the [`Driver`] that must be
    /// polled (spawned) for anything to be sent.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] if `config` does not validate.
    pub fn new(
        config: &ProducerConfig,
        timer: Arc<dyn Timer>,
        transport: Arc<dyn HttpTransport>,
        credentials: impl Into<CredentialsSource>,
    ) -> Result<(Self, Driver), ConfigError> {
        let credentials = credentials.into();
        let initial = match &credentials {
            CredentialsSource::Static(c) => Some(c.clone()),
            CredentialsSource::Provider(_) => None,
        };
        let engine = Engine::new(config, timer.unix_time(), initial)?;
        let shared = Arc::new(Shared::new(engine, timer, config.max_block));
        let driver = Driver::new(shared.clone(), transport, credentials, config.backoff);
        let producer = Self {
            shared,
            adjust_shard_hash: config.adjust_shard_hash,
            buckets: config.buckets,
        };
        Ok((producer, driver))
    }

    /// `route` with the shard key of a hashed send (Go's `HashSend*`): with
    /// `adjust_shard_hash` (the default) `hash` is bucketed onto `buckets` route keys, so
    /// sends with different hashes can share a batch; without, it is sent verbatim. An
    /// empty hash without adjustment means no routing.
    pub fn hashed_route(&self, route: &Route, hash: &str) -> Route {
        if self.adjust_shard_hash {
            route
                .clone()
                .with_shard_key(adjust_hash(hash.as_bytes(), self.buckets))
        } else {
            route.clone().with_raw_shard_key(hash)
        }
    }

    /// Send `record` to `route`'s project and logstore with this topic, source and shard
    /// hash, the way the Go producer's `HashSendLog(project, logstore, shardHash, topic,
    /// source, log)` does; `shard_hash: None` lets the server pick a shard. The hash is
    /// bucketed as in [`Producer::hashed_route`].
    ///
    /// For a hot path, build the route once (`route.with_topic(..).with_source(..)`, then
    /// [`hashed_route`](Producer::hashed_route)) and call [`send`](Producer::send).
    ///
    /// # Errors
    ///
    /// As [`Producer::send`]: [`SendError`] with the record handed back.
    pub fn send_with(
        &self,
        route: &Route,
        topic: &str,
        source: &str,
        shard_hash: Option<&str>,
        record: impl Into<Record>,
    ) -> Result<Ticket, SendError> {
        let route = route.clone().with_topic(topic).with_source(source);
        let route = match shard_hash {
            Some(hash) => self.hashed_route(&route, hash),
            None => route.without_shard_key(),
        };
        self.send(&route, record)
    }

    fn push(
        &self,
        route: &Route,
        record: Record,
        make_tag: impl FnOnce(Ticket) -> Option<Completion>,
    ) -> Result<Ticket, SendError> {
        let result = self.push_logs(route, &record, make_tag);
        // The record (its buffers) is freed, or handed back, outside the lock.
        result.map_err(|refusal| refusal.with_record(record))
    }

    /// Push borrowed logs under the lock, then wake the driver if the push made work.
    ///
    /// A single log given as parts is encoded straight into its batch when the lock is free.
    /// When another sender holds it, a log of up to [`PRE_ENCODE_MAX`] bytes is encoded on
    /// the stack while waiting, so that the lock is then held only to copy it into its
    /// batch: senders on several threads encode in parallel, and an uncontended send copies
    /// nothing. A [`Log`] is held encoded already, so it just waits for the lock: it is
    /// copied once.
    fn push_logs<L: LogSource + ?Sized>(
        &self,
        route: &Route,
        logs: &L,
        make_tag: impl FnOnce(Ticket) -> Option<Completion>,
    ) -> Result<Ticket, Refusal> {
        if logs.count() == 1 && !logs.is_encoded(0) {
            return match self.shared.state.try_lock() {
                Some(state) => self.push_locked(state, route, logs, make_tag),
                None => self.push_one_contended(route, logs, make_tag),
            };
        }
        self.push_locked(self.shared.state.lock(), route, logs, make_tag)
    }

    /// [`Producer::push_logs`] of one log while another sender holds the lock: encode it
    /// on the stack (up to [`PRE_ENCODE_MAX`] bytes) before waiting for the lock.
    fn push_one_contended<L: LogSource + ?Sized>(
        &self,
        route: &Route,
        logs: &L,
        make_tag: impl FnOnce(Ticket) -> Option<Completion>,
    ) -> Result<Ticket, Refusal> {
        let len = logs.encoded_len(0);
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
        route: &Route,
        logs: &L,
        make_tag: impl FnOnce(Ticket) -> Option<Completion>,
    ) -> Result<Ticket, Refusal> {
        // The clock is read only if the push opens or seals a batch.
        let timer = &*self.shared.timer;
        let now = || timer.now();
        let result = st.engine.push_logs(&now, logs, route, make_tag);
        let wake = st.engine.take_wakeup();
        let waker = wake.then(|| st.driver_waker()).flatten();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
        result
    }

    /// Send one log or a list without waiting and without tracking its outcome (it is
    /// counted in [`Producer::stats`]).
    ///
    /// `record` is a [`Log`] or a `Vec<Log>`. A `Log` holds its pairs encoded in one
    /// buffer, so sending it copies its bytes into the batch (nothing is re-encoded) and
    /// frees that buffer. When the pairs are borrowed strings at hand,
    /// [`send_parts`](Producer::send_parts) copies them into the batch without building a
    /// `Log` at all.
    ///
    /// # Errors
    ///
    /// [`SendError`] (the record handed back) if the producer is closed, the memory budget
    /// is full, or a log can never fit a batch.
    pub fn send(&self, route: &Route, record: impl Into<Record>) -> Result<Ticket, SendError> {
        self.push(route, record.into(), |_| None)
    }

    /// Send one log given as borrowed parts — Unix seconds, optional sub-second nanoseconds
    /// and the key/value pairs, in order — without building a [`Log`]: the pairs are
    /// encoded straight into the batch, so an accepted send allocates nothing. Untracked,
    /// like [`Producer::send`]; the same log as a [`Log`] encodes to the same bytes.
    ///
    /// ```
    /// # use sls_producer_core::engine::Route;
    /// # use sls_producer_core::producer::{Producer, SendError};
    /// # fn demo(producer: &Producer, route: &Route) -> Result<(), SendError> {
    /// let user = String::from("alice");
    /// producer.send_parts(route, 1_700_000_000, None, &[("event", "login"), ("user", &user)])?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Producer::send`]; the refused log is handed back as an owned [`Log`] (built
    /// only then).
    pub fn send_parts<K: AsRef<str>, V: AsRef<str>>(
        &self,
        route: &Route,
        time: u32,
        time_ns: Option<u32>,
        contents: &[(K, V)],
    ) -> Result<Ticket, SendError> {
        let parts = LogParts {
            time,
            time_ns,
            contents,
        };
        self.push_logs(route, &parts, |_| None)
            .map_err(|refusal| refusal.with_record(Record::Log(parts.to_log())))
    }

    /// Send a list of logs as one send (one outcome); see [`Producer::send`].
    ///
    /// # Errors
    ///
    /// As [`Producer::send`].
    pub fn send_list(&self, route: &Route, logs: Vec<Log>) -> Result<Ticket, SendError> {
        self.send(route, logs)
    }

    /// Send and call `callback` with the outcome (on the driver's task).
    ///
    /// # Errors
    ///
    /// As [`Producer::send`]; the callback is dropped without being called.
    pub fn send_with_callback(
        &self,
        route: &Route,
        record: impl Into<Record>,
        callback: impl FnOnce(DeliveryResult) + MaybeSend + 'static,
    ) -> Result<Ticket, SendError> {
        self.push(route, record.into(), |_| {
            Some(Completion::Callback(Box::new(callback)))
        })
    }

    /// Send and get a handle that resolves to the outcome.
    ///
    /// # Errors
    ///
    /// As [`Producer::send`].
    pub fn send_with_handle(
        &self,
        route: &Route,
        record: impl Into<Record>,
    ) -> Result<DeliveryHandle, SendError> {
        let mut handle = None;
        self.push(route, record.into(), |ticket| {
            let (sender, receiver) = DeliveryHandle::pair(ticket);
            handle = Some(receiver);
            Some(Completion::Handle(sender))
        })?;
        Ok(handle.expect("made on acceptance"))
    }

    /// Send, waiting up to the configured `max_block` for room in the memory budget
    /// (`max_block = 0`: fail at once, like [`Producer::send`]).
    pub fn send_async(&self, route: &Route, record: impl Into<Record>) -> SendFuture {
        SendFuture::new(self, route, record.into(), Notify::None)
    }

    /// [`Producer::send_async`] with a completion callback.
    pub fn send_async_with_callback(
        &self,
        route: &Route,
        record: impl Into<Record>,
        callback: impl FnOnce(DeliveryResult) + MaybeSend + 'static,
    ) -> SendFuture {
        SendFuture::new(
            self,
            route,
            record.into(),
            Notify::Callback(Box::new(callback)),
        )
    }

    /// [`Producer::send_async`] returning a completion handle.
    ///
    /// # Errors
    ///
    /// As [`Producer::send`], after waiting up to `max_block` for room.
    pub async fn send_async_with_handle(
        &self,
        route: &Route,
        record: impl Into<Record>,
    ) -> Result<DeliveryHandle, SendError> {
        let future = SendFuture::new(self, route, record.into(), Notify::Handle);
        let (_, handle) = future.run().await?;
        Ok(handle.expect("a handle is made on acceptance"))
    }

    /// Seal every open batch now and wait until every send accepted before this call has
    /// its outcome (callbacks run, handles resolved). Sends made later do not hold it up.
    pub fn flush(&self) -> FlushFuture {
        let now = self.shared.timer.now();
        let (token, waker) = {
            let mut st = self.shared.state.lock();
            (st.engine.flush(now), st.driver_waker())
        };
        if let Some(w) = waker {
            w.wake();
        }
        FlushFuture {
            shared: self.shared.clone(),
            token,
        }
    }

    /// Stop accepting sends (at once, for every handle), seal every open batch, and wait
    /// until every send has its outcome. With `timeout`, sends still without one when it
    /// expires fail with [`DeliveryFailure::Closed`](crate::engine::DeliveryFailure::Closed)
    /// and their logs are handed back; without, in-flight requests and retries run to their
    /// own outcome.
    pub fn close(&self, timeout: Option<Duration>) -> CloseFuture {
        let now = self.shared.timer.now();
        let waker = {
            let mut st = self.shared.state.lock();
            st.engine.close(now, timeout.map(|t| now.saturating_add(t)));
            st.driver_waker()
        };
        if let Some(w) = waker {
            w.wake();
        }
        CloseFuture {
            shared: self.shared.clone(),
        }
    }

    /// Counters since creation.
    pub fn stats(&self) -> EngineStats {
        self.shared.state.lock().engine.stats()
    }

    /// Counters and gauges (logs accepted / delivered / failed, bytes, retries, requests in
    /// flight, buffer use), read at once under the producer's lock. Cheap: call it as often
    /// as you like.
    pub fn metrics(&self) -> MetricsSnapshot {
        MetricsSnapshot::of(&self.shared.state.lock().engine)
    }

    /// The wall-clock time of the producer's runtime: what to stamp logs with
    /// ([`Log::from_unix_time`]), also where the platform has no clock of its own.
    pub fn unix_time(&self) -> UnixTime {
        self.shared.timer.unix_time()
    }

    /// Bytes of the memory budget held by sends without an outcome.
    pub fn buffered_bytes(&self) -> usize {
        self.shared.state.lock().engine.buffered_bytes()
    }

    /// Whether the producer is closing or closed.
    pub fn is_closed(&self) -> bool {
        self.shared.state.lock().engine.is_closing()
    }
}

/// How an async send is told its outcome.
enum Notify {
    None,
    Callback(Callback),
    Handle,
}

/// The future of [`Producer::send_async`]: resolves to the send's ticket, or to the refusal
/// (with the record handed back) once `max_block` passed without room.
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture {
    shared: Arc<Shared>,
    route: Route,
    record: Option<Record>,
    notify: Option<Notify>,
    handle: Option<DeliveryHandle>,
    deadline: Option<Instant>,
    sleep: Option<Sleep>,
}

impl fmt::Debug for SendFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("route", &self.route)
            .field("record", &self.record)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl SendFuture {
    fn new(producer: &Producer, route: &Route, record: Record, notify: Notify) -> Self {
        Self {
            shared: producer.shared.clone(),
            route: route.clone(),
            record: Some(record),
            notify: Some(notify),
            handle: None,
            deadline: None,
            sleep: None,
        }
    }

    async fn run(mut self) -> Result<(Ticket, Option<DeliveryHandle>), SendError> {
        let ticket = (&mut self).await?;
        Ok((ticket, self.handle.take()))
    }

    /// One try; `Err` only for refusals other than a full budget.
    fn try_push(&mut self, now: Instant, waker: &Waker) -> Poll<Result<Ticket, SendError>> {
        let Self {
            shared,
            route,
            record,
            notify,
            handle,
            deadline,
            ..
        } = self;
        let (result, driver) = {
            let pending = record.as_ref().expect("SendFuture polled after completion");
            let mut st = shared.state.lock();
            let result = st.engine.push_logs(&|| now, pending, route, |ticket| {
                match notify.take().expect("taken once, on acceptance") {
                    Notify::None => None,
                    Notify::Callback(cb) => Some(Completion::Callback(cb)),
                    Notify::Handle => {
                        let (sender, receiver) = DeliveryHandle::pair(ticket);
                        *handle = Some(receiver);
                        Some(Completion::Handle(sender))
                    }
                }
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
                *record = None;
                Poll::Ready(Ok(ticket))
            }
            Err(Refusal::BufferFull { .. }) if deadline.is_some_and(|d| now < d) => Poll::Pending,
            Err(refusal) => {
                let record = record.take().expect("still held");
                Poll::Ready(Err(refusal.with_record(record)))
            }
        }
    }
}

impl Future for SendFuture {
    type Output = Result<Ticket, SendError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let timer = this.shared.timer.clone();
        loop {
            let now = timer.now();
            if this.deadline.is_none() && this.shared.max_block > Duration::ZERO {
                this.deadline = Some(now.saturating_add(this.shared.max_block));
            }
            if let Poll::Ready(result) = this.try_push(now, cx.waker()) {
                this.sleep = None;
                return Poll::Ready(result);
            }
            let deadline = this.deadline.expect("set when waiting is allowed");
            let sleep = this
                .sleep
                .get_or_insert_with(|| timer.sleep_until(deadline));
            match Pin::new(sleep).poll(cx) {
                Poll::Pending => return Poll::Pending,
                // Out of time: one last try, which fails if there is still no room.
                Poll::Ready(()) => {
                    this.deadline = Some(Instant::ZERO);
                }
            }
        }
    }
}

/// The future of [`Producer::flush`]. The flush itself starts when `flush` is called; the
/// future only waits for it.
#[must_use = "the flush has started; await the future to wait for its outcomes"]
pub struct FlushFuture {
    shared: Arc<Shared>,
    token: FlushToken,
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

/// The future of [`Producer::close`]. The close itself starts when `close` is called; the
/// future only waits for every outcome.
#[must_use = "the close has started; await the future to wait for every outcome"]
pub struct CloseFuture {
    shared: Arc<Shared>,
}

impl fmt::Debug for CloseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CloseFuture")
    }
}

impl Future for CloseFuture {
    type Output = CloseReport;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<CloseReport> {
        let mut st = self.shared.state.lock();
        if (st.engine.is_idle() && st.delivering == 0) || st.driver_gone {
            return Poll::Ready(CloseReport::from_stats(st.engine.stats()));
        }
        st.wait_for_progress(cx.waker());
        Poll::Pending
    }
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use alloc::vec::Vec;

    use super::*;
    use crate::credentials::Credentials;
    use crate::protocol::compress::{self, Compression};
    use crate::protocol::proto::decode_log_group;
    use crate::sim::SimRuntime;

    fn start(sim: &SimRuntime) -> Producer {
        let config = ProducerConfig::new("http://127.0.0.1:8080").with_generate_pack_id(false);
        let (producer, driver) = Producer::new(
            &config,
            sim.timer_handle(),
            sim.transport_handle(),
            Credentials::new("id", "secret"),
        )
        .unwrap();
        driver.spawn_on(&*sim.spawner_handle());
        producer
    }

    fn sent_logs(sim: &SimRuntime) -> Vec<Log> {
        let mut logs = Vec::new();
        for r in sim.transport().requests() {
            let raw_len = r
                .request
                .header("x-log-bodyrawsize")
                .unwrap()
                .parse()
                .unwrap();
            let raw = compress::decompress(Compression::Lz4, &r.request.body, raw_len).unwrap();
            logs.extend(decode_log_group(&raw).unwrap().logs);
        }
        logs
    }

    /// A small log, and one larger than what is encoded on the stack before locking.
    fn small_and_big_logs() -> [Log; 2] {
        let big = alloc::string::String::from_utf8(alloc::vec![b'b'; 2 * PRE_ENCODE_MAX]).unwrap();
        [
            Log::new(1_700_000_000)
                .with_content("k", "v")
                .with_content("msg", "hello")
                .with_time_ns(5),
            Log::new(1).with_content("big", big),
        ]
    }

    fn pairs(log: &Log) -> Vec<(&str, &str)> {
        log.contents().collect()
    }

    /// Each log sent once by every path `send` takes, and what the server received.
    fn send_every_way(send: impl Fn(&Producer, &Route, &Log)) {
        let sim = SimRuntime::new(1);
        let producer = start(&sim);
        let route = Route::new("proj", "store").unwrap();
        let logs = small_and_big_logs();
        for log in &logs {
            send(&producer, &route, log);
        }
        let report = sim.block_on(producer.close(None)).unwrap();
        assert_eq!(report.delivered_logs, 4);
        assert_eq!(sim.transport().requests().len(), 1, "one batch");
        let expected: Vec<Log> = logs.iter().flat_map(|l| [l.clone(), l.clone()]).collect();
        assert_eq!(sent_logs(&sim), expected);
    }

    #[test]
    fn send_parts_delivers_the_same_log_as_send() {
        send_every_way(|producer, route, log| {
            producer
                .send_parts(route, log.time(), log.time_ns(), &pairs(log))
                .unwrap();
            producer.send(route, log.clone()).unwrap();
        });
    }

    #[test]
    fn a_list_is_delivered_as_its_logs_in_order() {
        send_every_way(|producer, route, log| {
            producer
                .send(route, alloc::vec![log.clone(), log.clone()])
                .unwrap();
        });
    }

    #[test]
    fn a_refused_log_is_handed_back_unchanged() {
        let sim = SimRuntime::new(2);
        let producer = start(&sim);
        let route = Route::new("proj", "store").unwrap();
        drop(producer.close(None));
        let log = Log::new(7).with_content("a", "1");
        let err = producer.send(&route, log.clone()).unwrap_err();
        assert_eq!(err.into_record(), Record::Log(log));
    }

    #[test]
    fn a_send_that_finds_the_lock_taken_delivers_the_same_log() {
        // The path `send_parts` takes when another sender holds the lock: encoded on the
        // stack first (or, when too large for that, under the lock), then pushed. (A `Log`
        // just waits for the lock: it is encoded already.)
        send_every_way(|producer, route, log| {
            let pairs = pairs(log);
            let parts = LogParts {
                time: log.time(),
                time_ns: log.time_ns(),
                contents: &pairs,
            };
            producer
                .push_one_contended(route, &parts, |_| None)
                .unwrap();
            assert!(Record::Log(log.clone()).is_encoded(0));
            producer.send(route, log.clone()).unwrap();
        });
    }

    #[test]
    fn a_refused_send_parts_hands_the_log_back_as_an_owned_log() {
        let sim = SimRuntime::new(2);
        let producer = start(&sim);
        let route = Route::new("proj", "store").unwrap();
        drop(producer.close(None)); // closing starts at once; no need to wait
        let err = producer
            .send_parts(&route, 7, None, &[("a", "1"), ("b", "2")])
            .unwrap_err();
        assert_eq!(
            err,
            PushError::Closed {
                record: Record::Log(Log::new(7).with_content("a", "1").with_content("b", "2"))
            }
        );
        // Too large for any batch: refused before anything is reserved.
        let sim = SimRuntime::new(3);
        let producer = start(&sim);
        let huge = alloc::string::String::from_utf8(alloc::vec![b'x'; 600 * 1024]).unwrap();
        let err = producer
            .send_parts(&route, 7, None, &[("big", huge.as_str())])
            .unwrap_err();
        assert!(
            matches!(err, PushError::LogTooLarge { index: 0, .. }),
            "{err}"
        );
        let back = err.into_record().into_logs();
        assert_eq!(back[0].contents().next(), Some(("big", huge.as_str())));
        assert_eq!(producer.buffered_bytes(), 0);
    }
}
