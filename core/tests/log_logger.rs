//! `SlsLogger` on the deterministic `sim` runtime: what a record becomes, what is never
//! shipped, drops, and the global installation.

use log::{Level, LevelFilter, Log as _, Record};
use sls_producer_core::Log;
use sls_producer_core::config::Compression;
use sls_producer_core::config::ProducerConfig;
use sls_producer_core::credentials::Credentials;
use sls_producer_core::engine::Route;
use sls_producer_core::integrations::log_logger::SlsLogger;
use sls_producer_core::producer::Producer;
use sls_producer_core::sim::SimRuntime;

fn config() -> ProducerConfig {
    ProducerConfig::new("http://127.0.0.1:8080")
        .with_generate_pack_id(false)
        .with_compression(Compression::None)
}

fn route() -> Route {
    Route::new("proj", "app").unwrap()
}

fn start(sim: &SimRuntime, config: &ProducerConfig) -> Producer {
    Producer::builder(config.clone())
        .with_credentials(Credentials::new("id", "secret"))
        .build_on(sim.runtime())
        .unwrap()
}

fn shipped(sim: &SimRuntime) -> Vec<Log> {
    sim.transport()
        .requests()
        .iter()
        .flat_map(|r| r.logs().unwrap())
        .collect()
}

fn pairs(log: &Log) -> Vec<(&str, &str)> {
    log.contents().collect()
}

fn emit(logger: &SlsLogger, level: Level, target: &str, message: core::fmt::Arguments<'_>) {
    logger.log(
        &Record::builder()
            .level(level)
            .target(target)
            .args(message)
            .build(),
    );
}

#[test]
fn a_record_becomes_one_log_with_its_key_values() {
    let sim = SimRuntime::new(1);
    let producer = start(&sim, &config());
    let logger = SlsLogger::builder(producer.clone(), route())
        .with_location(true)
        .build();
    let kvs: [(&str, &dyn log::kv::ToValue); 3] =
        [("user", &42), ("ok", &true), ("message", &"shadowed")];
    logger.log(
        &Record::builder()
            .level(Level::Warn)
            .target("my_app::auth")
            .file(Some("src/auth.rs"))
            .line(Some(17))
            .args(format_args!("login of {} failed", "bob"))
            .key_values(&kvs)
            .build(),
    );
    sim.block_on(producer.flush()).unwrap();
    let logs = shipped(&sim);
    assert_eq!(logs.len(), 1);
    assert_eq!(
        pairs(&logs[0]),
        [
            ("level", "WARN"),
            ("target", "my_app::auth"),
            ("location", "src/auth.rs:17"),
            ("message", "login of bob failed"),
            ("user", "42"),
            ("ok", "true"),
            ("field.message", "shadowed"),
        ]
    );
    assert_eq!(u64::from(logs[0].time()), producer.unix_time().as_secs());
}

#[test]
fn levels_above_the_maximum_and_ignored_targets_are_not_shipped() {
    let sim = SimRuntime::new(2);
    let producer = start(&sim, &config());
    let logger = SlsLogger::builder(producer.clone(), route())
        .max_level(LevelFilter::Info)
        .ignore_target("chatty")
        .build();
    let handle = logger.handle();
    emit(&logger, Level::Debug, "my_app", format_args!("too verbose"));
    emit(
        &logger,
        Level::Error,
        "sls_producer_tokio::transport",
        format_args!("own"),
    );
    emit(&logger, Level::Error, "rustls::client", format_args!("tls"));
    emit(&logger, Level::Error, "mio::poll", format_args!("io"));
    emit(
        &logger,
        Level::Error,
        "chatty::x",
        format_args!("configured"),
    );
    emit(&logger, Level::Info, "my_app", format_args!("shipped"));
    assert!(
        !logger.enabled(
            &log::Metadata::builder()
                .level(Level::Error)
                .target("hyper_util::client")
                .build()
        )
    );
    sim.block_on(producer.flush()).unwrap();
    let logs = shipped(&sim);
    assert_eq!(logs.len(), 1);
    assert_eq!(pairs(&logs[0])[2], ("message", "shipped"));
    assert_eq!(handle.stats().shipped, 1);
}

#[test]
fn records_logged_inside_a_delivery_callback_are_not_shipped() {
    let sim = SimRuntime::new(3);
    let producer = start(&sim, &config());
    let logger = std::sync::Arc::new(SlsLogger::builder(producer.clone(), route()).build());
    let in_callback = logger.clone();
    producer
        .send_tracked(&route(), Log::new(1).with_content("m", "direct"))
        .unwrap()
        .on_complete(move |_| {
            emit(
                &in_callback,
                Level::Error,
                "my_app",
                format_args!("callback"),
            );
        });
    sim.block_on(producer.flush()).unwrap();
    sim.block_on(producer.flush()).unwrap();
    assert_eq!(shipped(&sim).len(), 1);
    assert_eq!(logger.handle().stats().shipped, 0);
}

#[test]
fn flush_starts_sending_without_waiting_for_linger() {
    let sim = SimRuntime::new(4);
    let producer = start(&sim, &config());
    let logger = SlsLogger::builder(producer.clone(), route()).build();
    emit(&logger, Level::Info, "my_app", format_args!("one"));
    sim.run_until_stalled().unwrap();
    assert_eq!(sim.transport().request_count(), 0, "lingering");
    logger.flush();
    sim.run_until_stalled().unwrap();
    assert_eq!(sim.transport().request_count(), 1);
}

#[test]
fn a_full_buffer_drops_and_counts_records() {
    let sim = SimRuntime::new(5);
    let config = config().with_max_batch_bytes(1024).with_memory_budget(4096);
    let producer = start(&sim, &config);
    let logger = SlsLogger::builder(producer.clone(), route()).build();
    for i in 0..40 {
        emit(&logger, Level::Info, "my_app", format_args!("filler {i}"));
    }
    let stats = logger.handle().stats();
    assert!(stats.dropped_buffer_full > 0);
    assert_eq!(stats.shipped + stats.dropped_buffer_full, 40);
    sim.block_on(producer.flush()).unwrap();
    emit(&logger, Level::Info, "my_app", format_args!("after"));
    sim.block_on(producer.flush()).unwrap();
    let logs = shipped(&sim);
    let last_two: Vec<_> = logs[logs.len() - 2..]
        .iter()
        .map(|l| pairs(l)[2].1.to_owned())
        .collect();
    assert_eq!(
        last_two,
        [
            format!(
                "{} events were dropped before reaching SLS",
                stats.dropped_buffer_full
            ),
            "after".to_owned()
        ]
    );
}

#[test]
fn install_makes_it_the_global_logger() {
    let sim = SimRuntime::new(6);
    let producer = start(&sim, &config());
    let handle = SlsLogger::builder(producer.clone(), route())
        .max_level(LevelFilter::Debug)
        .build()
        .install()
        .unwrap();
    assert_eq!(log::max_level(), LevelFilter::Debug);
    log::debug!(request = 7; "through the facade");
    sim.block_on(producer.flush()).unwrap();
    let logs = shipped(&sim);
    assert_eq!(logs.len(), 1);
    assert_eq!(pairs(&logs[0])[2], ("message", "through the facade"));
    assert_eq!(pairs(&logs[0])[3], ("request", "7"));
    assert_eq!(handle.stats().shipped, 1);
    // A second logger cannot be installed.
    let other = SlsLogger::builder(producer, route()).build();
    assert!(other.install().is_err());
}
