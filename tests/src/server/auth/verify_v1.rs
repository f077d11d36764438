//! Signature v1: `base64(HMAC-SHA1(secret, string-to-sign))` over
//!
//! ```text
//! VERB \n CONTENT-MD5 \n CONTENT-TYPE \n DATE \n CANONICAL-HEADERS CANONICAL-RESOURCE
//! ```
//!
//! * `CONTENT-MD5`, `CONTENT-TYPE`: the header values, empty when absent.
//! * `DATE`: the `Date` header, else `x-log-date` (browsers cannot set `Date`).
//! * `CANONICAL-HEADERS`: `name:value\n` for every header whose lower-cased name starts with
//!   `x-log-` or `x-acs-`, values trimmed, sorted by name. `x-log-date` is never among them:
//!   the Python SDK and the web STS plugin add it after signing.
//! * `CANONICAL-RESOURCE`: the path; with a query, `?` and the form-decoded parameters
//!   sorted by name, `name=value`, joined by `&`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha1::Sha1;

use super::find_header;
use super::verify::Refusal;
use crate::server::query::parse_query;

/// The string a v1 signature signs, rebuilt from the received request.
pub(crate) fn string_to_sign(
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
) -> String {
    let value = |name| find_header(headers, name).unwrap_or("");
    let date = find_header(headers, "date")
        .or_else(|| find_header(headers, "x-log-date"))
        .unwrap_or("");
    let mut s = format!(
        "{method}\n{}\n{}\n{date}\n",
        value("content-md5"),
        value("content-type")
    );

    let mut signed: Vec<(String, &str)> = headers
        .iter()
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim()))
        .filter(|(name, _)| {
            (name.starts_with("x-log-") || name.starts_with("x-acs-")) && name != "x-log-date"
        })
        .collect();
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in signed {
        s.push_str(&name);
        s.push(':');
        s.push_str(value);
        s.push('\n');
    }

    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    s.push_str(path);
    let mut params = parse_query(query);
    params.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (name, value)) in params.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(name);
        s.push('=');
        s.push_str(value);
    }
    s
}

/// The bytes of a base64 signature.
///
/// # Errors
///
/// [`Refusal::MalformedAuthorization`] if it is not base64.
pub(crate) fn decode_signature(signature: &str) -> Result<Vec<u8>, Refusal> {
    BASE64
        .decode(signature)
        .map_err(|_| Refusal::MalformedAuthorization)
}

/// Check that `signature` is the HMAC-SHA1 of `string_to_sign` with `secret` (in constant
/// time).
///
/// # Errors
///
/// [`Refusal::SignatureMismatch`] if it is not.
pub(crate) fn check(secret: &str, string_to_sign: &str, signature: &[u8]) -> Result<(), Refusal> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(signature)
        .map_err(|_| Refusal::SignatureMismatch)
}

/// The base64 signature of `string_to_sign` (for tests that sign by hand).
#[cfg(test)]
pub(crate) fn sign(secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(string_to_sign.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}
