//! [`ProducerBuilderExt`]: `build()` on smol's global executor.

use sls_producer_core::{BuildError, Producer, ProducerBuilder};

use crate::SmolRuntime;

/// `build()` for the core's [`ProducerBuilder`]: the producer's driver (and its compression
/// helpers) on smol's global executor.
///
/// ```no_run
/// use sls_producer_smol::{Credentials, Producer, ProducerBuilderExt as _, ProducerConfig};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let producer = Producer::builder(ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"))
///     .with_credentials(Credentials::from_env()?)
///     .build()?;
/// # let _ = producer; Ok(()) }
/// ```
///
/// The tokio and wasm crates have a trait of the same name and shape, so producer code is
/// the same text on every runtime. For an executor of your own, call
/// [`build_on`](ProducerBuilder::build_on)`(`[`SmolRuntime::with_executor`]`(executor))`.
pub trait ProducerBuilderExt {
    /// Validate, spawn the driver on smol's global executor, and return the producer:
    /// [`build_on`](ProducerBuilder::build_on)`(`[`SmolRuntime::new`]`())`. Works from any
    /// thread.
    ///
    /// # Errors
    ///
    /// As [`ProducerBuilder::build_on`]: the configuration is invalid or no credentials
    /// were given.
    fn build(self) -> Result<Producer, BuildError>;
}

impl ProducerBuilderExt for ProducerBuilder {
    fn build(self) -> Result<Producer, BuildError> {
        self.build_on(SmolRuntime::new())
    }
}
