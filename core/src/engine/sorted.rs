//! The engine's ordered maps and sets, keyed by its ids and timers.
//!
//! The engine's keys mostly arrive in order (batch ids, attempt ids, tickets, linger and
//! delivery deadlines) and mostly leave from the front (the oldest batch finishes first,
//! the earliest timer fires first). Each map and set keeps its keys, as pairs of numbers
//! ([`Raw`](index::Raw), from [`Key`]), in a sorted ring buffer (an [`Index`]): it inserts at
//! the back and removes at the front in constant time, finds by binary search, and
//! iterates in key order as `BTreeMap` does. A map's entries sit in a `Vec` of slots that
//! the index points into, freed slots reused. The index is not generic, so its code is in
//! the wasm package once, not once per map type as a ring buffer of entries or a B-tree
//! would be; each map type adds only its slots' code. Maps keyed by names are
//! [`VecMap`]s.

mod index;
mod key;
mod vec_map;

use alloc::vec::Vec;
use core::marker::PhantomData;

use index::Index;
use key::Key;
pub(crate) use vec_map::VecMap;

/// A map ordered by key (the subset of `BTreeMap`'s API the engine uses).
#[derive(Clone, Debug)]
pub(crate) struct SortedMap<K, V> {
    index: Index,
    /// The entries, where the index says; `None` in a freed slot.
    slots: Vec<Option<(K, V)>>,
    /// The freed slots, to fill before growing `slots`.
    free: Vec<usize>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> SortedMap<K, V> {
    /// An empty map.
    pub(crate) const fn new() -> Self {
        Self {
            index: Index::new(),
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// How many entries the map holds.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the map holds no entry.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry in `slot`.
    ///
    /// # Panics
    ///
    /// If the slot is free (the index never points to one).
    fn entry(&self, slot: usize) -> (&K, &V) {
        let (k, v) = self.slots[slot].as_ref().expect("an indexed slot");
        (k, v)
    }

    /// Put an entry in a free slot; which.
    fn fill(&mut self, key: K, value: V) -> usize {
        if let Some(slot) = self.free.pop() {
            self.slots[slot] = Some((key, value));
            slot
        } else {
            self.slots.push(Some((key, value)));
            self.slots.len() - 1
        }
    }

    /// Take the entry out of `slot` (just removed from the index) and free the slot. An
    /// emptied map drops its slots' bookkeeping, so that it starts over compact.
    fn take(&mut self, slot: usize) -> (K, V) {
        let entry = self.slots[slot].take().expect("an indexed slot");
        if self.index.len() == 0 {
            self.slots.clear();
            self.free.clear();
        } else {
            self.free.push(slot);
        }
        entry
    }

    /// The entry with the smallest key.
    pub(crate) fn first_key_value(&self) -> Option<(&K, &V)> {
        self.index.first().map(|e| self.entry(e.slot))
    }

    /// The entries, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.index.iter().map(|e| self.entry(e.slot))
    }

    /// The keys, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    /// The values, in key order.
    #[cfg_attr(not(feature = "spool"), allow(dead_code, reason = "the spool's"))]
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    /// The first entry, in key order, for which `pred` holds, with its value mutable.
    #[cfg_attr(not(feature = "spool"), allow(dead_code, reason = "the spool's"))]
    pub(crate) fn find_mut(
        &mut self,
        mut pred: impl FnMut(&K, &V) -> bool,
    ) -> Option<(&K, &mut V)> {
        let slot = self.index.iter().map(|e| e.slot).find(|&slot| {
            let (k, v) = self.entry(slot);
            pred(k, v)
        })?;
        let (k, v) = self.slots[slot].as_mut()?;
        Some((&*k, v))
    }
}

impl<K: Key, V> SortedMap<K, V> {
    /// The value of `key`: the lookup every send makes.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        let slot = self.index.get(key.raw())?;
        Some(self.entry(slot).1)
    }

    /// The value of `key`, mutably.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let slot = self.index.get(key.raw())?;
        self.slots[slot].as_mut().map(|(_, v)| v)
    }

    /// Whether the map has `key`.
    #[cfg_attr(not(feature = "spool"), allow(dead_code, reason = "the spool's"))]
    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.index.get(key.raw()).is_some()
    }

    /// Set `key` to `value`, returning the value it replaced. A key greater than every
    /// other (the usual case) is appended without a search.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.index.locate(key.raw()) {
            Ok(slot) => {
                let (_, old) = self.slots[slot].as_mut()?;
                Some(core::mem::replace(old, value))
            }
            Err(vacant) => {
                let slot = self.fill(key, value);
                self.index.insert_at(vacant, slot);
                None
            }
        }
    }

    /// Remove `key`, returning its value. The smallest key (the usual case) is removed
    /// without a search.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let slot = self.index.remove(key.raw())?;
        Some(self.take(slot).1)
    }
}

impl<K: Key, V> core::ops::Index<&K> for SortedMap<K, V> {
    type Output = V;

    /// # Panics
    ///
    /// If the map has no `key`.
    fn index(&self, key: &K) -> &V {
        self.get(key).expect("key in the map")
    }
}

/// A set ordered by value (the subset of `BTreeSet`'s API the engine uses): only an index,
/// its values rebuilt from their raw keys.
#[derive(Clone, Debug)]
pub(crate) struct SortedSet<K> {
    index: Index,
    values: PhantomData<fn() -> K>,
}

impl<K> Default for SortedSet<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K> SortedSet<K> {
    /// An empty set.
    pub(crate) const fn new() -> Self {
        Self {
            index: Index::new(),
            values: PhantomData,
        }
    }

    /// How many values the set holds.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the set holds no value.
    #[cfg_attr(not(feature = "spool"), allow(dead_code, reason = "the spool's"))]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Key> SortedSet<K> {
    /// The smallest value.
    pub(crate) fn first(&self) -> Option<K> {
        self.index.first().map(|e| K::from_raw(e.key))
    }

    /// Remove and return the smallest value.
    pub(crate) fn pop_first(&mut self) -> Option<K> {
        self.index.pop_first().map(|e| K::from_raw(e.key))
    }

    /// The values, in order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = K> {
        self.index.iter().map(|e| K::from_raw(e.key))
    }

    /// Add `value`; whether it was new.
    pub(crate) fn insert(&mut self, value: K) -> bool {
        match self.index.locate(value.raw()) {
            Ok(_) => false,
            Err(vacant) => {
                self.index.insert_at(vacant, 0);
                true
            }
        }
    }

    /// Remove `value`; whether it was there.
    pub(crate) fn remove(&mut self, value: &K) -> bool {
        self.index.remove(value.raw()).is_some()
    }

    /// Whether the set has `value`.
    #[cfg_attr(not(feature = "spool"), allow(dead_code, reason = "the spool's"))]
    pub(crate) fn contains(&self, value: &K) -> bool {
        self.index.get(value.raw()).is_some()
    }
}

#[cfg(test)]
mod tests;
