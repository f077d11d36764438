//! Accepted log groups and counters, shared by the server and its handle.

use core::time::Duration;
use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::config::StoreMode;
use super::received::ReceivedLogGroup;

/// Counters of one logstore.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogstoreStats {
    /// Accepted log groups (one per accepted request).
    pub log_groups: u64,
    /// Accepted logs.
    pub logs: u64,
    /// Uncompressed bytes of accepted bodies.
    pub raw_bytes: u64,
    /// Bytes of accepted bodies on the wire.
    pub wire_bytes: u64,
}

impl LogstoreStats {
    fn add(&mut self, size: GroupSize) {
        self.log_groups += 1;
        self.logs += size.logs as u64;
        self.raw_bytes += size.raw_bytes as u64;
        self.wire_bytes += size.wire_bytes as u64;
    }
}

/// What the counters learn from one accepted log group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GroupSize {
    /// Logs in the group.
    pub(crate) logs: usize,
    /// Bytes after decompression.
    pub(crate) raw_bytes: usize,
    /// Bytes on the wire.
    pub(crate) wire_bytes: usize,
}

/// One accepted data request, as the store takes it.
#[derive(Debug)]
pub(crate) enum Accepted {
    /// A decoded group: stored if the store keeps groups, counted either way.
    Group(Box<ReceivedLogGroup>),
    /// A group that was checked and counted but not decoded (counting mode with nobody
    /// observing groups).
    Counted {
        /// Project, from the Host header.
        project: String,
        /// Logstore, from the path.
        logstore: String,
        /// Its logs and bytes.
        size: GroupSize,
    },
}

/// A snapshot of the server's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Data requests received (PutLogs and web tracking; not preflights or control calls).
    pub requests: u64,
    /// Data requests answered 200.
    pub accepted: u64,
    /// Data requests answered with an error (checks and injected faults).
    pub rejected: u64,
    /// Data requests whose connection was dropped or reset by a fault.
    pub aborted: u64,
    /// Error answers by `errorCode`.
    pub errors: BTreeMap<String, u64>,
    /// Totals over every logstore.
    pub total: LogstoreStats,
    /// Counters per `(project, logstore)`.
    pub logstores: BTreeMap<(String, String), LogstoreStats>,
}

impl Stats {
    /// The counters of one logstore (zero if it received nothing).
    pub fn logstore(&self, project: &str, logstore: &str) -> LogstoreStats {
        self.logstores
            .get(&(project.to_owned(), logstore.to_owned()))
            .copied()
            .unwrap_or_default()
    }

    /// How many error answers carried `code`.
    pub fn errors_with_code(&self, code: &str) -> u64 {
        self.errors.get(code).copied().unwrap_or(0)
    }

    /// The JSON form served by `GET /_sls_local/stats`.
    pub fn to_json(&self) -> serde_json::Value {
        let counters = |s: &LogstoreStats| {
            serde_json::json!({
                "logGroups": s.log_groups,
                "logs": s.logs,
                "rawBytes": s.raw_bytes,
                "wireBytes": s.wire_bytes,
            })
        };
        let logstores: Vec<serde_json::Value> = self
            .logstores
            .iter()
            .map(|((p, l), s)| {
                let mut v = counters(s);
                v["project"] = p.as_str().into();
                v["logstore"] = l.as_str().into();
                v
            })
            .collect();
        serde_json::json!({
            "requests": self.requests,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "aborted": self.aborted,
            "errors": self.errors,
            "total": counters(&self.total),
            "logstores": logstores,
        })
    }
}

#[derive(Default)]
struct Inner {
    groups: Vec<Arc<ReceivedLogGroup>>,
    stats: Stats,
}

/// The server's memory: log groups (unless counting only) and counters.
pub(crate) struct Store {
    mode: StoreMode,
    inner: Mutex<Inner>,
    changed: Condvar,
    notify: Notify,
}

impl Store {
    pub(crate) fn new(mode: StoreMode) -> Self {
        Self {
            mode,
            inner: Mutex::new(Inner::default()),
            changed: Condvar::new(),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave counters half-updated in a way that
        // matters to a test server; keep serving.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn count_only(&self) -> bool {
        self.mode == StoreMode::CountOnly
    }

    pub(crate) fn request_started(&self) {
        self.lock().stats.requests += 1;
    }

    /// Count an accepted group, and keep it if it is decoded and this store keeps groups.
    pub(crate) fn accept(&self, accepted: Accepted) {
        let (key, size, group) = match accepted {
            Accepted::Group(g) => (
                (g.project.clone(), g.logstore.clone()),
                g.size(),
                Some(g).filter(|_| self.mode == StoreMode::Keep),
            ),
            Accepted::Counted {
                project,
                logstore,
                size,
            } => ((project, logstore), size, None),
        };
        {
            let mut inner = self.lock();
            let stats = &mut inner.stats;
            stats.accepted += 1;
            stats.total.add(size);
            stats.logstores.entry(key).or_default().add(size);
            if let Some(group) = group {
                inner.groups.push(Arc::from(group));
            }
        }
        self.changed.notify_all();
        self.notify.notify_waiters();
    }

    pub(crate) fn reject(&self, code: &str) {
        let mut inner = self.lock();
        inner.stats.rejected += 1;
        *inner.stats.errors.entry(code.to_owned()).or_default() += 1;
    }

    pub(crate) fn abort(&self) {
        self.lock().stats.aborted += 1;
    }

    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        inner.groups.clear();
        inner.stats = Stats::default();
    }

    pub(crate) fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    pub(crate) fn log_count(&self) -> u64 {
        self.lock().stats.total.logs
    }

    pub(crate) fn groups(&self) -> Vec<Arc<ReceivedLogGroup>> {
        self.lock().groups.clone()
    }

    pub(crate) async fn wait_for_logs(&self, n: u64) {
        loop {
            let notified = self.notify.notified();
            let mut notified = core::pin::pin!(notified);
            notified.as_mut().enable();
            if self.log_count() >= n {
                return;
            }
            notified.await;
        }
    }

    pub(crate) fn wait_for_logs_blocking(&self, n: u64, timeout: Duration) -> bool {
        let guard = self.lock();
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |inner| inner.stats.total.logs < n)
            .unwrap_or_else(PoisonError::into_inner);
        guard.stats.total.logs >= n
    }
}
