//! Quickstart: ship 1,000,000 demo logs and print a delivery summary.
//!
//! ```sh
//! cargo run --release --example quickstart                 # to a local SLS server, in-process
//! cargo run --release --example quickstart -- --logs 5000  # fewer logs
//! cargo run --release --example quickstart -- --help       # every flag and variable
//! ```
//!
//! With nothing configured, a local SLS-compatible server starts inside the process (it
//! checks signatures, decompresses every request like SLS, and counts what it stores). To
//! ship to the real service instead, set `SLS_ENDPOINT` (e.g.
//! `cn-hangzhou.log.aliyuncs.com`), `SLS_PROJECT`, `SLS_LOGSTORE` and the credentials
//! `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` (and
//! `ALIBABA_CLOUD_SECURITY_TOKEN` for STS). Every input is checked before anything starts;
//! failed attempts are printed to stderr as they happen.

#[path = "quickstart/diagnostics.rs"]
mod diagnostics;
#[path = "quickstart/options.rs"]
pub(crate) mod options;

use core::error::Error;
use core::fmt;
use core::time::Duration;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use sls_producer_core::config::Compression;
use sls_producer_core::rt::Clock as _;
use sls_producer_examples::{Service, env_var, exit_with};
use sls_producer_tests::server::{LocalSls, StoreMode};
use sls_producer_tokio::{
    Credentials, Log, Producer, ProducerBuilderExt as _, ProducerConfig, Route, TokioRuntime,
};

pub(crate) use diagnostics::{Failures, LastErrors};
#[allow(unused_imports, reason = "named by the tests")]
pub(crate) use options::{Command, Options, OptionsError};

/// The command line without the program name; an argument that is not valid Unicode is
/// read lossily (and then rejected, shown).
fn args() -> impl Iterator<Item = String> {
    std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
}

/// The AccessKey the in-process server accepts (it checks signatures like SLS).
const LOCAL_KEY: (&str, &str) = ("quickstart-id", "quickstart-secret");

#[tokio::main]
async fn main() -> ExitCode {
    let options = match Command::parse(args(), env_var) {
        Ok(Command::Help) => {
            println!("{}", options::help());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(options)) => options,
        Err(e) => exit_with(&e),
    };
    let target = match Target::new(options.service).await {
        Ok(target) => target,
        Err(e) => exit_with(&*e),
    };
    println!(
        "Shipping {} demo logs to {}",
        Thousands(options.logs),
        target
    );
    let bar = ProgressBar::new(options.logs);
    let errors = LastErrors::default();
    diagnostics::install(&bar, &errors);
    let config = ProducerConfig::new(&target.endpoint);
    let summary = match run(&target, config, options.logs, &bar, &errors).await {
        Ok(summary) => summary,
        Err(e) => exit_with(&*e),
    };
    println!("{summary}");
    target.shutdown().await;
    if summary.failed > 0 || summary.stopped.is_some() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Where the logs go: the service named by the environment, or a local server.
pub(crate) struct Target {
    /// The endpoint, e.g. `cn-hangzhou.log.aliyuncs.com` or `http://127.0.0.1:PORT`.
    pub(crate) endpoint: String,
    /// The project.
    pub(crate) project: String,
    /// The logstore.
    pub(crate) logstore: String,
    /// The credentials to sign with.
    pub(crate) credentials: Credentials,
    /// The in-process server, when no endpoint is configured.
    pub(crate) local: Option<LocalSls>,
}

impl Target {
    /// `service`, or a local server on this runtime when it is `None`.
    pub(crate) async fn new(service: Option<Service>) -> Result<Self, Box<dyn Error>> {
        match service {
            Some(service) => Ok(Self {
                endpoint: service.endpoint,
                project: service.project,
                logstore: service.logstore,
                credentials: service.credentials,
                local: None,
            }),
            None => Self::local().await,
        }
    }

    /// A local server (counting what it stores, so a million logs take no memory) that
    /// accepts [`LOCAL_KEY`] for any project and logstore.
    pub(crate) async fn local() -> Result<Self, Box<dyn Error>> {
        let local = LocalSls::builder()
            .auto_create(true)
            .access_key(LOCAL_KEY.0, LOCAL_KEY.1)
            .store_mode(StoreMode::CountOnly)
            .start()
            .await?;
        Ok(Self {
            endpoint: local.endpoint(),
            project: "quickstart".to_owned(),
            logstore: "demo".to_owned(),
            credentials: Credentials::new(LOCAL_KEY.0, LOCAL_KEY.1),
            local: Some(local),
        })
    }

    /// Stop the local server, if any.
    pub(crate) async fn shutdown(self) {
        if let Some(local) = self.local {
            local.shutdown().await;
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} at {}", self.project, self.logstore, self.endpoint)?;
        if self.local.is_some() {
            f.write_str(" (local SLS server in this process; set SLS_ENDPOINT to ship to SLS)")?;
        }
        Ok(())
    }
}

/// What happened to the logs, from the producer's metrics (and the local server's count).
#[derive(Clone, Debug)]
pub(crate) struct Summary {
    /// Logs handed to the producer.
    pub(crate) sent: u64,
    /// Logs the server stored.
    pub(crate) delivered: u64,
    /// Logs that failed for good.
    pub(crate) failed: u64,
    /// Batches (LogGroups) built.
    pub(crate) batches: u64,
    /// HTTP requests made, retries included.
    pub(crate) requests: u64,
    /// Requests that failed and were retried.
    pub(crate) retries: u64,
    /// Uncompressed bytes delivered.
    pub(crate) raw_bytes: u64,
    /// Bytes on the wire (compressed bodies) delivered.
    pub(crate) body_bytes: u64,
    /// Compression used.
    pub(crate) compression: Compression,
    /// From the first send until every log had its outcome.
    pub(crate) elapsed: Duration,
    /// Logs the local server counted (none when shipping to SLS).
    pub(crate) server_logs: Option<u64>,
    /// The batches given up and their last error.
    pub(crate) failures: Failures,
    /// Why sending stopped before every log was handed to the producer, if it did.
    pub(crate) stopped: Option<String>,
}

/// Ship `logs` demo logs to `target` with a producer configured by `config`, showing
/// progress on `bar` (hidden in tests); the errors of failed batches are read from
/// `errors` (fed by the producer's diagnostics).
pub(crate) async fn run(
    target: &Target,
    config: ProducerConfig,
    logs: u64,
    bar: &ProgressBar,
    errors: &LastErrors,
) -> Result<Summary, Box<dyn Error>> {
    let compression = config.compression;
    let producer = Producer::builder(config)
        .with_credentials(target.credentials.clone())
        .build()?;
    let route = Route::new(&target.project, &target.logstore)?
        .with_topic("quickstart")
        .with_source("demo-host");

    bar.set_style(
        ProgressStyle::with_template(
            "{spinner:.green} {elapsed_precise} {bar:30.cyan/blue} {human_pos}/{human_len} delivered · {msg}",
        )?
        .progress_chars("=> "),
    );
    let clock = TokioRuntime::current()?;
    let started = clock.now();
    // Delivered logs advance the bar; failed ones are counted beside it, never as
    // delivered.
    let show = {
        let (producer, bar, clock) = (producer.clone(), bar.clone(), clock.clone());
        move || {
            let m = producer.metrics();
            let secs = clock.now().saturating_duration_since(started).as_secs_f64();
            let rate = (m.delivered_logs as f64 / secs.max(1e-3)) as u64;
            bar.set_message(format!(
                "{} failed · {} logs/s · {} in flight · {} retries · buffer {:.0}%",
                Thousands(m.failed_logs),
                Thousands(rate),
                m.in_flight,
                m.retries,
                m.buffer_use() * 100.0
            ));
            bar.set_position(m.delivered_logs);
        }
    };
    let ticker = {
        let show = show.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(100));
            loop {
                every.tick().await;
                show();
            }
        })
    };

    let mut demo = DemoLogs::new(0x5eed);
    let mut stopped = None;
    for i in 0..logs {
        let log = demo.next(Log::from_unix_time(producer.unix_time()), i)?;
        // Waits (up to `max_block`) only when the memory budget is full: back-pressure
        // instead of unbounded memory. If it stays full (nothing is delivered), stop.
        if let Err(e) = producer.send_async(&route, log).await {
            stopped = Some(format!("after {} logs: {e}", Thousands(i)));
            break;
        }
    }
    let report = producer.close(Some(Duration::from_secs(120))).await;
    let elapsed = clock.now().saturating_duration_since(started);
    ticker.abort();
    show();
    bar.abandon();

    let m = producer.metrics();
    Ok(Summary {
        sent: m.accepted_logs,
        delivered: report.delivered_logs,
        failed: report.failed_logs,
        batches: m.batches,
        requests: m.requests,
        retries: m.retries,
        raw_bytes: m.delivered_raw_bytes,
        body_bytes: m.delivered_body_bytes,
        compression,
        elapsed,
        server_logs: target.local.as_ref().map(LocalSls::log_count),
        failures: errors.get(),
        stopped,
    })
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let ratio = self.raw_bytes as f64 / self.body_bytes.max(1) as f64;
        writeln!(f, "Delivery summary")?;
        writeln!(
            f,
            "  logs        {} sent, {} delivered, {} failed",
            Thousands(self.sent),
            Thousands(self.delivered),
            Thousands(self.failed)
        )?;
        writeln!(
            f,
            "  batches     {} ({} requests, {} retries)",
            Thousands(self.batches),
            Thousands(self.requests),
            Thousands(self.retries)
        )?;
        writeln!(
            f,
            "  bytes       {} raw, {} compressed ({}, {ratio:.1}x)",
            Bytes(self.raw_bytes),
            Bytes(self.body_bytes),
            self.compression.header_value().unwrap_or("uncompressed")
        )?;
        write!(
            f,
            "  throughput  {} logs/s, {}/s raw, in {:.2} s",
            Thousands((self.delivered as f64 / secs) as u64),
            Bytes((self.raw_bytes as f64 / secs) as u64),
            secs
        )?;
        if let Some(n) = self.server_logs {
            write!(
                f,
                "\n  server      {} logs stored by the local SLS server",
                Thousands(n)
            )?;
        }
        if let Some(why) = &self.stopped {
            write!(f, "\n  stopped     sending {why}")?;
        }
        let Failures {
            batches,
            last,
            last_count,
        } = &self.failures;
        if let Some(last) = last {
            write!(
                f,
                "\n  failed      {} logs in {} {}; last error ({} of them): {last}",
                Thousands(self.failed),
                Thousands(*batches),
                if *batches == 1 { "batch" } else { "batches" },
                Thousands(*last_count),
            )?;
        } else if self.failed > 0 {
            write!(f, "\n  failed      {} logs", Thousands(self.failed))?;
        }
        Ok(())
    }
}

/// Deterministic, varied web-server logs (xorshift64*; no dependency on a RNG crate).
struct DemoLogs {
    state: u64,
}

impl DemoLogs {
    fn new(seed: u64) -> Self {
        Self { state: seed | 1 }
    }

    fn next_u64(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// The `i`th demo log, its pairs written into `log`: a `Log` keeps them in one
    /// buffer, numbers formatted in place, so a log costs one allocation.
    fn next(&mut self, mut log: Log, i: u64) -> Result<Log, fmt::Error> {
        const PATHS: [&str; 6] = [
            "/",
            "/api/orders",
            "/api/orders/{id}",
            "/api/users/{id}",
            "/login",
            "/static/app.js",
        ];
        const METHODS: [&str; 4] = ["GET", "GET", "POST", "PUT"];
        let r = self.next_u64();
        let status = match r % 100 {
            0 => "500",
            1..=3 => "404",
            4..=5 => "429",
            _ => "200",
        };
        let level = match status {
            "500" => "ERROR",
            "404" | "429" => "WARN",
            _ => "INFO",
        };
        log.push("level", level);
        log.push("method", METHODS[(r >> 8) as usize % METHODS.len()]);
        log.push("path", PATHS[(r >> 16) as usize % PATHS.len()]);
        log.push("status", status);
        log.push_fmt("latency_ms", format_args!("{}", (r >> 24) % 250 + 1))?;
        log.push_fmt("user_id", format_args!("u{}", (r >> 32) % 10_000))?;
        log.push_fmt("request_id", format_args!("{i:016x}"))?;
        log.push("message", "request handled");
        Ok(log)
    }
}

/// A count with thousands separators.
struct Thousands(u64);

impl fmt::Display for Thousands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        f.pad(&out)
    }
}

/// A byte count in binary units.
struct Bytes(u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut value = self.0 as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit < UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        if unit == 0 {
            write!(f, "{} B", self.0)
        } else {
            write!(f, "{value:.1} {}", UNITS[unit])
        }
    }
}
