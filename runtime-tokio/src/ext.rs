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
    /// use sls_producer_tokio::spool::{Durability, SpoolConfig, WhenFull};
    /// use sls_producer_tokio::{Credentials, Producer, ProducerBuilderExt as _, ProducerConfig};
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let spool = SpoolConfig::new("/var/spool/my-app-sls")
    ///     .with_max_bytes(4 << 30)
    ///     .with_durability(Durability::PerBatch)
    ///     .with_when_full(WhenFull::Refuse);
    /// let producer = Producer::builder(ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"))
    ///     .with_credentials(Credentials::from_env()?)
    ///     .with_spool(spool)
    ///     .build()?;
    /// # let _ = producer; Ok(()) }
    /// ```
    #[cfg(feature = "spool")]
    fn with_spool(self, config: crate::spool::SpoolConfig) -> ProducerBuilder;
}

impl ProducerBuilderExt for ProducerBuilder {
    fn build(self) -> Result<Producer, BuildError> {
        self.build_on(TokioRuntime::current()?)
    }

    #[cfg(feature = "spool")]
    fn with_spool(self, config: crate::spool::SpoolConfig) -> ProducerBuilder {
        crate::spool::with_spool(self, config)
    }
}
