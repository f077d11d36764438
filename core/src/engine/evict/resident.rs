//! The bodies in memory that may leave it (written, untracked batches), and the bytes they
//! hold: what the spill mark is checked against.

use super::super::batch::BatchId;
use super::super::sorted::SortedMap;

/// Written, untracked batches whose body is in memory, oldest first, with each body's
/// length and their sum.
#[derive(Debug, Default)]
pub(in crate::engine) struct Resident {
    bodies: SortedMap<BatchId, usize>,
    bytes: usize,
}

impl Resident {
    /// Batch `id`'s body of `len` bytes is in memory (again).
    pub(in crate::engine) fn insert(&mut self, id: BatchId, len: usize) {
        if let Some(old) = self.bodies.insert(id, len) {
            self.bytes -= old;
        }
        self.bytes += len;
    }

    /// Batch `id`'s body left memory or the batch finished; whether it was here.
    pub(in crate::engine) fn remove(&mut self, id: &BatchId) -> bool {
        self.bodies.remove(id).is_some_and(|len| {
            self.bytes -= len;
            true
        })
    }

    /// The batches, oldest first.
    pub(in crate::engine) fn ids(&self) -> impl Iterator<Item = &BatchId> {
        self.bodies.keys()
    }

    /// The bytes of their bodies.
    pub(in crate::engine) const fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_bytes_of_the_bodies_it_holds() {
        let mut r = Resident::default();
        r.insert(BatchId(2), 100);
        r.insert(BatchId(1), 30);
        assert_eq!(r.bytes(), 130);
        assert_eq!(
            r.ids().copied().collect::<alloc::vec::Vec<_>>(),
            [BatchId(1), BatchId(2)]
        );
        r.insert(BatchId(2), 40);
        assert_eq!(r.bytes(), 70, "a body inserted again replaces its length");
        assert!(r.remove(&BatchId(2)));
        assert!(!r.remove(&BatchId(2)), "gone");
        assert_eq!(r.bytes(), 30);
        assert!(r.remove(&BatchId(1)));
        assert_eq!(r.bytes(), 0);
    }
}
