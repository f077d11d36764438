//! Body digests as SLS sends them, and hex: `Content-MD5` is the uppercase hex MD5 of the
//! body as sent (not base64, unlike RFC 1864), `x-log-content-sha256` the lower-case hex
//! SHA-256.

use md5::{Digest as _, Md5};
use sha2::Sha256;

/// Lower-case hex SHA-256 of the empty body.
pub(crate) const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The uppercase hex MD5 of `body` (the `Content-MD5` value of signature v1).
pub(crate) fn md5_hex(body: &[u8]) -> String {
    hex(&Md5::digest(body)).to_ascii_uppercase()
}

/// The lower-case hex SHA-256 of `bytes` (the `x-log-content-sha256` value of
/// signature v4, and the hash in its string to sign).
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The bytes of a hex string (either case); `None` if it is not hex.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    // Digits only: `from_str_radix` alone would take a sign.
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_of_known_inputs() {
        // RFC 1321 and FIPS 180-2 test vectors.
        assert_eq!(md5_hex(b""), "D41D8CD98F00B204E9800998ECF8427E");
        assert_eq!(md5_hex(b"abc"), "900150983CD24FB0D6963F7D28E17F72");
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hex_round_trips_and_refuses_non_hex() {
        assert_eq!(hex(&[0x0a, 0xff, 0x00]), "0aff00");
        assert_eq!(unhex("0aFf00"), Some(vec![0x0a, 0xff, 0x00]));
        assert_eq!(unhex(""), Some(vec![]));
        for bad in ["0a1", "zz", "+a", "0x", "é0"] {
            assert_eq!(unhex(bad), None, "{bad:?}");
        }
    }
}
