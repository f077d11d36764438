//! The examples' input: the `SLS_*` and `ALIBABA_CLOUD_*` variables, checked before an
//! example starts, and errors printed as plain sentences.

use core::error::Error;
use core::fmt;

use sls_producer_core::credentials::{Credentials, EnvCredentialsError};
use sls_producer_core::{ConfigError, InvalidName, NameKind, ProducerConfig, Route};

/// The variables that select the real service, as `--help` texts list them.
pub const ENVIRONMENT_HELP: &str = "  SLS_ENDPOINT                     the SLS endpoint: host[:port], optionally after http:// or
                                   https:// (default https), e.g. cn-hangzhou.log.aliyuncs.com.
                                   Unset: ship to a local SLS server started in this process
  SLS_PROJECT                      the project (3 to 63 of a-z, 0-9 and -); needed with SLS_ENDPOINT
  SLS_LOGSTORE                     the logstore (2 to 63 of a-z, 0-9, - and _); needed with SLS_ENDPOINT
  ALIBABA_CLOUD_ACCESS_KEY_ID      the AccessKey id; needed with SLS_ENDPOINT
  ALIBABA_CLOUD_ACCESS_KEY_SECRET  the AccessKey secret; needed with SLS_ENDPOINT
  ALIBABA_CLOUD_SECURITY_TOKEN     the STS token, for temporary credentials (optional)";

/// Where to ship on the real service, every value checked: the endpoint parses, the
/// project and logstore names follow the SLS rules, the AccessKey is complete.
#[derive(Debug)]
pub struct Service {
    /// The SLS endpoint, e.g. `cn-hangzhou.log.aliyuncs.com`.
    pub endpoint: String,
    /// The project.
    pub project: String,
    /// The logstore.
    pub logstore: String,
    /// The credentials to sign with.
    pub credentials: Credentials,
}

impl Service {
    /// The service named by the process environment; `None` when `SLS_ENDPOINT` is unset.
    ///
    /// # Errors
    ///
    /// [`SetupError`] naming the first variable that is missing or invalid.
    pub fn from_env() -> Result<Option<Self>, SetupError> {
        Self::from_vars(env_var)
    }

    /// [`Service::from_env`] with the variables looked up by `var` (a map in tests).
    /// A variable set to an empty string counts as unset.
    ///
    /// # Errors
    ///
    /// [`SetupError`] naming the first variable that is missing or invalid.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, SetupError> {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let Some(endpoint) = var("SLS_ENDPOINT") else {
            return Ok(None);
        };
        if let Err(source) = ProducerConfig::new(&endpoint).validate() {
            return Err(SetupError::Endpoint {
                value: endpoint,
                source,
            });
        }
        let required = |variable: &'static str| {
            var(variable).ok_or(SetupError::Missing {
                variable,
                because: "SLS_ENDPOINT is set",
            })
        };
        let project = required("SLS_PROJECT")?;
        let logstore = required("SLS_LOGSTORE")?;
        if let Err(source) = Route::new(&project, &logstore) {
            let (variable, value) = if source.kind == NameKind::Project {
                ("SLS_PROJECT", project)
            } else {
                ("SLS_LOGSTORE", logstore)
            };
            return Err(SetupError::Name {
                variable,
                value,
                source,
            });
        }
        let credentials = Credentials::from_vars(var).map_err(|e| match e {
            EnvCredentialsError::Missing { variable } => SetupError::Missing {
                variable,
                because: "SLS_ENDPOINT is set",
            },
            other => SetupError::Credentials(other),
        })?;
        Ok(Some(Self {
            endpoint,
            project,
            logstore,
            credentials,
        }))
    }
}

/// A variable read from the process environment; one that is not valid Unicode is read
/// lossily (its value then fails the check that follows, and is shown).
pub fn env_var(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

/// An example's environment is incomplete or invalid: the message names the variable,
/// its value and what is accepted.
#[derive(Debug)]
#[non_exhaustive]
pub enum SetupError {
    /// A variable that must be set is not.
    Missing {
        /// The variable.
        variable: &'static str,
        /// Why it is needed.
        because: &'static str,
    },
    /// `SLS_ENDPOINT` does not parse.
    Endpoint {
        /// The value.
        value: String,
        /// What the configuration check said.
        source: ConfigError,
    },
    /// `SLS_PROJECT` or `SLS_LOGSTORE` breaks the SLS naming rules.
    Name {
        /// The variable.
        variable: &'static str,
        /// The value.
        value: String,
        /// The rule it breaks.
        source: InvalidName,
    },
    /// The credentials variables could not be read.
    Credentials(EnvCredentialsError),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { variable, because } => write!(
                f,
                "{variable} is not set. {because}, so SLS_PROJECT, SLS_LOGSTORE, \
                 ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET must be set too \
                 (unset SLS_ENDPOINT to ship to a local server instead)."
            ),
            Self::Endpoint { value, source } => write!(
                f,
                "SLS_ENDPOINT={value:?} is not a valid endpoint ({}). Use host[:port], \
                 optionally after http:// or https://, e.g. cn-hangzhou.log.aliyuncs.com.",
                endpoint_reason(source)
            ),
            Self::Name {
                variable, source, ..
            } => write!(f, "{source}. Set {variable} to a valid name."),
            Self::Credentials(e) => write!(f, "{e}."),
        }
    }
}

impl Error for SetupError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Missing { .. } => None,
            // The endpoint's own error (the configuration error only echoes it).
            Self::Endpoint { source, .. } => Some(source.source().unwrap_or(source)),
            Self::Name { source, .. } => Some(source),
            Self::Credentials(e) => Some(e),
        }
    }
}

/// Why the endpoint was rejected, without the `invalid endpoint = …` echo.
fn endpoint_reason(error: &ConfigError) -> String {
    match error {
        ConfigError::InvalidEndpoint { reason, .. } => reason.to_string(),
        other => other.to_string(),
    }
}

/// `error` and the causes its message does not already say, as printed by the examples'
/// `main`s: `error: …` then one `  cause: …` line per further cause.
pub fn report(error: &(dyn Error + 'static)) -> String {
    let mut out = format!("error: {error}");
    let mut said = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let message = cause.to_string();
        if !said.contains(&message) {
            out.push_str("\n  cause: ");
            out.push_str(&message);
            said.push_str(&message);
        }
        next = cause.source();
    }
    out
}

/// Print `error` with [`report`] to stderr and exit with status 1: what an example's
/// `main` does instead of returning the error (which would print its `Debug` form).
pub fn exit_with(error: &(dyn Error + 'static)) -> ! {
    eprintln!("{}", report(error));
    std::process::exit(1)
}
