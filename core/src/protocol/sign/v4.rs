//! Signature v4: hex `HMAC-SHA256(key, string-to-sign)` over a canonical request, with a
//! key derived from the secret, the date and the region, sent as
//! `Authorization: SLS4-HMAC-SHA256 Credential=<id>/<date>/<region>/sls/aliyun_v4_request,Signature=<hex>`.
//!
//! ```text
//! canonical request  METHOD \n PATH \n QUERY \n HEADERS \n SIGNED-NAMES \n PAYLOAD-SHA256
//! string to sign     SLS4-HMAC-SHA256 \n DATE-TIME \n SCOPE \n hex SHA-256(canonical request)
//! signing key        HMAC-SHA256 chain from "aliyun_v4" + secret over DATE, REGION, sls,
//!                    aliyun_v4_request
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

use super::sha256_hex;
use crate::protocol::encoding::{
    HexCase, Space, hex, parse_query, percent_decode, percent_encode_into, split_path_query,
};

/// Algorithm name of signature v4 (first word of its `Authorization` header).
const ALGORITHM: &str = "SLS4-HMAC-SHA256";
const SERVICE: &str = "sls";
const TERMINATOR: &str = "aliyun_v4_request";
const KEY_PREFIX: &str = "aliyun_v4";

/// The v4 canonical request:
///
/// ```text
/// METHOD \n PATH \n QUERY \n (name:value \n)* \n SIGNED-NAMES \n PAYLOAD-SHA256
/// ```
///
/// * PATH: the percent-decoded path, percent-encoded again with `/` kept (unreserved
///   characters `A-Za-z0-9-_.~` as is, everything else `%XX`).
/// * QUERY: parameters (form-decoded), names and values trimmed and percent-encoded the
///   same way (space as `%20`), sorted by encoded name, `name=value`, or a bare `name` when
///   the value is empty, joined by `&`.
/// * Signed headers: lower-cased names `host`, `content-type`, `x-acs-*` and `x-log-*`
///   except `x-log-meta-*`, sorted; values trimmed.
/// * SIGNED-NAMES: the signed header names joined by `;`.
///
/// These rules reproduce all five signature v4 vectors of aliyun-log-go-sdk's
/// `signer_test.go` (which exercise spaces in names, `*`, `+`, `~` and `/` in paths and
/// parameters); the Python SDK agrees on everything PutLogs sends.
pub(super) fn canonical_request<N: AsRef<str>, V: AsRef<str>>(
    method: &str,
    path_and_query: &str,
    headers: &[(N, V)],
    payload_sha256_hex: &str,
) -> String {
    let (path, query) = split_path_query(path_and_query);
    let mut s = String::with_capacity(512);
    s.push_str(method);
    s.push('\n');
    for (i, segment) in percent_decode(path, false).split('/').enumerate() {
        if i > 0 {
            s.push('/');
        }
        percent_encode_into(&mut s, segment, Space::Percent20);
    }
    s.push('\n');
    let mut params: Vec<(String, String)> = parse_query(query)
        .into_iter()
        .map(|(k, v)| {
            let mut ek = String::with_capacity(k.len());
            percent_encode_into(&mut ek, k.trim(), Space::Percent20);
            let mut ev = String::with_capacity(v.len());
            percent_encode_into(&mut ev, v.trim(), Space::Percent20);
            (ek, ev)
        })
        .collect();
    params.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            s.push('&');
        }
        s.push_str(k);
        if !v.is_empty() {
            s.push('=');
            s.push_str(v);
        }
    }
    s.push('\n');

    let mut signed: Vec<(String, &str)> = headers
        .iter()
        .filter_map(|(n, v)| {
            let name = n.as_ref().to_ascii_lowercase();
            let is_signed = name == "host"
                || name == "content-type"
                || name.starts_with("x-acs-")
                || (name.starts_with("x-log-") && !name.starts_with("x-log-meta-"));
            is_signed.then(|| (name, v.as_ref().trim()))
        })
        .collect();
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in &signed {
        s.push_str(name);
        s.push(':');
        s.push_str(value);
        s.push('\n');
    }
    s.push('\n');
    for (i, (name, _)) in signed.iter().enumerate() {
        if i > 0 {
            s.push(';');
        }
        s.push_str(name);
    }
    s.push('\n');
    s.push_str(payload_sha256_hex);
    s
}

/// The v4 string to sign:
/// `SLS4-HMAC-SHA256\n<date_time>\n<YYYYMMDD>/<region>/sls/aliyun_v4_request\n<hex sha256(canonical_request)>`.
///
/// `date_time` is the `x-log-date` value (`YYYYMMDDTHHMMSSZ`); its first eight characters
/// are the scope date.
pub(super) fn string_to_sign(date_time: &str, region: &str, canonical_request: &str) -> String {
    let date = date_time.get(..8).unwrap_or(date_time);
    let mut s = String::with_capacity(160);
    s.push_str(ALGORITHM);
    s.push('\n');
    s.push_str(date_time);
    s.push('\n');
    push_scope(&mut s, date, region);
    s.push('\n');
    s.push_str(&sha256_hex(canonical_request.as_bytes()));
    s
}

/// The v4 signing key: HMAC-SHA256 chained from the key `"aliyun_v4" + secret` over the
/// date (`YYYYMMDD`), the region, `"sls"` and `"aliyun_v4_request"`.
pub(super) fn signing_key(secret: &str, date: &str, region: &str) -> [u8; 32] {
    let mut first = String::with_capacity(KEY_PREFIX.len() + secret.len());
    first.push_str(KEY_PREFIX);
    first.push_str(secret);
    let mut key: [u8; 32] = hmac_sha256(first.as_bytes())
        .chain_update(date)
        .finalize()
        .into_bytes()
        .into();
    for part in [region, SERVICE, TERMINATOR] {
        key = hmac_sha256(&key)
            .chain_update(part)
            .finalize()
            .into_bytes()
            .into();
    }
    key
}

/// The v4 signature: lower-case hex `HMAC-SHA256(signing_key(secret, date, region),
/// string_to_sign)`.
pub(super) fn sign(secret: &str, date: &str, region: &str, string_to_sign: &str) -> String {
    let key = signing_key(secret, date, region);
    hex(
        &hmac_sha256(&key)
            .chain_update(string_to_sign)
            .finalize()
            .into_bytes(),
        HexCase::Lower,
    )
}

/// `SLS4-HMAC-SHA256 Credential=<id>/<date>/<region>/sls/aliyun_v4_request,Signature=<hex>`.
pub(super) fn authorization(
    access_key_id: &str,
    date: &str,
    region: &str,
    signature: &str,
) -> String {
    let mut s = String::with_capacity(128);
    s.push_str(ALGORITHM);
    s.push_str(" Credential=");
    s.push_str(access_key_id);
    s.push('/');
    push_scope(&mut s, date, region);
    s.push_str(",Signature=");
    s.push_str(signature);
    s
}

fn push_scope(s: &mut String, date: &str, region: &str) {
    for (i, part) in [date, region, SERVICE, TERMINATOR].iter().enumerate() {
        if i > 0 {
            s.push('/');
        }
        s.push_str(part);
    }
}

fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"))
}
