//! Integration tests of the `sim` runtime: the simulation loop, timers, the scripted
//! transport and determinism, through the public API only.

use std::sync::{Arc, Mutex};

use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::Poll;
use core::time::Duration;

use sls_producer_core::protocol::response::check_response;
use sls_producer_core::rt::{Bytes, HttpRequest, HttpResponse, Method, Scheme};
use sls_producer_core::rt::{
    Clock, HttpTransport, Spawner, Timer, TransportError, TransportErrorKind,
};
use sls_producer_core::rt::{Instant, UnixTime};
use sls_producer_core::sim::{
    ManualClock, RecordedRequest, ScriptedReply, ScriptedTransport, SimError, SimExecutor,
    SimLimits, SimRng, SimRuntime,
};

fn request(path: &str) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        scheme: Scheme::Http,
        authority: "127.0.0.1:8080".into(),
        path_and_query: path.into(),
        headers: vec![("host".into(), "p.127.0.0.1".into())],
        body: Bytes::from_static(b"body"),
    }
}

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// `future`, or `None` if `timer` reaches `deadline` first (the timer is dropped when
/// the future wins, and vice versa).
async fn with_deadline<F: Future>(
    timer: &dyn Timer,
    deadline: Instant,
    future: F,
) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut sleep = timer.sleep_until(deadline);
    poll_fn(|cx| {
        if let Poll::Ready(v) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

type Log<T> = Arc<Mutex<Vec<T>>>;

fn new_log<T>() -> Log<T> {
    Arc::new(Mutex::new(Vec::new()))
}

#[test]
fn timers_fire_in_deadline_then_sequence_order() {
    let sim = SimRuntime::new(1);
    let log: Log<(usize, Instant)> = new_log();
    // (label, deadline in ms). Equal deadlines must fire in creation (= spawn) order.
    let plan = [(0, 30), (1, 10), (2, 30), (3, 20), (4, 10), (5, 0)];
    for (label, at) in plan {
        let (clock, log) = (sim.clock().clone(), log.clone());
        // The clock's own `sleep_until` registers when called (`Timer::sleep_until` at
        // its first poll): equal deadlines fire in the order of this loop.
        let sleep = clock.sleep_until(ms(at));
        sim.executor().spawn(Box::pin(async move {
            sleep.await;
            log.lock().unwrap().push((label, clock.now()));
        }));
    }
    // Tasks spawned before `block_on` are queued ahead of its future (FIFO): the one
    // whose deadline had passed already ran; the others wait for time to move.
    sim.block_on(async {}).unwrap();
    assert_eq!(*log.lock().unwrap(), [(5, ms(0))]);
    sim.run_until(ms(100)).unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            (5, ms(0)),
            (1, ms(10)),
            (4, ms(10)),
            (3, ms(20)),
            (0, ms(30)),
            (2, ms(30))
        ]
    );
    assert_eq!(sim.now(), ms(100), "run_until ends at its end instant");
    assert_eq!(
        sim.executor().stats().time_jumps,
        3,
        "one jump per distinct deadline"
    );
}

#[test]
fn dropped_sleeps_never_fire_and_do_not_keep_the_loop_alive() {
    let sim = SimRuntime::new(2);
    let timer = sim.timer_handle();
    let fired = Arc::new(Mutex::new(false));
    let fired2 = fired.clone();
    let timer2 = timer.clone();
    sim.executor().spawn(Box::pin(async move {
        // Races a 1 s sleep against a 1 h one; the loser is dropped.
        let winner = with_deadline(&*timer2, Instant::from_secs(1), async {
            timer2.sleep_until(Instant::from_secs(3600)).await;
            *fired2.lock().unwrap() = true;
        })
        .await;
        assert!(winner.is_none());
    }));
    sim.run_until_stalled().unwrap();
    assert_eq!(sim.clock().pending_timers(), 2);
    let out = sim.block_on(async move {
        timer.sleep_until(Instant::from_secs(2)).await;
        timer.now()
    });
    assert_eq!(out, Ok(Instant::from_secs(2)));
    assert_eq!(
        sim.clock().pending_timers(),
        0,
        "the 1 h sleep was deregistered"
    );
    assert_eq!(sim.executor().pending_tasks(), 0);
    // Nothing is left to wait for: a pending future is now a deadlock at 2 s, not a
    // jump to the dropped 1 h deadline.
    assert_eq!(
        sim.block_on(core::future::pending::<()>()),
        Err(SimError::Deadlock {
            now: Instant::from_secs(2),
            pending_tasks: 0
        })
    );
    assert!(!*fired.lock().unwrap());
    assert_eq!(
        sim.clock().fired_timers(),
        2,
        "only the 1 s and 2 s sleeps fired"
    );
}

#[test]
fn the_executor_advances_time_only_when_stalled() {
    let sim = SimRuntime::new(3);
    let seen: Log<(&'static str, Instant)> = new_log();
    let (timer, log) = (sim.timer_handle(), seen.clone());
    sim.executor().spawn(Box::pin(async move {
        timer.sleep_until(ms(10)).await;
        log.lock().unwrap().push(("sleeper", timer.now()));
    }));
    let (timer, log) = (sim.timer_handle(), seen.clone());
    sim.executor().spawn(Box::pin(async move {
        for _ in 0..5 {
            // Yield: wake ourselves and return Pending once.
            let mut yielded = false;
            poll_fn(|cx| {
                if yielded {
                    Poll::Ready(())
                } else {
                    yielded = true;
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
            .await;
            log.lock().unwrap().push(("yielder", timer.now()));
        }
    }));
    sim.block_on(sim.timer_handle().sleep_until(ms(50)))
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    let mut expected = vec![("yielder", Instant::ZERO); 5];
    expected.push(("sleeper", ms(10)));
    assert_eq!(seen, expected);
    assert_eq!(sim.now(), ms(50));
}

#[test]
fn an_hour_in_one_second_steps_takes_exactly_3600_wakes() {
    let sim = SimRuntime::new(4);
    let timer = sim.timer_handle();
    let steps = sim
        .block_on(async move {
            let mut steps = 0u32;
            while timer.now() < Instant::from_secs(3600) {
                timer
                    .sleep_until(timer.now() + Duration::from_secs(1))
                    .await;
                steps += 1;
            }
            steps
        })
        .unwrap();
    assert_eq!(steps, 3600);
    assert_eq!(sim.now(), Instant::from_secs(3600));
    assert_eq!(sim.clock().fired_timers(), 3600);
    let stats = sim.executor().stats();
    assert_eq!(stats.time_jumps, 3600);
    assert_eq!(stats.polls, 3601, "one poll per wake plus the first");
    assert_eq!(
        sim.clock().unix_time(),
        ManualClock::DEFAULT_EPOCH.saturating_add(Duration::from_secs(3600))
    );
}

#[test]
fn scripted_replies_answer_in_order_with_delays_on_the_simulated_clock() {
    let sim = SimRuntime::new(5);
    let body = HttpResponse::new(202)
        .with_header("x-custom", "1")
        .with_body("raw");
    sim.transport().push_replies([
        ScriptedReply::ok(),
        ScriptedReply::sls_error(403, "WriteQuotaExceed", "quota exceeded"),
        ScriptedReply::TransportError(TransportErrorKind::Connect),
        ScriptedReply::Status(500).delayed(Duration::from_secs(5)),
        ScriptedReply::timeout_after(Duration::from_secs(3)),
        ScriptedReply::Response(body.clone()),
    ]);
    let (timer, http) = (sim.timer_handle(), sim.transport_handle());
    type Outcome = (Instant, Result<HttpResponse, TransportError>);
    let outcomes: Vec<Outcome> = sim
        .block_on(async move {
            let mut outcomes = Vec::new();
            for i in 0..7 {
                let result = http.send(request(&format!("/r{i}"))).await;
                outcomes.push((timer.now(), result));
            }
            outcomes
        })
        .unwrap();

    let status = |o: &Outcome| o.1.as_ref().map(|r| r.status).map_err(|e| e.kind());
    assert_eq!(
        outcomes.iter().map(status).collect::<Vec<_>>(),
        [
            Ok(200),
            Ok(403),
            Err(TransportErrorKind::Connect),
            Ok(500),
            Err(TransportErrorKind::Timeout),
            Ok(202),
            Ok(200), // script exhausted: the default reply
        ]
    );
    let done_at: Vec<Instant> = outcomes.iter().map(|o| o.0).collect();
    let s = Instant::from_secs;
    assert_eq!(done_at, [s(0), s(0), s(0), s(5), s(8), s(8), s(8)]);

    let ok = outcomes[0].1.as_ref().unwrap();
    assert_eq!(
        ok.header("x-log-requestid"),
        Some(&*ScriptedTransport::request_id(0))
    );
    let denied = outcomes[1].1.as_ref().unwrap();
    assert_eq!(
        &denied.body[..],
        br#"{"errorCode":"WriteQuotaExceed","errorMessage":"quota exceeded"}"#
    );
    assert_eq!(
        denied.header("x-log-requestid"),
        Some("53494D000000000000000001")
    );
    // The core's own response parsing understands the scripted error and success.
    let server_error = check_response(denied).unwrap_err();
    assert_eq!(
        (server_error.code(), server_error.message.as_str()),
        (Some("WriteQuotaExceed"), "quota exceeded")
    );
    assert_eq!(
        server_error.request_id.as_deref(),
        Some("53494D000000000000000001")
    );
    assert_eq!(
        check_response(ok).unwrap().request_id,
        Some(ScriptedTransport::request_id(0))
    );
    assert_eq!(
        outcomes[5].1.as_ref().unwrap(),
        &body,
        "a full response is passed as is"
    );

    let recorded = sim.transport().requests();
    assert_eq!(sim.transport().request_count(), 7);
    let received: Vec<(u64, &str, Instant)> = recorded
        .iter()
        .map(|r| (r.index, r.request.path(), r.received_at))
        .collect();
    assert_eq!(
        received,
        [
            (0, "/r0", s(0)),
            (1, "/r1", s(0)),
            (2, "/r2", s(0)),
            (3, "/r3", s(0)),
            (4, "/r4", s(5)),
            (5, "/r5", s(8)),
            (6, "/r6", s(8)),
        ]
    );
    assert_eq!(
        recorded[3].reply,
        ScriptedReply::Status(500).delayed(Duration::from_secs(5))
    );
    assert_eq!(
        recorded[0].request,
        request("/r0"),
        "requests are recorded unchanged"
    );
    sim.transport().clear();
    assert_eq!(sim.transport().request_count(), 0);
}

#[test]
fn concurrent_requests_are_tracked_in_flight_and_cancelled_on_drop() {
    let sim = SimRuntime::new(6);
    let t = sim.transport();
    t.push_replies((1..=3).map(|i| ScriptedReply::ok().delayed(Duration::from_secs(i))));
    let done: Log<(usize, Instant)> = new_log();
    for i in 0..3 {
        let (http, timer, done) = (sim.transport_handle(), sim.timer_handle(), done.clone());
        sim.spawner_handle().spawn(Box::pin(async move {
            http.send(request("/c")).await.unwrap();
            done.lock().unwrap().push((i, timer.now()));
        }));
    }
    sim.run_until_stalled().unwrap();
    assert_eq!((t.in_flight(), sim.clock().pending_timers()), (3, 3));
    sim.run_for(Duration::from_secs(10)).unwrap();
    let s = Instant::from_secs;
    assert_eq!(*done.lock().unwrap(), [(0, s(1)), (1, s(2)), (2, s(3))]);
    assert_eq!((t.in_flight(), t.max_in_flight()), (0, 3));

    // Abandoning a delayed response removes its timer. (A request is sent, and counted
    // in flight, when its future is first polled.)
    t.push_reply(ScriptedReply::ok().delayed(Duration::from_secs(60)));
    let mut abandoned = t.send(request("/dropped"));
    assert_eq!((t.in_flight(), sim.clock().pending_timers()), (0, 0));
    let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    assert!(abandoned.as_mut().poll(&mut cx).is_pending());
    assert_eq!((t.in_flight(), sim.clock().pending_timers()), (1, 1));
    drop(abandoned);
    assert_eq!((t.in_flight(), sim.clock().pending_timers()), (0, 0));
}

#[test]
fn a_hanging_reply_needs_a_timeout_or_the_simulation_deadlocks() {
    let sim = SimRuntime::new(7);
    sim.transport()
        .push_replies([ScriptedReply::Hang, ScriptedReply::Hang]);
    let (timer, http) = (sim.timer_handle(), sim.transport_handle());
    let answered = sim
        .block_on(async move {
            let deadline = timer.now() + Duration::from_secs(30);
            with_deadline(&*timer, deadline, http.send(request("/hang"))).await
        })
        .unwrap();
    assert!(answered.is_none(), "the request timed out");
    assert_eq!(sim.now(), Instant::from_secs(30));
    assert_eq!(
        sim.transport().in_flight(),
        0,
        "the hung exchange was abandoned"
    );

    let http = sim.transport_handle();
    let err = sim.block_on(http.send(request("/hang"))).unwrap_err();
    assert_eq!(
        err,
        SimError::Deadlock {
            now: Instant::from_secs(30),
            pending_tasks: 0
        }
    );
    assert!(err.to_string().contains("deadlocked"), "{err}");
}

#[test]
fn deadlock_reports_the_pending_tasks() {
    let sim = SimRuntime::new(8);
    sim.executor().spawn(Box::pin(core::future::pending()));
    let timer = sim.timer_handle();
    let err = sim
        .block_on(async move {
            timer.sleep_until(ms(5)).await;
            core::future::pending::<()>().await;
        })
        .unwrap_err();
    assert_eq!(
        err,
        SimError::Deadlock {
            now: ms(5),
            pending_tasks: 1
        }
    );
}

#[test]
fn livelock_is_reported_instead_of_spinning_forever() {
    let exec = SimExecutor::new(ManualClock::new());
    exec.set_limits(SimLimits::default().with_max_polls_per_instant(1_000));
    let err = exec
        .block_on(poll_fn(|cx| {
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        }))
        .unwrap_err();
    assert_eq!(
        err,
        SimError::Livelock {
            now: Instant::ZERO,
            polls: 1_000
        }
    );
}

#[test]
fn run_for_runs_periodic_work_up_to_the_end_instant() {
    let clock = ManualClock::starting_at(Instant::from_secs(100), UnixTime::from_secs(10));
    let sim = SimRuntime::with_clock(9, clock);
    let ticks: Log<Instant> = new_log();
    let (timer, log) = (sim.timer_handle(), ticks.clone());
    sim.executor().spawn(Box::pin(async move {
        loop {
            timer
                .sleep_until(timer.now() + Duration::from_millis(400))
                .await;
            log.lock().unwrap().push(timer.now());
        }
    }));
    sim.run_for(Duration::from_secs(1)).unwrap();
    assert_eq!(*ticks.lock().unwrap(), [ms(100_400), ms(100_800)]);
    assert_eq!(sim.now(), ms(101_000));
    assert_eq!(sim.clock().unix_time(), UnixTime::from_secs(11));
    sim.run_until(ms(50)).unwrap();
    assert_eq!(sim.now(), ms(101_000), "time never goes backwards");
    assert_eq!(ticks.lock().unwrap().len(), 2);

    sim.executor()
        .set_limits(SimLimits::default().with_horizon(ms(101_500)));
    assert_eq!(
        sim.run_for(Duration::from_secs(1)),
        Err(SimError::HorizonReached {
            horizon: ms(101_500),
            next_deadline: ms(101_600)
        })
    );
    assert_eq!(
        sim.now(),
        ms(101_200),
        "stopped at the last deadline before the horizon"
    );
}

/// (task, when, status or transport error) of one attempt.
type TaskOutcome = (usize, Instant, Result<u16, TransportErrorKind>);

/// A seeded scenario: tasks send requests at random times; a responder injects random
/// faults and delays. Returns the full trace.
fn seeded_scenario(seed: u64) -> (Vec<RecordedRequest>, Vec<TaskOutcome>) {
    let mut sim = SimRuntime::new(seed);
    let mut faults = sim.rng().fork();
    sim.transport().set_responder(move |req, _now| {
        let base = match faults.below(5) {
            0 => ScriptedReply::TransportError(TransportErrorKind::Io),
            1 => ScriptedReply::sls_error(500, "InternalServerError", req.path()),
            2 => ScriptedReply::Hang,
            _ => ScriptedReply::ok(),
        };
        let delay = faults.duration_up_to(Duration::from_secs(2));
        base.delayed(delay)
    });
    let outcomes: Log<TaskOutcome> = new_log();
    for task in 0..8 {
        let start = sim.rng().duration_up_to(Duration::from_secs(5));
        let (timer, http, log) = (sim.timer_handle(), sim.transport_handle(), outcomes.clone());
        sim.executor().spawn(Box::pin(async move {
            timer.sleep_until(Instant::ZERO + start).await;
            for attempt in 0..3 {
                let deadline = timer.now() + Duration::from_secs(1);
                let sent = http.send(request(&format!("/t{task}/a{attempt}")));
                let result = match with_deadline(&*timer, deadline, sent).await {
                    Some(r) => r.map(|r| r.status).map_err(|e| e.kind()),
                    None => Err(TransportErrorKind::Timeout),
                };
                log.lock().unwrap().push((task, timer.now(), result));
            }
        }));
    }
    sim.run_for(Duration::from_secs(60)).unwrap();
    assert_eq!(
        sim.executor().pending_tasks(),
        0,
        "seed {seed}: every task finished"
    );
    let outcomes = outcomes.lock().unwrap().clone();
    (sim.transport().requests(), outcomes)
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    for seed in [0, 1, 42, 0xDEAD_BEEF] {
        let (requests_a, outcomes_a) = seeded_scenario(seed);
        let (requests_b, outcomes_b) = seeded_scenario(seed);
        assert_eq!(requests_a.len(), 24, "seed {seed}");
        assert_eq!(outcomes_a.len(), 24, "seed {seed}");
        assert_eq!(requests_a, requests_b, "seed {seed}");
        assert_eq!(outcomes_a, outcomes_b, "seed {seed}");
    }
    let (a, _) = seeded_scenario(1);
    let (b, _) = seeded_scenario(2);
    assert_ne!(a, b, "different seeds explore different scenarios");
}

#[test]
fn rng_streams_are_reproducible() {
    let draws = |seed| {
        let mut rng = SimRng::new(seed);
        (0..32).map(|_| rng.below(1000)).collect::<Vec<_>>()
    };
    assert_eq!(draws(5), draws(5));
    assert_ne!(draws(5), draws(6));
}
