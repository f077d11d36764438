//! [`TokioRuntime`]: the core's runtime traits on a tokio runtime.

use core::time::Duration;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use sls_producer_core::BuildError;
use sls_producer_core::config::ProducerConfig;
use sls_producer_core::rt::{BoxFuture, Clock, HttpTransport, Runtime, Spawner, Timer};
use sls_producer_core::rt::{Instant, UnixTime};
use tokio::runtime::Handle;

use crate::{TokioTransport, TransportConfig};

/// Compression helpers a producer gets by default at most, however many threads the
/// machine has.
const MAX_DEFAULT_COMPRESS_HELPERS: usize = 3;

/// A tokio runtime as the producer's [`Runtime`]: its clock and timer, its spawner, and
/// its default HTTP transport ([`TokioTransport`]).
///
/// ```no_run
/// use sls_producer_tokio::{Credentials, Producer, ProducerConfig, TokioRuntime};
///
/// # fn demo(runtime: &tokio::runtime::Runtime) -> Result<(), Box<dyn std::error::Error>> {
/// // From any thread: name the runtime by its handle.
/// let producer = Producer::builder(ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"))
///     .with_credentials(Credentials::from_env()?)
///     .build_on(TokioRuntime::new(runtime.handle().clone()))?;
/// # let _ = producer; Ok(()) }
/// ```
///
/// Inside the runtime, [`ProducerBuilderExt::build`](crate::ProducerBuilderExt::build) is
/// `build_on(TokioRuntime::current()?)`.
///
/// * [`Clock::now`] is the time elapsed on **tokio's** clock ([`tokio::time::Instant`])
///   since the runtime value was made. Under `#[tokio::test(start_paused = true)]` it
///   therefore follows `tokio::time::advance` and auto-advance exactly, which makes
///   producer tests with long linger and backoff intervals instant and deterministic.
///   (tokio pauses the clock of its runtime's threads only: a plain thread reads the real
///   clock, so keep paused-time tests on the runtime.)
/// * [`Clock::unix_time`] is the real wall clock ([`SystemTime`]), also under paused time:
///   it only stamps `Date` headers and log times, and SLS rejects requests whose date is
///   far from its own.
/// * [`Timer::sleep_until`] is a [`tokio::time::sleep_until`] made under the runtime's
///   context, so it may be awaited on any thread (a plain thread in `send_blocking`
///   waiting for room) as long as the runtime runs. Like every tokio timer it fires at or
///   after (never before) the deadline, rounded up to tokio's millisecond tick.
/// * [`Spawner::spawn`] spawns on the runtime's [`Handle`], from any thread. Tasks spawned
///   after the runtime shut down are dropped without running.
/// * [`Runtime::default_transport`] is a [`TokioTransport`] with the producer
///   configuration's `connect_timeout` and `request_timeout`; its futures are polled by
///   the driver, on the runtime.
/// * [`Runtime::compress_helpers`] is one fewer than the threads the machine can run at
///   once, at most three.
/// * [`Runtime::may_block`] is `false` on a thread inside a tokio runtime (a task, a
///   `spawn_blocking` closure, `block_on`): blocking there could stall the driver.
///
/// Cloning is cheap and clones share the clock's origin, so their instants are comparable.
#[derive(Clone, Debug)]
pub struct TokioRuntime {
    handle: Handle,
    origin: tokio::time::Instant,
}

impl TokioRuntime {
    /// The runtime behind `handle`; usable from any thread. [`Instant::ZERO`] is tokio's
    /// "now" on that runtime at this call (with paused time, the paused clock's value).
    pub fn new(handle: Handle) -> Self {
        let origin = {
            let _context = handle.enter();
            tokio::time::Instant::now()
        };
        Self { handle, origin }
    }

    /// The runtime this thread is in.
    ///
    /// # Errors
    ///
    /// [`BuildError::NoRuntime`] (`runtime: "tokio"`) outside a tokio runtime context.
    /// Call it inside the runtime (e.g. in `main` under `#[tokio::main]`) or make the value
    /// from a [`Handle`] with [`TokioRuntime::new`].
    pub fn current() -> Result<Self, BuildError> {
        Handle::try_current()
            .map(Self::new)
            .map_err(|_| BuildError::NoRuntime { runtime: "tokio" })
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The tokio instant at which [`Clock::now`] returns `instant`, or `None` past the
    /// range of tokio's clock (treated as "never").
    fn to_tokio(&self, instant: Instant) -> Option<tokio::time::Instant> {
        self.origin.checked_add(instant.since_origin())
    }
}

impl From<Handle> for TokioRuntime {
    fn from(handle: Handle) -> Self {
        Self::new(handle)
    }
}

impl Clock for TokioRuntime {
    fn now(&self) -> Instant {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.origin);
        Instant::from_duration(elapsed)
    }

    fn unix_time(&self) -> UnixTime {
        unix_time_now()
    }
}

#[async_trait]
impl Timer for TokioRuntime {
    async fn sleep_until(&self, deadline: Instant) {
        let Some(at) = self.to_tokio(deadline) else {
            return core::future::pending().await;
        };
        // Made under the runtime's context, so that any thread may await it.
        let sleep = {
            let _context = self.handle.enter();
            tokio::time::sleep_until(at)
        };
        sleep.await;
    }
}

impl Spawner for TokioRuntime {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        // Fire and forget: dropping the `JoinHandle` detaches the task.
        drop(self.handle.spawn(task));
    }
}

impl Runtime for TokioRuntime {
    fn default_transport(&self, config: &ProducerConfig) -> Option<Arc<dyn HttpTransport>> {
        Some(Arc::new(TokioTransport::new(
            TransportConfig::for_producer(config),
        )))
    }

    fn compress_helpers(&self) -> usize {
        std::thread::available_parallelism()
            .map_or(0, |n| n.get() - 1)
            .min(MAX_DEFAULT_COMPRESS_HELPERS)
    }

    fn may_block(&self) -> bool {
        Handle::try_current().is_err()
    }
}

/// The wall clock. The one place in this crate that reads it.
fn unix_time_now() -> UnixTime {
    // The adapter is where ambient time is allowed: this is the runtime's wall clock.
    #[allow(clippy::disallowed_methods)]
    let now = SystemTime::now();
    // A clock set before 1970 reports the epoch rather than wrapping.
    let since_epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    UnixTime::from_duration(since_epoch)
}
