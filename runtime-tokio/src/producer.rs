//! [`Producer`]: the producer on tokio, built with [`Producer::builder`].

use core::fmt;
use core::ops::Deref;
use core::time::Duration;
use std::sync::Arc;

use sls_producer_core::config::{ConfigError, ProducerConfig};
use sls_producer_core::producer::{CloseReport, Producer as CoreProducer};
use sls_producer_core::producer::{CredentialsSource, Driver};
use sls_producer_core::rt::{CredentialsProvider, HttpTransport};
use tokio::runtime::Handle;

use crate::block::block_on;
use sls_producer_hyper::BuilderParts;

use crate::{TokioSpawner, TokioTimer, TokioTransport, TransportConfig};

/// A producer whose driver runs on a tokio runtime.
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
/// use sls_producer_tokio::{Credentials, Log, Producer, ProducerConfig, Route};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
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
/// # Ok(()) }
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

    /// [`flush`](CoreProducer::flush) for a thread outside any tokio runtime: seal every
    /// open batch and block until every send accepted before this call has its outcome.
    ///
    /// # Errors
    ///
    /// [`BlockingError::InsideRuntime`] when called on a thread inside a tokio runtime
    /// (an async task, a delivery callback, a `spawn_blocking` closure): blocking there
    /// could stall the driver that must make the progress it waits for. Use
    /// `flush().await` there instead.
    pub fn flush_blocking(&self) -> Result<(), BlockingError> {
        outside_runtime()?;
        block_on(self.inner.flush());
        Ok(())
    }

    /// [`close`](CoreProducer::close) for a thread outside any tokio runtime: stop
    /// accepting sends and block until every send has its outcome. With `timeout`, sends
    /// still without one when it expires fail and hand their logs back, and the call
    /// returns soon after the timeout.
    ///
    /// # Errors
    ///
    /// [`BlockingError::InsideRuntime`], as for [`Producer::flush_blocking`]; the
    /// producer is not closed then.
    pub fn close_blocking(&self, timeout: Option<Duration>) -> Result<CloseReport, BlockingError> {
        outside_runtime()?;
        Ok(block_on(self.inner.close(timeout)))
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

fn outside_runtime() -> Result<(), BlockingError> {
    match Handle::try_current() {
        Ok(_) => Err(BlockingError::InsideRuntime),
        Err(_) => Ok(()),
    }
}

/// A blocking call was refused; nothing was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockingError {
    /// The calling thread is inside a tokio runtime. Blocking it could stall the
    /// producer's driver (and with it the very progress the call waits for). Await the
    /// async method instead (`producer.flush().await`, `producer.close(..).await`).
    InsideRuntime,
}

impl fmt::Display for BlockingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InsideRuntime => f.write_str(
                "a blocking producer call was made inside a tokio runtime; await the async method instead",
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
/// * **Transport**: a [`TokioTransport`] with the configuration's `connect_timeout` and
///   `request_timeout` ([`TransportConfig::for_producer`]) unless you pass your own
///   [`TransportConfig`] or transport.
/// * **Runtime**: the driver is spawned on the runtime of the thread that calls
///   [`build`](ProducerBuilder::build), or on the one given with
///   [`with_handle`](ProducerBuilder::with_handle) (then `build` works from any thread),
///   with [compression helpers](ProducerBuilder::with_compress_helpers) next to it.
#[must_use = "a builder does nothing until `build` is called"]
pub struct ProducerBuilder {
    parts: BuilderParts,
    handle: Option<Handle>,
}

impl ProducerBuilder {
    /// A builder for `config` (see [`Producer::builder`]).
    pub fn new(config: ProducerConfig) -> Self {
        Self {
            parts: BuilderParts::new(config),
            handle: None,
        }
    }

    sls_producer_hyper::producer_builder_setters!(TokioTransport);

    /// Run the driver on the runtime behind `handle` instead of the current one.
    pub fn with_handle(mut self, handle: Handle) -> Self {
        self.handle = Some(handle);
        self
    }

    /// Validate, spawn the driver, and return the producer.
    ///
    /// # Errors
    ///
    /// [`BuildError`]: the configuration is invalid, no credentials were given, or there
    /// is no runtime to spawn on.
    pub fn build(self) -> Result<Producer, BuildError> {
        let helpers = self.parts.compress_helpers();
        let (producer, driver, handle) = self.build_parts()?;
        let spawner = TokioSpawner::new(handle);
        driver.spawn_helpers_on(&spawner, helpers);
        driver.spawn_on(&spawner);
        Ok(producer)
    }

    /// Validate and return the producer with its [`Driver`] unspawned, for callers who
    /// run it themselves (e.g. `tokio::select!` with their own work). Nothing is sent
    /// until the driver is polled, on the runtime the builder names (the transport and
    /// timer need its I/O and time drivers).
    ///
    /// # Errors
    ///
    /// As [`ProducerBuilder::build`].
    pub fn build_with_driver(self) -> Result<(Producer, Driver), BuildError> {
        self.build_parts().map(|(p, d, _)| (p, d))
    }

    fn build_parts(self) -> Result<(Producer, Driver, Handle), BuildError> {
        let handle = match self.handle {
            Some(handle) => handle,
            None => Handle::try_current().map_err(|_| BuildError::NoRuntime)?,
        };
        // The timer reads the runtime's clock (paused in tests) from the start.
        let _context = handle.enter();
        let timer = Arc::new(TokioTimer::new());
        let (config, credentials, transport) = self
            .parts
            .resolve(|config| Arc::new(TokioTransport::new(config)))
            .ok_or(BuildError::MissingCredentials)?;
        let (inner, driver) = CoreProducer::new(&config, timer, transport, credentials)?;
        Ok((Producer { inner }, driver, handle.clone()))
    }
}

impl fmt::Debug for ProducerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProducerBuilder")
            .field("parts", &self.parts)
            .field("handle", &self.handle.is_some())
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
    /// `build` was called outside a tokio runtime and no handle was given. Build inside
    /// the runtime (e.g. in `#[tokio::main]`) or pass
    /// [`with_handle`](ProducerBuilder::with_handle).
    NoRuntime,
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
            Self::NoRuntime => f.write_str(
                "not inside a tokio runtime: build the producer inside one or pass with_handle",
            ),
        }
    }
}

impl core::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Config(e) => Some(e),
            Self::MissingCredentials | Self::NoRuntime => None,
        }
    }
}
