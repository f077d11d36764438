//! The quickstart's command line and environment, checked before anything starts.

use core::error::Error;
use core::fmt;

use sls_producer_examples::{ENVIRONMENT_HELP, Service, SetupError};

/// How many logs the quickstart sends unless `--logs N` or `QUICKSTART_LOGS` says
/// otherwise.
pub(crate) const DEFAULT_LOGS: u64 = 1_000_000;

/// What `--help` prints.
pub(crate) fn help() -> String {
    format!(
        "\
Ship demo logs through the SLS producer and print a delivery summary.

usage: cargo run --release --example quickstart [-- OPTIONS]

options:
  -n, --logs N     how many demo logs to send: a whole number from 1 up, `_` or `,`
                   allowed as separators (default {DEFAULT_LOGS}; overrides QUICKSTART_LOGS)
  -h, --help       print this help

environment:
  QUICKSTART_LOGS                  how many logs to send when --logs is not given
{ENVIRONMENT_HELP}

Failed attempts are printed to stderr as they happen; the summary names the last error.
The exit status is 1 when the input is invalid or any log was not delivered."
    )
}

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Command {
    /// Print [`help`].
    Help,
    /// Ship logs.
    Run(Options),
}

/// A checked run of the quickstart.
#[derive(Debug)]
pub(crate) struct Options {
    /// How many logs to send.
    pub(crate) logs: u64,
    /// The real service, or `None` for a local server.
    pub(crate) service: Option<Service>,
}

impl Command {
    /// Parse `args` (without the program name) and the variables `var` looks up.
    pub(crate) fn parse(
        args: impl IntoIterator<Item = String>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, OptionsError> {
        let mut args = args.into_iter();
        let mut logs = None;
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-h" | "--help" => return Ok(Self::Help),
                "-n" | "--logs" => {
                    let value = args
                        .next()
                        .ok_or(OptionsError::MissingValue { flag: "--logs" })?;
                    logs = Some(parse_logs("--logs", &value)?);
                }
                _ => match arg.strip_prefix("--logs=") {
                    Some(value) => logs = Some(parse_logs("--logs", value)?),
                    None => return Err(OptionsError::Unknown { arg }),
                },
            }
        }
        let logs = match logs {
            Some(n) => n,
            None => match var("QUICKSTART_LOGS").filter(|v| !v.is_empty()) {
                Some(value) => parse_logs("QUICKSTART_LOGS", &value)?,
                None => DEFAULT_LOGS,
            },
        };
        let service = Service::from_vars(var).map_err(OptionsError::Setup)?;
        Ok(Self::Run(Options { logs, service }))
    }
}

/// A log count: digits with optional `_` or `,` separators, at least 1.
fn parse_logs(source: &'static str, value: &str) -> Result<u64, OptionsError> {
    let invalid = || OptionsError::InvalidLogs {
        source,
        value: value.to_owned(),
    };
    let digits = value.trim().replace(['_', ','], "");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    match digits.parse::<u64>() {
        Ok(0) | Err(_) => Err(invalid()),
        Ok(n) => Ok(n),
    }
}

/// The command line or the environment is not something the quickstart can run with.
#[derive(Debug)]
pub(crate) enum OptionsError {
    /// A flag without its value.
    MissingValue {
        /// The flag.
        flag: &'static str,
    },
    /// An argument the quickstart does not know.
    Unknown {
        /// The argument.
        arg: String,
    },
    /// `--logs` or `QUICKSTART_LOGS` is not a positive whole number.
    InvalidLogs {
        /// `--logs` or `QUICKSTART_LOGS`.
        source: &'static str,
        /// The value given.
        value: String,
    },
    /// The `SLS_*` or `ALIBABA_CLOUD_*` variables.
    Setup(SetupError),
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingValue { flag } => write!(
                f,
                "{flag} needs a value: the number of logs to send, e.g. {flag} 5000."
            ),
            Self::Unknown { arg } => write!(
                f,
                "unknown argument {arg:?}. The quickstart accepts --logs N and --help."
            ),
            Self::InvalidLogs { source, value } => {
                let given = if source.starts_with('-') {
                    format!("{source} {value:?}")
                } else {
                    format!("{source}={value:?}")
                };
                write!(
                    f,
                    "{given} is not a number of logs. Give a whole number from 1 up, \
                     e.g. 5000 or 1_000_000."
                )
            }
            Self::Setup(e) => e.fmt(f),
        }
    }
}

impl Error for OptionsError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Setup(e) => e.source(),
            _ => None,
        }
    }
}
