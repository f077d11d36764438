//! The disk spool on smol (feature `spool`): [`ProducerBuilderExt::with_spool`] writes
//! every sealed batch to a directory before its first attempt and sends what an earlier
//! run left there first. The spool's file I/O runs on smol's blocking pool (`unblock`),
//! never on the executor.
//!
//! [`ProducerBuilderExt::with_spool`]: crate::ProducerBuilderExt::with_spool

use std::sync::Arc;

use sls_producer_core::ProducerBuilder;
use sls_producer_core::durable::BatchStore;
use sls_producer_core::rt::BoxFuture;
use sls_producer_spool::{SpoolStore, Unblock};

pub use sls_producer_spool::{Durability, SpoolConfig, WhenFull};

use crate::SmolRuntime;

/// smol's blocking pool.
struct SmolUnblock;

impl Unblock for SmolUnblock {
    fn unblock<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> BoxFuture<'static, T> {
        Box::pin(smol::unblock(work))
    }
}

/// `builder` with the spool `config` describes, opened when the producer is built.
pub(crate) fn with_spool(builder: ProducerBuilder, config: SpoolConfig) -> ProducerBuilder {
    builder.with_store(move || {
        let store = SpoolStore::open(config, SmolUnblock, Arc::new(SmolRuntime::new()))?;
        Ok(Arc::new(store) as Arc<dyn BatchStore>)
    })
}
