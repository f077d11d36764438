//! Shared by the benches: the log shape of the Go producer's benchmark, and a minimal std
//! runtime (a clock, a timer thread, a transport that answers 200 at once, `block_on`)
//! to run a real `Producer` and its driver without pulling an async runtime into the core.
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

use sls_producer_core::config::ProducerConfig;
use sls_producer_core::credentials::Credentials;
use sls_producer_core::producer::Producer;
use sls_producer_core::protocol::http::HttpResponse;
use sls_producer_core::protocol::time::{Instant, UnixTime};
use sls_producer_core::rt::{Clock, HttpTransport, ResponseFuture, Sleep, Timer};

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
        while producer.buffered_bytes() > budget / 2 {
            thread::sleep(Duration::from_micros(200));
        }
        timed += chunk(done, n);
        done += n;
    }
    timed
}

// ---------------------------------------------------------------------------------------
// A minimal std runtime

/// The OS monotonic clock and wall clock; sleeps are served by one timer thread.
pub(crate) struct StdTimer {
    origin: std::time::Instant,
    sleeps: Arc<Mutex<Vec<(Instant, Waker)>>>,
}

impl StdTimer {
    /// A timer whose thread checks for due sleeps every millisecond (plenty for linger).
    pub(crate) fn start() -> Arc<Self> {
        let timer = Arc::new(Self {
            origin: std::time::Instant::now(),
            sleeps: Arc::default(),
        });
        let weak = Arc::downgrade(&timer);
        thread::spawn(move || {
            while let Some(timer) = weak.upgrade() {
                let now = timer.now();
                let due: Vec<Waker> = {
                    let mut sleeps = timer.sleeps.lock().expect("not poisoned");
                    let (due, pending) = sleeps.drain(..).partition(|(t, _)| *t <= now);
                    *sleeps = pending;
                    due.into_iter().map(|(_, w)| w).collect()
                };
                drop(timer);
                due.into_iter().for_each(Waker::wake);
                thread::sleep(Duration::from_millis(1));
            }
        });
        timer
    }
}

impl Clock for StdTimer {
    fn now(&self) -> Instant {
        Instant::from_nanos(self.origin.elapsed().as_nanos() as u64)
    }

    fn unix_time(&self) -> UnixTime {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        UnixTime::from_nanos(since_epoch.as_nanos() as u64)
    }
}

impl Timer for StdTimer {
    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let timer = SleepUntil {
            origin: self.origin,
            deadline,
            sleeps: self.sleeps.clone(),
            registered: false,
        };
        Sleep::new(timer)
    }
}

struct SleepUntil {
    origin: std::time::Instant,
    deadline: Instant,
    sleeps: Arc<Mutex<Vec<(Instant, Waker)>>>,
    registered: bool,
}

impl Future for SleepUntil {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let now = Instant::from_nanos(self.origin.elapsed().as_nanos() as u64);
        if now >= self.deadline {
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

impl HttpTransport for AcceptAll {
    fn send(&self, _request: sls_producer_core::protocol::http::HttpRequest) -> ResponseFuture {
        ResponseFuture::ready(Ok(HttpResponse::new(200)))
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
    let (producer, driver) = Producer::new(
        &config(),
        StdTimer::start(),
        Arc::new(AcceptAll),
        credentials(),
    )
    .expect("valid config");
    let driver = thread::Builder::new()
        .name("sls-driver".into())
        .spawn(move || block_on(driver))
        .expect("spawn the driver thread");
    (producer, driver)
}
