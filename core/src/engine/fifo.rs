//! A first-in first-out queue: the engine's and the producer's plain queues.
//!
//! A `Vec` of slots with a head offset: pushing appends, popping takes the head slot and
//! moves the head on; once the taken slots are at least half of the `Vec`, they are cut
//! off. Nothing wraps around, so its code is smaller than `VecDeque`'s (no wrap-around
//! copies when it grows), which matters as every element type has its own copy of it in
//! the wasm package. Each push and pop is amortised constant time.

use alloc::vec::Vec;

/// A queue: push at the back, pop at the front.
#[derive(Clone, Debug)]
pub(crate) struct Fifo<T> {
    /// The slots; those before `head` were taken (`None`), the rest hold the queue in order.
    slots: Vec<Option<T>>,
    /// The first slot still in the queue.
    head: usize,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Fifo<T> {
    /// An empty queue; it allocates on the first push.
    pub(crate) const fn new() -> Self {
        Self {
            slots: Vec::new(),
            head: 0,
        }
    }

    /// How many items are queued.
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.head
    }

    /// No item is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queue `item` at the back.
    pub(crate) fn push_back(&mut self, item: T) {
        self.slots.push(Some(item));
    }

    /// Queue `item` at the front: into the last taken slot if there is one, else shifting
    /// the queue by one. (The spool puts a batch read back from disk first.)
    #[cfg(any(feature = "spool", test))]
    pub(crate) fn push_front(&mut self, item: T) {
        match self.head.checked_sub(1) {
            Some(head) => {
                self.slots[head] = Some(item);
                self.head = head;
            }
            None => self.slots.insert(0, Some(item)),
        }
    }

    /// Take the item at the front.
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let item = self.slots.get_mut(self.head)?.take();
        self.head += 1;
        if self.head * 2 >= self.slots.len() {
            self.compact();
        }
        item
    }

    /// The item at the front.
    pub(crate) fn front_mut(&mut self) -> Option<&mut T> {
        self.slots.get_mut(self.head)?.as_mut()
    }

    /// The item at the back.
    pub(crate) fn back_mut(&mut self) -> Option<&mut T> {
        match self.len() {
            0 => None,
            _ => self.slots.last_mut()?.as_mut(),
        }
    }

    /// Drop every item.
    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.head = 0;
    }

    /// Take the first `n` items (all of them if fewer), in order.
    pub(crate) fn take_front(&mut self, n: usize) -> Vec<T> {
        let end = self.head + n.min(self.len());
        self.head = 0;
        self.slots.drain(..end).flatten().collect()
    }

    /// Move every item of `other` to the back of this queue, in order. (The spool's held
    /// batches rejoin the ready queue when a replay ends.)
    #[cfg(any(feature = "spool", test))]
    pub(crate) fn append(&mut self, other: &mut Self) {
        self.slots.extend(other.slots.drain(other.head..));
        other.clear();
    }

    /// Cut off the taken slots: all of them when the queue is empty (keeping the
    /// allocation), else by moving the queue to the start of the `Vec`.
    fn compact(&mut self) {
        if self.head == self.slots.len() {
            self.slots.clear();
        } else {
            self.slots.drain(..self.head);
        }
        self.head = 0;
    }
}

impl<T> Extend<T> for Fifo<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        self.slots.extend(items.into_iter().map(Some));
    }
}

#[cfg(test)]
mod tests;
