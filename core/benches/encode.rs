//! Encoding one log into a batch buffer: the per-log work every send does.
//!
//! `cargo bench -p sls-producer-core --bench encode`

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sls_producer_core::proto::LogGroupEncoder;

#[allow(dead_code, reason = "shared by several benches, each uses a part")]
mod support;

use sls_producer_core::sim::SimRng as Rng;
use support::LOG_TIME;

/// The default `max_batch_bytes`: the encoder is reset when a batch would be sealed.
const BATCH: usize = 512 * 1024;

fn encode(c: &mut Criterion) {
    let workload = support::workload();
    let mut group = c.benchmark_group("encode");
    let sample = workload.log(0);
    group.throughput(Throughput::Bytes(
        LogGroupEncoder::encoded_log_len(&sample) as u64
    ));

    // `push` of a prebuilt `Log` into a buffer that is reused batch after batch.
    group.bench_function("push_log", |b| {
        let mut rng = Rng::new(2);
        let logs: Vec<_> = (0..1024).map(|_| workload.log(rng.next_u64())).collect();
        let mut encoder = LogGroupEncoder::with_capacity(BATCH);
        let mut i = 0;
        b.iter(|| {
            if encoder.len() > BATCH - 1024 {
                let full = core::mem::take(&mut encoder);
                encoder = LogGroupEncoder::with_buffer(full.finish("", "", NO_TAGS));
            }
            encoder.push(&logs[i % logs.len()]);
            i += 1;
        });
    });

    // The same logs given as borrowed key/value pairs.
    group.bench_function("push_parts", |b| {
        let mut rng = Rng::new(2);
        let logs: Vec<_> = (0..1024).map(|_| workload.log(rng.next_u64())).collect();
        let pairs: Vec<[(&str, &str); 8]> = logs
            .iter()
            .map(|log| {
                core::array::from_fn(|i| {
                    let c = &log.contents[i];
                    (c.key.as_str(), c.value.as_str())
                })
            })
            .collect();
        let mut encoder = LogGroupEncoder::with_capacity(BATCH);
        let mut i = 0;
        b.iter(|| {
            if encoder.len() > BATCH - 1024 {
                let full = core::mem::take(&mut encoder);
                encoder = LogGroupEncoder::with_buffer(full.finish("", "", NO_TAGS));
            }
            encoder.push_parts(LOG_TIME, None, &pairs[i % pairs.len()]);
            i += 1;
        });
    });

    // The same logs as `EncodedLog`s: their bytes are copied, nothing is re-encoded.
    group.bench_function("push_encoded_log", |b| {
        let mut rng = Rng::new(2);
        let logs: Vec<_> = (0..1024)
            .map(|_| workload.encoded_log(rng.next_u64()))
            .collect();
        let mut encoder = LogGroupEncoder::with_capacity(BATCH);
        let mut i = 0;
        b.iter(|| {
            if encoder.len() > BATCH - 1024 {
                let full = core::mem::take(&mut encoder);
                encoder = LogGroupEncoder::with_buffer(full.finish("", "", NO_TAGS));
            }
            encoder.push_encoded_log(&logs[i % logs.len()]);
            i += 1;
        });
    });

    // Building the `Log` itself (what an application pays before `send`), for scale.
    group.bench_function("build_log", |b| {
        let mut rng = Rng::new(3);
        b.iter_batched(
            || rng.next_u64(),
            |r| workload.log(r),
            BatchSize::SmallInput,
        );
    });

    // Building the same log as an `EncodedLog` (one buffer sized for it).
    group.bench_function("build_encoded_log", |b| {
        let mut rng = Rng::new(3);
        b.iter_batched(
            || rng.next_u64(),
            |r| workload.encoded_log(r),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

const NO_TAGS: [(&str, &str); 0] = [];

criterion_group!(benches, encode);
criterion_main!(benches);
