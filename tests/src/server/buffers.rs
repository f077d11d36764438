//! Buffers for decompressed bodies, reused from request to request.
//!
//! Decompressing into a fresh buffer costs an allocation, a zero-fill of the whole raw size
//! and, for bodies of hundreds of KiB, page faults, on every request. A request instead
//! leases a buffer that an earlier one sized and touched, and gives it back when it is
//! done; [`decompress_into`](super::decompress::decompress_into) overwrites it.
//!
//! The pool keeps at most [`RawBuffers::MAX_SPARE`] buffers (more requests at once allocate
//! their own), each at most the server's raw body limit, since no decompression grows one
//! beyond it; all are freed with the server.

use std::sync::{Mutex, PoisonError};

/// The pool of spare buffers.
#[derive(Debug, Default)]
pub(crate) struct RawBuffers {
    spare: Mutex<Vec<Vec<u8>>>,
}

impl RawBuffers {
    /// Spare buffers kept: as many as requests are usually checked at once.
    pub(crate) const MAX_SPARE: usize = 4;

    /// A buffer for one request: a spare one if any (its contents are stale), else a new
    /// empty one. It returns to the pool when the lease is dropped.
    pub(crate) fn lease(&self) -> RawBuffer<'_> {
        let buf = self.lock().pop().unwrap_or_default();
        RawBuffer { pool: self, buf }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        // A panic while holding the lock leaves a valid list of buffers.
        self.spare.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn spare_count(&self) -> usize {
        self.lock().len()
    }
}

/// A buffer leased from [`RawBuffers`]; dereferences to the `Vec`.
#[derive(Debug)]
pub(crate) struct RawBuffer<'a> {
    pool: &'a RawBuffers,
    buf: Vec<u8>,
}

impl core::ops::Deref for RawBuffer<'_> {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.buf
    }
}

impl core::ops::DerefMut for RawBuffer<'_> {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

impl Drop for RawBuffer<'_> {
    fn drop(&mut self) {
        if self.buf.capacity() == 0 {
            return;
        }
        let mut spare = self.pool.lock();
        if spare.len() < RawBuffers::MAX_SPARE {
            spare.push(core::mem::take(&mut self.buf));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_returned_buffer_is_leased_again_with_its_allocation() {
        let pool = RawBuffers::default();
        let mut first = pool.lease();
        assert_eq!(first.capacity(), 0);
        first.extend_from_slice(&[7; 1000]);
        let ptr = first.as_ptr();
        drop(first);
        assert_eq!(pool.spare_count(), 1);
        let again = pool.lease();
        assert_eq!((again.as_ptr(), again.len()), (ptr, 1000));
        assert_eq!(pool.spare_count(), 0);
    }

    #[test]
    fn the_pool_keeps_a_bounded_number_of_buffers() {
        let pool = RawBuffers::default();
        let mut leases: Vec<_> = (0..RawBuffers::MAX_SPARE + 3)
            .map(|_| pool.lease())
            .collect();
        for lease in &mut leases {
            lease.push(1);
        }
        drop(leases);
        assert_eq!(pool.spare_count(), RawBuffers::MAX_SPARE);
    }

    #[test]
    fn a_buffer_never_grown_is_not_kept() {
        let pool = RawBuffers::default();
        drop(pool.lease());
        assert_eq!(pool.spare_count(), 0);
    }
}
