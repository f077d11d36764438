//! The one lock of the simulation runtime.
//!
//! The runtime traits require `Send + Sync` handles on native targets, so shared
//! simulation state cannot live in a `RefCell`. Without `std` there is no OS mutex either,
//! so the state sits behind a spin lock.
//!
//! The lock is **never contended** in the intended use: the [`SimExecutor`] is
//! single-threaded and polls one task at a time, and this module's callers never run
//! foreign code while holding it — wakers are woken, user closures are called and
//! futures are dropped only *after* the guard is released. So a lock call always finds the
//! lock free and never spins. (If a user does share a handle across threads, the lock is
//! still correct; it just spins while another thread holds it for a few instructions.)
//!
//! [`SimExecutor`]: super::SimExecutor

/// A mutual-exclusion cell for simulation state; see the module docs for why it never
/// spins in practice.
pub(super) struct Lock<T>(spin::Mutex<T>);

impl<T> Lock<T> {
    pub(super) const fn new(value: T) -> Self {
        Self(spin::Mutex::new(value))
    }

    /// Borrow the state. Keep the guard's scope short and never call out (wakers, user
    /// closures, `Drop` of user futures) while holding it.
    pub(super) fn lock(&self) -> spin::MutexGuard<'_, T> {
        self.0.lock()
    }
}
