//! Credentials of an ECS instance's RAM role, from the instance metadata service.
//!
//! ```text
//!  GET http://100.100.100.200/latest/meta-data/ram/security-credentials/         ─► "my-role"
//!  GET http://100.100.100.200/latest/meta-data/ram/security-credentials/my-role
//!      ─► {"Code": "Success", "AccessKeyId": "STS.…", "AccessKeySecret": "…",
//!          "SecurityToken": "…", "Expiration": "2026-11-25T10:00:00Z", …}
//! ```
//!
//! The first request is made only when no role name was configured, and only once: the
//! name is kept. The producer asks for fresh credentials shortly before `Expiration` and
//! after the server rejects them, through the runtime's own [`HttpTransport`] (with its
//! connect and request timeouts), so this works on every native runtime.
//!
//! Only the plain (IMDSv1) form of the metadata service is spoken; instances that enforce
//! the token-hardened mode need a [`FnProvider`](super::FnProvider) around your own client.

// On `wasm32-unknown-unknown` transports are not `Send` (one thread, JS promises), so the
// shared state is deliberately a non-`Send` value in an `Arc` there.
#![cfg_attr(wasm_browser, allow(clippy::arc_with_non_send_sync))]

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString as _};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use async_trait::async_trait;

use super::Credentials;
use super::{CredentialsError, CredentialsProvider};
use crate::protocol::endpoint::Endpoint;
use crate::protocol::http::{Bytes, HttpRequest, HttpResponse, Method};
use crate::protocol::json;
use crate::protocol::time::{CivilDateTime, UnixTime};
use crate::rt::HttpTransport;
use crate::sync::Lock;

/// Where the ECS instance metadata service answers.
const ECS_METADATA_ENDPOINT: &str = "http://100.100.100.200";

/// The path under which the service lists the instance's RAM role and its credentials.
const ECS_CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";

/// A [`CredentialsProvider`] for the RAM role attached to the ECS instance the producer
/// runs on.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use sls_producer_core::credentials::CredentialsProvider;
/// # use sls_producer_core::rt::HttpTransport;
/// use sls_producer_core::credentials::EcsRamRole;
///
/// # fn demo(transport: Arc<dyn HttpTransport>) {
/// // The role is discovered from the metadata service; `.with_role("name")` skips that.
/// let provider: Arc<dyn CredentialsProvider> = Arc::new(EcsRamRole::new(transport));
/// # }
/// ```
#[derive(Clone)]
pub struct EcsRamRole {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Arc<dyn HttpTransport>,
    scheme: crate::protocol::http::Scheme,
    authority: String,
    /// The configured role, or the one discovered by the first fetch.
    role: Lock<Option<String>>,
}

impl EcsRamRole {
    /// Fetch the credentials of the instance's role through `transport`, discovering the
    /// role name on the first fetch.
    pub fn new(transport: Arc<dyn HttpTransport>) -> Self {
        Self::build(transport, None, ECS_METADATA_ENDPOINT)
            .expect("the default metadata endpoint is valid")
    }

    /// Use this role name instead of discovering it (one request less per fetch).
    ///
    /// # Errors
    ///
    /// [`EcsRoleError::InvalidRole`] if `role` is empty or is not a single path segment.
    pub fn with_role(self, role: impl Into<String>) -> Result<Self, EcsRoleError> {
        let role = role.into();
        if !valid_role(&role) {
            return Err(EcsRoleError::InvalidRole(role));
        }
        *self.inner.role.lock() = Some(role);
        Ok(self)
    }

    /// Ask the metadata service at `endpoint` (`http://host[:port]`) instead of
    /// `http://100.100.100.200`: for tests with a fake service, or a local proxy.
    ///
    /// # Errors
    ///
    /// [`EcsRoleError::InvalidEndpoint`] if `endpoint` is not `[scheme://]host[:port]`.
    pub fn with_endpoint(self, endpoint: &str) -> Result<Self, EcsRoleError> {
        let role = self.inner.role.lock().clone();
        Self::build(self.inner.transport.clone(), role, endpoint)
    }

    fn build(
        transport: Arc<dyn HttpTransport>,
        role: Option<String>,
        endpoint: &str,
    ) -> Result<Self, EcsRoleError> {
        let parsed = Endpoint::parse(endpoint)
            .map_err(|e| EcsRoleError::InvalidEndpoint(endpoint.into(), e))?;
        let host = parsed.host();
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        let authority = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                transport,
                scheme: parsed.scheme(),
                authority,
                role: Lock::new(role),
            }),
        })
    }

    /// The role name, once configured or discovered.
    pub fn role(&self) -> Option<String> {
        self.inner.role.lock().clone()
    }
}

impl fmt::Debug for EcsRamRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcsRamRole")
            .field("endpoint", &self.inner.authority)
            .field("role", &self.role())
            .finish_non_exhaustive()
    }
}

#[cfg_attr(not(wasm_browser), async_trait)]
#[cfg_attr(wasm_browser, async_trait(?Send))]
impl CredentialsProvider for EcsRamRole {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.inner.fetch().await
    }
}

impl Inner {
    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let known = self.role.lock().clone();
        let role = match known {
            Some(role) => role,
            None => {
                let role = self.discover_role().await?;
                *self.role.lock() = Some(role.clone());
                role
            }
        };
        let path = format!("{ECS_CREDENTIALS_PATH}{role}");
        let response = self.get(&path).await?;
        if response.status != 200 {
            return Err(CredentialsError::new(format!(
                "ECS metadata service answered HTTP {} for the credentials of role `{role}`",
                response.status
            )));
        }
        // Never quote the document in errors: it holds the secret and the token.
        parse_credentials(&response.body)
            .map_err(|e| CredentialsError::new(format!("role `{role}`: {e}")))
    }

    async fn discover_role(&self) -> Result<String, CredentialsError> {
        let response = self.get(ECS_CREDENTIALS_PATH).await?;
        if response.status != 200 {
            return Err(CredentialsError::new(format!(
                "ECS metadata service answered HTTP {} when asked for the instance's RAM role \
                 (is a role attached to the instance?)",
                response.status
            )));
        }
        let text = core::str::from_utf8(&response.body).unwrap_or("");
        let role = text.lines().map(str::trim).find(|l| !l.is_empty());
        match role {
            Some(role) if valid_role(role) => Ok(role.to_string()),
            Some(_) => Err(CredentialsError::new(
                "ECS metadata service listed a RAM role name that is not a single path segment",
            )),
            None => Err(CredentialsError::new(
                "no RAM role is attached to this ECS instance",
            )),
        }
    }

    async fn get(&self, path: &str) -> Result<HttpResponse, CredentialsError> {
        let request = HttpRequest {
            method: Method::Get,
            scheme: self.scheme,
            authority: self.authority.clone(),
            path_and_query: path.to_string(),
            headers: Vec::from([
                ("host".into(), self.authority.clone()),
                ("accept".into(), "application/json, text/plain".into()),
            ]),
            body: Bytes::new(),
        };
        self.transport.send(request).await.map_err(|e| {
            CredentialsError::new(format!(
                "ECS metadata service at {} unreachable: {e}",
                self.authority
            ))
        })
    }
}

/// Why an [`EcsRamRole`] could not be configured.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EcsRoleError {
    /// The role name is empty, `.` or `..`, or contains `/`, `?`, `#`, `%`, whitespace or
    /// control characters. Pass the role name exactly as the RAM console shows it.
    InvalidRole(String),
    /// The metadata endpoint is not `[scheme://]host[:port]`.
    InvalidEndpoint(String, crate::protocol::endpoint::EndpointError),
}

impl fmt::Display for EcsRoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRole(role) => {
                write!(f, "`{role}` is not a RAM role name (one path segment)")
            }
            Self::InvalidEndpoint(endpoint, e) => {
                write!(f, "metadata endpoint `{endpoint}`: {e}")
            }
        }
    }
}

impl core::error::Error for EcsRoleError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::InvalidRole(_) => None,
            Self::InvalidEndpoint(_, e) => Some(e),
        }
    }
}

fn valid_role(role: &str) -> bool {
    !matches!(role, "" | "." | "..")
        && role
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '/' | '?' | '#' | '%'))
}

/// Why a credentials document was refused. Never carries the document's values.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DocumentError {
    NotJson,
    Code(String),
    Missing(&'static str),
    BadExpiration,
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson => f.write_str("credentials document is not a JSON object"),
            Self::Code(code) => write!(f, "credentials document has Code `{code}`, not Success"),
            Self::Missing(field) => write!(f, "credentials document has no `{field}`"),
            Self::BadExpiration => {
                f.write_str("credentials document has an Expiration that is not RFC 3339 UTC")
            }
        }
    }
}

/// The credentials in a metadata-service document.
fn parse_credentials(body: &[u8]) -> Result<Credentials, DocumentError> {
    let members = json::string_members(body).map_err(|_| DocumentError::NotJson)?;
    let field = |name: &'static str| {
        members
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    if let Some(code) = field("Code").filter(|c| *c != "Success") {
        // A code is not secret; cap it anyway so a broken service cannot flood logs.
        return Err(DocumentError::Code(code.chars().take(64).collect()));
    }
    let id = field("AccessKeyId").ok_or(DocumentError::Missing("AccessKeyId"))?;
    let secret = field("AccessKeySecret").ok_or(DocumentError::Missing("AccessKeySecret"))?;
    let token = field("SecurityToken").ok_or(DocumentError::Missing("SecurityToken"))?;
    let expiration = field("Expiration").ok_or(DocumentError::Missing("Expiration"))?;
    let expiration = parse_rfc3339_utc(expiration).ok_or(DocumentError::BadExpiration)?;
    Ok(Credentials::new(id, secret)
        .with_security_token(token)
        .with_expiration(expiration))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (or `+00:00`) as a [`UnixTime`]; `None` for anything
/// else, including other offsets and dates before 1970.
fn parse_rfc3339_utc(s: &str) -> Option<UnixTime> {
    let s = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix('z'))
        .or_else(|| s.strip_suffix("+00:00"))?;
    let (main, fraction) = match s.split_once('.') {
        Some((m, f)) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            (m, f)
        }
        Some(_) => return None,
        None => (s, ""),
    };
    let b = main.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: core::ops::Range<usize>| -> Option<u32> {
        let part = main.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let civil = CivilDateTime {
        year: i64::from(num(0..4)?),
        month: u8::try_from(num(5..7)?).ok()?,
        day: u8::try_from(num(8..10)?).ok()?,
        hour: u8::try_from(num(11..13)?).ok()?,
        minute: u8::try_from(num(14..16)?).ok()?,
        second: u8::try_from(num(17..19)?).ok()?,
        weekday: 0,
    };
    if !(1..=12).contains(&civil.month)
        || !(1..=31).contains(&civil.day)
        || civil.hour > 23
        || civil.minute > 59
        || civil.second > 59
    {
        return None;
    }
    let secs = civil.to_unix_secs()?;
    // Reject days past the end of their month (2026-02-30 would otherwise roll over).
    let back = CivilDateTime::from_unix_secs(secs);
    if (back.year, back.month, back.day) != (civil.year, civil.month, civil.day) {
        return None;
    }
    let mut nanos: u64 = 0;
    for (i, digit) in fraction.bytes().enumerate() {
        nanos += u64::from(digit - b'0') * 10u64.pow(8 - i as u32);
    }
    Some(UnixTime::from_nanos(
        secs.checked_mul(1_000_000_000)?.checked_add(nanos)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    const DOC: &str = r#"{
        "AccessKeyId": "STS.NUgYrLnoC37mZZCNnAbez2tT",
        "AccessKeySecret": "very-secret",
        "Expiration": "2026-11-25T10:00:00Z",
        "SecurityToken": "token-value",
        "LastUpdated": "2026-11-25T04:00:00Z",
        "Code": "Success"
    }"#;

    #[test]
    fn reads_a_metadata_document() {
        let c = parse_credentials(DOC.as_bytes()).unwrap();
        assert_eq!(c.access_key_id, "STS.NUgYrLnoC37mZZCNnAbez2tT");
        assert_eq!(c.access_key_secret.expose(), "very-secret");
        assert_eq!(c.security_token.as_ref().unwrap().expose(), "token-value");
        // 2026-11-25T10:00:00Z
        assert_eq!(c.expiration, Some(UnixTime::from_secs(1_795_600_800)));
    }

    #[test]
    fn refusals_name_the_problem_but_never_the_values() {
        let failed = r#"{"Code": "Failure", "AccessKeySecret": "very-secret"}"#;
        let e = parse_credentials(failed.as_bytes()).unwrap_err();
        assert_eq!(e, DocumentError::Code("Failure".into()));
        let no_token = DOC.replace("\"SecurityToken\"", "\"Other\"");
        let e = parse_credentials(no_token.as_bytes()).unwrap_err();
        assert_eq!(e, DocumentError::Missing("SecurityToken"));
        let bad_time = DOC.replace("2026-11-25T10:00:00Z", "tomorrow");
        let e = parse_credentials(bad_time.as_bytes()).unwrap_err();
        assert_eq!(e, DocumentError::BadExpiration);
        assert_eq!(
            parse_credentials(b"<html>very-secret</html>").unwrap_err(),
            DocumentError::NotJson
        );
        for e in [
            DocumentError::NotJson,
            DocumentError::Code("X".into()),
            DocumentError::Missing("AccessKeyId"),
            DocumentError::BadExpiration,
        ] {
            assert!(!format!("{e}").contains("very-secret"));
        }
    }

    #[test]
    fn rfc3339_utc_forms() {
        let at = |s| parse_rfc3339_utc(s).map(UnixTime::as_nanos);
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(at("2026-11-25T10:00:00Z"), Some(1_795_600_800_000_000_000));
        assert_eq!(
            at("2026-11-25T10:00:00.25+00:00"),
            Some(1_795_600_800_250_000_000)
        );
        assert_eq!(at("2024-02-29T00:00:00Z"), Some(1_709_164_800_000_000_000));
        for bad in [
            "2026-02-29T00:00:00Z", // not a leap year
            "2026-11-25T10:00:00",  // no zone
            "2026-11-25T10:00:00+08:00",
            "2026-11-25T24:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-25T10:00:00.Z",
            "2026-11-25T10:00:00.1234567890Z",
            "1969-12-31T23:59:59Z",
            "2026-1-25T10:00:00Z",
            "+026-11-25T10:00:00Z",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    #[test]
    fn role_names_are_one_path_segment() {
        assert!(valid_role("sls-writer"));
        for bad in ["", ".", "..", "a/b", "a b", "..?", "x#y", "%2F", "a\n"] {
            assert!(!valid_role(bad), "{bad:?}");
        }
    }
}
