//! Shard-hash bucketing ("adjust shard hash").
//!
//! A hashed send names a shard key; SLS routes a request with `?key=<32 hex>` to the shard
//! whose `[begin, end)` range holds the key. Collapsing arbitrary keys onto a few buckets
//! lets logs with different keys share a batch: bucketing keeps the top
//! `floor(log2(buckets))` bits of the key's MD5 and zeroes the rest, exactly like the Go
//! producer's `AdjustHash`.

use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;

use md5::{Digest, Md5};

/// Where a route's logs go among a logstore's shards: the `key` of a hashed PutLogs
/// request, which SLS routes to the shard whose range holds it. Give it to a route once
/// with [`Route::with_shard_key`](crate::Route::with_shard_key); every send on that route
/// then goes to the same shard.
///
/// | Constructor | Go producer |
/// |---|---|
/// | [`ShardKey::from_hash`] | `HashSend*` with `AdjustShargHash = true` (the default) and 64 `Buckets` |
/// | [`ShardKey::bucketed`] | the same with another bucket count |
/// | [`ShardKey::exact`] | `AdjustShargHash = false`: the hash sent verbatim |
///
/// Bucketing keeps the top `log2(buckets)` bits of the hash's MD5, so sends with different
/// hashes can share a batch (and a request).
///
/// ```
/// use sls_producer_core::{Route, ShardKey};
///
/// let route = Route::new("my-project", "my-logstore")?
///     .with_shard_key(ShardKey::from_hash("user-42"));
/// assert_eq!(route.shard_key(), Some("74000000000000000000000000000000"));
/// # Ok::<(), sls_producer_core::InvalidName>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShardKey(Arc<str>);

impl ShardKey {
    /// `hash` bucketed onto 64 keys, as the Go producer does by default.
    pub fn from_hash(hash: &str) -> Self {
        Self::bucketed(hash, Buckets::DEFAULT)
    }

    /// `hash` bucketed onto `buckets` keys.
    pub fn bucketed(hash: &str, buckets: Buckets) -> Self {
        let key = adjust_hash(hash.as_bytes(), buckets.get());
        Self(Arc::from(core::str::from_utf8(&key).unwrap_or_default()))
    }

    /// `key` sent as it is (the Go producer's `AdjustShargHash = false`). SLS expects 32
    /// hex digits inside a shard's range. An empty key routes nowhere: the server picks a
    /// shard, as for a route without a key.
    pub fn exact(key: &str) -> Self {
        Self(Arc::from(key))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_shared(self) -> Arc<str> {
        self.0
    }
}

impl From<ShardKey> for String {
    fn from(key: ShardKey) -> Self {
        Self::from(key.as_str())
    }
}

impl fmt::Display for ShardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ShardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShardKey({})", self.as_str())
    }
}

/// A validated bucket count: a power of two in `[1, 256]` (the documented contract of
/// the Go and Java producers, which the Go code never enforced).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Buckets(u16);

impl Buckets {
    /// The default, 64 buckets.
    pub const DEFAULT: Self = Self(64);

    /// `Some` if `n` is a power of two in `[1, 256]`.
    pub const fn new(n: u32) -> Option<Self> {
        if n >= 1 && n <= 256 && n.is_power_of_two() {
            Some(Self(n as u16))
        } else {
            None
        }
    }

    /// The bucket count.
    pub const fn get(self) -> u32 {
        self.0 as u32
    }
}

impl Default for Buckets {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Keep the top `floor(log2(buckets))` bits of `md5(key)` and zero the rest, as 32
/// lowercase hex characters.
///
/// Any bucket count works here, as in Go: 100 behaves like 64, 1000 like 512, and `0`
/// gives 32 zeros. [`ShardKey::bucketed`] only takes [`Buckets`] values.
pub(crate) fn adjust_hash(key: &[u8], buckets: u32) -> [u8; 32] {
    let digest = Md5::digest(key);
    let bits = if buckets == 0 { 0 } else { buckets.ilog2() };
    let mut value = u128::from_be_bytes(digest.into());
    value = match bits {
        0 => 0,
        b => value & (u128::MAX << (128 - b)),
    };
    let mut out = [b'0'; 32];
    for (i, o) in out.iter_mut().enumerate() {
        let nibble = ((value >> (124 - 4 * i)) & 0xf) as u8;
        *o = b"0123456789abcdef"[usize::from(nibble)];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;

    fn prefix4(key: &str, buckets: u32) -> String {
        let k = adjust_hash(key.as_bytes(), buckets);
        let k = core::str::from_utf8(&k).unwrap();
        assert_eq!(&k[4..], "0000000000000000000000000000");
        String::from(&k[..4])
    }

    #[test]
    fn all_36_cells_of_the_go_vector_table() {
        let buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];
        let table: [(&str, [&str; 9]); 4] = [
            (
                "127.0.0.1",
                [
                    "0000", "8000", "c000", "e000", "f000", "f000", "f400", "f400", "f500",
                ],
            ),
            (
                "192.168.0.2",
                [
                    "0000", "0000", "4000", "6000", "6000", "6800", "6c00", "6e00", "6f00",
                ],
            ),
            (
                "hello",
                [
                    "0000", "0000", "4000", "4000", "5000", "5800", "5c00", "5c00", "5d00",
                ],
            ),
            (
                "",
                [
                    "0000", "8000", "c000", "c000", "d000", "d000", "d400", "d400", "d400",
                ],
            ),
        ];
        for (key, row) in table {
            for (b, want) in buckets.iter().zip(row) {
                assert_eq!(prefix4(key, *b), want, "key {key:?} buckets {b}");
            }
        }
    }

    #[test]
    fn worked_examples_and_non_powers_of_two() {
        assert_eq!(
            ShardKey::from_hash("127.0.0.1").as_str(),
            "f4000000000000000000000000000000"
        );
        assert_eq!(
            ShardKey::from_hash("hello").as_str(),
            "5c000000000000000000000000000000"
        );
        assert_eq!(
            ShardKey::from_hash("").as_str(),
            "d4000000000000000000000000000000"
        );
        assert_eq!(prefix4("127.0.0.1", 512), "f500");
        assert_eq!(
            adjust_hash(b"127.0.0.1", 1000),
            adjust_hash(b"127.0.0.1", 512)
        );
        assert_eq!(adjust_hash(b"x", 100), adjust_hash(b"x", 64));
        assert_eq!(
            core::str::from_utf8(&adjust_hash(b"x", 0)).unwrap(),
            "00000000000000000000000000000000"
        );
        assert_eq!(
            format!("{}", ShardKey::bucketed("x", Buckets::new(1).unwrap())).len(),
            32
        );
    }

    #[test]
    fn buckets_must_be_powers_of_two_up_to_256() {
        for n in [1, 2, 4, 8, 16, 32, 64, 128, 256] {
            assert_eq!(Buckets::new(n).map(Buckets::get), Some(n));
        }
        for n in [0, 3, 100, 257, 512, 1000] {
            assert_eq!(Buckets::new(n), None, "{n}");
        }
    }
}
