//! Per-project destinations: each configured project has its own endpoint, signature
//! settings and credentials source (with its own refresh schedule); other projects use
//! the engine's.

use core::time::Duration;

use sls_producer_core::config::{ConfigError, ProjectConfig, SignatureVersion};
use sls_producer_core::credentials::{Credentials, FetchReason};
use sls_producer_core::engine::{CredentialsId, Decision, Engine, Route, Transmit};
use sls_producer_core::rt::{Instant, UnixTime};

use crate::support::*;

fn to(project: &str) -> Route {
    Route::new(project, "store").unwrap()
}

fn auth(t: &Transmit) -> &str {
    t.request.header("authorization").unwrap()
}

/// Every request, by its project's host (`{project}.{authority}` or the authority).
fn sent_to(sent: &[Transmit], authority: &str) -> Vec<String> {
    sent.iter()
        .filter(|t| t.request.authority == authority)
        .map(|t| auth(t).split(':').next().unwrap().to_owned())
        .collect()
}

/// Every fetch the engine asks for at `now`, as (source, reason).
fn fetches(e: &mut Engine<u32>, now: Instant) -> Vec<(CredentialsId, FetchReason)> {
    core::iter::from_fn(|| e.poll_credentials_fetch(now))
        .map(|f| (f.source, f.reason))
        .collect()
}

fn expiring(id: &str, in_secs: u64) -> Credentials {
    Credentials::new(id, "secret")
        .with_expiration(WALL.saturating_add(Duration::from_secs(in_secs)))
}

#[test]
fn a_configured_project_goes_to_its_endpoint_with_its_keys_and_others_to_the_default() {
    let mut e = engine(&config());
    let other = e.add_credentials(Some(Credentials::new("other-id", "other-secret")));
    e.add_project("alpha", &ProjectConfig::new("http://127.0.0.2:9000"), other)
        .unwrap();
    e.add_project(
        "beta",
        &ProjectConfig::new("http://127.0.0.3:9000"),
        CredentialsId::DEFAULT,
    )
    .unwrap();
    for project in ["alpha", "beta", "gamma"] {
        e.push(ms(0), log(0), &to(project), Some(0)).unwrap();
    }
    e.flush(ms(0));
    let sent = transmits(&mut e, ms(0));
    assert_eq!(sent.len(), 3);
    assert_eq!(sent_to(&sent, "127.0.0.2:9000"), ["LOG other-id"]);
    assert_eq!(
        sent_to(&sent, "127.0.0.3:9000"),
        ["LOG test-id"],
        "default keys"
    );
    assert_eq!(
        sent_to(&sent, "127.0.0.1:8080"),
        ["LOG test-id"],
        "default endpoint"
    );
    for t in &sent {
        respond(&mut e, ms(10), t, ok());
    }
    assert_eq!(events(&mut e).len(), 3);
}

#[test]
fn a_project_signs_with_its_own_signature_version_and_region() {
    let mut e = engine(&config());
    let v4 = ProjectConfig::new("http://127.0.0.2:9000")
        .with_signature_version(SignatureVersion::V4)
        .with_region("cn-shanghai");
    e.add_project("alpha", &v4, CredentialsId::DEFAULT).unwrap();
    e.push(ms(0), log(0), &to("alpha"), None).unwrap();
    e.push(ms(0), log(1), &to("proj"), None).unwrap();
    e.flush(ms(0));
    let sent = transmits(&mut e, ms(0));
    let alpha = sent
        .iter()
        .find(|t| t.request.authority == "127.0.0.2:9000")
        .unwrap();
    assert!(
        auth(alpha).starts_with("SLS4-HMAC-SHA256 Credential=test-id/20231114/cn-shanghai/"),
        "{}",
        auth(alpha)
    );
    let default = sent
        .iter()
        .find(|t| t.request.authority == "127.0.0.1:8080")
        .unwrap();
    assert!(
        auth(default).starts_with("LOG test-id:"),
        "{}",
        auth(default)
    );
}

#[test]
fn an_invalid_project_is_refused_naming_it_and_the_field() {
    let mut e = engine(&config());
    let v4_without_region =
        ProjectConfig::new("http://127.0.0.2:9000").with_signature_version(SignatureVersion::V4);
    match e.add_project("alpha", &v4_without_region, CredentialsId::DEFAULT) {
        Err(ConfigError::Project { project, error }) => {
            assert_eq!(project, "alpha");
            assert!(matches!(*error, ConfigError::RegionRequired), "{error:?}");
        }
        other => panic!("{other:?}"),
    }
    match e.add_project(
        "alpha",
        &ProjectConfig::new("ftp://x"),
        CredentialsId::DEFAULT,
    ) {
        Err(ConfigError::Project { error, .. }) => {
            assert!(
                matches!(*error, ConfigError::InvalidEndpoint { .. }),
                "{error:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    match e.add_project(
        "Not_A_Project",
        &ProjectConfig::new("127.0.0.2"),
        CredentialsId::DEFAULT,
    ) {
        Err(ConfigError::Project { project, error }) => {
            assert_eq!(project, "Not_A_Project");
            assert!(
                matches!(
                    *error,
                    ConfigError::InvalidText {
                        field: "project",
                        ..
                    }
                ),
                "{error:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Nothing was added: the project still goes to the default.
    e.push(ms(0), log(0), &to("alpha"), None).unwrap();
    e.flush(ms(0));
    assert_eq!(
        one_transmit(&mut e, ms(0)).request.authority,
        "127.0.0.1:8080"
    );
}

#[test]
fn each_provider_source_has_its_own_refresh_schedule() {
    let mut e: Engine<u32> = Engine::new(&config(), WALL, None).unwrap();
    let alpha = e.add_credentials(None);
    e.add_project("alpha", &ProjectConfig::new("http://127.0.0.2:9000"), alpha)
        .unwrap();
    // Both are due at once, one fetch each; none again while they run.
    assert_eq!(
        fetches(&mut e, ms(0)),
        [
            (CredentialsId::DEFAULT, FetchReason::Scheduled),
            (alpha, FetchReason::Scheduled)
        ]
    );
    assert_eq!(fetches(&mut e, ms(0)), []);
    assert_eq!(e.poll_timeout(), None, "nothing due while both fetches run");
    // The default's expire in an hour (refreshed 5 minutes before), alpha's in 10
    // minutes (refreshed at half their lifetime).
    e.handle_credentials(
        ms(0),
        WALL,
        CredentialsId::DEFAULT,
        Ok(expiring("default-id", 3600)),
    );
    assert_eq!(
        e.poll_timeout(),
        Some(ms(3_300_000)),
        "the default's refresh; alpha's fetch still runs"
    );
    e.handle_credentials(ms(0), WALL, alpha, Ok(expiring("alpha-id", 600)));
    let decisions: Vec<_> = core::iter::from_fn(|| e.poll_decision()).collect();
    assert!(decisions.iter().any(|d| matches!(
        d,
        Decision::CredentialsRefreshed { projects, access_key_id, .. }
            if projects == &["alpha"] && access_key_id == "alpha-id"
    )));
    assert!(decisions.iter().any(|d| matches!(
        d,
        Decision::CredentialsRefreshed { projects, access_key_id, .. }
            if projects.is_empty() && access_key_id == "default-id"
    )));
    assert_eq!(e.poll_timeout(), Some(ms(300_000)));
    assert_eq!(fetches(&mut e, ms(299_999)), []);
    assert_eq!(
        fetches(&mut e, ms(300_000)),
        [(alpha, FetchReason::Scheduled)]
    );
    assert_eq!(
        e.poll_timeout(),
        Some(ms(3_300_000)),
        "the default's turn next"
    );
    assert_eq!(
        fetches(&mut e, ms(3_300_000)),
        [(CredentialsId::DEFAULT, FetchReason::Scheduled)],
        "alpha's fetch still runs: not asked again"
    );
}

#[test]
fn a_401_refreshes_only_the_projects_source_and_holds_only_its_retry() {
    let mut e: Engine<u32> = Engine::new(&config(), WALL, None).unwrap();
    let alpha = e.add_credentials(None);
    e.add_project("alpha", &ProjectConfig::new("http://127.0.0.2:9000"), alpha)
        .unwrap();
    let _ = fetches(&mut e, ms(0));
    e.handle_credentials(ms(0), WALL, CredentialsId::DEFAULT, Ok(credentials()));
    // Alpha's credentials have not arrived: its batch waits, the default's goes.
    e.push(ms(0), log(0), &to("alpha"), None).unwrap();
    e.push(ms(0), log(1), &to("proj"), None).unwrap();
    e.flush(ms(0));
    let first = one_transmit(&mut e, ms(0));
    assert_eq!(first.request.authority, "127.0.0.1:8080");
    respond(&mut e, ms(5), &first, ok());
    e.handle_credentials(ms(5), WALL, alpha, Ok(Credentials::new("alpha-1", "s")));
    let t = one_transmit(&mut e, ms(5));
    assert!(auth(&t).starts_with("LOG alpha-1:"), "{}", auth(&t));
    // The server rejects alpha's keys: only alpha's provider is asked again.
    respond(&mut e, ms(10), &t, sls_error(401, "Unauthorized"));
    assert_eq!(fetches(&mut e, ms(10)), [(alpha, FetchReason::Rejected)]);
    e.push(ms(10), log(2), &to("proj"), None).unwrap();
    e.flush(ms(10));
    tick(&mut e, ms(110));
    let sent = transmits(&mut e, ms(110));
    assert_eq!(
        sent.len(),
        1,
        "the default's batch goes; alpha's retry waits"
    );
    assert_eq!(sent[0].request.authority, "127.0.0.1:8080");
    e.handle_credentials(ms(120), WALL, alpha, Ok(Credentials::new("alpha-2", "s")));
    let retry = one_transmit(&mut e, ms(120));
    assert!(auth(&retry).starts_with("LOG alpha-2:"), "{}", auth(&retry));
}

#[test]
fn sources_are_numbered_in_the_order_they_are_added() {
    let mut e: Engine<u32> = Engine::new(&config(), UnixTime::EPOCH, None).unwrap();
    assert_eq!(CredentialsId::DEFAULT.get(), 0);
    assert_eq!(e.add_credentials(None).get(), 1);
    assert_eq!(e.add_credentials(Some(credentials())).get(), 2);
}
