//! `memory`: does the memory budget bound the process? Peak RSS beside the budget, for the
//! scenarios that hold the most memory, on tokio and smol.
//!
//! ```text
//! cargo run --release -p sls-producer-tests --bin memory -- [--scenario S] [--runtime R]
//! ```
//!
//! Each scenario runs in a child process of its own (this binary again, with `--child`),
//! so that each peak RSS (`VmHWM`) is that scenario's alone. In every scenario the server
//! accepts connections and never answers ([`hung`]), so nothing the producer accepts is
//! ever released by a delivery: the producer holds all it may (each scenario sends more
//! than its budget holds, compressed), and the budget is all that bounds it. Application threads send with `send` (fire and forget) and count the sends
//! the full budget refuses; then the producer is closed with a 1 s deadline, which seals
//! every open batch and hands everything back.
//!
//! | scenario | routes | log | budget | linger |
//! |---|---|---|---|---|
//! | `one-route` | 1 | like an access log's (8 pairs, ~300 B, about 4:1 with LZ4) | 64 MiB | default |
//! | `many-routes` | 100,000 (one topic each) | 1 pair, 10-byte value | 4 MiB | 60 s |
//! | `saturated` | 10 | 8 pairs of 64 random characters (~550 B, incompressible), tracked with a callback | 256 MiB | default |
//!
//! Printed per scenario and runtime: the budget, the most the budget counted
//! (`Metrics::buffered_bytes`, sampled every 20 ms), the RSS before the producer was
//! built (runtime, binary), the peak RSS, the peak over the budget, the logs accepted and
//! refused, how long the final `close` with a 1 s deadline took (it hands back every log
//! held: in `saturated`, about 300,000 tracked logs, each with a callback) and how many
//! callbacks were still queued when it returned (they run afterwards; the child checks
//! that each ran once). The target is peak RSS ≤ budget + 16 MiB.
//!
//! `--outage` runs another experiment instead (see [`outage`]): a producer with the disk
//! spool, a server that is down for `--down` seconds (default 30) while the application
//! sends `--rate` logs a second (default 50,000), then recovers: peak RSS beside the
//! budget (`--budget` MiB, default 64), logs accepted and refused during the outage, and
//! how fast the backlog drains while new logs keep flowing.

// A benchmark measures real time.
#![allow(clippy::disallowed_methods)]

mod hung;
mod outage;
mod scenario;

use core::time::Duration;
use std::process::{Command, ExitCode};

use scenario::{Outcome, RuntimeKind, Scenario};

const USAGE: &str = "\
usage: memory [options]

  --scenario S   one-route, many-routes, saturated or all (default)
  --runtime R    tokio, smol or all (default; with --outage, tokio)
  --outage       instead: an outage with the disk spool, then recovery
  --down SECS    with --outage: how long the server is down (default 30)
  --rate N       with --outage: logs per second sent (default 50000)
  --budget MIB   with --outage: the memory budget (default 64)
  -h, --help     this text";

/// What the target allows above the budget.
const MARGIN: u64 = 16 << 20;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let mut scenarios = Scenario::ALL.to_vec();
    let mut runtimes: Option<Vec<RuntimeKind>> = None;
    let mut child = false;
    let mut outage: Option<outage::Outage> = None;
    let mut port = 0u16;
    let number = |value: Option<&String>, name: &str| -> Result<u64, String> {
        value
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a number"))
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--child" => child = true,
            "--outage" => outage = Some(outage.unwrap_or_default()),
            "--down" => {
                outage.get_or_insert_default().down =
                    Duration::from_secs(number(it.next(), "--down")?);
            }
            "--rate" => outage.get_or_insert_default().rate = number(it.next(), "--rate")?,
            "--budget" => {
                outage.get_or_insert_default().budget =
                    (number(it.next(), "--budget")? as usize) << 20;
            }
            "--port" => port = number(it.next(), "--port")? as u16,
            "--scenario" => {
                let value = it.next().ok_or("--scenario needs a value")?;
                if value != "all" {
                    scenarios = vec![Scenario::parse(value)?];
                }
            }
            "--runtime" => {
                let value = it.next().ok_or("--runtime needs a value")?;
                runtimes = Some(if value == "all" {
                    RuntimeKind::ALL.to_vec()
                } else {
                    vec![RuntimeKind::parse(value)?]
                });
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if let Some(outage) = outage {
        let runtimes = runtimes.unwrap_or_else(|| vec![RuntimeKind::Tokio]);
        if child {
            let &[runtime] = runtimes.as_slice() else {
                return Err("--child runs the outage on one runtime".into());
            };
            return outage.child(port, runtime);
        }
        return runtimes
            .into_iter()
            .try_for_each(|runtime| outage.run(runtime));
    }
    let runtimes = runtimes.unwrap_or_else(|| RuntimeKind::ALL.to_vec());
    if child {
        let (&[scenario], &[runtime]) = (scenarios.as_slice(), runtimes.as_slice()) else {
            return Err("--child runs one scenario on one runtime".into());
        };
        let outcome = scenario.run(runtime)?;
        println!("{}", outcome.to_line());
        return Ok(());
    }
    println!(
        "memory: peak RSS beside the memory budget, server never answers; target: peak ≤ \
         budget + {} MiB",
        MARGIN >> 20
    );
    println!(
        "{:<12} {:<6} {:>8} {:>9} {:>8} {:>9} {:>11} {:>9} {:>9} {:>6} {:>8} {:>7}",
        "scenario",
        "rt",
        "budget",
        "counted",
        "before",
        "peak RSS",
        "peak-budget",
        "accepted",
        "refused",
        "target",
        "close",
        "queued"
    );
    let exe = std::env::current_exe().map_err(|e| format!("own path: {e}"))?;
    for scenario in &scenarios {
        for runtime in &runtimes {
            let output = Command::new(&exe)
                .args([
                    "--child",
                    "--scenario",
                    scenario.name(),
                    "--runtime",
                    runtime.name(),
                ])
                .output()
                .map_err(|e| format!("start the scenario: {e}"))?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            let line = stdout.lines().last().unwrap_or_default();
            let outcome = Outcome::from_line(line).ok_or_else(|| {
                format!(
                    "{} on {} failed ({}): {}",
                    scenario.name(),
                    runtime.name(),
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                )
            })?;
            let mib = |b: u64| format!("{:.1}", b as f64 / f64::from(1 << 20));
            let over = outcome.peak_rss as i64 - outcome.budget as i64;
            println!(
                "{:<12} {:<6} {:>8} {:>9} {:>8} {:>9} {:>11} {:>9} {:>9} {:>6} {:>8} {:>7}",
                scenario.name(),
                runtime.name(),
                mib(outcome.budget),
                mib(outcome.counted),
                mib(outcome.rss_before),
                mib(outcome.peak_rss),
                format!("{:+.1}", over as f64 / f64::from(1 << 20)),
                outcome.accepted,
                outcome.refused,
                if outcome.peak_rss <= outcome.budget + MARGIN {
                    "met"
                } else {
                    "MISSED"
                },
                format!("{} ms", outcome.close_ms),
                outcome.queued,
            );
        }
    }
    println!(
        "(MiB; counted: the most Metrics::buffered_bytes showed; before: RSS before the \
         producer; accepted, refused: logs; close: how long close with a 1 s deadline took, \
         handing back everything held; queued: callbacks not run yet when it returned, run \
         afterwards)"
    );
    Ok(())
}
