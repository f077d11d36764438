//! `SlsLayer` on the deterministic `sim` runtime: what an event becomes, what is never
//! shipped, and how drops are counted and reported.

use core::time::Duration;

use sls_producer_core::Log;
use sls_producer_core::config::Compression;
use sls_producer_core::config::ProducerConfig;
use sls_producer_core::credentials::Credentials;
use sls_producer_core::engine::Route;
use sls_producer_core::integrations::tracing_layer::{SlsLayer, SlsLayerBuilder, SpanFields};
use sls_producer_core::producer::Producer;
use sls_producer_core::sim::{ScriptedReply, SimRuntime};
use tracing_subscriber::prelude::*;

fn config() -> ProducerConfig {
    ProducerConfig::new("http://127.0.0.1:8080")
        .with_generate_pack_id(false)
        .with_compression(Compression::None)
}

fn route() -> Route {
    Route::new("proj", "app").unwrap().with_topic("tracing")
}

fn start(sim: &SimRuntime, config: &ProducerConfig) -> Producer {
    Producer::builder(config.clone())
        .with_credentials(Credentials::new("id", "secret"))
        .build_on(sim.runtime())
        .unwrap()
}

/// Every log the transport received, in order.
fn shipped(sim: &SimRuntime) -> Vec<Log> {
    sim.transport()
        .requests()
        .iter()
        .flat_map(|r| r.logs().unwrap())
        .collect()
}

fn get<'a>(log: &'a Log, key: &str) -> Option<&'a str> {
    log.get(key)
}

fn keys(log: &Log) -> Vec<&str> {
    log.contents().map(|(k, _)| k).collect()
}

/// Run `f` with a subscriber made of `layer` only, on this thread.
fn with_layer<R>(layer: SlsLayer, f: impl FnOnce() -> R) -> R {
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, f)
}

fn layer(producer: &Producer) -> SlsLayerBuilder {
    SlsLayer::builder(producer.clone(), route())
}

#[test]
fn an_event_becomes_one_log_with_its_fields_and_span_context() {
    let sim = SimRuntime::new(1);
    let producer = start(&sim, &config());
    let layer = layer(&producer).with_location(true).build();
    let line = with_layer(layer, || {
        let outer = tracing::info_span!("request", id = 7_u64, path = "/login");
        let _outer = outer.enter();
        let inner = tracing::debug_span!("auth", user = tracing::field::Empty);
        let _inner = inner.enter();
        inner.record("user", "bob");
        let line = line!() + 1;
        tracing::warn!(
            attempts = 3_i64,
            locked = true,
            ratio = 0.5,
            "login of {} failed",
            "bob"
        );
        line
    });
    sim.block_on(producer.flush()).unwrap();

    let logs = shipped(&sim);
    assert_eq!(logs.len(), 1);
    let log = &logs[0];
    assert_eq!(
        keys(log),
        [
            "level",
            "target",
            "location",
            "message",
            "attempts",
            "locked",
            "ratio",
            "request.id",
            "request.path",
            "auth.user",
            "spans"
        ]
    );
    assert_eq!(get(log, "level"), Some("WARN"));
    assert_eq!(get(log, "target"), Some(module_path!()));
    assert_eq!(
        get(log, "location"),
        Some(format!("{}:{line}", file!()).as_str())
    );
    assert_eq!(get(log, "message"), Some("login of bob failed"));
    assert_eq!(get(log, "attempts"), Some("3"));
    assert_eq!(get(log, "locked"), Some("true"));
    assert_eq!(get(log, "ratio"), Some("0.5"));
    assert_eq!(get(log, "request.id"), Some("7"));
    assert_eq!(get(log, "request.path"), Some("/login"));
    assert_eq!(get(log, "auth.user"), Some("bob"));
    assert_eq!(get(log, "spans"), Some("request:auth"));
    // Stamped with the producer's (simulated) wall clock.
    let wall = producer.unix_time();
    assert_eq!(u64::from(log.time()), wall.as_secs());
}

/// A value whose `Debug` fails after writing part of itself.
struct Unformattable;

impl core::fmt::Debug for Unformattable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("half")?;
        Err(core::fmt::Error)
    }
}

#[test]
fn a_field_whose_debug_fails_is_recorded_as_such_and_the_others_are_kept() {
    let sim = SimRuntime::new(1);
    let producer = start(&sim, &config());
    with_layer(layer(&producer).build(), || {
        tracing::info!(bad = ?Unformattable, long = %"x".repeat(300), "event");
    });
    sim.block_on(producer.flush()).unwrap();

    let logs = shipped(&sim);
    assert_eq!(logs.len(), 1);
    assert_eq!(
        keys(&logs[0]),
        ["level", "target", "message", "bad", "long"]
    );
    assert_eq!(get(&logs[0], "bad"), Some("<formatting failed>"));
    assert_eq!(get(&logs[0], "long"), Some("x".repeat(300).as_str()));
}

#[test]
fn span_field_modes_and_reserved_names() {
    let sim = SimRuntime::new(2);
    let producer = start(&sim, &config());
    for mode in [SpanFields::Flat, SpanFields::NamesOnly, SpanFields::None] {
        let layer = layer(&producer).span_fields(mode).build();
        with_layer(layer, || {
            let span = tracing::info_span!("job", id = 1_u64);
            let _entered = span.enter();
            tracing::info!(level = "custom", spans = 2_u64, "x");
        });
    }
    sim.block_on(producer.flush()).unwrap();
    let logs = shipped(&sim);
    assert_eq!(logs.len(), 3);
    // Event fields named like the layer's own keys are renamed, never overwrite them.
    for log in &logs {
        assert_eq!(get(log, "level"), Some("INFO"));
        assert_eq!(get(log, "field.level"), Some("custom"));
        assert_eq!(get(log, "field.spans"), Some("2"));
    }
    assert_eq!(get(&logs[0], "id"), Some("1"));
    assert_eq!(get(&logs[0], "spans"), Some("job"));
    assert_eq!(get(&logs[1], "id"), None);
    assert_eq!(get(&logs[1], "spans"), Some("job"));
    assert_eq!(get(&logs[2], "id"), None);
    assert_eq!(get(&logs[2], "spans"), None);
}

#[test]
fn the_producers_own_and_the_transport_stacks_events_are_never_shipped() {
    let sim = SimRuntime::new(3);
    let producer = start(&sim, &config());
    let layer = layer(&producer).ignore_target("noisy").build();
    let handle = layer.handle();
    with_layer(layer, || {
        tracing::error!(target: "sls_producer_core::producer::diag", "own diagnostics");
        tracing::error!(target: "sls_producer_tokio", "runtime crate");
        tracing::error!(target: "hyper_util::client::legacy::pool", "pool");
        tracing::error!(target: "rustls::conn", "tls");
        tracing::error!(target: "noisy::inner", "configured");
        tracing::error!(target: "noisy_neighbour", "configured sibling");
        tracing::error!(target: "hyperdrive", "not the hyper crate");
        tracing::error!(target: "my_app", "application");
    });
    sim.block_on(producer.flush()).unwrap();
    let targets: Vec<_> = shipped(&sim)
        .iter()
        .map(|l| get(l, "target").unwrap().to_owned())
        .collect();
    assert_eq!(targets, ["hyperdrive", "my_app"]);
    assert_eq!(handle.stats().shipped, 2);
    assert_eq!(handle.stats().dropped(), 0);
}

#[test]
fn clearing_the_default_ignore_list_keeps_the_producers_own_targets_ignored() {
    let sim = SimRuntime::new(4);
    let producer = start(&sim, &config());
    let layer = layer(&producer)
        .ignored_targets(Vec::<&'static str>::new())
        .build();
    with_layer(layer, || {
        tracing::info!(target: "hyper", "now shipped");
        tracing::info!(target: "sls_producer_core::producer", "still not");
    });
    sim.block_on(producer.flush()).unwrap();
    let logs = shipped(&sim);
    assert_eq!(logs.len(), 1);
    assert_eq!(get(&logs[0], "target"), Some("hyper"));
}

#[test]
fn events_raised_while_the_driver_runs_are_not_shipped_and_failures_do_not_loop() {
    let sim = SimRuntime::new(5);
    // Two failures: the driver raises its own WARN events while it handles them.
    sim.transport().push_replies([
        ScriptedReply::sls_error(503, "ServerBusy", "busy"),
        ScriptedReply::sls_error(500, "InternalServerError", "oops"),
    ]);
    let producer = start(&sim, &config());
    let layer = layer(&producer).build();
    let handle = layer.handle();
    with_layer(layer, || {
        producer
            .send_tracked(&route(), Log::new(1).with_content("m", "direct"))
            .unwrap()
            .on_complete(|r| {
                // A callback runs on the driver: its events are not shipped back.
                tracing::error!(delivered = r.is_success(), "callback");
            });
        tracing::info!("application event");
        sim.block_on(producer.flush()).unwrap();
        // Let any (wrongly) shipped diagnostics go out too.
        sim.run_for(Duration::from_secs(10)).unwrap();
        sim.block_on(producer.flush()).unwrap();
    });
    let logs = shipped(&sim);
    let messages: Vec<_> = logs
        .iter()
        .filter_map(|l| get(l, "message").or(get(l, "m")))
        .collect();
    // The batch was sent three times (two failures, one success), and nothing else was.
    assert_eq!(
        messages,
        [
            "direct",
            "application event",
            "direct",
            "application event",
            "direct",
            "application event"
        ]
    );
    assert_eq!(handle.stats().shipped, 1);
    assert_eq!(producer.metrics().retries, 2);
}

#[test]
fn a_full_buffer_drops_events_counts_them_and_reports_them_once_there_is_room() {
    let sim = SimRuntime::new(6);
    let config = config().with_max_batch_bytes(1024).with_memory_budget(4096);
    let producer = start(&sim, &config);
    let layer = layer(&producer).build();
    let handle = layer.handle();
    let (dropped, shipped_before) = with_layer(layer, || {
        // The driver is not polled: nothing leaves, the budget fills up. Each event is
        // smaller than the drop report, so once one is refused the report is too.
        for i in 0..40 {
            tracing::info!(i, "filler");
        }
        let stats = handle.stats();
        assert!(stats.shipped >= 1 && stats.shipped < 40, "{stats:?}");
        let dropped = 40 - stats.shipped;
        assert_eq!(stats.dropped_buffer_full, dropped);
        assert_eq!(stats.dropped(), dropped);
        assert_eq!(stats.drops_reported, 0);

        // Deliver what was accepted; the next event is preceded by the drop report.
        sim.block_on(producer.flush()).unwrap();
        let shipped_before = shipped(&sim).len();
        tracing::info!("after");
        sim.block_on(producer.flush()).unwrap();
        (dropped, shipped_before)
    });
    let logs = shipped(&sim);
    let new = &logs[shipped_before..];
    assert_eq!(new.len(), 2);
    assert_eq!(get(&new[0], "level"), Some("WARN"));
    assert_eq!(
        get(&new[0], "target"),
        Some("sls_producer_core::producer::diag")
    );
    assert_eq!(
        get(&new[0], "message"),
        Some(format!("{dropped} events were dropped before reaching SLS").as_str())
    );
    assert_eq!(get(&new[0], "dropped"), Some(dropped.to_string().as_str()));
    assert_eq!(get(&new[1], "message"), Some("after"));
    let stats = handle.stats();
    assert_eq!(stats.drops_reported, dropped);
    assert_eq!(stats.shipped, 40 - dropped + 1);
}

#[test]
fn events_after_close_are_dropped_as_closed() {
    let sim = SimRuntime::new(7);
    let producer = start(&sim, &config());
    let layer = layer(&producer).build();
    let handle = layer.handle();
    with_layer(layer, || {
        tracing::info!("before");
        let report = sim.block_on(producer.close(None)).unwrap();
        assert_eq!(report.delivered_logs, 1);
        tracing::info!("after close");
    });
    let stats = handle.stats();
    assert_eq!((stats.shipped, stats.dropped_closed), (1, 1));
    assert_eq!(shipped(&sim).len(), 1);
}
