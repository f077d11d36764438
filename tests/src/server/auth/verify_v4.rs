//! Signature v4: hex `HMAC-SHA256(key, string-to-sign)`, where
//!
//! ```text
//! key            = HMAC-SHA256 chain from "aliyun_v4" + secret over
//!                  YYYYMMDD, region, "sls", "aliyun_v4_request"
//! string-to-sign = SLS4-HMAC-SHA256 \n x-log-date \n YYYYMMDD/region/sls/aliyun_v4_request
//!                  \n hex SHA-256(canonical request)
//! canonical      = METHOD \n PATH \n QUERY \n (name:value \n)* \n NAMES \n PAYLOAD-SHA256
//! ```
//!
//! * `PATH`: the path percent-decoded, then percent-encoded again but for its `/`.
//! * `QUERY`: the form-decoded parameters, names and values trimmed and percent-encoded
//!   (space as `%20`), sorted by encoded name, `name=value` or a bare `name` when the value
//!   is empty, joined by `&`.
//! * Signed headers: `host`, `content-type`, `x-acs-*` and `x-log-*` except `x-log-meta-*`
//!   (lower-cased names, trimmed values), sorted; `NAMES` is their names joined by `;`.
//! * `PAYLOAD-SHA256`: the `x-log-content-sha256` header.
//!
//! Percent-encoding keeps the unreserved characters `A-Z a-z 0-9 - _ . ~` and writes every
//! other byte as uppercase `%XX`.

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

use super::authorization::{V4_ALGORITHM, V4_SCOPE_TAIL};
use super::digest::{EMPTY_SHA256, sha256_hex};
use super::find_header;
use super::verify::Refusal;
use crate::server::query::{decode_component, parse_query};

/// The canonical request of a received request.
pub(crate) fn canonical_request(
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut s = String::with_capacity(512);
    s.push_str(method);
    s.push('\n');

    let segments: Vec<String> = decode_path(path).split('/').map(encode).collect();
    s.push_str(&segments.join("/"));
    s.push('\n');

    let mut params: Vec<(String, String)> = parse_query(query)
        .iter()
        .map(|(name, value)| (encode(name.trim()), encode(value.trim())))
        .collect();
    params.sort_by(|a, b| a.0.cmp(&b.0));
    let params: Vec<String> = params
        .into_iter()
        .map(|(name, value)| {
            if value.is_empty() {
                name
            } else {
                format!("{name}={value}")
            }
        })
        .collect();
    s.push_str(&params.join("&"));
    s.push('\n');

    let mut signed: Vec<(String, &str)> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim()))
        .filter(|(name, _)| {
            name == "host"
                || name == "content-type"
                || name.starts_with("x-acs-")
                || (name.starts_with("x-log-") && !name.starts_with("x-log-meta-"))
        })
        .collect();
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in &signed {
        s.push_str(&format!("{name}:{value}\n"));
    }
    s.push('\n');
    let names: Vec<&str> = signed.iter().map(|(name, _)| name.as_str()).collect();
    s.push_str(&names.join(";"));
    s.push('\n');
    s.push_str(find_header(headers, "x-log-content-sha256").map_or(EMPTY_SHA256, str::trim));
    s
}

/// The string a v4 signature signs.
pub(crate) fn string_to_sign(
    date_time: &str,
    scope_date: &str,
    region: &str,
    canonical: &str,
) -> String {
    let [service, terminator] = V4_SCOPE_TAIL;
    format!(
        "{V4_ALGORITHM}\n{date_time}\n{scope_date}/{region}/{service}/{terminator}\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

/// The signing key of `secret` for one day and region.
fn signing_key(secret: &str, scope_date: &str, region: &str) -> Vec<u8> {
    let [service, terminator] = V4_SCOPE_TAIL;
    let mut key = format!("aliyun_v4{secret}").into_bytes();
    for part in [scope_date, region, service, terminator] {
        key = hmac(&key)
            .chain_update(part)
            .finalize()
            .into_bytes()
            .to_vec();
    }
    key
}

fn hmac(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"))
}

/// Check that `signature` is the HMAC-SHA256 of `string_to_sign` with `secret`'s key for
/// `scope_date` and `region` (in constant time).
///
/// # Errors
///
/// [`Refusal::SignatureMismatch`] if it is not.
pub(crate) fn check(
    secret: &str,
    scope_date: &str,
    region: &str,
    string_to_sign: &str,
    signature: &[u8],
) -> Result<(), Refusal> {
    hmac(&signing_key(secret, scope_date, region))
        .chain_update(string_to_sign)
        .verify_slice(signature)
        .map_err(|_| Refusal::SignatureMismatch)
}

/// The hex signature of `string_to_sign` (for tests that sign by hand).
#[cfg(test)]
pub(crate) fn sign(secret: &str, scope_date: &str, region: &str, string_to_sign: &str) -> String {
    super::digest::hex(
        &hmac(&signing_key(secret, scope_date, region))
            .chain_update(string_to_sign)
            .finalize()
            .into_bytes(),
    )
}

/// Percent-decode a path (`+` stays a plus sign in a path).
fn decode_path(path: &str) -> String {
    // Form decoding differs only in reading `+` as a space: protect the pluses.
    decode_component(&path.replace('+', "%2B"))
}

/// Percent-encode everything but the unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
