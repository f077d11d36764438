//! What every suite case shares: the server's keys, producer settings that keep the
//! cases short, numbered logs, and hang guards.

use core::future::Future;
use core::time::Duration;
use std::collections::BTreeMap;

use futures_util::future::{Either, select};
use sls_producer_core::{Credentials, CredentialsSource, Log, ProducerConfig};

use super::RuntimeUnderTest;
use crate::server::{LocalSls, LocalSlsBuilder};

/// The AccessKey the suite's servers accept.
pub(crate) const KEY_ID: &str = "suite-key-id";
const KEY_SECRET: &str = "suite-key-secret";

/// Log time of every suite log (the server checks request dates, not log times).
pub(crate) const LOG_TIME: u32 = 1_700_000_000;

/// A strict server (signatures checked) that knows the suite's AccessKey.
pub(crate) fn strict_server() -> LocalSlsBuilder {
    LocalSls::builder().access_key(KEY_ID, KEY_SECRET)
}

/// The suite's static credentials.
pub(crate) fn credentials() -> CredentialsSource {
    Credentials::new(KEY_ID, KEY_SECRET).into()
}

/// A producer configuration for `endpoint` that batches briefly and retries quickly, so
/// that fault cases finish in well under a second of backoff.
pub(crate) fn quick_config(endpoint: &str) -> ProducerConfig {
    ProducerConfig::new(endpoint)
        .with_linger(Duration::from_millis(10))
        .with_retry_backoff(Duration::from_millis(5), Duration::from_millis(100))
        .with_connect_timeout(Duration::from_secs(2))
        .with_request_timeout(Duration::from_secs(5))
}

/// Log number `n` of sender `sender`: an `id` field that tells it apart, and a message.
pub(crate) fn numbered_log(sender: &str, n: usize) -> Log {
    Log::new(LOG_TIME)
        .with_content("id", format!("{sender}-{n}"))
        .with_content("msg", "the quick brown fox jumps over the lazy dog")
}

/// The `id` field of a suite log.
pub(crate) fn id_of(log: &Log) -> &str {
    log.get("id").unwrap_or("")
}

/// How many times the server stored each log id of `project`/`logstore`.
pub(crate) fn stored_ids(sls: &LocalSls, project: &str, logstore: &str) -> BTreeMap<String, u32> {
    let mut ids = BTreeMap::new();
    for log in sls.logs(project, logstore) {
        *ids.entry(id_of(&log).to_owned()).or_insert(0) += 1;
    }
    ids
}

/// `future`'s output; panics naming `what` if it takes longer than `limit` (a hang guard,
/// not a timing assertion: limits are many times what the work needs).
pub(crate) async fn within<R, F>(rt: &R, limit: Duration, what: &str, future: F) -> F::Output
where
    R: RuntimeUnderTest,
    F: Future,
{
    let future = Box::pin(future);
    match select(future, rt.sleep(limit)).await {
        Either::Left((output, _)) => output,
        Either::Right(((), _)) => panic!("[{}] {what} did not finish within {limit:?}", rt.name()),
    }
}

/// A local port with nothing listening on it (bound, then released).
pub(crate) fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("a bound address").port()
}

/// A wall-clock stopwatch for the figures the suite prints (never asserted).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stopwatch(std::time::Instant);

impl Stopwatch {
    pub(crate) fn start() -> Self {
        // Test harness code, not the producer: it times itself for a printed figure.
        #[allow(clippy::disallowed_methods)]
        Self(std::time::Instant::now())
    }

    pub(crate) fn elapsed(self) -> Duration {
        #[allow(clippy::disallowed_methods)]
        self.0.elapsed()
    }
}
