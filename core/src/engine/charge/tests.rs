use alloc::vec;
use alloc::vec::Vec;

use super::*;

const LIMITS: (usize, usize) = (1000, 4);

fn place<'a>(open: Option<Fill>, spares: &'a mut dyn Iterator<Item = usize>) -> Placement<'a> {
    Placement {
        open,
        trailer: 20,
        batch_cost: 100,
        limits: LIMITS,
        spares,
        fresh: 0,
    }
}

fn fill(len: usize, count: usize, capacity: usize) -> Fill {
    Fill {
        len,
        count,
        capacity,
        trailer: 20,
    }
}

#[test]
fn buffers_grow_by_doubling_while_small_then_to_the_batch_size() {
    assert_eq!(grown(0, 70, 1000), 70, "a first log: exactly its need");
    assert_eq!(grown(70, 70, 1000), 70, "enough already");
    assert_eq!(grown(60, 100, 1000), 120, "doubled");
    assert_eq!(grown(62, 63, 1000), 124, "doubled up to an eighth");
    assert_eq!(grown(63, 64, 1000), 1000, "past an eighth: the batch size");
    assert_eq!(grown(64, 65, 1024), 128, "exactly an eighth is still small");
    assert_eq!(grown(600, 700, 1000), 1000, "never past the batch size");
    assert_eq!(grown(100, 900, 1000), 1000);
    assert_eq!(
        grown(100, 1200, 1000),
        1200,
        "a log larger than a batch: its need"
    );
    assert_eq!(
        grown(usize::MAX / 2 + 1, usize::MAX, usize::MAX),
        usize::MAX
    );
}

#[test]
fn a_log_into_an_open_batch_with_capacity_costs_nothing() {
    let none = &mut core::iter::empty();
    let p = plan(place(Some(fill(100, 1, 400)), none), [50].into_iter());
    assert_eq!(p, Plan { bytes: 0, parts: 1 });
    // 50 + 20 + 20 > 60: doubles to 120.
    let p = plan(place(Some(fill(50, 1, 60)), none), [20].into_iter());
    assert_eq!(
        p,
        Plan {
            bytes: 60,
            parts: 1
        }
    );
    // 100 + 250 + 20 > 200: 400 would be past an eighth, so the batch size.
    let p = plan(place(Some(fill(100, 1, 200)), none), [250].into_iter());
    assert_eq!(
        p,
        Plan {
            bytes: 800,
            parts: 1
        }
    );
}

#[test]
fn a_new_route_costs_a_batch_and_its_first_buffer_or_takes_a_spare() {
    let none = &mut core::iter::empty();
    let p = plan(place(None, none), [50].into_iter());
    assert_eq!(
        p,
        Plan {
            bytes: 100 + 70,
            parts: 1
        }
    );
    let spares = &mut [1000usize].into_iter();
    let p = plan(place(None, spares), [50].into_iter());
    assert_eq!(
        p,
        Plan {
            bytes: 100,
            parts: 1
        },
        "the spare's capacity is charged"
    );
}

#[test]
fn a_rolled_over_batch_takes_a_charged_spare_and_a_fresh_one_does_not() {
    // The open batch has no room for 600 more: the next batch takes the 1000-byte spare.
    let spares = &mut [1000usize, 800].into_iter();
    let p = plan(place(Some(fill(500, 1, 1000)), spares), [600].into_iter());
    assert_eq!(
        p,
        Plan {
            bytes: 100,
            parts: 1
        },
        "the spare's capacity is charged"
    );
    assert_eq!(spares.next(), Some(800), "one spare taken");
    // No spare left: the rolled-over batch grows from nothing,
    let none = &mut core::iter::empty();
    let p = plan(place(Some(fill(500, 1, 1000)), none), [600].into_iter());
    assert_eq!(
        p,
        Plan {
            bytes: 100 + 620,
            parts: 1
        }
    );
    // or allocates a whole batch if asked to.
    let none = &mut core::iter::empty();
    let p = plan(
        Placement {
            fresh: 1000,
            ..place(Some(fill(500, 1, 1000)), none)
        },
        [600].into_iter(),
    );
    assert_eq!(
        p,
        Plan {
            bytes: 100 + 1000,
            parts: 1
        }
    );
}

#[test]
fn a_list_spans_batches_as_append_places_it() {
    // Count limit 4: the open batch (3 logs) takes one and is sealed full; the other five
    // go to a new batch of four, and a new one again (no spares kept).
    let none = &mut core::iter::empty();
    let entries: Vec<usize> = vec![10; 6];
    let p = plan(place(Some(fill(30, 3, 100)), none), entries.into_iter());
    // Batch 1: 30 + 10 + 20 = 60 ≤ 100, no growth. Batch 2: needs 30, then 40 (doubled
    // to 60), then 50 and 60 (room enough). Batch 3: needs 30.
    assert_eq!(
        p,
        Plan {
            bytes: (100 + 30 + 30) + (100 + 30),
            parts: 3
        }
    );
}

#[test]
fn room_counts_the_trailer_and_the_log_limit() {
    let f = fill(900, 3, 1000);
    assert!(f.has_room(80, LIMITS));
    assert!(!f.has_room(81, LIMITS), "900 + 20 + 81 > 1000");
    assert!(!fill(0, 4, 1000).has_room(1, LIMITS), "four logs already");
    assert_eq!(route_cost(&RouteRef::from(&route())), 0);
    assert_eq!(
        route_cost(&RouteRef::from(
            &route()
                .with_topic("abc")
                .with_source("de")
                .with_shard_key(crate::ShardKey::from_hash("x"))
        )),
        3 + 2 + 32
    );
}

fn route() -> crate::Route {
    crate::Route::new("proj", "store").unwrap()
}
