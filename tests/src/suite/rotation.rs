//! Credential rotation mid-run: short-lived STS credentials from an async provider are
//! refreshed before they expire (no request refused), and again when the server rejects
//! them (401); one fetch at a time; nothing is lost.

use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;
use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use sls_producer_core::credentials::{CredentialsError, CredentialsProvider};
use sls_producer_core::{Credentials, CredentialsSource, Route};

use super::RuntimeUnderTest;
use super::support::{numbered_log, quick_config, stored_ids, within};
use crate::server::{LocalSls, LogstoreOptions, ServerClock as _, SystemClock};

const PROJECT: &str = "suite-rotation";
const LOGSTORE: &str = "app";
/// Lifetime of each STS credential the provider hands out.
const LIFETIME: Duration = Duration::from_secs(2);
/// How long one fetch takes (long enough for concurrent fetches to overlap, were there any).
const FETCH_TIME: Duration = Duration::from_millis(30);

/// An STS service stand-in: every fetch mints credentials with a new AccessKey id, secret
/// and token, valid for [`LIFETIME`], and registers them with the server.
struct Sts {
    sls: Arc<LocalSls>,
    minted: AtomicU32,
    running: AtomicU32,
    most_running: AtomicU32,
}

struct StsProvider(Arc<Sts>);

#[async_trait]
impl CredentialsProvider for StsProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let sts = &self.0;
        let running = sts.running.fetch_add(1, Ordering::SeqCst) + 1;
        sts.most_running.fetch_max(running, Ordering::SeqCst);
        runtime_free_sleep(FETCH_TIME).await;
        let n = sts.minted.fetch_add(1, Ordering::SeqCst) + 1;
        let credentials = Credentials::new(format!("STS.gen{n}"), format!("secret-{n}"))
            .with_security_token(format!("token-{n}"))
            .with_expiration(SystemClock.now().saturating_add(LIFETIME));
        sts.sls.add_credentials(credentials.clone());
        sts.running.fetch_sub(1, Ordering::SeqCst);
        Ok(credentials)
    }
}

/// A delay that needs no runtime: a helper thread completes a channel.
async fn runtime_free_sleep(duration: Duration) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(duration);
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// Refused requests by the codes a credentials problem produces.
fn credential_refusals(sls: &LocalSls) -> u64 {
    let stats = sls.stats();
    ["Unauthorized", "SignatureNotMatch", "SecurityTokenExpired"]
        .iter()
        .map(|code| stats.errors_with_code(code))
        .sum()
}

/// Phase 1 (≈ 2.5 s, credentials living 2 s): sends go on while the driver refreshes
/// ahead of expiry: several credentials are used and no request is refused. Phase 2: the
/// server declares every token expired for a moment: requests get 401
/// `SecurityTokenExpired`, the driver fetches again, the retries get through. Every log
/// is delivered exactly once, and no two fetches ever ran at the same time.
pub fn credentials_rotate_mid_run<R: RuntimeUnderTest>(rt: &R) {
    let sls = Arc::new(
        LocalSls::builder()
            .logstore(PROJECT, LOGSTORE, LogstoreOptions::default())
            .start_background()
            .expect("start the local server"),
    );
    let sts = Arc::new(Sts {
        sls: sls.clone(),
        minted: AtomicU32::new(0),
        running: AtomicU32::new(0),
        most_running: AtomicU32::new(0),
    });
    let provider: Arc<dyn CredentialsProvider> = Arc::new(StsProvider(sts.clone()));
    let config = quick_config(&sls.endpoint()).with_max_retries(100);
    let producer = rt.build(config, CredentialsSource::Provider(provider));
    let route = Route::new(PROJECT, LOGSTORE).expect("valid names");
    let mut sent = 0;

    // Phase 1: refresh before expiry.
    let phase1 = rt.block_on(async {
        let mut handles = Vec::new();
        for _ in 0..50 {
            let logs: Vec<_> = (0..10)
                .map(|_| numbered_log("r", post_inc(&mut sent)))
                .collect();
            handles.push(producer.send_tracked(&route, logs).expect("accepted"));
            rt.sleep(Duration::from_millis(50)).await;
        }
        within(rt, Duration::from_secs(30), "flush", producer.flush()).await;
        handles
    });
    let minted_in_phase1 = sts.minted.load(Ordering::SeqCst);
    assert!(
        minted_in_phase1 >= 2,
        "[{}] credentials living {LIFETIME:?} were refreshed during 2.5 s (minted {minted_in_phase1})",
        rt.name()
    );
    assert_eq!(
        credential_refusals(&sls),
        0,
        "[{}] refreshed before expiry, so no request was refused: {:?}",
        rt.name(),
        sls.stats().errors
    );
    let keys: BTreeSet<String> = sls
        .log_groups(PROJECT, LOGSTORE)
        .into_iter()
        .filter_map(|g| g.access_key_id)
        .collect();
    assert!(keys.len() >= 2, "[{}] signed with {keys:?}", rt.name());

    // Phase 2: the server revokes every token for a moment.
    sls.faults().expire_sts_tokens();
    let phase2 = rt.block_on(async {
        let mut handles = Vec::new();
        for _ in 0..10 {
            let logs: Vec<_> = (0..10)
                .map(|_| numbered_log("r", post_inc(&mut sent)))
                .collect();
            handles.push(producer.send_tracked(&route, logs).expect("accepted"));
        }
        rt.sleep(Duration::from_millis(200)).await;
        sls.faults().restore_sts_tokens();
        let mut results = Vec::new();
        for handle in phase1.into_iter().chain(handles) {
            results.push(within(rt, Duration::from_secs(30), "an outcome", handle).await);
        }
        let metrics = within(rt, Duration::from_secs(30), "close", producer.close(None)).await;
        (results, metrics)
    });
    let (results, metrics) = phase2;
    assert!(
        sls.stats().errors_with_code("SecurityTokenExpired") >= 1,
        "[{}] the revoked tokens were refused",
        rt.name()
    );
    assert!(
        sts.minted.load(Ordering::SeqCst) > minted_in_phase1,
        "[{}] a refused token made the driver fetch again",
        rt.name()
    );
    for result in &results {
        assert!(
            result.is_success(),
            "[{}] {:?}: {:?}",
            rt.name(),
            result.failure,
            result.attempts
        );
    }
    assert_eq!(metrics.delivered_logs, sent as u64, "{metrics:?}");
    let stored = stored_ids(&sls, PROJECT, LOGSTORE);
    assert_eq!(stored.len(), sent, "every log arrived");
    assert!(stored.values().all(|&n| n == 1), "and only once");
    assert_eq!(
        sts.most_running.load(Ordering::SeqCst),
        1,
        "[{}] one fetch at a time",
        rt.name()
    );
}

fn post_inc(n: &mut usize) -> usize {
    *n += 1;
    *n - 1
}
