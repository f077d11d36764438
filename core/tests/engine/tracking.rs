//! Web tracking as a wire mode: the engine writes JSON bodies itself and sends them
//! unsigned to `/logstores/{logstore}/track`.

use sls_producer_core::config::{Compression, ConfigError, ProducerConfig, TrackStyle, WireMode};
use sls_producer_core::engine::{DeliveryFailure, Engine};
use sls_producer_core::protocol::compress::decompress;
use sls_producer_core::protocol::request::decode_tracked_logs;
use sls_producer_core::{Log, LogParts};

use crate::support::*;

fn tracking(style: TrackStyle, compression: Compression) -> ProducerConfig {
    config()
        .with_wire(WireMode::WebTracking(style))
        .with_compression(compression)
}

/// An anonymous engine: no credentials at all.
fn anonymous(config: &ProducerConfig) -> Engine<u32> {
    Engine::new(config, WALL, None).expect("valid config")
}

const SIGNED: [&str; 7] = [
    "authorization",
    "content-md5",
    "date",
    "x-log-date",
    "x-log-signaturemethod",
    "x-acs-security-token",
    "user-agent",
];

#[test]
fn a_tracking_batch_is_one_unsigned_json_post_to_track() {
    let cfg = tracking(TrackStyle::CorsSimple, Compression::None)
        .with_generate_pack_id(false)
        .with_log_tag("app", "web");
    let mut e = anonymous(&cfg);
    assert_eq!(e.poll_credentials_fetch(ms(0)), None, "nothing to fetch");
    let r = route().with_topic("clicks").with_source("page");
    e.push(ms(0), Log::new(7).with_content("k", "a\"b\n"), &r, None)
        .unwrap();
    let pairs = [("n", "中")];
    e.push_parts(ms(0), &r, &LogParts::new(8, &pairs), None)
        .unwrap();
    e.flush(ms(0));
    let req = one_transmit(&mut e, ms(0)).request;
    assert_eq!(
        req.path_and_query,
        "/logstores/store/track?APIVersion=0.6.0"
    );
    assert_eq!(req.header("host"), Some("proj.127.0.0.1:8080"));
    assert_eq!(req.header("content-type"), Some("text/plain;charset=UTF-8"));
    for name in SIGNED {
        assert_eq!(req.header(name), None, "{name}");
    }
    assert!(req.headers.iter().all(|(n, _)| !n.starts_with("x-")));
    assert_eq!(
        core::str::from_utf8(&req.body).unwrap(),
        concat!(
            r#"{"__logs__":[{"__time__":"7","k":"a\"b\n"},{"__time__":"8","n":"中"}],"#,
            r#""__topic__":"clicks","__source__":"page","__tags__":{"app":"web"}}"#
        )
    );
}

#[test]
fn headers_style_compresses_with_lz4_and_says_so() {
    let mut e = anonymous(&tracking(TrackStyle::Headers, Compression::Lz4));
    e.push(ms(0), logs(0..50), &route(), None).unwrap();
    e.flush(ms(0));
    let req = one_transmit(&mut e, ms(0)).request;
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("x-log-apiversion"), Some("0.6.0"));
    assert_eq!(req.header("x-log-compresstype"), Some("lz4"));
    for name in SIGNED {
        assert_eq!(req.header(name), None, "{name}");
    }
    let raw_len: usize = req.header("x-log-bodyrawsize").unwrap().parse().unwrap();
    let raw = decompress(Compression::Lz4, &req.body, raw_len).unwrap();
    assert_eq!(
        ids(&decode_tracked_logs(&raw).unwrap()),
        (0..50).collect::<Vec<_>>()
    );
}

#[test]
fn tracking_batches_are_cut_by_their_json_size() {
    let cfg = tracking(TrackStyle::CorsSimple, Compression::None).with_max_batch_bytes(1024);
    let mut e = anonymous(&cfg);
    e.push(ms(0), logs(0..40), &route(), None).unwrap();
    e.flush(ms(0));
    let sent = transmits(&mut e, ms(0));
    assert!(
        sent.len() > 1,
        "40 logs of ~40 JSON bytes do not fit in 1 KiB"
    );
    let mut all = Vec::new();
    for t in &sent {
        assert!(t.request.body.len() <= 1024, "{}", t.request.body.len());
        all.extend(decode_tracked_logs(&t.request.body).unwrap());
    }
    assert_eq!(ids(&all), (0..40).collect::<Vec<_>>());
}

#[test]
fn a_refused_tracking_batch_hands_its_logs_back() {
    let mut e = anonymous(&tracking(TrackStyle::Headers, Compression::Lz4));
    e.push(ms(0), logs(0..3), &route(), Some(1)).unwrap();
    e.flush(ms(0));
    let t = one_transmit(&mut e, ms(0));
    respond(&mut e, ms(5), &t, sls_error(400, "PostBodyInvalid"));
    let failed = e.poll_event().expect("one outcome");
    assert!(failed.result.failure.is_some());
    assert_eq!(failed.result.handed_back_count(), 3);
    let back = failed.result.into_logs();
    assert_eq!(
        back,
        logs(0..3),
        "contents and times read back from the JSON"
    );
}

#[test]
fn a_401_to_a_tracking_post_is_final() {
    // Web tracking off on the logstore: no credentials can change that, so the batch
    // fails after its one attempt instead of retrying with backoff.
    let mut e = anonymous(&tracking(TrackStyle::Headers, Compression::Lz4).with_max_retries(5));
    e.push(ms(0), logs(0..2), &route(), Some(1)).unwrap();
    e.flush(ms(0));
    let t = one_transmit(&mut e, ms(0));
    respond(&mut e, ms(5), &t, sls_error(401, "Unauthorized"));
    let failed = e.poll_event().expect("an outcome after one attempt");
    assert_eq!(
        failed.result.failure,
        Some(DeliveryFailure::NotRetryable { http_status: 401 })
    );
    assert_eq!(failed.result.attempt_count, 1);
    assert_eq!(failed.result.handed_back_count(), 2);
}

#[test]
fn tracking_configurations_that_cannot_be_sent_are_refused() {
    let refused = |cfg: ProducerConfig| match cfg.validate() {
        Err(ConfigError::Unsupported { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    let cors = tracking(TrackStyle::CorsSimple, Compression::Lz4);
    assert_eq!(refused(cors), "compression");
    let zstd = tracking(TrackStyle::Headers, Compression::Zstd);
    assert_eq!(refused(zstd), "compression");
    let metrics = tracking(TrackStyle::Headers, Compression::None).with_use_metric_store_url(true);
    assert_eq!(refused(metrics), "use_metric_store_url");
    let processor = tracking(TrackStyle::Headers, Compression::None).with_processor("p");
    assert_eq!(refused(processor), "processor");
    assert!(
        tracking(TrackStyle::Headers, Compression::Lz4)
            .validate()
            .is_ok()
    );
}
