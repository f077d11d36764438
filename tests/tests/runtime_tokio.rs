//! The cross-runtime suite ([`sls_producer_tests::suite`]) on tokio: a multi-thread
//! runtime, producers built with `Producer::builder(..).build_on(TokioRuntime::new(handle))`
//! (with two compression helpers).

use core::future::Future;
use core::time::Duration;

use sls_producer_tests::suite::{BoxFuture, RuntimeUnderTest};
use sls_producer_tokio::spool::SpoolConfig;
use sls_producer_tokio::{Producer, ProducerBuilder, ProducerBuilderExt as _, TokioRuntime};
use tokio::runtime::Runtime;

/// A multi-thread tokio runtime with two workers (the CI machine has two cores).
struct Tokio {
    runtime: Runtime,
}

impl Tokio {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        Self { runtime }
    }
}

impl RuntimeUnderTest for Tokio {
    fn name(&self) -> &'static str {
        "tokio"
    }

    fn build_from(&self, builder: ProducerBuilder) -> Producer {
        builder
            // Two helpers whatever the machine: the suite runs compression on three tasks.
            .with_compress_helpers(2)
            .build_on(TokioRuntime::new(self.runtime.handle().clone()))
            .expect("a valid producer")
    }

    fn with_spool(&self, builder: ProducerBuilder, spool: SpoolConfig) -> ProducerBuilder {
        builder.with_spool(spool)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    fn spawn<F>(&self, future: F) -> BoxFuture<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = self.runtime.spawn(future);
        Box::pin(async move { task.await.expect("the task did not panic") })
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

sls_producer_tests::runtime_suite!(Tokio::new());
