//! Decimal text of unsigned integers, without `core::fmt`.
//!
//! `to_string()` and `format!` on an integer go through the formatting machinery; header
//! values and host names built on every request need none of it, and on wasm leaving it
//! out keeps the integer `Display` impls out of the package.

use alloc::string::String;
use alloc::vec::Vec;

/// `n`'s decimal digits, most significant first, in a buffer and the index they start at.
fn digits(mut n: u64) -> ([u8; 20], usize) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return (buf, at);
        }
    }
}

/// Append `n` in decimal to `out`.
pub(crate) fn write_decimal(n: u64, out: &mut Vec<u8>) {
    let (buf, at) = digits(n);
    out.extend_from_slice(&buf[at..]);
}

/// Append `n` in decimal to `out`.
pub(crate) fn push_decimal(n: u64, out: &mut String) {
    let (buf, at) = digits(n);
    for &d in &buf[at..] {
        out.push(char::from(d));
    }
}

/// `n` in decimal.
pub(crate) fn decimal(n: u64) -> String {
    let mut out = String::new();
    push_decimal(n, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn matches_display() {
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            65_535,
            4_294_967_295,
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(decimal(n), n.to_string());
            let mut bytes = b"x".to_vec();
            write_decimal(n, &mut bytes);
            assert_eq!(bytes, [b"x", n.to_string().as_bytes()].concat());
        }
    }
}
