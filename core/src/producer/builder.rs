//! [`ProducerBuilder`]: the one way to make a [`Producer`], on any [`Runtime`].

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use super::driver::{Driver, Providers, Shared};
use super::{DeliveryHandle, Producer};
use crate::config::{ConfigError, DateHeader, ProducerConfig, ProjectConfig};
use crate::credentials::{CredentialsProvider, CredentialsSource};
#[cfg(feature = "spool")]
use crate::durable::BatchStore;
use crate::durable::StoreError;
use crate::engine::{CredentialsId, Engine};
use crate::rt::{HttpTransport, Runtime};

/// Builds a [`Producer`]: its configuration, its credentials and, optionally, its
/// transport; then [`build_on`](Self::build_on) a [`Runtime`].
///
/// The runtime crates add `build()` (their `ProducerBuilderExt`), which builds on the
/// runtime of the calling context, so the same code runs on tokio, smol and wasm:
///
/// ```ignore
/// let producer = Producer::builder(ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"))
///     .with_credentials(Credentials::from_env()?)
///     .build()?;
/// ```
///
/// * **Credentials** (required, except for web tracking): static keys
///   ([`Credentials::new`](crate::Credentials::new),
///   [`Credentials::from_env`](crate::Credentials::from_env)), or a
///   [`CredentialsProvider`] the producer asks before the credentials expire and after the
///   server rejects them. A web-tracking producer
///   ([`WireMode::WebTracking`](crate::config::WireMode::WebTracking)) is anonymous and
///   takes none: credentials given to it are a [`ConfigError`].
/// * **Projects**: a project may have its own endpoint, credentials and signature settings
///   ([`with_project`](Self::with_project)); sends to every other project use the
///   producer's.
/// * **Transport**: the runtime's default (made with the configuration's
///   `connect_timeout` and `request_timeout`) unless you pass your own.
/// * **Compression helpers**: tasks that compress sealed batches next to the driver; by
///   default as many as the runtime suggests (one fewer than the machine's threads, at
///   most three, on the native runtimes; none on wasm).
#[must_use = "a builder does nothing until it is built"]
pub struct ProducerBuilder {
    config: ProducerConfig,
    credentials: Option<CredentialsSource>,
    projects: Vec<(String, ProjectConfig)>,
    transport: Option<Arc<dyn HttpTransport>>,
    compress_helpers: Option<usize>,
    #[cfg(feature = "spool")]
    store: Option<StoreOpener>,
}

/// Opens a producer's [`BatchStore`] when it is built.
#[cfg(feature = "spool")]
type StoreOpener = Box<dyn FnOnce() -> Result<Arc<dyn BatchStore>, StoreError> + Send>;

impl ProducerBuilder {
    pub(super) fn new(config: ProducerConfig) -> Self {
        Self {
            config,
            credentials: None,
            projects: Vec::new(),
            transport: None,
            compress_helpers: None,
            #[cfg(feature = "spool")]
            store: None,
        }
    }

    /// Sign with these credentials: a [`Credentials`](crate::Credentials) value (static
    /// keys, optionally with an STS token) or a [`CredentialsSource`].
    pub fn with_credentials(mut self, credentials: impl Into<CredentialsSource>) -> Self {
        self.credentials = Some(credentials.into());
        self
    }

    /// Sign with credentials from `provider`, asked at start, shortly before they expire,
    /// and when the server rejects them; one fetch runs at a time.
    pub fn with_credentials_provider(self, provider: impl CredentialsProvider + 'static) -> Self {
        let provider: Arc<dyn CredentialsProvider> = Arc::new(provider);
        self.with_credentials(provider)
    }

    /// Send `project`'s logs to `config`'s endpoint, signed with its credentials and
    /// signature settings (each defaulting to the producer's), as Java's `ProjectConfig`
    /// does; sends to other projects use the producer's. Batching, retries, compression,
    /// tags and the memory budget are shared. Giving a project again replaces its entry.
    ///
    /// A provider given to several projects (the same `Arc`, or the producer's own) is one
    /// source: one refresh schedule, one fetch at a time. The project's configuration is
    /// checked when the producer is built: [`ConfigError::Project`] names the project.
    ///
    /// ```ignore
    /// let producer = Producer::builder(ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"))
    ///     .with_credentials(Credentials::from_env()?)
    ///     .with_project(
    ///         "shanghai-audit",
    ///         ProjectConfig::new("cn-shanghai.log.aliyuncs.com")
    ///             .with_credentials_provider(EcsRamRole::new("audit-writer")),
    ///     )
    ///     .build()?;
    /// ```
    pub fn with_project(mut self, project: impl Into<String>, config: ProjectConfig) -> Self {
        let project = project.into();
        self.projects.retain(|(p, _)| *p != project);
        self.projects.push((project, config));
        self
    }

    /// Send through `transport` instead of the runtime's default (a proxy-aware client,
    /// other TLS settings, a test double). Its timeouts are then its own business.
    pub fn with_transport(mut self, transport: impl HttpTransport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Spawn `helpers` tasks that compress sealed batches next to the driver (see
    /// [`CompressHelper`](super::CompressHelper)) instead of the runtime's default; `0`
    /// leaves all compression to the driver. Only [`build_on`](Self::build_on) spawns
    /// them; with [`build_with_driver`](Self::build_with_driver), spawn
    /// [`Driver::compress_helper`]s yourself.
    pub fn with_compress_helpers(mut self, helpers: usize) -> Self {
        self.compress_helpers = Some(helpers);
        self
    }

    /// Write every sealed batch to the store `open` returns before its first attempt, and
    /// send the batches it holds from earlier runs first: the disk spool. `open` runs
    /// once, when the producer is built; its error (another producer holds the directory,
    /// the directory cannot be written) is [`BuildError::Store`]. The native runtime crates
    /// call this from their `with_spool`; see [`crate::durable`]. Needs the `spool`
    /// feature.
    #[cfg(feature = "spool")]
    pub fn with_store(
        mut self,
        open: impl FnOnce() -> Result<Arc<dyn BatchStore>, StoreError> + Send + 'static,
    ) -> Self {
        self.store = Some(Box::new(open));
        self
    }

    /// Validate, spawn the driver (and the compression helpers) on `runtime`, and return
    /// the producer.
    ///
    /// # Errors
    ///
    /// [`BuildError`]: the configuration is invalid, no credentials were given, or the
    /// runtime has no transport and none was given.
    pub fn build_on(self, runtime: impl Runtime + 'static) -> Result<Producer, BuildError> {
        let runtime: Arc<dyn Runtime> = Arc::new(runtime);
        let helpers = self
            .compress_helpers
            .unwrap_or_else(|| runtime.compress_helpers());
        let (producer, driver) = self.build_parts(runtime.clone())?;
        for _ in 0..helpers {
            runtime.spawn(Box::pin(driver.compress_helper()));
        }
        runtime.spawn(Box::pin(driver));
        Ok(producer)
    }

    /// Validate and return the producer with its [`Driver`] unspawned, for callers who run
    /// it themselves (e.g. in a `select!` with their own work). Nothing is sent until the
    /// driver is polled, on `runtime` (whose timer and transport it uses).
    ///
    /// # Errors
    ///
    /// As [`ProducerBuilder::build_on`].
    pub fn build_with_driver(
        self,
        runtime: impl Runtime + 'static,
    ) -> Result<(Producer, Driver), BuildError> {
        self.build_parts(Arc::new(runtime))
    }

    fn build_parts(self, runtime: Arc<dyn Runtime>) -> Result<(Producer, Driver), BuildError> {
        let Self {
            mut config,
            credentials,
            projects,
            transport,
            #[cfg(feature = "spool")]
            store,
            ..
        } = self;
        let signed = config.wire.is_signed();
        let credentials = match credentials {
            Some(credentials) if signed => Some(credentials),
            None if signed => return Err(BuildError::MissingCredentials),
            // Web tracking is anonymous: credentials given for it are a mistake.
            Some(_) => return Err(ANONYMOUS_CREDENTIALS.into()),
            None => None,
        };
        if let Some(CredentialsSource::Static(c)) = &credentials {
            if let Some(reason) = c.defect() {
                return Err(BuildError::InvalidCredentials { reason });
            }
        }
        if !signed && projects.iter().any(|(_, p)| p.credentials.is_some()) {
            return Err(ANONYMOUS_CREDENTIALS.into());
        }
        #[cfg(feature = "spool")]
        if !signed && store.is_some() {
            // A spool's bodies are replayed as they were written, in one wire's format.
            return Err(ConfigError::Unsupported {
                field: "spool",
                reason: "web tracking producers keep no spool",
            }
            .into());
        }
        let transport = match transport {
            Some(transport) => transport,
            None => runtime
                .default_transport(&config)
                .ok_or(BuildError::MissingTransport)?,
        };
        config.date_header = resolve_date_header(config.date_header, &*transport)?;
        let (fixed, provider) = match credentials {
            Some(CredentialsSource::Static(c)) => (Some(c), None),
            Some(CredentialsSource::Provider(p)) => (None, Some(p)),
            None => (None, None),
        };
        let mut engine = Engine::new(&config, runtime.unix_time(), fixed)?;
        engine.set_tag_heap(DeliveryHandle::SLOT_HEAP);
        let mut providers: Providers = Vec::from([provider]);
        for (project, project_config) in &projects {
            let source = match &project_config.credentials {
                None => CredentialsId::DEFAULT,
                Some(CredentialsSource::Static(c)) => {
                    providers.push(None);
                    engine.add_credentials(Some(c.clone()))
                }
                Some(CredentialsSource::Provider(p)) => {
                    let same = providers
                        .iter()
                        .position(|known| known.as_ref().is_some_and(|k| Arc::ptr_eq(k, p)));
                    match same {
                        Some(index) => {
                            CredentialsId(u32::try_from(index).expect("fewer than 2^32"))
                        }
                        None => {
                            providers.push(Some(p.clone()));
                            engine.add_credentials(None)
                        }
                    }
                }
            };
            engine.add_project(project, project_config, source)?;
        }
        #[cfg(feature = "spool")]
        let store = match store {
            Some(open) => {
                let store = open().map_err(BuildError::Store)?;
                let recovered = store.recovered();
                super::diag::spool_opened(recovered);
                engine.enable_durable(recovered);
                Some(super::store::StoreRunner::new(store))
            }
            None => None,
        };
        #[cfg(not(feature = "spool"))]
        let store = None;
        let shared = Arc::new(Shared::new(engine, runtime, config.max_block));
        let driver = Driver::new(shared.clone(), transport, providers, store);
        Ok((Producer::from_shared(shared), driver))
    }
}

/// Credentials given to a web-tracking producer, which signs nothing.
const ANONYMOUS_CREDENTIALS: ConfigError = ConfigError::Unsupported {
    field: "credentials",
    reason: "web tracking is anonymous: give no credentials (use WireMode::PutLogs to sign)",
};

/// Where the request date goes on `transport`: [`DateHeader::Auto`] becomes `Date` where
/// the transport can send one and `x-log-date` where it cannot (`fetch`).
fn resolve_date_header(
    asked: DateHeader,
    transport: &dyn HttpTransport,
) -> Result<DateHeader, ConfigError> {
    match (asked, transport.can_set_date_header()) {
        (DateHeader::Auto, true) => Ok(DateHeader::Date),
        (DateHeader::Auto, false) => Ok(DateHeader::XLogDate),
        (DateHeader::Date, false) => Err(ConfigError::Unsupported {
            field: "date_header",
            reason: "this transport cannot send a Date header (fetch owns it): use XLogDate or Auto",
        }),
        (other, _) => Ok(other),
    }
}

/// Shows the configuration and the credentials' `Debug` (which hides secrets), whether a
/// transport was given, never the transport itself.
impl fmt::Debug for ProducerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ProducerBuilder");
        d.field("config", &self.config)
            .field("credentials", &self.credentials)
            .field("projects", &self.projects)
            .field("custom_transport", &self.transport.is_some())
            .field("compress_helpers", &self.compress_helpers);
        #[cfg(feature = "spool")]
        d.field("store", &self.store.is_some());
        d.finish()
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
    /// The runtime has no HTTP transport of its own and none was given: call
    /// [`with_transport`](ProducerBuilder::with_transport).
    MissingTransport,
    /// There is no runtime to build on here (e.g. tokio's `build()` outside a tokio
    /// runtime). Build inside one, or name one with
    /// [`build_on`](ProducerBuilder::build_on).
    NoRuntime {
        /// Which runtime was looked for (`"tokio"`).
        runtime: &'static str,
    },
    /// The static credentials can never sign a request SLS accepts (see
    /// [`Credentials::defect`](crate::Credentials::defect)): e.g. `Credentials::new("", "")`.
    InvalidCredentials {
        /// What is wrong (never the secret itself).
        reason: &'static str,
    },
    /// The disk spool could not be opened: another producer holds its directory
    /// ([`StoreErrorKind::Locked`](crate::durable::StoreErrorKind::Locked)), or the
    /// directory cannot be created, read or written. The error names the path.
    Store(StoreError),
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
            Self::MissingTransport => f.write_str(
                "this runtime has no HTTP transport of its own: call with_transport",
            ),
            Self::NoRuntime { runtime } => write!(
                f,
                "not inside a {runtime} runtime: build the producer inside one, or pass a runtime to build_on"
            ),
            Self::InvalidCredentials { reason } => write!(f, "invalid credentials: {reason}"),
            Self::Store(e) => write!(f, "cannot open the disk spool: {e}"),
        }
    }
}

impl core::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Config(e) => Some(e),
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}
