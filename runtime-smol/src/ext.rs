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

    /// Keep sealed batches in a disk spool (feature `spool`, Rust 1.89): each is written
    /// to `config`'s directory before its first attempt and removed once delivered or
    /// given up, and batches an earlier run left there are sent first. Off by default.
    /// The directory is opened when the producer is built: another producer holding it,
    /// or a directory that cannot be written, is [`BuildError::Store`]. Delivery is at
    /// least once; see `docs/adr/0011-disk-spool.md`.
    ///
    /// During a long outage the bodies of batches waiting for a retry leave memory once
    /// they hold half the memory budget (they are on disk already) and are read back when
    /// due, so the application keeps sending, and the process stays within its budget,
    /// until the spool's cap.
    ///
    /// ```no_run
    /// use sls_producer_smol::spool::{Durability, SpoolConfig};
    /// use sls_producer_smol::{Credentials, Producer, ProducerBuilderExt as _, ProducerConfig};
    ///
    /// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let producer = Producer::builder(ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"))
    ///     .with_credentials(Credentials::from_env()?)
    ///     .with_spool(SpoolConfig::new("/var/spool/my-app-sls").with_durability(Durability::Os))
    ///     .build()?;
    /// # let _ = producer; Ok(()) }
    /// ```
    #[cfg(feature = "spool")]
    fn with_spool(self, config: crate::spool::SpoolConfig) -> ProducerBuilder;
}

impl ProducerBuilderExt for ProducerBuilder {
    fn build(self) -> Result<Producer, BuildError> {
        self.build_on(SmolRuntime::new())
    }

    #[cfg(feature = "spool")]
    fn with_spool(self, config: crate::spool::SpoolConfig) -> ProducerBuilder {
        crate::spool::with_spool(self, config)
    }
}
