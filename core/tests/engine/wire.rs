//! What the engine puts on the wire: paths, headers, compression, signatures.

use sls_producer_core::config::Compression;
use sls_producer_core::config::SignatureVersion;
use sls_producer_core::credentials::Credentials;
use sls_producer_core::engine::Engine;
use sls_producer_core::rt::Scheme;

use crate::support::*;

fn first_request(
    cfg: &sls_producer_core::config::ProducerConfig,
) -> sls_producer_core::rt::HttpRequest {
    let mut e = engine(cfg);
    e.push(ms(0), log(0), &route(), None).unwrap();
    e.flush(ms(0));
    one_transmit(&mut e, ms(0)).request
}

#[test]
fn url_host_is_project_dot_endpoint_and_https_is_the_default() {
    let req = first_request(&config());
    assert_eq!(req.scheme, Scheme::Http);
    let req = first_request(
        &sls_producer_core::config::ProducerConfig::new("cn-hangzhou.log.aliyuncs.com")
            .with_generate_pack_id(false),
    );
    assert_eq!(req.scheme, Scheme::Https);
    assert_eq!(req.authority, "proj.cn-hangzhou.log.aliyuncs.com");
    assert_eq!(
        req.header("host"),
        Some("proj.cn-hangzhou.log.aliyuncs.com")
    );
}

#[test]
fn no_shard_key_posts_to_the_logstore_and_processor_adds_a_query_parameter() {
    assert_eq!(first_request(&config()).path_and_query, "/logstores/store");
    let req = first_request(&config().with_processor("ingest-1"));
    assert_eq!(req.path_and_query, "/logstores/store?processor=ingest-1");
}

#[test]
fn headers_of_a_put_logs_request_are_present() {
    let req = first_request(&config());
    assert_eq!(req.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(req.header("x-log-apiversion"), Some("0.6.0"));
    assert_eq!(req.header("x-log-signaturemethod"), Some("hmac-sha1"));
    assert_eq!(
        req.header("x-log-bodyrawsize"),
        Some(raw_body(&req).len().to_string().as_str())
    );
    let md5 = req.header("content-md5").unwrap();
    assert_eq!(md5.len(), 32);
    assert!(
        md5.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    );
    assert!(req.header("user-agent").is_some());
    assert!(req.header("x-acs-security-token").is_none());
}

#[test]
fn compression_none_omits_the_header_and_zstd_sends_a_frame() {
    let req = first_request(&config().with_compression(Compression::None));
    assert_eq!(req.header("x-log-compresstype"), None);
    assert_eq!(req.body.len(), raw_body(&req).len());
    let req = first_request(&config().with_compression(Compression::Zstd));
    assert_eq!(req.header("x-log-compresstype"), Some("zstd"));
    assert_eq!(&req.body[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd magic");
    assert_eq!(ids(&group(&req).logs), [0]);
}

#[test]
fn metricstore_mode_uses_the_remote_write_path_lz4_and_no_key() {
    let cfg = config()
        .with_use_metric_store_url(true)
        .with_compression(Compression::None);
    let mut e = engine(&cfg);
    let r = route().with_shard_key(sls_producer_core::ShardKey::from_hash("k"));
    e.push(ms(0), log(0), &r, None).unwrap();
    e.flush(ms(0));
    let req = one_transmit(&mut e, ms(0)).request;
    assert_eq!(req.path_and_query, "/prometheus/proj/store/api/v1/write");
    assert_eq!(req.header("x-log-compresstype"), Some("lz4"));
}

#[test]
fn sts_token_is_sent_and_signature_v4_is_used_when_configured() {
    let cfg = config()
        .with_signature_version(SignatureVersion::V4)
        .with_region("cn-hangzhou");
    let creds = Credentials::new("ak", "sk").with_security_token("sts-token");
    let mut e: Engine<u32> = Engine::new(&cfg, WALL, Some(creds)).unwrap();
    e.push(ms(0), log(0), &route(), None).unwrap();
    e.flush(ms(0));
    let req = one_transmit(&mut e, ms(0)).request;
    assert_eq!(req.header("x-acs-security-token"), Some("sts-token"));
    assert_eq!(req.header("x-log-date"), Some("20231114T221320Z"));
    assert!(
        req.header("authorization").unwrap().starts_with(
            "SLS4-HMAC-SHA256 Credential=ak/20231114/cn-hangzhou/sls/aliyun_v4_request,"
        )
    );
    assert!(req.header("date").is_none());
}

#[test]
fn invalid_configuration_is_refused_by_the_engine() {
    let cfg = config().with_max_batch_count(0);
    assert!(Engine::<u32>::new(&cfg, WALL, None).is_err());
}
