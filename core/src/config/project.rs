//! [`ProjectConfig`]: the endpoint, credentials and signature settings of one project,
//! for a producer that serves several regions or accounts.
//!
//! Sends to a configured project go to its endpoint, signed with its settings and its
//! credentials; sends to every other project use the producer's. Everything else
//! (batching, retries, compression, tags, timeouts, the memory budget) is the producer's,
//! shared by all projects.

use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;

use super::ConfigError;
use crate::credentials::{CredentialsProvider, CredentialsSource};
use crate::protocol::endpoint::Endpoint;
use crate::protocol::sign::{SignatureVersion, SigningConfig};

/// Where one project's sends go and how they are signed: give it to
/// [`ProducerBuilder::with_project`](crate::ProducerBuilder::with_project).
///
/// ```
/// use sls_producer_core::config::{ProjectConfig, SignatureVersion};
/// use sls_producer_core::Credentials;
///
/// let shanghai = ProjectConfig::new("cn-shanghai.log.aliyuncs.com")
///     .with_credentials(Credentials::new("LTAI-other-account", "its-secret"))
///     .with_signature_version(SignatureVersion::V4);
/// assert!(shanghai.validate().is_ok()); // v4 takes `cn-shanghai` from the endpoint
/// assert!(ProjectConfig::new("http://10.0.0.1").with_signature_version(SignatureVersion::V4).validate().is_err());
/// ```
///
/// | Field | Default | Range |
/// |---|---|---|
/// | [`endpoint`](Self::endpoint) | required | `[scheme://]host[:port]`, as the producer's |
/// | [`credentials`](Self::credentials) | the producer's | static, environment, a provider (STS, ECS RAM role) |
/// | [`signature_version`](Self::signature_version) | the producer's | v1 / v4 (v4 needs a region) |
/// | [`region`](Self::region) | from this endpoint | a region name |
#[derive(Clone)]
#[non_exhaustive]
pub struct ProjectConfig {
    /// The project's SLS endpoint, e.g. `cn-shanghai.log.aliyuncs.com` (https) or
    /// `http://10.0.0.1:8080`; the same form as
    /// [`ProducerConfig::endpoint`](super::ProducerConfig::endpoint).
    pub endpoint: String,
    /// The project's credentials. `None` (the default): the producer's own. A provider
    /// given to several projects (the same `Arc`) is one source: one refresh schedule,
    /// one fetch at a time.
    pub credentials: Option<CredentialsSource>,
    /// The project's signature version. `None` (the default): the producer's
    /// [`signature_version`](super::ProducerConfig::signature_version). An endpoint that
    /// requires v4 (`-acdr-ut-` regions) gets v4 whatever is set.
    pub signature_version: Option<SignatureVersion>,
    /// The region signature v4 uses, e.g. `cn-shanghai`. `None` (the default): taken from a
    /// standard `{region}.log.aliyuncs.com` endpoint (never the producer's region, which
    /// belongs to its own endpoint).
    pub region: Option<String>,
}

impl ProjectConfig {
    /// Sends to the project go to `endpoint`, with the producer's credentials and
    /// signature version until set otherwise.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            credentials: None,
            signature_version: None,
            region: None,
        }
    }

    /// Sign the project's requests with these credentials: a
    /// [`Credentials`](crate::Credentials) value (static keys, `Credentials::from_env()?`)
    /// or a [`CredentialsSource`].
    #[must_use]
    pub fn with_credentials(mut self, credentials: impl Into<CredentialsSource>) -> Self {
        self.credentials = Some(credentials.into());
        self
    }

    /// Sign the project's requests with credentials from `provider` (an STS callback in a
    /// [`FnProvider`](crate::credentials::FnProvider), an
    /// [`EcsRamRole`](crate::credentials::EcsRamRole)), asked at start, before they
    /// expire and when the server rejects them; one fetch at a time.
    #[must_use]
    pub fn with_credentials_provider(self, provider: impl CredentialsProvider + 'static) -> Self {
        let provider: Arc<dyn CredentialsProvider> = Arc::new(provider);
        self.with_credentials(provider)
    }

    /// Set [`signature_version`](Self::signature_version).
    #[must_use]
    pub fn with_signature_version(mut self, version: SignatureVersion) -> Self {
        self.signature_version = Some(version);
        self
    }

    /// Set [`region`](Self::region).
    #[must_use]
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Check every field, as [`ProducerConfig::validate`](super::ProducerConfig::validate)
    /// does the producer's: the endpoint parses, a region (if set) is a region name, and
    /// v4 (if set, or required by the endpoint) has a region. The first problem is
    /// returned, naming the field. The producer's builder names the project too
    /// ([`ConfigError::Project`]); with the producer's signature version inherited it also
    /// checks that v4 has a region then.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.signing(self.signature_version.unwrap_or_default())
            .map(drop)
    }

    /// How the project's requests are signed, with `inherited` (the producer's configured
    /// version) where the project sets none.
    pub(crate) fn signing(
        &self,
        inherited: SignatureVersion,
    ) -> Result<SigningConfig, ConfigError> {
        let endpoint = self.parsed_endpoint()?;
        let version = if endpoint.requires_v4() {
            SignatureVersion::V4
        } else {
            self.signature_version.unwrap_or(inherited)
        };
        let region = self
            .region
            .clone()
            .or_else(|| endpoint.region_hint().map(String::from));
        if let Some(region) = region.as_deref() {
            let valid = !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid {
                return Err(ConfigError::InvalidText {
                    field: "region",
                    allowed: "a region name: ASCII letters, digits, `-` and `_`",
                });
            }
        }
        if version == SignatureVersion::V4 && region.is_none() {
            return Err(ConfigError::RegionRequired);
        }
        Ok(SigningConfig {
            version,
            region,
            ..SigningConfig::default()
        })
    }

    /// The parsed endpoint.
    pub(crate) fn parsed_endpoint(&self) -> Result<Endpoint, ConfigError> {
        Endpoint::parse(&self.endpoint).map_err(|reason| ConfigError::InvalidEndpoint {
            endpoint: self.endpoint.clone(),
            reason,
        })
    }
}

/// Shows the endpoint, the signature settings and the credentials' `Debug` (which hides
/// secrets, and shows a provider only as `Provider`).
impl fmt::Debug for ProjectConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProjectConfig")
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
            .field("signature_version", &self.signature_version)
            .field("region", &self.region)
            .finish()
    }
}
