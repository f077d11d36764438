//! [`LocalSpawner`]: background tasks on the JS event loop.

use sls_producer_core::rt::{Spawner, Task};

/// Runs [`Task`]s on the JS event loop of the current thread with
/// [`wasm_bindgen_futures::spawn_local`].
///
/// The task starts on the microtask queue, after the current JS task returns, and runs to
/// completion as long as the page, worker or process lives. On Cloudflare Workers, work
/// still pending after the response has been returned is cancelled unless it is kept
/// alive with `ctx.waitUntil`.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalSpawner {
    _private: (),
}

impl LocalSpawner {
    /// A spawner for the current thread's event loop.
    pub fn new() -> Self {
        Self { _private: () }
    }
}

impl Spawner for LocalSpawner {
    fn spawn(&self, task: Task) {
        wasm_bindgen_futures::spawn_local(task);
    }
}
