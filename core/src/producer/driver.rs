//! The driver: one hand-written future that runs a producer's engine on a runtime.
//!
//! [`Producer::new`](crate::producer::Producer::new) returns a cheap [`Producer`] handle and
//! a [`Driver`]. The driver owns the timer, the HTTP transport, the in-flight response
//! futures and the credentials fetch; every time it is polled it loops:
//!
//! ```text
//!  due timers ─► engine.handle_timeout
//!  engine.poll_compress ─► CompressJob::run outside the lock (here or in a
//!                          CompressHelper) ─► engine.handle_compressed
//!  engine.poll_transmit ─► transport.send (kept in a FuturesUnordered)
//!  engine.poll_event ─► callbacks / completion handles (outside the lock)
//!  credentials: fetch at start, before expiry, and after a 401 (one fetch at a time)
//!  finished responses ─► engine.handle_response
//!  re-arm the one Sleep only if the next deadline changed ─► Pending
//! ```
//!
//! It never spawns anything: run it with your runtime's spawn (or
//! [`Driver::spawn_on`]), or `select!` it with your own work. On a runtime with several
//! threads, [`Driver::compress_helper`]s spawned next to it share the compression (see
//! [`CompressHelper`]; the tokio and smol builders spawn them). It completes once the
//! producer is closed (explicitly, or because every [`Producer`] handle was dropped) and
//! every send has its outcome. Dropping it before that fails every pending send with
//! [`DeliveryFailure::Closed`](crate::engine::DeliveryFailure::Closed), handing the logs
//! back, so nothing waits forever.
//!
//! [`Producer`]: crate::producer::Producer

// On `wasm32-unknown-unknown` runtime handles and callbacks are not `Send` (one thread,
// JS promises), so the shared state is deliberately a non-`Send` value in an `Arc` there.
#![cfg_attr(wasm_browser, allow(clippy::arc_with_non_send_sync))]

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;

use futures_core::Stream;
use futures_util::stream::FuturesUnordered;

use super::handle::Completion;
use super::helper::{CompressHelper, CompressQueue};
use crate::sync::Lock;

use crate::credentials::Credentials;
use crate::engine::backoff::BackoffPolicy;
use crate::engine::{AttemptId, CompressJob, Compressed, DeliveryEvent, Engine};
use crate::producer::diag::{self, AttemptSeen, FetchReason};
use crate::protocol::compress::Compressor;
use crate::protocol::http::HttpResponse;
use crate::protocol::time::{Instant, UnixTime};
use crate::rt::{
    CredentialsFuture, CredentialsProvider, HttpTransport, ResponseFuture, Sleep, Spawner, Task,
    Timer, TransportError,
};

/// Rounds of work one `poll` does before yielding to the executor (then it wakes itself).
const ROUNDS_PER_POLL: usize = 32;

/// Uncompressed bytes one `poll` compresses at most before yielding to the executor (about
/// a millisecond of LZ4, a few of zstd, at the default batch size); the rest waits for the
/// next poll.
const COMPRESS_BYTES_PER_POLL: usize = 4 << 20;

/// Credentials are refreshed this long before they expire (or at half their remaining
/// lifetime, if that is shorter).
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Proactive refreshes are at least this far apart, even for credentials that arrive
/// already (almost) expired.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// Where a producer's credentials come from.
#[derive(Clone)]
pub enum CredentialsSource {
    /// Fixed credentials (an AccessKey pair, optionally with an STS token).
    Static(Credentials),
    /// A provider the driver asks at start, shortly before the credentials expire, and
    /// when the server rejects them (HTTP 401). One fetch runs at a time; a failed fetch is
    /// retried with the producer's backoff while the previous credentials stay in use.
    Provider(Arc<dyn CredentialsProvider>),
}

impl From<Credentials> for CredentialsSource {
    fn from(c: Credentials) -> Self {
        Self::Static(c)
    }
}

impl From<Arc<dyn CredentialsProvider>> for CredentialsSource {
    fn from(p: Arc<dyn CredentialsProvider>) -> Self {
        Self::Provider(p)
    }
}

impl fmt::Debug for CredentialsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static(c) => f.debug_tuple("Static").field(c).finish(),
            Self::Provider(_) => f.write_str("Provider"),
        }
    }
}

/// State shared by the driver and every handle, behind one lock.
pub(crate) struct State {
    pub(crate) engine: Engine<Completion>,
    /// Woken when a handle created work the driver must act on.
    driver_waker: Option<Waker>,
    /// Handles waiting for progress (memory released, flush reached, producer idle).
    waiters: Vec<Waker>,
    /// Outcomes taken out of the engine that the driver has not finished delivering.
    pub(crate) delivering: usize,
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
    pub(crate) timer: Arc<dyn Timer>,
    pub(crate) max_block: Duration,
}

impl Shared {
    pub(crate) fn new(
        engine: Engine<Completion>,
        timer: Arc<dyn Timer>,
        max_block: Duration,
    ) -> Self {
        Self {
            state: Lock::new(State {
                engine,
                driver_waker: None,
                waiters: Vec::new(),
                delivering: 0,
                handles: 1,
                driver_gone: false,
            }),
            compress: Lock::new(CompressQueue::default()),
            timer,
            max_block,
        }
    }
}

/// One HTTP exchange in flight, tagged with its attempt.
struct InFlight {
    attempt: AttemptId,
    response: ResponseFuture,
}

impl Future for InFlight {
    type Output = (AttemptId, Result<HttpResponse, TransportError>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let attempt = self.attempt;
        Pin::new(&mut self.response).poll(cx).map(|r| (attempt, r))
    }
}

/// The driver's side of credentials.
struct CredentialsDriver {
    provider: Option<Arc<dyn CredentialsProvider>>,
    /// Static credentials, re-installed when the server asks for fresh ones (so retries
    /// held back after a 401 can go on; they cannot change).
    fixed: Option<Credentials>,
    fetch: Option<CredentialsFuture>,
    /// When to start the next fetch (provider only): at start, before expiry, or after a
    /// failed fetch.
    next_fetch: Option<Instant>,
    /// After a failed fetch, no fetch starts before this, not even for a 401.
    cool_down: Option<Instant>,
    failures: u32,
}

/// What one locked engine step produced.
struct Step {
    jobs: Vec<CompressJob>,
    transmits: Vec<(AttemptId, crate::protocol::http::HttpRequest)>,
    events: Vec<DeliveryEvent<Completion>>,
    waiters: Vec<Waker>,
    wants_refresh: bool,
    deadline: Option<Instant>,
    finished: bool,
    progress: bool,
}

/// The future that runs a producer: see the [`producer`](crate::producer) module docs.
#[must_use = "a producer sends nothing unless its driver is polled"]
pub struct Driver {
    shared: Arc<Shared>,
    transport: Arc<dyn HttpTransport>,
    in_flight: FuturesUnordered<InFlight>,
    sleep: Option<(Instant, Sleep)>,
    credentials: CredentialsDriver,
    backoff: BackoffPolicy,
    /// [`settled`] when waiters were last woken.
    settled: u64,
    finished: bool,
    /// Batches this driver compressed, to hand back to the engine at the next step (the
    /// jobs wait in the shared [`CompressQueue`]: taken from the engine before it could
    /// compress them under the lock in `poll_transmit`).
    compressed: Vec<Compressed>,
    compressor: Compressor,
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
    pub(crate) fn new(
        shared: Arc<Shared>,
        transport: Arc<dyn HttpTransport>,
        credentials: CredentialsSource,
        backoff: BackoffPolicy,
    ) -> Self {
        let now = shared.timer.now();
        let credentials = match credentials {
            CredentialsSource::Static(c) => CredentialsDriver {
                provider: None,
                fixed: Some(c),
                fetch: None,
                next_fetch: None,
                cool_down: None,
                failures: 0,
            },
            CredentialsSource::Provider(p) => CredentialsDriver {
                provider: Some(p),
                fixed: None,
                fetch: None,
                next_fetch: Some(now),
                cool_down: None,
                failures: 0,
            },
        };
        Self {
            shared,
            transport,
            in_flight: FuturesUnordered::new(),
            sleep: None,
            credentials,
            backoff,
            settled: 0,
            finished: false,
            compressed: Vec::new(),
            compressor: Compressor::new(),
        }
    }

    /// Run the driver as a background task of `spawner`.
    pub fn spawn_on(self, spawner: &dyn Spawner) {
        spawner.spawn(Task::new(self));
    }

    /// A task that compresses sealed batches alongside this driver: spawn it (any number
    /// of them) on a runtime with several threads, and compression is no longer limited
    /// to the driver's one task. See [`CompressHelper`].
    pub fn compress_helper(&self) -> CompressHelper {
        CompressHelper::new(self.shared.clone())
    }

    /// Spawn `helpers` [`compress_helper`](Self::compress_helper)s on `spawner`.
    pub fn spawn_helpers_on(&self, spawner: &dyn Spawner, helpers: usize) {
        for _ in 0..helpers {
            spawner.spawn(Task::new(self.compress_helper()));
        }
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
        let timer = &self.shared.timer;
        let (now, wall) = (timer.now(), timer.unix_time());
        let helped = self.shared.compress.lock().take_done();
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
        let events: Vec<_> = core::iter::from_fn(|| engine.poll_event()).collect();
        let settled_now = settled(engine);
        let changed = settled_now != self.settled || !events.is_empty();
        self.settled = settled_now;
        let wants_refresh = engine.wants_credentials_refresh();
        let deadline = engine.poll_timeout();
        let idle = engine.is_closing() && engine.is_idle();
        st.delivering += events.len();
        let waiters = if changed || idle {
            core::mem::take(&mut st.waiters)
        } else {
            Vec::new()
        };
        progress |= !transmits.is_empty() || !events.is_empty();
        Step {
            finished: idle && st.delivering == 0,
            jobs,
            transmits,
            events,
            waiters,
            wants_refresh,
            deadline,
            progress,
        }
    }

    /// Deliver outcomes outside the lock, then let waiters re-check.
    fn deliver(&self, events: Vec<DeliveryEvent<Completion>>, mut waiters: Vec<Waker>) {
        let n = events.len();
        for event in events {
            event.tag.complete(event.result);
        }
        if n > 0 {
            let mut st = self.shared.state.lock();
            st.delivering -= n;
            waiters.append(&mut st.waiters);
        }
        for w in waiters {
            w.wake();
        }
    }

    /// Start, finish or schedule credentials fetches. Returns whether anything changed.
    fn poll_credentials(&mut self, cx: &mut Context<'_>, wants_refresh: bool) -> bool {
        let timer = self.shared.timer.clone();
        let creds = &mut self.credentials;
        let now = timer.now();
        let mut progress = false;
        if creds.fetch.is_none() {
            let due = creds.next_fetch.is_some_and(|t| t <= now);
            let cooling = creds.cool_down.is_some_and(|t| t > now);
            match (&creds.provider, &creds.fixed) {
                (Some(provider), _) if (wants_refresh || due) && !cooling => {
                    diag::credentials_fetch_started(if wants_refresh {
                        FetchReason::Rejected
                    } else {
                        FetchReason::Scheduled
                    });
                    creds.fetch = Some(provider.credentials());
                    creds.next_fetch = None;
                }
                (None, Some(fixed)) if wants_refresh => {
                    // Static credentials cannot change: re-install them so retries go on.
                    self.shared
                        .state
                        .lock()
                        .engine
                        .set_credentials(fixed.clone());
                    return true;
                }
                _ => {}
            }
        }
        if let Some(fetch) = &mut creds.fetch {
            if let Poll::Ready(result) = Pin::new(fetch).poll(cx) {
                creds.fetch = None;
                progress = true;
                let now = timer.now();
                match result {
                    Ok(fresh) => {
                        creds.failures = 0;
                        creds.cool_down = None;
                        let wall = timer.unix_time();
                        diag::credentials_fetched(
                            &fresh.access_key_id,
                            fresh
                                .expiration
                                .map(|e| e.as_secs().saturating_sub(wall.as_secs())),
                        );
                        creds.next_fetch = refresh_time(now, wall, &fresh);
                        self.shared.state.lock().engine.set_credentials(fresh);
                    }
                    Err(error) => {
                        // Keep the previous credentials (if any) and try again later.
                        creds.failures = creds.failures.saturating_add(1);
                        let delay = self
                            .backoff
                            .ceiling(creds.failures)
                            .max(MIN_REFRESH_INTERVAL);
                        let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
                        diag::credentials_failed(&error, creds.failures, delay_ms);
                        let retry_at = now.saturating_add(delay);
                        creds.cool_down = Some(retry_at);
                        creds.next_fetch = Some(retry_at);
                    }
                }
            }
        }
        progress
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

    fn start_requests(&mut self, transmits: Vec<(AttemptId, crate::protocol::http::HttpRequest)>) {
        for (attempt, request) in transmits {
            let response = self.transport.send(request);
            self.in_flight.push(InFlight { attempt, response });
        }
    }

    /// Feed every finished response to the engine. Returns whether any finished.
    fn poll_responses(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        while let Poll::Ready(Some((attempt, outcome))) =
            Pin::new(&mut self.in_flight).poll_next(cx)
        {
            let timer = &self.shared.timer;
            let (now, wall) = (timer.now(), timer.unix_time());
            let seen = AttemptSeen::new(attempt, &outcome);
            let mut st = self.shared.state.lock();
            let before = st.engine.stats();
            st.engine.handle_response(now, wall, attempt, outcome);
            let after = st.engine.stats();
            drop(st);
            seen.decided(&before, &after);
            progress = true;
        }
        progress
    }

    /// Arm the one sleep for `deadline`; returns the deadline if it has already passed or
    /// the sleep fired.
    fn poll_sleep(&mut self, cx: &mut Context<'_>, deadline: Option<Instant>) -> Option<Instant> {
        let Some(deadline) = deadline else {
            self.sleep = None;
            return None;
        };
        if deadline <= self.shared.timer.now() {
            self.sleep = None;
            return Some(deadline);
        }
        if self.sleep.as_ref().is_none_or(|(t, _)| *t != deadline) {
            self.sleep = Some((deadline, self.shared.timer.sleep_until(deadline)));
        }
        let (_, sleep) = self.sleep.as_mut().expect("armed above");
        if Pin::new(sleep).poll(cx).is_ready() {
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
        // callbacks') are not shipped back into a producer.
        let _quiet = diag::Suppressed::enter();
        let mut fired = None;
        let mut compress_budget = COMPRESS_BYTES_PER_POLL;
        for _ in 0..ROUNDS_PER_POLL {
            let step = this.engine_step(cx, fired.take());
            let mut progress = step.progress;
            this.queue_jobs(step.jobs, cx);
            this.start_requests(step.transmits);
            this.deliver(step.events, step.waiters);
            if step.finished {
                this.finished = true;
                this.close_helpers();
                let stats = this.shared.state.lock().engine.stats();
                diag::closed(&stats);
                // Abandoned requests (given up at the close deadline) are dropped here.
                this.in_flight = FuturesUnordered::new();
                this.sleep = None;
                this.credentials.fetch = None;
                return Poll::Ready(());
            }
            progress |= this.poll_credentials(cx, step.wants_refresh);
            progress |= this.poll_responses(cx);
            progress |= this.compress(&mut compress_budget);
            let fetch_at = this
                .credentials
                .next_fetch
                .filter(|_| this.credentials.fetch.is_none());
            let deadline = [step.deadline, fetch_at].into_iter().flatten().min();
            if let Some(d) = this.poll_sleep(cx, deadline) {
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
        self.close_helpers();
        let now = self.shared.timer.now();
        let (events, waiters, before, after) = {
            let mut st = self.shared.state.lock();
            st.driver_gone = true;
            st.driver_waker = None;
            let before = st.engine.stats();
            st.engine.close(now, Some(now));
            let after = st.engine.stats();
            let events: Vec<_> = core::iter::from_fn(|| st.engine.poll_event()).collect();
            st.delivering += events.len();
            (events, core::mem::take(&mut st.waiters), before, after)
        };
        diag::driver_dropped(&before, &after);
        self.deliver(events, waiters);
    }
}

/// Batches and outcomes settled so far: changes whenever a batch finishes.
fn settled<T>(engine: &Engine<T>) -> u64 {
    let s = engine.stats();
    s.delivered_logs + s.failed_logs
}

/// When to refresh `credentials` received at `now` / `wall`: before they expire, never in
/// a tight loop. `None` for credentials that do not expire.
fn refresh_time(now: Instant, wall: UnixTime, credentials: &Credentials) -> Option<Instant> {
    let expiration = credentials.expiration?;
    let remaining = Duration::from_nanos(expiration.as_nanos().saturating_sub(wall.as_nanos()));
    let margin = REFRESH_MARGIN.min(remaining / 2);
    let wait = (remaining - margin).max(MIN_REFRESH_INTERVAL);
    Some(now.saturating_add(wait))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_happens_before_expiry_but_never_in_a_tight_loop() {
        let now = Instant::from_secs(100);
        let wall = UnixTime::from_secs(1_000);
        let creds = |exp_in: u64| {
            Credentials::new("id", "secret").with_expiration(UnixTime::from_secs(1_000 + exp_in))
        };
        // One hour left: refresh five minutes before expiry.
        assert_eq!(
            refresh_time(now, wall, &creds(3600)),
            Some(Instant::from_secs(100 + 3300))
        );
        // Two minutes left: refresh at half of it.
        assert_eq!(
            refresh_time(now, wall, &creds(120)),
            Some(Instant::from_secs(160))
        );
        // Already expired: not sooner than a second from now.
        let expired = Credentials::new("id", "s").with_expiration(UnixTime::from_secs(10));
        assert_eq!(
            refresh_time(now, wall, &expired),
            Some(Instant::from_secs(101))
        );
        assert_eq!(refresh_time(now, wall, &Credentials::new("id", "s")), None);
    }
}
