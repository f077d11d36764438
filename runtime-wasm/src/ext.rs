//! [`ProducerBuilderExt`]: `build()` on the JS event loop of the calling context.

use sls_producer_core::{BuildError, Producer, ProducerBuilder};

use crate::WasmRuntime;

/// `build()` for the core's [`ProducerBuilder`]: the producer's driver on the event loop of
/// the page, worker, Node process or Worker request that calls it ([`WasmRuntime`]).
///
/// ```ignore
/// use sls_producer_wasm::{Credentials, Producer, ProducerBuilderExt as _, ProducerConfig};
///
/// let producer = Producer::builder(ProducerConfig::new("cn-hangzhou.log.aliyuncs.com"))
///     .with_credentials(Credentials::new(access_key_id, access_key_secret))
///     .build()?;
/// ```
///
/// The tokio and smol crates have a trait of the same name and shape, so producer code is
/// the same text on every runtime.
pub trait ProducerBuilderExt {
    /// Validate, spawn the driver with `spawn_local`, and return the producer:
    /// [`build_on`](ProducerBuilder::build_on)`(`[`WasmRuntime::new`]`())`. Without
    /// [`with_transport`](ProducerBuilder::with_transport) the producer sends through a
    /// [`FetchTransport`](crate::FetchTransport) with the configuration's
    /// `request_timeout`, and signs with `x-log-date` (`fetch` cannot send `Date`).
    ///
    /// # Errors
    ///
    /// As [`ProducerBuilder::build_on`]: an invalid configuration (among others an explicit
    /// `DateHeader::Date`, which `fetch` cannot send), or no credentials.
    fn build(self) -> Result<Producer, BuildError>;
}

impl ProducerBuilderExt for ProducerBuilder {
    fn build(self) -> Result<Producer, BuildError> {
        self.build_on(WasmRuntime::new())
    }
}
