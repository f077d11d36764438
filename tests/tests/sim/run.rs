//! Running a [`Scenario`] through the real `Producer` + `Driver` on the `sim` runtime and
//! recording everything the invariants need in a [`Trace`].

use std::sync::{Arc, Mutex};

use core::future::{Future, poll_fn};
use core::pin::Pin;
use core::task::{Poll, Waker};
use core::time::Duration;

use sls_producer_core::credentials::CredentialsProvider;
use sls_producer_core::producer::Driver;
use sls_producer_core::rt::Instant;
use sls_producer_core::rt::{Spawner, Timer};
use sls_producer_core::sim::{ExecutorStats, RecordedRequest, SimLimits, SimRuntime};
use sls_producer_core::{
    Credentials, CredentialsSource, DeliveryHandle, DeliveryResult, Log, Metrics, Producer, Record,
    Route, SendError, Ticket,
};

use crate::credentials::{Fetch, RotatingProvider};
use crate::scenario::{Action, CredentialsPlan, Finale, Notify, Scenario, SendSpec, Shape};
use crate::server::{Decision, Exchange, MemoryProbe, ObservingTransport, Server};
use crate::support::{Client, Flag, Stamp, Stamper, join_all};

/// The AccessKey id of [`CredentialsPlan::Static`].
pub(crate) const STATIC_KEY_ID: &str = "static-key";

/// Why a send was refused (the record itself is checked when it comes back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    Closed,
    BufferFull {
        bytes: usize,
        /// `metrics().buffered_bytes` right after the refusal (nothing ran in between).
        buffered: usize,
    },
    LogTooLarge {
        index: usize,
        log_bytes: usize,
        room: usize,
    },
    ExceedsBuffer {
        bytes: usize,
    },
}

/// One send and everything that happened to it.
#[derive(Clone, Debug)]
pub(crate) struct SendRecord {
    pub(crate) route: usize,
    pub(crate) logs: Vec<Log>,
    pub(crate) notify: Notify,
    pub(crate) wait_for_room: bool,
    pub(crate) started: Stamp,
    pub(crate) resolved: Option<Stamp>,
    pub(crate) result: Option<Result<Ticket, Refusal>>,
    /// `metrics().buffered_bytes` right after the send returned.
    pub(crate) buffered_after: usize,
    /// Outcomes received (more than one is a bug the checks report).
    pub(crate) outcomes: Vec<(Stamp, DeliveryResult)>,
}

impl SendRecord {
    pub(crate) fn accepted(&self) -> bool {
        matches!(self.result, Some(Ok(_)))
    }
}

/// A `flush()` call.
#[derive(Clone, Debug)]
pub(crate) struct FlushRecord {
    pub(crate) called: Stamp,
    pub(crate) done: Option<Stamp>,
}

/// A `close()` call (including the finale's).
#[derive(Clone, Debug)]
pub(crate) struct CloseRecord {
    pub(crate) called: Stamp,
    pub(crate) timeout: Option<Duration>,
    pub(crate) done: Option<(Stamp, Metrics)>,
}

impl CloseRecord {
    /// The point at which this call's deadline gives everything up: before every event at
    /// the deadline instant, or right at the call for a zero timeout (the engine fails
    /// everything inside `close`).
    pub(crate) fn deadline_point(&self) -> Option<Stamp> {
        let timeout = self.timeout?;
        Some(if timeout.is_zero() {
            self.called
        } else {
            Stamp::start_of(self.called.at.saturating_add(timeout))
        })
    }
}

/// What the client side recorded.
#[derive(Default)]
pub(crate) struct Ledger {
    pub(crate) sends: Vec<SendRecord>,
    pub(crate) flushes: Vec<FlushRecord>,
    pub(crate) closes: Vec<CloseRecord>,
}

/// Everything a run produced.
pub(crate) struct Trace {
    /// The scenario's routes, shard keys resolved.
    pub(crate) routes: Vec<Route>,
    pub(crate) sends: Vec<SendRecord>,
    pub(crate) flushes: Vec<FlushRecord>,
    pub(crate) closes: Vec<CloseRecord>,
    pub(crate) exchanges: Vec<Exchange>,
    /// The same requests as the scripted transport (the server) recorded them, in the same
    /// order.
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) decisions: Vec<Decision>,
    pub(crate) fetches: Vec<Fetch>,
    pub(crate) driver_done: Option<Stamp>,
    /// When each poll of the driver began: a request is signed in the poll that sends it.
    pub(crate) driver_polls: Vec<Stamp>,
    pub(crate) peak_buffered: usize,
    /// The highest `metrics().in_flight` read when a request left.
    pub(crate) peak_in_flight: usize,
    /// The metrics once every outcome of the finale's close was delivered (or the driver
    /// was dropped).
    pub(crate) metrics_at_end: Option<Metrics>,
    pub(crate) transport_peak_in_flight: usize,
    pub(crate) transport_in_flight_at_end: usize,
    pub(crate) pending_timers_at_end: usize,
    pub(crate) executor: ExecutorStats,
    pub(crate) end: Instant,
}

/// Everything a client needs.
#[derive(Clone)]
struct Ctx {
    producer: Producer,
    routes: Arc<[Route]>,
    ledger: Arc<Mutex<Ledger>>,
    stamper: Stamper,
    timer: Arc<dyn Timer>,
    spawner: Arc<dyn Spawner>,
    probe: MemoryProbe,
    memory_budget: usize,
    driver: DriverSlot,
}

/// The driver future, run by a task of its own, which a client can drop at any time.
#[derive(Clone)]
struct DriverSlot(Arc<Mutex<(Option<Driver>, Option<Waker>)>>);

impl DriverSlot {
    fn new(driver: Driver) -> Self {
        Self(Arc::new(Mutex::new((Some(driver), None))))
    }

    /// Drive the driver until it completes or is dropped, stamping the start of each of
    /// its polls into `polls`.
    async fn run(&self, stamper: &Stamper, polls: &Mutex<Vec<Stamp>>) {
        poll_fn(|cx| {
            let mut slot = self.0.lock().unwrap();
            slot.1 = Some(cx.waker().clone());
            match slot.0.as_mut() {
                None => Poll::Ready(()),
                Some(driver) => {
                    polls.lock().unwrap().push(stamper.stamp());
                    Pin::new(driver).poll(cx)
                }
            }
        })
        .await;
    }

    /// Take the driver out (to drop it), and wake its task so that it ends.
    fn take(&self) -> Option<Driver> {
        let (driver, waker) = {
            let mut slot = self.0.lock().unwrap();
            (slot.0.take(), slot.1.take())
        };
        if let Some(w) = waker {
            w.wake();
        }
        driver
    }
}

/// Run `scenario` to its end and return the trace (the run itself asserts nothing but
/// that the simulation finishes).
pub(crate) fn run(scenario: &Scenario) -> Trace {
    let mut sim = SimRuntime::new(scenario.seed);
    sim.executor()
        .set_limits(SimLimits::default().with_horizon(Instant::from_secs(30 * 24 * 3600)));
    let stamper = Stamper::new(sim.clock().clone());
    let mut rng = sim.rng().clone();
    let server = Arc::new(Mutex::new(Server::new(
        sim.clock().clone(),
        rng.fork(),
        scenario.faults.clone(),
    )));
    let revocable = matches!(scenario.credentials, CredentialsPlan::Rotating(_));
    let responder_server = server.clone();
    sim.transport().set_responder(move |request, _| {
        responder_server.lock().unwrap().answer(request, revocable)
    });

    let probe = MemoryProbe::default();
    let transport =
        ObservingTransport::new(sim.transport().clone(), stamper.clone(), probe.clone());
    let (source, provider) = match &scenario.credentials {
        CredentialsPlan::Static => {
            server.lock().unwrap().issue_key(STATIC_KEY_ID, None, None);
            (
                CredentialsSource::Static(Credentials::new(STATIC_KEY_ID, "static-secret")),
                None,
            )
        }
        CredentialsPlan::Rotating(plan) => {
            let provider = Arc::new(RotatingProvider::new(
                plan.clone(),
                rng.fork(),
                sim.timer_handle(),
                server.clone(),
                stamper.clone(),
            ));
            let dyn_provider: Arc<dyn CredentialsProvider> = provider.clone();
            (CredentialsSource::Provider(dyn_provider), Some(provider))
        }
    };
    let (producer, driver) = Producer::builder(scenario.config.clone())
        .with_credentials(source)
        .with_transport(transport.clone())
        .build_with_driver(sim.runtime())
        .unwrap_or_else(|e| panic!("seed {}: invalid generated config: {e}", scenario.seed));
    probe.watch(producer.clone());
    for _ in 0..scenario.helpers {
        sim.executor().spawn(Box::pin(driver.compress_helper()));
    }

    let driver_done = Flag::default();
    let done = driver_done.clone();
    let driver_stamper = stamper.clone();
    let driver_polls: Arc<Mutex<Vec<Stamp>>> = Arc::default();
    let polls = driver_polls.clone();
    let driver = DriverSlot::new(driver);
    let slot = driver.clone();
    sim.executor().spawn(Box::pin(async move {
        slot.run(&driver_stamper, &polls).await;
        done.set(driver_stamper.stamp());
    }));

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let routes: Vec<Route> = scenario
        .routes
        .iter()
        .map(|r| r.route(scenario.shard))
        .collect();
    let ctx = Ctx {
        routes: routes.clone().into(),
        producer,
        ledger: ledger.clone(),
        stamper: stamper.clone(),
        timer: sim.timer_handle(),
        spawner: sim.spawner_handle(),
        probe: probe.clone(),
        memory_budget: scenario.config.memory_budget,
        driver,
    };
    let clients: Vec<Client> = scenario
        .clients
        .iter()
        .map(|actions| Box::pin(ctx.clone().client(actions.clone())) as Client)
        .collect();
    let finale = scenario.finale;
    let main_done = driver_done.clone();
    let metrics_at_end = sim
        .block_on(async move {
            join_all(clients).await;
            let buffered = match finale {
                Finale::Close(timeout) => {
                    ctx.close(timeout, true).await;
                    // Past its deadline a close leaves outcomes to deliver: wait for them.
                    Some(ctx.producer.close(None).await)
                }
                Finale::DropDriver => {
                    ctx.drop_driver();
                    Some(ctx.producer.metrics())
                }
                Finale::DropHandles => {
                    // Dropping the last handle closes the producer (without deadline).
                    let called = ctx.stamper.stamp();
                    ctx.ledger.lock().unwrap().closes.push(CloseRecord {
                        called,
                        timeout: None,
                        done: None,
                    });
                    None
                }
            };
            ctx.probe.release();
            drop(ctx);
            main_done.wait().await;
            buffered
        })
        .unwrap_or_else(|e| panic!("seed {}: the simulation did not finish: {e}", scenario.seed));
    sim.run_until_stalled()
        .unwrap_or_else(|e| panic!("seed {}: {e}", scenario.seed));

    let ledger = core::mem::take(&mut *ledger.lock().unwrap());
    let decisions = server.lock().unwrap().decisions();
    Trace {
        routes,
        sends: ledger.sends,
        flushes: ledger.flushes,
        closes: ledger.closes,
        exchanges: transport.exchanges(),
        requests: sim.transport().requests(),
        decisions,
        fetches: provider.map(|p| p.fetches()).unwrap_or_default(),
        driver_done: driver_done.get(),
        driver_polls: core::mem::take(&mut *driver_polls.lock().unwrap()),
        peak_buffered: probe.peak(),
        peak_in_flight: probe.peak_in_flight(),
        metrics_at_end,
        transport_peak_in_flight: sim.transport().max_in_flight(),
        transport_in_flight_at_end: sim.transport().in_flight(),
        pending_timers_at_end: sim.clock().pending_timers(),
        executor: sim.executor().stats(),
        end: sim.now(),
    }
}

impl Ctx {
    async fn client(self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Sleep(d) => {
                    self.timer
                        .sleep_until(self.timer.now().saturating_add(d))
                        .await;
                }
                Action::Send(spec) => self.send(spec).await,
                Action::Flush { wait } => self.flush(wait).await,
                Action::Close { timeout, wait } => self.close(timeout, wait).await,
                Action::DropDriver => self.drop_driver(),
            }
        }
    }

    async fn send(&self, spec: SendSpec) {
        let index = {
            let mut ledger = self.ledger.lock().unwrap();
            ledger.sends.push(SendRecord {
                route: spec.route,
                logs: spec.logs.clone(),
                notify: spec.notify,
                wait_for_room: spec.wait_for_room,
                started: self.stamper.stamp(),
                resolved: None,
                result: None,
                buffered_after: 0,
                outcomes: Vec::new(),
            });
            ledger.sends.len() - 1
        };
        let record = match spec.shape {
            Shape::List => Record::List(spec.logs.clone()),
            Shape::Log => Record::Log(spec.logs[0].clone()),
        };
        let route = &self.routes[spec.route];
        let p = &self.producer;
        let result: Result<Ticket, SendError> = match (spec.wait_for_room, spec.notify) {
            (false, Notify::None) => p.send(route, record),
            (false, notify) => p
                .send_tracked(route, record)
                .map(|h| self.watch(index, h, notify)),
            (true, Notify::None) => p.send_async(route, record).await,
            (true, notify) => p
                .send_async(route, record)
                .tracked()
                .await
                .map(|h| self.watch(index, h, notify)),
        };
        let resolved = self.stamper.stamp();
        let buffered = p.metrics().buffered_bytes;
        self.probe.record(buffered);
        let result = result.map_err(|e| {
            let back = e.record().as_slice();
            assert_eq!(back, spec.logs, "a refused record comes back unchanged");
            match e {
                SendError::Closed { .. } => Refusal::Closed,
                SendError::BufferFull { bytes, .. } => Refusal::BufferFull { bytes, buffered },
                SendError::LogTooLarge {
                    index,
                    log_bytes,
                    room,
                    ..
                } => Refusal::LogTooLarge {
                    index,
                    log_bytes,
                    room,
                },
                SendError::ExceedsBuffer { bytes, .. } => Refusal::ExceedsBuffer { bytes },
                other => panic!("an unexpected refusal: {other}"),
            }
        });
        assert!(
            buffered <= self.memory_budget,
            "buffered {buffered} bytes > memory budget {}",
            self.memory_budget
        );
        let mut ledger = self.ledger.lock().unwrap();
        let record = &mut ledger.sends[index];
        record.resolved = Some(resolved);
        record.result = Some(result);
        record.buffered_after = buffered;
    }

    fn callback(&self, index: usize) -> impl FnOnce(DeliveryResult) + Send + 'static {
        let (ledger, stamper) = (self.ledger.clone(), self.stamper.clone());
        move |result| {
            let stamp = stamper.stamp();
            ledger.lock().unwrap().sends[index]
                .outcomes
                .push((stamp, result));
        }
    }

    /// Listen to `handle` as `notify` says (a callback, a watcher task, or not at all: the
    /// handle is dropped), and return its ticket.
    fn watch(&self, index: usize, handle: DeliveryHandle, notify: Notify) -> Ticket {
        let ticket = handle.ticket();
        match notify {
            Notify::Callback => handle.on_complete(self.callback(index)),
            Notify::Handle => {
                let record = self.callback(index);
                self.spawner
                    .spawn(Box::pin(async move { record(handle.await) }));
            }
            Notify::DroppedHandle | Notify::None => drop(handle),
        }
        ticket
    }

    async fn flush(&self, wait: bool) {
        let flush = self.producer.flush();
        let index = {
            let mut ledger = self.ledger.lock().unwrap();
            ledger.flushes.push(FlushRecord {
                called: self.stamper.stamp(),
                done: None,
            });
            ledger.flushes.len() - 1
        };
        if wait {
            flush.await;
            let done = self.stamper.stamp();
            self.ledger.lock().unwrap().flushes[index].done = Some(done);
        }
    }

    /// Drop the driver, which fails every pending send at once: recorded as a close whose
    /// deadline is now.
    fn drop_driver(&self) {
        let Some(driver) = self.driver.take() else {
            return;
        };
        let called = self.stamper.stamp();
        self.ledger.lock().unwrap().closes.push(CloseRecord {
            called,
            timeout: Some(Duration::ZERO),
            done: None,
        });
        drop(driver);
    }

    async fn close(&self, timeout: Option<Duration>, wait: bool) {
        let close = self.producer.close(timeout);
        let index = {
            let mut ledger = self.ledger.lock().unwrap();
            ledger.closes.push(CloseRecord {
                called: self.stamper.stamp(),
                timeout,
                done: None,
            });
            ledger.closes.len() - 1
        };
        if wait {
            let metrics = close.await;
            let done = self.stamper.stamp();
            self.ledger.lock().unwrap().closes[index].done = Some((done, metrics));
        }
    }
}

impl Trace {
    /// A readable timeline, for replaying a seed.
    pub(crate) fn dump(&self) -> String {
        use core::fmt::Write as _;
        let mut out = String::new();
        let t = |s: &Stamp| format!("{:>9.3}ms#{}", s.at.as_nanos() as f64 / 1e6, s.seq);
        for (i, s) in self.sends.iter().enumerate() {
            let ids: Vec<u64> = s.logs.iter().map(crate::support::id_of).collect();
            let _ = writeln!(
                out,
                "send {i}: route {} ids {ids:?} {:?} async={} started {} resolved {} -> {:?}",
                s.route,
                s.notify,
                s.wait_for_room,
                t(&s.started),
                s.resolved.as_ref().map(t).unwrap_or_default(),
                s.result,
            );
            for (at, r) in &s.outcomes {
                let back: Vec<u64> = r.logs().iter().map(crate::support::id_of).collect();
                let _ = writeln!(
                    out,
                    "    outcome {} {:?} attempts {} back {back:?}",
                    t(at),
                    r.failure,
                    r.attempt_count
                );
            }
        }
        for (i, ((e, r), d)) in self
            .exchanges
            .iter()
            .zip(&self.requests)
            .zip(&self.decisions)
            .enumerate()
        {
            let logs = r.logs().unwrap_or_default();
            let ids: Vec<u64> = logs.iter().map(crate::support::id_of).collect();
            let _ = writeln!(
                out,
                "request #{i}: sent {} key {} ids {ids:?} -> {:?} (stored {}, fault {:?}, auth {:?})",
                t(&e.sent),
                d.key_id,
                e.completed.map(|(s, o)| (t(&s), o)),
                d.stored,
                d.fault,
                d.auth,
            );
        }
        for c in &self.closes {
            let _ = writeln!(
                out,
                "close at {} timeout {:?} -> {:?}",
                t(&c.called),
                c.timeout,
                c.done.as_ref().map(|(s, r)| (t(s), r))
            );
        }
        for f in &self.flushes {
            let _ = writeln!(
                out,
                "flush at {} -> {:?}",
                t(&f.called),
                f.done.as_ref().map(t)
            );
        }
        for f in &self.fetches {
            let _ = writeln!(
                out,
                "fetch at {} -> {:?} {:?}",
                t(&f.started),
                f.finished.as_ref().map(t),
                f.key_id
            );
        }
        let _ = writeln!(
            out,
            "driver done {:?}; end {:?}",
            self.driver_done.as_ref().map(t),
            self.end
        );
        out
    }
}
