//! What an application pays per event for the `tracing` layer and the `log` logger: the
//! event's fields written into a log and the log sent to a producer whose driver runs on
//! its own thread (as in the `send` bench). Events are timed in chunks; when the memory
//! budget is more than half full the bench waits, untimed, for the driver.
//!
//! `cargo bench -p sls-producer-core --bench ship --features tracing-layer,log`

// Real time is what a benchmark measures.
#![allow(clippy::disallowed_methods)]

use core::time::Duration;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use log::Log as _;
use sls_producer_core::engine::Route;
use sls_producer_core::integrations::log_logger::SlsLogger;
use sls_producer_core::integrations::tracing_layer::SlsLayer;
use sls_producer_core::producer::Producer;
use tracing_subscriber::prelude::*;

#[allow(dead_code, reason = "shared by several benches, each uses a part")]
mod support;

use support::{spawn_producer, timed_in_chunks};

/// Time `iters` calls of `event(n)`, waiting (untimed) for room between chunks.
fn timed(producer: &Producer, iters: u64, mut event: impl FnMut(u64)) -> Duration {
    timed_in_chunks(producer, iters, |first, n| {
        let start = Instant::now();
        (first..first + n).for_each(&mut event);
        start.elapsed()
    })
}

fn route() -> Route {
    Route::new("bench-project", "bench-logstore")
        .expect("valid names")
        .with_topic("app")
}

fn ship(c: &mut Criterion) {
    let mut group = c.benchmark_group("ship");
    group.throughput(Throughput::Elements(1));
    let (producer, driver) = spawn_producer();

    // A typical event: a formatted message, a string, an integer and a `Debug` value.
    let layer = SlsLayer::builder(producer.clone(), route()).build();
    let handle = layer.handle();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        group.bench_function("tracing_event", |b| {
            b.iter_custom(|iters| {
                timed(&producer, iters, |n| {
                    tracing::info!(
                        user = "alice",
                        attempt = n,
                        elapsed = ?Duration::from_micros(n % 5000),
                        "request {n} handled"
                    );
                })
            });
        });
    });
    assert_eq!(handle.stats().dropped(), 0, "every event was shipped");

    // The same through the `log` logger (called directly, not installed globally).
    let logger = SlsLogger::builder(producer.clone(), route()).build();
    let handle = logger.handle();
    group.bench_function("log_record", |b| {
        b.iter_custom(|iters| {
            timed(&producer, iters, |n| {
                let elapsed = Duration::from_micros(n % 5000);
                let kvs: [(&str, log::kv::Value<'_>); 3] = [
                    ("user", log::kv::Value::from("alice")),
                    ("attempt", log::kv::Value::from(n)),
                    ("elapsed", log::kv::Value::from_debug(&elapsed)),
                ];
                logger.log(
                    &log::Record::builder()
                        .level(log::Level::Info)
                        .target("bench")
                        .args(format_args!("request {n} handled"))
                        .key_values(&kvs)
                        .build(),
                );
            })
        });
    });
    assert_eq!(handle.stats().dropped(), 0, "every record was shipped");
    group.finish();
    // The driver ends once every producer handle is gone (the layer's went with the
    // subscriber).
    drop((logger, producer));
    driver.join().expect("driver thread");
}

criterion_group!(benches, ship);
criterion_main!(benches);
