//! Every kind of credentials, end to end on tokio against the strict local server (which
//! checks signatures and STS tokens): static keys, the environment, an STS callback
//! (`FnProvider`) and the ECS RAM-role metadata service (faked by a small local HTTP
//! server). The providers are also checked to rotate after the server rejects the
//! credentials in use.

use core::convert::Infallible;
use core::net::{Ipv4Addr, SocketAddr};
use core::time::Duration;
use std::sync::{Arc, Mutex};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sls_producer_core::credentials::{
    CredentialsError, CredentialsProvider, EcsRamRole, FnProvider,
};
use sls_producer_core::rt::HttpTransport;
use sls_producer_core::rt::UnixTime;
use sls_producer_tests::server::{LocalSls, LogstoreOptions, ReceivedLogGroup};
use sls_producer_tokio::{
    Credentials, Log, Producer, ProducerBuilderExt as _, ProducerConfig, Route, TokioTransport,
    TransportConfig,
};
use tokio::net::TcpListener;

/// The variables `Credentials::from_env` reads.
const ACCESS_KEY_ID_VAR: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
const ACCESS_KEY_SECRET_VAR: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
const SECURITY_TOKEN_VAR: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";

const PROJECT: &str = "cred-project";
const LOGSTORE: &str = "app";
/// No test should take long; a hang fails instead of stalling CI.
const PATIENCE: Duration = Duration::from_secs(20);

fn unix_now() -> u64 {
    #[expect(clippy::disallowed_methods, reason = "a test needs real expiry times")]
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn route() -> Route {
    Route::new(PROJECT, LOGSTORE).unwrap()
}

fn config(sls: &LocalSls) -> ProducerConfig {
    ProducerConfig::new(sls.endpoint())
        .with_linger(Duration::from_millis(10))
        .with_retry_backoff(Duration::from_millis(10), Duration::from_millis(100))
}

async fn strict_server(credentials: &[Credentials]) -> LocalSls {
    let mut builder = LocalSls::builder().logstore(PROJECT, LOGSTORE, LogstoreOptions::default());
    for c in credentials {
        builder = builder.credentials(c.clone());
    }
    builder.start().await.expect("the local server starts")
}

fn sts(n: u32, expires_at: u64) -> Credentials {
    Credentials::new(format!("STS.key-{n}"), format!("sts-secret-{n}"))
        .with_security_token(format!("sts-token-{n}"))
        .with_expiration(UnixTime::from_secs(expires_at))
}

/// Send `n` logs numbered from `first`, wait until the server has `total` logs.
async fn ship(producer: &Producer, sls: &LocalSls, first: u32, n: u32, total: u64) {
    for i in first..first + n {
        producer
            .send(
                &route(),
                Log::new(1_700_000_000).with_content("i", i.to_string()),
            )
            .unwrap();
    }
    tokio::time::timeout(PATIENCE, sls.wait_for_logs(total))
        .await
        .expect("the logs arrive");
}

fn key_ids(groups: &[ReceivedLogGroup]) -> Vec<String> {
    let mut ids: Vec<String> = groups
        .iter()
        .map(|g| g.access_key_id.clone().unwrap_or_default())
        .collect();
    ids.dedup();
    ids
}

#[tokio::test]
async fn static_access_keys_are_accepted_and_a_wrong_secret_is_not() {
    let sls = strict_server(&[Credentials::new("static-id", "static-secret")]).await;
    let producer = Producer::builder(config(&sls))
        .with_credentials(Credentials::new("static-id", "static-secret"))
        .build()
        .unwrap();
    ship(&producer, &sls, 0, 5, 5).await;
    let metrics = producer.close(Some(PATIENCE)).await;
    assert_eq!(metrics.delivered_logs, 5);
    assert_eq!(key_ids(&sls.log_groups(PROJECT, LOGSTORE)), ["static-id"]);

    let wrong = Producer::builder(config(&sls).with_max_retries(1))
        .with_credentials(Credentials::new("static-id", "not-the-secret"))
        .build()
        .unwrap();
    let outcome = wrong
        .send_tracked(&route(), Log::new(1_700_000_000).with_content("i", "x"))
        .unwrap()
        .await;
    assert!(!outcome.is_success());
    assert_eq!(sls.stats().errors_with_code("SignatureNotMatch"), 2);
    assert_eq!(sls.log_count(), 5);
}

/// The child half of [`environment_credentials_are_read_and_accepted`]: runs in a child
/// process whose environment holds the credentials and the server's endpoint.
#[tokio::test]
#[ignore = "run by environment_credentials_are_read_and_accepted, with the variables set"]
async fn environment_credentials_child() {
    let endpoint = std::env::var("SLS_TEST_ENDPOINT").expect("set by the parent test");
    let credentials = Credentials::from_env().expect("the parent set the variables");
    let config = ProducerConfig::new(endpoint).with_linger(Duration::from_millis(10));
    let producer = Producer::builder(config)
        .with_credentials(credentials)
        .build()
        .unwrap();
    let outcome = producer
        .send_tracked(
            &route(),
            Log::new(1_700_000_000).with_content("from", "env"),
        )
        .unwrap()
        .await;
    assert!(outcome.is_success(), "{outcome:?}");
}

#[tokio::test]
async fn environment_credentials_are_read_and_accepted() {
    let expires = unix_now() + 3600;
    let sls = strict_server(&[sts(7, expires)]).await;
    // Setting variables in this process would race other tests: run the child test in a
    // process of its own instead.
    let endpoint = sls.endpoint();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "environment_credentials_child",
                "--ignored",
                "--test-threads=1",
            ])
            .env("SLS_TEST_ENDPOINT", endpoint)
            .env(ACCESS_KEY_ID_VAR, "STS.key-7")
            .env(ACCESS_KEY_SECRET_VAR, "sts-secret-7")
            .env(SECURITY_TOKEN_VAR, "sts-token-7")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    let groups = sls.log_groups(PROJECT, LOGSTORE);
    assert_eq!(key_ids(&groups), ["STS.key-7"]);
    assert_eq!(
        groups[0]
            .security_token
            .as_ref()
            .map(|t| t.expose().to_owned()),
        Some("sts-token-7".to_owned())
    );
}

#[tokio::test]
async fn an_sts_callback_is_asked_at_start_and_again_after_the_server_rejects_its_token() {
    let expires = unix_now() + 3600;
    let sls = strict_server(&[sts(1, expires)]).await;
    let generation = Arc::new(Mutex::new(1_u32));
    let calls = Arc::new(Mutex::new(0_u32));
    let (g, c) = (generation.clone(), calls.clone());
    let provider = FnProvider::new(move || {
        *c.lock().unwrap() += 1;
        let n = *g.lock().unwrap();
        async move {
            // What an STS client would return: a fresh AccessKey, token and expiry.
            Ok::<_, CredentialsError>(sts(n, expires))
        }
    });
    let producer = Producer::builder(config(&sls))
        .with_credentials_provider(provider)
        .build()
        .unwrap();
    ship(&producer, &sls, 0, 3, 3).await;
    assert_eq!(*calls.lock().unwrap(), 1);

    // STS rotated: the old token is no longer accepted, the callback now returns the new one.
    *generation.lock().unwrap() = 2;
    sls.add_credentials(sts(2, expires));
    sls.add_credentials(
        Credentials::new("STS.key-1", "sts-secret-1")
            .with_security_token("revoked")
            .with_expiration(UnixTime::from_secs(expires)),
    );
    ship(&producer, &sls, 3, 3, 6).await;
    assert_eq!(*calls.lock().unwrap(), 2);
    assert!(sls.stats().errors_with_code("Unauthorized") >= 1);
    assert_eq!(
        key_ids(&sls.log_groups(PROJECT, LOGSTORE)),
        ["STS.key-1", "STS.key-2"]
    );
    let metrics = producer.close(Some(PATIENCE)).await;
    assert_eq!((metrics.delivered_logs, metrics.failed_logs), (6, 0));
}

/// A fake ECS metadata service: lists one role and serves its credentials of the current
/// generation; records every path asked for.
struct FakeMetadata {
    addr: SocketAddr,
    generation: Arc<Mutex<u32>>,
    paths: Arc<Mutex<Vec<String>>>,
}

impl FakeMetadata {
    async fn start(role: &'static str, expires_at: u64) -> Self {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let generation = Arc::new(Mutex::new(1_u32));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let (g, p) = (generation.clone(), paths.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (g, p) = (g.clone(), p.clone());
                let service = service_fn(move |req: Request<Incoming>| {
                    let path = req.uri().path().to_owned();
                    p.lock().unwrap().push(path.clone());
                    let n = *g.lock().unwrap();
                    async move { Ok::<_, Infallible>(metadata_answer(&path, role, n, expires_at)) }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        Self {
            addr,
            generation,
            paths,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

fn metadata_answer(path: &str, role: &str, n: u32, expires_at: u64) -> Response<Full<Bytes>> {
    const BASE: &str = "/latest/meta-data/ram/security-credentials/";
    let Some(asked) = path.strip_prefix(BASE) else {
        return text(404, "Not Found");
    };
    if asked.is_empty() {
        return text(200, &format!("{role}\n"));
    }
    if asked != role {
        return text(404, "Not Found");
    }
    let expiration = civil_rfc3339(expires_at);
    let body = format!(
        r#"{{"AccessKeyId":"STS.key-{n}","AccessKeySecret":"sts-secret-{n}","Expiration":"{expiration}","SecurityToken":"sts-token-{n}","LastUpdated":"2026-11-25T04:00:00Z","Code":"Success"}}"#
    );
    text(200, &body)
}

fn text(status: u16, body: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

/// `secs` as `YYYY-MM-DDTHH:MM:SSZ`.
fn civil_rfc3339(secs: u64) -> String {
    let c = sls_producer_core::protocol::time::CivilDateTime::from_unix_secs(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

fn transport() -> Arc<dyn HttpTransport> {
    Arc::new(TokioTransport::new(TransportConfig::default()))
}

#[tokio::test]
async fn the_ecs_ram_role_is_discovered_once_and_its_credentials_rotate_after_a_rejection() {
    let expires = unix_now() + 6 * 3600;
    let sls = strict_server(&[sts(1, expires)]).await;
    let metadata = FakeMetadata::start("sls-writer", expires).await;
    let provider = EcsRamRole::new(transport())
        .with_endpoint(&metadata.endpoint())
        .unwrap();
    let producer = Producer::builder(config(&sls))
        .with_credentials_provider(provider.clone())
        .build()
        .unwrap();
    ship(&producer, &sls, 0, 4, 4).await;
    assert_eq!(provider.role().as_deref(), Some("sls-writer"));
    const BASE: &str = "/latest/meta-data/ram/security-credentials/";
    assert_eq!(
        metadata.paths(),
        [BASE.to_owned(), format!("{BASE}sls-writer")]
    );

    // The instance's credentials rotate; the server stops accepting the old token.
    *metadata.generation.lock().unwrap() = 2;
    sls.add_credentials(sts(2, expires));
    sls.add_credentials(
        Credentials::new("STS.key-1", "sts-secret-1").with_security_token("rotated-away"),
    );
    ship(&producer, &sls, 4, 4, 8).await;
    // The role is not discovered again: one more credentials request only.
    assert_eq!(
        metadata.paths(),
        [
            BASE.to_owned(),
            format!("{BASE}sls-writer"),
            format!("{BASE}sls-writer")
        ]
    );
    assert_eq!(
        key_ids(&sls.log_groups(PROJECT, LOGSTORE)),
        ["STS.key-1", "STS.key-2"]
    );
    let metrics = producer.close(Some(PATIENCE)).await;
    assert_eq!((metrics.delivered_logs, metrics.failed_logs), (8, 0));
}

#[tokio::test]
async fn a_configured_ecs_role_skips_discovery_and_an_unknown_role_fails_without_sending() {
    let expires = unix_now() + 6 * 3600;
    let sls = strict_server(&[sts(1, expires)]).await;
    let metadata = FakeMetadata::start("sls-writer", expires).await;
    let known = EcsRamRole::new(transport())
        .with_role("sls-writer")
        .unwrap()
        .with_endpoint(&metadata.endpoint())
        .unwrap();
    let producer = Producer::builder(config(&sls))
        .with_credentials_provider(known)
        .build()
        .unwrap();
    ship(&producer, &sls, 0, 1, 1).await;
    assert_eq!(
        metadata.paths(),
        ["/latest/meta-data/ram/security-credentials/sls-writer"]
    );
    let metrics = producer.close(Some(PATIENCE)).await;
    assert_eq!(metrics.delivered_logs, 1);

    let unknown = EcsRamRole::new(transport())
        .with_role("no-such-role")
        .unwrap()
        .with_endpoint(&metadata.endpoint())
        .unwrap();
    let fetch = CredentialsProvider::credentials(&unknown).await;
    let message = fetch.unwrap_err().to_string();
    assert!(message.contains("HTTP 404"), "{message}");
    assert!(message.contains("no-such-role"), "{message}");
    assert_eq!(sls.stats().requests, 1);
}
