//! `TokioTimer` on tokio's paused clock, and `TokioSpawner` from outside the runtime.

use core::time::Duration;

use sls_producer_core::protocol::time::{Instant, UnixTime};
use sls_producer_core::rt::{Clock, Spawner, Task, Timer};
use sls_producer_tokio::{TokioSpawner, TokioTimer};

#[tokio::test(start_paused = true)]
async fn now_follows_tokio_time_advance() {
    let timer = TokioTimer::new();
    assert_eq!(timer.now(), Instant::ZERO);

    tokio::time::advance(Duration::from_secs(90)).await;
    assert_eq!(timer.now(), Instant::from_secs(90));

    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(timer.now(), Instant::from_millis(90_001));
    assert_eq!(timer.clone().now(), timer.now(), "clones share the origin");
}

#[tokio::test(start_paused = true)]
async fn sleep_until_fires_at_the_deadline_of_tokio_clock() {
    let timer = TokioTimer::new();
    let deadline = timer.now() + Duration::from_secs(5);
    let sleep = tokio::spawn(timer.sleep_until(deadline));

    tokio::time::advance(Duration::from_millis(4_999)).await;
    tokio::task::yield_now().await;
    assert!(!sleep.is_finished(), "fired early at {:?}", timer.now());

    // Nothing else to do: the paused clock auto-advances to the sleep's deadline.
    sleep.await.unwrap();
    assert_eq!(timer.now(), deadline);
}

#[tokio::test(start_paused = true)]
async fn a_past_deadline_completes_without_waiting() {
    let timer = TokioTimer::new();
    tokio::time::advance(Duration::from_secs(3)).await;

    timer.sleep_until(Instant::from_secs(1)).await;

    assert_eq!(timer.now(), Instant::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn far_future_deadlines_never_fire_and_do_not_panic() {
    let timer = TokioTimer::new();
    for deadline in [Instant::MAX, Instant::from_secs(100 * 365 * 24 * 3600)] {
        let waited = tokio::time::timeout(Duration::from_secs(3600), timer.sleep_until(deadline));
        assert!(waited.await.is_err(), "{deadline:?} fired");
    }
}

#[test]
fn sleep_until_may_be_called_outside_a_runtime() {
    let timer = TokioTimer::new();
    let sleep = timer.sleep_until(Instant::from_millis(1));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(sleep);
}

#[test]
fn unix_time_is_the_wall_clock() {
    // 2024-01-01T00:00:00Z: any correct wall clock is past it.
    assert!(TokioTimer::new().unix_time() > UnixTime::from_secs(1_704_067_200));
}

#[test]
fn spawner_runs_tasks_submitted_from_a_thread_outside_the_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let spawner = TokioSpawner::new(runtime.handle().clone());
    let (tx, rx) = std::sync::mpsc::channel();

    std::thread::spawn(move || {
        assert!(tokio::runtime::Handle::try_current().is_err());
        spawner.spawn(Task::new(async move {
            tx.send(tokio::runtime::Handle::try_current().is_ok())
                .unwrap();
        }));
    })
    .join()
    .unwrap();

    assert_eq!(rx.recv(), Ok(true), "the task ran on the runtime");
}

#[test]
fn try_current_needs_a_runtime_context() {
    assert!(TokioSpawner::try_current().is_err());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    assert!(TokioSpawner::try_current().is_ok());
}
