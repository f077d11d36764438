//! [`spawn_producer`]: a producer wired to this runtime.

use std::sync::Arc;

use sls_producer_core::config::{ConfigError, ProducerConfig};
use sls_producer_core::producer::CredentialsSource;
use sls_producer_core::producer::Producer;
use sls_producer_core::protocol::sign::DateHeader;
use sls_producer_core::rt::HttpTransport;

use crate::{LocalSpawner, WasmTimer};

/// A producer for `config` that sends through `transport` (usually a
/// [`FetchTransport`](crate::FetchTransport), a [`PageLifeTransport`](crate::PageLifeTransport)
/// or a [`WebTrackingTransport`](crate::WebTrackingTransport)), on the [`WasmTimer`], with
/// its driver running as a [`LocalSpawner`] task.
///
/// `config.date_header` is set to [`DateHeader::XLogDate`]: `fetch` never sends a `Date`
/// header set by script, so v1 signatures must carry the date in `x-log-date`.
///
/// # Errors
///
/// [`ConfigError`] if `config` does not validate.
pub fn spawn_producer(
    config: &ProducerConfig,
    transport: Arc<dyn HttpTransport>,
    credentials: impl Into<CredentialsSource>,
) -> Result<Producer, ConfigError> {
    let config = config.clone().with_date_header(DateHeader::XLogDate);
    let (producer, driver) =
        Producer::new(&config, Arc::new(WasmTimer::new()), transport, credentials)?;
    driver.spawn_on(&LocalSpawner::new());
    Ok(producer)
}
