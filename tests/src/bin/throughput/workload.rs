//! The logs of the Go producer's benchmark (`PERFORMANCE_TEST.md`): 8 contents
//! `content_key_{i}` with ~50-character values ending in a random 8-digit suffix, drawn
//! from 4096 pre-generated rows; topic `topic-{r % 5}` and source `source-{r % 10}`
//! (10 routes). One log encodes to 553 bytes. `core/benches/support` builds the same.

use sls_producer_core::engine::Route;
use sls_producer_core::proto::Log;

/// Distinct value rows, as in the Go benchmark.
const ROWS: usize = 4096;
/// Contents per log.
pub(crate) const FIELDS: usize = 8;

/// A seeded `SplitMix64`.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The benchmark's value table and routes.
pub(crate) struct Workload {
    keys: [String; FIELDS],
    rows: Vec<[String; FIELDS]>,
    routes: Vec<Route>,
}

impl Workload {
    pub(crate) fn new(seed: u64, project: &str, logstore: &str) -> Self {
        let mut rng = Rng::new(seed);
        let keys = core::array::from_fn(|i| format!("content_key_{}", i + 1));
        let rows = (0..ROWS)
            .map(|_| {
                let suffix = 10_000_000 + rng.next_u64() % 90_000_000;
                core::array::from_fn(|i| {
                    format!("{}abcdefghijklmnopqrstuvwxyz0123456789!@#-{suffix}", i + 1)
                })
            })
            .collect();
        let routes = (0..10)
            .map(|r| {
                Route::new(project, logstore)
                    .expect("valid names")
                    .with_topic(&format!("topic-{}", r % 5))
                    .with_source(&format!("source-{r}"))
            })
            .collect();
        Self { keys, rows, routes }
    }

    /// The log of draw `r` at `time`, built as an application does (owned strings).
    pub(crate) fn log(&self, r: u64, time: u32) -> Log {
        let row = &self.rows[(r >> 16) as usize % ROWS];
        let mut log = Log::new(time);
        log.contents.reserve_exact(FIELDS);
        for (key, value) in self.keys.iter().zip(row) {
            log = log.with_content(key.as_str(), value.as_str());
        }
        log
    }

    /// The contents of the log of draw `r`, borrowed.
    pub(crate) fn fields(&self, r: u64) -> [(&str, &str); FIELDS] {
        let row = &self.rows[(r >> 16) as usize % ROWS];
        core::array::from_fn(|i| (self.keys[i].as_str(), row[i].as_str()))
    }

    /// The route of draw `r`.
    pub(crate) fn route(&self, r: u64) -> &Route {
        &self.routes[r as usize % self.routes.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sls_producer_core::proto::LogGroupEncoder;

    #[test]
    fn logs_have_the_go_benchmark_shape() {
        let w = Workload::new(1, "bench-project", "bench-logstore");
        let log = w.log(12_345 << 16, 1_700_000_000);
        assert_eq!(log.contents.len(), FIELDS);
        assert_eq!(log.contents[0].key, "content_key_1");
        assert_eq!(log.contents[7].key, "content_key_8");
        assert!(log.contents.iter().all(|c| c.value.len() == 49));
        assert_eq!(LogGroupEncoder::encoded_log_len(&log), 553);
        let fields = w.fields(12_345 << 16);
        assert_eq!(
            LogGroupEncoder::encoded_parts_len(1_700_000_000, None, &fields),
            553
        );
        assert!(
            fields
                .iter()
                .zip(&log.contents)
                .all(|((k, v), c)| *k == c.key && *v == c.value)
        );
        let topics: std::collections::BTreeSet<_> = (0..100)
            .map(|r| (w.route(r).topic(), w.route(r).source()))
            .collect();
        assert_eq!(topics.len(), 10);
    }
}
