//! Request signing for SLS: signature v1 (HMAC-SHA1) and v4 (HMAC-SHA256), and body
//! digests.
//!
//! ```text
//!  once per batch:   BodyDigest::for_version(version, &body)   (MD5 for v1, SHA-256 for v4)
//!  per attempt:      unsigned HttpRequest ──sign_request(now)──► + date, digest, token,
//!                                                                 authorization
//! ```
//!
//! * **Signature v1** ([`SignatureVersion::V1`], the default of every SLS SDK):
//!   `base64(HMAC-SHA1(secret, string-to-sign))` over the method, `Content-MD5`,
//!   `Content-Type`, the date, the `x-log-*` / `x-acs-*` headers (never `x-log-date`) and
//!   the path with its sorted query, sent as `Authorization: LOG <AccessKeyId>:<signature>`.
//!   Browsers may not set `Date`, so in-browser signers put the date in `x-log-date`
//!   instead ([`DateHeader::XLogDate`]).
//! * **Signature v4** ([`SignatureVersion::V4`]): HMAC-SHA256 over a canonical request (the
//!   method, the encoded path and query, the headers `host`, `content-type`, `x-acs-*` and
//!   `x-log-*` but `x-log-meta-*`, and the body's SHA-256), with a key derived from the
//!   secret, the date and the region.
//!
//! The canonicalisation steps are private; `v1.rs` and `v4.rs` spell them out.

use alloc::string::String;
use core::fmt;

#[cfg(feature = "signing")]
use md5::{Digest as _, Md5};
#[cfg(feature = "signing")]
use sha2::Sha256;

#[cfg(feature = "signing")]
use crate::credentials::{Credentials, Secret};
#[cfg(feature = "signing")]
use crate::protocol::encoding::{HexCase, hex};
#[cfg(feature = "signing")]
use crate::protocol::http::{HeaderName, HttpRequest};
#[cfg(feature = "signing")]
use crate::protocol::time::UnixTime;

#[cfg(all(test, feature = "signing"))]
mod tests;
#[cfg(feature = "signing")]
mod v1;
#[cfg(feature = "signing")]
mod v4;
#[cfg(all(test, feature = "signing"))]
mod vectors;

/// Uppercase hex MD5 of `body`, the `Content-MD5` value SLS expects (not base64, unlike
/// RFC 1864).
#[cfg(feature = "signing")]
pub(crate) fn content_md5_hex(body: &[u8]) -> String {
    hex(&Md5::digest(body), HexCase::Upper)
}

/// Lower-case hex SHA-256 of `body`, the `x-log-content-sha256` value of signature v4.
#[cfg(feature = "signing")]
pub(crate) fn sha256_hex(body: &[u8]) -> String {
    hex(&Sha256::digest(body), HexCase::Lower)
}

/// Which signature scheme to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SignatureVersion {
    /// HMAC-SHA1 over a string built from the request (the default of every SLS SDK).
    #[default]
    V1,
    /// HMAC-SHA256 with a date- and region-scoped key. Needs a region.
    V4,
}

/// Where a v1 signer puts the request date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum DateHeader {
    /// `Date` where the producer's transport can send it, `x-log-date` where it cannot
    /// (`fetch`: browsers, Node, Workers). The default.
    #[default]
    Auto,
    /// The standard `Date` header (native clients).
    Date,
    /// The `x-log-date` header, for environments that forbid setting `Date` (browsers).
    /// SLS reads the date from there when `Date` is absent.
    XLogDate,
}

/// How requests are signed: scheme, region (v4) and where the v1 date goes.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SigningConfig {
    /// The signature scheme.
    pub version: SignatureVersion,
    /// The region, e.g. `cn-hangzhou`. Required by v4, unused by v1.
    pub region: Option<String>,
    /// Where the v1 date goes. v4 always uses `x-log-date`.
    pub date_header: DateHeader,
}

impl SigningConfig {
    /// Signature v1 with the `Date` header.
    pub fn v1() -> Self {
        Self::default()
    }

    /// Signature v4 for `region`.
    pub fn v4(region: impl Into<String>) -> Self {
        Self {
            version: SignatureVersion::V4,
            region: Some(region.into()),
            date_header: DateHeader::Date,
        }
    }

    /// Put the v1 date in `x-log-date` instead of `Date` (builder style).
    pub fn with_date_header(mut self, date_header: DateHeader) -> Self {
        self.date_header = date_header;
        self
    }

    /// Check the configuration once, up front: v4 needs a well-formed region.
    pub fn validate(&self) -> Result<(), SignError> {
        match self.version {
            SignatureVersion::V1 => Ok(()),
            SignatureVersion::V4 => v4_region(self.region.as_deref()).map(drop),
        }
    }

    /// The digest of `body` this configuration signs with (see [`BodyDigest`]).
    #[cfg(feature = "signing")]
    pub fn digest(&self, body: &[u8]) -> BodyDigest {
        BodyDigest::for_version(self.version, body)
    }
}

/// The digest of a request body that a signature covers: uppercase hex MD5 for v1
/// (`Content-MD5`), lower-case hex SHA-256 for v4 (`x-log-content-sha256`).
///
/// A batch's body is sent unchanged on every attempt, so its digest is computed once, when
/// the body is built, and handed to [`sign_request`] on each attempt.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BodyDigest {
    version: SignatureVersion,
    hex: String,
    body_len: usize,
}

impl BodyDigest {
    /// The digest of `body` for signature `version`.
    #[cfg(feature = "signing")]
    pub fn for_version(version: SignatureVersion, body: &[u8]) -> Self {
        let hex = match version {
            SignatureVersion::V1 => content_md5_hex(body),
            SignatureVersion::V4 => sha256_hex(body),
        };
        Self {
            version,
            hex,
            body_len: body.len(),
        }
    }

    /// The signature version this digest is for.
    pub fn version(&self) -> SignatureVersion {
        self.version
    }

    /// The digest as hex (uppercase MD5 for v1, lower-case SHA-256 for v4).
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// Length of the body the digest was computed over.
    pub fn body_len(&self) -> usize {
        self.body_len
    }
}

/// Why a request could not be signed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// Signature v4 needs a region (e.g. `cn-hangzhou`) and none was configured. Configure
    /// one, or use signature v1. Retrying cannot help.
    RegionRequired,
    /// The configured region is not a region name (only ASCII letters, digits, `-` and `_`
    /// are allowed). Fix the configuration.
    InvalidRegion,
    /// The body digest was computed for another signature version or another body. This is
    /// a bug in the caller: compute it with [`BodyDigest::for_version`] over the exact body
    /// that is sent.
    DigestMismatch,
    /// The AccessKey ID or STS token contains characters that cannot go in an HTTP header
    /// (control characters). Fix the credentials.
    InvalidCredentials,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RegionRequired => "signature v4 requires a region, and none is configured",
            Self::InvalidRegion => "the configured region is not a valid region name",
            Self::DigestMismatch => {
                "the body digest does not belong to this body or signature version"
            }
            Self::InvalidCredentials => {
                "the AccessKey ID or security token contains characters not allowed in a header"
            }
        })
    }
}

impl core::error::Error for SignError {}

/// Header names [`sign_request`] adds; any earlier values are replaced when re-signing.
#[cfg(feature = "signing")]
const PER_ATTEMPT_HEADERS: [&str; 7] = [
    "date",
    "x-log-date",
    "content-md5",
    "x-log-content-sha256",
    "x-log-signaturemethod",
    "x-acs-security-token",
    "authorization",
];

/// Sign `req` in place for one attempt at wall-clock time `now`.
///
/// Removes any headers a previous signing added, then adds:
///
/// * v1: `date` (or `x-log-date`, see [`DateHeader`]) in RFC 1123 form, `content-md5` when
///   the body is not empty, `x-log-signaturemethod: hmac-sha1`, `x-acs-security-token` with
///   STS credentials, and `authorization: LOG <id>:<signature>`;
/// * v4: `x-log-date` (`YYYYMMDDTHHMMSSZ`), `x-log-content-sha256`, `x-acs-security-token`
///   with STS credentials, and `authorization: SLS4-HMAC-SHA256 Credential=…,Signature=…`.
///
/// Every other header (`host`, `content-type`, `x-log-apiversion`, …) must already be on
/// the request: they are signed as found.
///
/// # Errors
///
/// [`SignError::RegionRequired`] / [`SignError::InvalidRegion`] for v4 without a usable
/// region, [`SignError::DigestMismatch`] if `digest` was computed for another signature
/// version or a body of another length (the digest is not recomputed, so a same-length
/// body mix-up is not detected), [`SignError::InvalidCredentials`] for credentials that
/// cannot be sent. On error `req` is left unchanged.
#[cfg(feature = "signing")]
pub fn sign_request(
    req: &mut HttpRequest,
    creds: &Credentials,
    config: &SigningConfig,
    now: UnixTime,
    digest: &BodyDigest,
) -> Result<(), SignError> {
    if digest.version != config.version || digest.body_len != req.body.len() {
        return Err(SignError::DigestMismatch);
    }
    let token = creds.security_token.as_ref().map(Secret::expose);
    if !header_safe(&creds.access_key_id) || !token.is_none_or(header_safe) {
        return Err(SignError::InvalidCredentials);
    }
    let region = match config.version {
        SignatureVersion::V1 => None,
        SignatureVersion::V4 => Some(v4_region(config.region.as_deref())?),
    };

    req.headers.retain(|(name, _)| {
        !PER_ATTEMPT_HEADERS
            .iter()
            .any(|h| name.eq_ignore_ascii_case(h))
    });
    let secret = creds.access_key_secret.expose();
    let push = |req: &mut HttpRequest, name: &'static str, value: String| {
        req.headers.push((HeaderName::Borrowed(name), value));
    };

    match region {
        None => {
            let date_name = match config.date_header {
                DateHeader::Auto | DateHeader::Date => "date",
                DateHeader::XLogDate => "x-log-date",
            };
            push(req, date_name, now.rfc1123());
            if !req.body.is_empty() {
                push(req, "content-md5", digest.hex.clone());
            }
            push(req, "x-log-signaturemethod", v1::SIGNATURE_METHOD.into());
            if let Some(token) = token {
                push(req, "x-acs-security-token", token.into());
            }
            let to_sign =
                v1::string_to_sign(req.method.as_str(), &req.path_and_query, &req.headers);
            let signature = v1::sign(secret, &to_sign);
            push(
                req,
                "authorization",
                v1::authorization(&creds.access_key_id, &signature),
            );
        }
        Some(region) => {
            let date_time = now.iso8601_basic();
            push(req, "x-log-date", date_time.clone());
            push(req, "x-log-content-sha256", digest.hex.clone());
            if let Some(token) = token {
                push(req, "x-acs-security-token", token.into());
            }
            let canonical = v4::canonical_request(
                req.method.as_str(),
                &req.path_and_query,
                &req.headers,
                &digest.hex,
            );
            let to_sign = v4::string_to_sign(&date_time, region, &canonical);
            // `get`, not an index that could panic: that would link the panic's message
            // formatting (char and range `Debug`, Unicode tables).
            let date = date_time.get(..8).unwrap_or(&date_time);
            let signature = v4::sign(secret, date, region, &to_sign);
            push(
                req,
                "authorization",
                v4::authorization(&creds.access_key_id, date, region, &signature),
            );
        }
    }
    Ok(())
}

fn v4_region(region: Option<&str>) -> Result<&str, SignError> {
    let region = region
        .filter(|r| !r.is_empty())
        .ok_or(SignError::RegionRequired)?;
    if region
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(region)
    } else {
        Err(SignError::InvalidRegion)
    }
}

#[cfg(feature = "signing")]
fn header_safe(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

/// The first value of header `name` in `headers` (names compared ASCII
/// case-insensitively, surrounding spaces ignored).
#[cfg(feature = "signing")]
fn header<'h, N: AsRef<str>, V: AsRef<str>>(headers: &'h [(N, V)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.as_ref().trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}
