//! The spool's cost per batch: append a sealed batch (a 512 KiB body, the size the
//! producer's batches reach under load) and acknowledge it, for each durability policy.
//! The file system is whatever holds the temporary directory (`TMPDIR`): on tmpfs a sync
//! costs nothing, so run it on the disk the spool would use.

use core::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sls_producer_spool::{Durability, Spool, SpoolConfig};

const BODY: usize = 512 << 10;

fn append_and_ack(c: &mut Criterion) {
    let body = vec![0x5a_u8; BODY];
    let meta = [0_u8; 64];
    let mut group = c.benchmark_group("spool_batch_512KiB");
    group.throughput(Throughput::Bytes(BODY as u64));
    for (name, durability) in [
        ("os", Durability::Os),
        ("interval_1s", Durability::Interval(Duration::from_secs(1))),
        ("per_batch", Durability::PerBatch),
    ] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = SpoolConfig::new(dir.path())
            .with_max_bytes(256 << 20)
            .with_durability(durability);
        let (mut spool, _) = Spool::open(config).expect("open");
        group.bench_function(name, |b| {
            b.iter(|| {
                let seq = spool.append(&meta, &body).expect("append").seq;
                spool.ack(seq).expect("ack");
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = append_and_ack
}
criterion_main!(benches);
