//! AccessKey credentials, with secrets that never reach `Debug`, logs or errors.
//!
//! Static keys are built with [`Credentials::new`]; the standard Alibaba Cloud
//! environment variables are read with [`Credentials::from_env`] (with `std`) or, from any
//! other source of variables (a Workers `env`, a config map), with
//! [`Credentials::from_vars`]. Credentials that change over time come from a
//! [`CredentialsProvider`]: [`FnProvider`] wraps an async function (e.g. an STS client),
//! [`EcsRamRole`] asks the ECS instance metadata service. A producer takes either as a
//! [`CredentialsSource`]; when to ask a provider again is the engine's policy (the
//! `refresh` module: before expiry, after a rejection, with backoff after a failure).
//!
//! ```text
//!  credentials/
//!    mod.rs       Credentials, Secret, CredentialsSource, the environment variables
//!    provider.rs  CredentialsProvider, CredentialsError, FnProvider
//!    ecs.rs       EcsRamRole (the ECS instance metadata service)
//!    refresh.rs   the refresh schedule the engine follows (pure, explicit instants)
//! ```

mod ecs;
mod provider;
pub(crate) mod refresh;

pub use ecs::{EcsRamRole, EcsRoleError};
pub use provider::{CredentialsError, CredentialsProvider, FnProvider};
pub use refresh::FetchReason;

use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;

use crate::protocol::time::UnixTime;

/// The environment variable holding the AccessKey id.
const ACCESS_KEY_ID_VAR: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// The environment variable holding the AccessKey secret.
const ACCESS_KEY_SECRET_VAR: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// The environment variable holding an STS security token (optional).
const SECURITY_TOKEN_VAR: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";

/// Where a producer's credentials come from.
#[derive(Clone)]
pub enum CredentialsSource {
    /// Fixed credentials (an AccessKey pair, optionally with an STS token).
    Static(Credentials),
    /// A provider the producer asks at start, shortly before the credentials expire, and
    /// when the server rejects them (HTTP 401). One fetch runs at a time; a failed fetch is
    /// retried with the producer's backoff while the previous credentials stay in use.
    Provider(Arc<dyn CredentialsProvider>),
}

impl From<Credentials> for CredentialsSource {
    fn from(c: Credentials) -> Self {
        Self::Static(c)
    }
}

impl From<Arc<dyn CredentialsProvider>> for CredentialsSource {
    fn from(p: Arc<dyn CredentialsProvider>) -> Self {
        Self::Provider(p)
    }
}

/// Shows static credentials' `Debug` (which hides the secret), never a provider.
impl fmt::Debug for CredentialsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static(c) => f.debug_tuple("Static").field(c).finish(),
            Self::Provider(_) => f.write_str("Provider"),
        }
    }
}

/// A secret string. `Debug` and `Display` print `<redacted>`; read it with
/// [`Secret::expose`] only where it is used (signing).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `true` if the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// An AccessKey pair, optionally with an STS security token and its expiry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The AccessKey ID (not secret on its own; it appears in `Authorization`).
    pub access_key_id: String,
    /// The AccessKey secret.
    pub access_key_secret: Secret,
    /// The STS security token, sent as `x-acs-security-token` when present.
    pub security_token: Option<Secret>,
    /// When temporary (STS) credentials stop working; `None` for long-lived keys.
    pub expiration: Option<UnixTime>,
}

impl Credentials {
    /// What makes these credentials unusable for signing, if anything: an empty AccessKey
    /// ID or secret (every request would get 401, retried until the batch gives up), or an
    /// ID or security token with a character that cannot go in an HTTP header. Checked
    /// where static credentials are given to a producer (its build fails with
    /// [`BuildError::InvalidCredentials`](crate::BuildError::InvalidCredentials)) and where
    /// a provider returns them (the fetch counts as failed, is reported with the defect
    /// named and retried on the provider's schedule; nothing is signed with them), not by
    /// [`Credentials::new`], which stays a plain constructor of a value whose fields are
    /// public anyway.
    pub fn defect(&self) -> Option<&'static str> {
        let header_safe = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b));
        if self.access_key_id.is_empty() {
            Some("the AccessKey ID is empty")
        } else if self.access_key_secret.is_empty() {
            Some("the AccessKey secret is empty")
        } else if !header_safe(&self.access_key_id) {
            Some("the AccessKey ID has a character that is not printable ASCII")
        } else if self
            .security_token
            .as_ref()
            .is_some_and(|t| !header_safe(t.expose()))
        {
            Some("the security token has a character that is not printable ASCII")
        } else {
            None
        }
    }

    /// Long-lived AccessKey credentials.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<Secret>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
            expiration: None,
        }
    }

    /// Add an STS security token (builder style). An empty token is treated as none.
    pub fn with_security_token(mut self, token: impl Into<Secret>) -> Self {
        let token = token.into();
        self.security_token = (!token.is_empty()).then_some(token);
        self
    }

    /// Set the expiry of temporary credentials (builder style).
    pub fn with_expiration(mut self, at: UnixTime) -> Self {
        self.expiration = Some(at);
        self
    }

    /// Credentials from the standard Alibaba Cloud environment variables:
    /// `ALIBABA_CLOUD_ACCESS_KEY_ID` and `ALIBABA_CLOUD_ACCESS_KEY_SECRET` (required) and
    /// `ALIBABA_CLOUD_SECURITY_TOKEN` (optional; an STS token).
    ///
    /// ```no_run
    /// use sls_producer_core::credentials::Credentials;
    ///
    /// let credentials = Credentials::from_env()?;
    /// # Ok::<(), sls_producer_core::credentials::EnvCredentialsError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`EnvCredentialsError`] naming the first required variable that is unset or empty,
    /// or any variable that is not valid Unicode.
    #[cfg(feature = "std")]
    pub fn from_env() -> Result<Self, EnvCredentialsError> {
        Self::from_lookup(|variable| match std::env::var(variable) {
            Ok(value) => Ok(Some(value)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(EnvCredentialsError::NotUnicode { variable })
            }
        })
    }

    /// [`Credentials::from_env`] with the variables looked up by `lookup` (e.g. a
    /// Cloudflare Workers `env`, or a map in tests).
    ///
    /// ```
    /// use sls_producer_core::credentials::{Credentials, EnvCredentialsError};
    ///
    /// let vars = [("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-id")];
    /// let lookup = |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string());
    /// assert_eq!(
    ///     Credentials::from_vars(lookup).unwrap_err(),
    ///     EnvCredentialsError::Missing { variable: "ALIBABA_CLOUD_ACCESS_KEY_SECRET" }
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// [`EnvCredentialsError::Missing`] naming the first required variable that `lookup`
    /// does not have (or has empty).
    pub fn from_vars(
        mut lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<Self, EnvCredentialsError> {
        Self::from_lookup(|variable| Ok(lookup(variable)))
    }

    fn from_lookup(
        mut lookup: impl FnMut(&'static str) -> Result<Option<String>, EnvCredentialsError>,
    ) -> Result<Self, EnvCredentialsError> {
        let mut required = |variable| match lookup(variable)? {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(EnvCredentialsError::Missing { variable }),
        };
        let id = required(ACCESS_KEY_ID_VAR)?;
        let secret = required(ACCESS_KEY_SECRET_VAR)?;
        let token = lookup(SECURITY_TOKEN_VAR)?.unwrap_or_default();
        Ok(Self::new(id, secret).with_security_token(token))
    }

    /// `true` if these credentials expire at or before `now + margin`.
    pub fn expires_within(&self, now: UnixTime, margin: core::time::Duration) -> bool {
        self.expiration
            .is_some_and(|exp| exp <= now.saturating_add(margin))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Credentials could not be read from the environment. The message names the variable,
/// never its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvCredentialsError {
    /// A required variable is unset or empty. Set it, or pass the credentials explicitly.
    Missing {
        /// The variable's name.
        variable: &'static str,
    },
    /// A variable is set but is not valid Unicode. Fix its value.
    NotUnicode {
        /// The variable's name.
        variable: &'static str,
    },
}

impl fmt::Display for EnvCredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { variable } => write!(
                f,
                "environment variable {variable} is not set; set it or pass the credentials explicitly"
            ),
            Self::NotUnicode { variable } => {
                write!(f, "environment variable {variable} is not valid Unicode")
            }
        }
    }
}

impl core::error::Error for EnvCredentialsError {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use core::time::Duration;

    #[test]
    fn debug_redacts_secret_and_token() {
        let c = Credentials::new("LTAI-id", "very-secret").with_security_token("sts-token-xyz");
        let d = format!("{c:?}");
        assert!(d.contains("LTAI-id"));
        assert!(
            !d.contains("very-secret") && !d.contains("sts-token-xyz"),
            "{d}"
        );
        assert_eq!(format!("{}", c.access_key_secret), "<redacted>");
        assert_eq!(c.access_key_secret.expose(), "very-secret");
    }

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl FnMut(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| String::from(*v))
        }
    }

    #[test]
    fn from_vars_reads_key_secret_and_optional_token() {
        let c = Credentials::from_vars(vars(&[
            (ACCESS_KEY_ID_VAR, "id"),
            (ACCESS_KEY_SECRET_VAR, "secret"),
        ]))
        .unwrap();
        assert_eq!(c, Credentials::new("id", "secret"));
        let c = Credentials::from_vars(vars(&[
            (ACCESS_KEY_ID_VAR, "STS.id"),
            (ACCESS_KEY_SECRET_VAR, "secret"),
            (SECURITY_TOKEN_VAR, "token"),
        ]))
        .unwrap();
        assert_eq!(c.security_token.as_ref().map(Secret::expose), Some("token"));
        // An empty token is no token.
        let c = Credentials::from_vars(vars(&[
            (ACCESS_KEY_ID_VAR, "id"),
            (ACCESS_KEY_SECRET_VAR, "secret"),
            (SECURITY_TOKEN_VAR, ""),
        ]))
        .unwrap();
        assert!(c.security_token.is_none());
    }

    #[test]
    fn from_vars_names_the_first_missing_or_empty_variable_never_a_value() {
        let e = Credentials::from_vars(vars(&[])).unwrap_err();
        assert_eq!(
            e,
            EnvCredentialsError::Missing {
                variable: ACCESS_KEY_ID_VAR
            }
        );
        let e = Credentials::from_vars(vars(&[
            (ACCESS_KEY_ID_VAR, "id"),
            (ACCESS_KEY_SECRET_VAR, ""),
        ]))
        .unwrap_err();
        assert_eq!(
            e,
            EnvCredentialsError::Missing {
                variable: ACCESS_KEY_SECRET_VAR
            }
        );
        let shown = format!("{e}");
        assert!(shown.contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"), "{shown}");
        assert!(!shown.contains("id"), "{shown}");
    }

    #[test]
    fn empty_token_is_none_and_expiry_margin() {
        let c = Credentials::new("a", "b").with_security_token("");
        assert!(c.security_token.is_none());
        assert!(!c.expires_within(UnixTime::from_secs(100), Duration::from_secs(10)));
        let c = c.with_expiration(UnixTime::from_secs(105));
        assert!(c.expires_within(UnixTime::from_secs(100), Duration::from_secs(10)));
        assert!(!c.expires_within(UnixTime::from_secs(100), Duration::from_secs(1)));
    }
}
