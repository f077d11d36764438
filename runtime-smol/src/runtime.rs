//! [`SmolRuntime`]: the core's runtime traits on smol (and async-io).

use core::time::Duration;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use sls_producer_core::config::ProducerConfig;
use sls_producer_core::rt::{BoxFuture, Clock, HttpTransport, Runtime, Spawner, Timer};
use sls_producer_core::rt::{Instant, UnixTime};
use smol::Executor;

use crate::spawner::SmolSpawner;
use crate::{SmolTransport, TransportConfig};

/// Compression helpers a producer gets by default at most, however many threads the
/// machine has.
const MAX_DEFAULT_COMPRESS_HELPERS: usize = 3;

/// smol as the producer's [`Runtime`]: the OS clock with async-io timers, an executor to
/// spawn on, and the default HTTP transport ([`SmolTransport`]).
///
/// ```no_run
/// use std::sync::Arc;
/// use sls_producer_smol::{Credentials, Producer, ProducerConfig, SmolRuntime};
///
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let executor = Arc::new(smol::Executor::new());
/// // … threads that run `executor.run(..)` for as long as the producer is used …
/// let producer = Producer::builder(ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"))
///     .with_credentials(Credentials::from_env()?)
///     .build_on(SmolRuntime::with_executor(executor))?;
/// # let _ = producer; Ok(()) }
/// ```
///
/// [`ProducerBuilderExt::build`](crate::ProducerBuilderExt::build) is
/// `build_on(SmolRuntime::new())`: smol's global executor.
///
/// * [`Clock::now`] is the time elapsed on the OS monotonic clock ([`std::time::Instant`])
///   since the runtime value was made; [`Clock::unix_time`] is the OS wall clock
///   ([`SystemTime`]).
/// * [`Timer::sleep_until`] is an [`async_io::Timer::at`](smol::Timer::at) the deadline,
///   driven by async-io's reactor, so any executor (or a plain thread) may await it; it
///   fires at or after (never before) the deadline. Deadlines beyond the OS clock's range
///   never fire.
/// * [`Spawner::spawn`] spawns detached tasks on smol's global executor (which runs on its
///   own threads, so tasks progress without the caller driving anything), or on the
///   executor given to [`SmolRuntime::with_executor`] (its tasks run only while you drive
///   it: keep it running for as long as the producer is used).
/// * [`Runtime::default_transport`] is a [`SmolTransport`] with the producer
///   configuration's `connect_timeout` and `request_timeout`, whose connections run on the
///   same executor.
/// * [`Runtime::compress_helpers`] is one fewer than the threads the machine can run at
///   once, at most three.
/// * [`Runtime::may_block`] is `true`: smol does not mark its threads, so the blocking
///   methods are allowed everywhere except on the producer's own driver (a delivery
///   callback), which the core refuses. Do not call them from async code: a task that
///   blocks its executor thread stops every other task of that thread, the driver
///   perhaps among them.
///
/// Cloning is cheap and clones share the clock's origin, so their instants are comparable.
#[derive(Clone, Debug)]
pub struct SmolRuntime {
    spawner: SmolSpawner,
    origin: std::time::Instant,
}

impl SmolRuntime {
    /// smol's global executor. [`Instant::ZERO`] is the moment of this call.
    pub fn new() -> Self {
        Self::on(SmolSpawner::default())
    }

    /// An executor of your own: the producer's driver, its compression helpers and the
    /// default transport's connections run on `executor`.
    pub fn with_executor(executor: Arc<Executor<'static>>) -> Self {
        Self::on(SmolSpawner::new(Some(executor)))
    }

    fn on(spawner: SmolSpawner) -> Self {
        Self {
            spawner,
            origin: monotonic_now(),
        }
    }
}

impl Default for SmolRuntime {
    /// [`SmolRuntime::new`]: smol's global executor.
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SmolRuntime {
    fn now(&self) -> Instant {
        let elapsed = monotonic_now().saturating_duration_since(self.origin);
        Instant::from_duration(elapsed)
    }

    fn unix_time(&self) -> UnixTime {
        // The adapter is where ambient time is allowed: this is the runtime's wall clock.
        #[allow(clippy::disallowed_methods)]
        let now = SystemTime::now();
        // A clock set before 1970 reports the epoch rather than wrapping.
        let since_epoch = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        UnixTime::from_duration(since_epoch)
    }
}

#[async_trait]
impl Timer for SmolRuntime {
    async fn sleep_until(&self, deadline: Instant) {
        let timer = match self.origin.checked_add(deadline.since_origin()) {
            Some(at) => smol::Timer::at(at),
            None => smol::Timer::never(),
        };
        timer.await;
    }
}

impl Spawner for SmolRuntime {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.spawner.spawn(task);
    }
}

impl Runtime for SmolRuntime {
    fn default_transport(&self, config: &ProducerConfig) -> Option<Arc<dyn HttpTransport>> {
        Some(Arc::new(SmolTransport::on(
            TransportConfig::for_producer(config),
            self.spawner.clone(),
        )))
    }

    fn compress_helpers(&self) -> usize {
        std::thread::available_parallelism()
            .map_or(0, |n| n.get() - 1)
            .min(MAX_DEFAULT_COMPRESS_HELPERS)
    }

    fn may_block(&self) -> bool {
        true
    }
}

/// The OS monotonic clock. The one place in this crate that reads it.
pub(crate) fn monotonic_now() -> std::time::Instant {
    // The adapter is where ambient time is allowed: this is the runtime's clock.
    #[allow(clippy::disallowed_methods)]
    std::time::Instant::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compress_helpers_are_the_spare_threads_within_a_cap() {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(
            SmolRuntime::new().compress_helpers(),
            (threads - 1).min(MAX_DEFAULT_COMPRESS_HELPERS)
        );
    }
}
