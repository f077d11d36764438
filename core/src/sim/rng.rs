//! [`SimRng`]: the core's seeded PRNG with the helpers scenario generators want.

use core::time::Duration;

use crate::engine::backoff::Rng;

/// A seeded, deterministic random generator for simulation scenarios — which request
/// fails, how long a reply is delayed, when a task starts.
///
/// It is the core's own [`Rng`] (the generator behind backoff jitter, so there is one
/// PRNG in the crate), plus the scenario's seed and a few helpers. The same seed gives the
/// same draws on every platform. Not cryptographically secure.
///
/// ```
/// use sls_producer_core::sim::SimRng;
///
/// let mut a = SimRng::new(42);
/// let mut b = SimRng::new(42);
/// assert_eq!(a.next_u64(), b.next_u64());
/// let die = a.below(6) + 1;
/// assert!((1..=6).contains(&die));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimRng {
    seed: u64,
    rng: Rng,
}

impl SimRng {
    /// A generator whose whole output is determined by `seed`.
    pub const fn new(seed: u64) -> Self {
        Self {
            seed,
            rng: Rng::new(seed),
        }
    }

    /// The seed this generator was created with (print it when a scenario fails).
    pub const fn seed(&self) -> u64 {
        self.seed
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Uniform in `0..n` (`0` when `n == 0`); see [`Rng::below`].
    pub fn below(&mut self, n: u64) -> u64 {
        self.rng.below(n)
    }

    /// `true` with probability `numerator / denominator` (always when
    /// `numerator >= denominator`, never when `numerator == 0` or `denominator == 0`).
    pub fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.rng.chance(numerator, denominator)
    }

    /// Uniform in `[0, max]` at nanosecond resolution.
    pub fn duration_up_to(&mut self, max: Duration) -> Duration {
        self.rng.duration_up_to(max)
    }

    /// A uniformly chosen element of `items`, `None` if it is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = usize::try_from(self.below(items.len() as u64)).ok()?;
        items.get(i)
    }

    /// An independent generator seeded from this one's next output — e.g. one per
    /// component of a scenario, so that extra draws in one do not shift the others.
    pub fn fork(&mut self) -> Self {
        Self::new(self.next_u64())
    }

    /// The underlying generator, e.g. for
    /// [`BackoffPolicy::delay`](crate::engine::backoff::BackoffPolicy::delay).
    pub fn rng_mut(&mut self) -> &mut Rng {
        &mut self.rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_the_core_rng_for_the_seed() {
        // SplitMix64 reference outputs, computed independently.
        let mut rng = SimRng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let mut rng = SimRng::new(42);
        assert_eq!(rng.next_u64(), 0xBDD7_3226_2FEB_6E95);
        assert_eq!(rng.seed(), 42);
        let mut core = Rng::new(42);
        core.next_u64();
        assert_eq!(rng.rng_mut(), &mut core);
    }

    #[test]
    fn chance_extremes_and_rate() {
        let mut rng = SimRng::new(3);
        assert!((0..1000).all(|_| !rng.chance(0, 5)));
        assert!((0..1000).all(|_| rng.chance(5, 5)));
        assert!((0..1000).all(|_| !rng.chance(1, 0)));
        let hits = (0..10_000).filter(|_| rng.chance(1, 4)).count();
        assert!((2_200..2_800).contains(&hits), "{hits}");
    }

    #[test]
    fn pick_duration_and_fork() {
        let mut rng = SimRng::new(9);
        assert_eq!(rng.pick::<u8>(&[]), None);
        assert_eq!(rng.pick(&[5]), Some(&5));
        let mut seen = [false; 3];
        for _ in 0..100 {
            seen[*rng.pick(&[0, 1, 2]).unwrap()] = true;
        }
        assert_eq!(seen, [true; 3]);
        assert_eq!(rng.duration_up_to(Duration::ZERO), Duration::ZERO);
        for _ in 0..100 {
            assert!(rng.duration_up_to(Duration::from_millis(3)) <= Duration::from_millis(3));
        }
        let mut a = rng.clone();
        let (mut fa, mut fb) = (a.fork(), rng.fork());
        assert_eq!(fa.next_u64(), fb.next_u64());
        assert_ne!(fa.seed(), a.seed());
    }
}
