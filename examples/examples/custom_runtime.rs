//! Run the producer on a runtime this project does not ship: the `futures` crate's thread
//! pool, with a timer and an HTTP transport written in this file.
//!
//! ```sh
//! cargo run -p sls-producer-examples --example custom_runtime
//! ```
//!
//! The producer's core reads no clock and does no I/O of its own. What it needs from a
//! runtime is the traits of `sls_producer_core::rt`, and any executor can provide them:
//!
//! | Trait | Why the producer needs it | Here |
//! |---|---|---|
//! | `Clock` | a monotonic instant for lingers, backoffs and deadlines; the wall clock for request dates and log times | `std::time::Instant` and `SystemTime`, each read at one place (the workspace forbids ambient time elsewhere) |
//! | `Timer` | `sleep_until(deadline)`: the driver sleeps until a batch is due or a retry | one thread with a queue of deadlines, completing `oneshot`s |
//! | `Spawner` | runs the producer's driver and its compression helpers in the background | `futures::executor::ThreadPool` |
//! | `HttpTransport` | one HTTP exchange: a request in, the whole response out | HTTP/1.1 over `std::net::TcpStream` |
//! | `Runtime` | ties them together: the transport to use unless the builder is given one (made with the producer's timeouts), how many compression helpers to spawn, whether a plain thread may block on the producer | [`FuturesRuntime`] |
//!
//! `Timer` and `HttpTransport` are `#[async_trait]` traits: implement them with
//! `#[async_trait]` and plain `async fn`s. The engine owns retries and backoff; a transport
//! sends each request once and reports timeouts as `TransportErrorKind::Timeout`. Socket
//! I/O blocks here, so the transport runs it on threads of its own, never on the
//! executor's: a blocked executor thread could stall the producer's driver.
//!
//! The transport here is deliberately small: **plain `http` only, no TLS** (it refuses
//! `https` with a `Connect` error; the transports of `sls-producer-tokio` and `-smol` do
//! TLS), one connection per request, `Content-Length` bodies. Without `SLS_ENDPOINT` the
//! logs go to a local SLS server started in-process; see the crate docs for the variables
//! that select another server, which must then be an `http://` endpoint.

use core::cell::Cell;
use core::error::Error;
use core::time::Duration;
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use futures::channel::oneshot;
use futures::executor::ThreadPool;
use sls_producer_core::rt::{
    BoxFuture, Clock, HttpRequest, HttpResponse, HttpTransport, Instant, Method, Runtime, Scheme,
    Spawner, Timer, TransportError, TransportErrorKind, UnixTime,
};
use sls_producer_core::{Log, Metrics, Producer, ProducerConfig, Route};
use sls_producer_examples::{Destination, exit_with};

/// How many logs [`run`] sends.
pub(crate) const LOGS: u64 = 300;

fn main() {
    // Errors are printed as sentences (with their causes), not as `Debug`.
    if let Err(e) = try_main() {
        exit_with(&*e);
    }
}

fn try_main() -> Result<(), Box<dyn Error>> {
    let destination = Destination::from_env_or_local()?;
    let endpoint = &destination.endpoint;
    if !endpoint.starts_with("http://") {
        return Err(format!(
            "SLS_ENDPOINT={endpoint:?} needs TLS, but this example's transport speaks plain \
             http only. Use an http:// endpoint, or unset SLS_ENDPOINT to ship to a local server."
        )
        .into());
    }
    let metrics = futures::executor::block_on(run(&destination))?;
    println!(
        "closed: {} accepted, {} delivered, {} failed",
        metrics.accepted_logs, metrics.delivered_logs, metrics.failed_logs
    );
    destination.finish();
    Ok(())
}

/// Send [`LOGS`] logs through a producer on [`FuturesRuntime`]; the final metrics.
pub(crate) async fn run(destination: &Destination) -> Result<Metrics, Box<dyn Error>> {
    let config = ProducerConfig::new(&destination.endpoint).with_linger(Duration::from_millis(100));
    let producer = Producer::builder(config)
        .with_credentials(destination.credentials.clone())
        .build_on(FuturesRuntime::new()?)?;
    let route = Route::new(&destination.project, &destination.logstore)?.with_topic("custom");
    for n in 1..LOGS {
        let mut log = Log::from_unix_time(producer.unix_time()).with_content("msg", "tick");
        log.push_fmt("n", format_args!("{n}"))?;
        producer.send(&route, log)?;
    }
    let last = Log::from_unix_time(producer.unix_time()).with_content("msg", "tracked");
    let outcome = producer.send_tracked(&route, last)?.await;
    println!(
        "tracked: delivered = {} after {} attempt(s)",
        outcome.is_success(),
        outcome.attempt_count
    );
    Ok(producer.close(Some(Duration::from_secs(10))).await)
}

// ── The runtime ──────────────────────────────────────────────────────────────────────

/// The producer's runtime: a thread pool for its tasks, a timer thread, and a few threads
/// for blocking socket I/O. Cheap to clone; the threads stop when the last clone is gone.
#[derive(Clone)]
pub(crate) struct FuturesRuntime {
    tasks: ThreadPool,
    blocking: ThreadPool,
    origin: std::time::Instant,
    timer: Arc<TimerThread>,
}

impl FuturesRuntime {
    /// Start the pools and the timer thread. [`Instant::ZERO`] is now.
    pub(crate) fn new() -> io::Result<Self> {
        let origin = os_monotonic_now();
        Ok(Self {
            tasks: ThreadPool::builder()
                .name_prefix("sls-task-")
                .after_start(|_| ON_TASK_POOL.set(true))
                .create()?,
            blocking: ThreadPool::builder()
                .pool_size(4)
                .name_prefix("sls-io-")
                .create()?,
            origin,
            timer: Arc::new(TimerThread::start(origin)?),
        })
    }
}

std::thread_local! {
    /// Set on the task pool's threads when they start, for [`Runtime::may_block`].
    static ON_TASK_POOL: Cell<bool> = const { Cell::new(false) };
}

/// The OS monotonic clock: the one place this program reads it (the workspace bans ambient
/// time elsewhere, so that every read goes through a `Clock`).
fn os_monotonic_now() -> std::time::Instant {
    #[allow(clippy::disallowed_methods, reason = "a runtime reads the OS clock")]
    std::time::Instant::now()
}

/// The time elapsed since `origin` as a core [`Instant`].
fn instant_since(origin: std::time::Instant) -> Instant {
    Instant::from_duration(os_monotonic_now().saturating_duration_since(origin))
}

impl Clock for FuturesRuntime {
    fn now(&self) -> Instant {
        instant_since(self.origin)
    }

    fn unix_time(&self) -> UnixTime {
        #[allow(clippy::disallowed_methods, reason = "a runtime reads the OS clock")]
        let now = SystemTime::now();
        // A clock set before 1970 reports the epoch.
        let since_epoch = now.duration_since(SystemTime::UNIX_EPOCH);
        UnixTime::from_duration(since_epoch.unwrap_or_default())
    }
}

#[async_trait]
impl Timer for FuturesRuntime {
    async fn sleep_until(&self, deadline: Instant) {
        if deadline <= self.now() {
            return;
        }
        // Err only if the timer thread is gone, which it is not while `self` lives.
        let _ = self.timer.wait_for(deadline).await;
    }
}

impl Spawner for FuturesRuntime {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.tasks.spawn_ok(task);
    }
}

impl Runtime for FuturesRuntime {
    /// The transport below, with the producer's connect and request timeouts.
    fn default_transport(&self, config: &ProducerConfig) -> Option<Arc<dyn HttpTransport>> {
        Some(Arc::new(PlainHttpTransport {
            connect_timeout: config.connect_timeout,
            read_timeout: config.request_timeout,
            blocking: self.blocking.clone(),
        }))
    }

    /// One task compressing sealed batches next to the driver (the pool has a thread per CPU).
    fn compress_helpers(&self) -> usize {
        1
    }

    /// A plain thread may block on the producer (`send_blocking`, `close_blocking`); a
    /// thread of the task pool may not: it would stall the tasks that make progress.
    fn may_block(&self) -> bool {
        !ON_TASK_POOL.get()
    }
}

// ── The timer: one thread, a queue of deadlines ──────────────────────────────────────

/// The waiting sleeps, earliest first (the sequence number tells equal deadlines apart),
/// and the thread that completes each at its deadline. Dropping it stops the thread.
struct TimerThread {
    shared: Arc<(Mutex<Deadlines>, Condvar)>,
}

#[derive(Default)]
struct Deadlines {
    waiting: BTreeMap<(Instant, u64), oneshot::Sender<()>>,
    next_seq: u64,
    stopped: bool,
}

impl TimerThread {
    /// Start the thread; its deadlines are instants since `origin`.
    fn start(origin: std::time::Instant) -> io::Result<Self> {
        let shared = Arc::new((Mutex::new(Deadlines::default()), Condvar::new()));
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("sls-timer".into())
            .spawn(move || {
                let (lock, wakeup) = &*thread_shared;
                let mut state = lock.lock().expect("the timer lock");
                while !state.stopped {
                    let now = instant_since(origin);
                    while let Some(entry) = state.waiting.first_entry() {
                        if entry.key().0 > now {
                            break;
                        }
                        let _ = entry.remove().send(()); // Err: that sleep was dropped
                    }
                    // Forget sleeps dropped before their deadline (the driver re-arms often).
                    state.waiting.retain(|_, done| !done.is_canceled());
                    state = match state.waiting.keys().next() {
                        None => wakeup.wait(state).expect("the timer lock"),
                        Some(&(at, _)) => {
                            let wait = at.saturating_duration_since(now);
                            wakeup.wait_timeout(state, wait).expect("the timer lock").0
                        }
                    };
                }
            })?;
        Ok(Self { shared })
    }

    /// A receiver completed at `deadline` (or later, never before).
    fn wait_for(&self, deadline: Instant) -> oneshot::Receiver<()> {
        let (done, fired) = oneshot::channel();
        let (lock, wakeup) = &*self.shared;
        let mut state = lock.lock().expect("the timer lock");
        let seq = state.next_seq;
        state.next_seq += 1;
        state.waiting.insert((deadline, seq), done);
        wakeup.notify_one(); // it may be earlier than what the thread waits for
        fired
    }
}

impl Drop for TimerThread {
    fn drop(&mut self) {
        let (lock, wakeup) = &*self.shared;
        lock.lock().expect("the timer lock").stopped = true;
        wakeup.notify_one();
    }
}

// ── The transport: HTTP/1.1 over a TcpStream ─────────────────────────────────────────

/// Plain-`http` HTTP/1.1, one connection per request. Socket I/O blocks, so it runs on
/// the runtime's `blocking` pool and the answer comes back through a `oneshot`.
struct PlainHttpTransport {
    connect_timeout: Duration,
    /// The longest wait for the server's next bytes (a fuller transport bounds the whole
    /// request, as the configuration's `request_timeout` says).
    read_timeout: Duration,
    blocking: ThreadPool,
}

#[async_trait]
impl HttpTransport for PlainHttpTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if request.scheme != Scheme::Http {
            let authority = &request.authority;
            let message = format!("{authority}: this transport speaks plain http only");
            return Err(TransportError::new(TransportErrorKind::Connect, message));
        }
        let (connect_timeout, read_timeout) = (self.connect_timeout, self.read_timeout);
        let (answer, answered) = oneshot::channel();
        // This pool is for blocking work: its threads run nothing else.
        self.blocking.spawn_ok(async move {
            let _ = answer.send(exchange(&request, connect_timeout, read_timeout));
        });
        let stopped = || TransportError::new(TransportErrorKind::Other, "the I/O pool stopped");
        answered.await.unwrap_or_else(|_| Err(stopped()))
    }
}

/// Connect, send `request`, read the whole response. Blocks.
fn exchange(
    request: &HttpRequest,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Result<HttpResponse, TransportError> {
    let mut stream = connect(&request.authority, connect_timeout)?;
    let sent = stream
        .set_read_timeout(Some(read_timeout))
        .and_then(|()| stream.set_write_timeout(Some(read_timeout)))
        .and_then(|()| write_request(&mut stream, request));
    sent.map_err(|e| error(e, TransportErrorKind::Io, "sending the request"))?;
    read_response(BufReader::new(stream))
        .map_err(|e| error(e, TransportErrorKind::Io, "reading the response"))
}

fn connect(authority: &str, timeout: Duration) -> Result<TcpStream, TransportError> {
    let connect_error = |e| error(e, TransportErrorKind::Connect, "connecting");
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    let port = if has_port { "" } else { ":80" };
    let mut last_error = io::Error::new(io::ErrorKind::NotFound, "no address");
    let addrs = format!("{authority}{port}").to_socket_addrs();
    for addr in addrs.map_err(connect_error)? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last_error = e,
        }
    }
    Err(connect_error(last_error))
}

/// A timeout is `Timeout` (a read timeout is `WouldBlock` on Unix, `TimedOut` on
/// Windows); any other error is `otherwise`.
fn error(e: io::Error, otherwise: TransportErrorKind, doing: &str) -> TransportError {
    let kind = match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
        _ => otherwise,
    };
    TransportError::new(kind, format!("{doing}: {e}")).with_source(e)
}

/// The request line, the headers as given (they include `host`), `content-length` if
/// the request has none, `connection: close`, then the body.
fn write_request(stream: &mut impl Write, request: &HttpRequest) -> io::Result<()> {
    let mut head = Vec::with_capacity(1024);
    let (method, target) = (request.method, &request.path_and_query);
    write!(head, "{method} {target} HTTP/1.1\r\n")?;
    for (name, value) in &request.headers {
        write!(head, "{name}: {value}\r\n")?;
    }
    let has_body = request.method != Method::Get || !request.body.is_empty();
    if has_body && request.header("content-length").is_none() {
        write!(head, "content-length: {}\r\n", request.body.len())?;
    }
    head.extend_from_slice(b"connection: close\r\n\r\n");
    stream.write_all(&head)?;
    stream.write_all(&request.body)?;
    stream.flush()
}

/// The status line, the headers, and a `Content-Length` body.
fn read_response(mut reader: impl BufRead) -> io::Result<HttpResponse> {
    let status_line = read_line(&mut reader)?;
    let code = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.split(' ').nth(1));
    let status = code.and_then(|code| code.parse::<u16>().ok());
    let status = status.ok_or_else(|| invalid(format!("not a status line: {status_line:?}")))?;
    let mut response = HttpResponse::new(status);
    loop {
        let line = read_line(&mut reader)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid("a bad header"))?;
        let header = (name.trim().to_owned(), value.trim().to_owned());
        response.headers.push(header);
    }
    // SLS answers with a `Content-Length`; chunked bodies are not supported here.
    let length = response
        .header("content-length")
        .and_then(|n| n.parse::<u64>().ok());
    let length = length.ok_or_else(|| invalid("no content-length (chunked?)"))?;
    let mut body = Vec::new();
    reader.take(length).read_to_end(&mut body)?;
    if body.len() as u64 != length {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    response.body = body.into();
    Ok(response)
}

/// One line of the head, without its line break; at most 16 KiB.
fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    reader.by_ref().take(16 * 1024).read_line(&mut line)?;
    let line = line
        .strip_suffix('\n')
        .ok_or_else(|| invalid("a cut or too long head"))?;
    Ok(line.strip_suffix('\r').unwrap_or(line).to_owned())
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}
