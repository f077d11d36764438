//! The engine's ordered maps and sets: entries kept sorted in a [`VecDeque`].
//!
//! The engine's keys mostly arrive in order (batch ids, attempt ids, tickets, linger and
//! delivery deadlines) and mostly leave from the front (the oldest batch finishes first,
//! the earliest timer fires first), so a sorted ring buffer inserts at the back and
//! removes at the front in constant time, finds by binary search, and iterates in key
//! order as `BTreeMap` does. It is a fraction of a B-tree's code, which matters on wasm,
//! where every map type is monomorphised into the package.

use alloc::collections::{VecDeque, vec_deque};
use core::borrow::Borrow;
use core::ops::Index;

/// A map ordered by key (the subset of `BTreeMap`'s API the engine uses).
#[derive(Clone, Debug)]
pub(crate) struct SortedMap<K, V> {
    entries: VecDeque<(K, V)>,
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
            entries: VecDeque::new(),
        }
    }

    /// How many entries the map holds.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map holds no entry.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry with the smallest key.
    pub(crate) fn first_key_value(&self) -> Option<(&K, &V)> {
        self.entries.front().map(|(k, v)| (k, v))
    }

    /// Remove and return the entry with the smallest key.
    pub(crate) fn pop_first(&mut self) -> Option<(K, V)> {
        self.entries.pop_front()
    }

    /// The keys, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values, in key order.
    #[cfg_attr(not(feature = "spool"), allow(dead_code, reason = "the spool's"))]
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The entries, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The entries, in key order, with mutable values.
    #[cfg_attr(not(feature = "spool"), allow(dead_code, reason = "the spool's"))]
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// The position of `key`, or where it would be inserted.
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The value of `key` (searched in the half of the ring buffer that holds it, without
    /// a second index computation: the lookup every send makes).
    pub(crate) fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let (front, back) = self.entries.as_slices();
        let half = match back.first() {
            Some((k, _)) if k.borrow() <= key => back,
            _ => front,
        };
        let i = half.binary_search_by(|(k, _)| k.borrow().cmp(key)).ok()?;
        Some(&half[i].1)
    }

    /// The value of `key`, mutably.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let (front, back) = self.entries.as_mut_slices();
        let half = match back.first() {
            Some((k, _)) if k <= key => back,
            _ => front,
        };
        let i = half.binary_search_by(|(k, _)| k.cmp(key)).ok()?;
        Some(&mut half[i].1)
    }

    /// Whether the map has `key`.
    #[cfg_attr(not(feature = "spool"), allow(dead_code, reason = "the spool's"))]
    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    /// Set `key` to `value`, returning the value it replaced. A key greater than every
    /// other (the usual case) is appended without a search.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        let at = match self.entries.back() {
            Some((last, _)) if *last < key => self.entries.len(),
            None => 0,
            Some(_) => match self.find(&key) {
                Ok(i) => return Some(core::mem::replace(&mut self.entries[i].1, value)),
                Err(i) => i,
            },
        };
        self.entries.insert(at, (key, value));
        None
    }

    /// The value of `key`, inserting `make()` first if the map has none.
    pub(crate) fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, make()));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Remove `key`, returning its value. The smallest key (the usual case) is removed
    /// without a search.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        if self.entries.front().is_some_and(|(first, _)| first == key) {
            return self.entries.pop_front().map(|(_, v)| v);
        }
        let i = self.find(key).ok()?;
        self.entries.remove(i).map(|(_, v)| v)
    }
}

impl<K: Ord, V> Index<&K> for SortedMap<K, V> {
    type Output = V;

    /// # Panics
    ///
    /// If the map has no `key`.
    fn index(&self, key: &K) -> &V {
        self.get(key).expect("key in the map")
    }
}

/// A set ordered by value (the subset of `BTreeSet`'s API the engine uses).
#[derive(Clone, Debug)]
pub(crate) struct SortedSet<K> {
    map: SortedMap<K, ()>,
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
            map: SortedMap::new(),
        }
    }

    /// How many values the set holds.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the set holds no value.
    #[cfg_attr(not(feature = "spool"), allow(dead_code, reason = "the spool's"))]
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The smallest value.
    pub(crate) fn first(&self) -> Option<&K> {
        self.map.first_key_value().map(|(k, ())| k)
    }

    /// Remove and return the smallest value.
    pub(crate) fn pop_first(&mut self) -> Option<K> {
        self.map.pop_first().map(|(k, ())| k)
    }
}

impl<K: Ord> SortedSet<K> {
    /// Add `value`; whether it was new.
    pub(crate) fn insert(&mut self, value: K) -> bool {
        self.map.insert(value, ()).is_none()
    }

    /// Remove `value`; whether it was there.
    pub(crate) fn remove(&mut self, value: &K) -> bool {
        self.map.remove(value).is_some()
    }

    /// Whether the set has `value`.
    #[cfg_attr(not(feature = "spool"), allow(dead_code, reason = "the spool's"))]
    pub(crate) fn contains(&self, value: &K) -> bool {
        self.map.contains_key(value)
    }
}

impl<'a, K> IntoIterator for &'a SortedSet<K> {
    type Item = &'a K;
    type IntoIter = core::iter::Map<vec_deque::Iter<'a, (K, ())>, fn(&'a (K, ())) -> &'a K>;

    fn into_iter(self) -> Self::IntoIter {
        self.map.entries.iter().map(|(k, ())| k)
    }
}

#[cfg(test)]
mod tests;
