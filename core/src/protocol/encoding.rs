//! The text encodings of requests: percent-encoding of query strings and paths, form
//! decoding of queries, and hex. Shared by PutLogs paths (`request`) and the signature
//! canonicalisation (`sign`).

// Query parsing and `%20` encoding are the signers' (feature `signing`).
#![cfg_attr(not(feature = "signing"), allow(dead_code))]

use alloc::string::String;
use alloc::vec::Vec;

/// A path and query split at the first `?` (the query is empty when there is none).
pub(crate) fn split_path_query(path_and_query: &str) -> (&str, &str) {
    path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""))
}

/// Query parameters, form-decoded (`+` is a space, `%XX` a byte; malformed escapes are
/// kept literally), sorted by name, stable for repeated names. Empty segments are skipped.
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = query
        .split('&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| {
            let (k, v) = seg.split_once('=').unwrap_or((seg, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect();
    params.sort_by(|a, b| a.0.cmp(&b.0));
    params
}

/// Decode `%XX` escapes (and `+` as a space if `plus_is_space`); malformed escapes are
/// kept literally, invalid UTF-8 is replaced with U+FFFD.
pub(crate) fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => match (
                b.get(i + 1).and_then(hex_val),
                b.get(i + 2).and_then(hex_val),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// How [`percent_encode_into`] writes a space.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Space {
    /// `+` (HTML form encoding, Go's `url.QueryEscape`).
    Plus,
    /// `%20` (v4 canonical query).
    Percent20,
}

/// Percent-encode `s` into `out`: `A-Za-z0-9-_.~` as is, space per `space`, every other
/// byte as `%XX` (uppercase).
pub(crate) fn percent_encode_into(out: &mut String, s: &str, space: Space) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' if space == Space::Plus => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
                out.push(char::from(HEX_UPPER[usize::from(b & 0xf)]));
            }
        }
    }
}

fn hex_val(c: &u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// The letter case [`hex`] writes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HexCase {
    /// `0-9A-F` (`Content-MD5`).
    Upper,
    /// `0-9a-f` (v4 digests and signatures).
    Lower,
}

/// `bytes` as hex digits, two per byte.
pub(crate) fn hex(bytes: &[u8], case: HexCase) -> String {
    let digits = match case {
        HexCase::Upper => HEX_UPPER,
        HexCase::Lower => HEX_LOWER,
    };
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(digits[usize::from(b >> 4)]));
        s.push(char::from(digits[usize::from(b & 0xf)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn percent_encoding_matches_go_query_escape() {
        let mut plus = String::new();
        percent_encode_into(&mut plus, "a b+c/d~e_f.g-h*中", Space::Plus);
        assert_eq!(plus, "a+b%2Bc%2Fd~e_f.g-h%2A%E4%B8%AD");
        let mut p20 = String::new();
        percent_encode_into(&mut p20, "a b+c", Space::Percent20);
        assert_eq!(p20, "a%20b%2Bc");
        assert_eq!(percent_decode(&plus, true), "a b+c/d~e_f.g-h*中");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("%", true), "%");
        assert_eq!(percent_decode("%4", true), "%4");
        assert_eq!(percent_decode("%ff", true), "\u{fffd}");
    }

    #[test]
    fn queries_are_decoded_and_sorted() {
        assert_eq!(split_path_query("/p?a=1?b"), ("/p", "a=1?b"));
        assert_eq!(split_path_query("/p"), ("/p", ""));
        assert_eq!(
            parse_query("b=2&&a&c=%zz&b=1&d=x+y"),
            vec![
                ("a".into(), String::new()),
                ("b".into(), "2".into()),
                ("b".into(), "1".into()),
                ("c".into(), "%zz".into()),
                ("d".into(), "x y".into()),
            ]
        );
    }

    #[test]
    fn hex_in_both_cases() {
        assert_eq!(hex(&[0x0a, 0xbc, 0xff], HexCase::Upper), "0ABCFF");
        assert_eq!(hex(&[0x0a, 0xbc, 0xff], HexCase::Lower), "0abcff");
        assert_eq!(hex(&[], HexCase::Lower), "");
    }
}
