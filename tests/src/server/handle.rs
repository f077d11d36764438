//! A running server: its address, what it received, its fault controls, and stopping it.

use core::fmt;
use core::net::SocketAddr;
use core::time::Duration;
use std::sync::Arc;

use sls_producer_core::Log;
use sls_producer_core::credentials::Credentials;
use tokio::sync::{oneshot, watch};

use super::builder::LocalSlsBuilder;
use super::config::LogstoreOptions;
use super::faults::Faults;
use super::received::ReceivedLogGroup;
use super::service::Shared;
use super::store::Stats;

/// A running local SLS server. Dropping it stops the server (without waiting).
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use sls_producer_tests::server::{LocalSls, LogstoreOptions};
///
/// let sls = LocalSls::builder()
///     .logstore("p", "ls", LogstoreOptions::default())
///     .access_key("id", "secret")
///     .start()
///     .await?;
/// // point a producer at sls.endpoint() with project "p" ...
/// sls.wait_for_logs(10).await;
/// assert_eq!(sls.log_groups("p", "ls")[0].topic(), "");
/// sls.shutdown().await;
/// # Ok(()) }
/// ```
pub struct LocalSls {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    done: Option<oneshot::Receiver<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LocalSls {
    /// Configure a server.
    pub fn builder() -> LocalSlsBuilder {
        LocalSlsBuilder::default()
    }

    pub(crate) fn new(
        shared: Arc<Shared>,
        addr: SocketAddr,
        stop: watch::Sender<bool>,
        done: oneshot::Receiver<()>,
        thread: Option<std::thread::JoinHandle<()>>,
    ) -> Self {
        Self {
            shared,
            addr,
            stop,
            done: Some(done),
            thread,
        }
    }

    /// The bound address (127.0.0.1 and the chosen port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The endpoint to give a producer: `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `Host` header that names `project` on this server: `project.127.0.0.1:PORT`.
    pub fn host_for(&self, project: &str) -> String {
        format!("{project}.{}", self.addr)
    }

    /// Every accepted log group so far, in arrival order (empty in counting mode).
    pub fn received(&self) -> Vec<ReceivedLogGroup> {
        self.shared
            .store
            .groups()
            .iter()
            .map(|g| (**g).clone())
            .collect()
    }

    /// The accepted log groups of one logstore, in arrival order.
    pub fn log_groups(&self, project: &str, logstore: &str) -> Vec<ReceivedLogGroup> {
        self.shared
            .store
            .groups()
            .iter()
            .filter(|g| g.project == project && g.logstore == logstore)
            .map(|g| (**g).clone())
            .collect()
    }

    /// The accepted logs of one logstore, in arrival order, flattened out of their groups.
    pub fn logs(&self, project: &str, logstore: &str) -> Vec<Log> {
        self.shared
            .store
            .groups()
            .iter()
            .filter(|g| g.project == project && g.logstore == logstore)
            .flat_map(|g| g.log_group.logs.iter().cloned())
            .collect()
    }

    /// Accepted logs over all logstores (also in counting mode).
    pub fn log_count(&self) -> u64 {
        self.shared.store.log_count()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.store.stats()
    }

    /// The fault controls.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Forget stored log groups and counters (faults are kept).
    pub fn clear(&self) {
        self.shared.store.clear();
    }

    /// Add a logstore (and its project) while running.
    pub fn add_logstore(&self, project: &str, logstore: &str, opts: LogstoreOptions) {
        self.shared.registry.add_logstore(project, logstore, opts);
    }

    /// Accept more credentials while running (an STS refresh, say). Replaces any with the
    /// same AccessKey id.
    pub fn add_credentials(&self, c: Credentials) {
        self.shared.keyring.insert(c);
    }

    /// Wait until at least `n` logs have been accepted (runs on any executor; wrap it in
    /// your own timeout).
    pub async fn wait_for_logs(&self, n: u64) {
        self.shared.store.wait_for_logs(n).await;
    }

    /// Block the thread until at least `n` logs have been accepted or `timeout` passes;
    /// `true` if they were.
    pub fn wait_for_logs_blocking(&self, n: u64, timeout: Duration) -> bool {
        self.shared.store.wait_for_logs_blocking(n, timeout)
    }

    /// Stop accepting connections, let requests in flight finish, and wait until the
    /// server is down.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }

    /// [`LocalSls::shutdown`] for blocking callers. Do not call it from inside the tokio
    /// runtime a [`LocalSlsBuilder::start`]ed server runs on.
    pub fn shutdown_blocking(mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        } else if let Some(done) = self.done.take() {
            let _ = done.blocking_recv();
        }
    }
}

impl Drop for LocalSls {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl fmt::Debug for LocalSls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSls")
            .field("addr", &self.addr)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
