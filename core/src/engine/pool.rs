//! LogGroup buffers of compressed batches, kept for the next batches of busy routes.

use alloc::vec::Vec;

use super::memory::MemoryBudget;
use crate::protocol::http::Bytes;

/// LogGroup buffers kept for reuse however full the memory budget is: enough for the
/// batches sealed between two driver polls.
pub(crate) const MIN_SPARE_BUFFERS: usize = 4;

/// Spare buffers, and what decides how many to keep.
///
/// Spare buffers are charged to the memory budget: [`keep`](Self::keep) keeps one only if
/// its capacity can be reserved, a batch that [`take`](Self::take)s one takes its charge
/// over, and [`drop_one`](Self::drop_one) gives the room back to a send that needs it.
///
/// Buffers are kept while, together with the buffers of uncompressed batches and the
/// compressed bodies batches hold, they fit the memory budget. A buffer is then allocated
/// only when no spare one is left, and what the batches hold stays within about the
/// budget: buffers circulate rather than being freed and allocated again, which with one
/// allocator arena per thread leaves peak memory well above what is live at any time.
#[derive(Debug)]
pub(crate) struct BufferPool {
    /// The memory budget.
    limit: usize,
    /// A batch's size limit: the size of the buffers kept.
    max_batch_bytes: usize,
    spare: Vec<Vec<u8>>,
    /// [`CompressJob`](super::CompressJob)s handed out whose result has not come back
    /// (each holds a batch's buffer).
    jobs_out: usize,
    /// Bytes of the compressed bodies batches hold (sealed, not finished).
    sealed_bytes: usize,
    /// Capacity of the spare buffers: their charge in the memory budget.
    spare_bytes: usize,
}

impl BufferPool {
    /// An empty pool for a memory budget of `limit` bytes in batches of `max_batch_bytes`.
    pub(crate) const fn new(limit: usize, max_batch_bytes: usize) -> Self {
        Self {
            limit,
            max_batch_bytes,
            spare: Vec::new(),
            jobs_out: 0,
            sealed_bytes: 0,
            spare_bytes: 0,
        }
    }

    /// A [`CompressJob`](super::CompressJob) took a batch's buffer.
    pub(crate) fn job_out(&mut self) {
        self.jobs_out += 1;
    }

    /// A job's result came back (its buffer is offered to [`keep`](Self::keep)).
    pub(crate) fn job_back(&mut self) {
        self.jobs_out = self.jobs_out.saturating_sub(1);
    }

    /// A batch now holds a compressed body of `len` bytes.
    pub(crate) fn body_sealed(&mut self, len: usize) {
        self.sealed_bytes += len;
    }

    /// A batch holding a compressed body of `len` bytes finished.
    pub(crate) fn body_dropped(&mut self, len: usize) {
        self.sealed_bytes -= len;
    }

    /// How many spare buffers to keep now (see [`spare_buffers_wanted`]), with
    /// `uncompressed` batches holding a buffer no job holds (open or sealed).
    pub(crate) fn wanted(&self, uncompressed: usize) -> usize {
        spare_buffers_wanted(
            self.limit,
            self.max_batch_bytes,
            uncompressed + self.jobs_out,
            self.sealed_bytes,
        )
    }

    /// A spare buffer, if one is kept. Its charge goes with it: the taker holds it now.
    pub(crate) fn take(&mut self) -> Option<Vec<u8>> {
        let spare = self.spare.pop()?;
        self.spare_bytes -= spare.capacity();
        Some(spare)
    }

    /// Bytes of the spare buffers (their charge in the memory budget).
    pub(crate) fn spare_bytes(&self) -> usize {
        self.spare_bytes
    }

    /// The capacities of the spare buffers, in the order [`take`](Self::take) gives them.
    pub(crate) fn capacities(&self) -> impl Iterator<Item = usize> + '_ {
        self.spare.iter().rev().map(Vec::capacity)
    }

    /// Keep a compressed batch's LogGroup buffer `raw` for a later batch, if fewer than
    /// [`wanted`](Self::wanted) are kept, nothing else holds it, it is about a batch large
    /// (a smaller one would grow again; a larger one, from a single huge log, would hold
    /// memory for nothing) and `memory` has room for it.
    pub(crate) fn keep(&mut self, raw: Bytes, uncompressed: usize, memory: &mut MemoryBudget) {
        if self.spare.len() >= self.wanted(uncompressed) {
            return;
        }
        let Ok(buffer) = raw.try_into_mut() else {
            return;
        };
        // Not cleared: the next batch overwrites the old bytes instead of zeroing them first
        // (see `LogGroupEncoder::with_buffer`).
        let buffer = Vec::from(buffer);
        let batch = self.max_batch_bytes;
        let capacity = buffer.capacity();
        if (batch / 2..=batch.saturating_mul(2)).contains(&capacity) && memory.try_reserve(capacity)
        {
            self.spare_bytes += capacity;
            self.spare.push(buffer);
        }
    }

    /// Traffic is slow (a batch was sealed by its linger time): keep only the minimum.
    pub(crate) fn shrink(&mut self, memory: &mut MemoryBudget) {
        while self.spare.len() > MIN_SPARE_BUFFERS {
            self.drop_one(memory);
        }
    }

    /// Free the spare buffer [`take`](Self::take) would give last, giving its room back
    /// to `memory`. Returns whether there was one.
    pub(crate) fn drop_one(&mut self, memory: &mut MemoryBudget) -> bool {
        if self.spare.is_empty() {
            return false;
        }
        let buffer = self.spare.remove(0);
        self.spare_bytes -= buffer.capacity();
        memory.release(buffer.capacity());
        true
    }

    /// Spare buffers kept now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.spare.len()
    }
}

/// How many LogGroup buffers to keep for reuse when `live` buffers hold uncompressed
/// batches (open, sealed, being compressed) and compressed bodies of `sealed_bytes` are
/// held: as many as, together with those, fit a memory budget of `limit` bytes in batches
/// of `max_batch_bytes`, and at least [`MIN_SPARE_BUFFERS`].
fn spare_buffers_wanted(
    limit: usize,
    max_batch_bytes: usize,
    live: usize,
    sealed_bytes: usize,
) -> usize {
    let batch = max_batch_bytes.max(1);
    (limit / batch)
        .saturating_sub(live)
        .saturating_sub(sealed_bytes.div_ceil(batch))
        .max(MIN_SPARE_BUFFERS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spare_buffers_wanted_is_the_budget_left_by_live_buffers() {
        const BATCH: usize = 512 * 1024;
        let budget = 100 * 1024 * 1024;
        assert_eq!(spare_buffers_wanted(budget, BATCH, 0, 0), 200);
        assert_eq!(spare_buffers_wanted(budget, BATCH, 150, 0), 50);
        assert_eq!(
            spare_buffers_wanted(budget, BATCH, 150, BATCH * 5 / 2),
            47,
            "compressed bodies count too, rounded up to buffers"
        );
        assert_eq!(
            spare_buffers_wanted(budget, BATCH, 199, 0),
            MIN_SPARE_BUFFERS
        );
        assert_eq!(
            spare_buffers_wanted(budget, BATCH, 500, 0),
            MIN_SPARE_BUFFERS
        );
        assert_eq!(
            spare_buffers_wanted(BATCH, 0, 3, 3),
            BATCH - 6,
            "no division by zero"
        );
    }

    #[test]
    fn only_unshared_buffers_about_a_batch_large_are_kept() {
        const BATCH: usize = 1024;
        let mut pool = BufferPool::new(100 * BATCH, BATCH);
        let mut memory = MemoryBudget::new(100 * BATCH);
        let shared = Bytes::from(alloc::vec![1u8; BATCH]);
        let other = shared.clone();
        pool.keep(shared, 0, &mut memory);
        assert_eq!(pool.len(), 0, "another holder");
        drop(other);
        pool.keep(Bytes::from(alloc::vec![1u8; BATCH / 4]), 0, &mut memory);
        assert_eq!(pool.len(), 0, "too small");
        pool.keep(Bytes::from(alloc::vec![1u8; BATCH * 3]), 0, &mut memory);
        assert_eq!(pool.len(), 0, "too large");
        assert_eq!(memory.used(), 0, "nothing kept, nothing charged");
        for _ in 0..10 {
            pool.keep(Bytes::from(alloc::vec![7u8; BATCH]), 0, &mut memory);
        }
        assert_eq!(
            (pool.len(), memory.used()),
            (10, 10 * BATCH),
            "each charged"
        );
        assert_eq!(pool.capacities().count(), 10);
        let reused = pool.take().expect("a spare one");
        assert_eq!(
            (reused.len(), reused.capacity()),
            (BATCH, BATCH),
            "not cleared"
        );
        assert_eq!(memory.used(), 10 * BATCH, "the charge went with the buffer");
        pool.shrink(&mut memory);
        assert_eq!(pool.len(), MIN_SPARE_BUFFERS);
        assert_eq!(
            memory.used(),
            (MIN_SPARE_BUFFERS + 1) * BATCH,
            "shrinking gives back"
        );
        while pool.drop_one(&mut memory) {}
        assert_eq!((pool.len(), memory.used()), (0, BATCH));
        assert!(!pool.drop_one(&mut memory), "nothing left to drop");
    }

    #[test]
    fn jobs_out_and_sealed_bodies_leave_fewer_spares_wanted() {
        const BATCH: usize = 1024;
        let mut pool = BufferPool::new(20 * BATCH, BATCH);
        assert_eq!(pool.wanted(0), 20);
        assert_eq!(pool.wanted(3), 17, "uncompressed batches hold buffers");
        pool.job_out();
        pool.job_out();
        assert_eq!(pool.wanted(3), 15, "so do compression jobs");
        pool.job_back();
        assert_eq!(pool.wanted(3), 16, "a job back holds none");
        pool.job_back();
        pool.job_back();
        assert_eq!(pool.wanted(0), 20, "never below no job");
        pool.body_sealed(BATCH / 2);
        pool.body_sealed(BATCH * 2);
        assert_eq!(pool.wanted(0), 17, "bodies count, rounded up to buffers");
        pool.body_dropped(BATCH * 2);
        assert_eq!(pool.wanted(0), 19);
        pool.body_dropped(BATCH / 2);
        assert_eq!(pool.wanted(0), 20);
        let mut memory = MemoryBudget::new(20 * BATCH);
        for _ in 0..18 {
            pool.keep(Bytes::from(alloc::vec![7u8; BATCH]), 2, &mut memory);
        }
        assert_eq!(pool.len(), 18, "as many as wanted");
        pool.keep(Bytes::from(alloc::vec![7u8; BATCH]), 2, &mut memory);
        assert_eq!(pool.len(), 18, "no more than wanted");
        assert_eq!(pool.spare_bytes(), 18 * BATCH);
    }

    #[test]
    fn a_buffer_is_kept_only_if_the_budget_has_room_for_it() {
        const BATCH: usize = 1024;
        let mut pool = BufferPool::new(100 * BATCH, BATCH);
        let mut memory = MemoryBudget::new(BATCH + BATCH / 2);
        pool.keep(Bytes::from(alloc::vec![7u8; BATCH]), 0, &mut memory);
        pool.keep(Bytes::from(alloc::vec![7u8; BATCH]), 0, &mut memory);
        assert_eq!((pool.len(), memory.used()), (1, BATCH));
    }
}
