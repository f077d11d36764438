//! Per-project endpoints and credentials: one producer sends to three servers. Project
//! `suite-alpha` has its own server and static AccessKey, `suite-beta` its own server and
//! credentials from an STS callback (`FnProvider`); every other project goes to the
//! producer's endpoint with its keys. Each server knows only its own keys, so a log that
//! went to the wrong place, or was signed with the wrong keys, is refused and never stored.

use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;
use std::sync::Arc;

use sls_producer_core::credentials::FnProvider;
use sls_producer_core::{Credentials, ProjectConfig, Route};

use super::RuntimeUnderTest;
use super::support::{credentials, numbered_log, quick_config, stored_ids, strict_server, within};
use crate::server::{LocalSls, LogstoreOptions};

const LOGSTORE: &str = "app";
const LOGS: usize = 300;

fn server(project: &str, key: Option<(&str, &str)>) -> LocalSls {
    let builder = match key {
        Some((id, secret)) => LocalSls::builder().access_key(id, secret),
        None => strict_server(),
    };
    builder
        .logstore(project, LOGSTORE, LogstoreOptions::default())
        .start_background()
        .expect("start a local server")
}

/// Every log reaches its project's server exactly once, signed with that project's keys;
/// the STS callback is asked once; no server refused anything.
pub fn projects_go_to_their_own_servers_with_their_own_keys<R: RuntimeUnderTest>(rt: &R) {
    let alpha = server("suite-alpha", Some(("alpha-key-id", "alpha-secret")));
    let beta = server("suite-beta", Some(("STS.beta", "beta-secret")));
    let default = server("suite-default", None);
    let fetches = Arc::new(AtomicU32::new(0));
    let counted = fetches.clone();
    let sts = FnProvider::new(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Ok(Credentials::new("STS.beta", "beta-secret").with_security_token("beta-token")) }
    });
    beta.add_credentials(
        Credentials::new("STS.beta", "beta-secret").with_security_token("beta-token"),
    );
    let builder = sls_producer_core::Producer::builder(quick_config(&default.endpoint()))
        .with_credentials(credentials())
        .with_project(
            "suite-alpha",
            ProjectConfig::new(alpha.endpoint())
                .with_credentials(Credentials::new("alpha-key-id", "alpha-secret")),
        )
        .with_project(
            "suite-beta",
            ProjectConfig::new(beta.endpoint()).with_credentials_provider(sts),
        );
    let producer = rt.build_from(builder);
    let projects = ["suite-alpha", "suite-beta", "suite-default"];
    rt.block_on(async {
        for n in 0..LOGS {
            let project = projects[n % projects.len()];
            let route = Route::new(project, LOGSTORE).expect("valid names");
            producer
                .send(&route, numbered_log(project, n))
                .expect("accepted");
        }
        within(rt, Duration::from_secs(30), "close", producer.close(None)).await;
    });
    for (sls, project) in [
        (&alpha, projects[0]),
        (&beta, projects[1]),
        (&default, projects[2]),
    ] {
        let stored = stored_ids(sls, project, LOGSTORE);
        assert_eq!(
            stored.len(),
            LOGS / 3,
            "[{}] {project}: {stored:?}",
            rt.name()
        );
        assert!(
            stored.values().all(|&n| n == 1),
            "[{}] {project}: duplicates",
            rt.name()
        );
        assert!(
            stored.keys().all(|id| id.starts_with(project)),
            "[{}] {project} got another project's logs",
            rt.name()
        );
        let stats = sls.stats();
        assert_eq!(
            stats.rejected,
            0,
            "[{}] {project}: {:?}",
            rt.name(),
            stats.errors
        );
    }
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "[{}] one STS fetch",
        rt.name()
    );
}
