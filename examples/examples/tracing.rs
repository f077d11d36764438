//! Ship your application's `tracing` events to SLS, with their fields and span context.
//!
//! ```sh
//! cargo run --example tracing
//! RUST_LOG=debug cargo run --example tracing   # also see the producer's own diagnostics
//! ```
//!
//! Two layers share one subscriber: `SlsLayer` ships `INFO` and above to SLS through a
//! producer; `fmt` prints to stderr, including the producer's own diagnostics (retries,
//! credential refreshes, the close summary), which the SLS layer never ships back into
//! itself. Without `SLS_ENDPOINT` the logs go to a local SLS server started in-process,
//! which prints every log group it stores; see the crate docs for the variables that
//! select the real service.

use core::error::Error;
use core::time::Duration;

use sls_producer_core::Metrics;
use sls_producer_core::credentials::Credentials;
use sls_producer_core::integrations::ShipStats;
use sls_producer_core::integrations::tracing_layer::SlsLayer;
use sls_producer_examples::{Destination, exit_with};
use sls_producer_tokio::{Producer, ProducerBuilderExt as _, ProducerConfig, Route};
use tracing::Instrument as _;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

#[tokio::main]
async fn main() {
    // Errors are printed as sentences (with their causes), not as `Debug`.
    if let Err(e) = try_main().await {
        exit_with(&*e);
    }
}

async fn try_main() -> Result<(), Box<dyn Error>> {
    let destination = Destination::from_env_or_local()?;
    let (report, shipped) = run(
        &destination.endpoint,
        destination.credentials.clone(),
        &destination.project,
        &destination.logstore,
        std::io::stderr,
    )
    .await?;
    println!(
        "tracing layer: {} events shipped, {} dropped; producer: {} logs delivered, {} failed",
        shipped.shipped,
        shipped.dropped(),
        report.delivered_logs,
        report.failed_logs
    );
    destination.finish();
    Ok(())
}

/// Install the subscriber (SLS layer + `stderr`, which a test captures), run the
/// application, close the producer.
pub(crate) async fn run(
    endpoint: &str,
    credentials: Credentials,
    project: &str,
    logstore: &str,
    stderr: impl for<'w> MakeWriter<'w> + Send + Sync + 'static,
) -> Result<(Metrics, ShipStats), Box<dyn Error>> {
    let config = ProducerConfig::new(endpoint).with_linger(Duration::from_millis(200));
    let producer = Producer::builder(config)
        .with_credentials(credentials)
        .build()?;
    let route = Route::new(project, logstore)?.with_topic("tracing-example");

    // The layer sends through a clone of the producer handle; it never waits: when the
    // producer's buffer is full it drops (and counts) events instead.
    let sls = SlsLayer::builder(producer.clone(), route)
        .with_location(true)
        .build();
    let shipping = sls.handle();
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(stderr)
        .with_filter(
            EnvFilter::builder()
                .with_default_directive(LevelFilter::INFO.into())
                .from_env_lossy(),
        );
    tracing_subscriber::registry()
        .with(sls.with_filter(LevelFilter::INFO))
        .with(stderr)
        .try_init()?;

    application().await;

    // Ship what is buffered and wait (at most 5 s) for every outcome.
    let report = producer.close(Some(Duration::from_secs(5))).await;
    Ok((report, shipping.stats()))
}

/// A tiny "service": a few requests, each in a span with its own fields.
async fn application() {
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "service started");
    for (id, user, path) in [
        (1_u64, "alice", "/orders"),
        (2, "bob", "/orders/17"),
        (3, "carol", "/admin"),
    ] {
        let span = tracing::info_span!("request", id, path);
        handle(user, path).instrument(span).await;
    }
    tracing::info!("service stopping");
}

#[tracing::instrument(name = "handler", skip(path))]
async fn handle(user: &str, path: &str) {
    tracing::debug!("not shipped: below the SLS layer's INFO filter");
    if path.starts_with("/admin") {
        let error = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "not an admin");
        tracing::error!(error = &error as &dyn Error, "request refused");
        return;
    }
    tracing::info!(items = path.len() as u64, cached = false, "request served");
}
