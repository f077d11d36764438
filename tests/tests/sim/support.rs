//! Pieces every part of the suite shares: event stamps, log identities, body decoding, a
//! one-shot flag and a small join.

use std::sync::{Arc, Mutex};

use core::future::{Future, poll_fn};
use core::pin::Pin;
use core::sync::atomic::{AtomicU64, Ordering};
use core::task::{Poll, Waker};

use sls_producer_core::config::Compression;
use sls_producer_core::producer::Driver;
use sls_producer_core::protocol::compress::decompress;
use sls_producer_core::protocol::proto::{LogGroup, decode_log_group};
use sls_producer_core::rt::Clock;
use sls_producer_core::rt::HttpRequest;
use sls_producer_core::rt::Instant;
use sls_producer_core::sim::{ManualClock, SimRuntime};
use sls_producer_core::{Credentials, Log, Producer, ProducerConfig};

/// When something happened: the simulated instant, then the order of events within that
/// instant. The simulation is single-threaded, so program order is total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp {
    pub(crate) at: Instant,
    pub(crate) seq: u64,
}

impl Stamp {
    /// A stamp before every event at `at` (event sequence numbers start at 1).
    pub(crate) const fn start_of(at: Instant) -> Self {
        Self { at, seq: 0 }
    }
}

/// Hands out [`Stamp`]s from one clock and one counter, shared by every recorder of a run.
#[derive(Clone)]
pub(crate) struct Stamper {
    clock: ManualClock,
    next: Arc<AtomicU64>,
}

impl Stamper {
    pub(crate) fn new(clock: ManualClock) -> Self {
        Self {
            clock,
            next: Arc::new(AtomicU64::new(1)),
        }
    }

    pub(crate) fn stamp(&self) -> Stamp {
        Stamp {
            at: self.clock.now(),
            seq: self.next.fetch_add(1, Ordering::Relaxed),
        }
    }
}

/// A producer for `config` on `sim` (its clock and scripted transport, static keys), and
/// its driver, not spawned yet.
pub(crate) fn producer_on(sim: &SimRuntime, config: &ProducerConfig) -> (Producer, Driver) {
    Producer::builder(config.clone())
        .with_credentials(Credentials::new("id", "secret"))
        .build_with_driver(sim.runtime())
        .expect("a valid configuration")
}

/// Unix seconds every simulated log carries (the sim clock's default epoch).
pub(crate) const LOG_TIME: u32 = 1_767_225_600;

/// A log whose `id` content identifies it across the whole run, padded to vary its size.
pub(crate) fn log_with_id(id: u64, pad: usize) -> Log {
    let log = Log::new(LOG_TIME).with_content("id", id.to_string());
    if pad == 0 {
        log
    } else {
        log.with_content("pad", "x".repeat(pad))
    }
}

/// The `id` of a log made by [`log_with_id`].
pub(crate) fn id_of(log: &Log) -> u64 {
    log.get("id")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("log without a numeric id: {log:?}"))
}

/// The whole LogGroup of a PutLogs request (topic, source and tags too) and its
/// uncompressed length, as a server reads it (`x-log-compresstype` +
/// `x-log-bodyrawsize`). For the logs alone, use `RecordedRequest::logs`.
pub(crate) fn log_group(req: &HttpRequest) -> (LogGroup, usize) {
    let raw_len: usize = req
        .header("x-log-bodyrawsize")
        .expect("x-log-bodyrawsize")
        .parse()
        .expect("numeric x-log-bodyrawsize");
    let compression = req
        .header("x-log-compresstype")
        .map_or(Compression::None, |v| {
            Compression::from_header_value(v).expect("known x-log-compresstype")
        });
    let raw = decompress(compression, &req.body, raw_len).expect("the body decompresses");
    let group = decode_log_group(&raw).expect("the body is a LogGroup");
    (group, raw.len())
}

/// A flag one task sets and others await (a one-shot broadcast).
#[derive(Clone, Default)]
pub(crate) struct Flag(Arc<Mutex<FlagState>>);

#[derive(Default)]
struct FlagState {
    set: Option<Stamp>,
    waiters: Vec<Waker>,
}

impl Flag {
    pub(crate) fn set(&self, stamp: Stamp) {
        let waiters = {
            let mut s = self.0.lock().unwrap();
            s.set.get_or_insert(stamp);
            core::mem::take(&mut s.waiters)
        };
        for w in waiters {
            w.wake();
        }
    }

    pub(crate) fn get(&self) -> Option<Stamp> {
        self.0.lock().unwrap().set
    }

    pub(crate) async fn wait(&self) -> Stamp {
        poll_fn(|cx| {
            let mut s = self.0.lock().unwrap();
            match s.set {
                Some(stamp) => Poll::Ready(stamp),
                None => {
                    s.waiters.push(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }
}

/// A boxed future of the suite's client tasks.
pub(crate) type Client = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Run `clients` concurrently on the current task until all have finished; each is dropped
/// as soon as it finishes (so the producer handles it holds go away at once).
pub(crate) async fn join_all(clients: Vec<Client>) {
    let mut clients: Vec<Option<Client>> = clients.into_iter().map(Some).collect();
    poll_fn(|cx| {
        for slot in &mut clients {
            if let Some(client) = slot {
                if client.as_mut().poll(cx).is_ready() {
                    *slot = None;
                }
            }
        }
        if clients.iter().all(Option::is_none) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// Held by the tests that report wall times, so that they do not compete with each other
/// for the CPU (tests of one binary run in parallel).
static TIMED: Mutex<()> = Mutex::new(());

/// Run `f` while no other timed test runs.
pub(crate) fn timed<R>(f: impl FnOnce() -> R) -> R {
    let _guard = TIMED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f()
}

/// Wall-clock time, only to report how long the suite took (never used by the code under
/// test, which reads simulated time).
#[allow(clippy::disallowed_methods)]
pub(crate) fn wall_clock() -> std::time::Instant {
    std::time::Instant::now()
}
