use super::*;
use alloc::string::ToString;

fn base() -> ProducerConfig {
    ProducerConfig::new("cn-hangzhou.log.aliyuncs.com")
}

fn field_of(e: ConfigError) -> &'static str {
    match e {
        ConfigError::OutOfRange { field, .. } => field,
        ConfigError::InvalidText { field, .. } => field,
        ConfigError::FeatureDisabled { field, .. } => field,
        ConfigError::Unsupported { field, .. } => field,
        ConfigError::InvalidEndpoint { .. } => "endpoint",
        ConfigError::RegionRequired => "region",
        ConfigError::Project { error, .. } => field_of(*error),
    }
}

#[test]
fn project_configs_are_validated_field_by_field() {
    assert!(
        ProjectConfig::new("cn-shanghai.log.aliyuncs.com")
            .validate()
            .is_ok()
    );
    let v4 =
        |endpoint: &str| ProjectConfig::new(endpoint).with_signature_version(SignatureVersion::V4);
    assert!(
        v4("cn-shanghai.log.aliyuncs.com").validate().is_ok(),
        "region from the endpoint"
    );
    assert_eq!(
        field_of(v4("http://10.0.0.1").validate().unwrap_err()),
        "region"
    );
    assert!(
        v4("http://10.0.0.1")
            .with_region("cn-shanghai")
            .validate()
            .is_ok()
    );
    let bad_region = ProjectConfig::new("10.0.0.1").with_region("cn shanghai");
    assert_eq!(field_of(bad_region.validate().unwrap_err()), "region");
    assert_eq!(
        field_of(ProjectConfig::new("").validate().unwrap_err()),
        "endpoint"
    );
    let named = ConfigError::Project {
        project: "audit".into(),
        error: Box::new(ConfigError::RegionRequired),
    };
    assert!(named.to_string().contains("`audit`"), "{named}");
    assert_eq!(field_of(named), "region");
}

#[test]
fn project_config_debug_hides_the_secret() {
    let c = ProjectConfig::new("10.0.0.1")
        .with_credentials(crate::Credentials::new("LTAI-id", "very-secret"));
    let shown = alloc::format!("{c:?}");
    assert!(
        shown.contains("LTAI-id") && !shown.contains("very-secret"),
        "{shown}"
    );
}

#[test]
fn defaults_equal_the_go_defaults() {
    let c = ProducerConfig::default();
    assert_eq!(c.memory_budget, 104_857_600);
    assert_eq!(c.max_in_flight, 50);
    assert_eq!(c.max_block, Duration::from_secs(60));
    assert_eq!(c.max_batch_bytes, 524_288);
    assert_eq!(c.max_batch_count, 4096);
    assert_eq!(c.linger, Duration::from_millis(2000));
    assert_eq!(c.max_retries, 10);
    assert_eq!(c.max_reserved_attempts, 11);
    assert_eq!(c.backoff.base, Duration::from_millis(100));
    assert_eq!(c.backoff.max, Duration::from_millis(50_000));
    assert_eq!(c.backoff.jitter, Jitter::None);
    assert_eq!(c.no_retry_status_codes, [400, 404]);
    assert_eq!(c.compression, Compression::Lz4);
    assert_eq!(c.signature_version, SignatureVersion::V1);
    assert_eq!(c.date_header, DateHeader::Auto);
    assert!(c.user_agent.starts_with("sls-producer-rs/"));
    assert!(base().validate().is_ok());
}

#[test]
fn empty_endpoint_is_rejected() {
    let e = ProducerConfig::default().validate().unwrap_err();
    assert!(matches!(
        e,
        ConfigError::InvalidEndpoint {
            reason: EndpointError::Empty,
            ..
        }
    ));
}

#[test]
fn out_of_range_values_name_the_field_instead_of_being_clamped() {
    let cases: [(ProducerConfig, &str); 18] = [
        (base().with_max_batch_bytes(0), "max_batch_bytes"),
        (base().with_max_batch_bytes(5 * MIB + 1), "max_batch_bytes"),
        (base().with_region("cn-hangzhou\r\nx-evil: 1"), "region"),
        (base().with_region("cn hangzhou"), "region"),
        (base().with_log_tag("__pack_id__", "x"), "log_tags"),
        (base().with_log_tag("__client_ip__", "x"), "log_tags"),
        (base().with_log_tag("__receive_time__", "x"), "log_tags"),
        (base().with_max_batch_count(0), "max_batch_count"),
        (base().with_max_batch_count(40_961), "max_batch_count"),
        (base().with_linger(Duration::ZERO), "linger"),
        (base().with_max_in_flight(0), "max_in_flight"),
        (
            base().with_max_reserved_attempts(0),
            "max_reserved_attempts",
        ),
        (base().with_max_retries(1001), "max_retries"),
        (
            base().with_retry_backoff(Duration::ZERO, Duration::from_secs(1)),
            "backoff.base",
        ),
        (
            base().with_retry_backoff(Duration::from_secs(2), Duration::from_secs(1)),
            "backoff.max",
        ),
        (
            base().with_no_retry_status_codes(vec![400, 99]),
            "no_retry_status_codes",
        ),
        (base().with_memory_budget(1024), "memory_budget"),
        (base().with_user_agent(""), "user_agent"),
    ];
    for (cfg, field) in cases {
        let err = cfg.validate().expect_err(field);
        let msg = err.to_string();
        assert_eq!(field_of(err), field, "{msg}");
        assert!(msg.contains(field), "{msg}");
    }
}

#[test]
fn boundary_values_are_accepted() {
    for cfg in [
        base()
            .with_max_batch_bytes(5 * MIB)
            .with_memory_budget(5 * MIB),
        base().with_max_batch_bytes(KIB),
        base().with_region("cn-shanghai-acdr_ut-1"),
        ProducerConfig {
            generate_pack_id: false,
            ..base()
        }
        .with_log_tag("__pack_id__", "mine"),
        base().with_max_batch_count(40_960),
        base().with_max_batch_count(1),
        base().with_linger(Duration::from_millis(100)),
        base().with_linger(Duration::from_millis(1)),
        base().with_max_retries(0),
        base().with_no_retry_status_codes(vec![]),
        base().with_max_block(Duration::ZERO),
    ] {
        assert_eq!(cfg.validate(), Ok(()), "{cfg:?}");
    }
}

#[test]
fn zstd_level_is_checked_and_needs_libzstd_above_one() {
    let zstd = || base().with_compression(Compression::Zstd);
    assert_eq!(ProducerConfig::default().zstd_level, 1);
    for level in [0, 23, u8::MAX] {
        let e = zstd().with_zstd_level(level).validate().unwrap_err();
        assert!(
            matches!(e, ConfigError::OutOfRange { field: "zstd_level", value, .. } if value == u64::from(level)),
            "{e:?}"
        );
    }
    assert!(zstd().with_zstd_level(1).validate().is_ok());
    // LZ4 ignores the level, as long as it is one.
    assert!(base().with_zstd_level(22).validate().is_ok());
    assert!(base().with_zstd_level(0).validate().is_err());
    for level in [2, 3, 22] {
        let result = zstd().with_zstd_level(level).validate();
        if cfg!(feature = "zstd-native") {
            assert!(result.is_ok(), "level {level}: {result:?}");
        } else {
            // The pure-Rust encoder has one level: another one is refused, not ignored.
            assert!(
                matches!(
                    result,
                    Err(ConfigError::FeatureDisabled {
                        field: "zstd_level",
                        feature: "zstd-native"
                    })
                ),
                "level {level}: {result:?}"
            );
        }
    }
}

#[test]
fn web_tracking_needs_no_region_for_v4_as_it_signs_nothing() {
    let v4 = ProducerConfig::new("http://127.0.0.1:8080")
        .with_signature_version(SignatureVersion::V4)
        .with_compression(Compression::None)
        .with_wire(WireMode::WebTracking(TrackStyle::Headers));
    assert_eq!(v4.validate(), Ok(()));
}

#[test]
fn v4_needs_a_region_from_config_or_endpoint() {
    let v4 =
        ProducerConfig::new("http://127.0.0.1:8080").with_signature_version(SignatureVersion::V4);
    assert_eq!(v4.clone().validate(), Err(ConfigError::RegionRequired));
    assert!(v4.with_region("cn-test").validate().is_ok());
    let from_endpoint = base().with_signature_version(SignatureVersion::V4);
    assert_eq!(
        from_endpoint.effective_region().as_deref(),
        Some("cn-hangzhou")
    );
    assert!(from_endpoint.validate().is_ok());
    let acdr = ProducerConfig::new("cn-shanghai-acdr-ut-1.log.aliyuncs.com");
    assert_eq!(acdr.effective_signature_version(), SignatureVersion::V4);
}

#[test]
fn error_messages_say_what_is_allowed() {
    let e = base().with_max_in_flight(0).validate().unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid `max_in_flight` = 0: must be [1, 10000]"
    );
    let e = base().with_linger(Duration::ZERO).validate().unwrap_err();
    assert_eq!(e.to_string(), "invalid `linger` = 0: must be [1 ms, 1 day]");
}
