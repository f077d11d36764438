//! The scenarios, and one run of a scenario in this process.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use sls_producer_tests::proc_stats;
use sls_producer_tokio::{Credentials, Log, Producer, ProducerConfig, Route, SendError};

use crate::hung;

const PROJECT: &str = "bench-project";
const LOGSTORE: &str = "bench-logstore";
/// Application threads sending.
const SENDERS: u64 = 4;
/// The deadline of the closing `close`.
const CLOSE_DEADLINE: Duration = Duration::from_secs(1);

/// A scenario of the benchmark.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scenario {
    /// One route, access-log-like logs, 64 MiB.
    OneRoute,
    /// 100,000 routes, tiny logs, 4 MiB, a long linger.
    ManyRoutes,
    /// Ten routes, incompressible tracked logs, 256 MiB.
    Saturated,
}

/// The runtime a scenario runs on.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RuntimeKind {
    Tokio,
    Smol,
}

impl RuntimeKind {
    pub(crate) const ALL: [Self; 2] = [Self::Tokio, Self::Smol];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Tokio => "tokio",
            Self::Smol => "smol",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("unknown runtime {s:?}: tokio, smol or all"))
    }
}

/// What one run measured (bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) budget: u64,
    /// The most `Metrics::buffered_bytes` showed.
    pub(crate) counted: u64,
    pub(crate) rss_before: u64,
    pub(crate) peak_rss: u64,
    /// Sends refused because the budget was full.
    pub(crate) refused: u64,
    /// Logs accepted.
    pub(crate) accepted: u64,
    /// How long `close` with a 1 s deadline took, in milliseconds.
    pub(crate) close_ms: u64,
    /// Callbacks still queued when that `close` returned (they ran afterwards).
    pub(crate) queued: u64,
}

impl Outcome {
    /// The line a child prints for its parent.
    pub(crate) fn to_line(self) -> String {
        format!(
            "outcome {} {} {} {} {} {} {} {}",
            self.budget,
            self.counted,
            self.rss_before,
            self.peak_rss,
            self.refused,
            self.accepted,
            self.close_ms,
            self.queued
        )
    }

    pub(crate) fn from_line(line: &str) -> Option<Self> {
        let mut fields = line.strip_prefix("outcome ")?.split(' ');
        let mut next = || fields.next()?.parse::<u64>().ok();
        Some(Self {
            budget: next()?,
            counted: next()?,
            rss_before: next()?,
            peak_rss: next()?,
            refused: next()?,
            accepted: next()?,
            close_ms: next()?,
            queued: next()?,
        })
    }
}

/// The logs a scenario sends and where. Each is built when it is sent, as an application
/// does, so that what the process holds besides the producer stays small.
enum Logs {
    /// Logs like an access log's (8 pairs, ~300 B, compressing about 4:1), to one route.
    Access { route: Route, time: u32 },
    /// One log per route, route `i` with topic `t{i}`.
    PerRoute { base: Route, time: u32 },
    /// Logs that do not compress (8 pairs of 64 random characters), tracked, each outcome
    /// counted by a callback.
    Random { routes: Vec<Route>, time: u32 },
}

/// Log `i` of [`Logs::Access`].
pub(crate) fn access_log(time: u32, i: u64) -> Log {
    const PATHS: [&str; 4] = ["/api/orders", "/api/users", "/static/app.js", "/health"];
    let mut log = Log::with_capacity(time, 320);
    log.push("ip", format!("10.0.{}.{}", i % 251, i % 253));
    log.push("method", if i.is_multiple_of(5) { "POST" } else { "GET" });
    log.push(
        "path",
        format!("{}/{}", PATHS[(i % 4) as usize], i % 10_007),
    );
    log.push("status", if i.is_multiple_of(17) { "500" } else { "200" });
    log.push("bytes", (i * 7919 % 100_000).to_string());
    log.push("latency_ms", (i % 997).to_string());
    log.push(
        "request_id",
        format!("{:016x}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
    );
    log.push(
        "user_agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
    );
    log
}

/// Outcomes the callbacks of [`Logs::Random`] saw.
static CALLED_BACK: AtomicU64 = AtomicU64::new(0);

/// Log `i` of [`Logs::Random`]: eight pairs of 64 characters drawn from 64, by a
/// xorshift seeded with `i`.
fn random_log(time: u32, i: u64) -> Log {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut log = Log::with_capacity(time, 8 * 70);
    let mut value = String::with_capacity(64);
    for key in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        value.clear();
        for _ in 0..64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            value.push(char::from(ALPHABET[(x >> 58) as usize]));
        }
        log.push(key, &value);
    }
    log
}

impl Logs {
    fn send(&self, producer: &Producer, i: u64) -> Result<(), SendError> {
        match self {
            Self::Access { route, time } => producer.send(route, access_log(*time, i)).map(drop),
            Self::PerRoute { base, time } => {
                let route = base.clone().with_topic(&format!("t{i}"));
                producer
                    .send(&route, Log::new(*time).with_content("k", "0123456789"))
                    .map(drop)
            }
            Self::Random { routes, time } => producer
                .send_tracked(&routes[i as usize % routes.len()], random_log(*time, i))
                .map(|handle| {
                    handle.on_complete(|_| {
                        CALLED_BACK.fetch_add(1, Ordering::Relaxed);
                    });
                }),
        }
    }
}

impl Scenario {
    pub(crate) const ALL: [Self; 3] = [Self::OneRoute, Self::ManyRoutes, Self::Saturated];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::OneRoute => "one-route",
            Self::ManyRoutes => "many-routes",
            Self::Saturated => "saturated",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                format!("unknown scenario {s:?}: one-route, many-routes, saturated or all")
            })
    }

    /// Budget, logs to send, linger.
    fn shape(self) -> (usize, u64, Option<Duration>) {
        match self {
            Self::OneRoute => (64 << 20, 1_200_000, None),
            Self::ManyRoutes => (4 << 20, 100_000, Some(Duration::from_secs(60))),
            Self::Saturated => (256 << 20, 600_000, None),
        }
    }

    fn logs(self, time: u32) -> Result<Logs, String> {
        match self {
            Self::OneRoute => Ok(Logs::Access {
                route: Route::new(PROJECT, LOGSTORE).map_err(|e| e.to_string())?,
                time,
            }),
            Self::Saturated => Ok(Logs::Random {
                routes: (0..10)
                    .map(|r| {
                        Route::new(PROJECT, LOGSTORE)
                            .map(|route| route.with_topic(&format!("t{r}")))
                    })
                    .collect::<Result<_, _>>()
                    .map_err(|e| e.to_string())?,
                time,
            }),
            Self::ManyRoutes => Ok(Logs::PerRoute {
                base: Route::new(PROJECT, LOGSTORE).map_err(|e| e.to_string())?,
                time,
            }),
        }
    }

    /// Run the scenario on `runtime` in this process.
    pub(crate) fn run(self, runtime: RuntimeKind) -> Result<Outcome, String> {
        let port = hung::start().map_err(|e| format!("hung server: {e}"))?;
        let (budget, count, linger) = self.shape();
        let mut config =
            ProducerConfig::new(format!("http://127.0.0.1:{port}")).with_memory_budget(budget);
        if let Some(linger) = linger {
            config = config.with_linger(linger);
        }
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as u32);
        let logs = self.logs(time)?;
        let builder = Producer::builder(config)
            .with_credentials(Credentials::new("benchKeyId", "benchSecret"));

        let tokio = two_worker_tokio()?;
        let rss_before = proc_stats::rss("self").unwrap_or(0);
        let producer = match runtime {
            RuntimeKind::Tokio => builder.build_on(sls_producer_tokio::TokioRuntime::new(
                tokio.handle().clone(),
            )),
            RuntimeKind::Smol => builder.build_on(sls_producer_smol::SmolRuntime::new()),
        }
        .map_err(|e| format!("build the producer: {e}"))?;

        let refused = AtomicU64::new(0);
        let mut close_ms = 0;
        let mut queued = 0;
        let counted = AtomicU64::new(0);
        let done = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    let now = producer.metrics().buffered_bytes as u64;
                    counted.fetch_max(now, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
            std::thread::scope(|senders| {
                for k in 0..SENDERS {
                    let (producer, logs, refused) = (&producer, &logs, &refused);
                    senders.spawn(move || {
                        for i in (k..count).step_by(SENDERS as usize) {
                            match logs.send(producer, i) {
                                Ok(()) => {}
                                Err(e) if e.is_transient() => {
                                    refused.fetch_add(1, Ordering::Relaxed);
                                }
                                Err(e) => panic!("send refused: {e}"),
                            }
                        }
                    });
                }
            });
            // Let lingers seal and batches go out, then close with everything held.
            std::thread::sleep(Duration::from_secs(3));
            let closing = std::time::Instant::now();
            let metrics = producer.close_blocking(Some(CLOSE_DEADLINE));
            close_ms = closing.elapsed().as_millis() as u64;
            queued = metrics.map_or(0, |m| m.undelivered_outcomes as u64);
            // The callbacks still queued run afterwards: wait for them.
            let _ = producer.close_blocking(None);
            done.store(true, Ordering::Relaxed);
        });
        let accepted = producer.metrics().accepted_logs;
        drop(producer);
        let called = CALLED_BACK.load(Ordering::Relaxed);
        if matches!(self, Self::Saturated) && called != accepted {
            return Err(format!(
                "{called} callbacks ran for {accepted} tracked logs"
            ));
        }
        Ok(Outcome {
            budget: budget as u64,
            counted: counted.into_inner(),
            rss_before,
            peak_rss: proc_stats::peak_rss("self").unwrap_or(0),
            refused: refused.into_inner(),
            accepted,
            close_ms,
            queued,
        })
    }
}

/// The tokio runtime every scenario runs on: two workers (the machine's cores).
pub(crate) fn two_worker_tokio() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}
