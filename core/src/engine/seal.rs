//! Compressing sealed batches away from the engine: the one expensive step of a batch's
//! life, handed out as a job so that a driver runs it without holding the lock that
//! guards the engine (and never on a sender's thread).

use alloc::sync::Arc;
use core::fmt;

use super::batch::BatchId;
use super::key::Route;
use super::wire::{Sealed, Wire};
use crate::protocol::compress::Compressor;
use crate::protocol::http::Bytes;

/// A sealed batch's finished LogGroup to compress and digest, from
/// [`Engine::poll_compress`](super::Engine::poll_compress).
///
/// Run it with [`CompressJob::run`] wherever is convenient (outside the engine's lock) and
/// give the result to [`Engine::handle_compressed`](super::Engine::handle_compressed). The
/// batch is not sent until then. Dropping a job instead is harmless only if the engine is
/// being torn down: its batch waits for the result until the close deadline fails it.
pub struct CompressJob {
    pub(super) batch: BatchId,
    pub(super) route: Route,
    pub(super) raw: Bytes,
    pub(super) wire: Arc<Wire>,
}

impl CompressJob {
    /// Compress the LogGroup (reusing `compressor`'s scratch buffer), digest the body for
    /// signing and build the batch's unsigned request.
    pub fn run(self, compressor: &mut Compressor) -> Compressed {
        let sealed = self.wire.seal(&self.route, &self.raw, compressor);
        Compressed {
            batch: self.batch,
            sealed,
            raw: self.raw,
        }
    }

    /// Bytes of the uncompressed LogGroup.
    pub fn raw_len(&self) -> usize {
        self.raw.len()
    }
}

/// `Debug` shows sizes only, never log contents.
impl fmt::Debug for CompressJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompressJob")
            .field("batch", &self.batch.0)
            .field("raw_len", &self.raw.len())
            .finish()
    }
}

/// The result of a [`CompressJob`], for
/// [`Engine::handle_compressed`](super::Engine::handle_compressed).
pub struct Compressed {
    pub(super) batch: BatchId,
    pub(super) sealed: Sealed,
    /// The LogGroup, handed back so that its buffer can be reused by a later batch.
    pub(super) raw: Bytes,
}

/// `Debug` shows sizes only, never log contents.
impl fmt::Debug for Compressed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compressed")
            .field("batch", &self.batch.0)
            .field("raw_len", &self.sealed.raw_len())
            .field("body_len", &self.sealed.body_len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use alloc::format;
    use alloc::vec::Vec;

    use super::super::{DeliveryFailure, Engine, Route};
    use crate::config::ProducerConfig;
    use crate::credentials::Credentials;
    use crate::protocol::compress::{self, Compression, Compressor};
    use crate::protocol::http::{HttpRequest, HttpResponse};
    use crate::protocol::proto::{Log, decode_log_group};
    use crate::protocol::time::{Instant, UnixTime};

    const WALL: UnixTime = UnixTime::from_secs(1_700_000_000);
    const NOW: Instant = Instant::from_secs(1);

    fn engine(config: &ProducerConfig) -> Engine<u32> {
        Engine::new(config, WALL, Some(Credentials::new("id", "secret"))).unwrap()
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

    fn logs_of(request: &HttpRequest) -> Vec<Log> {
        let raw_len = request
            .header("x-log-bodyrawsize")
            .unwrap()
            .parse()
            .unwrap();
        let raw = compress::decompress(Compression::Lz4, &request.body, raw_len).unwrap();
        decode_log_group(&raw).unwrap().logs
    }

    #[test]
    fn a_batch_taken_as_a_job_is_sent_only_once_its_result_is_handed_back() {
        let mut e = engine(&config());
        e.push(NOW, log(1), &route(), Some(7)).unwrap();
        e.flush(NOW);
        let job = e.poll_compress().expect("the flushed batch is a job");
        assert!(e.poll_compress().is_none(), "one job per batch");
        assert!(
            e.poll_transmit(NOW, WALL).is_none(),
            "not compressed yet: not sent"
        );
        assert!(e.take_wakeup());

        let done = job.run(&mut Compressor::new());
        e.handle_compressed(done);
        assert!(e.take_wakeup(), "the parked batch is ready again");
        let t = e.poll_transmit(NOW, WALL).expect("sent once compressed");
        assert_eq!(logs_of(&t.request), [log(1)]);
        assert!(e.poll_transmit(NOW, WALL).is_none(), "sent exactly once");
        e.handle_response(NOW, WALL, t.attempt, Ok(HttpResponse::new(200)));
        let event = e.poll_event().unwrap();
        assert_eq!((event.tag, event.result.is_success()), (7, true));
        assert!(e.is_idle());
    }

    #[test]
    fn a_job_finished_before_transmit_leaves_the_batch_queued_in_order() {
        let mut e = engine(&config());
        e.push(NOW, log(1), &route(), None).unwrap();
        e.push(NOW, log(2), &route().with_topic("t"), None).unwrap();
        e.flush(NOW);
        let jobs: Vec<_> = core::iter::from_fn(|| e.poll_compress()).collect();
        assert_eq!(jobs.len(), 2);
        let mut compressor = Compressor::new();
        for job in jobs {
            e.handle_compressed(job.run(&mut compressor));
        }
        let first = e.poll_transmit(NOW, WALL).unwrap();
        let second = e.poll_transmit(NOW, WALL).unwrap();
        assert_eq!(logs_of(&first.request), [log(1)]);
        assert_eq!(logs_of(&second.request), [log(2)]);
        assert!(e.poll_transmit(NOW, WALL).is_none());
    }

    #[test]
    fn without_jobs_poll_transmit_compresses_and_no_job_is_left_behind() {
        let mut e = engine(&config());
        e.push(NOW, log(1), &route(), None).unwrap();
        e.flush(NOW);
        let t = e.poll_transmit(NOW, WALL).expect("compressed inline");
        assert_eq!(logs_of(&t.request), [log(1)]);
        assert!(e.poll_compress().is_none(), "nothing left to compress");
        assert!(e.to_compress.is_empty());
    }

    #[test]
    fn a_batch_failed_while_compressing_hands_its_logs_back_and_its_result_is_ignored() {
        let mut e = engine(&config());
        e.push(NOW, Vec::from([log(1), log(2)]), &route(), Some(3))
            .unwrap();
        e.flush(NOW);
        let job = e.poll_compress().unwrap();
        e.close(NOW, Some(NOW));
        let event = e.poll_event().expect("failed at the close deadline");
        assert_eq!(event.tag, 3);
        assert!(matches!(
            event.result.failure,
            Some(DeliveryFailure::Closed { in_flight: false })
        ));
        assert_eq!(
            event.result.logs(),
            [log(1), log(2)],
            "read back from the LogGroup"
        );
        assert!(e.is_idle());

        e.handle_compressed(job.run(&mut Compressor::new()));
        assert!(e.poll_transmit(NOW, WALL).is_none());
        assert!(e.poll_event().is_none());
        assert!(e.is_idle());
    }

    #[test]
    fn busy_routes_reuse_the_buffers_of_compressed_batches() {
        let config = config().with_max_batch_bytes(64 * 1024);
        let mut e = engine(&config);
        let big = |i: u32| Log::new(1).with_content("k", format!("{i:01000}"));
        let mut compressor = Compressor::new();
        let mut pushed = 0;
        let mut push_until_rollover = |e: &mut Engine<u32>| loop {
            e.push(NOW, big(pushed), &route(), None).unwrap();
            pushed += 1;
            if let Some(job) = e.poll_compress() {
                return job;
            }
        };
        let first = push_until_rollover(&mut e);
        assert_eq!(e.pool.len(), 0);
        e.handle_compressed(first.run(&mut compressor));
        assert_eq!(e.pool.len(), 1, "the first batch's buffer is kept");
        let second = push_until_rollover(&mut e);
        assert_eq!(e.pool.len(), 0, "and taken by the next batch");
        e.handle_compressed(second.run(&mut compressor));
        for _ in 0..20 {
            let job = push_until_rollover(&mut e);
            e.handle_compressed(job.run(&mut compressor));
            assert!(
                e.pool.len() <= super::super::pool::MIN_SPARE_BUFFERS,
                "one route"
            );
        }
        // Reused buffers carry nothing over: every log arrives once, in order.
        e.flush(NOW);
        let mut sent = Vec::new();
        while let Some(t) = e.poll_transmit(NOW, WALL) {
            sent.extend(logs_of(&t.request));
            e.handle_response(NOW, WALL, t.attempt, Ok(HttpResponse::new(200)));
        }
        assert_eq!(sent, (0..pushed).map(big).collect::<Vec<_>>());
    }

    #[test]
    fn spare_buffers_fill_the_budget_left_by_live_batches() {
        use super::super::pool::MIN_SPARE_BUFFERS;
        const BATCH: usize = 64 * 1024;
        let mut config = config().with_max_batch_bytes(BATCH);
        config.memory_budget = 32 * BATCH;
        let mut e = engine(&config);
        let big = |i: u32| Log::new(1).with_content("k", format!("{i:01000}"));
        let routes: Vec<Route> = (0..10)
            .map(|r| route().with_topic(&format!("t{r}")))
            .collect();
        let mut compressor = Compressor::new();
        let mut most = 0;
        for round in 0..4 {
            // Every route fills its batch in turn, so all roll over in one burst.
            for i in 0..60 {
                for r in &routes {
                    e.push(NOW, big(round * 100 + i), r, None).unwrap();
                }
            }
            while let Some(job) = e.poll_compress() {
                e.handle_compressed(job.run(&mut compressor));
                let uncompressed = e.open.len() + e.to_compress.len();
                assert!(
                    e.pool.len() <= e.pool.wanted(uncompressed),
                    "spare and live buffers stay within the budget"
                );
                most = most.max(e.pool.len());
            }
            while let Some(t) = e.poll_transmit(NOW, WALL) {
                e.handle_response(NOW, WALL, t.attempt, Ok(HttpResponse::new(200)));
            }
        }
        assert!(most > MIN_SPARE_BUFFERS, "a spare buffer per route: {most}");
        assert!(most <= 32 - 10, "not beyond the budget: {most}");

        // A batch sealed by its linger time: traffic is slow, the extra buffers go.
        e.push(NOW, big(0), &routes[0], None).unwrap();
        let linger = e.poll_timeout().expect("the linger deadline");
        e.handle_timeout(linger);
        assert_eq!(e.pool.len(), MIN_SPARE_BUFFERS);
    }
}
