//! Clock skew: a refusal for the request time teaches the server's clock offset from its
//! `Date`, and the batch is re-signed and retried at once, once per offset change.

use core::time::Duration;

use sls_producer_core::config::ProjectConfig;
use sls_producer_core::engine::{ClockOffset, CredentialsId, Decision, DeliveryFailure, Route};
use sls_producer_core::rt::{HttpResponse, TransportError, UnixTime};

use crate::support::*;

/// SLS's answer to a request whose date is too far from `server`'s clock.
fn expired(server: UnixTime) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse::new(400)
        .with_header("x-log-requestid", "req-skew")
        .with_header("date", server.rfc1123())
        .with_body(
            r#"{"errorCode":"RequestTimeExpired","errorMessage":"Request time is expired"}"#,
        ))
}

fn hour() -> Duration {
    Duration::from_secs(3600)
}

fn date(t: &sls_producer_core::engine::Transmit) -> String {
    t.request.header("date").unwrap().to_owned()
}

#[test]
fn a_time_refusal_teaches_the_offset_and_the_batch_is_re_signed_at_once() {
    let mut e = engine(&config());
    let t = one_in_flight(&mut e);
    assert_eq!(date(&t), wall(0).rfc1123());
    // The server's clock is an hour ahead of ours.
    let server = wall(10).saturating_add(hour());
    respond(&mut e, ms(10), &t, expired(server));
    let decisions: Vec<_> = core::iter::from_fn(|| e.poll_decision()).collect();
    assert!(
        decisions.iter().any(|d| matches!(
            d,
            Decision::ClockCorrected { project, previous, offset, .. }
                if project == "proj"
                    && *previous == ClockOffset::ZERO
                    && offset.as_millis() == 3_600_000 - 10
        )),
        "{decisions:?}"
    );
    // No backoff: the retry goes at once, dated by the server's clock.
    let retry = one_transmit(&mut e, ms(10));
    assert_eq!(date(&retry), server.rfc1123());
    let m = e.metrics();
    assert_eq!((m.clock_corrections, m.clock_offset_ms), (1, 3_599_990));
    assert_eq!(m.retries, 1);
    // Logs keep their own times.
    assert_eq!(group(&retry.request).logs[0].time(), 1_700_000_000);
    respond(&mut e, ms(20), &retry, ok());
    let out = events(&mut e);
    assert_eq!(out[0].result.failure, None);
    // Later batches are signed with the learned offset from the start.
    e.push(ms(30), log(1), &route(), None).unwrap();
    e.flush(ms(30));
    let next = one_transmit(&mut e, ms(30));
    assert_eq!(
        date(&next),
        wall(30)
            .saturating_add(Duration::from_millis(3_599_990))
            .rfc1123()
    );
}

#[test]
fn a_server_that_keeps_refusing_the_corrected_time_does_not_make_a_loop() {
    let mut e = engine(&config().with_max_retries(10));
    let t = one_in_flight(&mut e);
    let server = wall(10).saturating_add(hour());
    respond(&mut e, ms(10), &t, expired(server));
    let retry = one_transmit(&mut e, ms(10));
    // Refused again, although the date agrees with the server's: nothing new to learn, so
    // the answer is classified as usual (400 is final).
    respond(
        &mut e,
        ms(20),
        &retry,
        expired(server.saturating_add(Duration::from_millis(10))),
    );
    let out = events(&mut e);
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].result.failure,
        Some(DeliveryFailure::NotRetryable { http_status: 400 })
    );
    assert_eq!(e.metrics().clock_corrections, 1);
    assert!(transmits(&mut e, ms(1_000_000)).is_empty());
}

#[test]
fn requests_signed_before_a_correction_are_retried_with_it_without_learning_again() {
    let mut e = engine(&config().with_max_batch_count(1));
    e.push(ms(0), log(0), &route(), Some(0)).unwrap();
    e.push(ms(0), log(1), &route(), None).unwrap();
    let sent = transmits(&mut e, ms(0));
    assert_eq!(sent.len(), 2);
    let server = wall(10).saturating_add(hour());
    respond(&mut e, ms(10), &sent[0], expired(server));
    respond(&mut e, ms(11), &sent[1], expired(server));
    let retries = transmits(&mut e, ms(11));
    assert_eq!(retries.len(), 2, "both retried at once");
    assert_eq!(e.metrics().clock_corrections, 1, "learned once");
}

#[test]
fn the_offset_belongs_to_the_endpoint_that_taught_it() {
    let mut e = engine(&config());
    e.add_project(
        "alpha",
        &ProjectConfig::new("http://127.0.0.2:9000"),
        CredentialsId::DEFAULT,
    )
    .unwrap();
    let t = one_in_flight(&mut e);
    respond(&mut e, ms(10), &t, expired(wall(10).saturating_add(hour())));
    let _ = one_transmit(&mut e, ms(10));
    e.push(ms(20), log(1), &Route::new("alpha", "store").unwrap(), None)
        .unwrap();
    e.flush(ms(20));
    let alpha = one_transmit(&mut e, ms(20));
    assert_eq!(alpha.request.authority, "127.0.0.2:9000");
    assert_eq!(date(&alpha), wall(20).rfc1123(), "another endpoint's clock");
}

#[test]
fn a_refusal_without_a_date_is_an_ordinary_400() {
    let mut e = engine(&config().with_max_retries(10));
    let t = one_in_flight(&mut e);
    respond(&mut e, ms(10), &t, sls_error(400, "RequestTimeExpired"));
    assert_eq!(events(&mut e).len(), 1, "final, as any 400");
    assert_eq!(e.metrics().clock_corrections, 0);
}

fn one_in_flight(
    e: &mut sls_producer_core::engine::Engine<u32>,
) -> sls_producer_core::engine::Transmit {
    e.push(ms(0), log(0), &route(), Some(0)).unwrap();
    e.flush(ms(0));
    one_transmit(e, ms(0))
}
