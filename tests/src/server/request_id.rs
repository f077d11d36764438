//! `x-log-requestid` values.

use core::sync::atomic::{AtomicU64, Ordering};

/// Makes request ids shaped like SLS's: 24 upper-case hex digits, the first 8 being the
/// Unix time in seconds, the rest unique per server.
#[derive(Debug)]
pub(crate) struct RequestIds {
    seed: u64,
    next: AtomicU64,
}

impl RequestIds {
    /// `seed` makes ids of different servers differ.
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            seed,
            next: AtomicU64::new(0),
        }
    }

    /// A fresh id for a request answered at `unix_secs`.
    pub(crate) fn next(&self, unix_secs: u64) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!(
            "{:08X}{:016X}",
            unix_secs & 0xFFFF_FFFF,
            splitmix64(self.seed ^ n)
        )
    }
}

/// A bijective 64-bit mix: distinct counters give distinct ids.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_24_hex_digits_time_first_and_unique() {
        let ids = RequestIds::new(42);
        let a = ids.next(0x5AAB_34CF);
        let b = ids.next(0x5AAB_34CF);
        assert_eq!(a.len(), 24);
        assert!(a.starts_with("5AAB34CF"));
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
        );
        assert_ne!(a, b);
    }
}
