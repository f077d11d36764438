//! Transmit, responses, retry classification, backoff, attempts and results.

use core::time::Duration;
use std::sync::Arc;

use sls_producer_core::ShardKey;
use sls_producer_core::config::ProducerConfig;
use sls_producer_core::credentials::{Credentials, CredentialsError, FetchReason};
use sls_producer_core::engine::backoff::{BackoffPolicy, Jitter};
use sls_producer_core::engine::{CredentialsId, Decision, DeliveryFailure, Engine, Transmit};
use sls_producer_core::rt::HttpResponse;
use sls_producer_core::rt::Instant;
use sls_producer_core::rt::{TransportError, TransportErrorKind};

use crate::support::*;

/// Push one log and get its request out at `now`.
fn one_in_flight(e: &mut Engine<u32>, now: Instant) -> Transmit {
    e.push(now, log(0), &route(), Some(1)).unwrap();
    e.flush(now);
    one_transmit(e, now)
}

/// Answer every attempt of a single batch with `outcome()` until it has an outcome;
/// return the instants the attempts were sent at.
fn run_to_outcome(
    e: &mut Engine<u32>,
    outcome: impl Fn() -> Result<HttpResponse, TransportError>,
) -> Vec<u64> {
    let mut now = ms(0);
    e.push(now, log(0), &route(), Some(1)).unwrap();
    e.flush(now);
    let mut sent_at = Vec::new();
    loop {
        let t = one_transmit(e, now);
        sent_at.push(now.as_nanos() / 1_000_000);
        respond(e, now, &t, outcome());
        if e.metrics().pending_batches == 0 {
            return sent_at;
        }
        now = e.poll_timeout().expect("a retry is scheduled");
        e.handle_timeout(now);
    }
}

#[test]
fn at_most_max_in_flight_requests_including_retries() {
    let cfg = config().with_max_in_flight(2).with_max_batch_count(1);
    let mut e = engine(&cfg);
    for i in 0..5 {
        e.push(ms(0), log(i), &route(), None).unwrap();
    }
    let first = transmits(&mut e, ms(0));
    assert_eq!(first.len(), 2);
    assert_eq!(e.metrics().in_flight, 2);
    // A retry competes for the same two slots.
    respond(&mut e, ms(1), &first[0], sls_error(503, "ServerBusy"));
    let next = transmits(&mut e, ms(1));
    assert_eq!(next.len(), 1, "one slot freed");
    e.handle_timeout(ms(101));
    assert!(
        transmits(&mut e, ms(101)).is_empty(),
        "retry waits for a slot"
    );
    respond(&mut e, ms(102), &first[1], ok());
    assert_eq!(transmits(&mut e, ms(102)).len(), 1);
    assert_eq!(e.metrics().in_flight, 2);
}

#[test]
fn retries_10_gives_exactly_11_attempts_for_a_permanent_403() {
    let mut e = engine(&config());
    let sent = run_to_outcome(&mut e, || sls_error(403, "WriteQuotaExceed"));
    assert_eq!(sent.len(), 11);
    let ev = events(&mut e);
    assert_eq!(
        ev[0].result.failure,
        Some(DeliveryFailure::RetriesExhausted)
    );
    assert_eq!(ev[0].result.attempt_count, 11);
    assert_eq!(ev[0].result.attempts.len(), 11);
    assert_eq!(ev[0].result.logs(), [log(0)]);
}

#[test]
fn retries_0_gives_exactly_one_attempt_and_a_failure() {
    let mut e = engine(&config().with_max_retries(0));
    let sent = run_to_outcome(&mut e, || sls_error(500, "InternalServerError"));
    assert_eq!(sent, [0]);
    let ev = events(&mut e);
    assert_eq!(
        ev[0].result.failure,
        Some(DeliveryFailure::RetriesExhausted)
    );
}

#[test]
fn backoff_sequence_with_defaults_is_100_200_400_up_to_50000_ms_without_jitter() {
    let mut e = engine(&config());
    let sent = run_to_outcome(&mut e, || sls_error(500, "InternalServerError"));
    let gaps: Vec<u64> = sent.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(
        gaps,
        [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 50000]
    );
}

#[test]
fn backoff_saturates_instead_of_wrapping_for_huge_retry_counts() {
    let cfg = config()
        .with_max_retries(1000)
        .with_retry_backoff(Duration::from_millis(100), Duration::from_secs(86_400));
    let mut e = engine(&cfg);
    let sent = run_to_outcome(&mut e, || sls_error(503, "ServerBusy"));
    assert_eq!(sent.len(), 1001);
    let gaps: Vec<u64> = sent.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.windows(2).all(|w| w[0] <= w[1]), "never shrinks");
    assert_eq!(*gaps.last().unwrap(), 86_400_000);
}

#[test]
fn jittered_backoff_is_reproducible_for_a_seed_and_bounded_by_the_schedule() {
    let run = |seed| {
        let cfg = config().with_jitter(Jitter::Full).with_seed(seed);
        let mut e = engine(&cfg);
        let sent = run_to_outcome(&mut e, || sls_error(500, "InternalServerError"));
        sent.windows(2).map(|w| w[1] - w[0]).collect::<Vec<u64>>()
    };
    let a = run(7);
    assert_eq!(a, run(7));
    assert_ne!(a, run(8));
    let policy = BackoffPolicy::default();
    for (k, gap) in a.iter().enumerate() {
        let cap = policy.ceiling(k as u32 + 1).as_millis() as u64;
        assert!(*gap <= cap, "retry {} waited {gap} > {cap}", k + 1);
    }
}

#[test]
fn retry_is_not_sent_before_its_due_time_and_earliest_due_goes_first() {
    let cfg = config().with_max_batch_count(1);
    let mut e = engine(&cfg);
    e.push(ms(0), log(0), &route(), None).unwrap();
    e.push(ms(0), log(1), &route(), None).unwrap();
    let t = transmits(&mut e, ms(0));
    // Batch 1 fails at 10 ms (retry due at 110), batch 0 at 50 ms (due at 150).
    respond(&mut e, ms(10), &t[1], sls_error(500, "InternalServerError"));
    respond(&mut e, ms(50), &t[0], sls_error(500, "InternalServerError"));
    assert_eq!(e.poll_timeout(), Some(ms(110)));
    e.handle_timeout(ms(109));
    assert!(transmits(&mut e, ms(109)).is_empty());
    e.handle_timeout(ms(150));
    let order: Vec<Vec<u32>> = transmits(&mut e, ms(150))
        .iter()
        .map(|t| ids(&group(&t.request).logs))
        .collect();
    assert_eq!(order, [vec![1], vec![0]]);
}

#[test]
fn retry_runs_on_its_own_deadline_not_on_the_linger_tick() {
    // Go only looks at the retry queue when the mover wakes (up to LingerMs later).
    let cfg = config().with_linger(Duration::from_secs(60));
    let mut e = engine(&cfg);
    let t = one_in_flight(&mut e, ms(0));
    e.push(ms(0), log(5), &route().with_topic("other"), None)
        .unwrap();
    respond(&mut e, ms(10), &t, sls_error(503, "ServerBusy"));
    assert_eq!(e.poll_timeout(), Some(ms(110)));
    e.handle_timeout(ms(110));
    let retry = one_transmit(&mut e, ms(110));
    assert_eq!(ids(&group(&retry.request).logs), [0]);
}

#[test]
fn statuses_in_the_no_retry_list_give_a_single_attempt_and_a_failure() {
    for status in [400, 404] {
        let mut e = engine(&config());
        let sent = run_to_outcome(&mut e, || sls_error(status, "LogStoreNotExist"));
        assert_eq!(sent.len(), 1);
        let ev = events(&mut e);
        assert_eq!(
            ev[0].result.failure,
            Some(DeliveryFailure::NotRetryable {
                http_status: status
            })
        );
        assert_eq!(ev[0].result.logs(), [log(0)], "logs handed back");
    }
}

#[test]
fn non_json_404_from_a_proxy_is_not_retried_unlike_go() {
    let mut e = engine(&config());
    let sent = run_to_outcome(&mut e, || {
        Ok(HttpResponse::new(404).with_body("<html>404 Not Found</html>"))
    });
    assert_eq!(sent.len(), 1);
    let ev = events(&mut e);
    let r = &ev[0].result;
    assert_eq!(r.http_status(), Some(404));
    assert_eq!(r.error_code(), None);
    assert_eq!(r.error_message(), Some("<html>404 Not Found</html>"));
}

#[test]
fn statuses_401_403_429_5xx_and_network_errors_are_retried() {
    for status in [401, 403, 429, 500, 502, 503, 504] {
        let mut e = engine(&config().with_max_retries(1));
        let t = one_in_flight(&mut e, ms(0));
        respond(&mut e, ms(10), &t, sls_error(status, "Whatever"));
        assert_eq!(e.metrics().pending_batches, 1, "status {status} is retried");
        assert_eq!(e.poll_timeout(), Some(ms(110)));
        e.handle_timeout(ms(110));
        assert_eq!(transmits(&mut e, ms(110)).len(), 1, "status {status}");
    }
    let mut e = engine(&config().with_max_retries(1));
    assert_eq!(run_to_outcome(&mut e, timeout).len(), 2);
    let ev = events(&mut e);
    assert_eq!(ev[0].result.error_code(), Some("Timeout"));
    assert_eq!(ev[0].result.http_status(), None);
}

#[test]
fn too_large_answers_are_not_retried_whatever_their_status() {
    for (status, code) in [
        (413, "Whatever"),
        (400, "PostBodyTooLarge"),
        (500, "PostBodyTooLarge"),
        (503, "InvalidLogSize"),
    ] {
        let mut e = engine(&config().with_no_retry_status_codes(vec![]));
        assert_eq!(
            run_to_outcome(&mut e, || sls_error(status, code)).len(),
            1,
            "{status} {code}"
        );
        let ev = events(&mut e);
        assert_eq!(
            ev[0].result.failure,
            Some(DeliveryFailure::NotRetryable {
                http_status: status
            })
        );
        assert_eq!(ev[0].result.error_code(), Some(code));
        assert_eq!(ids(&ev[0].result.logs()), [0], "the logs are handed back");
    }
}

#[test]
fn a_rejected_certificate_fails_the_batch_after_one_attempt_with_its_cause() {
    let mut e = engine(&config());
    let attempts = run_to_outcome(&mut e, || {
        Err(TransportError::new(
            TransportErrorKind::Certificate,
            "invalid peer certificate: UnknownIssuer",
        ))
    });
    assert_eq!(attempts.len(), 1);
    let ev = events(&mut e);
    let r = &ev[0].result;
    assert_eq!(r.failure, Some(DeliveryFailure::Unrecoverable));
    assert_eq!(r.attempt_count, 1);
    assert_eq!(r.error_code(), Some("CertificateError"));
    assert_eq!(
        r.error_message(),
        Some("invalid peer certificate: UnknownIssuer")
    );
    assert_eq!(ids(&r.logs()), [0]);
}

#[test]
fn a_request_that_cannot_be_signed_fails_at_once_and_a_provider_s_are_never_installed() {
    // A security token with a line break can never go in a header.
    let bad = Credentials::new("id", "secret").with_security_token("tok\r\nen");
    let mut e: Engine<u32> = Engine::new(&config(), WALL, Some(bad.clone())).unwrap();
    e.push(ms(0), log(0), &route(), Some(1)).unwrap();
    e.flush(ms(0));
    assert!(transmits(&mut e, ms(0)).is_empty(), "nothing could be sent");
    let ev = events(&mut e);
    let r = &ev[0].result;
    assert_eq!(r.failure, Some(DeliveryFailure::Unrecoverable));
    assert_eq!(r.attempt_count, 1);
    assert_eq!(r.error_code(), Some("SignError"));
    assert!(r.error_message().unwrap().contains("security token"));
    assert_eq!(e.metrics().pending_batches, 0);
    assert_eq!(e.metrics().buffered_bytes, 0, "the budget is released");

    // From a provider, the same credentials are a failed fetch: the previous ones sign.
    let mut e = provider_engine(&config());
    e.handle_credentials(ms(0), WALL, CredentialsId::DEFAULT, Ok(bad));
    e.push(ms(0), log(0), &route(), Some(1)).unwrap();
    e.flush(ms(0));
    let sent = transmits(&mut e, ms(0));
    assert_eq!(sent.len(), 1);
    let auth = sent[0].request.header("authorization").unwrap();
    assert!(auth.starts_with("LOG test-id:"), "{auth}");
}

#[test]
fn error_code_string_is_only_consulted_for_too_large_answers() {
    // A "non-retryable-sounding" code on 500 is retried; a "retryable" code on 400 is not.
    let mut e = engine(&config().with_max_retries(1));
    assert_eq!(
        run_to_outcome(&mut e, || sls_error(500, "ProjectNotExist")).len(),
        2
    );
    let mut e = engine(&config().with_max_retries(1));
    assert_eq!(
        run_to_outcome(&mut e, || sls_error(400, "WriteQuotaExceed")).len(),
        1
    );
}

/// The fetch the engine asks for, which must be of its only (default) source.
fn default_fetch(e: &mut Engine<u32>, now: Instant) -> Option<FetchReason> {
    let fetch = e.poll_credentials_fetch(now)?;
    assert_eq!(fetch.source, CredentialsId::DEFAULT);
    Some(fetch.reason)
}

/// An engine whose credentials come from a provider, which has answered the first fetch.
fn provider_engine(config: &ProducerConfig) -> Engine<u32> {
    let mut e: Engine<u32> = Engine::new(config, WALL, None).unwrap();
    assert_eq!(default_fetch(&mut e, ms(0)), Some(FetchReason::Scheduled));
    e.handle_credentials(ms(0), WALL, CredentialsId::DEFAULT, Ok(credentials()));
    e
}

#[test]
fn unauthorized_asks_for_fresh_credentials_and_the_retry_waits_for_them() {
    let mut e = provider_engine(&config());
    let t = one_in_flight(&mut e, ms(0));
    assert_eq!(default_fetch(&mut e, ms(0)), None);
    respond(&mut e, ms(10), &t, sls_error(401, "Unauthorized"));
    assert_eq!(
        e.poll_timeout(),
        Some(Instant::ZERO),
        "a fetch is due at once"
    );
    assert_eq!(default_fetch(&mut e, ms(10)), Some(FetchReason::Rejected));
    assert_eq!(default_fetch(&mut e, ms(10)), None, "one fetch at a time");
    e.handle_timeout(ms(110));
    assert!(
        transmits(&mut e, ms(110)).is_empty(),
        "backoff over, still waits"
    );
    e.handle_credentials(
        ms(110),
        WALL,
        CredentialsId::DEFAULT,
        Ok(Credentials::new("new-id", "new-secret")),
    );
    assert_eq!(default_fetch(&mut e, ms(111)), None);
    let retry = one_transmit(&mut e, ms(111));
    let auth = retry.request.header("authorization").unwrap();
    assert!(auth.starts_with("LOG new-id:"), "{auth}");
}

#[test]
fn fixed_credentials_are_put_back_after_a_401_and_the_retry_goes_on() {
    let mut e = engine(&config());
    let t = one_in_flight(&mut e, ms(0));
    respond(&mut e, ms(10), &t, sls_error(401, "Unauthorized"));
    assert_eq!(default_fetch(&mut e, ms(10)), None, "nothing to fetch from");
    assert_eq!(e.poll_timeout(), Some(ms(110)));
    e.handle_timeout(ms(110));
    let retry = one_transmit(&mut e, ms(110));
    let auth = retry.request.header("authorization").unwrap();
    assert!(auth.starts_with("LOG test-id:"), "{auth}");
}

#[test]
fn a_failed_fetch_keeps_the_old_credentials_and_backs_off() {
    let mut e = provider_engine(&config());
    let t = one_in_flight(&mut e, ms(0));
    respond(&mut e, ms(10), &t, sls_error(401, "Unauthorized"));
    assert_eq!(default_fetch(&mut e, ms(10)), Some(FetchReason::Rejected));
    while e.poll_decision().is_some() {}
    e.handle_credentials(
        ms(20),
        WALL,
        CredentialsId::DEFAULT,
        Err(CredentialsError::new("STS down")),
    );
    assert_eq!(
        e.poll_decision(),
        Some(Decision::CredentialsFailed {
            projects: Vec::new(),
            error: CredentialsError::new("STS down"),
            failures: 1,
            retry_in: Duration::from_secs(1),
        }),
        "the first retry waits the minimum interval (the backoff's 100 ms is shorter)"
    );
    assert_eq!(default_fetch(&mut e, ms(1019)), None);
    assert_eq!(default_fetch(&mut e, ms(1020)), Some(FetchReason::Rejected));
}

#[test]
fn unusable_credentials_from_a_provider_are_a_failed_fetch_and_sign_nothing() {
    let mut e: Engine<u32> = Engine::new(&config(), WALL, None).unwrap();
    e.push(ms(0), log(0), &route(), None).unwrap();
    assert_eq!(default_fetch(&mut e, ms(0)), Some(FetchReason::Scheduled));
    e.handle_credentials(
        ms(0),
        WALL,
        CredentialsId::DEFAULT,
        Ok(Credentials::new("", "s3cret-value")),
    );
    let failed = core::iter::from_fn(|| e.poll_decision())
        .find_map(|d| match d {
            Decision::CredentialsFailed {
                error, failures, ..
            } => Some((error, failures)),
            _ => None,
        })
        .expect("reported as a failed fetch");
    let named = "the provider returned unusable credentials: the AccessKey ID is empty";
    assert_eq!(failed, (CredentialsError::new(named), 1));
    assert!(!failed.0.to_string().contains("s3cret"));
    // Retried after the minimum interval, as any failed fetch.
    assert_eq!(default_fetch(&mut e, ms(999)), None);
    assert_eq!(
        default_fetch(&mut e, ms(1000)),
        Some(FetchReason::Scheduled)
    );
    // Past the linger, the batch is ready but nothing signs it.
    e.handle_timeout(ms(5000));
    assert!(e.poll_transmit(ms(5000), WALL).is_none(), "nothing signed");
}

#[test]
fn unauthorized_for_old_credentials_after_a_refresh_does_not_ask_again() {
    let mut e = provider_engine(&config().with_max_batch_count(1));
    e.push(ms(0), log(0), &route(), None).unwrap();
    e.push(ms(0), log(1), &route(), None).unwrap();
    let sent = transmits(&mut e, ms(0));
    assert_eq!(sent.len(), 2);
    respond(&mut e, ms(10), &sent[0], sls_error(401, "Unauthorized"));
    assert_eq!(default_fetch(&mut e, ms(10)), Some(FetchReason::Rejected));
    e.handle_credentials(
        ms(10),
        WALL,
        CredentialsId::DEFAULT,
        Ok(Credentials::new("new-id", "new-secret")),
    );
    // The second request was signed with the old credentials too.
    respond(&mut e, ms(20), &sent[1], sls_error(401, "Unauthorized"));
    assert_eq!(
        default_fetch(&mut e, ms(20)),
        None,
        "already refreshed since it was signed"
    );
    e.handle_timeout(ms(120));
    let retries = transmits(&mut e, ms(120));
    assert_eq!(retries.len(), 2, "both retry with the new credentials");
    for r in &retries {
        assert!(
            r.request
                .header("authorization")
                .unwrap()
                .starts_with("LOG new-id:")
        );
    }
}

#[test]
fn nothing_is_sent_before_credentials_are_known() {
    let mut e: Engine<u32> = Engine::new(&config(), WALL, None).unwrap();
    e.push(ms(0), log(0), &route(), None).unwrap();
    e.flush(ms(0));
    assert!(transmits(&mut e, ms(0)).is_empty());
    assert_eq!(default_fetch(&mut e, ms(0)), Some(FetchReason::Scheduled));
    e.handle_credentials(ms(0), WALL, CredentialsId::DEFAULT, Ok(credentials()));
    assert_eq!(transmits(&mut e, ms(1)).len(), 1);
}

#[test]
fn success_result_has_the_previous_failures_then_the_final_success() {
    let mut e = engine(&config());
    let t = one_in_flight(&mut e, ms(0));
    respond(&mut e, ms(10), &t, sls_error(503, "ServerBusy"));
    e.handle_timeout(ms(110));
    let t = one_transmit(&mut e, ms(110));
    respond(&mut e, ms(120), &t, timeout());
    e.handle_timeout(ms(320));
    let t = one_transmit(&mut e, ms(320));
    respond(&mut e, ms(330), &t, ok());
    let ev = events(&mut e);
    let r = &ev[0].result;
    assert!(r.is_success());
    assert_eq!(r.attempt_count, 3);
    let summary: Vec<_> = r
        .attempts
        .iter()
        .map(|a| {
            (
                a.success,
                a.http_status,
                a.error_code.as_deref(),
                a.request_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (false, Some(503), Some("ServerBusy"), Some("req-503")),
            (false, None, Some("Timeout"), None),
            (true, Some(200), None, Some("req-ok")),
        ]
    );
    assert_eq!(
        r.error_code(),
        None,
        "accessors read the last (successful) attempt"
    );
    assert_eq!(r.request_id(), Some("req-ok"));
    assert!(r.logs().is_empty());
}

#[test]
fn failure_result_reports_code_message_and_request_id_of_the_last_attempt() {
    let mut e = engine(&config().with_max_retries(1));
    let t = one_in_flight(&mut e, ms(0));
    respond(&mut e, ms(10), &t, sls_error(503, "ServerBusy"));
    e.handle_timeout(ms(110));
    let t = one_transmit(&mut e, ms(110));
    respond(&mut e, ms(120), &t, sls_error(500, "InternalServerError"));
    let ev = events(&mut e);
    let r = &ev[0].result;
    assert_eq!(r.error_code(), Some("InternalServerError"));
    assert_eq!(r.error_message(), Some("message of InternalServerError"));
    assert_eq!(r.request_id(), Some("req-500"));
    assert_eq!(r.http_status(), Some(500));
}

#[test]
fn at_most_max_reserved_attempts_are_kept_the_most_recent_ones() {
    let mut e = engine(&config().with_max_reserved_attempts(2));
    let t = one_in_flight(&mut e, ms(0));
    respond(&mut e, ms(10), &t, sls_error(503, "ServerBusy"));
    e.handle_timeout(ms(110));
    let t = one_transmit(&mut e, ms(110));
    respond(&mut e, ms(120), &t, sls_error(500, "InternalServerError"));
    e.handle_timeout(ms(320));
    let t = one_transmit(&mut e, ms(320));
    respond(&mut e, ms(330), &t, ok());
    let ev = events(&mut e);
    let r = &ev[0].result;
    assert_eq!(r.attempt_count, 3);
    let codes: Vec<Option<&str>> = r.attempts.iter().map(|a| a.error_code.as_deref()).collect();
    assert_eq!(codes, [Some("InternalServerError"), None]);
    assert!(
        r.is_success() && r.error_code().is_none(),
        "no stale error (Go's first-N bug)"
    );
}

#[test]
fn all_sends_of_a_batch_get_their_outcome_once_in_registration_order_sharing_attempts() {
    let mut e = engine(&config());
    let t1 = e.push(ms(0), log(0), &route(), Some(10)).unwrap();
    e.push(ms(0), log(1), &route(), None).unwrap();
    let t2 = e.push(ms(0), logs(2..4), &route(), Some(20)).unwrap();
    let t3 = e.push(ms(0), log(4), &route(), Some(30)).unwrap();
    e.flush(ms(0));
    let t = one_transmit(&mut e, ms(0));
    respond(&mut e, ms(10), &t, ok());
    let ev = events(&mut e);
    let order: Vec<_> = ev.iter().map(|e| (e.ticket, e.tag)).collect();
    assert_eq!(order, [(t1, 10), (t2, 20), (t3, 30)]);
    assert!(Arc::ptr_eq(&ev[0].result.attempts, &ev[2].result.attempts));
    assert!(events(&mut e).is_empty());
}

#[test]
fn failure_hands_each_send_exactly_its_own_logs() {
    let mut e = engine(&config().with_max_retries(0));
    e.push(ms(0), log(0), &route(), Some(10)).unwrap();
    e.push(ms(0), log(1), &route(), None).unwrap();
    e.push(ms(0), logs(2..4), &route(), Some(20)).unwrap();
    e.flush(ms(0));
    let t = one_transmit(&mut e, ms(0));
    respond(&mut e, ms(10), &t, sls_error(400, "PostBodyInvalid"));
    let ev = events(&mut e);
    assert_eq!(ids(&ev[0].result.logs()), [0]);
    assert_eq!(ids(&ev[1].result.logs()), [2, 3]);
    let stats = e.metrics();
    assert_eq!((stats.failed_logs, stats.handed_back_logs), (4, 3));
}

#[test]
fn delivery_timeout_stops_retries_that_would_start_after_it() {
    let mut e = engine(&config().with_delivery_timeout(Duration::from_secs(1)));
    let sent = run_to_outcome(&mut e, || sls_error(503, "ServerBusy"));
    // 0, 100, 300, 700; the next (1500) would be past the 1000 ms deadline.
    assert_eq!(sent, [0, 100, 300, 700]);
    let ev = events(&mut e);
    assert_eq!(ev[0].result.failure, Some(DeliveryFailure::DeliveryTimeout));
    assert_eq!(ev[0].result.logs(), [log(0)]);
}

#[test]
fn delivery_timeout_fails_a_batch_still_waiting_for_a_slot_but_not_one_in_flight() {
    let cfg = config()
        .with_delivery_timeout(Duration::from_secs(1))
        .with_max_in_flight(1)
        .with_max_batch_count(1);
    let mut e = engine(&cfg);
    e.push(ms(0), log(0), &route(), Some(0)).unwrap();
    e.push(ms(0), log(1), &route(), Some(1)).unwrap();
    let t = one_transmit(&mut e, ms(0));
    assert_eq!(e.poll_timeout(), Some(ms(1000)));
    e.handle_timeout(ms(1000));
    let ev = events(&mut e);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].tag, 1);
    assert_eq!(ev[0].result.failure, Some(DeliveryFailure::DeliveryTimeout));
    assert!(ev[0].result.attempts.is_empty());
    // The in-flight one is decided by its response.
    respond(&mut e, ms(1500), &t, ok());
    let ev = events(&mut e);
    assert_eq!((ev[0].tag, ev[0].result.is_success()), (0, true));
}

#[test]
fn attempts_record_end_time_and_duration() {
    let mut e = engine(&config());
    e.push(ms(0), log(0), &route(), Some(1)).unwrap();
    e.flush(ms(0));
    let t = one_transmit(&mut e, ms(1000));
    respond(&mut e, ms(1250), &t, ok());
    let ev = events(&mut e);
    let a = &ev[0].result.attempts[0];
    assert_eq!(a.duration, Duration::from_millis(250));
    assert_eq!(a.timestamp, wall(1250));
}

#[test]
fn requests_are_signed_routed_and_the_body_is_reused_byte_for_byte_by_retries() {
    let cfg = config().with_generate_pack_id(true);
    let mut e = engine(&cfg);
    let key = ShardKey::from_hash("127.0.0.1");
    let r = route().with_shard_key(key);
    e.push(ms(0), log(0), &r, Some(1)).unwrap();
    e.flush(ms(0));
    let first = one_transmit(&mut e, ms(0));
    let req = &first.request;
    assert_eq!(req.authority, "127.0.0.1:8080");
    assert_eq!(req.header("host"), Some("proj.127.0.0.1:8080"));
    assert_eq!(
        req.path_and_query,
        "/logstores/store/shards/route?key=f4000000000000000000000000000000"
    );
    assert_eq!(req.header("x-log-compresstype"), Some("lz4"));
    assert!(
        req.header("authorization")
            .unwrap()
            .starts_with("LOG test-id:")
    );
    assert_eq!(req.header("date"), Some("Tue, 14 Nov 2023 22:13:20 GMT"));
    respond(&mut e, ms(5), &first, sls_error(503, "ServerBusy"));
    e.handle_timeout(ms(2105));
    let retry = one_transmit(&mut e, ms(2105));
    assert_eq!(retry.request.body, first.request.body, "same bytes");
    assert_eq!(
        retry.request.header("content-md5"),
        first.request.header("content-md5")
    );
    assert_eq!(
        retry.request.header("date"),
        Some("Tue, 14 Nov 2023 22:13:22 GMT")
    );
    assert_ne!(
        retry.request.header("authorization"),
        first.request.header("authorization"),
        "re-signed for the new date"
    );
}

#[test]
fn decisions_say_what_was_decided_and_why() {
    let mut e = engine(&config().with_max_retries(1));
    let first = one_in_flight(&mut e, ms(0));
    respond(&mut e, ms(10), &first, sls_error(503, "ServerBusy"));
    let Some(Decision::Retry {
        attempt,
        attempts,
        delay,
        refresh_credentials,
        record,
    }) = e.poll_decision()
    else {
        panic!("a retry is scheduled");
    };
    assert_eq!(
        (attempt, attempts, delay, refresh_credentials),
        (Some(first.attempt), 1, Duration::from_millis(100), false)
    );
    assert_eq!(record.http_status, Some(503));
    assert_eq!(record.error_code.as_deref(), Some("ServerBusy"));
    assert_eq!(e.poll_decision(), None);
    e.handle_timeout(ms(110));
    let second = one_transmit(&mut e, ms(110));
    respond(&mut e, ms(120), &second, sls_error(503, "ServerBusy"));
    let Some(Decision::GaveUp {
        attempt,
        logs,
        failure,
        record,
    }) = e.poll_decision()
    else {
        panic!("the batch is given up");
    };
    assert_eq!(
        (attempt, logs, failure),
        (Some(second.attempt), 1, DeliveryFailure::RetriesExhausted)
    );
    assert_eq!(record.and_then(|r| r.http_status), Some(503));
    // An answer for a request of a batch no longer waiting changes nothing.
    respond(&mut e, ms(130), &second, ok());
    assert_eq!(
        e.poll_decision(),
        Some(Decision::LateAnswer {
            attempt: second.attempt
        })
    );
    // A delivery is reported with its request id.
    let mut e = engine(&config());
    let t = one_in_flight(&mut e, ms(0));
    respond(&mut e, ms(5), &t, ok());
    let Some(Decision::Delivered {
        attempt,
        logs,
        record,
    }) = e.poll_decision()
    else {
        panic!("delivered");
    };
    assert_eq!((attempt, logs), (t.attempt, 1));
    assert_eq!(record.request_id.as_deref(), Some("req-ok"));
}
