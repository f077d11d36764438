//! Flush and close: intake stops at once, open batches are sealed, the deadline is honoured,
//! and nothing is ever stranded.

use core::time::Duration;

use sls_producer_core::engine::{DeliveryFailure, Record, SendError};

use crate::support::*;

#[test]
fn flush_seals_every_open_batch_and_is_reached_once_all_earlier_sends_have_outcomes() {
    let mut e = engine(&config());
    e.push(ms(0), log(0), &route(), Some(0)).unwrap();
    e.push(ms(0), log(1), &route().with_topic("t"), Some(1))
        .unwrap();
    let token = e.flush(ms(5));
    assert!(!e.is_flushed(token));
    let sent = transmits(&mut e, ms(5));
    assert_eq!(sent.len(), 2, "sent without waiting for linger");
    // A send after the flush does not hold the flush back.
    e.push(ms(6), log(2), &route(), Some(2)).unwrap();
    respond(&mut e, ms(10), &sent[0], ok());
    assert!(!e.is_flushed(token));
    respond(&mut e, ms(11), &sent[1], ok());
    assert!(e.is_flushed(token));
    assert_eq!(
        e.metrics().pending_batches,
        1,
        "the later send is still open"
    );
}

#[test]
fn flush_with_nothing_pending_is_reached_at_once() {
    let mut e = engine(&config());
    let token = e.flush(ms(0));
    assert!(e.is_flushed(token));
}

#[test]
fn close_seals_open_non_empty_batches_immediately() {
    let mut e = engine(&config());
    e.push(ms(0), log(0), &route(), Some(0)).unwrap();
    e.close(ms(1), None);
    assert!(e.is_closing());
    let t = one_transmit(&mut e, ms(1));
    respond(&mut e, ms(2), &t, ok());
    assert!(events(&mut e)[0].result.is_success());
    assert!(e.is_idle());
}

#[test]
fn send_after_close_is_refused_with_the_record_handed_back() {
    let mut e = engine(&config());
    e.close(ms(0), None);
    let err = e.push(ms(1), log(7), &route(), Some(1)).unwrap_err();
    assert!(matches!(err, SendError::Closed { .. }));
    assert_eq!(err.into_record(), Record::Log(log(7)));
    assert!(events(&mut e).is_empty());
    assert!(e.is_idle());
}

#[test]
fn push_racing_close_is_either_delivered_or_handed_back_never_stranded() {
    // Behind one lock a push is ordered before or after close; check both orders end with
    // exactly one outcome per log.
    for push_first in [true, false] {
        let mut e = engine(&config());
        let accepted = if push_first {
            let r = e.push(ms(0), log(0), &route(), Some(1));
            e.close(ms(0), Some(ms(1000)));
            r
        } else {
            e.close(ms(0), Some(ms(1000)));
            e.push(ms(0), log(0), &route(), Some(1))
        };
        match accepted {
            Ok(_) => {
                let t = one_transmit(&mut e, ms(0));
                respond(&mut e, ms(10), &t, ok());
                assert!(events(&mut e)[0].result.is_success());
            }
            Err(err) => assert_eq!(err.into_record().into_logs(), [log(0)]),
        }
        assert!(e.is_idle(), "push_first={push_first}");
    }
}

#[test]
fn close_without_deadline_lets_retries_run_to_their_own_outcome() {
    let mut e = engine(&config().with_max_retries(2));
    e.push(ms(0), log(0), &route(), Some(0)).unwrap();
    e.close(ms(0), None);
    let mut now = ms(0);
    let mut attempts = 0;
    while !e.is_idle() {
        if let Some(t) = e.poll_transmit(now, wall(0)) {
            attempts += 1;
            respond(&mut e, now, &t, sls_error(503, "ServerBusy"));
        } else if e.poll_event().is_some() {
            continue;
        } else {
            now = e.poll_timeout().expect("work left means a timer");
            e.handle_timeout(now);
        }
    }
    assert_eq!(attempts, 3, "close does not cut retries short");
}

#[test]
fn close_deadline_fails_everything_left_with_closed_and_hands_logs_back() {
    let cfg = config().with_max_batch_count(1).with_max_in_flight(1);
    let mut e = engine(&cfg);
    e.push(ms(0), log(0), &route(), Some(0)).unwrap(); // will be in flight
    e.push(ms(0), log(1), &route(), Some(1)).unwrap(); // will wait for the slot
    e.push(ms(0), log(2), &route().with_topic("t"), Some(2))
        .unwrap(); // open
    let t = one_transmit(&mut e, ms(0));
    e.close(ms(10), Some(ms(5000)));
    assert_eq!(e.poll_timeout(), Some(ms(5000)));
    e.handle_timeout(ms(5000));
    let mut ev = events(&mut e);
    ev.sort_by_key(|e| e.tag);
    let outcomes: Vec<_> = ev
        .iter()
        .map(|e| (e.tag, e.result.failure, ids(&e.result.logs())))
        .collect();
    assert_eq!(
        outcomes,
        [
            (
                0,
                Some(DeliveryFailure::Closed { in_flight: true }),
                vec![0]
            ),
            (
                1,
                Some(DeliveryFailure::Closed { in_flight: false }),
                vec![1]
            ),
            (
                2,
                Some(DeliveryFailure::Closed { in_flight: false }),
                vec![2]
            ),
        ]
    );
    assert!(e.is_idle());
    assert_eq!(e.metrics().buffered_bytes, 0);
    // The late response of the abandoned request is ignored.
    respond(&mut e, ms(6000), &t, ok());
    assert!(events(&mut e).is_empty());
    assert_eq!(e.metrics().delivered_logs, 0);
}

#[test]
fn close_deadline_in_the_past_fails_at_once() {
    let mut e = engine(&config());
    e.push(ms(0), log(0), &route(), Some(0)).unwrap();
    e.close(ms(100), Some(ms(100)));
    let ev = events(&mut e);
    assert_eq!(
        ev[0].result.failure,
        Some(DeliveryFailure::Closed { in_flight: false })
    );
    assert!(e.is_idle());
}

#[test]
fn retry_that_would_start_after_the_close_deadline_fails_now() {
    let mut e = engine(&config());
    e.push(ms(0), log(0), &route(), Some(0)).unwrap();
    e.flush(ms(0));
    let t = one_transmit(&mut e, ms(0));
    e.close(ms(0), Some(ms(50)));
    respond(&mut e, ms(10), &t, sls_error(503, "ServerBusy"));
    let ev = events(&mut e);
    assert_eq!(
        ev[0].result.failure,
        Some(DeliveryFailure::Closed { in_flight: false })
    );
    assert_eq!(ev[0].result.attempt_count, 1);
}

#[test]
fn retries_keep_running_during_close_until_the_deadline() {
    let mut e = engine(&config());
    e.push(ms(0), log(0), &route(), Some(0)).unwrap();
    e.flush(ms(0));
    let t = one_transmit(&mut e, ms(0));
    e.close(ms(0), Some(ms(10_000)));
    respond(&mut e, ms(10), &t, sls_error(503, "ServerBusy"));
    e.handle_timeout(ms(110));
    let t = one_transmit(&mut e, ms(110));
    respond(&mut e, ms(120), &t, ok());
    assert!(events(&mut e)[0].result.is_success());
}

#[test]
fn close_twice_is_harmless_and_can_only_bring_the_deadline_forward() {
    let mut e = engine(&config());
    e.push(ms(0), log(0), &route(), Some(0)).unwrap();
    e.flush(ms(0));
    let _in_flight = one_transmit(&mut e, ms(0));
    e.close(ms(0), Some(ms(1000)));
    e.close(ms(1), None);
    assert_eq!(
        e.poll_timeout(),
        Some(ms(1000)),
        "None does not lift the deadline"
    );
    e.close(ms(2), Some(ms(3000)));
    assert_eq!(
        e.poll_timeout(),
        Some(ms(1000)),
        "a later deadline does not extend it"
    );
    e.close(ms(3), Some(ms(500)));
    assert_eq!(e.poll_timeout(), Some(ms(500)));
}

#[test]
fn linger_timer_is_not_needed_after_close() {
    let mut e = engine(&config().with_linger(Duration::from_secs(60)));
    e.push(ms(0), log(0), &route(), None).unwrap();
    assert_eq!(e.poll_timeout(), Some(ms(60_000)));
    e.close(ms(1), None);
    assert_eq!(e.poll_timeout(), None, "sealed: no linger timer left");
    assert_eq!(transmits(&mut e, ms(1)).len(), 1);
}

#[test]
fn close_deadline_hands_back_many_logs_undecoded_and_each_send_decodes_exactly_its_own() {
    // `close(deadline)` must not do work per log when it gives up what is left: the
    // results hold the batches' undecoded bodies and decode only when asked.
    let cfg = config().with_max_batch_count(1000).with_max_in_flight(4);
    let mut e = engine(&cfg);
    let mut expected = std::collections::BTreeMap::new();
    let (mut next, mut tag) = (0u32, 0u32);
    while next < 30_000 {
        // Single logs, untracked logs between them, and lists that span batches.
        let len = [1, 1, 7, 1, 250][tag as usize % 5];
        let sent = logs(next..next + len);
        let tracked = tag % 3 != 2;
        e.push(ms(0), sent, &route(), tracked.then_some(tag))
            .unwrap();
        if tracked {
            expected.insert(tag, (next..next + len).collect::<Vec<_>>());
        }
        next += len;
        tag += 1;
    }
    e.close(ms(1), Some(ms(2000)));
    let in_flight = transmits(&mut e, ms(1));
    assert_eq!(in_flight.len(), 4, "some bodies are sealed and in flight");
    e.handle_timeout(ms(2000));
    let ev = events(&mut e);
    assert!(e.is_idle());
    assert_eq!(ev.len(), expected.len(), "one outcome per tracked send");
    assert!(
        ev.iter().all(|e| !e.result.handed_back_is_decoded()),
        "giving the batches up decoded nothing"
    );
    let counts: usize = ev.iter().map(|e| e.result.handed_back_count()).sum();
    let want: usize = expected.values().map(Vec::len).sum();
    assert_eq!(counts, want, "counted without decoding");
    assert!(ev.iter().all(|e| !e.result.handed_back_is_decoded()));
    assert_eq!(e.metrics().handed_back_logs, want as u64);
    for event in ev {
        assert!(matches!(
            event.result.failure,
            Some(DeliveryFailure::Closed { .. })
        ));
        let tag = event.tag;
        assert_eq!(
            ids(&event.result.into_logs()),
            expected[&tag],
            "send {tag} gets exactly its logs, in order"
        );
    }
}
