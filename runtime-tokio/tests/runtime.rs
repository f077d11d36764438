//! `TokioRuntime`: its clock and timer on tokio's (paused) clock, its spawner from outside
//! the runtime, and its runtime policies.

use core::time::Duration;

use sls_producer_tokio::core::rt::{Clock, Runtime, Spawner, Timer};
use sls_producer_tokio::core::rt::{Instant, UnixTime};
use sls_producer_tokio::{BuildError, TokioRuntime};

fn current() -> TokioRuntime {
    TokioRuntime::current().expect("inside a runtime")
}

/// A multi-thread runtime with one worker and every driver on.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn now_follows_tokio_time_advance() {
    let rt = current();
    assert_eq!(rt.now(), Instant::ZERO);

    tokio::time::advance(Duration::from_secs(90)).await;
    assert_eq!(rt.now(), Instant::from_secs(90));

    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(rt.now(), Instant::from_millis(90_001));
    assert_eq!(rt.clone().now(), rt.now(), "clones share the origin");
}

#[tokio::test(start_paused = true)]
async fn sleep_until_fires_at_the_deadline_of_tokio_clock() {
    let rt = current();
    let deadline = rt.now() + Duration::from_secs(5);
    let sleeper = rt.clone();
    let sleep = tokio::spawn(async move { sleeper.sleep_until(deadline).await });

    tokio::time::advance(Duration::from_millis(4_999)).await;
    tokio::task::yield_now().await;
    assert!(!sleep.is_finished(), "fired early at {:?}", rt.now());

    // Nothing else to do: the paused clock auto-advances to the sleep's deadline.
    sleep.await.unwrap();
    assert_eq!(rt.now(), deadline);
}

#[tokio::test(start_paused = true)]
async fn a_past_deadline_completes_without_waiting() {
    let rt = current();
    tokio::time::advance(Duration::from_secs(3)).await;

    rt.sleep_until(Instant::from_secs(1)).await;

    assert_eq!(rt.now(), Instant::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn far_future_deadlines_never_fire_and_do_not_panic() {
    let rt = current();
    for deadline in [Instant::MAX, Instant::from_secs(100 * 365 * 24 * 3600)] {
        let waited = tokio::time::timeout(Duration::from_secs(3600), rt.sleep_until(deadline));
        assert!(waited.await.is_err(), "{deadline:?} fired");
    }
}

#[test]
fn sleep_until_may_be_called_and_awaited_outside_the_runtime() {
    let runtime = runtime();
    let rt = TokioRuntime::new(runtime.handle().clone());
    // Made outside, awaited inside.
    let sleep = rt.sleep_until(Instant::from_millis(1));
    runtime.block_on(sleep);
    // Made and awaited on a plain thread, while the runtime's workers run its timers
    // (what `send_blocking` does while it waits for room).
    let deadline = rt.now() + Duration::from_millis(20);
    block_on_plain_thread(rt.sleep_until(deadline));
    assert!(rt.now() >= deadline, "{:?} < {deadline:?}", rt.now());
}

/// Poll `future` on this thread, parking between wake-ups (no runtime context).
fn block_on_plain_thread<F: Future>(future: F) -> F::Output {
    use core::pin::pin;
    use core::task::{Context, Poll, Waker};
    use std::sync::Arc;
    use std::task::Wake;

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    assert!(tokio::runtime::Handle::try_current().is_err());
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

#[test]
fn unix_time_is_the_wall_clock() {
    let runtime = runtime();
    // 2024-01-01T00:00:00Z: any correct wall clock is past it.
    let rt = TokioRuntime::new(runtime.handle().clone());
    assert!(rt.unix_time() > UnixTime::from_secs(1_704_067_200));
}

#[test]
fn spawn_runs_tasks_submitted_from_a_thread_outside_the_runtime() {
    let runtime = runtime();
    let rt = TokioRuntime::new(runtime.handle().clone());
    let (tx, rx) = std::sync::mpsc::channel();

    std::thread::spawn(move || {
        assert!(tokio::runtime::Handle::try_current().is_err());
        rt.spawn(Box::pin(async move {
            tx.send(tokio::runtime::Handle::try_current().is_ok())
                .unwrap();
        }));
    })
    .join()
    .unwrap();

    assert_eq!(rx.recv(), Ok(true), "the task ran on the runtime");
}

#[test]
fn current_needs_a_runtime_context() {
    assert!(matches!(
        TokioRuntime::current(),
        Err(BuildError::NoRuntime { runtime: "tokio" })
    ));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    assert!(TokioRuntime::current().is_ok());
}

#[test]
fn blocking_is_allowed_on_plain_threads_only() {
    let runtime = runtime();
    let rt = TokioRuntime::new(runtime.handle().clone());
    assert!(rt.may_block(), "a plain thread may block");
    let inside = runtime.block_on(async { TokioRuntime::current().unwrap().may_block() });
    assert!(!inside, "a runtime thread may not");
    let helper = runtime
        .block_on(runtime.spawn_blocking(move || rt.may_block()))
        .unwrap();
    assert!(!helper, "nor may a spawn_blocking thread");
}

#[test]
fn compress_helpers_are_the_spare_threads_within_a_cap() {
    let runtime = runtime();
    let rt = TokioRuntime::new(runtime.handle().clone());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(rt.compress_helpers(), (threads - 1).min(3));
}

#[test]
fn the_default_transport_is_made_from_the_producer_config() {
    let runtime = runtime();
    let rt = TokioRuntime::new(runtime.handle().clone());
    let config = sls_producer_tokio::ProducerConfig::new("http://127.0.0.1:1");
    let transport = rt.default_transport(&config).expect("a transport");
    assert!(transport.can_set_date_header());
}
