//! `SmolTimer` and `SmolSpawner` on smol.

use core::time::Duration;
use std::sync::Arc;

use sls_producer_core::protocol::time::{Instant, UnixTime};
use sls_producer_core::rt::{Clock, Spawner, Task, Timer};
use sls_producer_smol::{SmolSpawner, SmolTimer};

#[test]
fn now_is_monotonic_and_starts_at_the_origin() {
    let timer = SmolTimer::new();
    let first = timer.now();
    let second = timer.now();
    assert!(first <= second);
    assert!(timer.clone().now() >= second, "clones share the origin");
}

#[test]
fn sleep_until_completes_no_earlier_than_its_deadline() {
    let timer = SmolTimer::new();
    let deadline = timer.now() + Duration::from_millis(20);
    smol::block_on(timer.sleep_until(deadline));
    assert!(timer.now() >= deadline, "{:?} < {deadline:?}", timer.now());
}

#[test]
fn a_past_deadline_is_ready_on_first_poll() {
    let timer = SmolTimer::new();
    let ready = smol::block_on(smol::future::poll_once(timer.sleep_until(Instant::ZERO)));
    assert_eq!(ready, Some(()));
}

#[test]
fn far_future_deadlines_never_fire_and_do_not_panic() {
    let timer = SmolTimer::new();
    for deadline in [Instant::MAX, Instant::from_secs(100 * 365 * 24 * 3600)] {
        let first = smol::block_on(smol::future::or(
            async {
                timer.sleep_until(deadline).await;
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
    assert!(SmolTimer::new().unix_time() > UnixTime::from_secs(1_704_067_200));
}

#[test]
fn global_spawner_runs_tasks_without_being_driven() {
    let (tx, rx) = std::sync::mpsc::channel();
    SmolSpawner::global().spawn(Task::new(async move {
        tx.send(42).unwrap();
    }));
    // Nothing here drives an executor: smol's global executor has its own threads.
    assert_eq!(rx.recv(), Ok(42));
}

#[test]
fn executor_spawner_runs_tasks_while_the_executor_is_driven() {
    let executor = Arc::new(smol::Executor::new());
    let spawner = SmolSpawner::new(executor.clone());
    let (tx, rx) = smol::channel::bounded(1);
    spawner.spawn(Task::new(async move {
        tx.send(7).await.unwrap();
    }));
    assert_eq!(smol::block_on(executor.run(rx.recv())), Ok(7));
}
