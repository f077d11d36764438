use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::index::Raw;
use super::{Key, SortedMap, SortedSet, VecMap};
use crate::engine::batch::BatchId;
use crate::engine::{AttemptId, Ticket};
use crate::protocol::time::Instant;

/// Small keys, so that calls collide.
impl Key for u8 {
    fn raw(self) -> Raw {
        Raw(0, u64::from(self))
    }

    fn from_raw(raw: Raw) -> Self {
        Self::try_from(raw.1).expect("a u8's raw key")
    }
}

/// One call on a map, with a small key so calls collide.
#[derive(Clone, Debug)]
enum Op {
    Insert(u8, u32),
    Remove(u8),
    RemoveFirst,
    Bump(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k % 32, v)),
        // Keys in increasing runs: the appending fast path.
        (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        any::<u8>().prop_map(|k| Op::Remove(k % 32)),
        // The removal the engine makes most: the oldest entry.
        Just(Op::RemoveFirst),
        any::<u8>().prop_map(|k| Op::Bump(k % 32)),
    ]
}

proptest! {
    /// Every call answers as `BTreeMap`'s does, and the entries stay in key order.
    #[test]
    fn map_behaves_as_a_btree_map(ops in proptest::collection::vec(op(), 0..200)) {
        let mut ours = SortedMap::new();
        let mut model = BTreeMap::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => prop_assert_eq!(ours.insert(k, v), model.insert(k, v)),
                Op::Remove(k) => prop_assert_eq!(ours.remove(&k), model.remove(&k)),
                Op::RemoveFirst => {
                    let first = ours.first_key_value().map(|(k, _)| *k);
                    prop_assert_eq!(first, model.first_key_value().map(|(k, _)| *k));
                    if let Some(k) = first {
                        prop_assert_eq!(ours.remove(&k), model.remove(&k));
                    }
                }
                Op::Bump(k) => {
                    if let Some(v) = ours.get_mut(&k) {
                        *v = v.wrapping_add(1);
                    }
                    if let Some(v) = model.get_mut(&k) {
                        *v = v.wrapping_add(1);
                    }
                }
            }
            prop_assert_eq!(ours.len(), model.len());
            prop_assert_eq!(ours.is_empty(), model.is_empty());
            prop_assert_eq!(ours.first_key_value(), model.first_key_value());
            for k in 0..40u8 {
                prop_assert_eq!(ours.get(&k), model.get(&k));
                prop_assert_eq!(ours.contains_key(&k), model.contains_key(&k));
            }
            let entries: Vec<_> = ours.iter().map(|(k, v)| (*k, *v)).collect();
            let expected: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(entries, expected);
            prop_assert!(ours.keys().eq(model.keys()));
            prop_assert!(ours.values().eq(model.values()));
            // No more slots than entries once freed ones are reused.
            prop_assert!(ours.slots.len() - ours.free.len() == ours.len());
        }
    }

    /// `find_mut` finds the first entry in key order, as a `BTreeMap`'s `iter_mut` does.
    #[test]
    fn find_mut_finds_in_key_order(
        entries in proptest::collection::vec((any::<u8>(), 0u32..4), 0..40),
        wanted in 0u32..4,
    ) {
        let mut ours = SortedMap::new();
        let mut model = BTreeMap::new();
        for (k, v) in entries {
            ours.insert(k, v);
            model.insert(k, v);
        }
        let found = ours.find_mut(|_, v| *v == wanted).map(|(k, v)| {
            *v += 10;
            *k
        });
        let expected = model.iter_mut().find(|(_, v)| **v == wanted).map(|(k, v)| {
            *v += 10;
            *k
        });
        prop_assert_eq!(found, expected);
        prop_assert!(ours.iter().eq(model.iter()));
    }

    /// A set answers as `BTreeSet` does, and iterates in order.
    #[test]
    fn set_behaves_as_a_btree_set(ops in proptest::collection::vec((any::<bool>(), 0u8..24), 0..200)) {
        let mut ours = SortedSet::new();
        let mut model = BTreeSet::new();
        for (add, k) in ops {
            if add {
                prop_assert_eq!(ours.insert(k), model.insert(k));
            } else {
                prop_assert_eq!(ours.remove(&k), model.remove(&k));
            }
            prop_assert_eq!(ours.len(), model.len());
            prop_assert_eq!(ours.first(), model.first().copied());
            prop_assert_eq!(ours.contains(&k), model.contains(&k));
            prop_assert!(ours.iter().eq(model.iter().copied()));
        }
        while let Some(k) = model.pop_first() {
            prop_assert_eq!(ours.pop_first(), Some(k));
        }
        prop_assert!(ours.is_empty());
        prop_assert_eq!(ours.pop_first(), None);
    }

    /// The engine's keys order as their raw keys do, and come back from them unchanged.
    #[test]
    fn raw_keys_order_as_the_keys(a in any::<(u64, u64)>(), b in any::<(u64, u64)>()) {
        let timer = |(at, id): (u64, u64)| (Instant::from_nanos(at), BatchId(id));
        let (ta, tb) = (timer(a), timer(b));
        prop_assert_eq!(ta.cmp(&tb), ta.raw().cmp(&tb.raw()));
        prop_assert_eq!(<(Instant, BatchId)>::from_raw(ta.raw()), ta);
        let (x, y) = (a.0, b.0);
        prop_assert_eq!(BatchId(x).cmp(&BatchId(y)), BatchId(x).raw().cmp(&BatchId(y).raw()));
        prop_assert_eq!(AttemptId(x).cmp(&AttemptId(y)), AttemptId(x).raw().cmp(&AttemptId(y).raw()));
        prop_assert_eq!(Ticket(x).cmp(&Ticket(y)), Ticket(x).raw().cmp(&Ticket(y).raw()));
        prop_assert_eq!(BatchId::from_raw(BatchId(x).raw()), BatchId(x));
        prop_assert!(AttemptId::from_raw(AttemptId(x).raw()) == AttemptId(x));
        prop_assert_eq!(Ticket::from_raw(Ticket(x).raw()), Ticket(x));
    }

    /// A `VecMap` answers as `BTreeMap` does.
    #[test]
    fn vec_map_behaves_as_a_btree_map(
        ops in proptest::collection::vec((any::<bool>(), 0u8..24, any::<u32>()), 0..100),
    ) {
        let mut ours = VecMap::new();
        let mut model = BTreeMap::new();
        for (replace, k, v) in ops {
            if replace {
                prop_assert_eq!(ours.insert(k, v), model.insert(k, v));
            } else {
                prop_assert_eq!(*ours.get_or_insert_with(k, || v), *model.entry(k).or_insert(v));
            }
            prop_assert_eq!(ours.len(), model.len());
            prop_assert!(!ours.is_empty());
            prop_assert_eq!(ours.get(&k), model.get(&k));
            prop_assert!(ours.iter().eq(model.iter()));
        }
    }
}

#[test]
fn str_keys_are_found_by_borrowed_str() {
    let mut map = VecMap::new();
    map.insert(String::from("b"), 2);
    map.insert(String::from("a"), 1);
    assert_eq!(map.get("a"), Some(&1));
    assert_eq!(map.get("b"), Some(&2));
    assert_eq!(map.get("c"), None);
}

#[test]
fn a_map_indexes_by_key_and_starts_over_compact_when_emptied() {
    let mut map = SortedMap::new();
    for k in [3u8, 1, 2] {
        map.insert(k, u32::from(k) * 10);
    }
    assert_eq!(map[&2], 20);
    map.remove(&1);
    map.insert(0, 0);
    assert_eq!(map.slots.len(), 3, "the freed slot is reused");
    for k in [0, 2, 3] {
        map.remove(&k);
    }
    assert!(map.slots.is_empty() && map.free.is_empty());
}
