//! The `tracing` example, run against a local SLS server: the events it raises arrive
//! with their fields and span context, and nothing of the producer's own does.

use std::io;
use std::sync::{Arc, Mutex};

use sls_producer_core::Log;
use sls_producer_core::credentials::Credentials;
use sls_producer_tests::server::LocalSls;
use tracing_subscriber::fmt::MakeWriter;

#[allow(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/tracing.rs"]
mod example;

/// What the example's stderr layer wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl MakeWriter<'_> for Captured {
    type Writer = Self;

    fn make_writer(&self) -> Self {
        self.clone()
    }
}

fn get<'a>(log: &'a Log, key: &str) -> Option<&'a str> {
    log.get(key)
}

#[tokio::test]
async fn the_tracing_example_ships_its_events_to_the_local_server() {
    let stderr = Captured::default();
    let sls = LocalSls::builder()
        .auto_create(true)
        .access_key("example-id", "example-secret")
        .start()
        .await
        .unwrap();
    let (report, shipped) = example::run(
        &sls.endpoint(),
        Credentials::new("example-id", "example-secret"),
        "tracing-project",
        "events",
        stderr.clone(),
    )
    .await
    .unwrap();
    // The stderr layer printed the example's events, the refused request as an ERROR
    // (into this buffer: a passing test prints no ERROR line).
    let printed = String::from_utf8(stderr.0.lock().unwrap().clone()).unwrap();
    assert!(
        printed
            .lines()
            .any(|l| l.contains("ERROR") && l.contains("request refused")),
        "{printed}"
    );
    assert_eq!((shipped.shipped, shipped.dropped()), (5, 0));
    assert_eq!((report.delivered_logs, report.failed_logs), (5, 0));

    let logs = sls.logs("tracing-project", "events");
    let messages: Vec<_> = logs.iter().map(|l| get(l, "message").unwrap()).collect();
    assert_eq!(
        messages,
        [
            "service started",
            "request served",
            "request served",
            "request refused",
            "service stopping"
        ]
    );
    assert!(
        logs.iter()
            .all(|l| get(l, "target") == Some("tracing_example::example"))
    );
    let refused = &logs[3];
    assert_eq!(get(refused, "level"), Some("ERROR"));
    assert_eq!(get(refused, "error"), Some("not an admin"));
    assert_eq!(get(refused, "spans"), Some("request:handler"));
    assert_eq!(get(refused, "request.id"), Some("3"));
    assert_eq!(get(refused, "request.path"), Some("/admin"));
    assert_eq!(get(refused, "handler.user"), Some("carol"));
    // The line of the example's `error!` call (the only "request refused").
    let line = 1 + include_str!("../examples/tracing.rs")
        .lines()
        .position(|l| l.contains("\"request refused\""))
        .expect("the example refuses a request");
    assert!(
        get(refused, "location")
            .unwrap()
            .ends_with(&format!("examples/tracing.rs:{line}")),
        "{refused:?}"
    );
    let served = &logs[1];
    assert_eq!(get(served, "items"), Some("7"));
    assert_eq!(get(served, "cached"), Some("false"));
    assert!(
        sls.log_groups("tracing-project", "events")
            .iter()
            .all(|g| g.topic() == "tracing-example")
    );
}
