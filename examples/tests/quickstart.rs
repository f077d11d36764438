//! The quickstart, scaled down, against its in-process local server: every log is
//! delivered and the summary adds up.

#[allow(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/quickstart.rs"]
mod quickstart;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_delivers_every_log_and_reports_it() {
    let target = quickstart::Target::local().await.unwrap();
    let summary = quickstart::run(&target, 20_000, false).await.unwrap();
    assert_eq!(summary.sent, 20_000);
    assert_eq!((summary.delivered, summary.failed), (20_000, 0));
    assert_eq!(summary.server_logs, Some(20_000));
    // At most 4096 logs per batch; nothing failed, so one request per batch.
    assert!(summary.batches >= 5, "{summary:?}");
    assert_eq!((summary.requests, summary.retries), (summary.batches, 0));
    assert!(summary.raw_bytes > summary.body_bytes && summary.body_bytes > 0);
    let printed = summary.to_string();
    assert!(
        printed.contains("20,000 sent, 20,000 delivered, 0 failed"),
        "{printed}"
    );
    assert!(printed.contains("(lz4, "), "{printed}");
    assert!(
        printed.contains("20,000 logs stored by the local SLS server"),
        "{printed}"
    );
    target.shutdown().await;
}
