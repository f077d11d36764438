//! The tokio and smol examples: the same producer code, and it delivers every log on
//! both runtimes.

#[allow(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/smol.rs"]
mod smol_example;
#[allow(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/tokio.rs"]
mod tokio_example;

use sls_producer_core::Metrics;
use sls_producer_examples::Destination;

/// What an example sends: 100 ticks, a `send_parts`, a sharded send, a callback, an
/// awaited send and one from a plain thread.
const SENT: u64 = 105;

fn assert_everything_delivered(metrics: &Metrics) {
    assert_eq!(metrics.accepted_logs, SENT, "{metrics:?}");
    assert_eq!(metrics.delivered_logs, SENT, "{metrics:?}");
    assert_eq!(metrics.failed_logs, 0, "{metrics:?}");
}

/// The part of an example after its marker line.
fn producer_code(example: &str) -> &str {
    let marker = "// ── From here on this file is the same";
    let start = example.find(marker).expect("the marker line");
    &example[start..]
}

#[test]
fn the_examples_share_their_producer_code_line_for_line() {
    let tokio = include_str!("../examples/tokio.rs");
    let smol = include_str!("../examples/smol.rs");
    assert_eq!(producer_code(tokio), producer_code(smol));
    assert!(producer_code(tokio).contains("Producer::builder(config)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tokio_example_delivers_every_log() {
    let destination = Destination::local().unwrap();
    let metrics = tokio_example::run(&destination).await.unwrap();
    assert_everything_delivered(&metrics);
    destination.finish();
}

#[test]
fn the_smol_example_delivers_every_log() {
    let destination = Destination::local().unwrap();
    let metrics = smol::block_on(smol_example::run(&destination)).unwrap();
    assert_everything_delivered(&metrics);
    destination.finish();
}
