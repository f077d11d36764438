//! Authentication: configured AccessKeys and STS credentials, signature v1 / v4 checks,
//! token expiry and request time skew.
//!
//! The signature checks are the server's own, written from the SLS signing rules
//! ([`verify_v1`], [`verify_v4`]), not the client's signer run backwards: a request the
//! client signs wrongly is refused here, and the Python SDK cross-check
//! (`tests/server_python.rs`) holds both to the official implementation.

mod authorization;
mod digest;
#[cfg(test)]
mod tests;
mod verify;
mod verify_v1;
mod verify_v4;

use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock};

use sls_producer_core::credentials::{Credentials, Secret};
use sls_producer_core::rt::UnixTime;

use self::authorization::Authorization;
use self::digest::md5_hex;
use self::verify::{Refusal, verify};
use super::config::AuthMode;
use super::depth::Depth;
use super::error::SlsError;
use super::received::AuthKind;

/// The `x-log-signaturemethod` of signature v1.
const SIGNATURE_METHOD_V1: &str = "hmac-sha1";

/// The AccessKeys and STS credentials the server accepts, by AccessKey id.
#[derive(Default)]
pub(crate) struct Keyring {
    keys: RwLock<BTreeMap<String, Credentials>>,
}

impl Keyring {
    pub(crate) fn insert(&self, c: Credentials) {
        self.keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(c.access_key_id.clone(), c);
    }

    fn get(&self, id: &str) -> Option<Credentials> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }
}

/// Who sent a request, once authenticated.
#[derive(Clone, Debug)]
pub(crate) struct Authenticated {
    pub(crate) kind: AuthKind,
    pub(crate) access_key_id: Option<String>,
    pub(crate) security_token: Option<Secret>,
}

/// What authentication looks at besides the request.
pub(crate) struct AuthContext<'a> {
    pub(crate) mode: AuthMode,
    pub(crate) keyring: &'a Keyring,
    pub(crate) now: UnixTime,
    pub(crate) max_skew: core::time::Duration,
    /// Every STS token is expired (fault injection).
    pub(crate) sts_expired: bool,
    /// Whether the body digest is compared with the body ([`Depth::Deep`]) or only
    /// required ([`Depth::Shallow`]).
    pub(crate) depth: Depth,
}

/// Authenticate a signed request the way SLS does, or say which SLS error it gets.
///
/// Order of checks: signature method (v1), then [`verify`] (body digest, date presence and
/// format, signature), then the STS token (must match the credential's, must not be
/// expired), then the request time skew. At [`Depth::Shallow`] the body digest header
/// must be there but is not compared with the body; the signature, which covers it, is
/// still verified.
pub(crate) fn authenticate(
    cx: &AuthContext<'_>,
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Authenticated, SlsError> {
    if cx.mode == AuthMode::AcceptAny {
        if cx.depth == Depth::Deep {
            check_md5_if_present(headers, body)?;
        }
        return Ok(Authenticated {
            kind: AuthKind::Unchecked,
            access_key_id: header(headers, "authorization")
                .and_then(Authorization::parse)
                .map(|a| a.access_key_id().to_owned()),
            security_token: header(headers, "x-acs-security-token").map(Secret::new),
        });
    }
    let authorization = header(headers, "authorization")
        .ok_or_else(|| SlsError::unauthorized("no Authorization header in the request"))?;
    let parsed = Authorization::parse(authorization)
        .ok_or_else(|| SlsError::unauthorized("the Authorization header is malformed"))?;
    if matches!(parsed, Authorization::V1 { .. }) {
        match header(headers, "x-log-signaturemethod") {
            None => return Err(SlsError::missing_signature_method()),
            Some(m) if m.trim() != SIGNATURE_METHOD_V1 => {
                return Err(SlsError::invalid_signature_method(m));
            }
            Some(_) => {}
        }
    }
    let is_v4 = matches!(parsed, Authorization::V4 { .. });
    let secret = |id: &str| cx.keyring.get(id).map(|c| c.access_key_secret);
    let verified =
        verify(method, path_and_query, headers, body, cx.depth, secret).map_err(|e| {
            match e {
                Refusal::MissingAuthorization | Refusal::MalformedAuthorization => {
                    SlsError::unauthorized("the Authorization header is malformed")
                }
                Refusal::MissingDate => SlsError::missing_date(),
                Refusal::InvalidDate => SlsError::invalid_date_format(request_date(headers, is_v4)),
                // v4 signs the payload hash: a body that does not match it is a signature failure.
                Refusal::MissingBodyDigest | Refusal::BodyDigestMismatch if is_v4 => {
                    SlsError::signature_not_match()
                }
                Refusal::MissingBodyDigest => SlsError::missing_content_md5(),
                Refusal::BodyDigestMismatch => SlsError::invalid_content_md5(
                    header(headers, "content-md5").unwrap_or(""),
                    &md5_hex(body),
                ),
                Refusal::UnknownAccessKey => SlsError::access_key_not_found(parsed.access_key_id()),
                Refusal::SignatureMismatch => SlsError::signature_not_match(),
            }
        })?;
    let creds = cx
        .keyring
        .get(&verified.access_key_id)
        .ok_or_else(|| SlsError::access_key_not_found(&verified.access_key_id))?;
    check_token(cx, &creds, verified.security_token.as_ref())?;
    check_skew(cx, verified.date, request_date(headers, is_v4))?;
    Ok(Authenticated {
        kind: AuthKind::Signed(verified.version),
        access_key_id: Some(verified.access_key_id),
        security_token: verified.security_token,
    })
}

/// STS credentials need their token, unexpired; plain AccessKeys must not send one.
fn check_token(
    cx: &AuthContext<'_>,
    creds: &Credentials,
    sent: Option<&Secret>,
) -> Result<(), SlsError> {
    match (&creds.security_token, sent) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(SlsError::unauthorized(
            "a security token was sent with an AccessKey that is not an STS credential",
        )),
        (Some(_), None) => Err(SlsError::unauthorized(
            "the AccessKey is an STS credential: x-acs-security-token is required",
        )),
        (Some(expected), Some(sent)) => {
            if expected.expose() != sent.expose() {
                return Err(SlsError::unauthorized("the security token is invalid"));
            }
            let expired = cx.sts_expired
                || creds
                    .expiration
                    .is_some_and(|at| at.as_nanos() <= cx.now.as_nanos());
            if expired {
                return Err(SlsError::security_token_expired());
            }
            Ok(())
        }
    }
}

fn check_skew(cx: &AuthContext<'_>, date: UnixTime, shown: &str) -> Result<(), SlsError> {
    let (a, b) = (date.as_secs(), cx.now.as_secs());
    if a.abs_diff(b) > cx.max_skew.as_secs() {
        return Err(SlsError::request_time_expired(shown, &cx.now.rfc1123()));
    }
    Ok(())
}

fn check_md5_if_present(headers: &[(String, String)], body: &[u8]) -> Result<(), SlsError> {
    if let Some(md5) = header(headers, "content-md5") {
        let actual = md5_hex(body);
        if !md5.trim().eq_ignore_ascii_case(&actual) {
            return Err(SlsError::invalid_content_md5(md5, &actual));
        }
    }
    Ok(())
}

/// The date header a request is judged by (for messages).
fn request_date(headers: &[(String, String)], v4: bool) -> &str {
    if v4 {
        return header(headers, "x-log-date").unwrap_or("");
    }
    header(headers, "date")
        .or_else(|| header(headers, "x-log-date"))
        .unwrap_or("")
}

/// The first value of header `name` (lower-case), in headers with lower-case names (as
/// the server receives them).
pub(crate) fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The first value of header `name` (lower-case), names compared ASCII case-insensitively
/// (the signature checks also take header lists written by hand).
fn find_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
