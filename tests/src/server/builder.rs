//! Configuring and starting a server.

use core::fmt;
use core::net::{Ipv4Addr, SocketAddr};
use core::num::NonZeroU32;
use std::io;
use std::sync::Arc;

use sls_producer_core::credentials::Credentials;
use sls_producer_core::rt::UnixTime;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use super::auth::Keyring;
use super::buffers::RawBuffers;
use super::clock::{ServerClock, SystemClock};
use super::config::{AuthMode, Limits, LogstoreOptions, StoreMode};
use super::depth::DeepChecks;
use super::faults::Faults;
use super::handle::LocalSls;
use super::listener::serve;
use super::received::ReceivedLogGroup;
use super::registry::Registry;
use super::request_id::RequestIds;
use super::service::{Observer, Shared};
use super::store::Store;

/// Settings of a [`LocalSls`], built with `with`-style setters; [`LocalSls::builder`]
/// starts one.
///
/// Defaults: an ephemeral port on 127.0.0.1, no projects, strict authentication with no
/// keys, [`Limits::SLS`], every log group kept, every request checked deeply, the system
/// clock, endpoint hosts `127.0.0.1` and `localhost`.
pub struct LocalSlsBuilder {
    port: u16,
    projects: Vec<String>,
    logstores: Vec<(String, String, LogstoreOptions)>,
    auto_create: bool,
    auth_mode: AuthMode,
    credentials: Vec<Credentials>,
    limits: Limits,
    store_mode: StoreMode,
    deep_check_every: NonZeroU32,
    clock: Arc<dyn ServerClock>,
    endpoint_hosts: Vec<String>,
    faults: Faults,
    observer: Option<Observer>,
    worker_threads: usize,
}

impl Default for LocalSlsBuilder {
    fn default() -> Self {
        Self {
            port: 0,
            projects: Vec::new(),
            logstores: Vec::new(),
            auto_create: false,
            auth_mode: AuthMode::Strict,
            credentials: Vec::new(),
            limits: Limits::SLS,
            store_mode: StoreMode::Keep,
            deep_check_every: NonZeroU32::MIN,
            clock: Arc::new(SystemClock),
            endpoint_hosts: vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
            faults: Faults::default(),
            observer: None,
            worker_threads: 2,
        }
    }
}

impl LocalSlsBuilder {
    /// Listen on this port of 127.0.0.1 (`0`, the default, picks a free one).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Add a project (without logstores: writes get `LogStoreNotExist`).
    #[must_use]
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.projects.push(project.into());
        self
    }

    /// Add a logstore (and its project).
    #[must_use]
    pub fn logstore(
        mut self,
        project: impl Into<String>,
        logstore: impl Into<String>,
        opts: LogstoreOptions,
    ) -> Self {
        self.logstores.push((project.into(), logstore.into(), opts));
        self
    }

    /// Create unknown projects and logstores (web tracking enabled) on first use instead of
    /// answering `ProjectNotExist` / `LogStoreNotExist`.
    #[must_use]
    pub fn auto_create(mut self, yes: bool) -> Self {
        self.auto_create = yes;
        self
    }

    /// Accept this AccessKey (signature v1 and v4).
    #[must_use]
    pub fn access_key(self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        let secret: String = secret.into();
        self.credentials(Credentials::new(id.into(), secret))
    }

    /// Accept these STS credentials: requests must carry `x-acs-security-token: token`;
    /// after `expires_at` (server clock) they get `401 SecurityTokenExpired`.
    #[must_use]
    pub fn sts_token(
        self,
        id: impl Into<String>,
        secret: impl Into<String>,
        token: impl Into<String>,
        expires_at: Option<UnixTime>,
    ) -> Self {
        let secret: String = secret.into();
        let token: String = token.into();
        let mut c = Credentials::new(id.into(), secret).with_security_token(token);
        c.expiration = expires_at;
        self.credentials(c)
    }

    /// Accept these credentials (an AccessKey, or STS when they carry a token).
    #[must_use]
    pub fn credentials(mut self, c: Credentials) -> Self {
        self.credentials.push(c);
        self
    }

    /// Do not check signatures (the quickstart's "any AccessKey" mode).
    #[must_use]
    pub fn accept_any_access_key(mut self) -> Self {
        self.auth_mode = AuthMode::AcceptAny;
        self
    }

    /// Request limits.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Keep log groups, or only count them.
    #[must_use]
    pub fn store_mode(mut self, mode: StoreMode) -> Self {
        self.store_mode = mode;
        self
    }

    /// In counting mode, check only one PutLogs request in `n` deeply (default: every
    /// one): the first, then the (n+1)th, the (2n+1)th… counted per server over every
    /// PutLogs request that gets past injected faults and the rate limit, accepted or not.
    ///
    /// The other requests skip the two costliest checks: the body digest is required
    /// (`Content-MD5` on a v1 request with a body, `x-log-content-sha256` on v4) but not
    /// compared with the body, and only the `LogGroup`'s own fields are walked, to count
    /// its logs, so a fault inside a log (a missing `Time`, a value that is not UTF-8)
    /// passes. Every request is still authenticated (the signature covers the digest
    /// header), its headers, sizes and limits checked, its body decompressed to the
    /// declared `x-log-bodyrawsize`, and its logs counted exactly.
    ///
    /// For a benchmark that wants the count and a producer's bad requests caught at a
    /// fraction of the server's CPU. It applies only when groups are not decoded: in
    /// [`StoreMode::Keep`] or with an observer ([`LocalSlsBuilder::on_log_group`]) every
    /// request is checked deeply. Web tracking requests are always checked deeply.
    #[must_use]
    pub fn deep_check_every(mut self, n: NonZeroU32) -> Self {
        self.deep_check_every = n;
        self
    }

    /// The clock for request skew, token expiry and rate-limit windows.
    #[must_use]
    pub fn clock(mut self, clock: impl ServerClock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Also recognise `{project}.{host}` for this endpoint host (e.g.
    /// `cn-hangzhou.log.aliyuncs.com`), besides `127.0.0.1` and `localhost`.
    #[must_use]
    pub fn endpoint_host(mut self, host: impl Into<String>) -> Self {
        self.endpoint_hosts.push(host.into());
        self
    }

    /// Start with these faults (the same handle as [`LocalSls::faults`]).
    #[must_use]
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Call `f` with every accepted log group (also in counting mode), e.g. to print it.
    /// In counting mode an observer makes the server decode every group, which it
    /// otherwise only checks and counts.
    #[must_use]
    pub fn on_log_group(mut self, f: impl Fn(&ReceivedLogGroup) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(f));
        self
    }

    /// Worker threads of the runtime [`LocalSlsBuilder::start_background`] creates
    /// (default 2).
    #[must_use]
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = n.max(1);
        self
    }

    fn into_shared(self, port: u16) -> (Arc<Shared>, usize) {
        let registry = Registry::new(self.auto_create);
        for p in &self.projects {
            registry.add_project(p);
        }
        for (p, l, o) in &self.logstores {
            registry.add_logstore(p, l, *o);
        }
        let keyring = Keyring::default();
        for c in self.credentials {
            keyring.insert(c);
        }
        let seed = self.clock.now().as_nanos() ^ (u64::from(port) << 48);
        let shared = Shared {
            registry,
            keyring,
            auth_mode: self.auth_mode,
            limits: self.limits,
            clock: self.clock,
            endpoint_hosts: self.endpoint_hosts,
            store: Store::new(self.store_mode),
            faults: self.faults,
            ids: RequestIds::new(seed),
            observer: self.observer,
            raw_buffers: RawBuffers::default(),
            deep_checks: DeepChecks::new(self.deep_check_every),
        };
        (Arc::new(shared), self.worker_threads)
    }

    /// Start serving on the current tokio runtime; returns once the port is bound.
    ///
    /// # Errors
    /// The port cannot be bound.
    pub async fn start(self) -> io::Result<LocalSls> {
        let listener =
            TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))).await?;
        let addr = listener.local_addr()?;
        let (shared, _) = self.into_shared(addr.port());
        let (stop_tx, stop_rx) = watch::channel(false);
        let (done_tx, done_rx) = oneshot::channel();
        let task_shared = Arc::clone(&shared);
        tokio::spawn(async move {
            serve(listener, task_shared, stop_rx).await;
            let _ = done_tx.send(());
        });
        Ok(LocalSls::new(shared, addr, stop_tx, done_rx, None))
    }

    /// Start serving on a runtime of its own, in a background thread: for callers that do
    /// not run tokio (smol, blocking tests, other processes' tests). Returns once the port
    /// is bound.
    ///
    /// # Errors
    /// The port cannot be bound or the runtime cannot be created.
    pub fn start_background(self) -> io::Result<LocalSls> {
        let std_listener =
            std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (shared, workers) = self.into_shared(addr.port());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("sls-local")
            .enable_all()
            .build()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let (done_tx, done_rx) = oneshot::channel();
        let task_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("sls-local-accept".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(std_listener) {
                        Ok(listener) => serve(listener, task_shared, stop_rx).await,
                        Err(e) => eprintln!("sls-local: cannot register the listener: {e}"),
                    }
                });
                runtime.shutdown_background();
                let _ = done_tx.send(());
            })?;
        Ok(LocalSls::new(shared, addr, stop_tx, done_rx, Some(thread)))
    }
}

impl fmt::Debug for LocalSlsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSlsBuilder")
            .field("port", &self.port)
            .field("projects", &self.projects)
            .field("logstores", &self.logstores)
            .field("auto_create", &self.auto_create)
            .field("auth_mode", &self.auth_mode)
            .field("credentials", &self.credentials)
            .field("limits", &self.limits)
            .field("store_mode", &self.store_mode)
            .field("deep_check_every", &self.deep_check_every)
            .field("endpoint_hosts", &self.endpoint_hosts)
            .finish_non_exhaustive()
    }
}
