//! Examples for the SLS producer; see the `examples/` directory:
//!
//! ```sh
//! cargo run -p sls-producer-examples --example tokio
//! cargo run -p sls-producer-examples --example smol
//! ```
//!
//! Without `SLS_ENDPOINT` they ship to a local SLS server started in-process (it checks
//! signatures like SLS and prints every log group it stores). To ship to the real service,
//! set `SLS_ENDPOINT` (e.g. `cn-hangzhou.log.aliyuncs.com`), `SLS_PROJECT`, `SLS_LOGSTORE`
//! and `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET` (and
//! `ALIBABA_CLOUD_SECURITY_TOKEN` for STS credentials).
//!
//! This library holds what the examples share: where to ship ([`Destination`],
//! [`Service`]) and how an example reports bad input ([`SetupError`], [`exit_with`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The README's code blocks, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

mod setup;

pub use setup::{ENVIRONMENT_HELP, Service, SetupError, env_var, exit_with, report};

use core::error::Error;

use sls_producer_core::credentials::Credentials;
use sls_producer_tests::server::LocalSls;

/// Where an example ships its logs: the real service named by the environment, or a local
/// server started in-process.
#[derive(Debug)]
pub struct Destination {
    /// The SLS endpoint, e.g. `cn-hangzhou.log.aliyuncs.com` or `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The credentials to sign with.
    pub credentials: Credentials,
    /// The project.
    pub project: String,
    /// The logstore.
    pub logstore: String,
    local: Option<LocalSls>,
}

impl Destination {
    /// The service named by `SLS_ENDPOINT`, `SLS_PROJECT`, `SLS_LOGSTORE` and the
    /// `ALIBABA_CLOUD_*` credentials ([`Service::from_env`], every value checked) when
    /// `SLS_ENDPOINT` is set; otherwise a local server (project `quickstart`, logstore
    /// `app`, created on first use) that accepts the AccessKey `example-id` /
    /// `example-secret` and prints every log group it stores.
    ///
    /// # Errors
    ///
    /// A [`SetupError`] naming the variable that is missing or invalid, or a local server
    /// that cannot start.
    pub fn from_env_or_local() -> Result<Self, Box<dyn Error>> {
        match Service::from_env()? {
            Some(service) => Ok(Self {
                endpoint: service.endpoint,
                credentials: service.credentials,
                project: service.project,
                logstore: service.logstore,
                local: None,
            }),
            None => Self::local(),
        }
    }

    /// A local SLS server started in-process (project `quickstart`, logstore `app`,
    /// created on first use) that accepts the AccessKey `example-id` / `example-secret`
    /// and prints every log group it stores.
    ///
    /// # Errors
    ///
    /// The server cannot start.
    pub fn local() -> Result<Self, Box<dyn Error>> {
        let local = LocalSls::builder()
            .auto_create(true)
            .access_key("example-id", "example-secret")
            .on_log_group(|group| println!("  local SLS stored: {group}"))
            .start_background()?;
        println!(
            "SLS_ENDPOINT is not set: shipping to a local SLS server at {}",
            local.endpoint()
        );
        Ok(Self {
            endpoint: local.endpoint(),
            credentials: Credentials::new("example-id", "example-secret"),
            project: "quickstart".to_owned(),
            logstore: "app".to_owned(),
            local: Some(local),
        })
    }

    /// Stop the local server (if any), printing how many logs it stored.
    pub fn finish(self) {
        if let Some(local) = self.local {
            println!("local SLS stored {} logs in all", local.log_count());
            local.shutdown_blocking();
        }
    }
}
