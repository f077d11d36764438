use super::*;
use alloc::collections::VecDeque;
use alloc::vec;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    PushBack(u32),
    PushFront(u32),
    PopFront,
    FrontMut(u32),
    BackMut(u32),
    TakeFront(usize),
    Append(Vec<u32>),
    Extend(Vec<u32>),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<u32>().prop_map(Op::PushBack),
        1 => any::<u32>().prop_map(Op::PushFront),
        6 => Just(Op::PopFront),
        1 => any::<u32>().prop_map(Op::FrontMut),
        1 => any::<u32>().prop_map(Op::BackMut),
        1 => (0usize..6).prop_map(Op::TakeFront),
        1 => proptest::collection::vec(any::<u32>(), 0..5).prop_map(Op::Append),
        1 => proptest::collection::vec(any::<u32>(), 0..5).prop_map(Op::Extend),
        1 => Just(Op::Clear),
    ]
}

proptest! {
    #[test]
    fn fifo_behaves_as_a_vec_deque(ops in proptest::collection::vec(op(), 0..300)) {
        let mut fifo = Fifo::new();
        let mut model = VecDeque::new();
        for op in ops {
            match op {
                Op::PushBack(v) => {
                    fifo.push_back(v);
                    model.push_back(v);
                }
                Op::PushFront(v) => {
                    fifo.push_front(v);
                    model.push_front(v);
                }
                Op::PopFront => prop_assert_eq!(fifo.pop_front(), model.pop_front()),
                Op::FrontMut(v) => {
                    if let Some(x) = fifo.front_mut() {
                        *x = v;
                    }
                    if let Some(x) = model.front_mut() {
                        *x = v;
                    }
                }
                Op::BackMut(v) => {
                    if let Some(x) = fifo.back_mut() {
                        *x = v;
                    }
                    if let Some(x) = model.back_mut() {
                        *x = v;
                    }
                }
                Op::TakeFront(n) => {
                    let n2 = n.min(model.len());
                    let expected: Vec<u32> = model.drain(..n2).collect();
                    prop_assert_eq!(fifo.take_front(n), expected);
                }
                Op::Append(items) => {
                    let mut other = Fifo::new();
                    other.extend(items.iter().copied());
                    // An `other` with taken slots, too.
                    other.push_front(0);
                    other.pop_front();
                    fifo.append(&mut other);
                    prop_assert!(other.is_empty());
                    model.extend(items);
                }
                Op::Extend(items) => {
                    fifo.extend(items.iter().copied());
                    model.extend(items);
                }
                Op::Clear => {
                    fifo.clear();
                    model.clear();
                }
            }
            prop_assert_eq!(fifo.len(), model.len());
            prop_assert_eq!(fifo.is_empty(), model.is_empty());
            // The taken slots never outnumber the queued items for long: at most half the
            // `Vec` (plus the one a pop leaves before it compacts).
            prop_assert!(fifo.head <= fifo.len() + 1, "{} taken, {} queued", fifo.head, fifo.len());
        }
        prop_assert_eq!(fifo.take_front(usize::MAX), model.into_iter().collect::<Vec<_>>());
    }
}

#[test]
fn a_steady_queue_keeps_its_allocation_small() {
    let mut fifo = Fifo::new();
    for i in 0..1000u32 {
        fifo.push_back(i);
        fifo.push_back(i);
        assert!(fifo.pop_front().is_some());
        assert!(fifo.pop_front().is_some());
    }
    assert!(fifo.is_empty());
    assert!(fifo.slots.capacity() <= 4, "{}", fifo.slots.capacity());
    fifo.extend(vec![1, 2, 3]);
    assert_eq!(fifo.pop_front(), Some(1));
    fifo.push_front(9);
    assert_eq!(fifo.take_front(usize::MAX), vec![9, 2, 3]);
}
