//! Verifying a signed request: the body digest, the date, then the v1 or v4 signature.

use sls_producer_core::config::SignatureVersion;
use sls_producer_core::credentials::Secret;
use sls_producer_core::rt::UnixTime;

use super::authorization::Authorization;
use super::digest::{md5_hex, sha256_hex, unhex};
use super::{find_header, verify_v1, verify_v4};
use crate::server::date::{parse_http_date, parse_iso8601_basic};
use crate::server::depth::Depth;

/// Why a request fails verification. Nothing secret is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No `Authorization` header.
    MissingAuthorization,
    /// An `Authorization` header of neither form, or a signature that is not base64 (v1) or
    /// hex (v4).
    MalformedAuthorization,
    /// No `Date` nor `x-log-date` (v1), no `x-log-date` (v4).
    MissingDate,
    /// A date not in its format, or (v4) not on the credential scope's day.
    InvalidDate,
    /// A non-empty body without `Content-MD5` (v1), or any body without
    /// `x-log-content-sha256` (v4).
    MissingBodyDigest,
    /// The body does not match its digest header.
    BodyDigestMismatch,
    /// No secret is known for the AccessKey ID.
    UnknownAccessKey,
    /// The signature is wrong: another secret, or a signed part of the request changed.
    SignatureMismatch,
}

/// What a correctly signed request says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Verified {
    pub(crate) access_key_id: String,
    pub(crate) version: SignatureVersion,
    /// The v4 credential scope's region; `None` for v1.
    pub(crate) region: Option<String>,
    /// The signed request date (for the clock skew check).
    pub(crate) date: UnixTime,
    /// The `x-acs-security-token` sent (signed, so genuine).
    pub(crate) security_token: Option<Secret>,
}

/// Verify a received request. At [`Depth::Deep`] the body is compared with its digest
/// header; at [`Depth::Shallow`] the header must be there but is trusted (the signature
/// covers it). `secret_of` maps an AccessKey ID to its secret.
///
/// Order: `Authorization` present and well formed, body digest, date, AccessKey known,
/// signature.
pub(crate) fn verify(
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
    depth: Depth,
    secret_of: impl FnOnce(&str) -> Option<Secret>,
) -> Result<Verified, Refusal> {
    let header = |name| find_header(headers, name);
    let auth = header("authorization").ok_or(Refusal::MissingAuthorization)?;
    let auth = Authorization::parse(auth).ok_or(Refusal::MalformedAuthorization)?;
    check_body_digest(&auth, headers, body, depth)?;
    let security_token = header("x-acs-security-token").map(Secret::new);
    match auth {
        Authorization::V1 {
            access_key_id,
            signature,
        } => {
            let signature = verify_v1::decode_signature(signature)?;
            let date = header("date")
                .or_else(|| header("x-log-date"))
                .ok_or(Refusal::MissingDate)?;
            let date = parse_http_date(date).ok_or(Refusal::InvalidDate)?;
            let secret = secret_of(access_key_id).ok_or(Refusal::UnknownAccessKey)?;
            let to_sign = verify_v1::string_to_sign(method, path_and_query, headers);
            verify_v1::check(secret.expose(), &to_sign, &signature)?;
            Ok(Verified {
                access_key_id: access_key_id.to_owned(),
                version: SignatureVersion::V1,
                region: None,
                date,
                security_token,
            })
        }
        Authorization::V4 {
            access_key_id,
            date: scope_date,
            region,
            signature,
        } => {
            let signature = unhex(signature).ok_or(Refusal::MalformedAuthorization)?;
            let date_time = header("x-log-date").ok_or(Refusal::MissingDate)?;
            let date = parse_iso8601_basic(date_time).ok_or(Refusal::InvalidDate)?;
            if !date_time.starts_with(scope_date) || scope_date.len() != 8 {
                return Err(Refusal::InvalidDate);
            }
            let secret = secret_of(access_key_id).ok_or(Refusal::UnknownAccessKey)?;
            let canonical = verify_v4::canonical_request(method, path_and_query, headers);
            let to_sign = verify_v4::string_to_sign(date_time, scope_date, region, &canonical);
            verify_v4::check(secret.expose(), scope_date, region, &to_sign, &signature)?;
            Ok(Verified {
                access_key_id: access_key_id.to_owned(),
                version: SignatureVersion::V4,
                region: Some(region.to_owned()),
                date,
                security_token,
            })
        }
    }
}

/// v1: `Content-MD5` (uppercase hex MD5), required for a non-empty body; v4:
/// `x-log-content-sha256` (lower-case hex SHA-256), always required. Compared with the
/// body only at [`Depth::Deep`] (case-insensitively, spaces trimmed).
fn check_body_digest(
    auth: &Authorization<'_>,
    headers: &[(String, String)],
    body: &[u8],
    depth: Depth,
) -> Result<(), Refusal> {
    let (sent, required, digest): (_, _, fn(&[u8]) -> String) = match auth {
        Authorization::V1 { .. } => (
            find_header(headers, "content-md5"),
            !body.is_empty(),
            md5_hex,
        ),
        Authorization::V4 { .. } => (
            find_header(headers, "x-log-content-sha256"),
            true,
            sha256_hex,
        ),
    };
    match sent {
        None if required => Err(Refusal::MissingBodyDigest),
        Some(sent) if depth == Depth::Deep && !sent.trim().eq_ignore_ascii_case(&digest(body)) => {
            Err(Refusal::BodyDigestMismatch)
        }
        _ => Ok(()),
    }
}
