//! Ship logs to SLS from a tokio application.
//!
//! ```sh
//! cargo run -p sls-producer-examples --example tokio
//! ```
//!
//! Without `SLS_ENDPOINT` the logs go to a local SLS server started in-process; see the
//! crate docs for the variables that select the real service. `examples/smol.rs` is the
//! same program on smol: only the `use` line of the runtime crate and `main` differ.

use core::error::Error;
use core::time::Duration;

use sls_producer_examples::{Destination, exit_with};
use sls_producer_tokio::{
    Log, LogParts, Metrics, Producer, ProducerBuilderExt as _, ProducerConfig, Route, ShardKey,
};

#[tokio::main]
async fn main() {
    // Errors are printed as sentences (with their causes), not as `Debug`.
    if let Err(e) = try_main().await {
        exit_with(&*e);
    }
}

async fn try_main() -> Result<(), Box<dyn Error>> {
    let destination = Destination::from_env_or_local()?;
    run(&destination).await?;
    destination.finish();
    Ok(())
}

// ── From here on this file is the same, line for line, as examples/smol.rs and
// ── examples/tokio.rs: the producer code does not depend on the runtime.

/// Ship a few logs every way the producer offers; the final metrics.
pub(crate) async fn run(destination: &Destination) -> Result<Metrics, Box<dyn Error>> {
    let config = ProducerConfig::new(&destination.endpoint).with_linger(Duration::from_millis(200));
    // The driver runs on this program's runtime; `producer` is a cheap, cloneable handle.
    let producer = Producer::builder(config)
        .with_credentials(destination.credentials.clone())
        .build()?;
    let route = Route::new(&destination.project, &destination.logstore)?.with_topic("example");
    // Logs stamped with the runtime's wall clock.
    let log = |msg: &str| Log::from_unix_time(producer.unix_time()).with_content("msg", msg);

    // Fire and forget: returns at once; logs are batched, compressed, signed and retried.
    // A `Log` keeps its pairs in one buffer; `push_fmt` formats a value straight into it.
    for n in 0..100 {
        let mut tick = log("tick");
        tick.push_fmt("n", format_args!("{n}"))?;
        producer.send(&route, tick)?;
    }
    // Borrowed pairs, no allocation at all; a topic for this log only.
    let pairs = [("msg", "login"), ("user", "alice")];
    let parts = LogParts::from_unix_time(producer.unix_time(), &pairs).with_topic("auth");
    producer.send_parts(&route, parts)?;
    // A route to one shard (the Go producer's HashSendLog): build it once, reuse it.
    let orders = route
        .clone()
        .with_topic("orders")
        .with_shard_key(ShardKey::from_hash("user-42"));
    producer.send(&orders, log("order placed"))?;
    // The outcome of one send, to a callback ...
    producer
        .send_tracked(&route, log("with a callback"))?
        .on_complete(|result| {
            println!("callback: delivered = {}", result.is_success());
        });
    // ... or awaited (this send first waits for room if the memory budget is full).
    let outcome = producer
        .send_async(&route, log("awaited"))
        .tracked()
        .await?
        .await;
    println!(
        "awaited: delivered = {} after {} attempt(s)",
        outcome.is_success(),
        outcome.attempt_count
    );
    // A plain thread (no runtime) blocks instead, as the Go producer's SendLog does.
    let (from_thread, thread_route) = (producer.clone(), route.clone());
    let thread = std::thread::spawn(move || {
        let log = Log::from_unix_time(from_thread.unix_time()).with_content("msg", "from a thread");
        let sent = from_thread.send_blocking(&thread_route, log).map(drop);
        sent.map_err(|e| e.to_string())?;
        from_thread.flush_blocking().map_err(|e| e.to_string())
    });
    thread.join().expect("the thread ran")?;

    // Close: whatever is not delivered within 5 s is handed back to its handle or callback.
    let metrics = producer.close(Some(Duration::from_secs(5))).await;
    println!(
        "closed: {} delivered, {} failed, {} handed back",
        metrics.delivered_logs, metrics.failed_logs, metrics.handed_back_logs
    );
    Ok(metrics)
}
