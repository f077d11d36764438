//! The one lock around a producer's engine.
//!
//! With the `std` feature it is a `std::sync::Mutex` (threads that find it taken sleep in
//! the OS instead of spinning). Without `std` (embedded, single-threaded wasm) it is a spin
//! lock, which is only ever uncontended there. Either way the lock is held for short,
//! bounded work: no user code (callbacks, wakers, transport calls) runs under it.

#[cfg(feature = "std")]
pub(crate) struct Lock<T>(std::sync::Mutex<T>);

#[cfg(feature = "std")]
impl<T> Lock<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(std::sync::Mutex::new(value))
    }

    /// Lock. A panic while the lock was held (impossible in the engine's own code, which
    /// never calls out) does not make the producer unusable: the state is taken as is.
    pub(crate) fn lock(&self) -> Guard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Lock if no one holds the lock now; `None` if someone does.
    pub(crate) fn try_lock(&self) -> Option<Guard<'_, T>> {
        match self.0.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

/// A held [`Lock`].
#[cfg(feature = "std")]
pub(crate) type Guard<'a, T> = std::sync::MutexGuard<'a, T>;

#[cfg(not(feature = "std"))]
pub(crate) struct Lock<T>(spin::Mutex<T>);

#[cfg(not(feature = "std"))]
impl<T> Lock<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(spin::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> Guard<'_, T> {
        self.0.lock()
    }

    /// Lock if no one holds the lock now; `None` if someone does.
    pub(crate) fn try_lock(&self) -> Option<Guard<'_, T>> {
        self.0.try_lock()
    }
}

/// A held [`Lock`].
#[cfg(not(feature = "std"))]
pub(crate) type Guard<'a, T> = spin::MutexGuard<'a, T>;
