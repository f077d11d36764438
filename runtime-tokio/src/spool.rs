//! The disk spool on tokio (feature `spool`): [`ProducerBuilderExt::with_spool`] writes
//! every sealed batch to a directory before its first attempt and sends what an earlier
//! run left there first. The spool's file I/O runs on tokio's blocking pool
//! (`spawn_blocking`), never on the executor.
//!
//! [`ProducerBuilderExt::with_spool`]: crate::ProducerBuilderExt::with_spool

use std::sync::Arc;

use sls_producer_core::ProducerBuilder;
use sls_producer_core::durable::{BatchStore, StoreError, StoreErrorKind};
use sls_producer_core::rt::BoxFuture;
use sls_producer_spool::{SpoolStore, Unblock};
use tokio::runtime::Handle;

pub use sls_producer_spool::{Durability, SpoolConfig, WhenFull};

use crate::TokioRuntime;

/// tokio's blocking pool.
struct TokioUnblock(Handle);

impl Unblock for TokioUnblock {
    fn unblock<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> BoxFuture<'static, T> {
        let task = self.0.spawn_blocking(work);
        Box::pin(async move {
            match task.await {
                Ok(value) => value,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // Cancelled: the runtime is shutting down, and the driver with it.
                Err(_) => core::future::pending().await,
            }
        })
    }
}

/// `builder` with the spool `config` describes, opened when the producer is built.
pub(crate) fn with_spool(builder: ProducerBuilder, config: SpoolConfig) -> ProducerBuilder {
    builder.with_store(move || {
        let runtime = TokioRuntime::current().map_err(|_| {
            StoreError::new(
                StoreErrorKind::Config,
                "the disk spool runs on tokio's blocking pool: build the producer inside a tokio runtime",
            )
        })?;
        let unblock = TokioUnblock(runtime.handle().clone());
        let store = SpoolStore::open(config, unblock, Arc::new(runtime))?;
        Ok(Arc::new(store) as Arc<dyn BatchStore>)
    })
}
