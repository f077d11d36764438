//! A hash table keyed by 64-bit digests: open addressing with linear probing, at most half
//! full, deletion by shifting the entries behind back (no tombstones).
//!
//! The open batches are looked up by their route's digest on every send. Digests arrive in
//! no order, so the engine's sorted ring (`SortedMap`) would move a quarter of its entries on
//! each new batch (100,000 routes opened and closed in turn, release build: 4.3 s, against
//! 0.08 s here and 0.14 s with a `BTreeMap`), and a `BTreeMap` links another copy of the
//! B-tree code into the wasm package (4.2 KB gzip). The digest is already a hash; a multiplication spreads its bits over the slots.

use alloc::vec::Vec;

/// Slots of a new table's first allocation.
const MIN_SLOTS: usize = 16;

/// A map from digests to values.
#[derive(Debug)]
pub(super) struct DigestTable<V> {
    slots: Vec<Option<(u64, V)>>,
    len: usize,
}

impl<V> Default for DigestTable<V> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<V> DigestTable<V> {
    /// The value of `digest`.
    pub(super) fn get(&self, digest: u64) -> Option<&V> {
        let at = self.find(digest)?;
        self.slots[at].as_ref().map(|(_, v)| v)
    }

    /// Add `digest`, which must not be in the table.
    pub(super) fn insert(&mut self, digest: u64, value: V) {
        debug_assert!(self.find(digest).is_none(), "callers check first");
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mut at = self.home(digest);
        while self.slots[at].is_some() {
            at = self.next(at);
        }
        self.slots[at] = Some((digest, value));
        self.len += 1;
    }

    /// Remove `digest`, returning its value.
    pub(super) fn remove(&mut self, digest: u64) -> Option<V> {
        let mut hole = self.find(digest)?;
        let (_, value) = self.slots[hole].take()?;
        self.len -= 1;
        // Shift back every entry of the run after the hole that may sit there: one whose
        // home is not cyclically within (hole, at].
        let mut at = self.next(hole);
        while let Some((d, _)) = &self.slots[at] {
            let home = self.home(*d);
            let stays = if hole < at {
                hole < home && home <= at
            } else {
                hole < home || home <= at
            };
            if !stays {
                self.slots[hole] = self.slots[at].take();
                hole = at;
            }
            at = self.next(at);
        }
        Some(value)
    }

    /// Entries in the table.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Every value, in no particular order.
    #[cfg(test)]
    pub(super) fn values(&self) -> impl Iterator<Item = &V> {
        self.slots.iter().flatten().map(|(_, v)| v)
    }

    fn find(&self, digest: u64) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mut at = self.home(digest);
        loop {
            match &self.slots[at] {
                Some((d, _)) if *d == digest => return Some(at),
                Some(_) => at = self.next(at),
                None => return None,
            }
        }
    }

    /// The slot `digest` probes first (`slots.len()` is a power of two).
    fn home(&self, digest: u64) -> usize {
        let spread = digest.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (spread >> (64 - self.slots.len().trailing_zeros())) as usize
    }

    fn next(&self, at: usize) -> usize {
        (at + 1) & (self.slots.len() - 1)
    }

    fn grow(&mut self) {
        let slots = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = core::mem::replace(&mut self.slots, Vec::with_capacity(slots));
        self.slots.resize_with(slots, || None);
        self.len = 0;
        for (digest, value) in old.into_iter().flatten() {
            self.insert(digest, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use proptest::prelude::*;

    proptest! {
        /// Call for call against a `BTreeMap`, with digests drawn from a small range so
        /// that runs, wrap-around and shifting back are exercised.
        #[test]
        fn behaves_as_a_map(ops in proptest::collection::vec((any::<bool>(), 0u64..64, any::<u8>()), 0..400)) {
            let mut table = DigestTable::default();
            let mut model = BTreeMap::new();
            for (insert, key, value) in ops {
                // Few distinct digests, many colliding homes.
                let digest = key.wrapping_mul(0x0100_0000_0000_0001) >> (key % 7);
                if insert {
                    if model.contains_key(&digest) {
                        continue;
                    }
                    table.insert(digest, value);
                    model.insert(digest, value);
                } else {
                    prop_assert_eq!(table.remove(digest), model.remove(&digest));
                }
                prop_assert_eq!(table.len(), model.len());
                for (d, v) in &model {
                    prop_assert_eq!(table.get(*d), Some(v));
                }
                let mut values: Vec<u8> = table.values().copied().collect();
                let mut expected: Vec<u8> = model.values().copied().collect();
                values.sort_unstable();
                expected.sort_unstable();
                prop_assert_eq!(values, expected);
            }
        }
    }

    #[test]
    fn an_empty_table_finds_nothing_and_removes_nothing() {
        let mut table: DigestTable<u8> = DigestTable::default();
        assert_eq!(table.get(7), None);
        assert_eq!(table.remove(7), None);
        assert_eq!(table.len(), 0);
    }
}
