//! Shared by the benches: the log shape of the Go producer's benchmark, and a minimal std
//! `Runtime` (a clock, a timer thread, a thread per spawned task, `block_on`) with a
//! transport that answers 200 at once, to run a real `Producer` and its driver without
//! pulling an async runtime into the core.
//!
//! The logs are `sim::BenchWorkload`'s, the same as the end-to-end `throughput` binary's:
//! 10 routes, 8 contents `content_key_{i}` with 49-character values picked from a table of
//! 4096 pre-generated rows, as the Go benchmark does. One log encodes to 553 bytes.

// Real time is what a benchmark measures; the core's rule of no ambient time is for the
// library, not for its benches.
#![allow(clippy::disallowed_methods)]

use core::future::Future;
use core::pin::{Pin, pin};
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use std::sync::{Arc, Mutex};
use std::task::Wake;
use std::thread::{self, Thread};

use async_trait::async_trait;
use sls_producer_core::rt::{
    BoxFuture, Clock, HttpRequest, HttpResponse, HttpTransport, Instant, Runtime, Spawner, Timer,
    TransportError, UnixTime,
};
use sls_producer_core::{Credentials, Producer, ProducerConfig};

/// Log time of every generated log (fixed: the benches must not depend on the date).
pub(crate) const LOG_TIME: u32 = 1_700_000_000;

use sls_producer_core::sim::BenchWorkload;

/// The Go benchmark's logs (`sim::BenchWorkload`, seed 1), every log at [`LOG_TIME`].
pub(crate) fn workload() -> BenchWorkload {
    BenchWorkload::new(1, "bench-project", "bench-logstore", LOG_TIME).expect("valid names")
}

/// The bench producer's configuration: the defaults, pointed at a transport that never
/// leaves the process.
pub(crate) fn config() -> ProducerConfig {
    ProducerConfig::new("http://127.0.0.1:1")
}

pub(crate) fn credentials() -> Credentials {
    Credentials::new("benchAccessKeyId", "benchAccessKeySecret")
}

/// Operations per timed chunk: few enough that the logs built before it are still in cache.
pub(crate) const CHUNK: u64 = 256;

/// Time `iters` operations on `producer` in chunks of [`CHUNK`]: `chunk(first, n)` runs
/// operations `first..first + n` and returns the time they took (whatever it prepares
/// before starting its clock is not counted). Before each chunk, while more than half of
/// the memory budget is in use, wait (untimed) for the driver to catch up.
pub(crate) fn timed_in_chunks(
    producer: &Producer,
    iters: u64,
    mut chunk: impl FnMut(u64, u64) -> Duration,
) -> Duration {
    let budget = config().memory_budget;
    let mut timed = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = CHUNK.min(iters - done);
        while producer.metrics().buffered_bytes > budget / 2 {
            thread::sleep(Duration::from_micros(200));
        }
        timed += chunk(done, n);
        done += n;
    }
    timed
}

// ---------------------------------------------------------------------------------------
// A minimal std runtime

/// Sleeps waiting for the timer thread: when each is due, and the task to wake.
type Sleeps = Arc<Mutex<Vec<(Instant, Waker)>>>;

/// The OS monotonic clock and wall clock; sleeps are served by one timer thread, and a
/// spawned task gets a thread of its own.
pub(crate) struct StdRuntime {
    origin: std::time::Instant,
    sleeps: Sleeps,
}

impl StdRuntime {
    /// A runtime whose timer thread checks for due sleeps every millisecond (plenty for
    /// linger). The thread ends once the runtime is dropped.
    pub(crate) fn start() -> Self {
        let sleeps: Sleeps = Arc::default();
        let origin = std::time::Instant::now();
        let weak = Arc::downgrade(&sleeps);
        thread::spawn(move || {
            while let Some(sleeps) = weak.upgrade() {
                let now = since(origin);
                let due: Vec<Waker> = {
                    let mut sleeps = sleeps.lock().expect("not poisoned");
                    let (due, pending) = sleeps.drain(..).partition(|(t, _)| *t <= now);
                    *sleeps = pending;
                    due.into_iter().map(|(_, w)| w).collect()
                };
                drop(sleeps);
                due.into_iter().for_each(Waker::wake);
                thread::sleep(Duration::from_millis(1));
            }
        });
        Self { origin, sleeps }
    }
}

/// The time elapsed since `origin` (the runtime's [`Instant::ZERO`]).
fn since(origin: std::time::Instant) -> Instant {
    Instant::from_nanos(origin.elapsed().as_nanos() as u64)
}

impl Clock for StdRuntime {
    fn now(&self) -> Instant {
        since(self.origin)
    }

    fn unix_time(&self) -> UnixTime {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        UnixTime::from_nanos(since_epoch.as_nanos() as u64)
    }
}

#[async_trait]
impl Timer for StdRuntime {
    async fn sleep_until(&self, deadline: Instant) {
        SleepUntil {
            origin: self.origin,
            deadline,
            sleeps: self.sleeps.clone(),
            registered: false,
        }
        .await;
    }
}

impl Spawner for StdRuntime {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        thread::spawn(move || block_on(task));
    }
}

/// No compression helpers (the driver compresses on its own thread, as it always did in
/// these benches); blocking calls are allowed.
impl Runtime for StdRuntime {}

struct SleepUntil {
    origin: std::time::Instant,
    deadline: Instant,
    sleeps: Sleeps,
    registered: bool,
}

impl Future for SleepUntil {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if since(self.origin) >= self.deadline {
            return Poll::Ready(());
        }
        if !self.registered {
            self.registered = true;
            let entry = (self.deadline, cx.waker().clone());
            self.sleeps.lock().expect("not poisoned").push(entry);
        }
        Poll::Pending
    }
}

/// Answers every request with an empty 200 at once.
pub(crate) struct AcceptAll;

#[async_trait]
impl HttpTransport for AcceptAll {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse::new(200))
    }
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Poll `future` on this thread, parking between wake-ups.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}

/// A producer with the default settings whose driver runs on its own thread, answered
/// by [`AcceptAll`]. Dropping every handle closes it and ends the thread.
pub(crate) fn spawn_producer() -> (Producer, thread::JoinHandle<()>) {
    let (producer, driver) = Producer::builder(config())
        .with_credentials(credentials())
        .with_transport(AcceptAll)
        .build_with_driver(StdRuntime::start())
        .expect("valid config");
    let driver = thread::Builder::new()
        .name("sls-driver".into())
        .spawn(move || block_on(driver))
        .expect("spawn the driver thread");
    (producer, driver)
}
