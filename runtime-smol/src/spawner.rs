//! Where smol tasks go: smol's global executor or one you own.

use core::future::Future;
use std::sync::Arc;

use smol::Executor;

/// Spawns detached tasks on smol's global executor (`None`) or on an executor you own.
#[derive(Clone, Debug, Default)]
pub(crate) struct SmolSpawner(Option<Arc<Executor<'static>>>);

impl SmolSpawner {
    /// Spawn on `executor`, or on smol's global executor.
    pub(crate) fn new(executor: Option<Arc<Executor<'static>>>) -> Self {
        Self(executor)
    }

    /// Run `task` to completion in the background.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        // Fire and forget: a detached task runs to completion on its own.
        match &self.0 {
            None => smol::spawn(task).detach(),
            Some(executor) => executor.spawn(task).detach(),
        }
    }
}
