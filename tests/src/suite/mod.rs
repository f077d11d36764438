//! The integration suite every native runtime adapter runs against the local server.
//!
//! ```text
//!  tests/tests/runtime_tokio.rs ─┐                    ┌─► throughput   1,000,000 logs, counted exactly
//!  tests/tests/runtime_smol.rs  ─┼─ runtime_suite!() ─┼─► faults       5xx, 429, drops, slow: nothing lost
//!  (impl RuntimeUnderTest)      ─┘                    ├─► outage       close(deadline) hands every log back
//!                                                     ├─► limits       bad logs refused at send, too-large answers final
//!                                                     ├─► rotation     credentials refreshed before expiry / after 401
//!                                                     ├─► projects     per-project endpoints and keys, the rest on the default
//!                                                     ├─► clock_skew   a server whose clock is an hour off: offset learned, all delivered
//!                                                     ├─► concurrency  senders on threads and tasks, blocking methods, send_blocking
//!                                                     └─► tracking     web tracking: anonymous JSON posts, both styles
//! ```
//!
//! The suite is written once, as functions generic over [`RuntimeUnderTest`]: what a test
//! needs from a runtime and its adapter: build a producer on the adapter's runtime, run a
//! future, spawn, sleep. The producer is the core's on every runtime, blocking methods
//! included. An adapter's test
//! file implements the trait and expands [`runtime_suite!`](crate::runtime_suite), which
//! makes one `#[test]` per case. Every case starts its own server
//! ([`LocalSls::start_background`](crate::server::LocalSlsBuilder::start_background), so
//! the server never shares the runtime under test) and its own runtime.
//!
//! Waiting is bounded only by generous hang guards (tens of seconds), never asserted:
//! a case fails on a hang, not on a slow machine.

mod clock_skew;
mod concurrency;
mod faults;
mod limits;
mod outage;
mod projects;
mod rotation;
mod spool_outage;
mod support;
mod throughput;
mod tracking;

use core::future::Future;
use core::pin::Pin;
use core::time::Duration;

use sls_producer_core::{CredentialsSource, Producer, ProducerBuilder, ProducerConfig};
use sls_producer_tokio::spool::SpoolConfig;

pub use clock_skew::skewed_server_clock_is_learned_once;
pub use concurrency::{
    blocking_facade_on_plain_threads, concurrent_senders_on_threads_and_tasks,
    send_blocking_waits_for_room_up_to_max_block,
};
pub use faults::{exhausted_retries_hand_every_log_back, server_faults_lose_nothing};
pub use limits::{a_batch_at_the_size_limit_is_accepted, limits_are_enforced_at_the_edge};
pub use outage::{
    close_deadline_with_requests_in_flight_blocking, close_deadline_with_server_down,
};
pub use projects::projects_go_to_their_own_servers_with_their_own_keys;
pub use rotation::credentials_rotate_mid_run;
pub use spool_outage::an_outage_of_five_budgets_is_accepted_and_delivered_once;
pub use throughput::million_logs_counted_exactly;
pub use tracking::web_tracking_delivers_anonymously;

/// A boxed `Send` future, as runtimes hand them out.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A runtime adapter under test: how the suite builds producers and runs futures on it.
pub trait RuntimeUnderTest: Send + Sync + 'static {
    /// A short name for messages and figures (`"tokio"`, `"smol"`).
    fn name(&self) -> &'static str;

    /// A producer for `config`, built with the core's builder on this runtime (the
    /// adapter's `Runtime` value), its driver running here.
    fn build(&self, config: ProducerConfig, credentials: CredentialsSource) -> Producer {
        self.build_from(Producer::builder(config).with_credentials(credentials))
    }

    /// The producer `builder` makes on this runtime, its driver running here.
    fn build_from(&self, builder: ProducerBuilder) -> Producer;

    /// `builder` with the adapter's disk spool `spool` (its `with_spool`, on the runtime's
    /// blocking pool).
    fn with_spool(&self, builder: ProducerBuilder, spool: SpoolConfig) -> ProducerBuilder;

    /// Run `future` to completion on the calling thread, inside the runtime (tasks it
    /// spawns run on the runtime's worker threads).
    fn block_on<F: Future>(&self, future: F) -> F::Output;

    /// Run `future` as a task on the runtime's worker threads; the returned future
    /// resolves to its output.
    fn spawn<F>(&self, future: F) -> BoxFuture<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// A future that completes after `duration` on the runtime's timer.
    fn sleep(&self, duration: Duration) -> BoxFuture<()>;
}

/// One `#[test]` per suite case for the runtime made by `$make` (an expression evaluated
/// once per case).
///
/// ```ignore
/// sls_producer_tests::runtime_suite!(Tokio::new());
/// ```
#[macro_export]
macro_rules! runtime_suite {
    ($make:expr) => {
        #[test]
        fn million_logs_counted_exactly() {
            $crate::suite::million_logs_counted_exactly(&$make);
        }

        #[test]
        fn server_faults_lose_nothing() {
            $crate::suite::server_faults_lose_nothing(&$make);
        }

        #[test]
        fn exhausted_retries_hand_every_log_back() {
            $crate::suite::exhausted_retries_hand_every_log_back(&$make);
        }

        #[test]
        fn limits_are_enforced_at_the_edge() {
            $crate::suite::limits_are_enforced_at_the_edge(&$make);
        }

        #[test]
        fn a_batch_at_the_size_limit_is_accepted() {
            $crate::suite::a_batch_at_the_size_limit_is_accepted(&$make);
        }

        #[test]
        fn close_deadline_with_server_down() {
            $crate::suite::close_deadline_with_server_down(&$make);
        }

        #[test]
        fn close_deadline_with_requests_in_flight_blocking() {
            $crate::suite::close_deadline_with_requests_in_flight_blocking(&$make);
        }

        #[test]
        fn credentials_rotate_mid_run() {
            $crate::suite::credentials_rotate_mid_run(&$make);
        }

        #[test]
        fn projects_go_to_their_own_servers_with_their_own_keys() {
            $crate::suite::projects_go_to_their_own_servers_with_their_own_keys(&$make);
        }

        #[test]
        fn skewed_server_clock_is_learned_once() {
            $crate::suite::skewed_server_clock_is_learned_once(&$make);
        }

        #[test]
        fn concurrent_senders_on_threads_and_tasks() {
            $crate::suite::concurrent_senders_on_threads_and_tasks(&$make);
        }

        #[test]
        fn blocking_facade_on_plain_threads() {
            $crate::suite::blocking_facade_on_plain_threads(&$make);
        }

        #[test]
        fn send_blocking_waits_for_room_up_to_max_block() {
            $crate::suite::send_blocking_waits_for_room_up_to_max_block(&$make);
        }

        #[test]
        fn an_outage_of_five_budgets_is_accepted_and_delivered_once() {
            $crate::suite::an_outage_of_five_budgets_is_accepted_and_delivered_once(&$make);
        }

        #[test]
        fn web_tracking_delivers_anonymously() {
            $crate::suite::web_tracking_delivers_anonymously(&$make);
        }
    };
}
