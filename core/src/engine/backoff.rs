//! Retry backoff schedule and the seeded PRNG behind its optional jitter.
//!
//! The default schedule is the Go producer's: `min(base · 2^(k-1), max)` after the k-th
//! failed attempt, with no jitter — 100, 200, 400, …, 25 600, 50 000 ms with the defaults.
//! Unlike Go, the arithmetic saturates, so a huge retry count can never wrap into a zero or
//! negative delay. Jitter, when enabled, draws from a [`Rng`] seeded by the producer's
//! configuration, so a simulation replays the same delays for the same seed.

use core::time::Duration;

/// How much randomness is mixed into each backoff delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Jitter {
    /// The exact exponential delay (Go and Java producers).
    #[default]
    None,
    /// Uniform in `[0, delay]` ("full jitter"; spreads retries of many producers best).
    Full,
    /// Uniform in `[delay/2, delay]` (keeps at least half of the delay).
    Equal,
}

/// The backoff schedule: exponential from `base`, capped at `max`, with optional jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Delay after the first failure.
    pub base: Duration,
    /// Upper bound of any delay.
    pub max: Duration,
    /// Randomisation of each delay.
    pub jitter: Jitter,
}

impl Default for BackoffPolicy {
    /// 100 ms doubling up to 50 s, no jitter (the Go producer's defaults).
    fn default() -> Self {
        Self {
            base: Duration::from_millis(100),
            max: Duration::from_millis(50_000),
            jitter: Jitter::None,
        }
    }
}

impl BackoffPolicy {
    /// The exponential delay before retry number `retry` (1 = after the first failure),
    /// without jitter: `min(base · 2^(retry-1), max)`, saturating. `retry = 0` gives zero.
    pub fn ceiling(&self, retry: u32) -> Duration {
        if retry == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(retry - 1).unwrap_or(0);
        let d = if factor == 0 {
            self.max
        } else {
            self.base.checked_mul(factor).unwrap_or(self.max)
        };
        d.min(self.max)
    }

    /// The delay before retry number `retry` (1-based), with the policy's jitter drawn
    /// from `rng`. Never exceeds [`BackoffPolicy::ceiling`].
    pub fn delay(&self, retry: u32, rng: &mut Rng) -> Duration {
        let ceiling = self.ceiling(retry);
        match self.jitter {
            Jitter::None => ceiling,
            Jitter::Full => rng.duration_up_to(ceiling),
            Jitter::Equal => {
                let half = ceiling / 2;
                half + rng.duration_up_to(ceiling - half)
            }
        }
    }
}

/// A small, fast, seeded PRNG (SplitMix64). Deterministic for a given seed on every
/// platform; not for cryptography.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator that yields the same sequence for the same `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`0` when `n == 0`), without modulo bias worth measuring
    /// (Lemire's multiply-shift).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// `true` with probability `num / den` (`false` when `den == 0`).
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        den != 0 && self.below(den) < num
    }

    /// Uniform in `[0, d]` at nanosecond resolution.
    pub fn duration_up_to(&mut self, d: Duration) -> Duration {
        let nanos = crate::protocol::time::duration_nanos(d);
        Duration::from_nanos(self.below(nanos.saturating_add(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn go_default_schedule() {
        let p = BackoffPolicy::default();
        let got: Vec<u64> = (1..=11).map(|k| p.ceiling(k).as_millis() as u64).collect();
        assert_eq!(
            got,
            [
                100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 50_000, 50_000
            ]
        );
        let sum: u64 = got[..10].iter().sum();
        assert_eq!(sum, 101_100); // spec §3.8: 101.1 s of backoff over 10 retries
        assert_eq!(p.ceiling(0), Duration::ZERO);
    }

    #[test]
    fn huge_retry_numbers_saturate_instead_of_wrapping() {
        let p = BackoffPolicy::default();
        for k in [31, 32, 33, 58, 64, 1000, u32::MAX] {
            assert_eq!(p.ceiling(k), ms(50_000), "retry {k}");
        }
        let p = BackoffPolicy {
            base: Duration::MAX,
            max: Duration::MAX,
            jitter: Jitter::None,
        };
        assert_eq!(p.ceiling(5), Duration::MAX);
    }

    #[test]
    fn jitter_stays_within_bounds_and_is_reproducible() {
        for jitter in [Jitter::Full, Jitter::Equal] {
            let p = BackoffPolicy {
                jitter,
                ..BackoffPolicy::default()
            };
            let mut a = Rng::new(42);
            let mut b = Rng::new(42);
            let mut distinct = Vec::new();
            for k in 1..=12 {
                let d = p.delay(k, &mut a);
                assert_eq!(d, p.delay(k, &mut b));
                assert!(d <= p.ceiling(k));
                if jitter == Jitter::Equal {
                    assert!(d >= p.ceiling(k) / 2);
                }
                distinct.push(d);
            }
            distinct.sort();
            distinct.dedup();
            assert!(distinct.len() > 6, "jitter should vary: {distinct:?}");
        }
    }

    #[test]
    fn rng_is_deterministic_and_roughly_uniform() {
        let mut r = Rng::new(7);
        let first: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        let mut r2 = Rng::new(7);
        assert_eq!(first, (0..4).map(|_| r2.next_u64()).collect::<Vec<_>>());
        assert_ne!(Rng::new(8).next_u64(), first[0]);
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[r.below(10) as usize] += 1;
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "{counts:?}");
        }
        assert_eq!(r.below(0), 0);
        assert!(!r.chance(1, 0));
        assert!(r.chance(5, 5));
    }
}
