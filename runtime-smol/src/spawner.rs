//! [`SmolSpawner`]: fire-and-forget tasks on smol's global executor or your own.

use std::sync::Arc;

use sls_producer_core::rt::{Spawner, Task};
use smol::Executor;

/// Runs the producer's background tasks on smol.
///
/// [`SmolSpawner::global`] (the default) uses [`smol::spawn`], whose executor runs on its
/// own threads, so tasks progress without the caller driving anything.
/// [`SmolSpawner::new`] uses an executor you own; its tasks run only while you drive it
/// (`executor.run(..)`).
#[derive(Clone, Debug, Default)]
pub struct SmolSpawner {
    executor: Option<Arc<Executor<'static>>>,
}

impl SmolSpawner {
    /// Spawn on smol's global executor.
    pub fn global() -> Self {
        Self { executor: None }
    }

    /// Spawn on `executor`.
    pub fn new(executor: Arc<Executor<'static>>) -> Self {
        Self {
            executor: Some(executor),
        }
    }
}

impl From<Arc<Executor<'static>>> for SmolSpawner {
    fn from(executor: Arc<Executor<'static>>) -> Self {
        Self::new(executor)
    }
}

impl Spawner for SmolSpawner {
    fn spawn(&self, task: Task) {
        // Fire and forget: a detached task runs to completion on its own.
        match &self.executor {
            None => smol::spawn(task).detach(),
            Some(executor) => executor.spawn(task).detach(),
        }
    }
}
