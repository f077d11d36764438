//! Isolated delivery callbacks (ADR 0009) on the deterministic `sim` runtime: a panicking
//! callback is caught and counted, a slow one does not hold up other batches, queued
//! callbacks keep their memory and hold a `close` without deadline until they ran, a close
//! that gives up many held tracked sends at its deadline gives each one outcome, and a
//! close deadline is kept however long the callbacks take: those still queued run once
//! afterwards (or as the runtime shuts down).
//!
//! The simulation has one thread, so a callback that blocks cannot be run as such: a
//! callback "that takes 100 ms" is modelled by holding the callback task (not polling it)
//! for 100 ms of simulated time per callback it ran, through a runtime wrapper that gates
//! every task spawned after the driver. That is what a callback task blocked in
//! `thread::sleep` looks like to the rest of a multi-threaded runtime.

use core::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use async_trait::async_trait;
use sls_producer_core::rt::{
    BoxFuture, Clock, HttpTransport, Instant, Runtime, Spawner, Timer, UnixTime,
};
use sls_producer_core::sim::{ScriptedReply, SimRuntime};
use sls_producer_core::{
    Credentials, DeliveryFailure, DeliveryHandle, Log, Producer, ProducerConfig, Route,
};

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn config() -> ProducerConfig {
    ProducerConfig::new("http://127.0.0.1:8080")
        .with_generate_pack_id(false)
        .with_linger(Duration::from_millis(100))
}

fn route(store: &str) -> Route {
    Route::new("proj", store).unwrap()
}

fn log(i: u32) -> Log {
    Log::new(1_700_000_000).with_content("i", format!("{i:06}"))
}

/// Until when the callback task is held (not polled).
type HeldUntil = Arc<Mutex<Instant>>;

/// A runtime that runs the first task it is given (the driver) as is, and holds every
/// later one (the callback task) until [`HeldUntil`].
struct Gated<R> {
    inner: Arc<R>,
    held_until: HeldUntil,
    spawned: AtomicUsize,
}

impl<R: Runtime + 'static> Clock for Gated<R> {
    fn now(&self) -> Instant {
        self.inner.now()
    }

    fn unix_time(&self) -> UnixTime {
        self.inner.unix_time()
    }
}

#[async_trait]
impl<R: Runtime + 'static> Timer for Gated<R> {
    async fn sleep_until(&self, deadline: Instant) {
        self.inner.sleep_until(deadline).await;
    }
}

impl<R: Runtime + 'static> Spawner for Gated<R> {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        if self.spawned.fetch_add(1, Ordering::Relaxed) == 0 {
            self.inner.spawn(task);
        } else {
            self.inner.spawn(Box::pin(HeldTask {
                task,
                held_until: self.held_until.clone(),
                timer: self.inner.clone(),
                sleep: None,
            }));
        }
    }
}

impl<R: Runtime + 'static> Runtime for Gated<R> {
    fn default_transport(&self, config: &ProducerConfig) -> Option<Arc<dyn HttpTransport>> {
        self.inner.default_transport(config)
    }

    fn may_block(&self) -> bool {
        false
    }
}

/// A task polled only once the clock has reached its [`HeldUntil`].
struct HeldTask<R> {
    task: BoxFuture<'static, ()>,
    held_until: HeldUntil,
    timer: Arc<R>,
    sleep: Option<(Instant, BoxFuture<'static, ()>)>,
}

impl<R: Runtime + 'static> Future for HeldTask<R> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let until = *self.held_until.lock().unwrap();
            if self.timer.now() >= until {
                self.sleep = None;
                return self.task.as_mut().poll(cx);
            }
            if self.sleep.as_ref().is_none_or(|(t, _)| *t != until) {
                let timer = self.timer.clone();
                self.sleep = Some((
                    until,
                    Box::pin(async move { timer.sleep_until(until).await }),
                ));
            }
            let (_, sleep) = self.sleep.as_mut().unwrap();
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

/// Send `count` tracked logs to logstore `store`, each with a callback that checks it was
/// delivered and counts it: the count.
fn send_counting_successes(producer: &Producer, store: &str, count: u32) -> Arc<AtomicUsize> {
    let called = Arc::new(AtomicUsize::new(0));
    for i in 0..count {
        let called = called.clone();
        producer
            .send_tracked(&route(store), log(i))
            .unwrap()
            .on_complete(move |result| {
                assert!(result.is_success());
                called.fetch_add(1, Ordering::Relaxed);
            });
    }
    called
}

fn start(sim: &SimRuntime, held_until: &HeldUntil) -> Producer {
    let runtime = Gated {
        inner: Arc::new(sim.runtime()),
        held_until: held_until.clone(),
        spawned: AtomicUsize::new(0),
    };
    Producer::builder(config())
        .with_credentials(Credentials::new("id", "secret"))
        .build_on(runtime)
        .unwrap()
}

#[test]
fn a_callback_that_panics_on_every_call_is_caught_counted_and_the_producer_goes_on() {
    let sim = SimRuntime::new(1);
    let producer = start(&sim, &HeldUntil::default());
    let calls = Arc::new(AtomicUsize::new(0));
    for round in 0..5 {
        for i in 0..3 {
            let calls = calls.clone();
            producer
                .send_tracked(&route("panics"), log(round * 10 + i))
                .unwrap()
                .on_complete(move |_| {
                    calls.fetch_add(1, Ordering::Relaxed);
                    panic!("callback {round}.{i} fails");
                });
        }
        sim.block_on(producer.flush()).unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 3 * (round as usize + 1));
        assert_eq!(
            producer.metrics().callback_panics,
            3 * (u64::from(round) + 1)
        );
    }
    // The driver survived: later sends are still delivered, awaited or called back.
    let awaited = producer.send_tracked(&route("after"), log(99)).unwrap();
    assert!(sim.block_on(awaited).unwrap().is_success());
    let metrics = sim.block_on(producer.close(None)).unwrap();
    assert_eq!(metrics.callback_panics, 15);
    assert_eq!(metrics.delivered_logs, 16);
    assert_eq!(
        metrics.buffered_bytes, 0,
        "every outcome's memory came back"
    );
}

#[test]
fn a_slow_callback_does_not_hold_up_other_routes() {
    let sim = SimRuntime::new(2);
    let held_until = HeldUntil::default();
    let producer = start(&sim, &held_until);
    // Each "slow" callback takes 100 ms: it starts when the callbacks before it are done
    // and holds the callback task 100 ms past that.
    let started: Arc<Mutex<Vec<u64>>> = Arc::default();
    for i in 0..3 {
        let (started, held_until) = (started.clone(), held_until.clone());
        let clock = sim.clock().clone();
        producer
            .send_tracked(&route("slow"), log(i))
            .unwrap()
            .on_complete(move |result| {
                assert!(result.is_success());
                let mut until = held_until.lock().unwrap();
                let start = (*until).max(clock.now());
                started.lock().unwrap().push(start.as_nanos() / 1_000_000);
                *until = start + Duration::from_millis(100);
            });
    }
    // Another route sends one log every 100 ms and awaits it: each leaves at its linger
    // and resolves at once, while the slow callbacks keep the callback task busy until
    // 400 ms.
    let mut resolved = Vec::new();
    for i in 0..4 {
        let handle = producer.send_tracked(&route("fast"), log(100 + i)).unwrap();
        assert!(sim.block_on(handle).unwrap().is_success());
        resolved.push(sim.now().as_nanos() / 1_000_000);
    }
    assert_eq!(resolved, [100, 200, 300, 400]);
    assert_eq!(*started.lock().unwrap(), [100, 200, 300]);
    let fast_sent_at: Vec<u64> = sim
        .transport()
        .requests()
        .iter()
        .filter(|r| r.request.path().starts_with("/logstores/fast"))
        .map(|r| r.received_at.as_nanos() / 1_000_000)
        .collect();
    assert_eq!(fast_sent_at, [100, 200, 300, 400]);
    let metrics = sim.block_on(producer.close(None)).unwrap();
    assert_eq!(metrics.delivered_logs, 7);
}

#[test]
fn queued_callbacks_keep_their_memory_and_close_waits_until_they_ran() {
    let sim = SimRuntime::new(3);
    // The callback task is held for the first second.
    let held_until: HeldUntil = Arc::new(Mutex::new(ms(1000)));
    let producer = start(&sim, &held_until);
    let count = 3_000;
    let called = send_counting_successes(&producer, "queued", count);
    sim.run_until(ms(500)).unwrap();
    let metrics = producer.metrics();
    assert_eq!(
        metrics.delivered_logs,
        u64::from(count),
        "sent and answered"
    );
    assert_eq!(called.load(Ordering::Relaxed), 0, "no callback ran yet");
    assert!(
        metrics.buffered_bytes > 0,
        "outcomes waiting for their callbacks hold their memory"
    );
    // More outcomes than the callback queue holds: the rest wait in the engine, and
    // none is lost.
    let metrics = sim.block_on(producer.close(None)).unwrap();
    assert_eq!(sim.now(), ms(1000), "close waited for the callbacks");
    assert_eq!(called.load(Ordering::Relaxed), count as usize);
    assert_eq!(metrics.buffered_bytes, 0);
    assert_eq!(metrics.callback_panics, 0);
}

/// Each callback's send and the logs it got back.
type CalledBack = Arc<Mutex<Vec<(u32, Vec<Log>)>>>;

/// `close(deadline)` with many tracked sends held by a server that never answers: at the
/// deadline each batch's failure is recorded once and each send's outcome is built as it
/// is delivered. Every send still gets exactly one outcome: `Closed`, with exactly its
/// logs; every awaited handle is resolved when `close` completes, every callback runs
/// once (before or after it completes: the metrics say how many were still queued); the
/// final metrics count them all.
#[test]
fn close_at_its_deadline_gives_every_held_tracked_send_one_closed_outcome_with_its_logs() {
    let sim = SimRuntime::new(4);
    sim.transport().set_default_reply(ScriptedReply::Hang);
    let producer = Producer::builder(config().with_max_batch_count(500))
        .with_credentials(Credentials::new("id", "secret"))
        .build_on(sim.runtime())
        .unwrap();
    let count = 12_000u32;
    let called: CalledBack = Arc::default();
    let awaited = send_held(&producer, count, &called);
    sim.run_until(ms(500)).unwrap();
    assert!(sim.transport().in_flight() > 0, "requests are held");
    assert_eq!(called.lock().unwrap().len(), 0);

    let metrics = sim
        .block_on(producer.close(Some(Duration::from_secs(1))))
        .unwrap();
    assert_eq!(sim.now(), ms(1500), "close completes at its deadline");
    assert!(metrics.undelivered_outcomes <= count as usize);
    assert_awaited_closed(&sim, awaited);
    sim.run_until_stalled().unwrap();
    assert_called_once_each(&called, (count / 2) as usize);
    let all = u64::from(count);
    assert_eq!(
        (
            metrics.closed_logs,
            metrics.handed_back_logs,
            metrics.failed_logs
        ),
        (all, all, all)
    );
    let after = producer.metrics();
    assert_eq!(metrics.delivered_logs, 0);
    assert_eq!((after.buffered_bytes, after.undelivered_outcomes), (0, 0));
}

/// Each awaited handle resolves (awaited now) `Closed`, with its own log handed back.
fn assert_awaited_closed(sim: &SimRuntime, awaited: Vec<(u32, DeliveryHandle)>) {
    for (i, handle) in awaited {
        let result = sim.block_on(handle).unwrap();
        assert!(matches!(
            result.failure,
            Some(DeliveryFailure::Closed { .. })
        ));
        assert_eq!(result.into_logs(), [log(i)], "handle {i} got its log back");
    }
}

/// Sends `count` tracked logs to a server that never answers, every other one awaited
/// (returned) and the rest with a callback that checks the send was closed and records
/// its send and logs in `called` (a callback that panics is caught, so a failed check
/// shows as a send missing from `called`).
fn send_held(producer: &Producer, count: u32, called: &CalledBack) -> Vec<(u32, DeliveryHandle)> {
    let mut awaited = Vec::new();
    for i in 0..count {
        let handle = producer
            .send_tracked(&route(&format!("s{}", i % 3)), log(i))
            .unwrap();
        if i % 2 == 0 {
            awaited.push((i, handle));
        } else {
            let called = called.clone();
            handle.on_complete(move |result| {
                assert!(matches!(
                    result.failure,
                    Some(DeliveryFailure::Closed { .. })
                ));
                called.lock().unwrap().push((i, result.into_logs()));
            });
        }
    }
    awaited
}

/// Each of `called` once, with its own log handed back, and `count` of them.
fn assert_called_once_each(called: &CalledBack, count: usize) {
    let mut called = core::mem::take(&mut *called.lock().unwrap());
    assert_eq!(called.len(), count, "every callback ran");
    called.sort_by_key(|(i, _)| *i);
    called.dedup_by_key(|(i, _)| *i);
    assert_eq!(called.len(), count, "each once");
    for (i, logs) in called {
        assert_eq!(logs, [log(i)], "callback {i} got its own log back");
    }
}

/// With the callback task held busy (a callback that takes seconds), `close(1 s)` still
/// completes at its deadline: every awaited handle is resolved `Closed` with its logs by
/// then, the callbacks are left queued (and counted in the metrics); they run once each
/// afterwards, and a later `close(None)` waits for them.
#[test]
fn a_close_deadline_is_kept_while_callbacks_are_held_and_they_run_once_afterwards() {
    let sim = SimRuntime::new(5);
    sim.transport().set_default_reply(ScriptedReply::Hang);
    // The callback task is held (busy) until 5 s.
    let held_until: HeldUntil = Arc::new(Mutex::new(ms(5000)));
    let producer = start(&sim, &held_until);
    let count = 3_000u32;
    let called: CalledBack = Arc::default();
    let awaited = send_held(&producer, count, &called);
    sim.run_until(ms(500)).unwrap();

    let metrics = sim
        .block_on(producer.close(Some(Duration::from_secs(1))))
        .unwrap();
    assert_eq!(sim.now(), ms(1500), "close completes at its deadline");
    assert!(called.lock().unwrap().is_empty(), "the callbacks are held");
    assert!(
        metrics.undelivered_outcomes >= (count / 2) as usize,
        "the metrics count at least the callbacks still queued"
    );
    // Awaited handles are not held up by the callbacks.
    assert_awaited_closed(&sim, awaited);
    assert_eq!(sim.now(), ms(1500));
    assert!(called.lock().unwrap().is_empty());

    let metrics = sim.block_on(producer.close(None)).unwrap();
    assert_eq!(sim.now(), ms(5000), "close(None) waits for the callbacks");
    assert_called_once_each(&called, (count / 2) as usize);
    assert_eq!(
        (metrics.undelivered_outcomes, metrics.buffered_bytes),
        (0, 0)
    );
}

/// The deadline bounds the wait for callbacks of sends that were delivered before it too.
#[test]
fn a_close_deadline_bounds_the_wait_for_callbacks_of_delivered_sends() {
    let sim = SimRuntime::new(6);
    let held_until: HeldUntil = Arc::new(Mutex::new(ms(5000)));
    let producer = start(&sim, &held_until);
    let called = send_counting_successes(&producer, "delivered", 100);
    sim.run_until(ms(500)).unwrap();
    assert_eq!(producer.metrics().delivered_logs, 100);
    let metrics = sim
        .block_on(producer.close(Some(Duration::from_secs(1))))
        .unwrap();
    assert_eq!(sim.now(), ms(1500), "close completes at its deadline");
    assert_eq!(metrics.undelivered_outcomes, 100);
    assert_eq!(called.load(Ordering::Relaxed), 0);
    sim.run_until(ms(5000)).unwrap();
    assert_eq!(
        called.load(Ordering::Relaxed),
        100,
        "each ran once, afterwards"
    );
}

/// Callbacks still queued when the runtime shuts down (its tasks dropped) run once, on the
/// thread that drops the callback task, even when they hold a `Producer` (which would
/// otherwise keep them, and itself, alive forever).
#[test]
fn callbacks_still_queued_when_the_runtime_shuts_down_run_once_as_their_task_drops() {
    let sim = SimRuntime::new(7);
    sim.transport().set_default_reply(ScriptedReply::Hang);
    // The callback task is never polled.
    let held_until: HeldUntil = Arc::new(Mutex::new(ms(1_000_000)));
    let producer = start(&sim, &held_until);
    let count = 600u32;
    let called: CalledBack = Arc::default();
    for i in 0..count {
        let (called, resend) = (called.clone(), producer.clone());
        producer
            .send_tracked(&route("held"), log(i))
            .unwrap()
            .on_complete(move |result| {
                // What a callback that re-sends its logs holds.
                assert!(resend.is_closed());
                called.lock().unwrap().push((i, result.into_logs()));
            });
    }
    sim.run_until(ms(500)).unwrap();
    let metrics = sim
        .block_on(producer.close(Some(Duration::from_secs(1))))
        .unwrap();
    assert_eq!(sim.now(), ms(1500));
    assert_eq!(metrics.undelivered_outcomes, count as usize);
    drop(producer);
    assert!(called.lock().unwrap().is_empty());
    sim.executor().shutdown();
    assert_called_once_each(&called, count as usize);
}
