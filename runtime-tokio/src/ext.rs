//! [`ProducerBuilderExt`]: `build()` on the tokio runtime of the calling context.

use sls_producer_core::{BuildError, Producer, ProducerBuilder};

use crate::TokioRuntime;

/// `build()` for the core's [`ProducerBuilder`]: the producer's driver (and its compression
/// helpers) on the tokio runtime the calling thread is in.
///
/// ```no_run
/// use sls_producer_tokio::{Credentials, Producer, ProducerBuilderExt as _, ProducerConfig};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let producer = Producer::builder(ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"))
///     .with_credentials(Credentials::from_env()?)
///     .build()?;
/// # let _ = producer; Ok(()) }
/// ```
///
/// The smol and wasm crates have a trait of the same name and shape, so producer code is
/// the same text on every runtime.
pub trait ProducerBuilderExt {
    /// Validate, spawn the driver on the current tokio runtime, and return the producer:
    /// [`build_on`](ProducerBuilder::build_on)`(`[`TokioRuntime::current`]`()?)`.
    ///
    /// # Errors
    ///
    /// [`BuildError::NoRuntime`] outside a tokio runtime (build inside one, or call
    /// `build_on(TokioRuntime::new(handle))`); otherwise as
    /// [`ProducerBuilder::build_on`].
    fn build(self) -> Result<Producer, BuildError>;
}

impl ProducerBuilderExt for ProducerBuilder {
    fn build(self) -> Result<Producer, BuildError> {
        self.build_on(TokioRuntime::current()?)
    }
}
