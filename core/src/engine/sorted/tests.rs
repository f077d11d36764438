use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use proptest::prelude::*;

use super::{SortedMap, SortedSet};

/// One call on a map, with a small key so calls collide.
#[derive(Clone, Debug)]
enum Op {
    Insert(u8, u32),
    Remove(u8),
    PopFirst,
    GetOrInsert(u8, u32),
    Bump(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k % 32, v)),
        // Keys in increasing runs: the appending fast path.
        (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        any::<u8>().prop_map(|k| Op::Remove(k % 32)),
        Just(Op::PopFirst),
        (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::GetOrInsert(k % 32, v)),
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
                Op::PopFirst => prop_assert_eq!(ours.pop_first(), model.pop_first()),
                Op::GetOrInsert(k, v) => {
                    prop_assert_eq!(*ours.get_or_insert_with(k, || v), *model.entry(k).or_insert(v));
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
            prop_assert_eq!(ours.first_key_value(), model.first_key_value());
            for k in 0..40u8 {
                prop_assert_eq!(ours.get(&k), model.get(&k));
                prop_assert_eq!(ours.contains_key(&k), model.contains_key(&k));
            }
            let entries: Vec<_> = ours.iter().map(|(k, v)| (*k, *v)).collect();
            let expected: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(entries, expected);
        }
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
            prop_assert_eq!(ours.first(), model.first());
            prop_assert_eq!(ours.contains(&k), model.contains(&k));
            prop_assert!((&ours).into_iter().eq(model.iter()));
        }
        prop_assert_eq!(ours.pop_first(), model.pop_first());
    }
}

#[test]
fn str_keys_are_found_by_borrowed_str() {
    let mut map = SortedMap::new();
    map.insert(alloc::string::String::from("b"), 2);
    map.insert(alloc::string::String::from("a"), 1);
    assert_eq!(map.get("a"), Some(&1));
    assert_eq!(map[&alloc::string::String::from("b")], 2);
    assert_eq!(map.get("c"), None);
}
