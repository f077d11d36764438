//! `SmolRuntime`: its clock and timer on the OS clock and async-io, its spawner on smol's
//! global executor or one of your own, and its runtime policies.

use core::time::Duration;
use std::sync::Arc;

use sls_producer_smol::SmolRuntime;
use sls_producer_smol::core::rt::{Clock, Runtime, Spawner, Timer};
use sls_producer_smol::core::rt::{Instant, UnixTime};

#[test]
fn now_is_monotonic_and_starts_at_the_origin() {
    let rt = SmolRuntime::new();
    let first = rt.now();
    let second = rt.now();
    assert!(first <= second);
    assert!(rt.clone().now() >= second, "clones share the origin");
}

#[test]
fn sleep_until_completes_no_earlier_than_its_deadline() {
    let rt = SmolRuntime::new();
    let deadline = rt.now() + Duration::from_millis(20);
    smol::block_on(rt.sleep_until(deadline));
    assert!(rt.now() >= deadline, "{:?} < {deadline:?}", rt.now());
}

#[test]
fn a_past_deadline_is_ready_on_first_poll() {
    let rt = SmolRuntime::new();
    let ready = smol::block_on(smol::future::poll_once(rt.sleep_until(Instant::ZERO)));
    assert_eq!(ready, Some(()));
}

#[test]
fn far_future_deadlines_never_fire_and_do_not_panic() {
    let rt = SmolRuntime::new();
    for deadline in [Instant::MAX, Instant::from_secs(100 * 365 * 24 * 3600)] {
        let first = smol::block_on(smol::future::or(
            async {
                rt.sleep_until(deadline).await;
                "sleep"
            },
            async {
                smol::Timer::after(Duration::from_millis(10)).await;
                "timeout"
            },
        ));
        assert_eq!(first, "timeout", "{deadline:?} fired");
    }
}

#[test]
fn unix_time_is_the_wall_clock() {
    // 2024-01-01T00:00:00Z: any correct wall clock is past it.
    assert!(SmolRuntime::new().unix_time() > UnixTime::from_secs(1_704_067_200));
}

#[test]
fn the_global_executor_runs_tasks_without_being_driven() {
    let (tx, rx) = std::sync::mpsc::channel();
    SmolRuntime::new().spawn(Box::pin(async move {
        tx.send(42).unwrap();
    }));
    // Nothing here drives an executor: smol's global executor has its own threads.
    assert_eq!(rx.recv(), Ok(42));
}

#[test]
fn an_own_executor_runs_tasks_while_it_is_driven() {
    let executor = Arc::new(smol::Executor::new());
    let rt = SmolRuntime::with_executor(executor.clone());
    let (tx, rx) = smol::channel::bounded(1);
    rt.spawn(Box::pin(async move {
        tx.send(7).await.unwrap();
    }));
    assert_eq!(smol::block_on(executor.run(rx.recv())), Ok(7));
}

#[test]
fn policies_blocking_helpers_and_the_default_transport() {
    let rt = SmolRuntime::default();
    assert!(
        rt.may_block(),
        "smol leaves blocking to the core's driver check"
    );
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(rt.compress_helpers(), (threads - 1).min(3));
    let config = sls_producer_smol::ProducerConfig::new("http://127.0.0.1:1");
    let transport = rt.default_transport(&config).expect("a transport");
    assert!(transport.can_set_date_header());
}
