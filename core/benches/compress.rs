//! Sealing a batch: LZ4 (three ways) and zstd (both encoders: the pure-Rust one of
//! `no_std` and wasm builds, and libzstd at levels 1, 3 and 6) over a realistic
//! default-sized batch (512 KiB of the Go benchmark's logs), and the body digests signing
//! needs (MD5 for v1, SHA-256 for v4).
//!
//! `cargo bench -p sls-producer-core --features zstd-native --bench compress` (without
//! `zstd-native`: LZ4 and the pure-Rust encoder only)

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sls_producer_core::protocol::compress::{self, Compression, Compressor, ZstdLevel, zstd};
use sls_producer_core::protocol::sign::{BodyDigest, SignatureVersion};

#[allow(dead_code, reason = "shared by several benches, each uses a part")]
mod support;

#[cfg(feature = "zstd-native")]
/// The libzstd levels measured: the default (SLS's Go, Python and Rust SDKs), the Java
/// SDK's, and one above.
const LEVELS: [u8; 3] = [1, 3, 6];

fn compress(c: &mut Criterion) {
    let workload = support::workload();
    let (raw, logs) = workload.batch(7, 512 * 1024);
    let ratio = |body: &[u8]| raw.len() as f64 / body.len() as f64;
    let lz4 = compress::compress(Compression::Lz4, &raw).expect("lz4 is always available");
    let mut pure = Vec::new();
    zstd::compress_pure_rust(&raw, &mut pure);
    eprintln!(
        "batch: {logs} logs, {} bytes raw; lz4 {} bytes ({:.1}:1), zstd pure Rust {} bytes \
         ({:.1}:1)",
        raw.len(),
        lz4.len(),
        ratio(&lz4),
        pure.len(),
        ratio(&pure),
    );
    #[cfg(feature = "zstd-native")]
    for level in LEVELS {
        let level = ZstdLevel::new(level).expect("a level");
        let body = Compressor::new()
            .compress(Compression::Zstd, level, &raw)
            .expect("libzstd compresses");
        eprintln!(
            "       zstd level {level} (libzstd) {} bytes ({:.1}:1)",
            body.len(),
            ratio(&body)
        );
    }

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
        b.iter(|| compressor.compress(Compression::Lz4, ZstdLevel::DEFAULT, &raw));
    });
    group.sample_size(20);
    group.bench_function("zstd_pure_rust", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            out.clear();
            zstd::compress_pure_rust(&raw, &mut out);
        });
    });
    // What the driver does with `zstd-native`: one libzstd context kept between batches.
    #[cfg(feature = "zstd-native")]
    for level in LEVELS {
        let level = ZstdLevel::new(level).expect("a level");
        group.bench_function(format!("zstd_level_{level}_compressor"), |b| {
            let mut compressor = Compressor::new();
            b.iter(|| compressor.compress(Compression::Zstd, level, &raw));
        });
    }
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
