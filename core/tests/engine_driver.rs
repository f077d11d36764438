//! Driver + `Producer` handle on the deterministic `sim` runtime: real futures, simulated
//! time, scripted HTTP replies.

use std::sync::{Arc, Mutex};

use core::time::Duration;

use async_trait::async_trait;
use sls_producer_core::credentials::{CredentialsError, CredentialsProvider};
use sls_producer_core::producer::Driver;
use sls_producer_core::rt::{BoxFuture, Clock, HttpTransport, Runtime, Spawner, Timer};
use sls_producer_core::rt::{Instant, UnixTime};
use sls_producer_core::sim::{ScriptedReply, SimRuntime};
use sls_producer_core::{
    BlockingError, Credentials, CredentialsSource, DeliveryFailure, DeliveryResult, Log, Producer,
    ProducerConfig, Record, Route, SendError, ShardKey,
};

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn config() -> ProducerConfig {
    ProducerConfig::new("http://127.0.0.1:8080").with_generate_pack_id(false)
}

fn route() -> Route {
    Route::new("proj", "store").unwrap()
}

fn log(i: u32) -> Log {
    Log::new(1_700_000_000).with_content("i", format!("{i:06}"))
}

fn start(sim: &SimRuntime, config: &ProducerConfig) -> Producer {
    start_with(sim, config, Credentials::new("id", "secret"))
}

fn start_with(
    sim: &SimRuntime,
    config: &ProducerConfig,
    credentials: impl Into<CredentialsSource>,
) -> Producer {
    Producer::builder(config.clone())
        .with_credentials(credentials)
        .build_on(sim.runtime())
        .unwrap()
}

/// A producer with static keys and its driver, not spawned.
fn with_driver(sim: &SimRuntime) -> (Producer, Driver) {
    Producer::builder(config())
        .with_credentials(Credentials::new("id", "secret"))
        .build_with_driver(sim.runtime())
        .unwrap()
}

fn sent_at(sim: &SimRuntime) -> Vec<u64> {
    sim.transport()
        .requests()
        .iter()
        .map(|r| r.received_at.as_nanos() / 1_000_000)
        .collect()
}

fn authorization_ids(sim: &SimRuntime) -> Vec<String> {
    sim.transport()
        .requests()
        .iter()
        .map(|r| {
            let auth = r.request.header("authorization").unwrap();
            auth["LOG ".len()..auth.find(':').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn open_batch_is_sent_at_linger_and_the_handle_resolves_with_the_outcome() {
    let sim = SimRuntime::new(1);
    let producer = start(&sim, &config());
    let handle = producer.send_tracked(&route(), log(1)).unwrap();
    let result = sim.block_on(handle).unwrap();
    assert!(result.is_success());
    assert_eq!(sent_at(&sim), [2000]);
    // The attempt finished at 2 s of simulated time.
    assert_eq!(result.attempts[0].timestamp, sim.clock().unix_time());
}

#[test]
fn callback_runs_once_with_the_result_after_retries_on_their_own_schedule() {
    let sim = SimRuntime::new(2);
    sim.transport().push_replies([
        ScriptedReply::sls_error(503, "ServerBusy", "busy"),
        ScriptedReply::sls_error(500, "InternalServerError", "oops"),
        ScriptedReply::ok(),
    ]);
    let producer = start(&sim, &config());
    let seen: Arc<Mutex<Vec<DeliveryResult>>> = Arc::default();
    let sink = seen.clone();
    producer
        .send_tracked(&route(), log(1))
        .unwrap()
        .on_complete(move |r| sink.lock().unwrap().push(r));
    sim.block_on(producer.flush()).unwrap();
    let results = seen.lock().unwrap();
    assert_eq!(results.len(), 1);
    assert!(results[0].is_success());
    assert_eq!(results[0].attempt_count, 3);
    // Flush sends at once; retries 100 ms and 200 ms after each failure.
    assert_eq!(sent_at(&sim), [0, 100, 300]);
}

#[test]
fn flush_waits_for_earlier_sends_only() {
    let sim = SimRuntime::new(3);
    sim.transport()
        .push_reply(ScriptedReply::ok().delayed(Duration::from_millis(50)));
    let producer = start(&sim, &config());
    let first = producer.send_tracked(&route(), log(1)).unwrap();
    let flush = producer.flush();
    let later = producer.send_tracked(&route(), log(2)).unwrap();
    sim.block_on(flush).unwrap();
    assert_eq!(
        sim.now(),
        ms(50),
        "flushed as soon as the first batch is done"
    );
    let mut first = first;
    assert!(first.try_result().unwrap().is_success());
    let mut later = later;
    assert!(later.try_result().is_none(), "the later send lingers on");
}

#[test]
fn close_without_deadline_waits_for_every_outcome_then_the_driver_completes() {
    let sim = SimRuntime::new(4);
    sim.transport().push_replies([
        ScriptedReply::sls_error(503, "ServerBusy", "busy"),
        ScriptedReply::ok(),
    ]);
    let (producer, driver) = with_driver(&sim);
    let done: Arc<Mutex<bool>> = Arc::default();
    let flag = done.clone();
    sim.executor().spawn(Box::pin(async move {
        driver.await;
        *flag.lock().unwrap() = true;
    }));
    producer.send(&route(), vec![log(1), log(2)]).unwrap();
    let report = sim.block_on(producer.close(None)).unwrap();
    assert_eq!(report.delivered_logs, 2);
    assert_eq!(report.failed_logs, 0);
    sim.run_until_stalled().unwrap();
    assert!(*done.lock().unwrap(), "driver completed after close");
    assert!(matches!(
        producer.send(&route(), log(3)),
        Err(SendError::Closed { .. })
    ));
}

#[test]
fn close_deadline_hands_back_what_is_still_in_flight_or_waiting() {
    let sim = SimRuntime::new(5);
    sim.transport().set_default_reply(ScriptedReply::Hang);
    let producer = start(&sim, &config());
    let handle = producer.send_tracked(&route(), log(7)).unwrap();
    let report = sim
        .block_on(producer.close(Some(Duration::from_secs(3))))
        .unwrap();
    assert_eq!(sim.now(), ms(3000));
    assert_eq!(report.closed_logs, 1);
    assert_eq!(report.handed_back_logs, 1);
    let result = sim.block_on(handle).unwrap();
    assert_eq!(
        result.failure,
        Some(DeliveryFailure::Closed { in_flight: true })
    );
    assert_eq!(result.logs(), [log(7)]);
}

#[test]
fn at_most_max_in_flight_requests_reach_the_transport() {
    let sim = SimRuntime::new(6);
    sim.transport()
        .set_default_reply(ScriptedReply::ok().delayed(Duration::from_millis(10)));
    let cfg = config().with_max_in_flight(3).with_max_batch_count(1);
    let producer = start(&sim, &cfg);
    for i in 0..20 {
        producer.send(&route(), log(i)).unwrap();
    }
    let report = sim.block_on(producer.close(None)).unwrap();
    assert_eq!(report.delivered_logs, 20);
    assert_eq!(sim.transport().max_in_flight(), 3);
    assert_eq!(sim.transport().request_count(), 20);
}

#[test]
fn send_async_waits_for_memory_released_by_an_outcome() {
    let sim = SimRuntime::new(7);
    sim.transport()
        .set_default_reply(ScriptedReply::ok().delayed(Duration::from_millis(500)));
    let cfg = config()
        .with_max_batch_bytes(1024)
        .with_memory_budget(4096)
        .with_max_batch_count(1)
        .with_max_block(Duration::from_secs(10));
    let producer = start(&sim, &cfg);
    let big = |i: u32| Log::new(1).with_content("k", format!("{i:0>600}"));
    producer.send(&route(), big(0)).unwrap();
    assert!(matches!(
        producer.send(&route(), big(1)),
        Err(SendError::BufferFull { .. })
    ));
    let ticket = sim
        .block_on(producer.send_async(&route(), big(1)))
        .unwrap()
        .unwrap();
    assert_eq!(
        sim.now(),
        ms(500),
        "accepted when the first batch completed"
    );
    assert_eq!(ticket.get(), 1);
}

#[test]
fn send_async_gives_up_after_max_block_and_hands_the_record_back() {
    let sim = SimRuntime::new(8);
    sim.transport().set_default_reply(ScriptedReply::Hang);
    let cfg = config()
        .with_max_batch_bytes(1024)
        .with_memory_budget(4096)
        .with_max_batch_count(1)
        .with_max_block(Duration::from_secs(2));
    let producer = start(&sim, &cfg);
    let big = |i: u32| Log::new(1).with_content("k", format!("{i:0>600}"));
    producer.send(&route(), big(0)).unwrap();
    let err = sim
        .block_on(producer.send_async(&route(), big(1)))
        .unwrap()
        .unwrap_err();
    assert_eq!(sim.now(), ms(2000));
    assert_eq!(err.into_record().into_logs(), [big(1)]);
}

#[test]
fn max_block_zero_fails_fast() {
    let sim = SimRuntime::new(9);
    let cfg = config()
        .with_max_batch_bytes(1024)
        .with_memory_budget(4096)
        .with_max_block(Duration::ZERO);
    let producer = start(&sim, &cfg);
    let big = Log::new(1).with_content("k", "x".repeat(600));
    producer.send(&route(), big.clone()).unwrap();
    let err = sim
        .block_on(producer.send_async(&route(), big))
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, SendError::BufferFull { .. }));
    assert_eq!(sim.now(), ms(0));
}

#[test]
fn dropping_the_driver_gives_every_pending_send_an_outcome_with_its_logs() {
    let sim = SimRuntime::new(10);
    let (producer, driver) = with_driver(&sim);
    let handle = producer.send_tracked(&route(), log(3)).unwrap();
    drop::<Driver>(driver);
    let result = sim.block_on(handle).unwrap();
    assert_eq!(
        result.failure,
        Some(DeliveryFailure::Closed { in_flight: false })
    );
    assert_eq!(result.logs(), [log(3)]);
    assert!(producer.is_closed());
}

#[test]
fn dropping_every_handle_closes_and_delivers_what_was_sent() {
    let sim = SimRuntime::new(11);
    let (producer, driver) = with_driver(&sim);
    let second = producer.clone();
    producer.send(&route(), log(1)).unwrap();
    drop(producer);
    second.send(&route(), log(2)).unwrap();
    drop(second);
    sim.block_on(driver).unwrap();
    let requests = sim.transport().requests();
    assert_eq!(requests.len(), 1, "one batch, sealed by the implicit close");
    assert_eq!(sim.now(), ms(0), "no linger wait after close");
    assert_eq!(requests[0].logs().unwrap(), [log(1), log(2)]);
}

/// Hands out `id-1`, `id-2`, … and counts fetches; fails while `failing` is set, and hands
/// out credentials with a newline in their token (unusable) while `defective` is. Each
/// fetch starts at the simulated instant it records in `started` and answers `delay` later.
struct CountingProvider {
    fetches: Mutex<u32>,
    failing: Mutex<bool>,
    defective: Mutex<bool>,
    lifetime: Option<Duration>,
    delay: Mutex<Duration>,
    started: Mutex<Vec<Instant>>,
    clock: Arc<dyn Timer>,
}

#[async_trait]
impl CredentialsProvider for CountingProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let n = {
            let mut n = self.fetches.lock().unwrap();
            *n += 1;
            *n
        };
        self.started.lock().unwrap().push(self.clock.now());
        let delay = *self.delay.lock().unwrap();
        if !delay.is_zero() {
            self.clock.sleep_until(self.clock.now() + delay).await;
        }
        if *self.failing.lock().unwrap() {
            return Err(CredentialsError::new("metadata service unavailable"));
        }
        let token = if *self.defective.lock().unwrap() {
            "sts\n"
        } else {
            "sts"
        };
        let mut c = Credentials::new(format!("id-{n}"), "secret").with_security_token(token);
        if let Some(l) = self.lifetime {
            c = c.with_expiration(self.clock.unix_time().saturating_add(l));
        }
        Ok(c)
    }
}

fn provider(sim: &SimRuntime, lifetime: Option<Duration>) -> Arc<CountingProvider> {
    Arc::new(CountingProvider {
        fetches: Mutex::new(0),
        failing: Mutex::new(false),
        defective: Mutex::new(false),
        lifetime,
        delay: Mutex::new(Duration::ZERO),
        started: Mutex::new(Vec::new()),
        clock: sim.timer_handle(),
    })
}

#[test]
fn provider_credentials_are_fetched_once_at_start_and_refreshed_after_a_401() {
    let sim = SimRuntime::new(12);
    sim.transport().push_replies([
        ScriptedReply::ok(),
        ScriptedReply::sls_error(401, "Unauthorized", "expired token"),
        ScriptedReply::ok(),
    ]);
    let p = provider(&sim, None);
    let dyn_p: Arc<dyn CredentialsProvider> = p.clone();
    let producer = start_with(&sim, &config(), dyn_p);
    sim.block_on(producer.send_tracked(&route(), log(1)).unwrap())
        .unwrap();
    let r = sim
        .block_on(producer.send_tracked(&route(), log(2)).unwrap())
        .unwrap();
    assert!(r.is_success());
    assert_eq!(*p.fetches.lock().unwrap(), 2, "start + after the 401");
    assert_eq!(authorization_ids(&sim), ["id-1", "id-1", "id-2"]);
    let token = sim.transport().requests()[2]
        .request
        .header("x-acs-security-token")
        .map(str::to_string);
    assert_eq!(token.as_deref(), Some("sts"));
}

#[test]
fn expiring_credentials_are_refreshed_before_they_expire() {
    let sim = SimRuntime::new(13);
    let p = provider(&sim, Some(Duration::from_secs(3600)));
    let dyn_p: Arc<dyn CredentialsProvider> = p.clone();
    let producer = start_with(&sim, &config(), dyn_p);
    sim.run_for(Duration::from_secs(3400)).unwrap();
    assert_eq!(
        *p.fetches.lock().unwrap(),
        2,
        "refreshed 5 minutes before expiry"
    );
    sim.block_on(producer.send_tracked(&route(), log(1)).unwrap())
        .unwrap();
    assert_eq!(authorization_ids(&sim), ["id-2"]);
}

#[test]
fn failed_credential_fetch_is_retried_and_nothing_is_sent_meanwhile() {
    let sim = SimRuntime::new(14);
    let p = provider(&sim, None);
    *p.failing.lock().unwrap() = true;
    let dyn_p: Arc<dyn CredentialsProvider> = p.clone();
    let producer = start_with(&sim, &config(), dyn_p);
    let handle = producer.send_tracked(&route(), log(1)).unwrap();
    sim.run_for(Duration::from_secs(5)).unwrap();
    assert_eq!(sim.transport().request_count(), 0);
    let failed_fetches = *p.fetches.lock().unwrap();
    assert!(failed_fetches >= 2, "retried: {failed_fetches}");
    *p.failing.lock().unwrap() = false;
    let r = sim.block_on(handle).unwrap();
    assert!(r.is_success());
    assert_eq!(authorization_ids(&sim).len(), 1);
}

#[test]
fn static_credentials_rejected_with_401_are_retried_with_backoff() {
    let sim = SimRuntime::new(15);
    sim.transport().push_replies([
        ScriptedReply::sls_error(401, "Unauthorized", "bad key"),
        ScriptedReply::ok(),
    ]);
    let producer = start(&sim, &config());
    producer.send(&route(), log(1)).unwrap();
    sim.block_on(producer.flush()).unwrap();
    assert_eq!(sent_at(&sim), [0, 100]);
}

#[test]
fn same_seed_and_script_give_the_same_request_log() {
    let run = |seed| {
        let sim = SimRuntime::new(seed);
        sim.transport().push_replies([
            ScriptedReply::sls_error(503, "ServerBusy", "busy"),
            ScriptedReply::TransportError(sls_producer_core::rt::TransportErrorKind::Timeout),
        ]);
        let cfg = config()
            .with_generate_pack_id(true)
            .with_seed(seed)
            .with_jitter(sls_producer_core::engine::backoff::Jitter::Full)
            .with_max_batch_count(2);
        let producer = start(&sim, &cfg);
        for i in 0..5 {
            producer.send(&route(), log(i)).unwrap();
        }
        sim.block_on(producer.close(None)).unwrap();
        sim.transport()
            .requests()
            .into_iter()
            .map(|r| (r.received_at, r.request))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43));
}

#[test]
fn handles_and_futures_are_send_and_sync_on_native_targets() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Producer>();
    send::<Driver>();
    send::<sls_producer_core::producer::SendFuture>();
    send::<sls_producer_core::producer::FlushFuture>();
    send::<sls_producer_core::producer::CloseFuture>();
    send::<sls_producer_core::producer::DeliveryHandle>();
}

#[test]
fn a_callback_may_use_the_producer_without_deadlock_e_g_to_resend_failed_logs() {
    let sim = SimRuntime::new(16);
    sim.transport()
        .push_reply(ScriptedReply::sls_error(400, "PostBodyInvalid", "bad"));
    let producer = start(&sim, &config());
    let again = producer.clone();
    let resent: Arc<Mutex<Option<sls_producer_core::engine::Ticket>>> = Arc::default();
    let slot = resent.clone();
    producer
        .send_tracked(&route(), log(1))
        .unwrap()
        .on_complete(move |r| {
            assert_eq!(
                r.failure,
                Some(DeliveryFailure::NotRetryable { http_status: 400 })
            );
            let ticket = again.send(&route(), r.into_logs()).unwrap();
            *slot.lock().unwrap() = Some(ticket);
        });
    sim.block_on(producer.flush()).unwrap();
    assert!(resent.lock().unwrap().is_some());
    let report = sim.block_on(producer.close(None)).unwrap();
    assert_eq!((report.delivered_logs, report.failed_logs), (1, 1));
    assert_eq!(sim.transport().request_count(), 2);
}

#[test]
fn a_shard_key_buckets_the_hash_or_sends_it_verbatim() {
    let r = route().with_shard_key(ShardKey::from_hash("127.0.0.1"));
    assert_eq!(r.shard_key(), Some("f4000000000000000000000000000000"));
    let key = "0123456789abcdef0123456789abcdef";
    let exact = route().with_shard_key(ShardKey::exact(key));
    assert_eq!(exact.shard_key(), Some(key));
    assert_eq!(
        route().with_shard_key(ShardKey::exact("")).shard_key(),
        None
    );
    // The key reaches the request.
    let sim = SimRuntime::new(17);
    let producer = start(&sim, &config());
    sim.block_on(producer.send_tracked(&exact, log(1)).unwrap())
        .unwrap();
    let path = sim.transport().requests()[0].request.path_and_query.clone();
    assert!(path.contains(&format!("?key={key}")), "{path}");
}

#[test]
fn failing_refresh_after_a_401_backs_off_instead_of_spinning() {
    let sim = SimRuntime::new(18);
    sim.transport()
        .set_default_reply(ScriptedReply::sls_error(401, "Unauthorized", "expired"));
    let p = provider(&sim, None);
    let dyn_p: Arc<dyn CredentialsProvider> = p.clone();
    let producer = start_with(&sim, &config().with_max_retries(3), dyn_p);
    sim.run_until_stalled().unwrap();
    assert_eq!(*p.fetches.lock().unwrap(), 1);
    *p.failing.lock().unwrap() = true;
    let handle = producer.send_tracked(&route(), log(1)).unwrap();
    let _started = producer.flush();
    sim.run_for(Duration::from_secs(10)).unwrap();
    let fetches = *p.fetches.lock().unwrap();
    assert!(
        (2..=12).contains(&fetches),
        "one fetch per cool-down (>= 1 s), not a busy loop: {fetches}"
    );
    assert_eq!(
        sim.transport().request_count(),
        1,
        "retry waits for fresh credentials"
    );
    *p.failing.lock().unwrap() = false;
    let result = sim.block_on(handle).unwrap();
    assert_eq!(result.failure, Some(DeliveryFailure::RetriesExhausted));
    assert_eq!(result.attempt_count, 4);
}

fn secs(n: u64) -> Instant {
    Instant::from_secs(n)
}

#[test]
fn a_provider_is_asked_at_start_before_expiry_and_after_a_401_on_the_engine_s_schedule() {
    let sim = SimRuntime::new(19);
    sim.transport().push_replies([
        ScriptedReply::sls_error(401, "Unauthorized", "token revoked"),
        ScriptedReply::ok(),
    ]);
    // Credentials valid for an hour: refreshed 5 minutes before they expire.
    let p = provider(&sim, Some(Duration::from_secs(3600)));
    let dyn_p: Arc<dyn CredentialsProvider> = p.clone();
    let producer = start_with(&sim, &config(), dyn_p);
    sim.run_until(secs(3400)).unwrap();
    assert_eq!(*p.started.lock().unwrap(), [secs(0), secs(3300)]);

    // From now on the provider takes 2 s to answer.
    *p.delay.lock().unwrap() = Duration::from_secs(2);
    sim.run_until(secs(4000)).unwrap();
    let handle = producer.send_tracked(&route(), log(1)).unwrap();
    let _flushing = producer.flush();
    let result = sim.block_on(handle).unwrap();
    assert!(result.is_success());
    // The 401 asks at once; the retry waits for the answer (at 4002 s), not only for its
    // 100 ms backoff.
    assert_eq!(
        *p.started.lock().unwrap(),
        [secs(0), secs(3300), secs(4000)]
    );
    assert_eq!(sent_at(&sim), [4_000_000, 4_002_000]);
    assert_eq!(authorization_ids(&sim), ["id-2", "id-3"]);

    // id-3 arrived at 4002 s and expires an hour later: refreshed at 4002 + 3300 s.
    sim.run_until(secs(7400)).unwrap();
    assert_eq!(
        *p.started.lock().unwrap(),
        [secs(0), secs(3300), secs(4000), secs(7302)]
    );
    assert_eq!(*p.fetches.lock().unwrap(), 4);
}

#[test]
fn a_failing_provider_is_asked_again_after_the_backoff() {
    let sim = SimRuntime::new(20);
    let p = provider(&sim, None);
    *p.failing.lock().unwrap() = true;
    let dyn_p: Arc<dyn CredentialsProvider> = p.clone();
    // Backoff 2 s doubling to 10 s: failed fetches are retried 2, 4, 8, then 10 s apart.
    let cfg = config().with_retry_backoff(Duration::from_secs(2), Duration::from_secs(10));
    let producer = start_with(&sim, &cfg, dyn_p);
    let handle = producer.send_tracked(&route(), log(1)).unwrap();
    sim.run_until(secs(10)).unwrap();
    assert_eq!(*p.started.lock().unwrap(), [secs(0), secs(2), secs(6)]);
    assert_eq!(sim.transport().request_count(), 0, "no credentials yet");
    *p.failing.lock().unwrap() = false;
    let result = sim.block_on(handle).unwrap();
    assert!(result.is_success());
    assert_eq!(
        *p.started.lock().unwrap(),
        [secs(0), secs(2), secs(6), secs(14)]
    );
    assert_eq!(sent_at(&sim), [14_000], "sent as soon as credentials came");
    assert_eq!(authorization_ids(&sim), ["id-4"]);
    // Credentials without expiry are not asked for again.
    sim.run_until(secs(1000)).unwrap();
    assert_eq!(*p.fetches.lock().unwrap(), 4);
}

#[test]
fn unusable_credentials_from_a_provider_sign_nothing_and_are_fetched_again() {
    let sim = SimRuntime::new(21);
    let p = provider(&sim, None);
    *p.defective.lock().unwrap() = true;
    let dyn_p: Arc<dyn CredentialsProvider> = p.clone();
    let cfg = config().with_retry_backoff(Duration::from_secs(2), Duration::from_secs(10));
    let producer = start_with(&sim, &cfg, dyn_p);
    let handle = producer.send_tracked(&route(), log(1)).unwrap();
    sim.run_until(secs(10)).unwrap();
    assert_eq!(
        *p.started.lock().unwrap(),
        [secs(0), secs(2), secs(6)],
        "each answer is a failed fetch, retried on the backoff"
    );
    assert_eq!(
        sim.transport().request_count(),
        0,
        "nothing signed with them"
    );
    *p.defective.lock().unwrap() = false;
    let result = sim.block_on(handle).unwrap();
    assert!(result.is_success());
    assert_eq!(authorization_ids(&sim), ["id-4"]);
}

#[test]
fn on_complete_after_the_outcome_runs_the_callback_at_once() {
    let sim = SimRuntime::new(21);
    let producer = start(&sim, &config());
    let handle = producer.send_tracked(&route(), log(1)).unwrap();
    sim.block_on(producer.flush()).unwrap();
    let seen: Arc<Mutex<Vec<(std::thread::ThreadId, DeliveryResult)>>> = Arc::default();
    let sink = seen.clone();
    handle.on_complete(move |r| {
        sink.lock().unwrap().push((std::thread::current().id(), r));
    });
    // No simulation step in between: the callback ran inside `on_complete`, on this thread.
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, std::thread::current().id());
    assert!(seen[0].1.is_success());
    assert_eq!(sim.transport().request_count(), 1);
}

/// The sim runtime, except that it lets blocking calls through (`may_block`), so that
/// only the producer's own guard against blocking inside its driver is left.
struct MayBlock<R>(R);

impl<R: Runtime> Clock for MayBlock<R> {
    fn now(&self) -> Instant {
        self.0.now()
    }

    fn unix_time(&self) -> UnixTime {
        self.0.unix_time()
    }
}

#[async_trait]
impl<R: Runtime> Timer for MayBlock<R> {
    async fn sleep_until(&self, deadline: Instant) {
        self.0.sleep_until(deadline).await;
    }
}

impl<R: Runtime> Spawner for MayBlock<R> {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.0.spawn(task);
    }
}

impl<R: Runtime> Runtime for MayBlock<R> {
    fn default_transport(&self, config: &ProducerConfig) -> Option<Arc<dyn HttpTransport>> {
        self.0.default_transport(config)
    }

    fn compress_helpers(&self) -> usize {
        self.0.compress_helpers()
    }

    fn may_block(&self) -> bool {
        true
    }
}

#[test]
fn blocking_calls_from_a_delivery_callback_are_refused_as_inside_the_driver() {
    let sim = SimRuntime::new(22);
    let producer = Producer::builder(config())
        .with_credentials(Credentials::new("id", "secret"))
        .build_on(MayBlock(sim.runtime()))
        .unwrap();
    type Seen = (
        Result<(), BlockingError>,
        Result<(), SendError>,
        Result<(), BlockingError>,
    );
    let seen: Arc<Mutex<Option<Seen>>> = Arc::default();
    let (slot, inner) = (seen.clone(), producer.clone());
    producer
        .send_tracked(&route(), log(1))
        .unwrap()
        .on_complete(move |r| {
            assert!(r.is_success());
            let flush = inner.flush_blocking();
            let send = inner.send_blocking(&route(), log(2)).map(drop);
            let close = inner.close_blocking(None).map(drop);
            *slot.lock().unwrap() = Some((flush, send, close));
        });
    sim.block_on(producer.flush()).unwrap();
    let (flush, send, close) = seen.lock().unwrap().take().expect("the callback ran");
    assert_eq!(flush, Err(BlockingError::InsideDriver));
    assert_eq!(
        send,
        Err(SendError::CannotBlock {
            record: Record::Log(log(2)),
            reason: BlockingError::InsideDriver
        })
    );
    assert_eq!(close, Err(BlockingError::InsideDriver));
    assert!(!producer.is_closed(), "the refused close closed nothing");
    assert_eq!(
        producer.metrics().accepted_logs,
        1,
        "the refused send sent nothing"
    );
    // Outside the driver this runtime lets a blocking call through (nothing is pending,
    // so it returns at once).
    assert_eq!(producer.flush_blocking(), Ok(()));
}
