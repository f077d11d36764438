//! AccessKey credentials, with secrets that never reach `Debug`, logs or errors.

use alloc::string::String;
use core::fmt;

use crate::time::UnixTime;

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
