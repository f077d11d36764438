//! Deep checks on a deterministic sample of PutLogs requests (see
//! [`LocalSlsBuilder::deep_check_every`](super::LocalSlsBuilder::deep_check_every)).

use core::num::NonZeroU32;
use core::sync::atomic::{AtomicU64, Ordering};

/// How thoroughly one request is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Depth {
    /// Every check: the body digest is compared with the body, every log of the group is
    /// walked and validated.
    Deep,
    /// The body digest header must be present but is trusted as sent (the signature,
    /// which covers it, is still verified), and only the group's top-level fields are
    /// walked, to count its logs. Everything else is checked as in [`Depth::Deep`].
    Shallow,
}

/// Which requests get [`Depth::Deep`]: the first, then one in every `every`, counted over
/// the requests the server asks about (per server, whatever the connection).
#[derive(Debug)]
pub(crate) struct DeepChecks {
    every: NonZeroU32,
    asked: AtomicU64,
}

impl DeepChecks {
    pub(crate) fn new(every: NonZeroU32) -> Self {
        Self {
            every,
            asked: AtomicU64::new(0),
        }
    }

    /// The depth of the next request: the 1st, (n+1)th, (2n+1)th… are deep.
    pub(crate) fn next(&self) -> Depth {
        if self.every.get() == 1 {
            return Depth::Deep;
        }
        let i = self.asked.fetch_add(1, Ordering::Relaxed);
        if i.is_multiple_of(u64::from(self.every.get())) {
            Depth::Deep
        } else {
            Depth::Shallow
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depths(every: u32, n: usize) -> Vec<Depth> {
        let checks = DeepChecks::new(NonZeroU32::new(every).unwrap());
        (0..n).map(|_| checks.next()).collect()
    }

    #[test]
    fn the_first_request_and_then_one_in_every_n_are_deep() {
        use Depth::{Deep, Shallow};
        assert_eq!(depths(1, 4), [Deep; 4]);
        assert_eq!(
            depths(3, 7),
            [Deep, Shallow, Shallow, Deep, Shallow, Shallow, Deep]
        );
    }
}
