//! The open batch of each route, found by the route's digest rather than by comparing its
//! strings: the lookup every send makes.

use alloc::vec::Vec;

use super::batch::BatchId;
use super::key::{Route, RouteRef};

mod table;

use table::DigestTable;

/// Routes with an open batch.
#[derive(Debug, Default)]
pub(crate) struct OpenBatches {
    by_digest: DigestTable<(Route, BatchId)>,
    /// Routes whose digest another open route already has (practically never).
    collisions: Vec<(Route, BatchId)>,
}

impl OpenBatches {
    /// The open batch of `route`.
    pub(crate) fn get(&self, route: &RouteRef<'_>) -> Option<BatchId> {
        match self.by_digest.get(route.digest()) {
            Some((r, id)) if route.is(r) => Some(*id),
            _ => self
                .collisions
                .iter()
                .find(|(r, _)| route.is(r))
                .map(|(_, id)| *id),
        }
    }

    /// Make `id` the open batch of `route`.
    pub(crate) fn insert(&mut self, route: Route, id: BatchId) {
        if let Some(old) = self.get(&RouteRef::from(&route)) {
            self.remove(&route, old);
        }
        match self.by_digest.get(route.digest()) {
            Some(_) => self.collisions.push((route, id)),
            None => {
                self.by_digest.insert(route.digest(), (route, id));
            }
        }
    }

    /// Forget `route`'s open batch if it is `id`.
    pub(crate) fn remove(&mut self, route: &Route, id: BatchId) {
        let digest = route.digest();
        if self
            .by_digest
            .get(digest)
            .is_some_and(|(r, open)| r == route && *open == id)
        {
            self.by_digest.remove(digest);
        } else {
            self.collisions
                .retain(|(r, open)| !(r == route && *open == id));
        }
    }

    /// Number of open batches.
    pub(crate) fn len(&self) -> usize {
        self.by_digest.len() + self.collisions.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(topic: &str) -> Route {
        Route::new("proj", "store").unwrap().with_topic(topic)
    }

    #[test]
    fn routes_are_found_by_value() {
        let mut open = OpenBatches::default();
        open.insert(route("b"), BatchId(1));
        open.insert(route("a"), BatchId(2));
        assert_eq!(
            open.get(&RouteRef::from(&route("b"))),
            Some(BatchId(1)),
            "an equal, separately built route"
        );
        assert_eq!(open.get(&RouteRef::from(&route("c"))), None);
        open.remove(&route("b"), BatchId(9));
        assert_eq!(
            open.get(&RouteRef::from(&route("b"))),
            Some(BatchId(1)),
            "only its own batch is removed"
        );
        open.remove(&route("b"), BatchId(1));
        assert_eq!(
            (open.get(&RouteRef::from(&route("b"))), open.len()),
            (None, 1)
        );
    }

    #[test]
    fn routes_sharing_a_digest_are_kept_apart() {
        let mut open = OpenBatches::default();
        let (a, b) = (route("a"), route("b"));
        let b_with_a_digest = b.with_digest(a.digest());
        open.insert(a.clone(), BatchId(1));
        open.insert(b_with_a_digest.clone(), BatchId(2));
        assert_eq!(open.get(&RouteRef::from(&a)), Some(BatchId(1)));
        assert_eq!(
            open.get(&RouteRef::from(&b_with_a_digest)),
            Some(BatchId(2))
        );
        assert_eq!(open.len(), 2);
        open.remove(&a, BatchId(1));
        assert_eq!(
            open.get(&RouteRef::from(&b_with_a_digest)),
            Some(BatchId(2))
        );
        open.insert(a.clone(), BatchId(3));
        assert_eq!(open.get(&RouteRef::from(&a)), Some(BatchId(3)));
        open.remove(&b_with_a_digest, BatchId(2));
        assert_eq!(
            (open.get(&RouteRef::from(&b_with_a_digest)), open.len()),
            (None, 1)
        );
    }
}
