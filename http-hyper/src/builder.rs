//! What the native runtimes' producer builders share: the configuration, the credentials
//! and the choice of transport. Each runtime adds how it spawns and times; the common
//! `with_*` setters come from [`producer_builder_setters!`](crate::producer_builder_setters).

use core::fmt;
use std::sync::Arc;

use sls_producer_core::config::ProducerConfig;
use sls_producer_core::producer::CredentialsSource;
use sls_producer_core::rt::HttpTransport;

use crate::TransportConfig;

/// A producer builder's runtime-independent settings.
pub struct BuilderParts {
    config: ProducerConfig,
    credentials: Option<CredentialsSource>,
    transport_config: Option<TransportConfig>,
    transport: Option<Arc<dyn HttpTransport>>,
    compress_helpers: Option<usize>,
}

/// Compression helpers by default at most, however many threads the machine has.
pub const MAX_DEFAULT_COMPRESS_HELPERS: usize = 3;

/// The compression helpers a builder spawns by default: one fewer than the threads the
/// machine can run at once, at most [`MAX_DEFAULT_COMPRESS_HELPERS`] (none on one thread).
pub fn default_compress_helpers() -> usize {
    std::thread::available_parallelism()
        .map_or(0, |n| n.get() - 1)
        .min(MAX_DEFAULT_COMPRESS_HELPERS)
}

/// What [`BuilderParts::resolve`] hands to the runtime: the configuration, the credentials
/// and the transport to build the producer with.
pub type Resolved = (ProducerConfig, CredentialsSource, Arc<dyn HttpTransport>);

impl BuilderParts {
    /// Settings for `config`: no credentials yet, the default transport.
    pub fn new(config: ProducerConfig) -> Self {
        Self {
            config,
            credentials: None,
            transport_config: None,
            transport: None,
            compress_helpers: None,
        }
    }

    /// Spawn `helpers` compression helpers next to the driver instead of the default.
    pub fn set_compress_helpers(&mut self, helpers: usize) {
        self.compress_helpers = Some(helpers);
    }

    /// The compression helpers to spawn next to the driver
    /// ([`Driver::compress_helper`](sls_producer_core::producer::Driver::compress_helper)):
    /// the number given, or [`default_compress_helpers`].
    pub fn compress_helpers(&self) -> usize {
        self.compress_helpers
            .unwrap_or_else(default_compress_helpers)
    }

    /// Sign with `credentials`.
    pub fn set_credentials(&mut self, credentials: CredentialsSource) {
        self.credentials = Some(credentials);
    }

    /// Make the default transport with `config` instead of
    /// [`TransportConfig::for_producer`].
    pub fn set_transport_config(&mut self, config: TransportConfig) {
        self.transport_config = Some(config);
    }

    /// Use `transport` instead of making one.
    pub fn set_transport(&mut self, transport: Arc<dyn HttpTransport>) {
        self.transport = Some(transport);
    }

    /// The configuration, the credentials and the transport: the one given, or
    /// `make_transport` called with the transport settings (given, or derived from the
    /// configuration's timeouts). `None` if no credentials were given.
    pub fn resolve(
        self,
        make_transport: impl FnOnce(TransportConfig) -> Arc<dyn HttpTransport>,
    ) -> Option<Resolved> {
        let credentials = self.credentials?;
        let transport = match self.transport {
            Some(transport) => transport,
            None => make_transport(
                self.transport_config
                    .unwrap_or_else(|| TransportConfig::for_producer(&self.config)),
            ),
        };
        Some((self.config, credentials, transport))
    }
}

/// Shows the configuration and the credentials' `Debug` (which hides secrets), whether a
/// transport was given, never the transport itself.
impl fmt::Debug for BuilderParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuilderParts")
            .field("config", &self.config)
            .field("credentials", &self.credentials)
            .field("transport_config", &self.transport_config)
            .field("custom_transport", &self.transport.is_some())
            .field("compress_helpers", &self.compress_helpers())
            .finish()
    }
}

/// The `with_credentials`, `with_credentials_provider`, `with_transport_config` and
/// `with_transport` setters of a runtime's `ProducerBuilder`, whose `parts` field is a
/// [`BuilderParts`]. `$transport` names the runtime's default transport in the docs.
///
/// The calling crate must have `Arc`, `CredentialsSource`, `CredentialsProvider`,
/// `HttpTransport` and `TransportConfig` in scope.
#[macro_export]
macro_rules! producer_builder_setters {
    ($transport:ident) => {
        /// Sign with these credentials: a [`Credentials`](crate::Credentials) value
        /// (static keys, optionally with an STS token) or a [`CredentialsSource`].
        pub fn with_credentials(mut self, credentials: impl Into<CredentialsSource>) -> Self {
            self.parts.set_credentials(credentials.into());
            self
        }

        /// Sign with credentials from `provider`, asked at start, shortly before they
        /// expire, and when the server rejects them; one fetch runs at a time.
        pub fn with_credentials_provider(
            self,
            provider: impl CredentialsProvider + 'static,
        ) -> Self {
            let provider: Arc<dyn CredentialsProvider> = Arc::new(provider);
            self.with_credentials(provider)
        }

        /// Use these transport settings instead of [`TransportConfig::for_producer`].
        pub fn with_transport_config(mut self, config: TransportConfig) -> Self {
            self.parts.set_transport_config(config);
            self
        }

        #[doc = concat!(
            "Use this HTTP transport instead of a [`", stringify!($transport), "`] (a ",
            "proxy-aware client, a test double). The configuration's timeouts are then the ",
            "transport's business."
        )]
        pub fn with_transport(mut self, transport: Arc<dyn HttpTransport>) -> Self {
            self.parts.set_transport(transport);
            self
        }

        /// Spawn `helpers` tasks that compress sealed batches next to the driver (see
        /// [`Driver::compress_helper`]) instead of the default: one fewer than the threads
        /// the machine can run at once, at most
        /// [`MAX_DEFAULT_COMPRESS_HELPERS`](sls_producer_hyper::MAX_DEFAULT_COMPRESS_HELPERS).
        /// `0` leaves all compression to the driver. Only `build` spawns them; with
        /// `build_with_driver`, spawn [`Driver::compress_helper`]s yourself.
        pub fn with_compress_helpers(mut self, helpers: usize) -> Self {
            self.parts.set_compress_helpers(helpers);
            self
        }
    };
}

#[cfg(test)]
mod tests {
    use core::time::Duration;

    use sls_producer_core::credentials::Credentials;

    use super::*;

    struct Never;

    impl HttpTransport for Never {
        fn send(
            &self,
            _request: sls_producer_core::protocol::http::HttpRequest,
        ) -> sls_producer_core::rt::ResponseFuture {
            unreachable!("never sent")
        }
    }

    fn config() -> ProducerConfig {
        ProducerConfig::new("https://demo.cn-hangzhou.log.aliyuncs.com")
            .with_request_timeout(Duration::from_secs(7))
    }

    #[test]
    fn without_credentials_nothing_is_resolved_or_made() {
        let parts = BuilderParts::new(config());
        assert!(
            parts
                .resolve(|_| unreachable!("no transport is made"))
                .is_none()
        );
    }

    #[test]
    fn the_transport_is_made_from_the_config_unless_settings_or_a_transport_are_given() {
        let credentials: CredentialsSource = Credentials::new("id", "secret").into();
        let made = |parts: BuilderParts| {
            let mut seen = None;
            let resolved = parts.resolve(|c| {
                seen = Some(c);
                Arc::new(Never)
            });
            assert!(resolved.is_some());
            seen
        };

        let mut parts = BuilderParts::new(config());
        parts.set_credentials(credentials.clone());
        let derived = made(parts).expect("made from the config");
        assert_eq!(derived.request_timeout, Duration::from_secs(7));

        let mut parts = BuilderParts::new(config());
        parts.set_credentials(credentials.clone());
        parts.set_transport_config(
            TransportConfig::for_producer(&config()).with_request_timeout(Duration::from_secs(1)),
        );
        let given = made(parts).expect("made from the given settings");
        assert_eq!(given.request_timeout, Duration::from_secs(1));

        let mut parts = BuilderParts::new(config());
        parts.set_credentials(credentials);
        parts.set_transport(Arc::new(Never));
        assert!(made(parts).is_none(), "a given transport is used as is");
    }

    #[test]
    fn debug_hides_the_secret() {
        let mut parts = BuilderParts::new(config());
        parts.set_credentials(Credentials::new("id", "very-secret").into());
        let shown = format!("{parts:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("custom_transport: false"), "{shown}");
    }

    #[test]
    fn compress_helpers_default_to_the_spare_threads_within_a_cap() {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut parts = BuilderParts::new(config());
        assert_eq!(
            parts.compress_helpers(),
            (threads - 1).min(MAX_DEFAULT_COMPRESS_HELPERS)
        );
        assert_eq!(parts.compress_helpers(), default_compress_helpers());
        parts.set_compress_helpers(0);
        assert_eq!(parts.compress_helpers(), 0, "none: the driver compresses");
        parts.set_compress_helpers(7);
        assert_eq!(
            parts.compress_helpers(),
            7,
            "beyond the default cap when asked"
        );
        assert!(format!("{parts:?}").contains("compress_helpers: 7"));
    }
}
