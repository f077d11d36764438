//! Signing one attempt of a sealed batch: copy the prepared request and add the date,
//! digest and signature headers (v1: HMAC-SHA1; v4: HMAC-SHA256 with a derived key).
//! Done once per request, i.e. once per ~900 logs with the default batch size.
//!
//! `cargo bench -p sls-producer-core --bench sign`

use criterion::{Criterion, criterion_group, criterion_main};
use sls_producer_core::config::Compression;
use sls_producer_core::protocol::endpoint::Endpoint;
use sls_producer_core::protocol::request::{PreparedBody, PutLogsTarget, put_logs_request};
use sls_producer_core::protocol::sign::{SignatureVersion, SigningConfig, sign_request};
use sls_producer_core::rt::UnixTime;

#[allow(dead_code, reason = "shared by several benches, each uses a part")]
mod support;

use support::credentials;

fn sign(c: &mut Criterion) {
    let (raw, _) = support::workload().batch(7, 512 * 1024);
    let endpoint = Endpoint::parse("https://cn-hangzhou.log.aliyuncs.com").expect("valid");
    let target = PutLogsTarget::logstore("bench-project", "bench-logstore").expect("valid");
    let credentials = credentials();
    let now = UnixTime::from_secs(1_795_570_830);

    let mut group = c.benchmark_group("sign");
    for (name, version, signing) in [
        ("v1", SignatureVersion::V1, SigningConfig::v1()),
        ("v4", SignatureVersion::V4, SigningConfig::v4("cn-hangzhou")),
    ] {
        let body = PreparedBody::new(Compression::Lz4, &raw, version).expect("lz4");
        let unsigned = put_logs_request(&endpoint, &target, &body, "");
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut request = unsigned.clone();
                sign_request(
                    &mut request,
                    &credentials,
                    &signing,
                    now,
                    body.digest().unwrap(),
                )
                .expect("signable");
                request
            });
        });
    }
    group.finish();
}

criterion_group!(benches, sign);
criterion_main!(benches);
