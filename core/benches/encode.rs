//! Encoding one log into a batch buffer: the per-log work every send does.
//!
//! `cargo bench -p sls-producer-core --bench encode`

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use sls_producer_core::protocol::proto::LogGroupEncoder;

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

    // `push` of a prebuilt `Log` into a buffer that is reused batch after batch: its
    // bytes are copied, nothing is re-encoded.
    let mut rng = Rng::new(2);
    let logs: Vec<_> = (0..1024).map(|_| workload.log(rng.next_u64())).collect();
    bench_push(&mut group, "push_log", &logs, LogGroupEncoder::push);

    // The same logs given as borrowed key/value pairs, encoded into the batch.
    let pairs: Vec<[(&str, &str); 8]> = logs
        .iter()
        .map(|log| {
            let mut pairs = log.contents();
            core::array::from_fn(|_| pairs.next().expect("8 pairs"))
        })
        .collect();
    bench_push(&mut group, "push_parts", &pairs, |encoder, pairs| {
        encoder.push_parts(LOG_TIME, None, pairs);
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
    group.finish();
}

const NO_TAGS: [(&str, &str); 0] = [];

/// Bench `push`ing one of `logs` (in turn) into an encoder whose buffer is reused batch
/// after batch, as a producer's are.
fn bench_push<T>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    logs: &[T],
    push: impl Fn(&mut LogGroupEncoder, &T),
) {
    group.bench_function(name, |b| {
        let mut encoder = LogGroupEncoder::with_capacity(BATCH);
        let mut i = 0;
        b.iter(|| {
            if encoder.len() > BATCH - 1024 {
                let full = core::mem::take(&mut encoder);
                encoder = LogGroupEncoder::with_buffer(full.finish("", "", NO_TAGS));
            }
            push(&mut encoder, &logs[i % logs.len()]);
            i += 1;
        });
    });
}

criterion_group!(benches, encode);
criterion_main!(benches);
