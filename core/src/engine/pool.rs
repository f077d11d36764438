//! LogGroup buffers of compressed batches, kept for the next batches of busy routes.

use alloc::vec::Vec;

use crate::protocol::http::Bytes;

/// LogGroup buffers kept for reuse however full the memory budget is: enough for the
/// batches sealed between two driver polls.
pub(crate) const MIN_SPARE_BUFFERS: usize = 4;

/// Spare buffers, and what decides how many to keep.
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

    /// A spare buffer, if one is kept.
    pub(crate) fn take(&mut self) -> Option<Vec<u8>> {
        self.spare.pop()
    }

    /// Keep a compressed batch's LogGroup buffer `raw` for a later batch, if fewer than
    /// [`wanted`](Self::wanted) are kept, nothing else holds it and it is about a batch
    /// large (a smaller one would grow again; a larger one, from a single huge log, would
    /// hold memory for nothing).
    pub(crate) fn keep(&mut self, raw: Bytes, uncompressed: usize) {
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
        if (batch / 2..=batch.saturating_mul(2)).contains(&buffer.capacity()) {
            self.spare.push(buffer);
        }
    }

    /// Traffic is slow (a batch was sealed by its linger time): keep only the minimum.
    pub(crate) fn shrink(&mut self) {
        self.spare.truncate(MIN_SPARE_BUFFERS);
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
        let shared = Bytes::from(alloc::vec![1u8; BATCH]);
        let other = shared.clone();
        pool.keep(shared, 0);
        assert_eq!(pool.len(), 0, "another holder");
        drop(other);
        pool.keep(Bytes::from(alloc::vec![1u8; BATCH / 4]), 0);
        assert_eq!(pool.len(), 0, "too small");
        pool.keep(Bytes::from(alloc::vec![1u8; BATCH * 3]), 0);
        assert_eq!(pool.len(), 0, "too large");
        for _ in 0..10 {
            pool.keep(Bytes::from(alloc::vec![7u8; BATCH]), 0);
        }
        assert_eq!(pool.len(), 10);
        let reused = pool.take().expect("a spare one");
        assert_eq!(
            (reused.len(), reused.capacity()),
            (BATCH, BATCH),
            "not cleared"
        );
        pool.shrink();
        assert_eq!(pool.len(), MIN_SPARE_BUFFERS);
    }
}
