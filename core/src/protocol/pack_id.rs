//! Pack ids: the `__pack_id__` LogGroup tag SLS uses for context browsing.
//!
//! Format: `PREFIX-COUNTER`, with a 16-character uppercase hex prefix per
//! (producer, project, logstore) and an uppercase hex counter without padding that starts
//! at `0` and counts batches of that logstore in creation order (`…-9`, `…-A`, `…-F`,
//! `…-10`). A batch keeps its pack id across retries.

use alloc::string::String;
use core::fmt::{self, Write as _};

use crate::protocol::time::UnixTime;

/// The tag key SLS expects.
pub const PACK_ID_KEY: &str = "__pack_id__";

/// A 16-character uppercase hex pack-id prefix.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PackIdPrefix([u8; 16]);

impl PackIdPrefix {
    /// Derive a prefix: 64 bits in 16 hex digits (uppercase), a hash of the producer's
    /// seed, the wall-clock time the generator was created, a per-producer sequence number
    /// and the destination. Distinct logstores of one producer get distinct prefixes;
    /// distinct producers (seeds/times) get distinct prefixes with overwhelming likelihood.
    ///
    /// The hash is FNV-1a over those fields, finished by a 64-bit mixer so that every input
    /// bit moves every output bit: an identifier, not a digest, so MD5 (and its code in
    /// the wasm package without signing) is not needed for it.
    pub fn derive(
        seed: u64,
        created: UnixTime,
        sequence: u64,
        project: &str,
        logstore: &str,
    ) -> Self {
        let h = [
            &seed.to_le_bytes()[..],
            &created.as_nanos().to_le_bytes(),
            &sequence.to_le_bytes(),
            project.as_bytes(),
            b"|",
            logstore.as_bytes(),
        ]
        .into_iter()
        .flatten()
        .fold(FNV_OFFSET, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
        });
        let mixed = mix64(h);
        let mut out = [0u8; 16];
        for (i, digit) in out.iter_mut().enumerate() {
            *digit = HEX_UPPER[((mixed >> (60 - 4 * i)) & 0xf) as usize];
        }
        Self(out)
    }

    /// The prefix as text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for PackIdPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PackIdPrefix({})", self.as_str())
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The 64-bit finaliser of MurmurHash3 (`fmix64`): a bijection that spreads every input
/// bit over the whole output.
const fn mix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// One pack id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct PackId {
    prefix: PackIdPrefix,
    counter: u64,
}

impl PackId {
    /// The prefix.
    pub fn prefix(&self) -> PackIdPrefix {
        self.prefix
    }

    /// The batch counter.
    pub fn counter(&self) -> u64 {
        self.counter
    }

    /// Write `PREFIX-COUNTER` into `out`.
    pub fn write_to(&self, out: &mut String) {
        out.push_str(self.prefix.as_str());
        out.push('-');
        let _ = write!(out, "{:X}", self.counter);
    }
}

impl fmt::Display for PackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:X}", self.prefix.as_str(), self.counter)
    }
}

/// Generates the pack ids of one (project, logstore).
#[derive(Clone, Debug)]
pub struct PackIdGenerator {
    prefix: PackIdPrefix,
    next: u64,
}

impl PackIdGenerator {
    /// A generator whose first id is `PREFIX-0`.
    pub fn new(prefix: PackIdPrefix) -> Self {
        Self { prefix, next: 0 }
    }

    /// The next id (the counter wraps after `u64::MAX` batches).
    pub fn next_id(&mut self) -> PackId {
        let id = PackId {
            prefix: self.prefix,
            counter: self.next,
        };
        self.next = self.next.wrapping_add(1);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    #[test]
    fn format_is_16_upper_hex_dash_upper_hex_counter_from_zero() {
        let p = PackIdPrefix::derive(1, UnixTime::from_secs(1_700_000_000), 1, "proj", "ls");
        assert_eq!(p.as_str().len(), 16);
        assert!(
            p.as_str()
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
        );
        let mut g = PackIdGenerator::new(p);
        let ids: Vec<String> = (0..17).map(|_| g.next_id().to_string()).collect();
        let tail: Vec<&str> = ids.iter().map(|s| s.split_once('-').unwrap().1).collect();
        assert_eq!(
            tail,
            [
                "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F",
                "10"
            ]
        );
        assert!(ids.iter().all(|s| s.starts_with(p.as_str())));
        let mut s = String::new();
        PackIdGenerator::new(p).next_id().write_to(&mut s);
        assert_eq!(s, ids[0]);
    }

    #[test]
    fn prefixes_differ_per_logstore_and_are_deterministic() {
        let t = UnixTime::from_secs(1_700_000_000);
        let a = PackIdPrefix::derive(9, t, 1, "proj", "a");
        let b = PackIdPrefix::derive(9, t, 2, "proj", "b");
        assert_ne!(a, b);
        assert_eq!(a, PackIdPrefix::derive(9, t, 1, "proj", "a"));
        assert_ne!(a, PackIdPrefix::derive(10, t, 1, "proj", "a"));
        assert_ne!(a, PackIdPrefix::derive(9, t, 1, "proj", "b"));
        assert_ne!(a, PackIdPrefix::derive(9, t, 1, "proja", ""));
        assert_eq!(PACK_ID_KEY, "__pack_id__");
    }

    #[test]
    fn prefixes_of_neighbouring_inputs_are_distinct_and_spread() {
        let t = UnixTime::from_secs(1_700_000_000);
        let mut seen = alloc::collections::BTreeSet::new();
        let mut first_digits = alloc::collections::BTreeSet::new();
        for sequence in 0..4096 {
            let p = PackIdPrefix::derive(7, t, sequence, "proj", "store");
            first_digits.insert(p.as_str().as_bytes()[0]);
            assert!(
                seen.insert(p.as_str().to_string()),
                "sequence {sequence} repeats a prefix"
            );
        }
        // Consecutive inputs land all over the range, not in a corner of it.
        assert_eq!(first_digits.len(), 16);
    }
}
