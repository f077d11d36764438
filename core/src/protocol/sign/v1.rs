//! Signature v1: `base64(HMAC-SHA1(secret, string-to-sign))`, sent as
//! `Authorization: LOG <AccessKeyId>:<signature>`.
//!
//! ```text
//! VERB \n CONTENT-MD5 \n CONTENT-TYPE \n DATE \n CANONICAL-HEADERS CANONICAL-RESOURCE
//! ```
//!
//! * `CONTENT-MD5`, `CONTENT-TYPE`: the header values, empty when absent.
//! * `DATE`: the `date` header; when there is none, the `x-log-date` header. Browsers may not
//!   set `Date`, so in-browser signers put the RFC 1123 date in `x-log-date` instead
//!   ([`DateHeader::XLogDate`](super::DateHeader::XLogDate)).
//! * `CANONICAL-HEADERS`: every header whose lower-cased, trimmed name starts with `x-log-`
//!   or `x-acs-`, **except `x-log-date`**, as `name:value\n` (lower-case name, trimmed value),
//!   sorted by name. SDKs that send `x-log-date` (Python, the web STS plugin) add it after
//!   signing, so it is never part of the signed headers.
//! * `CANONICAL-RESOURCE`: the path, then, if there is a query, `?` and the parameters sorted
//!   by name as `name=value` with form-decoded names and values, joined by `&`.

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha1::Sha1;

use super::header;
use crate::protocol::encoding::{parse_query, split_path_query};

/// Value of `x-log-signaturemethod` for signature v1.
pub(super) const SIGNATURE_METHOD: &str = "hmac-sha1";

/// The v1 string to sign of a request (see the [module docs](self)).
///
/// `headers` is the full header list of the request; the relevant ones are picked out
/// (names compared ASCII case-insensitively).
pub(super) fn string_to_sign<N: AsRef<str>, V: AsRef<str>>(
    method: &str,
    path_and_query: &str,
    headers: &[(N, V)],
) -> String {
    let date = header(headers, "date").or_else(|| header(headers, "x-log-date"));
    let mut s = String::with_capacity(256);
    for part in [
        method,
        header(headers, "content-md5").unwrap_or(""),
        header(headers, "content-type").unwrap_or(""),
        date.unwrap_or(""),
    ] {
        s.push_str(part);
        s.push('\n');
    }
    s.push_str(&canonical_headers(headers));
    s.push_str(&canonical_resource(path_and_query));
    s
}

/// The v1 canonical headers: `name:value\n` for each `x-log-*` / `x-acs-*` header except
/// `x-log-date`, names lower-cased and trimmed, values trimmed, sorted by name (stable for
/// repeated names).
pub(super) fn canonical_headers<N: AsRef<str>, V: AsRef<str>>(headers: &[(N, V)]) -> String {
    let mut picked: Vec<(String, &str)> = headers
        .iter()
        .filter_map(|(n, v)| {
            let name = n.as_ref().trim().to_ascii_lowercase();
            let signed =
                (name.starts_with("x-log-") || name.starts_with("x-acs-")) && name != "x-log-date";
            signed.then(|| (name, v.as_ref().trim()))
        })
        .collect();
    picked.sort_by(|a, b| a.0.cmp(&b.0));
    let mut s = String::new();
    for (name, value) in picked {
        s.push_str(&name);
        s.push(':');
        s.push_str(value);
        s.push('\n');
    }
    s
}

/// The v1 canonical resource: the path, plus `?` and the query parameters sorted by name
/// (stable for repeated names) as `name=value` with form-decoded names and values, joined
/// by `&`. E.g. `/logstores/app/shards/route?key=f400…`.
pub(super) fn canonical_resource(path_and_query: &str) -> String {
    let (path, query) = split_path_query(path_and_query);
    let mut s = String::from(path);
    let params = parse_query(query);
    if !params.is_empty() {
        s.push('?');
        for (i, (k, v)) in params.iter().enumerate() {
            if i > 0 {
                s.push('&');
            }
            s.push_str(k);
            s.push('=');
            s.push_str(v);
        }
    }
    s
}

/// `base64(HMAC-SHA1(secret, string_to_sign))`.
pub(super) fn sign(secret: &str, string_to_sign: &str) -> String {
    BASE64.encode(
        hmac_sha1(secret.as_bytes())
            .chain_update(string_to_sign)
            .finalize()
            .into_bytes(),
    )
}

/// `LOG <access_key_id>:<signature>`.
pub(super) fn authorization(access_key_id: &str, signature: &str) -> String {
    let mut s = String::with_capacity(5 + access_key_id.len() + signature.len());
    s.push_str("LOG ");
    s.push_str(access_key_id);
    s.push(':');
    s.push_str(signature);
    s
}

fn hmac_sha1(key: &[u8]) -> Hmac<Sha1> {
    // HMAC accepts keys of any length.
    Hmac::<Sha1>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"))
}
