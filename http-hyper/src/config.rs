//! [`TransportConfig`]: timeouts, pooling, response cap and TLS of a native transport.

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use sls_producer_core::ProducerConfig;

/// Settings of a native HTTP transport (`TokioTransport`, `SmolTransport`).
///
/// A producer built on a native runtime gets a transport made with the defaults and the
/// producer configuration's `connect_timeout` and `request_timeout`. For other settings,
/// start from [`TransportConfig::default`], change what you need with the `with_*` setters
/// or the public fields, and pass the transport to the builder's `with_transport`:
///
/// ```
/// use std::time::Duration;
/// use sls_producer_hyper::TransportConfig;
///
/// let config = TransportConfig::default()
///     .with_connect_timeout(Duration::from_secs(3))
///     .with_request_timeout(Duration::from_secs(20));
/// assert_eq!(config.pool_idle_timeout, Duration::from_secs(55));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct TransportConfig {
    /// Time allowed to establish a connection: DNS, TCP and the TLS handshake. Default
    /// 10 s. Elapsing fails the attempt with `TransportErrorKind::Timeout`.
    pub connect_timeout: Duration,
    /// Time allowed for one whole exchange, from the call to `send` until the last byte of
    /// the response body (connecting included). Default 60 s, like the Go producer's
    /// HTTP client. Elapsing fails the attempt with `TransportErrorKind::Timeout`.
    pub request_timeout: Duration,
    /// An idle pooled connection is not reused after this long. Default 55 s: below the
    /// 60 s after which servers and load balancers commonly drop idle connections, so the
    /// client gives a connection up before the server does.
    pub pool_idle_timeout: Duration,
    /// Idle connections kept per `scheme://authority`. Default 64; keep it at least the
    /// producer's maximum number of in-flight requests, or bursts will reconnect. `0`
    /// disables keep-alive reuse.
    pub max_idle_per_host: usize,
    /// Largest response body read, in bytes. Default 1 MiB. SLS answers with empty bodies
    /// or small JSON errors; a larger body means the endpoint is not SLS (a proxy page, a
    /// misconfigured host), and the exchange fails with `TransportErrorKind::Other`
    /// instead of buffering it.
    pub max_response_body: usize,
    /// TLS client settings. `None` (the default) verifies servers against the Mozilla
    /// root certificates of `webpki-roots`, with rustls' `ring` provider.
    pub tls: Option<Arc<ClientConfig>>,
}

impl TransportConfig {
    /// Default [`TransportConfig::connect_timeout`].
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default [`TransportConfig::request_timeout`].
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
    /// Default [`TransportConfig::pool_idle_timeout`].
    pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(55);
    /// Default [`TransportConfig::max_idle_per_host`].
    pub const DEFAULT_MAX_IDLE_PER_HOST: usize = 64;
    /// Default [`TransportConfig::max_response_body`]: 1 MiB.
    pub const DEFAULT_MAX_RESPONSE_BODY: usize = 1 << 20;

    /// Set [`TransportConfig::connect_timeout`].
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Set [`TransportConfig::request_timeout`].
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Set [`TransportConfig::pool_idle_timeout`].
    #[must_use]
    pub fn with_pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// The settings of a producer's default transport: the defaults, with `producer`'s
    /// `connect_timeout` and `request_timeout`, and room in the pool for all of its
    /// requests in flight (what `TokioRuntime` and `SmolRuntime` make by default).
    pub fn for_producer(producer: &ProducerConfig) -> Self {
        Self::default()
            .with_connect_timeout(producer.connect_timeout)
            .with_request_timeout(producer.request_timeout)
            .with_max_idle_per_host(Self::DEFAULT_MAX_IDLE_PER_HOST.max(producer.max_in_flight))
    }

    /// Set [`TransportConfig::max_idle_per_host`].
    #[must_use]
    pub fn with_max_idle_per_host(mut self, max: usize) -> Self {
        self.max_idle_per_host = max;
        self
    }

    /// Set [`TransportConfig::max_response_body`].
    #[must_use]
    pub fn with_max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Use a custom rustls client configuration (client certificates, a pinned
    /// verifier, …). Certificate verification is whatever that configuration does.
    #[must_use]
    pub fn with_tls_config(mut self, config: Arc<ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Trust exactly `roots` (e.g. a private CA) instead of the Mozilla roots, with the
    /// `ring` provider and rustls' safe default protocol versions.
    #[must_use]
    pub fn with_root_certificates(self, roots: RootCertStore) -> Self {
        self.with_tls_config(Arc::new(client_config_with_roots(roots)))
    }

    /// The TLS configuration in effect: [`TransportConfig::tls`], or the Mozilla roots
    /// with the `ring` provider.
    pub fn tls_or_default(&self) -> Arc<ClientConfig> {
        self.tls.clone().unwrap_or_else(|| {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            Arc::new(client_config_with_roots(roots))
        })
    }
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            pool_idle_timeout: Self::DEFAULT_POOL_IDLE_TIMEOUT,
            max_idle_per_host: Self::DEFAULT_MAX_IDLE_PER_HOST,
            max_response_body: Self::DEFAULT_MAX_RESPONSE_BODY,
            tls: None,
        }
    }
}

impl fmt::Debug for TransportConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportConfig")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("max_idle_per_host", &self.max_idle_per_host)
            .field("max_response_body", &self.max_response_body)
            .field(
                "tls",
                &if self.tls.is_some() {
                    "custom"
                } else {
                    "webpki-roots"
                },
            )
            .finish()
    }
}

/// A rustls client configuration with the `ring` provider, explicitly: relying on the
/// process-wide default provider would panic if another crate in the build enabled a
/// second one.
fn client_config_with_roots(roots: RootCertStore) -> ClientConfig {
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports rustls' default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_producer_s_transport_takes_its_timeouts_and_pools_every_request() {
        let producer = ProducerConfig::new("x.com")
            .with_connect_timeout(Duration::from_millis(1500))
            .with_request_timeout(Duration::from_secs(7));
        let config = TransportConfig::for_producer(&producer);
        assert_eq!(config.connect_timeout, Duration::from_millis(1500));
        assert_eq!(config.request_timeout, Duration::from_secs(7));
        // 50 in flight by default: the default pool (64) already holds them.
        assert_eq!(config.max_idle_per_host, 64);
        assert_eq!(
            config.pool_idle_timeout,
            TransportConfig::DEFAULT_POOL_IDLE_TIMEOUT
        );
        let big = TransportConfig::for_producer(&producer.with_max_in_flight(500));
        assert_eq!(big.max_idle_per_host, 500);
    }

    #[test]
    fn default_tls_trusts_the_mozilla_roots_and_custom_tls_is_kept() {
        let config = TransportConfig::default();
        assert!(config.tls.is_none());
        assert!(format!("{config:?}").contains("webpki-roots"));
        let custom = Arc::new(client_config_with_roots(RootCertStore::empty()));
        let config = config.with_tls_config(custom.clone());
        assert!(Arc::ptr_eq(&config.tls_or_default(), &custom));
        assert!(format!("{config:?}").contains("custom"));
    }
}
