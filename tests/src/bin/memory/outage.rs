//! `memory --outage`: a long outage with the disk spool, then recovery.
//!
//! A child process runs a tokio or smol producer with a spool (default durability, 1 GiB cap) and
//! one application thread sending access-log lines with `send` at a steady rate. Nothing
//! listens on the producer's port for `--down` seconds; then this (parent) process starts
//! the local server on that port (counting only). The child prints its peak RSS beside
//! the budget, the logs accepted and refused during the outage, the bodies evicted, and
//! how fast the backlog drained: from the first delivery until the logs without an
//! outcome are back to what steady traffic holds (a linger's worth plus a second), the
//! backlog's logs per second beside the rate of new logs sent meanwhile.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use sls_producer_tests::proc_stats;
use sls_producer_tests::server::{LocalSls, StoreMode};
use sls_producer_tokio::core::engine::backoff::{BackoffPolicy, Jitter};
use sls_producer_tokio::spool::SpoolConfig;
use sls_producer_tokio::{Credentials, Producer, ProducerConfig, Route, TokioRuntime};

use crate::scenario::{RuntimeKind, access_log, two_worker_tokio};

const PROJECT: &str = "bench-project";
const LOGSTORE: &str = "bench-logstore";
const LINGER: Duration = Duration::from_secs(2);

/// The outage's parameters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Outage {
    /// How long nothing listens.
    pub(crate) down: Duration,
    /// Logs per second the application sends.
    pub(crate) rate: u64,
    /// The memory budget.
    pub(crate) budget: usize,
}

impl Default for Outage {
    fn default() -> Self {
        Self {
            down: Duration::from_secs(30),
            rate: 50_000,
            budget: 64 << 20,
        }
    }
}

/// What the child measured.
struct Measured {
    rss_before: u64,
    peak_rss_outage: u64,
    peak_rss: u64,
    counted: u64,
    outage_accepted: u64,
    outage_refused: u64,
    evicted: u64,
    evicted_bytes: u64,
    backlog: u64,
    /// Logs without an outcome once drained.
    left: u64,
    drain_secs: f64,
    delivered_during_drain: u64,
    sent_during_drain: u64,
    read_back: u64,
    delivered: u64,
    accepted: u64,
}

impl Outage {
    /// Parent: run the child, bring the server up after `down`, print the figures.
    pub(crate) fn run(self, runtime: RuntimeKind) -> Result<(), String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("free port: {e}"))?
            .port();
        let exe = std::env::current_exe().map_err(|e| format!("own path: {e}"))?;
        let child = Command::new(exe)
            .args(["--child", "--outage", "--port", &port.to_string()])
            .args(["--runtime", runtime.name()])
            .args(["--down", &self.down.as_secs().to_string()])
            .args(["--rate", &self.rate.to_string()])
            .args(["--budget", &(self.budget >> 20).to_string()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("start the child: {e}"))?;
        std::thread::sleep(self.down);
        let sls = LocalSls::builder()
            .port(port)
            .auto_create(true)
            .accept_any_access_key()
            .store_mode(StoreMode::CountOnly)
            .start_background()
            .map_err(|e| format!("start the server on port {port}: {e}"))?;
        let output = child
            .wait_with_output()
            .map_err(|e| format!("wait for the child: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .find(|l| l.starts_with("outage "))
            .ok_or_else(|| format!("the child failed ({})", output.status))?;
        let v: Vec<f64> = line[7..]
            .split(' ')
            .map(|f| f.parse().unwrap_or(f64::NAN))
            .collect();
        let [
            rss_before,
            peak_rss_outage,
            peak_rss,
            counted,
            outage_accepted,
            outage_refused,
            evicted,
            evicted_bytes,
            backlog,
            left,
            drain_secs,
            delivered_during_drain,
            sent_during_drain,
            read_back,
            delivered,
            accepted,
        ] = v[..]
        else {
            return Err(format!("unreadable child line {line:?}"));
        };
        let received = sls.log_count();
        let mib = |b: f64| b / f64::from(1 << 20);
        println!(
            "outage: {}, spool (default durability), access logs at {} logs/s, server down \
             {} s, budget {} MiB",
            runtime.name(),
            self.rate,
            self.down.as_secs(),
            self.budget >> 20
        );
        println!(
            "  memory: peak RSS {:.1} MiB ({:.1} MiB until the recovery; before the producer \
             {:.1} MiB), budget {:.1} MiB, counted at most {:.1} MiB",
            mib(peak_rss),
            mib(peak_rss_outage),
            mib(rss_before),
            mib(self.budget as f64),
            mib(counted)
        );
        println!(
            "  outage: {outage_accepted} logs accepted, {outage_refused} refused; {evicted} \
             bodies evicted ({:.1} MiB), {read_back} read back",
            mib(evicted_bytes)
        );
        println!(
            "  drain: {backlog} logs without an outcome at recovery, {left} after {drain_secs:.1} \
             s: the backlog shrank by {:.0} logs/s, {:.0} logs/s delivered in all, while \
             {:.0} logs/s of new logs were sent",
            (backlog - left) / drain_secs,
            delivered_during_drain / drain_secs,
            sent_during_drain / drain_secs
        );
        println!(
            "  end: {delivered} of {accepted} accepted logs delivered; the server counted \
             {received}"
        );
        let over = peak_rss - self.budget as f64;
        if over > 0.0 {
            println!(
                "  the process's peak RSS passed the budget by {:.1} MiB",
                mib(over)
            );
        } else {
            println!("  the process's peak RSS stayed within the budget");
        }
        if delivered != accepted || received as f64 != accepted {
            return Err(format!(
                "logs lost: {accepted} accepted, {delivered} delivered, {received} counted"
            ));
        }
        Ok(())
    }

    /// Child: the producer, the application and the measurements.
    pub(crate) fn child(self, port: u16, runtime: RuntimeKind) -> Result<(), String> {
        let m = self.measure(port, runtime)?;
        println!(
            "outage {} {} {} {} {} {} {} {} {} {} {:.3} {} {} {} {} {}",
            m.rss_before,
            m.peak_rss_outage,
            m.peak_rss,
            m.counted,
            m.outage_accepted,
            m.outage_refused,
            m.evicted,
            m.evicted_bytes,
            m.backlog,
            m.left,
            m.drain_secs,
            m.delivered_during_drain,
            m.sent_during_drain,
            m.read_back,
            m.delivered,
            m.accepted
        );
        Ok(())
    }

    fn measure(self, port: u16, runtime: RuntimeKind) -> Result<Measured, String> {
        let dir = std::env::temp_dir().join(format!("sls-outage-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = ProducerConfig::new(format!("http://127.0.0.1:{port}"))
            .with_memory_budget(self.budget)
            .with_linger(LINGER)
            .with_max_retries(1000)
            // A 1 s ceiling instead of 50 s: the backlog is due within a second of the
            // recovery, so the drain measures the producer, not the backoff.
            .with_backoff(BackoffPolicy {
                base: Duration::from_millis(100),
                max: Duration::from_secs(1),
                jitter: Jitter::None,
            });
        let tokio = two_worker_tokio()?;
        let rss_before = proc_stats::rss("self").unwrap_or(0);
        let builder = Producer::builder(config)
            .with_credentials(Credentials::new("benchKeyId", "benchSecret"));
        let spool = SpoolConfig::new(&dir);
        let producer = match runtime {
            RuntimeKind::Tokio => {
                let _guard = tokio.enter();
                sls_producer_tokio::ProducerBuilderExt::with_spool(builder, spool)
                    .build_on(TokioRuntime::new(tokio.handle().clone()))
            }
            RuntimeKind::Smol => sls_producer_smol::ProducerBuilderExt::with_spool(builder, spool)
                .build_on(sls_producer_smol::SmolRuntime::new()),
        }
        .map_err(|e| format!("build the producer: {e}"))?;
        let route = Route::new(PROJECT, LOGSTORE).map_err(|e| e.to_string())?;
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as u32);

        let (sent, refused) = (AtomicU64::new(0), AtomicU64::new(0));
        let (stop, counted) = (AtomicBool::new(false), AtomicU64::new(0));
        let mut measured = None;
        std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let now = producer.metrics().buffered_bytes as u64;
                    counted.fetch_max(now, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
            s.spawn(|| {
                // The application: `rate` logs a second, in ticks of 10 ms.
                let start = Instant::now();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let due = start.elapsed().as_millis() as u64 * self.rate / 1000;
                    while i < due {
                        match producer.send(&route, access_log(time, i)) {
                            Ok(_) => {}
                            Err(e) if e.is_transient() => {
                                refused.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => panic!("send refused: {e}"),
                        }
                        i += 1;
                    }
                    sent.store(i, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(10));
                }
            });
            // The outage lasts until the first delivery.
            while producer.metrics().delivered_logs == 0 {
                std::thread::sleep(Duration::from_millis(10));
            }
            let up = Instant::now();
            let peak_rss_outage = proc_stats::peak_rss("self").unwrap_or(0);
            let at_up = producer.metrics();
            let (sent_at_up, refused_at_up) = (
                sent.load(Ordering::Relaxed),
                refused.load(Ordering::Relaxed),
            );
            // Drained: what has no outcome is back to what steady traffic holds.
            let steady = self.rate * (LINGER.as_secs() + 1);
            loop {
                std::thread::sleep(Duration::from_millis(10));
                if producer.metrics().pending_logs() <= steady || up.elapsed() > self.down * 4 {
                    break;
                }
            }
            let drained = producer.metrics();
            let drain_secs = up.elapsed().as_secs_f64();
            let sent_during_drain = sent.load(Ordering::Relaxed) - sent_at_up;
            stop.store(true, Ordering::Relaxed);
            measured = Some((
                peak_rss_outage,
                at_up,
                refused_at_up,
                drained,
                drain_secs,
                sent_during_drain,
            ));
        });
        let (peak_rss_outage, at_up, outage_refused, drained, drain_secs, sent_during_drain) =
            measured.expect("measured");
        let end = producer
            .close_blocking(None)
            .map_err(|e| format!("close: {e}"))?;
        let _ = std::fs::remove_dir_all(&dir);
        Ok(Measured {
            rss_before,
            peak_rss_outage,
            peak_rss: proc_stats::peak_rss("self").unwrap_or(0),
            counted: counted.into_inner(),
            outage_accepted: at_up.accepted_logs,
            outage_refused,
            evicted: at_up.evicted_batches,
            evicted_bytes: at_up.evicted_bytes,
            backlog: at_up.pending_logs(),
            left: drained.pending_logs(),
            drain_secs,
            delivered_during_drain: drained.delivered_logs - at_up.delivered_logs,
            sent_during_drain,
            read_back: end.read_back_batches,
            delivered: end.delivered_logs,
            accepted: end.accepted_logs,
        })
    }
}
