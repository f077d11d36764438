//! [`SimRuntime`]: clock, executor, transport and random generator in one value.

use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::time::Duration;

use super::clock::ManualClock;
use super::executor::{SimError, SimExecutor};
use super::rng::SimRng;
use super::transport::ScriptedTransport;
use alloc::boxed::Box;

use async_trait::async_trait;

use crate::config::ProducerConfig;
use crate::protocol::time::{Instant, UnixTime};
use crate::rt::{BoxFuture, Clock, HttpTransport, Runtime, Spawner, Timer};

/// A complete simulated runtime for one seeded scenario: a [`ManualClock`], a
/// [`SimExecutor`] driving it, a [`ScriptedTransport`] on it and a [`SimRng`] seeded with
/// the scenario's seed.
///
/// Build producers on [`runtime`](Self::runtime) (or hand the `*_handle()` trait objects
/// to the code under test), keep the `SimRuntime` for driving
/// ([`block_on`](Self::block_on), [`run_for`](Self::run_for), …) and for assertions.
/// Dropping it shuts the executor down (spawned tasks are dropped).
///
/// ```
/// use sls_producer_core::sim::SimRuntime;
/// use sls_producer_core::{Credentials, Log, Producer, ProducerConfig, Route};
///
/// let sim = SimRuntime::new(42);
/// let producer = Producer::builder(ProducerConfig::new("http://127.0.0.1:8080"))
///     .with_credentials(Credentials::new("id", "secret"))
///     .build_on(sim.runtime())?;
/// let route = Route::new("my-project", "app-logs")?;
/// let handle = producer.send_tracked(&route, Log::new(1_700_000_000).with_content("k", "v"))?;
/// let result = sim.block_on(handle).expect("the scenario finishes");
/// assert!(result.is_success());
/// assert_eq!(sim.transport().requests()[0].logs().unwrap().len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Print [`seed`](Self::seed) in every failure message so that a failing scenario can be
/// replayed.
pub struct SimRuntime {
    seed: u64,
    clock: ManualClock,
    executor: SimExecutor,
    transport: ScriptedTransport,
    rng: SimRng,
}

impl SimRuntime {
    /// A fresh runtime at [`Instant::ZERO`] (wall clock at
    /// [`ManualClock::DEFAULT_EPOCH`]), with an empty script whose default reply is
    /// [`ScriptedReply::ok`](super::ScriptedReply::ok), and `SimRng::new(seed)`.
    pub fn new(seed: u64) -> Self {
        Self::with_clock(seed, ManualClock::new())
    }

    /// Like [`new`](Self::new) on a given clock (e.g. one from
    /// [`ManualClock::starting_at`]).
    pub fn with_clock(seed: u64, clock: ManualClock) -> Self {
        Self {
            seed,
            executor: SimExecutor::new(clock.clone()),
            transport: ScriptedTransport::new(clock.clone()),
            clock,
            rng: SimRng::new(seed),
        }
    }

    /// The scenario's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The clock (also reachable as a [`Timer`] through
    /// [`timer_handle`](Self::timer_handle)).
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// The current simulated instant.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// The executor.
    pub fn executor(&self) -> &SimExecutor {
        &self.executor
    }

    /// The scripted transport, for scripting replies and inspecting requests.
    pub fn transport(&self) -> &ScriptedTransport {
        &self.transport
    }

    /// The scenario's random generator.
    pub fn rng(&mut self) -> &mut SimRng {
        &mut self.rng
    }

    /// The runtime to build producers on ([`ProducerBuilder::build_on`](crate::ProducerBuilder::build_on)):
    /// this clock, this executor, and this scripted transport by default. Blocking calls
    /// are refused on it (the simulation has one thread).
    pub fn runtime(&self) -> impl Runtime + 'static {
        SimHandle {
            clock: self.clock.clone(),
            executor: self.executor.clone(),
            transport: self.transport.clone(),
        }
    }

    /// The clock as a shared [`Timer`].
    pub fn timer_handle(&self) -> Arc<dyn Timer> {
        Arc::new(self.clock.clone())
    }

    /// The executor as a shared [`Spawner`].
    pub fn spawner_handle(&self) -> Arc<dyn Spawner> {
        Arc::new(self.executor.clone())
    }

    /// The transport as a shared [`HttpTransport`].
    pub fn transport_handle(&self) -> Arc<dyn HttpTransport> {
        Arc::new(self.transport.clone())
    }

    /// [`SimExecutor::block_on`].
    ///
    /// # Errors
    ///
    /// As [`SimExecutor::block_on`].
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, SimError> {
        self.executor.block_on(future)
    }

    /// [`SimExecutor::run_until_stalled`].
    ///
    /// # Errors
    ///
    /// As [`SimExecutor::run_until_stalled`].
    pub fn run_until_stalled(&self) -> Result<(), SimError> {
        self.executor.run_until_stalled()
    }

    /// [`SimExecutor::run_until`].
    ///
    /// # Errors
    ///
    /// As [`SimExecutor::run_until`].
    pub fn run_until(&self, end: Instant) -> Result<(), SimError> {
        self.executor.run_until(end)
    }

    /// [`SimExecutor::run_for`].
    ///
    /// # Errors
    ///
    /// As [`SimExecutor::run_for`].
    pub fn run_for(&self, d: Duration) -> Result<(), SimError> {
        self.executor.run_for(d)
    }
}

/// What [`SimRuntime::runtime`] returns: handles to the runtime's parts (not the runtime
/// itself, whose drop shuts the executor down).
struct SimHandle {
    clock: ManualClock,
    executor: SimExecutor,
    transport: ScriptedTransport,
}

impl Clock for SimHandle {
    fn now(&self) -> Instant {
        self.clock.now()
    }

    fn unix_time(&self) -> UnixTime {
        self.clock.unix_time()
    }
}

#[cfg_attr(not(wasm_browser), async_trait)]
#[cfg_attr(wasm_browser, async_trait(?Send))]
impl Timer for SimHandle {
    async fn sleep_until(&self, deadline: Instant) {
        self.clock.sleep_until(deadline).await;
    }
}

impl Spawner for SimHandle {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.executor.spawn(task);
    }
}

impl Runtime for SimHandle {
    fn default_transport(&self, _config: &ProducerConfig) -> Option<Arc<dyn HttpTransport>> {
        Some(Arc::new(self.transport.clone()))
    }

    fn may_block(&self) -> bool {
        false
    }
}

impl Drop for SimRuntime {
    fn drop(&mut self) {
        self.executor.shutdown();
    }
}

impl fmt::Debug for SimRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimRuntime")
            .field("seed", &self.seed)
            .field("executor", &self.executor)
            .field("transport", &self.transport)
            .finish()
    }
}
