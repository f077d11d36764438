//! `throughput`: the end-to-end benchmark of the producer on tokio against the local SLS
//! server, and the ceiling it is measured against.
//!
//! ```text
//! cargo run --release -p sls-producer-tests --bin throughput -- [--logs N] [--senders K]
//! ```
//!
//! 1. Starts the local server in counting mode (`StoreMode::CountOnly`: nothing decoded or
//!    kept) in a child process (this binary again, with `--serve`), so that the CPU and
//!    memory figures below are the producer's alone. By default (`--server local`) it
//!    deep-checks 1 request in 8 (`LocalSlsBuilder::deep_check_every`): those get every
//!    check of the strict server (signature, Content-MD5 against the body, sizes, every log
//!    walked and validated); the others are still authenticated, size-checked,
//!    decompressed and counted exactly, but their Content-MD5 is not compared with the
//!    body nor their logs walked one by one. `--server strict` deep-checks every request.
//!    The server's CPU (~0.23 s per GB sampled, ~0.43 strict) comes out of the producer's
//!    two cores on a 2-core machine; `--server null` starts a sink that only decompresses
//!    and counts (see `sink.rs`), to see the producer with the server almost out of the
//!    way.
//! 2. Measures the ceiling: encoding the same logs into default-sized batches and
//!    compressing each batch, on one thread, with nothing else (no lock, no copies, no
//!    digest, no HTTP).
//! 3. Sends N logs shaped like the Go producer's benchmark from K tokio tasks through one
//!    producer with the default batch settings, closes it, and checks that the server
//!    stored exactly N logs.
//! 4. Measures the ceiling again and prints: raw MB/s, logs/s, CPU seconds (user + sys of
//!    this process) per GB of raw LogGroup, peak RSS, and the ceiling ratio (end-to-end
//!    raw MB/s over the mean of the two ceiling measurements).
//!
//! The logs are `sim::BenchWorkload`'s ring of 4096 draws; each sender walks it in order
//! from its own starting point, and the ceiling walks it too, so both encode the same
//! pairs from the same memory (each draw's `String`s, laid out in ring order). A sender
//! builds each log as an application does (a `Log` built from the draw's 8 key/value
//! pairs) and calls `send` (`--api log`, the default), or passes the pairs borrowed to
//! `send_parts` (`--api parts`, no `Log` built), or builds the `Log` and calls
//! `send_tracked`, counting each outcome in a callback (`--api tracked`); only when the
//! memory budget is full does it wait, with `send_async`. It yields to the runtime every 256 logs. MB and GB are 10^6
//! and 10^9 bytes of uncompressed LogGroup protobuf (`x-log-bodyrawsize`, as the server
//! counts).

// A benchmark measures real time.
#![allow(clippy::disallowed_methods)]

mod sink;

use core::num::NonZeroU32;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use sls_producer_core::protocol::compress::{Compression, Compressor, ZstdLevel};
use sls_producer_core::protocol::pack_id::PACK_ID_KEY;
use sls_producer_core::protocol::proto::LogGroupEncoder;
use sls_producer_core::sim::BenchWorkload;
use sls_producer_tests::proc_stats;
use sls_producer_tests::server::{LocalSls, StoreMode};
use sls_producer_tokio::core::rt::Runtime as _;
use sls_producer_tokio::spool::{Durability, SpoolConfig};
use sls_producer_tokio::{
    Credentials, LogParts, Producer, ProducerBuilderExt as _, ProducerConfig, Route, SendError,
    TokioRuntime,
};

const USAGE: &str = "\
usage: throughput [options]

  --logs N             logs to send (default 2000000)
  --senders K          sender tasks (default 10, as the Go benchmark)
  --workers W          tokio worker threads of the producer (default: available cores)
  --helpers H          compression helpers next to the driver (default: as the tokio
                       runtime, one fewer than the available cores, at most 3; 0: none)
  --server-threads S   worker threads of the server process (default 1)
  --compression C      lz4 (default), zstd or none
  --zstd-level L       zstd level, 1 (default) to 22
  --server S           local (default): the local SLS server, counting mode, every
                       request authenticated and counted, 1 in 8 deep-checked
                       (Content-MD5 against the body, every log validated); strict:
                       the same with every request deep-checked; null: a sink that
                       only decompresses and counts
  --routes R           routes the logs are spread over (default 10, as the Go benchmark)
  --batch-kib B        max_batch_bytes in KiB (default 512)
  --budget-mib M       memory_budget in MiB (default 100)
  --spool P            write every sealed batch to a disk spool (in the temporary
                       directory, removed after) before its first attempt: fsync per
                       batch (batch), every second (interval) or never (os); default: no
                       spool
  --api A              log (default): each sender builds a Log and calls send, as the Go
                       benchmark does; parts: send_parts with borrowed key/value pairs;
                       tracked: send_tracked, each outcome counted in a callback
  -h, --help           this text";

const PROJECT: &str = "bench-project";
const LOGSTORE: &str = "bench-logstore";
const ACCESS_KEY_ID: &str = "benchAccessKeyId";
const ACCESS_KEY_SECRET: &str = "benchAccessKeySecret";
/// Sends that found the memory budget full and waited for room.
static WAITS: AtomicU64 = AtomicU64::new(0);
/// Successful outcomes seen by the callbacks of `--api tracked`.
static CALLED_BACK: AtomicU64 = AtomicU64::new(0);

/// Sends between two `yield_now` of a sender task.
const YIELD_EVERY: u64 = 256;

#[derive(Clone, Debug)]
struct Options {
    logs: u64,
    senders: u64,
    workers: usize,
    /// `None`: the runtime's default.
    helpers: Option<usize>,
    server_threads: usize,
    compression: Compression,
    zstd_level: u8,
    api: Api,
    server: ServerKind,
    routes: usize,
    /// `None`: the configuration's default.
    batch_kib: Option<usize>,
    /// `None`: the configuration's default.
    budget_mib: Option<usize>,
    /// `None`: no disk spool.
    spool: Option<Durability>,
}

/// What receives the requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServerKind {
    /// The local SLS server in counting mode, deep-checking one request in
    /// [`SAMPLED_DEEP_CHECKS`].
    Local,
    /// The local SLS server in counting mode, deep-checking every request.
    Strict,
    /// The counting sink of [`sink`].
    Null,
}

/// `--server local` deep-checks one request in this many.
const SAMPLED_DEEP_CHECKS: NonZeroU32 = NonZeroU32::new(8).expect("not zero");

impl ServerKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Strict => "strict",
            Self::Null => "null",
        }
    }

    /// One request in how many the local server deep-checks.
    fn deep_check_every(self) -> NonZeroU32 {
        match self {
            Self::Local => SAMPLED_DEEP_CHECKS,
            Self::Strict | Self::Null => NonZeroU32::MIN,
        }
    }

    /// What the benchmark's header says of it.
    fn describe(self) -> String {
        match self {
            Self::Local => format!(
                "local server (counting, deep checks on 1 request in {SAMPLED_DEEP_CHECKS})"
            ),
            Self::Strict => "local server (counting, deep checks on every request)".to_owned(),
            Self::Null => "null sink".to_owned(),
        }
    }
}

/// How senders hand logs to the producer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    /// Build an owned `Log` per send and call `send`.
    Log,
    /// Call `send_parts` with borrowed key/value pairs.
    Parts,
    /// Build an owned `Log` per send, call `send_tracked` and count the outcome in a
    /// callback.
    Tracked,
}

enum Mode {
    Bench(Options),
    Serve { threads: usize, kind: ServerKind },
    Help,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Mode, String> {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let mut options = Options {
        logs: 2_000_000,
        senders: 10,
        workers: cores,
        helpers: None,
        server_threads: 1,
        compression: Compression::Lz4,
        zstd_level: ZstdLevel::DEFAULT.get(),
        api: Api::Log,
        server: ServerKind::Local,
        routes: BenchWorkload::ROUTES,
        batch_kib: None,
        budget_mib: None,
        spool: None,
    };
    let mut serve = false;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let v = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            match v.parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{name}: {v:?} is not a positive number")),
            }
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(Mode::Help),
            "--serve" => serve = true,
            "--logs" => options.logs = number("--logs")?,
            "--senders" => options.senders = number("--senders")?,
            "--workers" => options.workers = number("--workers")? as usize,
            "--helpers" => {
                let v = args.next().ok_or("--helpers needs a value")?;
                options.helpers = Some(
                    v.parse()
                        .map_err(|_| format!("--helpers: {v:?} is not a number"))?,
                );
            }
            "--server-threads" => options.server_threads = number("--server-threads")? as usize,
            "--routes" => options.routes = number("--routes")? as usize,
            "--batch-kib" => options.batch_kib = Some(number("--batch-kib")? as usize),
            "--budget-mib" => options.budget_mib = Some(number("--budget-mib")? as usize),
            "--compression" => {
                let v = args.next().ok_or("--compression needs a value")?;
                options.compression = match v.as_str() {
                    "lz4" => Compression::Lz4,
                    "zstd" => Compression::Zstd,
                    "none" => Compression::None,
                    _ => return Err(format!("--compression: unknown {v:?}")),
                };
            }
            "--zstd-level" => {
                let level = number("--zstd-level")?;
                options.zstd_level = u8::try_from(level)
                    .ok()
                    .and_then(ZstdLevel::new)
                    .ok_or(format!("--zstd-level: {level} is not in 1..=22"))?
                    .get();
            }
            "--server" => {
                let v = args.next().ok_or("--server needs a value")?;
                options.server = match v.as_str() {
                    "local" => ServerKind::Local,
                    "strict" => ServerKind::Strict,
                    "null" => ServerKind::Null,
                    _ => return Err(format!("--server: unknown {v:?}")),
                };
            }
            "--spool" => {
                let v = args.next().ok_or("--spool needs a value")?;
                options.spool = Some(match v.as_str() {
                    "batch" => Durability::PerBatch,
                    "interval" => Durability::Interval(Duration::from_secs(1)),
                    "os" => Durability::Os,
                    _ => return Err(format!("--spool: unknown {v:?}")),
                });
            }
            "--api" => {
                let v = args.next().ok_or("--api needs a value")?;
                options.api = match v.as_str() {
                    "log" => Api::Log,
                    "parts" => Api::Parts,
                    "tracked" => Api::Tracked,
                    _ => return Err(format!("--api: unknown {v:?}")),
                };
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(if serve {
        Mode::Serve {
            threads: options.server_threads,
            kind: options.server,
        }
    } else {
        Mode::Bench(options)
    })
}

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Ok(Mode::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Mode::Serve { threads, kind }) => serve(threads, kind),
        Ok(Mode::Bench(options)) => match bench(&options) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("throughput: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("throughput: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

// ---------------------------------------------------------------------------------------
// The server process

/// Run the counting server until standard input closes, then print its totals, CPU time
/// and peak RSS as one JSON line.
fn serve(threads: usize, kind: ServerKind) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let until_stdin_closes = || async {
        std::io::stdout().flush().expect("stdout");
        tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new()))
            .await
            .expect("stdin reader")
            .ok();
    };
    runtime.block_on(async {
        let stats = match kind {
            ServerKind::Local | ServerKind::Strict => {
                let sls = LocalSls::builder()
                    .project(PROJECT)
                    .logstore(PROJECT, LOGSTORE, Default::default())
                    .access_key(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
                    .store_mode(StoreMode::CountOnly)
                    .deep_check_every(kind.deep_check_every())
                    .start()
                    .await
                    .expect("bind a port on 127.0.0.1");
                println!("port {}", sls.port());
                until_stdin_closes().await;
                let stats = sls.stats();
                sls.shutdown().await;
                stats.to_json()
            }
            ServerKind::Null => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind a port on 127.0.0.1");
                println!("port {}", listener.local_addr().expect("bound").port());
                let totals = Arc::new(sink::Totals::default());
                let server = tokio::spawn(sink::run(listener, totals.clone()));
                until_stdin_closes().await;
                server.abort();
                totals.to_json()
            }
        };
        let cpu = proc_stats::cpu_time("self").unwrap_or_default();
        let summary = serde_json::json!({
            "stats": stats,
            "cpuSeconds": cpu.as_secs_f64(),
            "peakRss": proc_stats::peak_rss("self").unwrap_or(0),
        });
        println!("{summary}");
    });
    ExitCode::SUCCESS
}

/// The server child process, and how to stop it.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: BufReader<std::process::ChildStdout>,
    port: u16,
}

impl Server {
    fn start(threads: usize, kind: ServerKind) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("own path: {e}"))?;
        let mut child = Command::new(exe)
            .args(["--serve", "--server", kind.as_str()])
            .args(["--server-threads", &threads.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("start the server process: {e}"))?;
        let stdin = child.stdin.take();
        let mut lines = BufReader::new(child.stdout.take().expect("piped"));
        let mut first = String::new();
        lines
            .read_line(&mut first)
            .map_err(|e| format!("read the server's port: {e}"))?;
        let port = first
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("the server printed {first:?}, not its port"))?;
        Ok(Self {
            child,
            stdin,
            lines,
            port,
        })
    }

    /// Stop the server and read its summary.
    fn stop(mut self) -> Result<serde_json::Value, String> {
        drop(self.stdin.take());
        let mut line = String::new();
        self.lines
            .read_line(&mut line)
            .map_err(|e| format!("read the server's summary: {e}"))?;
        let _ = self.child.wait();
        serde_json::from_str(&line).map_err(|e| format!("server summary {line:?}: {e}"))
    }
}

// ---------------------------------------------------------------------------------------
// The ceiling

/// What a measured phase did and cost.
#[derive(Clone, Copy, Debug)]
struct Measured {
    raw_bytes: u64,
    wall: Duration,
    cpu: Duration,
}

impl Measured {
    fn raw_mb_per_s(&self) -> f64 {
        self.raw_bytes as f64 / 1e6 / self.wall.as_secs_f64()
    }

    fn cpu_s_per_gb(&self) -> f64 {
        self.cpu.as_secs_f64() / (self.raw_bytes as f64 / 1e9)
    }
}

/// Encode `logs` logs into batches of the default size and compress each batch, on this
/// thread: the work no producer can avoid. The logs are the senders' own: the workload's
/// ring of draws, read in order, each encoded from its borrowed key/value pairs.
fn ceiling(workload: &BenchWorkload, logs: u64, config: &ProducerConfig) -> Measured {
    const PACK_ID: &str = "0123456789ABCDEF-0000000000000001";
    let (route, _) = workload.draw(0);
    let trailer = LogGroupEncoder::new().finished_len(
        route.topic(),
        route.source(),
        [(PACK_ID_KEY, PACK_ID)],
    );
    let mut encoder = LogGroupEncoder::with_capacity(config.max_batch_bytes);
    let mut body = Vec::new();
    let mut raw_bytes = 0u64;
    // As the producer's driver: one scratch buffer and one zstd context for every batch.
    let mut compressor = Compressor::new();
    let level = ZstdLevel::new(config.zstd_level).expect("checked by parse");
    let mut seal = |encoder: LogGroupEncoder, body: &mut Vec<u8>| {
        let raw = encoder.finish(route.topic(), route.source(), [(PACK_ID_KEY, PACK_ID)]);
        *body = compressor
            .compress(config.compression, level, &raw)
            .expect("supported");
        raw_bytes += raw.len() as u64;
        LogGroupEncoder::with_buffer(raw)
    };
    let cpu = proc_stats::cpu_time("self").unwrap_or_default();
    let start = Instant::now();
    for i in 0..logs {
        let (_, time, parts) = workload.draw_parts(i);
        let entry = LogGroupEncoder::encoded_parts_len(time, None, parts);
        if encoder.len() + entry + trailer > config.max_batch_bytes
            || encoder.log_count() == config.max_batch_count
        {
            encoder = seal(encoder, &mut body);
        }
        encoder.push_parts(time, None, parts);
    }
    if !encoder.is_empty() {
        seal(encoder, &mut body);
    }
    let wall = start.elapsed();
    let cpu = proc_stats::cpu_time("self").unwrap_or_default() - cpu;
    Measured {
        raw_bytes,
        wall,
        cpu,
    }
}

// ---------------------------------------------------------------------------------------
// The end-to-end run

/// Send `count` logs: the workload's ring from draw `first` on.
async fn sender(
    producer: Producer,
    workload: Arc<BenchWorkload>,
    api: Api,
    first: u64,
    count: u64,
) {
    for i in 0..count {
        let (route, sent) = match api {
            Api::Log => {
                let (route, log) = workload.draw_built(first + i);
                (route, producer.send(route, log).map(drop))
            }
            Api::Parts => {
                let (route, time, parts) = workload.draw_parts(first + i);
                let parts = LogParts::new(time, parts);
                (route, producer.send_parts(route, parts).map(drop))
            }
            Api::Tracked => {
                let (route, log) = workload.draw_built(first + i);
                let sent = producer.send_tracked(route, log).map(count_outcome);
                (route, sent)
            }
        };
        if let Err(refused) = sent {
            wait_for_room(&producer, route, api, refused).await;
        }
        if i % YIELD_EVERY == YIELD_EVERY - 1 {
            tokio::task::yield_now().await;
        }
    }
}

/// Count a tracked send's outcome when it comes (`--api tracked`).
fn count_outcome(handle: sls_producer_tokio::DeliveryHandle) {
    handle.on_complete(|result| {
        if result.is_success() {
            CALLED_BACK.fetch_add(1, Ordering::Relaxed);
        }
    });
}

/// Send `refused`'s record again, waiting (up to `max_block`) for room in the memory budget.
async fn wait_for_room(producer: &Producer, route: &Route, api: Api, refused: SendError) {
    assert!(refused.is_transient(), "send refused: {refused}");
    WAITS.fetch_add(1, Ordering::Relaxed);
    let again = producer.send_async(route, refused.into_record());
    if api == Api::Tracked {
        count_outcome(again.tracked().await.expect("room within max_block"));
    } else {
        again.await.expect("room within max_block");
    }
}

fn bench(options: &Options) -> Result<bool, String> {
    let server = Server::start(options.server_threads, options.server)?;
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    let mut config = ProducerConfig::new(endpoint)
        .with_compression(options.compression)
        .with_zstd_level(options.zstd_level);
    if let Some(kib) = options.batch_kib {
        config = config.with_max_batch_bytes(kib * 1024);
    }
    if let Some(mib) = options.budget_mib {
        config = config.with_memory_budget(mib << 20);
    }
    let time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32);
    let workload = Arc::new(
        BenchWorkload::new(1, PROJECT, LOGSTORE, time)
            .and_then(|w| w.with_routes(options.routes))
            .map_err(|e| format!("workload: {e}"))?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.workers)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let helpers = options
        .helpers
        .unwrap_or_else(|| TokioRuntime::new(runtime.handle().clone()).compress_helpers());

    println!(
        "throughput: {} logs over {} routes from {} tasks ({:?} API) on {} worker threads, \
         {} compression helper(s); {}, {} thread(s), separate process; {:?}{}, batches of {} \
         KiB / {} logs, memory budget {} MiB; disk spool: {:?}",
        options.logs,
        options.routes,
        options.senders,
        options.api,
        options.workers,
        helpers,
        options.server.describe(),
        options.server_threads,
        options.compression,
        if options.compression == Compression::Zstd {
            format!(" level {}", options.zstd_level)
        } else {
            String::new()
        },
        config.max_batch_bytes / 1024,
        config.max_batch_count,
        config.memory_budget >> 20,
        options.spool,
    );
    let spool_dir =
        std::env::temp_dir().join(format!("sls-throughput-spool-{}", std::process::id()));

    let ceiling_before = ceiling(&workload, options.logs, &config);

    // What the process holds before the producer: the runtime, the workload, the binary.
    let rss_before = proc_stats::rss("self").unwrap_or(0);
    let cpu_start = proc_stats::cpu_time("self").unwrap_or_default();
    let start = Instant::now();
    let outcome = runtime.block_on(async {
        let mut builder = Producer::builder(config.clone())
            .with_credentials(Credentials::new(ACCESS_KEY_ID, ACCESS_KEY_SECRET));
        if let Some(durability) = options.spool {
            builder = builder.with_spool(
                SpoolConfig::new(&spool_dir)
                    .with_max_bytes(16 << 30)
                    .with_durability(durability),
            );
        }
        let (producer, driver) = builder
            .build_with_driver(TokioRuntime::new(tokio::runtime::Handle::current()))
            .map_err(|e| format!("build the producer: {e}"))?;
        for _ in 0..helpers {
            tokio::spawn(driver.compress_helper());
        }
        let driver = tokio::spawn(driver);
        let senders: Vec<_> = (0..options.senders)
            .map(|k| {
                let count =
                    options.logs / options.senders + u64::from(k < options.logs % options.senders);
                tokio::spawn(sender(
                    producer.clone(),
                    workload.clone(),
                    options.api,
                    k * (BenchWorkload::RING as u64 / options.senders),
                    count,
                ))
            })
            .collect();
        for s in senders {
            s.await.map_err(|e| format!("sender task: {e}"))?;
        }
        let sent = start.elapsed();
        let metrics = producer.close(None).await;
        drop(producer);
        driver.await.map_err(|e| format!("driver task: {e}"))?;
        Ok::<_, String>((metrics, sent))
    })?;
    let (metrics, sent) = outcome;
    let wall = start.elapsed();
    let cpu = proc_stats::cpu_time("self").unwrap_or_default() - cpu_start;
    drop(runtime);
    if options.spool.is_some() {
        println!(
            "disk spool:             {} batches written and acknowledged",
            metrics.spooled_batches
        );
        let _ = std::fs::remove_dir_all(&spool_dir);
    }

    let ceiling_after = ceiling(&workload, options.logs, &config);
    let peak_rss = proc_stats::peak_rss("self").unwrap_or(0);
    let summary = server.stop()?;
    let total = &summary["stats"]["total"];
    let received = total["logs"].as_u64().unwrap_or(0);
    let raw_bytes = total["rawBytes"].as_u64().unwrap_or(0);
    let wire_bytes = total["wireBytes"].as_u64().unwrap_or(0);
    let log_groups = total["logGroups"].as_u64().unwrap_or(0);
    let rejected = summary["stats"]["rejected"].as_u64().unwrap_or(0);
    let e2e = Measured {
        raw_bytes,
        wall,
        cpu,
    };
    let ceiling_mb_s = (ceiling_before.raw_mb_per_s() + ceiling_after.raw_mb_per_s()) / 2.0;
    let ceiling_cpu_gb = (ceiling_before.cpu_s_per_gb() + ceiling_after.cpu_s_per_gb()) / 2.0;
    let budget = config.memory_budget as f64 / 1e6;

    let verified = received == options.logs
        && metrics.delivered_logs == options.logs
        && (options.api != Api::Tracked || CALLED_BACK.load(Ordering::Relaxed) == options.logs);
    println!(
        "received by the server: {received} logs ({}), {rejected} requests rejected; \
         producer: {} delivered, {} failed",
        if verified { "exactly N" } else { "MISMATCH" },
        metrics.delivered_logs,
        metrics.failed_logs,
    );
    println!(
        "raw LogGroup bytes:     {:.1} MB ({:.0} B/log); on the wire {:.1} MB ({:.1}:1); \
         {log_groups} requests ({:.0} KiB raw each)",
        raw_bytes as f64 / 1e6,
        raw_bytes as f64 / options.logs as f64,
        wire_bytes as f64 / 1e6,
        raw_bytes as f64 / wire_bytes.max(1) as f64,
        raw_bytes as f64 / log_groups.max(1) as f64 / 1024.0,
    );
    println!(
        "wall time:              {:.3} s (senders done after {:.3} s, then close; {} sends \
         waited for room in the memory budget)",
        wall.as_secs_f64(),
        sent.as_secs_f64(),
        WAITS.load(Ordering::Relaxed),
    );
    println!("throughput:             {:.1} MB/s raw", e2e.raw_mb_per_s());
    println!(
        "logs/s:                 {:.0}",
        options.logs as f64 / wall.as_secs_f64()
    );
    println!(
        "CPU (user+sys):         {:.2} s = {:.2} CPU s per GB raw ({:.0}% of one core)",
        cpu.as_secs_f64(),
        e2e.cpu_s_per_gb(),
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64(),
    );
    println!(
        "peak RSS:               {:.1} MB ({:.1} MB before the producer started; limit: \
         memory budget {budget:.1} MB + 30 MB = {:.1} MB)",
        peak_rss as f64 / 1e6,
        rss_before as f64 / 1e6,
        budget + 30.0,
    );
    println!(
        "ceiling (encode+{:?}, 1 thread): {:.1} MB/s before, {:.1} MB/s after; {:.2} CPU s per GB",
        options.compression,
        ceiling_before.raw_mb_per_s(),
        ceiling_after.raw_mb_per_s(),
        ceiling_cpu_gb,
    );
    println!(
        "ceiling ratio:          {:.2} (throughput / ceiling throughput)",
        e2e.raw_mb_per_s() / ceiling_mb_s,
    );
    println!(
        "CPU ratio:              {:.2} (ceiling CPU per GB / producer CPU per GB)",
        ceiling_cpu_gb / e2e.cpu_s_per_gb(),
    );
    let server_cpu = summary["cpuSeconds"].as_f64().unwrap_or(0.0);
    println!(
        "server process:         {server_cpu:.2} CPU s = {:.2} CPU s per GB raw, peak RSS {:.1} \
         MB (not counted above)",
        server_cpu / (raw_bytes.max(1) as f64 / 1e9),
        summary["peakRss"].as_f64().unwrap_or(0.0) / 1e6,
    );
    Ok(verified)
}
