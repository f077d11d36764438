//! [`SimRuntime`]: clock, executor, transport and random generator in one value.

use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::time::Duration;

use super::clock::ManualClock;
use super::executor::{SimError, SimExecutor};
use super::rng::SimRng;
use super::transport::ScriptedTransport;
use crate::protocol::time::Instant;
use crate::rt::{Clock, HttpTransport, Spawner, Timer};

/// A complete simulated runtime for one seeded scenario: a [`ManualClock`], a
/// [`SimExecutor`] driving it, a [`ScriptedTransport`] on it and a [`SimRng`] seeded with
/// the scenario's seed.
///
/// Hand the `*_handle()` trait objects to the code under test, keep the `SimRuntime` for
/// driving ([`block_on`](Self::block_on), [`run_for`](Self::run_for), …) and for
/// assertions. Dropping it shuts the executor down (spawned tasks are dropped).
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
