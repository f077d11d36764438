//! Sealing a batch: LZ4 (three ways) and zstd over a realistic default-sized batch (512 KiB of the Go
//! benchmark's logs), and the body digests signing needs (MD5 for v1, SHA-256 for v4).
//!
//! `cargo bench -p sls-producer-core --bench compress`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sls_producer_core::protocol::compress::{self, Compression, Compressor};
use sls_producer_core::protocol::sign::{BodyDigest, SignatureVersion};

#[allow(dead_code, reason = "shared by several benches, each uses a part")]
mod support;

fn compress(c: &mut Criterion) {
    let workload = support::workload();
    let (raw, logs) = workload.batch(7, 512 * 1024);
    let lz4 = compress::compress(Compression::Lz4, &raw).expect("lz4 is always available");
    let zstd = compress::compress(Compression::Zstd, &raw).expect("zstd feature is on");
    eprintln!(
        "batch: {} logs, {} bytes raw; lz4 {} bytes ({:.1}:1), zstd {} bytes ({:.1}:1)",
        logs,
        raw.len(),
        lz4.len(),
        raw.len() as f64 / lz4.len() as f64,
        zstd.len(),
        raw.len() as f64 / zstd.len() as f64,
    );

    let mut group = c.benchmark_group("compress");
    group.throughput(Throughput::Bytes(raw.len() as u64));
    group.bench_function("lz4_into_reused", |b| {
        let mut out = Vec::new();
        b.iter(|| compress::compress_into(Compression::Lz4, &raw, &mut out));
    });
    group.bench_function("lz4_fresh", |b| {
        b.iter(|| compress::compress(Compression::Lz4, &raw));
    });
    // What the driver does: one scratch buffer, an exact-size body per batch.
    group.bench_function("lz4_compressor", |b| {
        let mut compressor = Compressor::new();
        b.iter(|| compressor.compress(Compression::Lz4, &raw));
    });
    group.sample_size(20);
    group.bench_function("zstd_fresh", |b| {
        b.iter(|| compress::compress(Compression::Zstd, &raw));
    });
    group.finish();

    let mut group = c.benchmark_group("digest");
    group.throughput(Throughput::Bytes(lz4.len() as u64));
    group.bench_function("md5_of_lz4_body", |b| {
        b.iter(|| BodyDigest::for_version(SignatureVersion::V1, &lz4));
    });
    group.bench_function("sha256_of_lz4_body", |b| {
        b.iter(|| BodyDigest::for_version(SignatureVersion::V4, &lz4));
    });
    group.finish();
}

criterion_group!(benches, compress);
criterion_main!(benches);
