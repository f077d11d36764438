//! [`Producer`]: the producer on smol, built with [`Producer::builder`].

use core::cell::Cell;
use core::fmt;
use core::future::Future;
use core::ops::Deref;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;
use std::sync::Arc;

use sls_producer_core::config::{ConfigError, ProducerConfig};
use sls_producer_core::producer::{CloseReport, Producer as CoreProducer};
use sls_producer_core::producer::{CredentialsSource, Driver};
use sls_producer_core::rt::{CredentialsProvider, HttpTransport};
use sls_producer_core::rt::{Spawner as _, Task};
use smol::Executor;

use sls_producer_hyper::BuilderParts;

use crate::{SmolSpawner, SmolTimer, SmolTransport, TransportConfig};

/// A producer whose driver runs on smol (its global executor or one you own).
///
/// Build one with [`Producer::builder`]. It is a cheap handle: clone it into every task and
/// thread that sends. Everything the core handle offers is available through `Deref`
/// ([`send`](CoreProducer::send), [`send_list`](CoreProducer::send_list),
/// [`send_with_callback`](CoreProducer::send_with_callback),
/// [`send_with_handle`](CoreProducer::send_with_handle), [`flush`](CoreProducer::flush),
/// [`close`](CoreProducer::close), [`stats`](CoreProducer::stats), …); this type adds
/// [`send_with`](sls_producer_core::producer::Producer::send_with) and the blocking facade ([`Producer::flush_blocking`],
/// [`Producer::close_blocking`]) for threads outside the runtime.
///
/// ```no_run
/// use std::time::Duration;
/// use sls_producer_smol::{Credentials, Log, Producer, ProducerConfig, Route};
///
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> { smol::block_on(async {
/// let producer = Producer::builder(ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"))
///     .with_credentials(Credentials::from_env()?)
///     .build()?;
/// let route = Route::new("my-project", "my-logstore")?.with_topic("web");
/// producer.send(&route, Log::new(1_700_000_000).with_content("msg", "hello"))?;
/// let outcome = producer
///     .send_with_handle(&route, Log::new(1_700_000_000).with_content("msg", "tracked"))?
///     .await;
/// assert!(outcome.is_success());
/// let report = producer.close(Some(Duration::from_secs(10))).await;
/// println!("{} delivered, {} handed back", report.delivered_logs, report.handed_back_logs);
/// # Ok::<(), Box<dyn std::error::Error>>(()) }) }
/// ```
///
/// When the last handle is dropped the producer closes (without deadline) and its driver
/// finishes once every send has its outcome.
#[derive(Clone)]
pub struct Producer {
    inner: CoreProducer,
}

impl Producer {
    /// Start building a producer for `config`.
    pub fn builder(config: ProducerConfig) -> ProducerBuilder {
        ProducerBuilder::new(config)
    }

    /// [`flush`](CoreProducer::flush) for a plain thread: seal every open batch and block
    /// until every send accepted before this call has its outcome.
    ///
    /// Call it only where blocking is fine: never from async code. A smol task that blocks
    /// its executor thread stops every other task of that thread, and if the producer's
    /// driver is one of them (a single-threaded executor, smol's global executor with the
    /// default `SMOL_THREADS=1`), the call never returns. Await
    /// [`flush`](CoreProducer::flush) there instead.
    ///
    /// # Errors
    ///
    /// [`BlockingError::InsideDriver`] when called from a delivery callback (which runs
    /// on the driver: blocking it would wait for itself).
    pub fn flush_blocking(&self) -> Result<(), BlockingError> {
        outside_driver()?;
        smol::block_on(self.inner.flush());
        Ok(())
    }

    /// [`close`](CoreProducer::close) for a plain thread: stop accepting sends and block
    /// until every send has its outcome. With `timeout`, sends still without one when it
    /// expires fail and hand their logs back, and the call returns soon after the
    /// timeout. Not from async code: see [`Producer::flush_blocking`].
    ///
    /// # Errors
    ///
    /// [`BlockingError::InsideDriver`], as for [`Producer::flush_blocking`]; the producer
    /// is not closed then.
    pub fn close_blocking(&self, timeout: Option<Duration>) -> Result<CloseReport, BlockingError> {
        outside_driver()?;
        Ok(smol::block_on(self.inner.close(timeout)))
    }

    /// The core handle (e.g. to hand to code that is generic over runtimes).
    pub fn into_inner(self) -> CoreProducer {
        self.inner
    }
}

impl Deref for Producer {
    type Target = CoreProducer;

    fn deref(&self) -> &CoreProducer {
        &self.inner
    }
}

impl fmt::Debug for Producer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

std::thread_local! {
    /// Whether this thread is polling a producer's driver right now (delivery callbacks
    /// run there).
    static IN_DRIVER: Cell<bool> = const { Cell::new(false) };
}

fn outside_driver() -> Result<(), BlockingError> {
    if IN_DRIVER.with(Cell::get) {
        Err(BlockingError::InsideDriver)
    } else {
        Ok(())
    }
}

/// The driver, marking its thread while it is polled so that blocking calls from
/// delivery callbacks are refused instead of waiting for themselves.
struct MarkedDriver(Driver);

impl Future for MarkedDriver {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        struct Mark(bool);
        impl Drop for Mark {
            fn drop(&mut self) {
                IN_DRIVER.with(|m| m.set(self.0));
            }
        }
        let _restore = Mark(IN_DRIVER.with(|m| m.replace(true)));
        Pin::new(&mut self.0).poll(cx)
    }
}

/// A blocking call was refused; nothing was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockingError {
    /// Called from a delivery callback, which runs on the producer's driver: blocking it
    /// would wait for itself. Hand the work to another task or thread.
    InsideDriver,
}

impl fmt::Display for BlockingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InsideDriver => f.write_str(
                "a blocking producer call was made from a delivery callback, on the producer's own driver",
            ),
        }
    }
}

impl core::error::Error for BlockingError {}

/// Builds a [`Producer`]: credentials, transport settings and the runtime to run on.
///
/// * **Credentials** (required): static keys ([`Credentials::new`](crate::Credentials::new)),
///   the environment ([`Credentials::from_env`](crate::Credentials::from_env)), or a
///   [`CredentialsProvider`] the driver asks before the credentials expire and after the
///   server rejects them (one fetch at a time).
/// * **Transport**: a [`SmolTransport`] with the configuration's `connect_timeout` and
///   `request_timeout` ([`TransportConfig::for_producer`]) unless you pass your own
///   [`TransportConfig`] or transport.
/// * **Executor**: the driver and the transport's connections run on smol's global
///   executor, or on the one given with [`with_executor`](ProducerBuilder::with_executor)
///   (keep it running for as long as the producer is used). `build` works from any thread.
#[must_use = "a builder does nothing until `build` is called"]
pub struct ProducerBuilder {
    parts: BuilderParts,
    spawner: SmolSpawner,
}

impl ProducerBuilder {
    /// A builder for `config` (see [`Producer::builder`]).
    pub fn new(config: ProducerConfig) -> Self {
        Self {
            parts: BuilderParts::new(config),
            spawner: SmolSpawner::global(),
        }
    }

    sls_producer_hyper::producer_builder_setters!(SmolTransport);

    /// Run the driver and the transport's connections on `executor` instead of smol's
    /// global executor.
    pub fn with_executor(mut self, executor: Arc<Executor<'static>>) -> Self {
        self.spawner = SmolSpawner::new(executor);
        self
    }

    /// Validate, spawn the driver, and return the producer.
    ///
    /// # Errors
    ///
    /// [`BuildError`]: the configuration is invalid or no credentials were given.
    pub fn build(self) -> Result<Producer, BuildError> {
        let spawner = self.spawner.clone();
        let helpers = self.parts.compress_helpers();
        let (producer, driver) = self.build_parts()?;
        driver.spawn_helpers_on(&spawner, helpers);
        spawner.spawn(Task::new(MarkedDriver(driver)));
        Ok(producer)
    }

    /// Validate and return the producer with its [`Driver`] unspawned, for callers who
    /// run it themselves (e.g. raced with their own work). Nothing is sent until the
    /// driver is polled, on any executor (async-io drives the sockets and timers). The
    /// blocking facade cannot tell then that a callback runs on the driver: never call it
    /// from a delivery callback.
    ///
    /// # Errors
    ///
    /// As [`ProducerBuilder::build`].
    pub fn build_with_driver(self) -> Result<(Producer, Driver), BuildError> {
        self.build_parts()
    }

    fn build_parts(self) -> Result<(Producer, Driver), BuildError> {
        let timer = Arc::new(SmolTimer::new());
        let spawner = self.spawner;
        let (config, credentials, transport) = self
            .parts
            .resolve(|config| Arc::new(SmolTransport::with_spawner(config, spawner)))
            .ok_or(BuildError::MissingCredentials)?;
        let (inner, driver) = CoreProducer::new(&config, timer, transport, credentials)?;
        Ok((Producer { inner }, driver))
    }
}

impl fmt::Debug for ProducerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProducerBuilder")
            .field("parts", &self.parts)
            .field("spawner", &self.spawner)
            .finish()
    }
}

/// A producer could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// The configuration is invalid; the error names the field and what is allowed.
    Config(ConfigError),
    /// No credentials were given. Call
    /// [`with_credentials`](ProducerBuilder::with_credentials) (e.g. with
    /// `Credentials::from_env()?`) or
    /// [`with_credentials_provider`](ProducerBuilder::with_credentials_provider).
    MissingCredentials,
}

impl From<ConfigError> for BuildError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => write!(f, "invalid producer configuration: {e}"),
            Self::MissingCredentials => f.write_str(
                "no credentials given: call with_credentials (e.g. Credentials::from_env()) or with_credentials_provider",
            ),
        }
    }
}

impl core::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Config(e) => Some(e),
            Self::MissingCredentials => None,
        }
    }
}
