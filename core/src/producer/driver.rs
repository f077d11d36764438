//! The driver: one hand-written future that runs a producer's engine on a runtime.
//!
//! [`ProducerBuilder`](super::ProducerBuilder) makes a [`Producer`](super::Producer) and a
//! [`Driver`], and spawns the driver on the runtime (or hands it to you). The driver owns
//! the transport, the in-flight response futures and the credentials fetches (one at a time
//! per credentials source); every time it is polled it loops:
//!
//! ```text
//!  due timers ─► engine.handle_timeout
//!  engine.poll_compress ─► CompressJob::run outside the lock (here or in a
//!                          CompressHelper) ─► engine.handle_compressed
//!  engine.poll_transmit ─► transport.send (kept in a FuturesUnordered)
//!  engine.poll_event_holding ─► awaited handles woken (outside the lock); callbacks
//!                               queued for the CallbackTask (while there is room)
//!  engine.poll_decision ─► diagnostics
//!  engine.poll_credentials_fetch ─► provider.credentials() ─► engine.handle_credentials
//!  finished responses ─► engine.handle_response
//!  with a disk spool: engine.poll_store / poll_acks / poll_replay ─► one BatchStore
//!                     operation at a time (on its blocking pool) ─► engine.handle_written /
//!                     handle_replayed
//!  re-arm the one sleep only if the next deadline changed ─► Pending
//! ```
//!
//! Policy lives in the engine: the driver never decides when to retry or when to refresh
//! credentials, it only runs the I/O the engine asks for. It completes once the producer
//! is closed (explicitly, or because every `Producer` handle was dropped) and every send has
//! its outcome delivered (past a close deadline, once every outcome is out of the engine:
//! callbacks may still wait for the callback task then). Dropping it before that fails
//! every pending send with [`DeliveryFailure::Closed`](crate::DeliveryFailure::Closed),
//! handing the logs back, so nothing waits forever.

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

use futures_core::Stream;
use futures_util::stream::FuturesUnordered;

use super::blocking::DriverThread;
use super::callbacks::{self, CallbackQueue, CallbackTask, Deferred};
use super::diag;
use super::handle::Completion;
use super::helper::{CompressHelper, CompressQueue};
use super::store::{StoreRunner, StoreWork};
use crate::credentials::{Credentials, CredentialsError, CredentialsProvider};
use crate::engine::{
    AttemptId, CompressJob, Compressed, CredentialsFetch, CredentialsId, Decision, DeliveryEvent,
    Engine, LogGroups, Metrics,
};
use crate::protocol::compress::Compressor;
use crate::protocol::http::{HttpRequest, HttpResponse};
use crate::protocol::time::{Instant, UnixTime};
use crate::rt::{BoxFuture, HttpTransport, Runtime, TransportError};
use crate::sync::Lock;

/// Rounds of work one `poll` does before yielding to the executor (then it wakes itself).
const ROUNDS_PER_POLL: usize = 32;

/// Outcomes one engine step takes at most once the producer is closing. The callback
/// queue's room no longer limits them then (nothing more can be sent, so its back-pressure
/// has no one to slow down): the outcomes a close leaves are handed over in a few hundred
/// steps, and a callback task that falls behind (or a slow callback) never holds up the
/// awaited handles behind its queue.
const CLOSING_EVENTS_PER_STEP: usize = 4096;

/// Uncompressed bytes one `poll` compresses at most before yielding to the executor (about
/// a millisecond of LZ4, a few of zstd, at the default batch size); the rest waits for the
/// next poll.
const COMPRESS_BYTES_PER_POLL: usize = 4 << 20;

/// State shared by the driver and every handle, behind one lock.
pub(crate) struct State {
    pub(crate) engine: Engine<Completion>,
    /// Woken when a handle created work the driver must act on.
    driver_waker: Option<Waker>,
    /// Handles waiting for progress (memory released, flush reached).
    pub(super) waiters: Vec<Waker>,
    /// [`CloseFuture`](super::CloseFuture)s, woken when a close may complete and when the
    /// driver finishes (or is dropped), not on each of the many rounds a close may take to
    /// deliver its outcomes; and when the last callback queued by then has run.
    pub(super) closers: Vec<Waker>,
    /// Outcomes taken out of the engine and not delivered yet (awaited handles not woken
    /// yet, callbacks not run yet).
    pub(crate) delivering: usize,
    /// A close may complete: every outcome was delivered or, past the close deadline,
    /// decided (the rest are delivered afterwards).
    pub(super) closed: bool,
    /// Live `Producer` handles.
    pub(crate) handles: usize,
    /// The driver was dropped: nothing will make progress any more.
    pub(crate) driver_gone: bool,
}

impl State {
    /// The driver's waker, if the driver must be woken.
    pub(crate) fn driver_waker(&self) -> Option<Waker> {
        self.driver_waker.clone()
    }

    /// The engine's metrics, counting outcomes taken out of the engine and not delivered
    /// yet as undelivered too.
    pub(crate) fn metrics(&self) -> Metrics {
        let mut metrics = self.engine.metrics();
        metrics.undelivered_outcomes += self.delivering;
        metrics
    }

    /// Register `waker` to be woken on the next progress.
    pub(crate) fn wait_for_progress(&mut self, waker: &Waker) {
        if !self.waiters.iter().any(|w| w.will_wake(waker)) {
            self.waiters.push(waker.clone());
        }
    }
}

/// The producer's shared core.
pub(crate) struct Shared {
    pub(crate) state: Lock<State>,
    /// Compression jobs and results, shared with [`CompressHelper`]s (a lock of its own,
    /// never held together with `state` by a helper).
    pub(super) compress: Lock<CompressQueue>,
    /// Delivery callbacks for the [`CallbackTask`] (a lock of its own, never held together
    /// with `state`).
    pub(super) callbacks: Lock<CallbackQueue>,
    pub(crate) runtime: Arc<dyn Runtime>,
    pub(crate) max_block: Duration,
    /// Whether a sender may encode a log ahead of the lock (batches are `LogGroup`s).
    pub(crate) pre_encode: Option<LogGroups>,
}

impl Shared {
    pub(crate) fn new(
        engine: Engine<Completion>,
        runtime: Arc<dyn Runtime>,
        max_block: Duration,
    ) -> Self {
        Self {
            pre_encode: engine.writes_log_groups(),
            state: Lock::new(State {
                engine,
                driver_waker: None,
                waiters: Vec::new(),
                closers: Vec::new(),
                delivering: 0,
                closed: false,
                handles: 1,
                driver_gone: false,
            }),
            compress: Lock::new(CompressQueue::default()),
            callbacks: Lock::new(CallbackQueue::default()),
            runtime,
            max_block,
        }
    }
}

/// The outcome of one HTTP exchange, tagged with its attempt.
type Exchange = BoxFuture<'static, (AttemptId, Result<HttpResponse, TransportError>)>;

/// A running credentials fetch, tagged with its source.
type Fetch = BoxFuture<'static, (CredentialsId, Result<Credentials, CredentialsError>)>;

/// The providers of an engine's credentials sources, by [`CredentialsId`] (`None` for a
/// source of fixed credentials).
pub(crate) type Providers = Vec<Option<Arc<dyn CredentialsProvider>>>;

/// What one locked engine step produced.
struct Step {
    jobs: Vec<CompressJob>,
    transmits: Vec<(AttemptId, HttpRequest)>,
    /// Outcomes, each with the bytes of the memory budget it holds until delivered.
    events: Vec<(DeliveryEvent<Completion>, usize)>,
    decisions: Vec<Decision>,
    waiters: Vec<Waker>,
    fetches: Vec<CredentialsFetch>,
    deadline: Option<Instant>,
    /// A disk spool operation to start.
    store: Option<StoreWork>,
    finished: bool,
    progress: bool,
}

/// The future that runs a producer: see the [`producer`](crate::producer) module docs.
#[must_use = "a producer sends nothing unless its driver is polled"]
pub struct Driver {
    shared: Arc<Shared>,
    transport: Arc<dyn HttpTransport>,
    /// The provider of each credentials source; the engine asks for at most one fetch at
    /// a time per source.
    providers: Providers,
    in_flight: FuturesUnordered<Exchange>,
    sleep: Option<(Instant, BoxFuture<'static, ()>)>,
    fetches: FuturesUnordered<Fetch>,
    finished: bool,
    /// Batches this driver compressed, to hand back to the engine at the next step (the
    /// jobs wait in the shared [`CompressQueue`]: taken from the engine before it could
    /// compress them under the lock in `poll_transmit`).
    compressed: Vec<Compressed>,
    compressor: Compressor,
    /// The [`CallbackTask`] was spawned.
    callback_task: bool,
    /// The disk spool, if the producer has one.
    store: Option<StoreRunner>,
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("in_flight", &self.in_flight.len())
            .field("sleep", &self.sleep.as_ref().map(|(t, _)| *t))
            .field("finished", &self.finished)
            .field("compress_jobs", &self.shared.compress.lock().len())
            .finish_non_exhaustive()
    }
}

impl Driver {
    pub(super) fn new(
        shared: Arc<Shared>,
        transport: Arc<dyn HttpTransport>,
        providers: Providers,
        store: Option<StoreRunner>,
    ) -> Self {
        Self {
            shared,
            transport,
            providers,
            in_flight: FuturesUnordered::new(),
            sleep: None,
            fetches: FuturesUnordered::new(),
            finished: false,
            compressed: Vec::new(),
            compressor: Compressor::new(),
            callback_task: false,
            store,
        }
    }

    /// A task that compresses sealed batches alongside this driver: spawn it (any number
    /// of them) on a runtime with several threads, and compression is no longer limited
    /// to the driver's one task. See [`CompressHelper`].
    pub fn compress_helper(&self) -> CompressHelper {
        CompressHelper::new(self.shared.clone())
    }

    /// Batches the [`CompressHelper`]s compressed so far.
    pub fn helped(&self) -> u64 {
        self.shared.compress.lock().helped()
    }

    /// Queue `jobs` for the driver and its helpers, and wake idle helpers.
    fn queue_jobs(&self, jobs: Vec<CompressJob>, cx: &Context<'_>) {
        if jobs.is_empty() {
            return;
        }
        let idle = self.shared.compress.lock().push(jobs, cx.waker());
        for helper in idle {
            helper.wake();
        }
    }

    /// No more compression: end the helpers.
    fn close_helpers(&self) {
        let idle = self.shared.compress.lock().close();
        for helper in idle {
            helper.wake();
        }
    }

    /// Feed the engine: timers, requests, outcomes. Runs under the lock; calls nothing
    /// outside the engine.
    fn engine_step(&mut self, cx: &Context<'_>, fired: Option<Instant>) -> Step {
        let runtime = &self.shared.runtime;
        let (now, wall) = (runtime.now(), runtime.unix_time());
        let helped = self.shared.compress.lock().take_done();
        // Outcomes beyond the callback queue's room stay in the engine (holding their
        // memory) until the callback task catches up. Only the driver adds to the queue,
        // so the room can only grow until this step is done.
        let room = self.shared.callbacks.lock().room();
        let mut st = self.shared.state.lock();
        match &st.driver_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => st.driver_waker = Some(cx.waker().clone()),
        }
        let engine = &mut st.engine;
        let _ = engine.take_wakeup();
        for done in self.compressed.drain(..).chain(helped) {
            engine.handle_compressed(done);
        }
        let mut progress = false;
        // A fired sleep is trusted even if the clock reads a little earlier (clocks that
        // only advance on I/O, e.g. Workers).
        let timers_now = fired.map_or(now, |d| d.max(now));
        if engine.poll_timeout().is_some_and(|t| t <= timers_now) {
            engine.handle_timeout(timers_now);
            progress = true;
        }
        // Every sealed batch becomes a job first, so `poll_transmit` never compresses
        // under the lock.
        let jobs: Vec<_> = core::iter::from_fn(|| engine.poll_compress()).collect();
        let mut transmits = Vec::new();
        while let Some(t) = engine.poll_transmit(now, wall) {
            transmits.push((t.attempt, t.request));
        }
        let store = self.store.as_ref().and_then(|s| s.take_work(engine));
        let store_pending = engine.has_store_work();
        let fetches: Vec<_> =
            core::iter::from_fn(|| engine.poll_credentials_fetch(timers_now)).collect();
        let take = if engine.is_closing() {
            CLOSING_EVENTS_PER_STEP
        } else {
            room
        };
        let events: Vec<_> = core::iter::from_fn(|| engine.poll_event_holding())
            .take(take)
            .collect();
        let decisions: Vec<_> = core::iter::from_fn(|| engine.poll_decision()).collect();
        let settled = engine.take_settled();
        let mut deadline = engine.poll_timeout();
        let idle = engine.is_closing() && engine.is_idle();
        let store_busy = store.is_some() || self.store.as_ref().is_some_and(StoreRunner::is_busy);
        // Every outcome decided; some may still wait in the engine's queue.
        let decided = engine.is_closing() && engine.all_decided() && !store_pending && !store_busy;
        let queued = engine.pending_events();
        let close_deadline = engine.close_deadline();
        let past_deadline = close_deadline.is_some_and(|d| timers_now >= d);
        st.delivering += events.len();
        let mut waiters = if settled || !events.is_empty() || idle {
            core::mem::take(&mut st.waiters)
        } else {
            Vec::new()
        };
        progress |= !transmits.is_empty() || !events.is_empty() || !fetches.is_empty();
        // A close completes once every outcome is delivered; past its deadline, once every
        // outcome is decided: delivering them (waking each awaited handle, running each
        // callback) is work per send, and callbacks are user code, neither of which the
        // deadline could bound. The driver delivers the rest right after, and the
        // callback task runs the callbacks (ADR 0009).
        let closed = decided && ((queued == 0 && st.delivering == 0) || past_deadline);
        // Done once every outcome is out of the engine, and, before the deadline, every
        // callback has run.
        let finished = closed && queued == 0 && (st.delivering == 0 || past_deadline);
        if finished || (closed && !st.closed) {
            st.closed = true;
            waiters.append(&mut st.closers);
        }
        if decided && !closed {
            // Waiting for callbacks: until the close deadline at most.
            deadline = match (deadline, close_deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Step {
            finished,
            store,
            jobs,
            transmits,
            events,
            decisions,
            waiters,
            fetches,
            deadline,
            progress,
        }
    }

    /// Deliver outcomes outside the lock: wake awaiting handles here, queue callbacks for
    /// the [`CallbackTask`] (spawned on first use). Then let waiters re-check.
    fn deliver(
        &mut self,
        events: Vec<(DeliveryEvent<Completion>, usize)>,
        mut waiters: Vec<Waker>,
    ) {
        let (mut woken, mut held) = (0, 0);
        let mut calls: Vec<(Deferred, usize)> = Vec::new();
        for (event, bytes) in events {
            match event.tag.resolve(event.result) {
                Some(call) => calls.push((call, bytes)),
                None => {
                    woken += 1;
                    held += bytes;
                }
            }
        }
        if !calls.is_empty() {
            if !self.callback_task {
                self.callback_task = true;
                let task = CallbackTask::new(self.shared.clone());
                self.shared.runtime.spawn(Box::pin(task));
            }
            let pushed = self.shared.callbacks.lock().push(calls);
            match pushed {
                Ok(task) => task.into_iter().for_each(Waker::wake),
                // The task was torn down with its runtime: run them here.
                Err(calls) => waiters.extend(callbacks::run(&self.shared, calls, false)),
            }
        }
        if woken > 0 {
            let mut st = self.shared.state.lock();
            st.delivering -= woken;
            st.engine.release_held(held);
            waiters.append(&mut st.waiters);
        }
        for w in waiters {
            w.wake();
        }
    }

    /// No more callbacks: let the [`CallbackTask`] end once it has run the queued ones.
    fn close_callbacks(&self) {
        if let Some(task) = self.shared.callbacks.lock().close() {
            task.wake();
        }
    }

    /// Start the fetches the engine asked for (at most one per source runs at a time: the
    /// engine asks again only once the previous one is reported); feed finished ones to
    /// the engine. Returns whether a fetch finished.
    fn poll_credentials(&mut self, cx: &mut Context<'_>, start: Vec<CredentialsFetch>) -> bool {
        for CredentialsFetch { source, reason } in start {
            let Some(Some(provider)) = self.providers.get(source.get() as usize) else {
                continue; // fixed credentials are never fetched
            };
            diag::credentials_fetch_started(reason);
            let provider = provider.clone();
            self.fetches.push(Box::pin(
                async move { (source, provider.credentials().await) },
            ));
        }
        let mut finished = false;
        while let Poll::Ready(Some((source, result))) = Pin::new(&mut self.fetches).poll_next(cx) {
            self.with_engine(|engine, now, wall| {
                engine.handle_credentials(now, wall, source, result);
            });
            finished = true;
        }
        finished
    }

    /// Compress waiting batches, outside the lock, while `budget` (uncompressed bytes)
    /// lasts; the results go back to the engine at the next step. Returns whether any ran.
    fn compress(&mut self, budget: &mut usize) -> bool {
        let mut ran = false;
        while *budget > 0 {
            let Some(job) = self.shared.compress.lock().pop() else {
                break;
            };
            *budget = budget.saturating_sub(job.raw_len());
            self.compressed.push(job.run(&mut self.compressor));
            ran = true;
        }
        ran
    }

    /// Poll the disk spool's operation; give a finished one to the engine. Returns
    /// whether one finished.
    fn poll_store(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(done) = self.store.as_mut().and_then(|s| s.poll(cx)) else {
            return false;
        };
        self.with_engine(|engine, now, _| StoreRunner::report(done, engine, now));
        true
    }

    fn start_requests(&mut self, transmits: Vec<(AttemptId, HttpRequest)>) {
        for (attempt, request) in transmits {
            let transport = self.transport.clone();
            self.in_flight.push(Box::pin(
                async move { (attempt, transport.send(request).await) },
            ));
        }
    }

    /// Feed every finished response to the engine. Returns whether any finished.
    fn poll_responses(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        while let Poll::Ready(Some((attempt, outcome))) =
            Pin::new(&mut self.in_flight).poll_next(cx)
        {
            self.with_engine(|engine, now, wall| {
                engine.handle_response(now, wall, attempt, outcome);
            });
            progress = true;
        }
        progress
    }

    /// Run `f` on the engine, under the lock, with the runtime's clocks read just before.
    fn with_engine(&self, f: impl FnOnce(&mut Engine<Completion>, Instant, UnixTime)) {
        let runtime = &self.shared.runtime;
        let (now, wall) = (runtime.now(), runtime.unix_time());
        f(&mut self.shared.state.lock().engine, now, wall);
    }

    /// Arm the one sleep for `deadline`; returns the deadline if it has already passed or
    /// the sleep fired.
    fn poll_sleep(&mut self, cx: &mut Context<'_>, deadline: Option<Instant>) -> Option<Instant> {
        let Some(deadline) = deadline else {
            self.sleep = None;
            return None;
        };
        if deadline <= self.shared.runtime.now() {
            self.sleep = None;
            return Some(deadline);
        }
        if self.sleep.as_ref().is_none_or(|(t, _)| *t != deadline) {
            let runtime = self.shared.runtime.clone();
            let sleep = Box::pin(async move { runtime.sleep_until(deadline).await });
            self.sleep = Some((deadline, sleep));
        }
        let (_, sleep) = self.sleep.as_mut().expect("armed above");
        if sleep.as_mut().poll(cx).is_ready() {
            self.sleep = None;
            return Some(deadline);
        }
        None
    }
}

impl Future for Driver {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(());
        }
        // Events raised while the driver runs (its own, the transport's, delivery
        // callbacks') are not shipped back into a producer; blocking calls from here
        // (a callback) are refused.
        let _quiet = diag::Suppressed::enter();
        let _driver = DriverThread::enter();
        let mut fired = None;
        let mut compress_budget = COMPRESS_BYTES_PER_POLL;
        for _ in 0..ROUNDS_PER_POLL {
            let step = this.engine_step(cx, fired.take());
            let mut progress = step.progress;
            this.queue_jobs(step.jobs, cx);
            this.start_requests(step.transmits);
            if let (Some(work), Some(store)) = (step.store, this.store.as_mut()) {
                store.start(work);
                progress = true;
            }
            for decision in &step.decisions {
                diag::decided(decision);
            }
            this.deliver(step.events, step.waiters);
            if step.finished {
                this.finished = true;
                this.close_helpers();
                this.close_callbacks();
                let metrics = this.shared.state.lock().metrics();
                diag::closed(&metrics);
                // Abandoned requests (given up at the close deadline) are dropped here.
                this.in_flight = FuturesUnordered::new();
                this.sleep = None;
                this.fetches = FuturesUnordered::new();
                return Poll::Ready(());
            }
            progress |= this.poll_credentials(cx, step.fetches);
            progress |= this.poll_responses(cx);
            progress |= this.poll_store(cx);
            progress |= this.compress(&mut compress_budget);
            if let Some(d) = this.poll_sleep(cx, step.deadline) {
                fired = Some(d);
                progress = true;
            }
            if !progress {
                if this.shared.compress.lock().len() > 0 {
                    // Out of compression budget for this poll: come back for the rest.
                    cx.waker().wake_by_ref();
                }
                return Poll::Pending;
            }
        }
        // Plenty of work: yield to other tasks and come back.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // Nothing will drive the engine any more: give every pending send its outcome now
        // (Closed, logs handed back) rather than leave it waiting forever.
        let _quiet = diag::Suppressed::enter();
        let _driver = DriverThread::enter();
        self.close_helpers();
        self.close_callbacks();
        let now = self.shared.runtime.now();
        let (events, waiters, decisions) = {
            let mut st = self.shared.state.lock();
            st.driver_gone = true;
            st.driver_waker = None;
            st.engine.close(now, Some(now));
            let events: Vec<_> = core::iter::from_fn(|| st.engine.poll_event_holding()).collect();
            let decisions: Vec<_> = core::iter::from_fn(|| st.engine.poll_decision()).collect();
            let mut waiters = core::mem::take(&mut st.waiters);
            waiters.append(&mut st.closers);
            (events, waiters, decisions)
        };
        diag::driver_dropped(&decisions);
        // The runtime may be going away with the callback task: run these callbacks here.
        let (mut held, mut panics) = (0, 0);
        for (event, bytes) in events {
            held += bytes;
            if let Some(call) = event.tag.resolve(event.result) {
                panics += u64::from(call.run());
            }
        }
        {
            let mut st = self.shared.state.lock();
            st.engine.release_held(held);
            st.engine.count_callback_panics(panics);
        }
        for w in waiters {
            w.wake();
        }
    }
}
