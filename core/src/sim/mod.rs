//! Deterministic simulation runtime (feature `sim`).
//!
//! Run the producer — or any code written against the [`rt`](crate::rt) traits — on
//! simulated time, with scripted HTTP replies, in a single thread and without real
//! waiting. The same seed and script always give the same run, byte for byte.
//!
//! ```text
//!  SimExecutor ── polls tasks FIFO until stalled ──► stalled? ──► ManualClock jumps to
//!      ▲                                                          the next timer deadline
//!      └──────────────── wakes the tasks due then ◄────────────────────────┘
//!  ScriptedTransport: send(request) ─► record (request, now) ─► reply from the script /
//!                                       responder / default, after a delay on the clock
//! ```
//!
//! | Type | Role |
//! |---|---|
//! | [`ManualClock`] | [`Clock`](crate::rt::Clock) + [`Timer`](crate::rt::Timer): `now`, a fixed wall-clock epoch, a timer queue ordered by `(deadline, sequence)` |
//! | [`SimExecutor`] | [`Spawner`](crate::rt::Spawner) + the simulation loop: [`block_on`](SimExecutor::block_on), [`run_until_stalled`](SimExecutor::run_until_stalled), [`run_for`](SimExecutor::run_for) |
//! | [`ScriptedTransport`] | [`HttpTransport`](crate::rt::HttpTransport): answers from [`ScriptedReply`]s, records [`RecordedRequest`]s |
//! | [`SimRng`] | seeded PRNG for generating scenarios |
//! | [`SimRuntime`] | all of the above for one seed |
//!
//! Time moves only when every task waits, and then straight to the next deadline, so a
//! scenario spanning hours of retries runs in microseconds. A run that can never finish
//! ends in a [`SimError`] instead of hanging: [`Deadlock`](SimError::Deadlock) when
//! nothing can wake the awaited future, [`Livelock`](SimError::Livelock) when tasks spin
//! without time moving, [`HorizonReached`](SimError::HorizonReached) past a time limit.
//!
//! Everything here is `no_std` + `alloc` and single-threaded. Shared state sits behind a
//! spin lock only because the runtime traits require `Send + Sync` handles on native
//! targets; the lock is never contended (see the notes in the `lock` module's source).
//!
//! # Example
//!
//! A request that gets a `503` after 200 ms, then a retry one second later that
//! succeeds — two seconds of simulated time, no real waiting:
//!
//! ```
//! use core::time::Duration;
//! use sls_producer_core::protocol::http::{Bytes, HttpRequest, Method, Scheme};
//! use sls_producer_core::rt::{Clock, Timer};
//! use sls_producer_core::sim::{ScriptedReply, SimRuntime};
//! use sls_producer_core::protocol::time::Instant;
//!
//! let sim = SimRuntime::new(7);
//! sim.transport().push_replies([
//!     ScriptedReply::Status(503).delayed(Duration::from_millis(200)),
//!     ScriptedReply::ok(),
//! ]);
//!
//! let (timer, http) = (sim.timer_handle(), sim.transport_handle());
//! let request = HttpRequest {
//!     method: Method::Post,
//!     scheme: Scheme::Https,
//!     authority: "demo.cn-hangzhou.log.aliyuncs.com".into(),
//!     path_and_query: "/logstores/app/shards/lb".into(),
//!     headers: Vec::new(),
//!     body: Bytes::from_static(b"..."),
//! };
//! let statuses = sim
//!     .block_on(async move {
//!         let first = http.send(request.clone()).await.unwrap().status;
//!         timer.sleep_until(timer.now() + Duration::from_secs(1)).await;
//!         let second = http.send(request).await.unwrap().status;
//!         (first, second)
//!     })
//!     .expect("the scenario finishes");
//!
//! assert_eq!(statuses, (503, 200));
//! let sent_at: Vec<Instant> = sim.transport().requests().iter().map(|r| r.received_at).collect();
//! assert_eq!(sent_at, [Instant::ZERO, Instant::from_millis(1_200)]);
//! assert_eq!(sim.now(), Instant::from_millis(1_200));
//! ```

// On `wasm32-unknown-unknown` futures and closures are not `Send` (single thread, JS
// promises), so the shared handles hold `!Send` values in an `Arc` on purpose.
#![cfg_attr(wasm_browser, allow(clippy::arc_with_non_send_sync))]

mod clock;
mod executor;
mod lock;
mod rng;
mod runtime;
mod transport;
#[cfg(feature = "__bench")]
mod workload;

pub use clock::ManualClock;
pub use executor::{ExecutorStats, SimError, SimExecutor, SimLimits};
pub use rng::SimRng;
pub use runtime::SimRuntime;
pub use transport::{RecordedRequest, ScriptedReply, ScriptedTransport};
/// The Go producer benchmark's logs, for this crate's benches and the tests crate's
/// `throughput` binary (feature `__bench`; not part of the public API).
#[cfg(feature = "__bench")]
#[doc(hidden)]
pub use workload::BenchWorkload;
