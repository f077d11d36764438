//! [`BenchWorkload`]: the logs of the Go producer's benchmark, for benchmarks and load tests.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::SimRng;
use crate::engine::Route;
use crate::protocol::proto::{Log, LogGroupEncoder};
use crate::protocol::request::InvalidName;

/// The logs of the Go producer's published benchmark (`PERFORMANCE_TEST.md`), generated
/// deterministically from a seed: the workload of this crate's benches and of the
/// end-to-end `throughput` binary, and a realistic load for your own tests.
///
/// * 10 routes: topic `topic-{r % 5}`, source `source-{r}` for `r` in `0..10`;
/// * 8 contents per log, `content_key_1` … `content_key_8`, each value 49 characters
///   (40 fixed, a dash and an 8-digit suffix), taken from a table of
///   [`ROWS`](Self::ROWS) pre-generated rows as the Go benchmark does;
/// * one log encodes to [`LOG_BYTES`](Self::LOG_BYTES) bytes in a `LogGroup` (for a
///   `time` from 2004 to 2038, a 5-byte varint).
///
/// Two ways to draw logs:
///
/// * **random draws** — [`log`](Self::log), [`fields`](Self::fields) and
///   [`route`](Self::route) of a random `r` (a route and a row, independently);
/// * **the ring** — [`RING`](Self::RING) draws made once in [`new`](Self::new), whose logs
///   are already built: [`draw`](Self::draw)`(i)` walks it, so a benchmark reads each log
///   from memory laid out in order, as an application's freshly built log is in cache,
///   and every reader of the ring sends exactly the same logs.
///
/// ```
/// use sls_producer_core::protocol::proto::LogGroupEncoder;
/// use sls_producer_core::sim::BenchWorkload;
///
/// let workload = BenchWorkload::new(1, "bench-project", "bench-logstore", 1_700_000_000)?;
/// let (route, log) = workload.draw(0);
/// assert_eq!(log.content_count(), BenchWorkload::FIELDS);
/// assert_eq!(LogGroupEncoder::encoded_log_len(log), BenchWorkload::LOG_BYTES);
/// assert!(route.topic().starts_with("topic-"));
/// # Ok::<(), sls_producer_core::protocol::request::InvalidName>(())
/// ```
#[derive(Clone)]
pub struct BenchWorkload {
    time: u32,
    keys: [String; Self::FIELDS],
    rows: Vec<[String; Self::FIELDS]>,
    routes: Vec<Route>,
    ring: Vec<Draw>,
}

impl BenchWorkload {
    /// Contents per log.
    pub const FIELDS: usize = 8;
    /// Distinct value rows, as in the Go benchmark.
    pub const ROWS: usize = 4096;
    /// Distinct routes (topic and source pairs).
    pub const ROUTES: usize = 10;
    /// Pre-built draws in the ring ([`draw`](Self::draw)).
    pub const RING: usize = 4096;
    /// Bytes one log adds to a `LogGroup` (time from 2004 to 2038).
    pub const LOG_BYTES: usize = 553;

    /// The workload for `seed`, its routes in `project` / `logstore`, every log at Unix
    /// second `time`.
    ///
    /// # Errors
    ///
    /// [`InvalidName`] if `project` or `logstore` breaks the SLS naming rules.
    pub fn new(seed: u64, project: &str, logstore: &str, time: u32) -> Result<Self, InvalidName> {
        let mut rng = SimRng::new(seed);
        let keys = core::array::from_fn(|i| format!("content_key_{}", i + 1));
        let rows = (0..Self::ROWS)
            .map(|_| {
                let suffix = 10_000_000 + rng.below(90_000_000);
                core::array::from_fn(|i| {
                    format!("{}abcdefghijklmnopqrstuvwxyz0123456789!@#-{suffix}", i + 1)
                })
            })
            .collect();
        let routes = (0..Self::ROUTES)
            .map(|r| {
                Ok(Route::new(project, logstore)?
                    .with_topic(&format!("topic-{}", r % 5))
                    .with_source(&format!("source-{r}")))
            })
            .collect::<Result<_, InvalidName>>()?;
        let mut workload = Self {
            time,
            keys,
            rows,
            routes,
            ring: Vec::new(),
        };
        // The pairs of every draw first, in order (so that a reader of the ring walks memory
        // laid out in order, as it did when the ring held `String` pairs), then the logs.
        let draws: Vec<(u64, Vec<(String, String)>)> = (0..Self::RING)
            .map(|_| {
                let r = rng.next_u64();
                let mut pairs = Vec::with_capacity(Self::FIELDS);
                pairs.extend(workload.fields(r).map(|(k, v)| (k.into(), v.into())));
                (r, pairs)
            })
            .collect();
        workload.ring = draws
            .into_iter()
            .map(|(r, pairs)| Draw {
                log: workload.log(r),
                r,
                pairs,
            })
            .collect();
        Ok(workload)
    }

    /// The Unix second of every log.
    pub fn time(&self) -> u32 {
        self.time
    }

    /// The log of random draw `r`, built as an application builds one: pair by pair, into
    /// a buffer sized for the log.
    pub fn log(&self, r: u64) -> Log {
        self.build(self.fields(r))
    }

    /// A log of these pairs, in a buffer sized for one.
    fn build<K: AsRef<str>, V: AsRef<str>>(&self, pairs: impl IntoIterator<Item = (K, V)>) -> Log {
        let mut log = Log::with_capacity(self.time, Self::LOG_BYTES);
        log.extend(pairs);
        log
    }

    /// The contents of the log of random draw `r`, borrowed (for
    /// [`Producer::send_parts`](crate::producer::Producer::send_parts)).
    pub fn fields(&self, r: u64) -> [(&str, &str); Self::FIELDS] {
        let row = &self.rows[(r >> 16) as usize % Self::ROWS];
        core::array::from_fn(|i| (self.keys[i].as_str(), row[i].as_str()))
    }

    /// The route of random draw `r`.
    pub fn route(&self, r: u64) -> &Route {
        &self.routes[r as usize % self.routes.len()]
    }

    /// The same workload spread over `routes` routes instead of [`ROUTES`](Self::ROUTES)
    /// (topic `topic-{r % 5}`, source `source-{r}`), e.g. to load many open batches at
    /// once. `routes` is at least 1.
    ///
    /// # Errors
    ///
    /// [`InvalidName`] never in practice: the project and logstore were checked by
    /// [`new`](Self::new).
    pub fn with_routes(mut self, routes: usize) -> Result<Self, InvalidName> {
        let (project, logstore) = (
            self.routes[0].project().to_owned(),
            self.routes[0].logstore().to_owned(),
        );
        self.routes = (0..routes.max(1))
            .map(|r| {
                Ok(Route::new(&project, &logstore)?
                    .with_topic(&format!("topic-{}", r % 5))
                    .with_source(&format!("source-{r}")))
            })
            .collect::<Result<_, InvalidName>>()?;
        Ok(self)
    }

    /// Draw `i` of the ring (`i` wraps around [`RING`](Self::RING)): its route and its
    /// already built log.
    pub fn draw(&self, i: u64) -> (&Route, &Log) {
        let draw = self.ring_draw(i);
        (self.route(draw.r), &draw.log)
    }

    /// Draw `i` of the ring with its log built anew from the draw's pairs (one buffer sized
    /// for it, pair by pair), as an application builds each log it sends.
    pub fn draw_built(&self, i: u64) -> (&Route, Log) {
        let (route, _, pairs) = self.draw_parts(i);
        (route, self.build(pairs.iter().map(|(k, v)| (k, v))))
    }

    /// Draw `i` of the ring as [`send_parts`](crate::producer::Producer::send_parts)
    /// takes it: its route, its time and its [`FIELDS`](Self::FIELDS) key/value pairs,
    /// borrowed from the draw's own `String`s (laid out in ring order).
    pub fn draw_parts(&self, i: u64) -> (&Route, u32, &[(String, String)]) {
        let draw = self.ring_draw(i);
        (self.route(draw.r), self.time, &draw.pairs)
    }

    fn ring_draw(&self, i: u64) -> &Draw {
        &self.ring[(i % Self::RING as u64) as usize]
    }

    /// A finished `LogGroup` of random draws from `seed`, as a batch of route 0 is sealed
    /// when `max_batch_bytes` is its limit, and the number of logs in it.
    pub fn batch(&self, seed: u64, max_batch_bytes: usize) -> (Vec<u8>, usize) {
        const PACK_ID: (&str, &str) = ("__pack_id__", "0123456789ABCDEF-1");
        let route = &self.routes[0];
        let mut rng = SimRng::new(seed);
        let mut encoder = LogGroupEncoder::new();
        let trailer = encoder.finished_len(route.topic(), route.source(), [PACK_ID]);
        loop {
            let fields = self.fields(rng.next_u64());
            let entry = LogGroupEncoder::encoded_parts_len(self.time, None, &fields);
            if encoder.len() + entry + trailer > max_batch_bytes {
                break;
            }
            encoder.push_parts(self.time, None, &fields);
        }
        let logs = encoder.log_count();
        (
            encoder.finish(route.topic(), route.source(), [PACK_ID]),
            logs,
        )
    }
}

/// One draw of the ring: its random `r`, its pairs as owned strings, and its log built.
#[derive(Clone)]
struct Draw {
    r: u64,
    pairs: Vec<(String, String)>,
    log: Log,
}

/// `Debug` shows the shape, not the table.
impl core::fmt::Debug for BenchWorkload {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BenchWorkload")
            .field("time", &self.time)
            .field("rows", &self.rows.len())
            .field("routes", &self.routes.len())
            .field("ring", &self.ring.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use alloc::collections::BTreeSet;

    use super::*;
    use crate::protocol::proto::decode_log_group;

    fn workload() -> BenchWorkload {
        BenchWorkload::new(1, "bench-project", "bench-logstore", 1_700_000_000).unwrap()
    }

    #[test]
    fn logs_have_the_go_benchmark_shape() {
        let w = workload();
        let log = w.log(12_345 << 16);
        let pairs: Vec<_> = log.contents().collect();
        assert_eq!(log.time(), 1_700_000_000);
        assert_eq!(pairs.len(), BenchWorkload::FIELDS);
        assert_eq!(pairs[0].0, "content_key_1");
        assert_eq!(pairs[7].0, "content_key_8");
        assert!(pairs.iter().all(|(_, v)| v.len() == 49));
        assert!(pairs[2].1.starts_with("3abcdefghijklmnopqrstuvwxyz"));
        assert_eq!(
            LogGroupEncoder::encoded_log_len(&log),
            BenchWorkload::LOG_BYTES
        );
        let fields = w.fields(12_345 << 16);
        assert_eq!(
            LogGroupEncoder::encoded_parts_len(log.time(), None, &fields),
            BenchWorkload::LOG_BYTES
        );
        assert_eq!(fields[..], pairs[..]);
        let routes: BTreeSet<_> = (0..100)
            .map(|r| (w.route(r).topic(), w.route(r).source()))
            .collect();
        assert_eq!(routes.len(), BenchWorkload::ROUTES);
    }

    #[test]
    fn the_ring_is_deterministic_and_wraps() {
        let (a, b) = (workload(), workload());
        let other = BenchWorkload::new(2, "bench-project", "bench-logstore", 1).unwrap();
        assert_eq!(a.draw(5), b.draw(5));
        assert_eq!(a.draw(5), a.draw(5 + BenchWorkload::RING as u64));
        assert!(!a.draw(5).1.contents().eq(other.draw(5).1.contents()));
        let (route, log) = a.draw(7);
        let (parts_route, time, parts) = a.draw_parts(7);
        assert_eq!((parts_route, time), (route, log.time()));
        assert!(
            log.contents()
                .eq(parts.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        );
        assert_eq!(a.draw_built(7), (route, log.clone()));
        let routes: BTreeSet<_> = (0..BenchWorkload::RING as u64)
            .map(|i| a.draw(i).0.source())
            .collect();
        assert_eq!(
            routes.len(),
            BenchWorkload::ROUTES,
            "the ring uses every route"
        );
        assert!(BenchWorkload::new(1, "Bad_Project", "s", 1).is_err());
    }

    #[test]
    fn a_batch_fills_up_to_its_limit() {
        let w = workload();
        let limit = 64 * 1024;
        let (raw, logs) = w.batch(7, limit);
        assert!(raw.len() <= limit);
        assert!(
            raw.len() + BenchWorkload::LOG_BYTES > limit,
            "one more log would not fit"
        );
        let group = decode_log_group(&raw).unwrap();
        assert_eq!(group.logs.len(), logs);
        assert_eq!(group.topic.as_deref(), Some("topic-0"));
        assert_eq!(group.log_tags[0].key, "__pack_id__");
    }
}
