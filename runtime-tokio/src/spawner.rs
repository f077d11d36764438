//! [`TokioSpawner`]: fire-and-forget tasks on a tokio runtime.

use sls_producer_core::rt::{Spawner, Task};
use tokio::runtime::{Handle, TryCurrentError};

/// Runs the producer's background tasks on a tokio runtime.
///
/// It holds a [`Handle`], so [`Spawner::spawn`] works from any thread, inside the runtime
/// or not (a logging layer called on an arbitrary thread, a blocking facade). Tasks
/// spawned after the runtime shut down are dropped without running.
#[derive(Clone, Debug)]
pub struct TokioSpawner {
    handle: Handle,
}

impl TokioSpawner {
    /// A spawner for the runtime behind `handle`.
    pub fn new(handle: Handle) -> Self {
        Self { handle }
    }

    /// A spawner for the runtime this thread is in.
    ///
    /// # Errors
    ///
    /// Outside a tokio runtime context. Call it from within the runtime (e.g. in `main`
    /// under `#[tokio::main]`) or build the spawner from a [`Handle`] with
    /// [`TokioSpawner::new`].
    pub fn try_current() -> Result<Self, TryCurrentError> {
        Handle::try_current().map(Self::new)
    }

    /// The runtime handle tasks are spawned on.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl From<Handle> for TokioSpawner {
    fn from(handle: Handle) -> Self {
        Self::new(handle)
    }
}

impl Spawner for TokioSpawner {
    fn spawn(&self, task: Task) {
        // Fire and forget: dropping the `JoinHandle` detaches the task.
        drop(self.handle.spawn(task));
    }
}
