//! The cross-runtime suite ([`sls_producer_tests::suite`]) on smol: an executor of its own
//! run by several threads, producers built with
//! `Producer::builder(..).build_on(SmolRuntime::with_executor(executor))`.

use core::future::Future;
use core::time::Duration;
use std::sync::Arc;
use std::thread::JoinHandle;

use sls_producer_smol::spool::SpoolConfig;
use sls_producer_smol::{Producer, ProducerBuilder, ProducerBuilderExt as _, SmolRuntime};
use sls_producer_tests::suite::{BoxFuture, RuntimeUnderTest};
use smol::Executor;
use smol::channel::{Sender, bounded};

/// Executor threads (the CI machine has two cores; more threads than cores is the point
/// of "several").
const THREADS: usize = 3;

/// An executor run by [`THREADS`] threads until dropped.
struct Smol {
    executor: Arc<Executor<'static>>,
    stop: Option<Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl Smol {
    fn new() -> Self {
        let executor = Arc::new(Executor::new());
        let (stop, stopped) = bounded::<()>(1);
        let threads = (0..THREADS)
            .map(|n| {
                let executor = executor.clone();
                let stopped = stopped.clone();
                std::thread::Builder::new()
                    .name(format!("suite-smol-{n}"))
                    .spawn(move || {
                        // Runs tasks until the sender is dropped.
                        let _ = smol::block_on(executor.run(stopped.recv()));
                    })
                    .expect("an executor thread")
            })
            .collect();
        Self {
            executor,
            stop: Some(stop),
            threads,
        }
    }
}

impl Drop for Smol {
    fn drop(&mut self) {
        drop(self.stop.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl RuntimeUnderTest for Smol {
    fn name(&self) -> &'static str {
        "smol"
    }

    fn build_from(&self, builder: ProducerBuilder) -> Producer {
        builder
            // Two helpers whatever the machine: the suite runs compression on three tasks.
            .with_compress_helpers(2)
            .build_on(SmolRuntime::with_executor(self.executor.clone()))
            .expect("a valid producer")
    }

    fn with_spool(&self, builder: ProducerBuilder, spool: SpoolConfig) -> ProducerBuilder {
        builder.with_spool(spool)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        smol::block_on(future)
    }

    fn spawn<F>(&self, future: F) -> BoxFuture<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Box::pin(self.executor.spawn(future))
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<()> {
        Box::pin(async move {
            smol::Timer::after(duration).await;
        })
    }
}

sls_producer_tests::runtime_suite!(Smol::new());
