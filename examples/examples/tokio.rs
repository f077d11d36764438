//! Ship logs to SLS from a tokio application.
//!
//! ```sh
//! cargo run -p sls-producer-examples --example tokio
//! ```
//!
//! Without `SLS_ENDPOINT` the logs go to a local SLS server started in-process; see the
//! crate docs for the variables that select the real service.

use core::error::Error;
use core::time::Duration;

use sls_producer_examples::Destination;
use sls_producer_tokio::{Log, Producer, ProducerConfig, Route};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let destination = Destination::from_env_or_local()?;
    let config = ProducerConfig::new(&destination.endpoint).with_linger(Duration::from_millis(200));
    // The driver is spawned on this runtime; `producer` is a cheap, cloneable handle.
    let producer = Producer::builder(config)
        .with_credentials(destination.credentials.clone())
        .build()?;
    let route = Route::new(&destination.project, &destination.logstore)?.with_topic("example");
    // Logs stamped with the runtime's wall clock.
    let log = |msg: &str| Log::from_unix_time(producer.unix_time()).with_content("msg", msg);

    // Fire and forget: returns at once; logs are batched, compressed, signed and retried.
    for n in 0..100 {
        producer.send(&route, log("tick").with_content("n", n.to_string()))?;
    }
    // A `Log` keeps its pairs in one buffer (one allocation) and is copied into its batch
    // as it is; `push_fmt` formats a value in place, without a `String` of its own.
    for n in 0..100 {
        let mut hot = log("hot");
        hot.push_fmt("n", format_args!("{n}"))?;
        producer.send(&route, hot)?;
    }
    // Per-call topic, source and shard hash (Go's HashSendLog).
    producer.send_with(
        &route,
        "orders",
        "10.0.0.7",
        Some("user-42"),
        log("order placed"),
    )?;
    // A callback, run once with the outcome.
    producer.send_with_callback(&route, log("with callback"), |result| {
        println!("callback: delivered = {}", result.is_success());
    })?;
    // An awaitable handle.
    let outcome = producer.send_with_handle(&route, log("awaited"))?.await;
    println!(
        "handle: delivered = {} after {} attempt(s)",
        outcome.is_success(),
        outcome.attempt_count
    );

    // A plain thread (no runtime) can send and wait too.
    let from_thread = producer.clone();
    let thread_route = route.clone();
    std::thread::spawn(move || {
        let log = Log::from_unix_time(from_thread.unix_time()).with_content("msg", "from a thread");
        from_thread.send(&thread_route, log).expect("accepted");
        from_thread
            .flush_blocking()
            .expect("a plain thread may block");
    })
    .join()
    .expect("the thread ran");

    // Close: whatever is not delivered within 5 s is handed back to its callback or handle.
    let report = producer.close(Some(Duration::from_secs(5))).await;
    println!(
        "closed: {} delivered, {} failed, {} handed back",
        report.delivered_logs, report.failed_logs, report.handed_back_logs
    );
    destination.finish();
    Ok(())
}
