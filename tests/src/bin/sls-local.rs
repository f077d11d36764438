//! `sls-local`: run the local SLS-compatible server from the command line.
//!
//! ```text
//! cargo run -p sls-producer-tests --bin sls-local -- --port 8080 --auto-create --any-key
//! ```
//!
//! Prints each accepted log group on one line (or, with `--count`, a running count once a
//! second), and stops cleanly on Ctrl-C. See `tests/README.md` for fault injection.
#![forbid(unsafe_code)]

use core::time::Duration;
use std::io::Write as _;
use std::process::ExitCode;

use sls_producer_core::rt::UnixTime;
use sls_producer_tests::server::{Limits, LocalSls, LocalSlsBuilder, LogstoreOptions, StoreMode};

const USAGE: &str = "\
usage: sls-local [options]

  --port N                 listen on 127.0.0.1:N (default 0: any free port)
  --project P              add a project (repeatable)
  --logstore P/LS[:track]  add a logstore; ':track' enables anonymous web tracking (repeatable)
  --auto-create            accept any project and logstore (web tracking enabled)
  --access-key ID:SECRET   accept this AccessKey (repeatable)
  --sts ID:SECRET:TOKEN[:EXPIRES]
                           accept these STS credentials; EXPIRES in Unix seconds (repeatable)
  --any-key                do not check signatures (quickstart mode)
  --endpoint-host H        also take the project from Host '{project}.H' (repeatable)
  --max-body BYTES         largest body on the wire and uncompressed (default 10485760
                           on the wire, 5242880 uncompressed, as SLS)
  --max-logs N             most logs per request (default 40960)
  --count                  keep only counters; print a running count once a second
  --quiet                  do not print accepted log groups
  -h, --help               this text

Ctrl-C stops the server and prints the totals.";

struct Options {
    builder: LocalSlsBuilder,
    count: bool,
    quiet: bool,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut builder = LocalSls::builder().worker_threads(4);
    let mut limits = Limits::SLS;
    let (mut count, mut quiet) = (false, false);
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let v = value("--port")?;
                builder = builder.port(v.parse().map_err(|_| format!("bad port {v:?}"))?);
            }
            "--project" => builder = builder.project(value("--project")?),
            "--logstore" => {
                let v = value("--logstore")?;
                let (spec, track) = match v.strip_suffix(":track") {
                    Some(s) => (s, true),
                    None => (v.as_str(), false),
                };
                let (p, l) = spec
                    .split_once('/')
                    .ok_or_else(|| format!("--logstore wants PROJECT/LOGSTORE, got {v:?}"))?;
                builder = builder.logstore(
                    p,
                    l,
                    LogstoreOptions {
                        web_tracking: track,
                    },
                );
            }
            "--auto-create" => builder = builder.auto_create(true),
            "--access-key" => {
                let v = value("--access-key")?;
                let (id, secret) = v.split_once(':').ok_or("--access-key wants ID:SECRET")?;
                builder = builder.access_key(id, secret);
            }
            "--sts" => {
                let v = value("--sts")?;
                let parts: Vec<&str> = v.splitn(4, ':').collect();
                let (id, secret, token, expires) = match parts.as_slice() {
                    [id, secret, token] => (*id, *secret, *token, None),
                    [id, secret, token, exp] => {
                        let secs: u64 = exp.parse().map_err(|_| format!("bad expiry {exp:?}"))?;
                        (*id, *secret, *token, Some(UnixTime::from_secs(secs)))
                    }
                    _ => return Err("--sts wants ID:SECRET:TOKEN[:EXPIRES]".to_owned()),
                };
                builder = builder.sts_token(id, secret, token, expires);
            }
            "--any-key" => builder = builder.accept_any_access_key(),
            "--endpoint-host" => builder = builder.endpoint_host(value("--endpoint-host")?),
            "--max-body" => {
                let v = value("--max-body")?;
                let n: usize = v.parse().map_err(|_| format!("bad size {v:?}"))?;
                limits.max_body_bytes = n;
                limits.max_raw_body_bytes = n;
            }
            "--max-logs" => {
                let v = value("--max-logs")?;
                limits.max_logs_per_request = v.parse().map_err(|_| format!("bad count {v:?}"))?;
            }
            "--count" => count = true,
            "--quiet" => quiet = true,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    builder = builder.limits(limits);
    if count {
        builder = builder.store_mode(StoreMode::CountOnly);
    } else if !quiet {
        builder = builder.on_log_group(|g| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{g}");
        });
    }
    Ok(Some(Options {
        builder,
        count,
        quiet,
    }))
}

#[tokio::main]
async fn main() -> ExitCode {
    let opts = match parse(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("sls-local: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sls = match opts.builder.start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sls-local: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "sls-local listening on {} (Host {{project}}.{}); control API at {}/_sls_local/",
        sls.endpoint(),
        sls.addr(),
        sls.endpoint()
    );
    let _ = std::io::stdout().flush();

    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last = 0;
    loop {
        tokio::select! {
            r = tokio::signal::ctrl_c() => {
                if let Err(e) = r {
                    eprintln!("sls-local: cannot wait for Ctrl-C: {e}");
                }
                break;
            }
            _ = tick.tick(), if opts.count && !opts.quiet => {
                let s = sls.stats();
                if s.total.logs != last {
                    last = s.total.logs;
                    println!(
                        "{} logs in {} log groups ({} bytes raw, {} on the wire); {} requests refused",
                        s.total.logs, s.total.log_groups, s.total.raw_bytes, s.total.wire_bytes, s.rejected
                    );
                }
            }
        }
    }
    let s = sls.stats();
    sls.shutdown().await;
    println!(
        "sls-local stopped: {} requests, {} accepted, {} refused, {} dropped; {} logs in {} log groups",
        s.requests, s.accepted, s.rejected, s.aborted, s.total.logs, s.total.log_groups
    );
    ExitCode::SUCCESS
}
