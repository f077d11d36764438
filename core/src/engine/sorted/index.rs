//! The sorted index behind every [`SortedMap`](super::SortedMap) and
//! [`SortedSet`](super::SortedSet): raw keys in order in a ring buffer, each with the slot
//! of its entry. It is not generic, so its code is in the package once, whatever the maps'
//! key and value types.

use alloc::collections::VecDeque;

/// A key as the index orders it: two numbers compared in turn (see [`Key`](super::Key)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Raw(pub(crate) u64, pub(crate) u64);

/// A key and the slot of its entry.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    pub(super) key: Raw,
    pub(super) slot: usize,
}

/// Entries sorted by key, each key at most once.
#[derive(Clone, Debug)]
pub(super) struct Index {
    entries: VecDeque<Entry>,
}

impl Index {
    /// An empty index.
    pub(super) const fn new() -> Self {
        Self {
            entries: VecDeque::new(),
        }
    }

    /// How many keys the index holds.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entry with the smallest key.
    pub(super) fn first(&self) -> Option<Entry> {
        self.entries.front().copied()
    }

    /// Remove and return the entry with the smallest key.
    pub(super) fn pop_first(&mut self) -> Option<Entry> {
        self.entries.pop_front()
    }

    /// The entries, in key order.
    pub(super) fn iter(&self) -> impl Iterator<Item = Entry> + '_ {
        self.entries.iter().copied()
    }

    /// The slot of `key` (searched in the half of the ring buffer that holds it, without
    /// a second index computation: the lookup every send makes).
    pub(super) fn get(&self, key: Raw) -> Option<usize> {
        let (front, back) = self.entries.as_slices();
        let half = match back.first() {
            Some(e) if e.key <= key => back,
            _ => front,
        };
        let i = half.binary_search_by(|e| e.key.cmp(&key)).ok()?;
        Some(half[i].slot)
    }

    /// The position of `key`, or where it would be inserted. A key greater than every
    /// other (the usual case) is placed without a search.
    fn find(&self, key: Raw) -> Result<usize, usize> {
        match self.entries.back() {
            Some(last) if last.key < key => Err(self.entries.len()),
            None => Err(0),
            Some(_) => self.entries.binary_search_by(|e| e.key.cmp(&key)),
        }
    }

    /// The slot of `key` if the index has it, or else where it goes (an `Err` to pass
    /// to [`Index::insert_at`]).
    pub(super) fn locate(&self, key: Raw) -> Result<usize, Vacant> {
        match self.find(key) {
            Ok(i) => Ok(self.entries[i].slot),
            Err(at) => Err(Vacant { at, key }),
        }
    }

    /// Add the key of `vacant` with its entry in `slot`.
    pub(super) fn insert_at(&mut self, vacant: Vacant, slot: usize) {
        let entry = Entry {
            key: vacant.key,
            slot,
        };
        self.entries.insert(vacant.at, entry);
    }

    /// Remove `key`, returning its slot. The smallest key (the usual case) is removed
    /// without a search.
    pub(super) fn remove(&mut self, key: Raw) -> Option<usize> {
        let i = match self.entries.front() {
            Some(first) if first.key == key => 0,
            _ => self.find(key).ok()?,
        };
        self.entries.remove(i).map(|e| e.slot)
    }
}

/// Where a key the index does not have goes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Vacant {
    at: usize,
    key: Raw,
}
