//! Per-project credentials and clock skew on the `sim` runtime: the real producer and
//! driver, simulated time (literal instants), scripted HTTP answers.

use core::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use core::time::Duration;

use sls_producer_core::credentials::{CredentialsProvider, FnProvider};
use sls_producer_core::rt::{Clock, HttpResponse, Instant, UnixTime};
use sls_producer_core::sim::{ManualClock, ScriptedReply, SimRuntime};
use sls_producer_core::{Credentials, Log, Producer, ProducerConfig, ProjectConfig, Route};

const MINUTE: Duration = Duration::from_secs(60);

fn config() -> ProducerConfig {
    ProducerConfig::new("http://127.0.0.1:8080")
        .with_generate_pack_id(false)
        .with_linger(Duration::from_millis(10))
}

fn log(i: u32) -> Log {
    Log::new(1_700_000_000).with_content("i", format!("{i:06}"))
}

/// A provider that counts its fetches and hands out `{name}-{n}` keys valid for
/// `lifetime` of the simulated wall clock.
fn expiring(
    name: &'static str,
    clock: &ManualClock,
    lifetime: Duration,
) -> (Arc<dyn CredentialsProvider>, Arc<AtomicU32>) {
    let fetches = Arc::new(AtomicU32::new(0));
    let (count, clock) = (fetches.clone(), clock.clone());
    let provider = FnProvider::new(move || {
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        let expires = clock.unix_time().saturating_add(lifetime);
        async move { Ok(Credentials::new(format!("{name}-{n}"), "secret").with_expiration(expires)) }
    });
    (Arc::new(provider), fetches)
}

#[test]
fn each_credentials_source_is_refreshed_on_its_own_schedule() {
    let sim = SimRuntime::new(7);
    let (default, default_fetches) = expiring("default", sim.clock(), 60 * MINUTE);
    let (short, short_fetches) = expiring("short", sim.clock(), 10 * MINUTE);
    let producer = Producer::builder(config())
        .with_credentials(default)
        .with_project(
            "alpha",
            ProjectConfig::new("http://127.0.0.2:9000").with_credentials(short.clone()),
        )
        // The same provider for a second project: one source, one schedule.
        .with_project(
            "beta",
            ProjectConfig::new("http://127.0.0.3:9000").with_credentials(short),
        )
        .build_on(sim.runtime())
        .unwrap();
    sim.run_until(Instant::ZERO).unwrap();
    assert_eq!(default_fetches.load(Ordering::SeqCst), 1);
    assert_eq!(
        short_fetches.load(Ordering::SeqCst),
        1,
        "shared by alpha and beta"
    );
    // Ten-minute keys are refreshed at half their life, hour keys 5 minutes before expiry.
    sim.run_until(Instant::from_secs(5 * 60 - 1)).unwrap();
    assert_eq!(short_fetches.load(Ordering::SeqCst), 1);
    sim.run_until(Instant::from_secs(5 * 60)).unwrap();
    assert_eq!(short_fetches.load(Ordering::SeqCst), 2);
    sim.run_until(Instant::from_secs(55 * 60 - 1)).unwrap();
    assert_eq!(default_fetches.load(Ordering::SeqCst), 1);
    assert_eq!(
        short_fetches.load(Ordering::SeqCst),
        11,
        "at 0, 5, …, 50 minutes"
    );
    sim.run_until(Instant::from_secs(55 * 60)).unwrap();
    assert_eq!(default_fetches.load(Ordering::SeqCst), 2);
    assert_eq!(short_fetches.load(Ordering::SeqCst), 12);
    // Each project signs with its source's newest keys, every other with the default's.
    for project in ["alpha", "beta", "other"] {
        producer
            .send(&Route::new(project, "store").unwrap(), log(0))
            .unwrap();
    }
    sim.run_until(Instant::from_secs(55 * 60 + 1)).unwrap();
    let mut sent: Vec<(String, String)> = sim
        .transport()
        .requests()
        .iter()
        .map(|r| {
            let auth = r.request.header("authorization").unwrap();
            let id = auth["LOG ".len()..auth.find(':').unwrap()].to_owned();
            (r.request.authority.clone(), id)
        })
        .collect();
    sent.sort();
    assert_eq!(
        sent,
        [
            ("127.0.0.1:8080".to_owned(), "default-2".to_owned()),
            ("127.0.0.2:9000".to_owned(), "short-12".to_owned()),
            ("127.0.0.3:9000".to_owned(), "short-12".to_owned()),
        ]
    );
}

/// SLS with a right clock reading `truth + now`: refuses dates more than 15 minutes off
/// with `400 RequestTimeExpired` and its own `Date`, takes the rest.
fn sls_with_clock(
    truth: UnixTime,
) -> impl FnMut(&sls_producer_core::rt::HttpRequest, Instant) -> ScriptedReply {
    move |request, now| {
        let server = truth.saturating_add(Duration::from_nanos(now.as_nanos()));
        let date = UnixTime::from_http_date(request.header("date").unwrap()).unwrap();
        if date.as_secs().abs_diff(server.as_secs()) <= 15 * 60 {
            return ScriptedReply::ok();
        }
        ScriptedReply::Response(
            HttpResponse::new(400)
                .with_header("date", server.rfc1123())
                .with_header("x-log-requestid", "skew")
                .with_body(r#"{"errorCode":"RequestTimeExpired","errorMessage":"expired"}"#),
        )
    }
}

#[test]
fn a_skewed_host_clock_is_corrected_once_and_the_batch_re_signed_at_once() {
    let truth = UnixTime::from_secs(1_800_000_000);
    let clock = ManualClock::starting_at(Instant::ZERO, truth);
    // The host's clock is two hours behind.
    clock.set_unix_time(UnixTime::from_secs(1_800_000_000 - 7200));
    let sim = SimRuntime::with_clock(3, clock);
    sim.transport().set_responder(sls_with_clock(truth));
    let producer = Producer::builder(config())
        .with_credentials(Credentials::new("id", "secret"))
        .build_on(sim.runtime())
        .unwrap();
    let route = Route::new("proj", "store").unwrap();
    let handle = producer.send_tracked(&route, vec![log(0)]).unwrap();
    sim.run_until(Instant::from_secs(1)).unwrap();
    let requests = sim.transport().requests();
    assert_eq!(requests.len(), 2, "refused once, then taken");
    assert_eq!(
        requests[0].received_at, requests[1].received_at,
        "no backoff"
    );
    let dates: Vec<_> = requests
        .iter()
        .map(|r| r.request.header("date").unwrap().to_owned())
        .collect();
    assert_eq!(
        dates[1],
        truth.saturating_add(Duration::from_millis(10)).rfc1123()
    );
    assert_eq!(
        requests[1].logs().unwrap()[0].time(),
        1_700_000_000,
        "not re-timed"
    );
    let result = sim.block_on(handle).unwrap();
    assert_eq!(result.failure, None, "{result:?}");
    let m = producer.metrics();
    assert_eq!(m.clock_corrections, 1);
    assert_eq!(
        m.clock_offset_ms,
        7_200_000 - 10,
        "the Date's second, from 10 ms past it"
    );
    // Later batches are dated right from the start.
    producer.send(&route, log(1)).unwrap();
    sim.run_until(Instant::from_secs(2)).unwrap();
    assert_eq!(sim.transport().request_count(), 3);
    assert_eq!(producer.metrics().clock_corrections, 1);
}
